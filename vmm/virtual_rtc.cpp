#include "vmm/virtual_rtc.hpp"

namespace bulkhead::rtc {

namespace {

using namespace x86::cmos;

constexpr uint64_t kSecondsPerMinute = 60;
constexpr uint64_t kMinutesPerHour = 60;
constexpr uint64_t kSecondsPerHour = kSecondsPerMinute * kMinutesPerHour;
constexpr uint64_t kHoursPerDay = 24;
constexpr uint64_t kSecondsPerDay = kSecondsPerHour * kHoursPerDay;
constexpr uint64_t kDaysPerWeek = 7;
constexpr uint64_t kDaysPerCommonYear = 365;
constexpr uint8_t kMonthsPerYear = 12;
constexpr uint8_t kFebruary = 2;
constexpr uint8_t kHoursPerHalfDay = 12;
constexpr uint8_t kEpochWeekday = 4;   // 1970-01-01 was a Thursday (0 = Sunday)

// The Gregorian leap rule: every 4th year, except every 100th, except every 400th.
constexpr uint32_t kLeapCycle = 4, kSkippedLeapCycle = 100, kRestoredLeapCycle = 400;

// A two-digit RTC year and its century.
constexpr uint32_t kYearsPerCentury = 100;
constexpr uint8_t kFirstCentury = kFirstYear / kYearsPerCentury;   // 19
constexpr uint8_t kLastCentury = kLastYear / kYearsPerCentury;     // 21
constexpr uint8_t kAssumedCentury = 20;                            // when register 0x32 says nothing usable

// Two decimal digits per BCD byte, one in each nibble.
constexpr uint8_t kDecimalBase = 10;
constexpr unsigned kBcdHighDigitShift = 4;
constexpr uint8_t kBcdDigitMask = 0x0f;

constexpr uint8_t kDaysInMonth[kMonthsPerYear] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

constexpr bool leap(uint32_t year) {
    return (year % kLeapCycle == 0 && year % kSkippedLeapCycle != 0) || year % kRestoredLeapCycle == 0;
}

// Leap years in 1..year-1 (year >= 1).
constexpr uint64_t leap_years_before(uint32_t year) {
    const uint64_t y = year - 1;
    return y / kLeapCycle - y / kSkippedLeapCycle + y / kRestoredLeapCycle;
}

// Days from 1970-01-01 to January 1st of `year` (year >= 1970).
constexpr uint64_t days_before_year(uint32_t year) {
    return kDaysPerCommonYear * (year - kFirstYear) + leap_years_before(year) - leap_years_before(kFirstYear);
}

// The last second the clock can show: 2199-12-31 23:59:59.
constexpr uint64_t kLastUnixSecond = days_before_year(kLastYear + 1) * kSecondsPerDay - 1;

// 2000-01-01 00:00:00 is 946684800 (date(1) agrees): checks the leap-day count.
static_assert(days_before_year(2000) * kSecondsPerDay == 946'684'800);

// The year that day `days` (counted from 1970-01-01) falls in. No year is
// shorter than 365 days, so days / 365 never counts too few years; the leap
// days it ignores make it count at most one too many in the range covered.
uint32_t year_of_day(uint64_t days) {
    uint32_t year = static_cast<uint32_t>(kFirstYear + days / kDaysPerCommonYear);
    while (days_before_year(year) > days) --year;
    return year;
}

uint64_t days_before_month(uint32_t year, uint8_t month) {
    uint64_t days = 0;
    for (uint8_t m = 1; m < month; ++m) days += days_in_month(year, m);
    return days;
}

}  // namespace

// ---- dates ---------------------------------------------------------------------

bool is_leap_year(uint32_t year) { return leap(year); }

uint8_t days_in_month(uint32_t year, uint8_t month) {
    if (month < 1 || month > kMonthsPerYear) return 0;
    if (month == kFebruary && leap(year)) return kDaysInMonth[month - 1] + 1;
    return kDaysInMonth[month - 1];
}

DateTime date_time_from_unix(uint64_t unix_seconds) {
    const uint64_t seconds = unix_seconds < kLastUnixSecond ? unix_seconds : kLastUnixSecond;
    uint64_t days = seconds / kSecondsPerDay;
    const uint64_t second_of_day = seconds % kSecondsPerDay;

    DateTime t;
    t.weekday = static_cast<uint8_t>((days + kEpochWeekday) % kDaysPerWeek);
    t.hour = static_cast<uint8_t>(second_of_day / kSecondsPerHour);
    t.minute = static_cast<uint8_t>(second_of_day / kSecondsPerMinute % kMinutesPerHour);
    t.second = static_cast<uint8_t>(second_of_day % kSecondsPerMinute);

    const uint32_t year = year_of_day(days);
    days -= days_before_year(year);
    uint8_t month = 1;
    while (days >= days_in_month(year, month)) days -= days_in_month(year, month++);
    t.year = static_cast<uint16_t>(year);
    t.month = month;
    t.day = static_cast<uint8_t>(days + 1);
    return t;
}

bool date_time_valid(const DateTime& t) {
    if (t.year < kFirstYear || t.year > kLastYear) return false;
    if (t.day < 1 || t.day > days_in_month(t.year, t.month)) return false;   // also rejects a bad month
    return t.hour < kHoursPerDay && t.minute < kMinutesPerHour && t.second < kSecondsPerMinute;
}

uint64_t unix_from_date_time(const DateTime& t) {
    const uint64_t days = days_before_year(t.year) + days_before_month(t.year, t.month) + (t.day - 1u);
    return days * kSecondsPerDay + t.hour * kSecondsPerHour + t.minute * kSecondsPerMinute + t.second;
}

// ---- BCD -----------------------------------------------------------------------

uint8_t to_bcd(uint8_t binary) {
    const uint8_t two_digits = binary % (kDecimalBase * kDecimalBase);
    return static_cast<uint8_t>((two_digits / kDecimalBase) << kBcdHighDigitShift | two_digits % kDecimalBase);
}

bool from_bcd(uint8_t bcd, uint8_t& binary) {
    const uint8_t high = bcd >> kBcdHighDigitShift, low = bcd & kBcdDigitMask;
    if (high >= kDecimalBase || low >= kDecimalBase) return false;
    binary = static_cast<uint8_t>(high * kDecimalBase + low);
    return true;
}

// ---- register encoding ---------------------------------------------------------

namespace {

bool binary_mode(uint8_t status_b) { return (status_b & kStatusBBinary) != 0; }
bool twenty_four_hour(uint8_t status_b) { return (status_b & kStatusB24Hour) != 0; }

uint8_t encode_field(uint8_t value, uint8_t status_b) { return binary_mode(status_b) ? value : to_bcd(value); }

bool decode_field(uint8_t raw, uint8_t status_b, uint8_t& value) {
    if (!binary_mode(status_b)) return from_bcd(raw, value);
    value = raw;
    return true;
}

// 12-hour mode counts 12, 1, ..., 11 in each half of the day: midnight is
// 12 AM, noon 12 PM.
uint8_t encode_hours(uint8_t hour, uint8_t status_b) {
    if (twenty_four_hour(status_b)) return encode_field(hour, status_b);
    const uint8_t pm = hour >= kHoursPerHalfDay ? kHoursPm : 0;
    const uint8_t on_dial = hour % kHoursPerHalfDay == 0 ? kHoursPerHalfDay : hour % kHoursPerHalfDay;
    return static_cast<uint8_t>(encode_field(on_dial, status_b) | pm);
}

bool decode_hours(uint8_t raw, uint8_t status_b, uint8_t& hour) {
    if (twenty_four_hour(status_b)) return decode_field(raw, status_b, hour);
    uint8_t on_dial = 0;
    if (!decode_field(raw & static_cast<uint8_t>(~kHoursPm), status_b, on_dial)) return false;
    if (on_dial < 1 || on_dial > kHoursPerHalfDay) return false;
    const uint8_t half_day = (raw & kHoursPm) != 0 ? kHoursPerHalfDay : 0;
    hour = static_cast<uint8_t>(on_dial % kHoursPerHalfDay + half_day);
    return true;
}

uint8_t decode_century(uint8_t raw, uint8_t status_b) {
    uint8_t century = 0;
    if (decode_field(raw, status_b, century) && century >= kFirstCentury && century <= kLastCentury) return century;
    return kAssumedCentury;
}

// The year, as the two-digit year register and the century show it.
bool decode_year(const ClockRegisters& raw, uint16_t& year) {
    uint8_t in_century = 0;
    if (!decode_field(raw.year, raw.status_b, in_century) || in_century >= kYearsPerCentury) return false;
    year = static_cast<uint16_t>(decode_century(raw.century, raw.status_b) * kYearsPerCentury + in_century);
    return true;
}

bool decode_date_time(const ClockRegisters& raw, DateTime& t) {
    return decode_field(raw.seconds, raw.status_b, t.second) && decode_field(raw.minutes, raw.status_b, t.minute) &&
           decode_hours(raw.hours, raw.status_b, t.hour) && decode_field(raw.day_of_month, raw.status_b, t.day) &&
           decode_field(raw.month, raw.status_b, t.month) && decode_year(raw, t.year) && date_time_valid(t);
}

}  // namespace

ClockRegisters encode_clock(uint64_t unix_seconds, uint8_t status_b) {
    const DateTime t = date_time_from_unix(unix_seconds);
    ClockRegisters r;
    r.seconds = encode_field(t.second, status_b);
    r.minutes = encode_field(t.minute, status_b);
    r.hours = encode_hours(t.hour, status_b);
    r.day_of_week = encode_field(static_cast<uint8_t>(t.weekday + 1), status_b);   // the RTC counts Sunday as 1
    r.day_of_month = encode_field(t.day, status_b);
    r.month = encode_field(t.month, status_b);
    r.year = encode_field(static_cast<uint8_t>(t.year % kYearsPerCentury), status_b);
    r.century = encode_field(static_cast<uint8_t>(t.year / kYearsPerCentury), status_b);
    r.status_b = status_b;
    return r;
}

bool decode_clock(const ClockRegisters& raw, uint64_t& unix_seconds) {
    DateTime t;
    if (!decode_date_time(raw, t)) return false;
    unix_seconds = unix_from_date_time(t);
    return true;
}

}  // namespace bulkhead::rtc

