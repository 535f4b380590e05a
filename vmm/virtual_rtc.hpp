// A partition's virtual CMOS real-time clock at ports 0x70 (index) and 0x71
// (data): an MC146818A as Linux's mach_get_cmos_time/mc146818_get_time and
// any firmware-style RTC reader expect it, showing the host's time.
//
// Why it exists: a guest reads the wall-clock time from it once at boot.
// Without it both ports read all-ones, the update-in-progress bit looks
// stuck, and Linux polls it for thousands of VM exits before giving up.
//
// Decisions:
//   - Read-only clock. Writes to the clock registers (0x00-0x09 and the
//     century at 0x32) are ignored: the time is the host's, passed in on
//     every read, and a partition must never change another partition's (or
//     the hypervisor's) time. Xen and ACRN instead keep a per-guest offset
//     that such writes move; a guest here can keep its own offset in software
//     (Linux does, once it has read the RTC). So the clock behaves like an RTC
//     whose battery-backed time cannot be set.
//   - Always updated, never updating: every read of a time register converts
//     the current time afresh, and status A's update-in-progress bit is always
//     0. A reader that reads the seconds before and after the other
//     registers (as Linux does) sees a second boundary between them and
//     simply reads again.
//   - Status B honours the data mode (BCD or binary) and 24/12-hour bits a
//     guest writes, since they only change how the same time is shown. Its
//     other bits read back 0: no interrupt (IRQ 8) is modelled, SET has
//     nothing to stop, and daylight saving would need a time zone.
//     Reset state: BCD, 24-hour, as firmware leaves a PC's RTC.
//   - Status A reads 0x26 (32.768 kHz time base, 1024 Hz rate, no update in
//     progress), C reads 0 (no interrupt flags), D reads VRT (battery good).
//     Writes to A, C and D are ignored. The alarms read 0.
//   - The index port is write-only, as on ICH/PCH chipsets (without their
//     "alternate access mode"), QEMU and Bochs: reading it returns 0xff.
//     Its bit 7, the NMI mask, is kept (nmi_disabled()) but masks nothing: a
//     partition has no legacy NMI sources.
//   - CMOS RAM 0x0e-0x7f (except the century) is plain per-partition memory,
//     zero after reset: a guest can keep bytes there for its own lifetime
//     (Linux writes the warm-reset code at 0x0f when it starts CPUs), and
//     nothing is shared between partitions.
//
// The date arithmetic and the register encoding live here too, as pure
// functions, so that the host driver (drivers/cmos_rtc.cpp) decodes the
// machine's RTC with the very code the tests check.
//
// Pure code (no hardware, no heap): tests/unit/test_virtual_rtc.cpp.
#pragma once

#include <stdint.h>

#include "arch/x86_64/cmos_rtc.hpp"

namespace bulkhead::rtc {

// ---- dates ---------------------------------------------------------------------

// The years the conversions cover: from the Unix epoch to the last year a
// two-digit RTC year with a century of 19, 20 or 21 can show.
inline constexpr uint16_t kFirstYear = 1970;
inline constexpr uint16_t kLastYear = 2199;

// A moment in UTC as a calendar shows it (proleptic Gregorian calendar).
struct DateTime {
    uint16_t year = kFirstYear;   // all four digits
    uint8_t month = 1;            // 1-12
    uint8_t day = 1;              // 1-31
    uint8_t hour = 0;             // 0-23
    uint8_t minute = 0;           // 0-59
    uint8_t second = 0;           // 0-59 (an RTC has no leap seconds)
    uint8_t weekday = 4;          // 0 = Sunday ... 6 = Saturday; 1970-01-01 was a Thursday

