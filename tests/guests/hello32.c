/* A 32-bit multiboot v1 guest: checks that it was entered as a multiboot
   loader would enter it, prints its command line and memory size from the
   multiboot information, and reports through the test-exit port. */
#include "guest.h"

#define MB1_LOADER_MAGIC 0x2BADB002u
#define MB1_INFO_MEMORY (1u << 0)
#define MB1_INFO_CMDLINE (1u << 2)

struct mb1_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

void test_exit_port_cdecl(uint32_t status) { test_exit_port(status); }

int guest_main(uint32_t magic, const struct mb1_info* info) {
    print("hello from a 32-bit multiboot guest\n");
    if (magic != MB1_LOADER_MAGIC) {
        print("bad multiboot magic ");
        print_hex(magic);
        print("\n");
        return 1;
    }
    if ((info->flags & MB1_INFO_CMDLINE) == 0 || (info->flags & MB1_INFO_MEMORY) == 0) {
        print("multiboot information lacks cmdline or memory\n");
        return 2;
    }
    print("cmdline: ");
    print((const char*)(uintptr_t)info->cmdline);
    print("\nmem_upper: ");
    print_dec(info->mem_upper);
    print(" KiB\n");
    return 0;
}
