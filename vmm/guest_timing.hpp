// The clocks a partition is told about. The TSC is passed through, so its
// rate is the host's measured one (kernel/tsc.cpp). CPUID leaf 0x15 states it
// as a "crystal" frequency in Hz times a ratio, and the virtual local APIC
// timer runs on that crystal (vmm/virtual_lapic.hpp): a guest that reads
// leaf 0x15, as Linux does, knows both clocks without calibrating anything.
//
// Leaf 0x15's ECX holds the crystal in Hz in 32 bits, so a TSC above
// 4.29 GHz is described as a crystal of TSC / ratio with ratio 2 or more.
#pragma once

#include <stdint.h>

namespace bulkhead {

inline constexpr uint64_t kMaxCrystalHz = 0xffffffff;

// TSC ticks per crystal (and APIC timer input) tick: the smallest ratio that
// makes the crystal fit leaf 0x15.
constexpr uint32_t crystal_ratio(uint64_t tsc_hz) {
    uint32_t ratio = 1;
    while (tsc_hz / ratio > kMaxCrystalHz) ++ratio;
    return ratio;
}

constexpr uint32_t crystal_hz(uint64_t tsc_hz) { return static_cast<uint32_t>(tsc_hz / crystal_ratio(tsc_hz)); }

static_assert(crystal_ratio(4'000'000) == 1 && crystal_hz(4'000'000) == 4'000'000);
static_assert(crystal_ratio(5'000'000'000) == 2 && crystal_hz(5'000'000'000) == 2'500'000'000);

}  // namespace bulkhead
