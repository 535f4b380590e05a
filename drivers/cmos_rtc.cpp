#include "drivers/cmos_rtc.hpp"

#include "arch/x86_64/cmos_rtc.hpp"
#include "arch/x86_64/cpu.hpp"
#include "vmm/virtual_rtc.hpp"

namespace bulkhead {

namespace {

using namespace x86::cmos;

// Update-in-progress stays set for at most about 2 ms a second (244 us of
// warning, then an update of up to 1984 us). Each poll is an index write and
// a data read on the LPC bus, about a microsecond each on real hardware and
// slower under an emulator, so this many polls wait well over 2 ms there,
// yet end in a fraction of a second when no RTC answers.
constexpr uint32_t kUpdatePollLimit = 20'000;

// Two readings in a row differ only when a second ticked between them; a
// clock that never gives two equal readings in this many tries is broken.
constexpr unsigned kReadingAttempts = 5;

// The index is written with bit 7 (the NMI mask) clear, as Linux and
// coreboot do. That bit is a write-only latch in the chipset: there is no
// way to read the previous setting back and restore it, so writing it set
// (as SeaBIOS does around each access) would leave legacy NMIs (SERR#,
// IOCHK#) masked for the rest of the run. Firmware masks them to keep an NMI
// handler's own CMOS access from moving the index between the two accesses;
// the hypervisor's NMI handler never touches the RTC, so it need not.
uint8_t read_register(uint8_t reg) {
    x86::out8(kIndexPort, static_cast<uint8_t>(reg & kIndexRegisterMask));
    return x86::in8(kDataPort);
}

bool wait_while_updating() {
    for (uint32_t i = 0; i < kUpdatePollLimit; ++i) {
        if ((read_register(kStatusA) & kStatusAUpdateInProgress) == 0) return true;
        x86::pause();
    }
    return false;
}

// One reading of every clock register. Once update-in-progress reads 0 the
// next update is at least 244 us away: ample time for these nine reads.
bool read_clock(rtc::ClockRegisters& clock) {
    if (!wait_while_updating()) return false;
    clock.seconds = read_register(kSeconds);
    clock.minutes = read_register(kMinutes);
    clock.hours = read_register(kHours);
    clock.day_of_week = read_register(kDayOfWeek);
    clock.day_of_month = read_register(kDayOfMonth);
    clock.month = read_register(kMonth);
    clock.year = read_register(kYear);
    clock.century = read_register(kCentury);
    clock.status_b = read_register(kStatusB);
    return true;
}

}  // namespace

bool read_host_rtc(uint64_t& unix_seconds) {
    rtc::ClockRegisters previous;
    if (!read_clock(previous)) return false;
    for (unsigned attempt = 0; attempt < kReadingAttempts; ++attempt) {
        rtc::ClockRegisters current;
        if (!read_clock(current)) return false;
        if (current == previous) return rtc::decode_clock(current, unix_seconds);
        previous = current;
    }
    return false;
}

}  // namespace bulkhead
