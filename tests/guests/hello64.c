/* A 64-bit ELF guest: prints through the virtual UART and through the
   console hypercall, asks the hypervisor who it is, and exits with 0. */
#include "guest.h"

int guest_main(void) {
    char name[32];
    long id = bh_partition_info(name, sizeof name);
    print("hello from a 64-bit ELF guest\n");
    /* Let the other partitions run first; this one continues when its turn
       comes round again. */
    print("yielding the CPU\n");
    bh_yield();
    print("back after yielding\n");
    print("partition ");
    print(id >= 0 ? name : "?");
    print(" has id ");
    print_dec((uint64_t)id);
    print("\n");
    static const char via_hypercall[] = "this line came through the console_write hypercall\n";
    bh_console_write(via_hypercall, sizeof via_hypercall - 1);
    return 0;
}
