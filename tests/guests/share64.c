/* Measures the share of its CPU this partition gets: it counts units of work
   done during a fixed window of time (WINDOW TSC ticks from its first
   instruction) and reports the count. Partitions sharing a CPU compare
   their counts; with weights 1 and 3, the counts split 1:3. */
#include "guest.h"

#define WINDOW 8000000ull

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

int guest_main(void) {
    volatile uint64_t x = 1;
    uint64_t units = 0;
    const uint64_t deadline = rdtsc() + WINDOW;
    while (rdtsc() < deadline) {
        x = x * 3 + 1;
        ++units;
    }
    print("share: units=");
    print_dec(units);
    print("\n");
    return 0;
}
