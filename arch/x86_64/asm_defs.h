/*
 * Hardware constants shared by the assembly files in boot/ and arch/x86_64.
 * C++ code uses the typed definitions in cpu.hpp, control_registers.hpp and
 * msr.hpp; those headers static_assert that they agree with these macros.
 */
#pragma once

/* Control register bits (Intel SDM Vol. 3A, 2.5). */
#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)

/* IA32_EFER (MSR 0xC0000080). */
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

/* CPUID leaves and bits needed before C++ runs. */
#define CPUID_EXTENDED_MAX 0x80000000
#define CPUID_EXTENDED_FEATURES 0x80000001
#define CPUID_EXT_EDX_NX (1 << 20)
#define CPUID_EXT_EDX_LONG_MODE (1 << 29)

/* Page-table entry bits used by the early identity map. */
#define PTE_PRESENT (1 << 0)
#define PTE_WRITABLE (1 << 1)
#define PTE_LARGE (1 << 7)
#define PAGE_SIZE_4K 0x1000
#define PAGE_SIZE_2M 0x200000
#define ENTRIES_PER_TABLE 512

/* Segment selectors of the boot GDT and of the final GDT (same layout). */
#define SELECTOR_CODE64 0x08
#define SELECTOR_DATA 0x10

/* The multiboot2 loader's magic value in EAX (multiboot2 spec 3.3). */
#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36d76289

/* The VMCS encoding of HOST_RSP, which vmm/vmx_entry.S writes on every entry
   (checked against VmcsField::HostRsp in vmm/vmcs_setup.cpp). */
#define VMCS_HOST_RSP 0x6c14

/* COM1, used only for the few messages printed before C++ runs. */
#define EARLY_SERIAL_PORT 0x3f8
#define UART_LINE_STATUS 5
#define UART_LSR_THR_EMPTY 0x20
