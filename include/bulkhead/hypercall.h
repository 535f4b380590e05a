/*
 * Bulkhead hypercall ABI, version 1 — the guest side.
 *
 * A guest calls the hypervisor with VMCALL: the call number in RAX (EAX in
 * 32-bit and 16-bit guests), arguments in RDI, RSI, RDX (EDI, ESI, EDX),
 * the result in RAX. Results are non-negative on success; errors are the
 * negative BH_E_* values. Pointers are guest-physical addresses inside the
 * calling partition's memory. docs/hypercalls.md is the full description.
 *
 * A guest finds Bulkhead with CPUID leaf 0x40000000: EBX, ECX, EDX spell
 * "BulkheadHV\0\0" and EAX is the highest hypervisor leaf (0x40000010).
 * Leaf 0x40000001's EAX is the ABI version; leaf 0x40000010 gives the TSC
 * frequency.
 *
 * Freestanding C99/C++: include it in any guest.
 */
#ifndef BULKHEAD_HYPERCALL_H
#define BULKHEAD_HYPERCALL_H

#define BH_CPUID_LEAF_SIGNATURE 0x40000000u
#define BH_CPUID_LEAF_ABI 0x40000001u
/* Timing information, at the leaf VMware and KVM use for it: EAX = the TSC
   frequency in kHz (so a guest need not calibrate), EBX = the local APIC
   timer's frequency in kHz (0: not offered). */
#define BH_CPUID_LEAF_TIMING 0x40000010u
#define BH_CPUID_SIGNATURE_EBX 0x6b6c7542u /* "Bulk" */
#define BH_CPUID_SIGNATURE_ECX 0x64616568u /* "head" */
#define BH_CPUID_SIGNATURE_EDX 0x00005648u /* "HV\0\0" */

/* ABI version: major in bits 31:16, minor in bits 15:0. */
#define BH_ABI_VERSION_MAJOR 1u
#define BH_ABI_VERSION_MINOR 0u
#define BH_ABI_VERSION ((BH_ABI_VERSION_MAJOR << 16) | BH_ABI_VERSION_MINOR)

/* Call numbers. */
#define BH_HC_ABI_VERSION 0u     /* () -> BH_ABI_VERSION */
#define BH_HC_CONSOLE_WRITE 1u   /* (gpa buffer, length) -> bytes written */
#define BH_HC_YIELD 2u           /* () -> 0; lets the next partition run */
#define BH_HC_PARTITION_INFO 3u  /* (gpa name buffer, capacity) -> partition id; writes the NUL-terminated name */
#define BH_HC_EXIT 4u            /* (status) -> does not return; 0 means success */

/* Errors (returned negated in RAX, as a signed 64-bit value). */
#define BH_E_UNKNOWN_CALL (-1)   /* no such call number */
#define BH_E_BAD_ADDRESS (-2)    /* a buffer is not entirely inside the partition's memory */
#define BH_E_TOO_LARGE (-3)      /* a length exceeds BH_MAX_TRANSFER */
#define BH_E_BAD_ARGUMENT (-4)   /* any other invalid argument (e.g. a zero capacity) */

/* The largest buffer one call moves; longer console output takes several calls. */
#define BH_MAX_TRANSFER 4096u

/* The guest test-exit port (QEMU's isa-debug-exit convention): a 32-bit OUT
 * of status s to this port stops the partition with status s. */
#define BH_TEST_EXIT_PORT 0xf4u

#if defined(__x86_64__)
typedef long bh_long;
static inline bh_long bh_hypercall3(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2) {
    bh_long result;
    __asm__ volatile("vmcall" : "=a"(result) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
    return result;
}
#elif defined(__i386__)
typedef long bh_long;
static inline bh_long bh_hypercall3(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2) {
    bh_long result;
    __asm__ volatile("vmcall" : "=a"(result) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "memory");
    return result;
}
#endif

#if defined(__x86_64__) || defined(__i386__)
static inline bh_long bh_abi_version(void) { return bh_hypercall3(BH_HC_ABI_VERSION, 0, 0, 0); }
static inline bh_long bh_console_write(const void* buffer, unsigned long length) {
    return bh_hypercall3(BH_HC_CONSOLE_WRITE, (unsigned long)buffer, length, 0);
}
static inline bh_long bh_yield(void) { return bh_hypercall3(BH_HC_YIELD, 0, 0, 0); }
static inline bh_long bh_partition_info(char* name, unsigned long capacity) {
    return bh_hypercall3(BH_HC_PARTITION_INFO, (unsigned long)name, capacity, 0);
}
static inline void bh_exit(unsigned long status) {
    bh_hypercall3(BH_HC_EXIT, status, 0, 0);
    for (;;) __asm__ volatile("hlt");
}
#endif

#endif /* BULKHEAD_HYPERCALL_H */
