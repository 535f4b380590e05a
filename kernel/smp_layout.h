/*
 * Where the application processors' start-up code and its parameters live,
 * shared by boot/ap_trampoline.S and kernel/smp.cpp. An AP starts in real
 * mode at a page below 1 MiB that the startup IPI names; these two pages are
 * in the low memory the frame allocator never hands out.
 */
#pragma once

#define AP_TRAMPOLINE_CODE 0x8000   /* the startup IPI's page (vector 0x08) */
#define AP_TRAMPOLINE_DATA 0x9000   /* the parameter block, read and written by the AP */

/* Offsets in the parameter block (struct ApStartupBlock in kernel/smp.cpp). */
#define AP_GDT 0x00                 /* 4 descriptors: null, 64-bit code, data, 32-bit code */
#define AP_GDTR 0x20                /* limit (2 bytes), base (4 bytes) */
#define AP_CR3 0x30
#define AP_STACK_TOP 0x38
#define AP_ENTRY 0x40
#define AP_CPU_INDEX 0x48

#define AP_SELECTOR_CODE64 0x08
#define AP_SELECTOR_DATA 0x10
#define AP_SELECTOR_CODE32 0x18
