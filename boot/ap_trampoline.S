/*
 * The application processors' way from real mode to kernel C++ (Intel SDM
 * Vol. 3A, 9.9 and 8.4.4). kernel/smp.cpp copies the bytes between
 * ap_trampoline_start and ap_trampoline_end to AP_TRAMPOLINE_CODE and fills
 * the parameter block at AP_TRAMPOLINE_DATA; a startup IPI then starts the AP
 * here in real mode with CS:IP = 0x0800:0000.
 *
 * Real mode -> 32-bit protected mode (the block's GDT) -> PAE, the
 * hypervisor's own page tables, long mode with NX -> 64-bit code -> the
 * block's stack, and a call of the block's entry point (ap_main) with the
 * CPU's index. Everything is addressed absolutely, relative to where the
 * code is copied, because it does not run where it was linked.
 */
#include "arch/x86_64/asm_defs.h"
#include "kernel/smp_layout.h"

#define HERE(label) (AP_TRAMPOLINE_CODE + ((label) - ap_trampoline_start))

    .section .rodata
    .globl ap_trampoline_start, ap_trampoline_end
    .code16
ap_trampoline_start:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ds
    lgdtl AP_TRAMPOLINE_DATA + AP_GDTR
    mov %cr0, %eax
    or $CR0_PE, %eax
    mov %eax, %cr0
    ljmpl $AP_SELECTOR_CODE32, $HERE(ap_protected_mode)

    .code32
ap_protected_mode:
    mov $AP_SELECTOR_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov AP_TRAMPOLINE_DATA + AP_CR3, %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE), %eax     /* NX before paging: the tables use it */
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_NE), %eax
    mov %eax, %cr0
    ljmp $AP_SELECTOR_CODE64, $HERE(ap_long_mode)

    .code64
ap_long_mode:
    mov AP_TRAMPOLINE_DATA + AP_STACK_TOP, %rsp
    mov AP_TRAMPOLINE_DATA + AP_CPU_INDEX, %rdi
    mov AP_TRAMPOLINE_DATA + AP_ENTRY, %rax
    xor %ebp, %ebp
    call *%rax                          /* ap_main never returns */
1:  cli
    hlt
    jmp 1b
ap_trampoline_end:

    .section .note.GNU-stack, "", @progbits