    bool operator==(const DateTime&) const = default;
};

bool is_leap_year(uint32_t year);
uint8_t days_in_month(uint32_t year, uint8_t month);   // 0 for a month outside 1-12

// The calendar date of a Unix time. Times after the end of kLastYear give
// its last second: the clock stops at the end of its range.
DateTime date_time_from_unix(uint64_t unix_seconds);

// True when every field is in range, the day exists in its month, and the
// year lies in kFirstYear..kLastYear. The weekday is not checked.
bool date_time_valid(const DateTime& date_time);

// The Unix time of a valid DateTime (its weekday is ignored).
uint64_t unix_from_date_time(const DateTime& date_time);

// ---- register encoding ---------------------------------------------------------

// Binary 0-99 to two BCD digits (values above 99 keep their last two digits).
uint8_t to_bcd(uint8_t binary);
// False, leaving `binary` alone, unless both nibbles are decimal digits.
bool from_bcd(uint8_t bcd, uint8_t& binary);

// The clock registers' raw bytes, in the format `status_b` selects.
struct ClockRegisters {
    uint8_t seconds = 0;
    uint8_t minutes = 0;
    uint8_t hours = 0;          // 12-hour mode: 1-12, with x86::cmos::kHoursPm
    uint8_t day_of_week = 0;    // 1 = Sunday ... 7
    uint8_t day_of_month = 0;
    uint8_t month = 0;
    uint8_t year = 0;           // two digits
    uint8_t century = 0;        // register 0x32
    uint8_t status_b = 0;       // only its data mode and 24/12-hour bits matter here

    bool operator==(const ClockRegisters&) const = default;
};

// What an RTC showing `unix_seconds` holds in its clock registers.
ClockRegisters encode_clock(uint64_t unix_seconds, uint8_t status_b);

// The Unix time a set of clock registers shows, decoded as status B says.
// The century counts when it is 19, 20 or 21; anything else (firmware that
// never set it, or an RTC without one) means 20xx. False, leaving
// `unix_seconds` alone, for bytes no running clock holds: a non-decimal BCD
// digit, a field out of range, a date that does not exist or lies outside
// kFirstYear..kLastYear (an absent RTC reads 0xff everywhere). The day of
// the week is ignored: it is only as right as whoever last set it.
bool decode_clock(const ClockRegisters& raw, uint64_t& unix_seconds);

}  // namespace bulkhead::rtc

namespace bulkhead {

class VirtualRtc {
public:
    static constexpr uint16_t kIndexPort = x86::cmos::kIndexPort;
    static constexpr uint16_t kDataPort = x86::cmos::kDataPort;

    // What reading the (write-only) index port returns.
    static constexpr uint8_t kIndexReadValue = 0xff;
    // Status A: no update in progress, the 32.768 kHz time base, 1024 Hz.
    static constexpr uint8_t kStatusAValue = x86::cmos::kStatusADivider32kHz | x86::cmos::kStatusARate1024Hz;
    // Status B after reset: BCD, 24-hour, no interrupts, no daylight saving.
    static constexpr uint8_t kStatusBResetValue = x86::cmos::kStatusB24Hour;
    // The status B bits a guest may change.
    static constexpr uint8_t kStatusBWritable = x86::cmos::kStatusBBinary | x86::cmos::kStatusB24Hour;
    // Status D: the battery kept the RAM and the time valid.
    static constexpr uint8_t kStatusDValue = x86::cmos::kStatusDValidRamAndTime;

    static bool owns(uint16_t port) { return port == kIndexPort || port == kDataPort; }

    // The guest's IN and OUT on 0x70 or 0x71. `unix_seconds_now` is the
    // host's current time (UTC); reads have no side effects.
    uint8_t read(uint16_t port, uint64_t unix_seconds_now);
    void write(uint16_t port, uint8_t value);

    // Power-on state: register 0 selected, NMI mask clear, BCD 24-hour
    // status B, CMOS RAM all zero.
    void reset();

    uint8_t selected_register() const { return index_; }
    bool nmi_disabled() const { return nmi_disabled_; }

private:
    static bool is_clock_register(uint8_t reg);
    uint8_t read_register(uint8_t reg, uint64_t unix_seconds_now) const;
    uint8_t read_clock_register(uint8_t reg, uint64_t unix_seconds_now) const;
    void write_register(uint8_t reg, uint8_t value);

    static constexpr unsigned kRamSize = x86::cmos::kRegisterCount - x86::cmos::kFirstRamRegister;

    uint8_t ram_[kRamSize] = {};   // registers 0x0e-0x7f; ram_[0] is register 0x0e
    uint8_t index_ = 0;            // bits 6:0 of the last index write
    uint8_t status_b_ = kStatusBResetValue;
    bool nmi_disabled_ = false;    // bit 7 of the last index write
};

}  // namespace bulkhead
