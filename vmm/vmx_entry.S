/*
 * Entering and leaving a guest (Intel SDM Vol. 3C, 26 and 28).
 *
 *   VmRunResult vmx_run(GuestRegisters* regs, uint64_t launched)
 *
 * vmx_run saves the host's callee-saved registers, leaves `regs` on the
 * stack, points the VMCS's HOST_RSP at that stack slot, loads the guest's
 * registers and executes VMLAUNCH (first run) or VMRESUME.
 *
 * The guest runs until something makes the CPU exit; the CPU then jumps to
 * vmx_exit (the VMCS's HOST_RIP) with RSP = HOST_RSP, so `regs` is at the top
 * of the stack. vmx_exit saves the guest's registers into *regs and calls the
 * C++ exit dispatcher, vmx_handle_exit(regs). If that says "resume", the
 * guest's registers are loaded again and VMRESUME re-enters the guest right
 * here, without unwinding: the common exit costs one call, not a return to
 * the scheduler. Before that, if the vCPU's attention flag is set (an
 * interrupt to inject, a timer to reprogram), vmx_service_events(regs) runs
 * first. Otherwise (the partition yields, halts or stops) vmx_run returns 0
 * to its caller.
 *
 * If VMLAUNCH/VMRESUME itself fails, execution falls through with CF set
 * (VMfailInvalid: no current VMCS) or ZF set (VMfailValid: the VMCS's
 * VM-instruction error field says why) and vmx_run returns 1 or 2.
 */
#include "arch/x86_64/asm_defs.h"
#include "vmm/vmx_entry_layout.h"

/* Offsets of the registers in GuestRegisters (vmm/guest_registers.hpp). */
#define R_RAX 0
#define R_RCX 8
#define R_RDX 16
#define R_RBX 24
#define R_RBP 40
#define R_RSI 48
#define R_RDI 56
#define R_R8 64
#define R_R9 72
#define R_R10 80
#define R_R11 88
#define R_R12 96
#define R_R13 104
#define R_R14 112
#define R_R15 120

/* Loads every guest register from *%rdi (RDI itself last). Flags are untouched. */
.macro load_guest_registers
    mov R_RAX(%rdi), %rax
    mov R_RCX(%rdi), %rcx
    mov R_RDX(%rdi), %rdx
    mov R_RBX(%rdi), %rbx
    mov R_RBP(%rdi), %rbp
    mov R_RSI(%rdi), %rsi
    mov R_R8(%rdi), %r8
    mov R_R9(%rdi), %r9
    mov R_R10(%rdi), %r10
    mov R_R11(%rdi), %r11
    mov R_R12(%rdi), %r12
    mov R_R13(%rdi), %r13
    mov R_R14(%rdi), %r14
    mov R_R15(%rdi), %r15
    mov R_RDI(%rdi), %rdi
.endm

    .text
    .globl vmx_run
vmx_run:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rdi                           /* regs: found again at [HOST_RSP] on exit */

    mov $VMCS_HOST_RSP, %eax
    vmwrite %rsp, %rax

    cmp $0, %rsi                        /* flags survive the MOVs below */
    load_guest_registers
    jne 1f
    vmlaunch
    jmp vmx_entry_failed
1:  vmresume

vmx_entry_failed:
    /* CF=1: VMfailInvalid -> 1; otherwise ZF=1: VMfailValid -> 2. */
    mov $1, %eax
    mov $2, %ecx
    cmovnc %ecx, %eax
    jmp vmx_return

    .globl vmx_exit
vmx_exit:
    push %rdi                           /* guest RDI; regs pointer is above it */
    mov 8(%rsp), %rdi
    mov %rax, R_RAX(%rdi)
    mov %rcx, R_RCX(%rdi)
    mov %rdx, R_RDX(%rdi)
    mov %rbx, R_RBX(%rdi)
    mov %rbp, R_RBP(%rdi)
    mov %rsi, R_RSI(%rdi)
    mov %r8, R_R8(%rdi)
    mov %r9, R_R9(%rdi)
    mov %r10, R_R10(%rdi)
    mov %r11, R_R11(%rdi)
    mov %r12, R_R12(%rdi)
    mov %r13, R_R13(%rdi)
    mov %r14, R_R14(%rdi)
    mov %r15, R_R15(%rdi)
    pop %rax
    mov %rax, R_RDI(%rdi)

    /* RSP is HOST_RSP again: 16-byte aligned, as a call needs. */
    call vmx_handle_exit
    test %eax, %eax
    jnz vmx_leave
    mov (%rsp), %rdi
    /* Interrupts or timer work pending (vmm/vcpu_events.hpp)? */
    cmpb $0, VCPU_ATTENTION_OFFSET(%rdi)
    jne vmx_service_then_resume
vmx_resume:
    load_guest_registers
    vmresume
    jmp vmx_entry_failed

vmx_service_then_resume:
    call vmx_service_events
    mov (%rsp), %rdi
    jmp vmx_resume

vmx_leave:
    xor %eax, %eax                      /* VmRunResult::Left */

vmx_return:
    pop %rdi                            /* drop the regs pointer */
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret

    .section .note.GNU-stack, "", @progbits