namespace bulkhead {

namespace {

using namespace x86::cmos;

constexpr uint8_t kAlarmValue = 0;     // alarms are not modelled: they read as never set
constexpr uint8_t kStatusCValue = 0;   // no interrupt flags: no interrupt is modelled

}  // namespace

// ---- port access -----------------------------------------------------------------

uint8_t VirtualRtc::read(uint16_t port, uint64_t unix_seconds_now) {
    if (port != kDataPort) return kIndexReadValue;
    return read_register(index_, unix_seconds_now);
}

void VirtualRtc::write(uint16_t port, uint8_t value) {
    if (port == kIndexPort) {
        index_ = value & kIndexRegisterMask;
        nmi_disabled_ = (value & kIndexNmiDisable) != 0;
    } else if (port == kDataPort) {
        write_register(index_, value);
    }
}

void VirtualRtc::reset() { *this = VirtualRtc{}; }

// ---- registers -------------------------------------------------------------------

// The registers the host's time drives: the time, its alarms, the century.
bool VirtualRtc::is_clock_register(uint8_t reg) { return reg <= kYear || reg == kCentury; }

uint8_t VirtualRtc::read_register(uint8_t reg, uint64_t unix_seconds_now) const {
    if (is_clock_register(reg)) return read_clock_register(reg, unix_seconds_now);
    switch (reg) {
        case kStatusA: return kStatusAValue;
        case kStatusB: return status_b_;
        case kStatusC: return kStatusCValue;
        case kStatusD: return kStatusDValue;
    }
    return ram_[reg - kFirstRamRegister];   // every register below it was handled above
}

uint8_t VirtualRtc::read_clock_register(uint8_t reg, uint64_t unix_seconds_now) const {
    const rtc::ClockRegisters clock = rtc::encode_clock(unix_seconds_now, status_b_);
    switch (reg) {
        case kSeconds: return clock.seconds;
        case kMinutes: return clock.minutes;
        case kHours: return clock.hours;
        case kDayOfWeek: return clock.day_of_week;
        case kDayOfMonth: return clock.day_of_month;
        case kMonth: return clock.month;
        case kYear: return clock.year;
        case kCentury: return clock.century;
    }
    return kAlarmValue;
}

// The clock is the host's, and status A, C and D are fixed (header: decisions).
void VirtualRtc::write_register(uint8_t reg, uint8_t value) {
    if (reg == kStatusB)
        status_b_ = value & kStatusBWritable;
    else if (reg >= kFirstRamRegister && !is_clock_register(reg))
        ram_[reg - kFirstRamRegister] = value;
}

}  // namespace bulkhead
