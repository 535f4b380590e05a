/* A fixed amount of work, timed with the TSC: the partition reports when it
   started and finished and how long the work took. Two of these sharing a
   CPU each take about twice as long as one alone; one on another CPU runs at
   the same time as the others (its interval overlaps theirs). */
#include "guest.h"

#define ITERATIONS 300000u

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence\n rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

int guest_main(void) {
    volatile uint64_t x = 1;
    const uint64_t start = rdtsc();
    for (unsigned i = 0; i < ITERATIONS; ++i) x = x * 3 + 1;
    const uint64_t end = rdtsc();
    print("work: start=");
    print_dec(start);
    print(" end=");
    print_dec(end);
    print(" elapsed=");
    print_dec(end - start);
    print("\n");
    return 0;
}
