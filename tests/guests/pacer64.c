/* A bare-metal guest that keeps time with its virtual local APIC: the timer
   in periodic mode interrupts it once a second, it sleeps in HLT in between
   (so it costs its CPU nothing), prints "pacer: second N" each time, and
   exits with 0 after PACER_SECONDS. Beside a Linux partition on another CPU
   its lines interleave with the kernel's: both run at once. */
#include "apic64.h"

#define PACER_SECONDS 10

int guest_main(void) {
    apic_setup();
    const uint64_t start = rdtsc();
    lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_BY_1);
    lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER | LAPIC_TIMER_PERIODIC);
    lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)apic_timer_hz());   /* one second per period */
    for (int second = 1; second <= PACER_SECONDS; ++second) {
        while (timer_interrupts < second) wait_for_interrupt();
        print("pacer: second ");
        print_dec((uint64_t)second);
        print("\n");
    }
    lapic_write(LAPIC_LVT_TIMER, LAPIC_TIMER_MASKED);
    const uint64_t elapsed_ms = (rdtsc() - start) * 1000 / tsc_hz();
    print("pacer: done after ");
    print_dec(elapsed_ms);
    print(" ms\n");
    /* Ten periods can never take less than ten seconds. */
    return elapsed_ms >= PACER_SECONDS * 1000 ? 0 : 1;
}
