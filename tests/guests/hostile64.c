/* Hostile guests: each build (-DATTACK_...) tries one thing a partition must
   never get away with. Bulkhead must stop it with a one-line reason while the
   other partitions run on. None of them should ever reach the final exit. */
#include "guest.h"
#include "map64.h"

#define OUTSIDE_SMALL_PARTITIONS 0x3fe00000ull  /* 1022 MiB: beyond any test partition */
#define HYPERVISOR_IMAGE_HOST_ADDRESS 0x100000ull /* where bulkhead.elf lives in host memory */
#define COM2 0x2f8u
int guest_main(void) {
#if defined(ATTACK_READ_OTHER)
    /* Another partition's kernel image holds this text. Scan every byte of
       this partition's own memory for it: whatever host addresses the other
       partition occupies, they are not visible here. */
    static const char theirs[] = "hello from a 64-bit ELF g";
    const char* const self = (const char*)(uintptr_t)0x1000;
    unsigned long found = 0;
    for (const char* p = self; p < (const char*)(uintptr_t)0x400000 - sizeof theirs; ++p) {
        unsigned long i = 0;
        while (i + 1 < sizeof theirs && p[i] == theirs[i]) ++i;
        if (i + 1 == sizeof theirs && p != theirs) ++found;
    }
    print(found == 0 ? "hostile: no other partition's memory is visible in mine\n"
                     : "hostile: FOUND another partition's memory in mine\n");
    print("hostile: reading memory outside my partition\n");
    map_2m(OUTSIDE_SMALL_PARTITIONS);
    volatile uint64_t* other = (volatile uint64_t*)OUTSIDE_SMALL_PARTITIONS;
    print_hex(*other);
#elif defined(ATTACK_WRITE_HYPERVISOR)
    /* The hypervisor's image sits at host-physical 1 MiB. The same number as
       a guest-physical address is this partition's own RAM, so these writes
       land harmlessly in its own memory; anything beyond its memory is not
       in the partition at all. */
    print("hostile: writing where the hypervisor lives in host memory\n");
    volatile uint64_t* target = (volatile uint64_t*)(HYPERVISOR_IMAGE_HOST_ADDRESS + 0x80000);
    for (int i = 0; i < 512; ++i) target[i] = 0xdeadbeefdeadbeefull;
    print("hostile: that was my own memory; now past its end\n");
    map_2m(OUTSIDE_SMALL_PARTITIONS);
    *(volatile uint64_t*)OUTSIDE_SMALL_PARTITIONS = 0xdeadbeefdeadbeefull;
#elif defined(ATTACK_UART_NEIGHBOUR)
    print("hostile: programming the port next door (COM2)\n");
    outb(COM2 + 3, 0x80);
#elif defined(ATTACK_VMXON)
    print("hostile: executing VMXON without an IDT\n");
    static uint64_t region[512] __attribute__((aligned(4096)));
    uint64_t address = (uint64_t)region;
    __asm__ volatile("vmxon %0" ::"m"(address));
#elif defined(ATTACK_TRIPLE_FAULT)
    print("hostile: triple-faulting on purpose\n");
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty = {0, 0};
    __asm__ volatile("lidt %0\n int3" ::"m"(empty));
#elif defined(ATTACK_INVD)
    print("hostile: executing INVD, which exits and has no handler\n");
    __asm__ volatile("invd");
#elif defined(ATTACK_HALT)
    print("hostile: halting with interrupts off, never reporting a status\n");
    __asm__ volatile("cli\n hlt");
#elif defined(ATTACK_SPIN)
    print("hostile: spinning forever with interrupts off\n");
    __asm__ volatile("cli\n 1: jmp 1b");
#elif defined(ATTACK_JUMP_GARBAGE)
    print("hostile: jumping into garbage\n");
    static uint8_t garbage[64];
    for (unsigned i = 0; i < sizeof garbage; ++i) garbage[i] = 0xff;   /* FF /7: no such instruction */
    ((void (*)(void))(uintptr_t)garbage)();
#else
#error "choose an ATTACK_..."
#endif
    print("hostile: the attack did not stop me\n");
    return 99;
}
