#include "drivers/pit.hpp"

#include "arch/x86_64/cpu.hpp"

namespace bulkhead {

namespace {

constexpr uint16_t kChannel2Data = 0x42;
constexpr uint16_t kCommand = 0x43;
constexpr uint16_t kSpeakerControl = 0x61;          // NMI status and speaker control port
constexpr uint8_t kGate2 = 1u << 0;                 // channel 2 counts while this is 1
constexpr uint8_t kSpeakerData = 1u << 1;           // keep the speaker silent
constexpr uint8_t kOut2 = 1u << 5;                  // channel 2's output, readable here
// Channel 2, low byte then high byte, mode 0 (interrupt on terminal count):
// OUT2 goes high when the count reaches zero.
constexpr uint8_t kChannel2OneShot = 0xb0;
constexpr uint8_t kByteMask = 0xff;
constexpr unsigned kByteShift = 8;
// Far more polls than any PIT needs for 10 ms, even in a slow emulator.
constexpr uint32_t kPollLimit = 50'000'000;

}  // namespace

uint64_t pit_measure_tsc(uint16_t ticks) {
    const uint8_t control = x86::in8(kSpeakerControl);
    x86::out8(kSpeakerControl, static_cast<uint8_t>((control & ~kSpeakerData) | kGate2));
    x86::out8(kCommand, kChannel2OneShot);
    x86::out8(kChannel2Data, static_cast<uint8_t>(ticks & kByteMask));
    x86::out8(kChannel2Data, static_cast<uint8_t>(ticks >> kByteShift));
    const uint64_t start = x86::read_tsc();
    for (uint32_t i = 0; i < kPollLimit; ++i) {
        if (x86::in8(kSpeakerControl) & kOut2) {
            const uint64_t elapsed = x86::read_tsc() - start;
            x86::out8(kSpeakerControl, control);
            return elapsed;
        }
    }
    x86::out8(kSpeakerControl, control);
    return 0;
}

}  // namespace bulkhead
