// The TSC's frequency: the hypervisor's clock for time slices and run limits.
#pragma once

#include <stdint.h>

namespace bulkhead {

// Finds the TSC frequency (CPUID leaf 0x15 where the CPU states it, else a
// 10 ms measurement against the PIT, else CPUID leaf 0x16's base frequency)
// and prints it with its source.
void tsc_init();

uint64_t tsc_hz();
uint64_t microseconds_to_tsc(uint64_t microseconds);
uint64_t tsc_to_microseconds(uint64_t ticks);

}  // namespace bulkhead
