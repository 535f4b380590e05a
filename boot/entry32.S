/*
 * First instructions of Bulkhead. GRUB enters here in 32-bit protected mode
 * (multiboot2 spec 3.3): paging off, interrupts off, EAX = loader magic,
 * EBX = physical address of the multiboot2 information.
 *
 * This file does only what C++ cannot do for itself: check that the CPU can
 * run 64-bit code at all, build a temporary identity map of the first 4 GiB
 * with 2 MiB pages, enable long mode and jump to kernel_main(magic, mbi).
 * kernel/memory.cpp replaces these page tables with W^X ones straight away.
 */
#include "arch/x86_64/asm_defs.h"
#include "kernel/stack_layout.h"

#define EARLY_IDENTITY_GIB 4

    .section .boot.text, "ax"
    .code32
    .globl boot_entry32
boot_entry32:
    cli
    cld
    mov %eax, %edi                      /* keep magic and MBI safe from CPUID */
    mov %ebx, %esi

    /* Zero .bss: the ELF loader should have, but nothing below may rely on it. */
    push %edi
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    pop %edi

    mov $(bulkhead_boot_stack + STACK_GUARD_SIZE + BOOT_STACK_SIZE), %esp

    cmp $MULTIBOOT2_BOOTLOADER_MAGIC, %edi
    jne .Lnot_multiboot2

    /* Long mode needs CPUID leaf 0x80000001 with the LM bit. */
    mov $CPUID_EXTENDED_MAX, %eax
    cpuid
    cmp $CPUID_EXTENDED_FEATURES, %eax
    jb .Lno_long_mode
    mov $CPUID_EXTENDED_FEATURES, %eax
    cpuid
    test $CPUID_EXT_EDX_LONG_MODE, %edx
    jz .Lno_long_mode
    mov %edx, %ebp                      /* remember NX support */

    call build_early_page_tables

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $early_pml4, %eax
    mov %eax, %cr3

    mov $MSR_EFER, %ecx
    rdmsr
    or $EFER_LME, %eax
    test $CPUID_EXT_EDX_NX, %ebp
    jz 1f
    or $EFER_NXE, %eax
1:  wrmsr

    /* GRUB may leave CR0.NE clear and CD/NW set; C++ fixes caching later. */
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_NE | CR0_PE), %eax
    mov %eax, %cr0

    lgdt boot_gdt_pointer
    ljmp $SELECTOR_CODE64, $boot_entry64

/* Identity-map [0, 4 GiB) with 2 MiB pages: PML4[0] -> PDPT[0..3] -> 4 PDs. */
build_early_page_tables:
    mov $early_pdpt, %eax
    or $(PTE_PRESENT | PTE_WRITABLE), %eax
    mov %eax, early_pml4

    xor %ecx, %ecx                      /* PDPT entries */
1:  mov %ecx, %eax
    shl $12, %eax
    add $early_pds, %eax
    or $(PTE_PRESENT | PTE_WRITABLE), %eax
    mov %eax, early_pdpt(, %ecx, 8)
    inc %ecx
    cmp $EARLY_IDENTITY_GIB, %ecx
    jb 1b

    xor %ecx, %ecx                      /* PD entries across all four PDs */
2:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_PRESENT | PTE_WRITABLE | PTE_LARGE), %eax
    mov %eax, early_pds(, %ecx, 8)
    inc %ecx
    cmp $(EARLY_IDENTITY_GIB * ENTRIES_PER_TABLE), %ecx
    jb 2b
    ret

.Lnot_multiboot2:
    mov $msg_not_multiboot2, %esi
    jmp early_fatal
.Lno_long_mode:
    mov $msg_no_long_mode, %esi
    jmp early_fatal

/* Print the NUL-terminated string at ESI on COM1 and stop. No stack needed. */
early_fatal:
    mov $(EARLY_SERIAL_PORT + UART_LINE_STATUS), %dx
1:  in %dx, %al
    test $UART_LSR_THR_EMPTY, %al
    jz 1b
    lodsb
    test %al, %al
    jz 2f
    mov $EARLY_SERIAL_PORT, %dx
    out %al, %dx
    jmp early_fatal
2:  cli
    hlt
    jmp 2b

    .code64
boot_entry64:
    mov $SELECTOR_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    mov %edi, %edi                      /* zero-extend magic and MBI address */
    mov %esi, %esi
    xor %ebp, %ebp                      /* terminate stack traces */
    call kernel_main
1:  cli
    hlt
    jmp 1b

    .section .boot.data, "aw"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF            /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00CF92000000FFFF            /* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_pointer:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt

msg_not_multiboot2:
    .asciz "bulkhead: not started by a multiboot2 loader (EAX magic mismatch)\r\n"
msg_no_long_mode:
    .asciz "bulkhead: CPU cannot run 64-bit code: CPUID.80000001:EDX.LM=0\r\n"

    .section .boot.bss, "aw", @nobits
    .balign PAGE_SIZE_4K
early_pml4:
    .skip PAGE_SIZE_4K
early_pdpt:
    .skip PAGE_SIZE_4K
early_pds:
    .skip PAGE_SIZE_4K * EARLY_IDENTITY_GIB

    .section .note.GNU-stack, "", @progbits
