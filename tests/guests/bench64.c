/* The exit-cost benchmark: times ROUNDS round trips each of CPUID, a null
   hypercall, an I/O port exit and an MSR exit with RDTSC; then the exits a
   Linux guest takes on every timer tick: a write to the local APIC's EOI
   register (an EPT violation whose instruction the hypervisor decodes),
   a write of IA32_TSC_DEADLINE, and a whole interrupt: a self-IPI sent
   through the APIC's ICR, injected, taken, and ended with an EOI. Under
   Bochs the TSC advances one tick per instruction, so the figures count the
   instructions of the whole round trip (guest exit, hypervisor dispatch and
   handler, entry) and are the same on every run. The empty loop is measured
   too, and taken off the others. */
#include "apic64.h"

#define ROUNDS 10000u
#define UNASSIGNED_PORT 0x2f8u
#define MSR_EFER 0xc0000080u
#define MSR_TSC_DEADLINE 0x6e0u
#define LAPIC_ICR_LOW 0x300u
#define ICR_SELF (1u << 18)   /* destination shorthand: self */


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

static uint64_t time_eoi(void) {
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; ++i) lapic_write(LAPIC_EOI, 0);   /* nothing in service: no effect */
    return rdtsc() - start;
}

static uint64_t time_tsc_deadline(void) {
    uint64_t start = rdtsc();
    for (unsigned i = 0; i < ROUNDS; ++i) __asm__ volatile("wrmsr" ::"c"(MSR_TSC_DEADLINE), "a"(0), "d"(0));
    return rdtsc() - start;
}

/* Each round: the ICR write exits, the interrupt is injected on the way
   back, the handler's EOI exits. The loop waits for the handler. */
static uint64_t time_self_ipi(void) {
    const int before = uart_interrupts;
    uint64_t start = rdtsc();
    __asm__ volatile("sti" ::: "memory");
    for (unsigned i = 0; i < ROUNDS; ++i) {
        lapic_write(LAPIC_ICR_LOW, ICR_SELF | VECTOR_UART);
        while (uart_interrupts == before + (int)i) __asm__ volatile("pause");
    }
    __asm__ volatile("cli" ::: "memory");
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
    apic_setup();
    report("apic-eoi", time_eoi(), empty);
    report("tsc-deadline", time_tsc_deadline(), empty);
    report("self-ipi", time_self_ipi(), empty);
    return 0;
}
