/*
 * Interrupt and exception entry stubs, one per IDT vector.
 *
 * The CPU pushes SS, RSP, RFLAGS, CS, RIP and, for some exceptions, an error
 * code. Each stub makes the frame uniform (a zero error code where the CPU
 * pushes none), pushes its vector number and jumps to isr_common, which saves
 * the general registers in the order of struct TrapFrame (kernel/trap.hpp) and
 * calls trap_dispatch(TrapFrame*).
 */
#include "arch/x86_64/asm_defs.h"


    .text
    .altmacro
.macro isr_stub vector
    .balign 16
isr_stub_\vector:
    /* These vectors get an error code from the CPU (SDM Vol. 3A, 6.13). */
    .if !((\vector == 8) || (\vector >= 10 && \vector <= 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30))
    pushq $0
    .endif
    pushq $\vector
    jmp isr_common
.endm

.set vector, 0
.rept 256
    isr_stub %vector
    .set vector, vector + 1
.endr

isr_common:
    push %r15
    push %r14
    push %r13
    push %r12
    push %r11
    push %r10
    push %r9
    push %r8
    push %rbp
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rbx
    push %rax
    mov %rsp, %rdi
    cld
    call trap_dispatch
    pop %rax
    pop %rbx
    pop %rcx
    pop %rdx
    pop %rsi
    pop %rdi
    pop %rbp
    pop %r8
    pop %r9
    pop %r10
    pop %r11
    pop %r12
    pop %r13
    pop %r14
    pop %r15
    add $16, %rsp                       /* vector and error code */
    iretq

.macro stub_address vector
    .quad isr_stub_\vector
.endm

    .section .rodata
    .balign 8
    .globl isr_stub_table
isr_stub_table:
.set vector, 0
.rept 256
    stub_address %vector
    .set vector, vector + 1
.endr

    .section .note.GNU-stack, "", @progbits
