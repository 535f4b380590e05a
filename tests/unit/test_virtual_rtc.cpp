// The partition's virtual CMOS RTC and the date arithmetic behind it: known
// dates convert both ways, every day from 1970 to 2199 follows the one
// before, the registers show the time as BCD (or binary, 12-hour) exactly as
// status B says, the clock cannot be set, CMOS RAM is the partition's own,
// and Linux's mc146818_get_time, replayed register by register, reads back
// the time the hypervisor passed in. The host driver's decode step
// (rtc::decode_clock) is checked here too: only its port reads are not.
#include <catch2/catch.hpp>

#include <vector>

#include "vmm/virtual_rtc.hpp"

using namespace bulkhead;
using rtc::DateTime;

namespace {

constexpr uint64_t kDay = 86'400;

// Known moments (cross-checked with Python's calendar.timegm and strftime).
struct KnownDate {
    uint64_t unix_seconds;
    DateTime date_time;
};
const KnownDate kKnownDates[] = {
    {0, {1970, 1, 1, 0, 0, 0, 4}},                      // the epoch, a Thursday
    {946'684'799, {1999, 12, 31, 23, 59, 59, 5}},       // a Friday
    {951'782'400, {2000, 2, 29, 0, 0, 0, 2}},           // 2000 is a leap year (divisible by 400)
    {951'827'696, {2000, 2, 29, 12, 34, 56, 2}},
    {1'689'347'045, {2023, 7, 14, 15, 4, 5, 5}},        // a Friday
    {1'735'689'599, {2024, 12, 31, 23, 59, 59, 2}},     // the last second of a leap year, a Tuesday
    {4'107'542'399, {2100, 2, 28, 23, 59, 59, 0}},      // 2100 is not a leap year...
    {4'107'542'400, {2100, 3, 1, 0, 0, 0, 1}},          // ...so March follows February 28th, a Monday
    {7'258'118'399, {2199, 12, 31, 23, 59, 59, 2}},     // the last second covered
};

// The day after `d`, by the calendar's rules alone (no arithmetic on days
// since the epoch): the independent check for the conversion.
DateTime next_day(DateTime d) {
    d.weekday = static_cast<uint8_t>((d.weekday + 1) % 7);
    if (d.day < rtc::days_in_month(d.year, d.month)) {
        ++d.day;
    } else if (d.month < 12) {
        ++d.month;
        d.day = 1;
    } else {
        ++d.year;
        d.month = 1;
        d.day = 1;
    }
    return d;
}

// What the guest does: select a register, read it.
uint8_t cmos_read(VirtualRtc& rtc, uint8_t reg, uint64_t now) {
    rtc.write(VirtualRtc::kIndexPort, reg);
    return rtc.read(VirtualRtc::kDataPort, now);
}
void cmos_write(VirtualRtc& rtc, uint8_t reg, uint8_t value) {
    rtc.write(VirtualRtc::kIndexPort, reg);
    rtc.write(VirtualRtc::kDataPort, value);
}

constexpr uint64_t k20230714_150405 = 1'689'347'045;   // Friday 2023-07-14 15:04:05 UTC

}  // namespace

// ---- date arithmetic ---------------------------------------------------------------

TEST_CASE("RTC dates: known dates convert both ways, weekday included") {
    for (const KnownDate& known : kKnownDates) {
        INFO("unix " << known.unix_seconds);
        CHECK(rtc::date_time_from_unix(known.unix_seconds) == known.date_time);
        CHECK(rtc::date_time_valid(known.date_time));
        CHECK(rtc::unix_from_date_time(known.date_time) == known.unix_seconds);
    }
}

TEST_CASE("RTC dates: every day from 1970 to 2199 follows the day before") {
    DateTime expected = rtc::date_time_from_unix(0);
    uint64_t mismatches = 0, first_mismatch = 0, days = 0;
    for (uint64_t t = 0; t <= 7'258'118'399; t += kDay, ++days) {
        const DateTime got = rtc::date_time_from_unix(t);
        if (!(got == expected) || rtc::unix_from_date_time(got) != t) {
            if (mismatches++ == 0) first_mismatch = t;
        }
        expected = next_day(expected);
    }
    INFO("first mismatch at unix " << first_mismatch);
    CHECK(mismatches == 0);
    CHECK(days == 84'006);   // 230 years, 56 of them leap years
}

TEST_CASE("RTC dates: seconds within a day and round trips at odd times") {
    uint64_t failures = 0;
    for (uint64_t t = 0; t < 7'258'118'399; t += 7 * kDay + 3'601 + 17) {
        const DateTime d = rtc::date_time_from_unix(t);
        if (!rtc::date_time_valid(d) || rtc::unix_from_date_time(d) != t) ++failures;
    }
    CHECK(failures == 0);
    CHECK(rtc::date_time_from_unix(kDay - 1) == DateTime{1970, 1, 1, 23, 59, 59, 4});
    CHECK(rtc::date_time_from_unix(kDay) == DateTime{1970, 1, 2, 0, 0, 0, 5});
}

TEST_CASE("RTC dates: leap years and month lengths follow the Gregorian rule") {
    CHECK(rtc::is_leap_year(1972));
    CHECK(rtc::is_leap_year(2000));
    CHECK(rtc::is_leap_year(2024));
    CHECK_FALSE(rtc::is_leap_year(1900));
    CHECK_FALSE(rtc::is_leap_year(2023));
    CHECK_FALSE(rtc::is_leap_year(2100));
    CHECK(rtc::days_in_month(2024, 2) == 29);
    CHECK(rtc::days_in_month(2100, 2) == 28);
    CHECK(rtc::days_in_month(2023, 4) == 30);
    CHECK(rtc::days_in_month(2023, 12) == 31);
    CHECK(rtc::days_in_month(2023, 0) == 0);
    CHECK(rtc::days_in_month(2023, 13) == 0);
}

TEST_CASE("RTC dates: impossible dates and years outside 1970-2199 are not valid") {
    CHECK_FALSE(rtc::date_time_valid({2023, 2, 29, 0, 0, 0, 0}));
    CHECK_FALSE(rtc::date_time_valid({2100, 2, 29, 0, 0, 0, 0}));
    CHECK(rtc::date_time_valid({2000, 2, 29, 0, 0, 0, 0}));
    CHECK_FALSE(rtc::date_time_valid({2023, 4, 31, 0, 0, 0, 0}));
    CHECK_FALSE(rtc::date_time_valid({2023, 0, 1, 0, 0, 0, 0}));
    CHECK_FALSE(rtc::date_time_valid({2023, 13, 1, 0, 0, 0, 0}));
    CHECK_FALSE(rtc::date_time_valid({2023, 1, 0, 0, 0, 0, 0}));
    CHECK_FALSE(rtc::date_time_valid({2023, 1, 1, 24, 0, 0, 0}));
    CHECK_FALSE(rtc::date_time_valid({2023, 1, 1, 0, 60, 0, 0}));
    CHECK_FALSE(rtc::date_time_valid({2023, 1, 1, 0, 0, 60, 0}));
    CHECK_FALSE(rtc::date_time_valid({1969, 12, 31, 23, 59, 59, 0}));
    CHECK_FALSE(rtc::date_time_valid({2200, 1, 1, 0, 0, 0, 0}));
}

TEST_CASE("RTC dates: a time past 2199 shows the last second of 2199") {
    const DateTime last{2199, 12, 31, 23, 59, 59, 2};
    CHECK(rtc::date_time_from_unix(7'258'118'400) == last);
    CHECK(rtc::date_time_from_unix(UINT64_MAX) == last);
}

TEST_CASE("RTC BCD: two digits per byte; non-decimal nibbles rejected") {
    CHECK(rtc::to_bcd(0) == 0x00);
    CHECK(rtc::to_bcd(9) == 0x09);
    CHECK(rtc::to_bcd(10) == 0x10);
    CHECK(rtc::to_bcd(59) == 0x59);
    CHECK(rtc::to_bcd(99) == 0x99);
    CHECK(rtc::to_bcd(123) == 0x23);
    uint8_t value = 77;
    CHECK(rtc::from_bcd(0x59, value));
    CHECK(value == 59);
    CHECK_FALSE(rtc::from_bcd(0x5a, value));
    CHECK_FALSE(rtc::from_bcd(0xa5, value));
    CHECK_FALSE(rtc::from_bcd(0xff, value));
    CHECK(value == 59);   // untouched by the failures
    for (unsigned v = 0; v < 100; ++v) {
        REQUIRE(rtc::from_bcd(rtc::to_bcd(static_cast<uint8_t>(v)), value));
        REQUIRE(value == v);
    }
}

// ---- the device -----------------------------------------------------------------------

TEST_CASE("virtual RTC: owns exactly ports 0x70 and 0x71") {
    CHECK_FALSE(VirtualRtc::owns(0x6f));
    CHECK(VirtualRtc::owns(0x70));
    CHECK(VirtualRtc::owns(0x71));
    CHECK_FALSE(VirtualRtc::owns(0x72));
    CHECK_FALSE(VirtualRtc::owns(0x80));
}

TEST_CASE("virtual RTC: the time registers show the given time in BCD") {
    VirtualRtc rtc;
    const uint64_t now = k20230714_150405;
    CHECK(cmos_read(rtc, 0x00, now) == 0x05);   // seconds
    CHECK(cmos_read(rtc, 0x02, now) == 0x04);   // minutes
    CHECK(cmos_read(rtc, 0x04, now) == 0x15);   // hours, 24-hour
    CHECK(cmos_read(rtc, 0x06, now) == 0x06);   // Friday (1 = Sunday)
    CHECK(cmos_read(rtc, 0x07, now) == 0x14);   // day of month
    CHECK(cmos_read(rtc, 0x08, now) == 0x07);   // July
    CHECK(cmos_read(rtc, 0x09, now) == 0x23);   // year
    CHECK(cmos_read(rtc, 0x32, now) == 0x20);   // century
    CHECK(cmos_read(rtc, 0x01, now) == 0x00);   // the alarms
    CHECK(cmos_read(rtc, 0x03, now) == 0x00);
    CHECK(cmos_read(rtc, 0x05, now) == 0x00);
    // Each read converts the time it is given.
    CHECK(cmos_read(rtc, 0x00, now + 54) == 0x59);
    CHECK(cmos_read(rtc, 0x02, now + 55) == 0x05);
    CHECK(cmos_read(rtc, 0x06, 0) == 0x05);     // 1970-01-01: Thursday
    CHECK(cmos_read(rtc, 0x32, 4'107'542'400) == 0x21);
    CHECK(cmos_read(rtc, 0x09, 4'107'542'400) == 0x00);
}

TEST_CASE("virtual RTC: the status registers read what Linux expects") {
    VirtualRtc rtc;
    const uint8_t a = cmos_read(rtc, 0x0a, k20230714_150405);
    CHECK(a == 0x26);
    CHECK((a & x86::cmos::kStatusAUpdateInProgress) == 0);
    CHECK((a & x86::cmos::kStatusADividerMask) == x86::cmos::kStatusADivider32kHz);
    CHECK((a & x86::cmos::kStatusARateMask) == x86::cmos::kStatusARate1024Hz);
    CHECK(cmos_read(rtc, 0x0b, 0) == 0x02);   // 24-hour, BCD, no interrupts, no daylight saving
    CHECK(cmos_read(rtc, 0x0c, 0) == 0x00);   // no interrupt flags
    CHECK(cmos_read(rtc, 0x0d, 0) == 0x80);   // VRT
    // Update-in-progress never shows, whatever the time.
    for (uint64_t t = k20230714_150405; t < k20230714_150405 + 5; ++t)
        CHECK((cmos_read(rtc, 0x0a, t) & 0x80) == 0);
}

TEST_CASE("virtual RTC: status B selects binary and 12-hour, and keeps nothing else") {
    VirtualRtc rtc;
    const uint64_t afternoon = k20230714_150405;            // 15:04:05
    const uint64_t midnight = 1'689'292'800 + 30 * 60;      // 2023-07-14 00:30:00
    const uint64_t noon = 1'689'292'800 + 12 * 3'600;       // 2023-07-14 12:00:00

    cmos_write(rtc, 0x0b, 0x06);   // binary, 24-hour
    CHECK(cmos_read(rtc, 0x0b, 0) == 0x06);
    CHECK(cmos_read(rtc, 0x04, afternoon) == 15);
    CHECK(cmos_read(rtc, 0x07, afternoon) == 14);
    CHECK(cmos_read(rtc, 0x09, afternoon) == 23);
    CHECK(cmos_read(rtc, 0x32, afternoon) == 20);

    cmos_write(rtc, 0x0b, 0x00);   // BCD, 12-hour
    CHECK(cmos_read(rtc, 0x04, afternoon) == 0x83);   // 3 PM
    CHECK(cmos_read(rtc, 0x04, midnight) == 0x12);    // 12 AM
    CHECK(cmos_read(rtc, 0x04, noon) == 0x92);        // 12 PM

    cmos_write(rtc, 0x0b, 0x04);   // binary, 12-hour
    CHECK(cmos_read(rtc, 0x04, afternoon) == (0x80 | 3));
    CHECK(cmos_read(rtc, 0x04, midnight) == 12);

    cmos_write(rtc, 0x0b, 0xff);   // SET, interrupts, square wave, DST: not modelled
    CHECK(cmos_read(rtc, 0x0b, 0) == 0x06);
}

TEST_CASE("virtual RTC: writes to the clock and to status A, C and D change nothing") {
    VirtualRtc rtc;
    const uint64_t now = k20230714_150405;
    for (uint8_t reg = 0x00; reg <= 0x09; ++reg) cmos_write(rtc, reg, 0x42);
    cmos_write(rtc, 0x32, 0x19);
    cmos_write(rtc, 0x0a, 0x70);   // divider reset
    cmos_write(rtc, 0x0c, 0xff);
    cmos_write(rtc, 0x0d, 0x00);
    CHECK(cmos_read(rtc, 0x00, now) == 0x05);
    CHECK(cmos_read(rtc, 0x01, now) == 0x00);
    CHECK(cmos_read(rtc, 0x04, now) == 0x15);
    CHECK(cmos_read(rtc, 0x09, now) == 0x23);
    CHECK(cmos_read(rtc, 0x32, now) == 0x20);
    CHECK(cmos_read(rtc, 0x0a, now) == 0x26);
    CHECK(cmos_read(rtc, 0x0c, now) == 0x00);
    CHECK(cmos_read(rtc, 0x0d, now) == 0x80);
}

TEST_CASE("virtual RTC: CMOS RAM 0x0e-0x7f keeps what the partition writes, and only its own") {
    VirtualRtc rtc, other;
    for (unsigned reg = 0x0e; reg < 0x80; ++reg)
        cmos_write(rtc, static_cast<uint8_t>(reg), static_cast<uint8_t>(reg ^ 0xa5));
    for (unsigned reg = 0x0e; reg < 0x80; ++reg) {
        if (reg == 0x32) continue;   // the century is a clock register
        INFO("register " << reg);
        CHECK(cmos_read(rtc, static_cast<uint8_t>(reg), 0) == (reg ^ 0xa5));
        CHECK(cmos_read(other, static_cast<uint8_t>(reg), 0) == 0);
    }
    CHECK(cmos_read(rtc, 0x32, 0) == 0x19);
}

TEST_CASE("virtual RTC: the index port's bit 7 is the NMI mask, not part of the register; the port reads 0xff") {
    VirtualRtc rtc;
    rtc.write(0x70, 0x8a);   // NMI masked, status A
    CHECK(rtc.nmi_disabled());
    CHECK(rtc.selected_register() == 0x0a);
    CHECK(rtc.read(0x71, 0) == 0x26);
    CHECK(rtc.read(0x70, 0) == 0xff);
    rtc.write(0x70, 0x0d);
    CHECK_FALSE(rtc.nmi_disabled());
    CHECK(rtc.read(0x71, 0) == 0x80);
    rtc.write(0x70, 0xff);   // register 0x7f, the last RAM byte
    rtc.write(0x71, 0x5c);
    CHECK(rtc.selected_register() == 0x7f);
    rtc.write(0x70, 0x7f);
    CHECK(rtc.read(0x71, 0) == 0x5c);
}

TEST_CASE("virtual RTC: reset returns to the power-on state") {
    VirtualRtc rtc;
    cmos_write(rtc, 0x40, 0x99);
    cmos_write(rtc, 0x0b, 0x04);
    rtc.write(0x70, 0x8f);
    rtc.reset();
    CHECK(rtc.selected_register() == 0);
    CHECK_FALSE(rtc.nmi_disabled());
    CHECK(cmos_read(rtc, 0x40, 0) == 0);
    CHECK(cmos_read(rtc, 0x0b, 0) == 0x02);
    CHECK(cmos_read(rtc, 0x04, k20230714_150405) == 0x15);
}

// ---- Linux's reader, replayed -------------------------------------------------------

namespace {

// A guest's view: every access is one VM exit, and the host's clock may
// move on after a given number of them.
struct Guest {
    VirtualRtc rtc;
    uint64_t now = 0;
    unsigned exits = 0;
    unsigned tick_after_exits = ~0u;   // the clock advances one second after this many exits

    uint8_t cmos_read(uint8_t reg) {
        exit();
        rtc.write(0x70, reg);
        exit();
        return rtc.read(0x71, now);
    }
    void exit() {
        if (++exits == tick_after_exits) ++now;
    }
};

struct LinuxTime {
    int sec, min, hour, mday, mon, year;   // struct rtc_time: months from 0, years from 1900
};

int bcd2bin(int bcd) { return (bcd & 0x0f) + (bcd >> 4) * 10; }

// drivers/rtc/rtc-mc146818-lib.c (Linux 6.1): mc146818_avoid_UIP with
// mc146818_get_time_callback, then mc146818_get_time's decoding, with the
// ACPI FADT offering no century register. Returns the attempts it took, 0
// when it gave up ("Unable to read current time from RTC").
unsigned linux_get_time(Guest& guest, LinuxTime& time) {
    constexpr uint8_t kUip = 0x80, kDmBinary = 0x04;
    unsigned char ctrl = 0;
    for (unsigned attempt = 1; attempt <= 10; ++attempt) {
        const unsigned char seconds = guest.cmos_read(0x00);
        if (guest.cmos_read(0x0a) & kUip) continue;          // (Linux waits 1 ms here)
        if (seconds != guest.cmos_read(0x00)) continue;
        time.sec = seconds;
        time.min = guest.cmos_read(0x02);
        time.hour = guest.cmos_read(0x04);
        time.mday = guest.cmos_read(0x07);
        time.mon = guest.cmos_read(0x08);
        time.year = guest.cmos_read(0x09);
        ctrl = guest.cmos_read(0x0b);
        if (guest.cmos_read(0x0a) & kUip) continue;
        if (seconds != guest.cmos_read(0x00)) continue;

        if (!(ctrl & kDmBinary)) {
            time.sec = bcd2bin(time.sec);
            time.min = bcd2bin(time.min);
            time.hour = bcd2bin(time.hour);
            time.mday = bcd2bin(time.mday);
            time.mon = bcd2bin(time.mon);
            time.year = bcd2bin(time.year);
        }
        if (time.year <= 69) time.year += 100;
        time.mon--;
        return attempt;
    }
    return 0;
}

// rtc_tm_to_time64, through the model's own (separately tested) arithmetic.
uint64_t linux_seconds(const LinuxTime& t) {
    DateTime d;
    d.year = static_cast<uint16_t>(t.year + 1900);
    d.month = static_cast<uint8_t>(t.mon + 1);
    d.day = static_cast<uint8_t>(t.mday);
    d.hour = static_cast<uint8_t>(t.hour);
    d.minute = static_cast<uint8_t>(t.min);
    d.second = static_cast<uint8_t>(t.sec);
    REQUIRE(rtc::date_time_valid(d));
    return rtc::unix_from_date_time(d);
}

}  // namespace

TEST_CASE("virtual RTC: Linux's mc146818_get_time reads back the time passed in, at the first attempt") {
    // 2000-02-29 12:34:56, 2023-07-14 15:04:05, 2024-12-31 23:59:59, and
    // 2068-12-30 23:59:59: without a century register Linux reads 00-69 as 20xx.
    const uint64_t times[] = {951'827'696, k20230714_150405, 1'735'689'599, 3'124'137'599};
    for (const uint64_t t : times) {
        INFO("unix " << t);
        Guest guest;
        guest.now = t;
        LinuxTime time{};
        CHECK(linux_get_time(guest, time) == 1);
        CHECK(linux_seconds(time) == t);
        CHECK(guest.exits == 22);   // eleven register reads, two port accesses each
    }
}

TEST_CASE("virtual RTC: Linux in binary mode reads the same time") {
    Guest guest;
    guest.now = k20230714_150405;
    cmos_write(guest.rtc, 0x0b, 0x06);
    LinuxTime time{};
    CHECK(linux_get_time(guest, time) == 1);
    CHECK(linux_seconds(time) == k20230714_150405);
}

TEST_CASE("virtual RTC: a second boundary during Linux's read costs one attempt, never a torn time") {
    // 2024-12-31 23:59:59 rolls over to 2025-01-01 00:00:00 at each point in
    // the sequence: whatever it tears, Linux sees the seconds change and reads
    // again.
    for (unsigned tick = 1; tick <= 22; ++tick) {
        INFO("tick after exit " << tick);
        Guest guest;
        guest.now = 1'735'689'599;
        guest.tick_after_exits = tick;
        LinuxTime time{};
        const unsigned attempts = linux_get_time(guest, time);
        CHECK((attempts == 1 || attempts == 2));
        CHECK(linux_seconds(time) == guest.now);   // the time after the tick, whole
    }
}

// ---- the host driver's decoding ----------------------------------------------------

namespace {
rtc::ClockRegisters bcd_registers(uint8_t sec, uint8_t min, uint8_t hour, uint8_t mday, uint8_t mon, uint8_t year,
                                  uint8_t century, uint8_t status_b = 0x02) {
    rtc::ClockRegisters r;
    r.seconds = sec;
    r.minutes = min;
    r.hours = hour;
    r.day_of_week = 1;
    r.day_of_month = mday;
    r.month = mon;
    r.year = year;
    r.century = century;
    r.status_b = status_b;
    return r;
}
}  // namespace

TEST_CASE("RTC decode: BCD 24-hour registers give the Unix time") {
    uint64_t t = 0;
    CHECK(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x15, 0x14, 0x07, 0x23, 0x20), t));
    CHECK(t == k20230714_150405);
    CHECK(rtc::decode_clock(bcd_registers(0x59, 0x59, 0x23, 0x31, 0x12, 0x24, 0x20), t));
    CHECK(t == 1'735'689'599);
    CHECK(rtc::decode_clock(bcd_registers(0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x21), t));
    CHECK(t == 4'107'542'400);
    CHECK(rtc::decode_clock(bcd_registers(0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x19), t));
    CHECK(t == 946'684'799);
}

TEST_CASE("RTC decode: 12-hour and binary modes") {
    uint64_t t = 0;
    CHECK(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x83, 0x14, 0x07, 0x23, 0x20, 0x00), t));   // 3 PM
    CHECK(t == k20230714_150405);
    CHECK(rtc::decode_clock(bcd_registers(0x00, 0x30, 0x12, 0x14, 0x07, 0x23, 0x20, 0x00), t));   // 12:30 AM
    CHECK(t == 1'689'292'800 + 30 * 60);
    CHECK(rtc::decode_clock(bcd_registers(0x00, 0x00, 0x92, 0x14, 0x07, 0x23, 0x20, 0x00), t));   // 12 PM
    CHECK(t == 1'689'292'800 + 12 * 3'600);
    CHECK(rtc::decode_clock(bcd_registers(5, 4, 15, 14, 7, 23, 20, 0x06), t));
    CHECK(t == k20230714_150405);
    CHECK(rtc::decode_clock(bcd_registers(5, 4, 0x80 | 3, 14, 7, 23, 20, 0x04), t));
    CHECK(t == k20230714_150405);
}

TEST_CASE("RTC decode: an implausible century means 20xx") {
    uint64_t t = 0;
    const uint8_t implausible[] = {0x00, 0x18, 0x22, 0x99, 0xff, 0x2a};
    for (const uint8_t century : implausible) {
        INFO("century byte " << int{century});
        CHECK(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x15, 0x14, 0x07, 0x23, century), t));
        CHECK(t == k20230714_150405);
    }
}

TEST_CASE("RTC decode: an absent RTC or an impossible date gives nothing") {
    const uint64_t untouched = 12345;
    uint64_t t = untouched;
    rtc::ClockRegisters absent = bcd_registers(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    absent.day_of_week = 0xff;
    CHECK_FALSE(rtc::decode_clock(absent, t));
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x5a, 0x04, 0x15, 0x14, 0x07, 0x23, 0x20), t));   // not BCD
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x60, 0x04, 0x15, 0x14, 0x07, 0x23, 0x20), t));   // second 60
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x24, 0x14, 0x07, 0x23, 0x20), t));   // hour 24
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x00, 0x14, 0x07, 0x23, 0x20, 0x00), t));   // 12-hour 0
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x13, 0x14, 0x07, 0x23, 0x20, 0x00), t));   // 12-hour 13
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x15, 0x30, 0x02, 0x24, 0x20), t));   // February 30th
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x15, 0x29, 0x02, 0x23, 0x20), t));   // not a leap year
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x15, 0x14, 0x13, 0x23, 0x20), t));   // month 13
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x15, 0x00, 0x07, 0x23, 0x20), t));   // day 0
    CHECK_FALSE(rtc::decode_clock(bcd_registers(0x05, 0x04, 0x15, 0x14, 0x07, 0x23, 0x19), t));   // 1923: before 1970
    CHECK_FALSE(rtc::decode_clock(bcd_registers(5, 4, 15, 14, 7, 123, 20, 0x06), t));             // binary year 123
    CHECK(t == untouched);
}

TEST_CASE("RTC decode: whatever status B selects, encoding then decoding gives the time back") {
    const uint8_t formats[] = {0x02, 0x06, 0x00, 0x04};   // BCD 24h, binary 24h, BCD 12h, binary 12h
    uint64_t failures = 0;
    for (const uint8_t status_b : formats)
        for (uint64_t t = 0; t <= 7'258'118'399; t += 13 * kDay + 2'741) {
            uint64_t back = 0;
            if (!rtc::decode_clock(rtc::encode_clock(t, status_b), back) || back != t) ++failures;
        }
    CHECK(failures == 0);
    rtc::ClockRegisters friday = bcd_registers(0x05, 0x04, 0x15, 0x14, 0x07, 0x23, 0x20);
    friday.day_of_week = 0x06;
    CHECK(rtc::encode_clock(k20230714_150405, 0x02) == friday);
}
