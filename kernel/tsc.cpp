#include "kernel/tsc.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"
#include "drivers/pit.hpp"
#include "kernel/log.hpp"

namespace bulkhead {

namespace {

namespace bits = x86::cpuid_bits;

constexpr uint64_t kMicrosecondsPerSecond = 1'000'000;
constexpr uint64_t kHzPerMhz = 1'000'000;
constexpr uint64_t kHzPerKhz = 1'000;
constexpr uint32_t kCalibrationMicroseconds = 10'000;
constexpr uint16_t kCalibrationPitTicks =
    static_cast<uint16_t>(uint64_t{kPitFrequencyHz} * kCalibrationMicroseconds / kMicrosecondsPerSecond);
// Used only when nothing else answers; said so on the console.
constexpr uint64_t kFallbackHz = 1'000'000'000;

uint64_t g_tsc_hz = kFallbackHz;

// CPUID 0x15: TSC = crystal * EBX / EAX, when the CPU fills in all three.
uint64_t from_cpuid_crystal(uint32_t max_leaf) {
    if (max_leaf < bits::kLeafTscCrystal) return 0;
    const x86::CpuidResult r = x86::cpuid(bits::kLeafTscCrystal);
    if (r.eax == 0 || r.ebx == 0 || r.ecx == 0) return 0;
    return uint64_t{r.ecx} * r.ebx / r.eax;
}

uint64_t from_cpuid_base_frequency(uint32_t max_leaf) {
    if (max_leaf < bits::kLeafProcessorFrequency) return 0;
    return uint64_t{x86::cpuid(bits::kLeafProcessorFrequency).eax} * kHzPerMhz;
}

}  // namespace

void tsc_init() {
    const uint32_t max_leaf = x86::cpuid(bits::kLeafVendor).eax;
    const char* source = "CPUID leaf 0x15";
    uint64_t hz = from_cpuid_crystal(max_leaf);
    if (hz == 0) {
        source = "a 10 ms PIT measurement";
        hz = pit_measure_tsc(kCalibrationPitTicks) * (kMicrosecondsPerSecond / kCalibrationMicroseconds);
    }
    if (hz == 0) {
        source = "CPUID leaf 0x16 (base frequency)";
        hz = from_cpuid_base_frequency(max_leaf);
    }
    if (hz == 0) {
        source = "nothing: assumed";
        hz = kFallbackHz;
    }
    g_tsc_hz = hz;
    log_info("tsc: %lu.%03lu MHz (from %s)", hz / kHzPerMhz, hz % kHzPerMhz / kHzPerKhz, source);
}

uint64_t tsc_hz() { return g_tsc_hz; }

// Split so that neither product can overflow for any run limit we accept.
uint64_t microseconds_to_tsc(uint64_t microseconds) {
    const uint64_t whole_mhz = g_tsc_hz / kMicrosecondsPerSecond;
    const uint64_t rest_hz = g_tsc_hz % kMicrosecondsPerSecond;
    return whole_mhz * microseconds + rest_hz * microseconds / kMicrosecondsPerSecond;
}

}  // namespace bulkhead

namespace bulkhead {

uint64_t tsc_to_microseconds(uint64_t ticks) {
    const uint64_t ticks_per_us = g_tsc_hz / kMicrosecondsPerSecond;
    return ticks_per_us == 0 ? ticks * kMicrosecondsPerSecond / g_tsc_hz : ticks / ticks_per_us;
}

}  // namespace bulkhead
