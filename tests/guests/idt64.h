/*
 * A minimal IDT for 64-bit test guests that want to survive the exceptions
 * they provoke: #UD and #GP record their vector and resume at the address
 * the probing code set in `recover_rip` (a tiny setjmp/longjmp).
 */
#ifndef BULKHEAD_TEST_IDT64_H
#define BULKHEAD_TEST_IDT64_H

#include <stdint.h>

#define VECTOR_UD 6
#define VECTOR_GP 13
#define GUEST_CODE64_SELECTOR 0x08
#define GATE_INTERRUPT_PRESENT 0x8e

struct idt_gate {
    uint16_t offset_low, selector;
    uint8_t ist, type;
    uint16_t offset_mid;
    uint32_t offset_high, reserved;
} __attribute__((packed));

volatile int fault_vector = -1;
uint64_t recover_rip;
/* Enough for the exceptions; a guest that takes interrupts defines more. */
#ifndef IDT64_ENTRIES
#define IDT64_ENTRIES 32
#endif
static struct idt_gate idt[IDT64_ENTRIES] __attribute__((aligned(16)));

void ud_stub(void);
void gp_stub(void);
__asm__(
    ".text\n"
    "ud_stub:\n"
    "  movl $6, fault_vector(%rip)\n"
    "  jmp resume_at_recovery\n"
    "gp_stub:\n"
    "  movl $13, fault_vector(%rip)\n"
    "  add $8, %rsp\n"                 /* drop the error code */
    "resume_at_recovery:\n"
    "  push %rax\n"
    "  mov recover_rip(%rip), %rax\n"
    "  mov %rax, 8(%rsp)\n"            /* the saved RIP */
    "  pop %rax\n"
    "  iretq\n");

static void set_gate(int vector, void (*handler)(void)) {
    uint64_t a = (uint64_t)handler;
    idt[vector].offset_low = (uint16_t)a;
    idt[vector].selector = GUEST_CODE64_SELECTOR;
    idt[vector].ist = 0;
    idt[vector].type = GATE_INTERRUPT_PRESENT;
    idt[vector].offset_mid = (uint16_t)(a >> 16);
    idt[vector].offset_high = (uint32_t)(a >> 32);
}

static void install_idt(void) {
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) pointer = {sizeof idt - 1, (uint64_t)idt};
    set_gate(VECTOR_UD, ud_stub);
    set_gate(VECTOR_GP, gp_stub);
    __asm__ volatile("lidt %0" ::"m"(pointer));
}

/* Each try_* returns the vector of the exception it caused, or -1. */
__attribute__((unused)) static int try_rdmsr(uint32_t msr, uint64_t* value) {
    uint32_t lo = 0, hi = 0;
    fault_vector = -1;
    __asm__ volatile("leaq 1f(%%rip), %%r11\n movq %%r11, recover_rip(%%rip)\n rdmsr\n 1:"
                     : "+a"(lo), "+d"(hi) : "c"(msr) : "r11", "memory");
    *value = ((uint64_t)hi << 32) | lo;
    return fault_vector;
}

__attribute__((unused)) static int try_wrmsr(uint32_t msr, uint64_t value) {
    fault_vector = -1;
    __asm__ volatile("leaq 1f(%%rip), %%r11\n movq %%r11, recover_rip(%%rip)\n wrmsr\n 1:"
                     :: "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "r11", "memory");
    return fault_vector;
}

__attribute__((unused)) static int try_vmxon(void) {
    static uint64_t region[512] __attribute__((aligned(4096)));
    uint64_t address = (uint64_t)region;
    fault_vector = -1;
    __asm__ volatile("leaq 1f(%%rip), %%r11\n movq %%r11, recover_rip(%%rip)\n vmxon %0\n 1:"
                     :: "m"(address) : "r11", "memory", "cc");
    return fault_vector;
}

__attribute__((unused)) static int try_set_cr4(uint64_t bits) {
    fault_vector = -1;
    __asm__ volatile("leaq 1f(%%rip), %%r11\n movq %%r11, recover_rip(%%rip)\n"
                     "mov %%cr4, %%rax\n or %0, %%rax\n mov %%rax, %%cr4\n 1:"
                     :: "r"(bits) : "rax", "r11", "memory");
    return fault_vector;
}

__attribute__((unused)) static int try_xsetbv(uint32_t index, uint64_t value) {
    fault_vector = -1;
    __asm__ volatile("leaq 1f(%%rip), %%r11\n movq %%r11, recover_rip(%%rip)\n xsetbv\n 1:"
                     :: "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "r11", "memory");
    return fault_vector;
}

#endif
