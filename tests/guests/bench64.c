/* The exit-cost benchmark: times ROUNDS round trips each of CPUID, a null
   hypercall, an I/O port exit and an MSR exit with RDTSC. Under Bochs the TSC
   advances one tick per instruction, so the figures count the instructions of
   the whole round trip (guest exit, hypervisor dispatch and handler, entry)
   and are the same on every run. The empty loop is measured too, and taken
   off the others. */
#include "guest.h"

#define ROUNDS 10000u
#define UNASSIGNED_PORT 0x2f8u
#define MSR_EFER 0xc0000080u

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence\n rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t time_empty(void) {
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; ++i) __asm__ volatile("" ::: "memory");
    return rdtsc() - start;
}

static uint64_t time_cpuid(void) {
    uint32_t r[4];
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; ++i) cpuid(0, 0, r);
    return rdtsc() - start;
}

static uint64_t time_vmcall(void) {
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; ++i) bh_abi_version();
    return rdtsc() - start;
}

static uint64_t time_io(void) {
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; ++i) (void)inb(UNASSIGNED_PORT);
    return rdtsc() - start;
}

static uint64_t time_msr(void) {
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; ++i) {
        uint32_t lo, hi;
        __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_EFER));
    }
    return rdtsc() - start;
}

static void report(const char* name, uint64_t total, uint64_t empty) {
    print("bench: ");
    print(name);
    print(" rounds=");
    print_dec(ROUNDS);
    print(" ticks/round-trip=");
    print_dec((total - empty) / ROUNDS);
    print(" (total ");
    print_dec(total);
    print(")\n");
}

int guest_main(void) {
    const uint64_t empty = time_empty();
    print("bench: empty loop ticks/round=");
    print_dec(empty / ROUNDS);
    print("\n");
    report("cpuid", time_cpuid(), empty);
    report("vmcall", time_vmcall(), empty);
    report("io-in", time_io(), empty);
    report("rdmsr", time_msr(), empty);
    return 0;
}
