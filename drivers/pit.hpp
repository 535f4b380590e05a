// The 8254 programmable interval timer, used once at boot as a known clock
// to measure the TSC's frequency (channel 2, the one wired to the PC speaker
// gate, whose output can be polled without interrupts).
#pragma once

#include <stdint.h>

namespace bulkhead {

inline constexpr uint32_t kPitFrequencyHz = 1'193'182;

// Counts `ticks` PIT ticks on channel 2 and returns the TSC ticks that passed,
// or 0 if the PIT never finished (no PIT: some UEFI-only machines).
uint64_t pit_measure_tsc(uint16_t ticks);

}  // namespace bulkhead
