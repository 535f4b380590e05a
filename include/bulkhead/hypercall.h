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
#define BH_ABI_VERSION_MINOR 3u   /* 1.1: the control calls; 1.2: BH_STATE_WAITING; 1.3: stats, trace, user mode */
#define BH_ABI_VERSION ((BH_ABI_VERSION_MAJOR << 16) | BH_ABI_VERSION_MINOR)

/* Call numbers. */
#define BH_HC_ABI_VERSION 0u     /* () -> BH_ABI_VERSION */
#define BH_HC_CONSOLE_WRITE 1u   /* (gpa buffer, length) -> bytes written */
#define BH_HC_YIELD 2u           /* () -> 0; lets the next partition run */
#define BH_HC_PARTITION_INFO 3u  /* (gpa name buffer, capacity) -> partition id; writes the NUL-terminated name */
#define BH_HC_EXIT 4u            /* (status) -> does not return; 0 means success */

/* Control calls (ABI 1.1): only the partition the configuration grants
 * control=yes may make them; any other gets BH_E_NOT_PERMITTED. Partitions
 * are named by id (0 .. count-1, the order of the configuration). Requests
 * are asynchronous: 0 means the request was accepted and the target's CPU
 * carries it out at once (an IPI forces its guest out); call
 * BH_HC_CONTROL_LIST to watch the state change. */
#define BH_HC_CONTROL_LIST 16u     /* (gpa array of bh_partition_status, capacity) -> partition count */
#define BH_HC_CONTROL_PAUSE 17u    /* (id) -> 0 */
#define BH_HC_CONTROL_RESUME 18u   /* (id) -> 0 */
#define BH_HC_CONTROL_STOP 19u     /* (id) -> 0 */
#define BH_HC_CONTROL_RESTART 20u  /* (id) -> 0; from the pristine image */
#define BH_HC_CONTROL_START 21u    /* (id) -> 0; a partition configured start=manual */
/* ABI 1.3: what the monitor's stats and trace commands show. */
#define BH_HC_CONTROL_STATS 22u    /* (id, gpa struct bh_partition_stats, size) -> bytes written */
#define BH_HC_CONTROL_TRACE 23u    /* (id, 1 = on / 0 = off) -> 0; switches the partition's exit trace */
#define BH_HC_CONTROL_TRACE_READ 24u /* (id, gpa array of bh_trace_entry, capacity) -> entries written, oldest first */

/* Errors (returned negated in RAX, as a signed 64-bit value). */
#define BH_E_UNKNOWN_CALL (-1)   /* no such call number */
#define BH_E_BAD_ADDRESS (-2)    /* a buffer is not entirely inside the partition's memory */
#define BH_E_TOO_LARGE (-3)      /* a length exceeds BH_MAX_TRANSFER */
#define BH_E_BAD_ARGUMENT (-4)   /* any other invalid argument (e.g. a zero capacity) */
#define BH_E_NOT_PERMITTED (-5)  /* a control call from a partition without control=yes */
#define BH_E_NO_SUCH_PARTITION (-6) /* the id names no partition */
#define BH_E_WRONG_STATE (-7)    /* the partition's state does not allow it (resume a running one) */
#define BH_E_BUSY (-8)           /* an earlier request to that partition is still being carried out */
/* A hypercall from guest user mode (CPL 3) gets BH_E_NOT_PERMITTED too,
 * unless the configuration says user_hypercalls=yes for the partition. */

/* Partition states in bh_partition_status.state. */
#define BH_STATE_NOT_STARTED 0u
#define BH_STATE_READY 1u
#define BH_STATE_PAUSED 2u
#define BH_STATE_HALTED 3u
#define BH_STATE_EXITED 4u
#define BH_STATE_STOPPED 5u
#define BH_STATE_WAITING 6u       /* 1.2: halted until an interrupt (its timer, input) wakes it */

/* bh_partition_status.flags */
#define BH_PARTITION_CONTROL 1u  /* has the control capability */

#define BH_PARTITION_NAME_CAPACITY 16u

/* One entry of BH_HC_CONTROL_LIST; the same layout in 32- and 64-bit guests. */
struct bh_partition_status {
    unsigned int id;
    unsigned char state;        /* BH_STATE_* */
    unsigned char cpu;
    unsigned short flags;       /* BH_PARTITION_* */
    unsigned int weight;
    unsigned int starts;        /* 1 after the first start, +1 per restart */
    unsigned long long memory_bytes;
    unsigned long long uptime_us;   /* since its last start, frozen when it ends */
    unsigned long long cpu_time_us; /* guest time plus exit handling */
    unsigned long long exits;
    unsigned long long exit_status; /* with BH_STATE_EXITED */
    char name[BH_PARTITION_NAME_CAPACITY];  /* NUL-terminated */
};

/* BH_HC_CONTROL_STATS: exits by basic exit reason (Intel SDM Vol. 3D,
 * Appendix C), and the busiest I/O ports and MSRs. Counts are of every
 * exit; ticks (TSC ticks in the hypervisor's handlers, tsc_khz converts
 * them) are measured only while the partition is traced, as that costs
 * two TSC reads per exit (docs/monitor.md). */
#define BH_STATS_REASONS 86u
#define BH_STATS_KEYS 16u

struct bh_exit_count {
    unsigned long long count;
    unsigned long long ticks;
};

struct bh_keyed_count {
    unsigned int key;            /* the port or MSR number */
    unsigned int reserved;
    unsigned long long reads;
    unsigned long long writes;
    unsigned long long ticks;
};

struct bh_partition_stats {
    unsigned long long exits;
    unsigned long long handling_ticks;   /* of the exits taken while it was traced */
    unsigned long long cpu_ticks;        /* its CPU time: guest code and exit handling */
    unsigned long long traced_cpu_ticks; /* the part of it while traced: what handling_ticks is a share of */
    unsigned long long tsc_khz;
    struct bh_exit_count by_reason[BH_STATS_REASONS];
    unsigned int port_count;             /* entries used in ports[], busiest first */
    unsigned int msr_count;              /* entries used in msrs[] */
    struct bh_keyed_count ports[BH_STATS_KEYS];
    struct bh_keyed_count msrs[BH_STATS_KEYS];
    struct bh_keyed_count other_ports;   /* the ports and MSRs beyond the hypervisor's table */
    struct bh_keyed_count other_msrs;
};

/* BH_HC_CONTROL_TRACE_READ: one traced exit. `detail` depends on the reason
 * (docs/monitor.md): CPUID leaf and subleaf; the MSR and value written;
 * the value an OUT wrote; the hypercall number and first argument; the
 * guest-physical and linear address of an EPT violation; the interruption
 * information of an external interrupt or exception. */
struct bh_trace_entry {
    unsigned long long sequence;        /* 1, 2, ... on the partition's CPU */
    unsigned long long tsc;             /* when handling began */
    unsigned long long rip;
    unsigned long long qualification;
    unsigned long long detail[2];
    unsigned int handling_ticks;
    unsigned short reason;              /* basic exit reason */
    unsigned short partition;
};

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
static inline bh_long bh_control_list(struct bh_partition_status* out, unsigned long capacity) {
    return bh_hypercall3(BH_HC_CONTROL_LIST, (unsigned long)out, capacity, 0);
}
static inline bh_long bh_control(unsigned long call, unsigned long id) { return bh_hypercall3(call, id, 0, 0); }
static inline void bh_exit(unsigned long status) {
    bh_hypercall3(BH_HC_EXIT, status, 0, 0);
    for (;;) __asm__ volatile("hlt");
}
#endif

#endif /* BULKHEAD_HYPERCALL_H */
