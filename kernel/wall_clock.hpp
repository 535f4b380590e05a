// The date and time, for partitions' virtual RTCs: the machine's own RTC is
// read once at boot, and the TSC counts the seconds since. (The hypervisor
// itself never needs the date; only guests ask for it.)
#pragma once

#include <stdint.h>

namespace bulkhead {

// After tsc_init(): reads the host RTC and says what it found. Without a
// usable RTC the clock starts at the Unix epoch, and the console says so.
void wall_clock_init();

// Seconds since 1970-01-01 00:00:00 UTC (the host RTC is taken to keep UTC).
uint64_t wall_clock_unix_seconds();

}  // namespace bulkhead
