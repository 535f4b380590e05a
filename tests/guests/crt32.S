/* Entry of the 32-bit multiboot test guest: a multiboot v1 header, then the
   entry a multiboot loader uses (32-bit protected mode, paging off,
   EAX = 0x2BADB002, EBX = the multiboot information). */
#define MB1_MAGIC 0x1BADB002
#define MB1_FLAGS 0x00000003      /* page-align modules, give memory info */

    .section .multiboot, "a"
    .balign 4
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)

    .section .text.start, "ax"
    .code32
    .globl _start
_start:
    mov $stack_top, %esp
    push %ebx
    push %eax
    call guest_main
    push %eax
    call test_exit_port_cdecl
1:  hlt
    jmp 1b

    .bss
    .balign 16
    .skip 8192
stack_top:
    .section .note.GNU-stack, "", @progbits
