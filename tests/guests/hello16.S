/* A raw 16-bit real-mode guest, loaded at 0x7c00 like a boot sector: prints
   through the virtual UART with plain OUT instructions and exits through the
   exit hypercall (VMCALL works in every guest mode). */
#define COM1 0x3f8
#define BH_HC_EXIT 4

    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $message, %si
1:  lodsb
    test %al, %al
    jz 3f
    mov %al, %bl
    mov $(COM1 + 5), %dx
2:  in %dx, %al              /* wait for the transmitter */
    test $0x20, %al
    jz 2b
    mov $COM1, %dx
    mov %bl, %al
    out %al, %dx
    jmp 1b
3:  mov $BH_HC_EXIT, %eax
    xor %edi, %edi
    vmcall
4:  hlt
    jmp 4b

message:
    .asciz "hello from a 16-bit real-mode guest\n"
    .section .note.GNU-stack, "", @progbits
