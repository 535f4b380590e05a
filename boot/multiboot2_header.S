/*
 * The multiboot2 header (Multiboot2 specification, section 3.1). GRUB looks
 * for it in the first 32 KiB of bulkhead.elf. It asks for the i386 (32-bit
 * protected mode) entry on both BIOS and UEFI machines: GRUB then exits the UEFI
 * boot services itself and hands over the memory map and ACPI tables as
 * multiboot2 tags, so one entry path serves both firmware types.
 */
#define MB2_HEADER_MAGIC 0xE85250D6
#define MB2_ARCH_I386 0
#define MB2_TAG_END 0
#define MB2_TAG_INFO_REQUEST 1
#define MB2_TAG_MODULE_ALIGN 6
#define MB2_TAG_OPTIONAL 1
#define MB2_INFO_CMDLINE 1
#define MB2_INFO_MODULE 3
#define MB2_INFO_MMAP 6
#define MB2_INFO_ACPI_OLD 14
#define MB2_INFO_ACPI_NEW 15

    .section .multiboot2, "a"
    .balign 8
mb2_header_start:
    .long MB2_HEADER_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header_start
    .long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header_start))

    /* Ask for what the hypervisor cannot run without; ACPI is optional. */
    .balign 8
mb2_info_request_start:
    .short MB2_TAG_INFO_REQUEST
    .short 0
    .long mb2_info_request_end - mb2_info_request_start
    .long MB2_INFO_CMDLINE
    .long MB2_INFO_MMAP
    .long MB2_INFO_MODULE
mb2_info_request_end:

    /* Guest images (modules) on page boundaries, so they can be mapped. */
    .balign 8
    .short MB2_TAG_MODULE_ALIGN
    .short 0
    .long 8

    .balign 8
    .short MB2_TAG_END
    .short 0
    .long 8
mb2_header_end:

    .section .note.GNU-stack, "", @progbits
