/* Watches its own time slices from the inside: it reads the TSC in a tight
   loop for WINDOW ticks, and every jump larger than GAP_THRESHOLD is time
   the partition spent off the CPU (the other partitions' turns plus the
   switches). It reports how many such gaps it saw and their minimum, maximum
   and average length: with the other partition's turn known, the difference
   is the cost of the switches, and max - min is the scheduling jitter. */
#include "guest.h"

#define WINDOW 4000000ull
#define GAP_THRESHOLD 1000ull

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

int guest_main(void) {
    uint64_t gaps = 0, sum = 0, min = ~0ull, max = 0;
    uint64_t previous = rdtsc();
    const uint64_t deadline = previous + WINDOW;
    while (previous < deadline) {
        const uint64_t now = rdtsc();
        const uint64_t gap = now - previous;
        if (gap > GAP_THRESHOLD) {
            ++gaps;
            sum += gap;
            if (gap < min) min = gap;
            if (gap > max) max = gap;
        }
        previous = now;
    }
    print("slices: gaps=");
    print_dec(gaps);
    print(" min=");
    print_dec(gaps ? min : 0);
    print(" max=");
    print_dec(max);
    print(" avg=");
    print_dec(gaps ? sum / gaps : 0);
    print("\n");
    return 0;
}
