/* Entry of the 64-bit test guests: Bulkhead starts them in long mode with
   paging on and RSP at the top of their memory; main's return value is the
   exit status. */
    .section .text.start, "ax"
    .code64
    .globl _start
_start:
    and $-16, %rsp
    call guest_main
    mov %eax, %edi
    mov $4, %eax          /* BH_HC_EXIT */
    vmcall
1:  hlt
    jmp 1b
    .section .note.GNU-stack, "", @progbits
