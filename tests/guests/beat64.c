/* A heartbeat that never ends: the local APIC timer interrupts ten times a
   second, and each time it prints "beat: N" and sleeps in HLT again. The
   monitor test pauses it (the beats stop), resumes it (they go on),
   restarts it (N starts again from 1) and stops it. */
#include "apic64.h"

#define BEATS_PER_SECOND 10

int guest_main(void) {
    apic_setup();
    print("beat: started\n");
    lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_BY_1);
    lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER | LAPIC_TIMER_PERIODIC);
    lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)(apic_timer_hz() / BEATS_PER_SECOND));
    for (int beat = 1;; ++beat) {
        while (timer_interrupts < beat) wait_for_interrupt();
        print("beat: ");
        print_dec((uint64_t)beat);
        print("\n");
    }
    return 0;
}
