// The PC's CMOS real-time clock: a Motorola MC146818A, today a block inside
// the chipset (Intel ICH/PCH "RTC", AMD FCH), reached through an index port
// and a data port. Write a register number to the index port, then read or
// write the register through the data port.
//
// Shared by the host driver (drivers/cmos_rtc.cpp), which reads the
// machine's clock, and the partitions' virtual RTC (vmm/virtual_rtc.cpp),
// which models the same registers.
#pragma once

#include <stdint.h>

namespace bulkhead::x86::cmos {

inline constexpr uint16_t kIndexPort = 0x70;
inline constexpr uint16_t kDataPort = 0x71;

// The index port's bit 7 is not part of the register number: on a PC it is
// the chipset's NMI mask (1 = legacy NMI sources such as SERR# and IOCHK#
// are blocked). Bits 6:0 select one of 128 registers.
inline constexpr uint8_t kIndexNmiDisable = 0x80;
inline constexpr uint8_t kIndexRegisterMask = 0x7f;
inline constexpr unsigned kRegisterCount = 128;

// The clock registers. The alarms sit between the time registers.
inline constexpr uint8_t kSeconds = 0x00;
inline constexpr uint8_t kSecondsAlarm = 0x01;
inline constexpr uint8_t kMinutes = 0x02;
inline constexpr uint8_t kMinutesAlarm = 0x03;
inline constexpr uint8_t kHours = 0x04;
inline constexpr uint8_t kHoursAlarm = 0x05;
inline constexpr uint8_t kDayOfWeek = 0x06;    // 1 = Sunday ... 7 = Saturday
inline constexpr uint8_t kDayOfMonth = 0x07;   // 1-31
inline constexpr uint8_t kMonth = 0x08;        // 1-12
inline constexpr uint8_t kYear = 0x09;         // 0-99, the year within its century
inline constexpr uint8_t kStatusA = 0x0a;
inline constexpr uint8_t kStatusB = 0x0b;
inline constexpr uint8_t kStatusC = 0x0c;
inline constexpr uint8_t kStatusD = 0x0d;
// From here on the registers are battery-backed RAM for the firmware.
inline constexpr uint8_t kFirstRamRegister = 0x0e;
// The century (19, 20, ...): not part of the MC146818, but where IBM's AT
// BIOS kept it and where the ACPI FADT's CENTURY field points on PCs.
inline constexpr uint8_t kCentury = 0x32;

// Status A.
inline constexpr uint8_t kStatusAUpdateInProgress = 0x80;   // UIP: the time registers are changing, do not read them
inline constexpr uint8_t kStatusADividerMask = 0x70;        // DV2:0, the time base
inline constexpr uint8_t kStatusADivider32kHz = 0x20;       // 010: a 32.768 kHz crystal, clock running
inline constexpr uint8_t kStatusARateMask = 0x0f;           // RS3:0, the periodic interrupt rate
inline constexpr uint8_t kStatusARate1024Hz = 0x06;         // 0110: 976.562 us, the rate firmware leaves

// Status B.
inline constexpr uint8_t kStatusBSet = 0x80;                // SET: updates stopped while software sets the time
inline constexpr uint8_t kStatusBPeriodicInterrupt = 0x40;  // PIE
inline constexpr uint8_t kStatusBAlarmInterrupt = 0x20;     // AIE
inline constexpr uint8_t kStatusBUpdateInterrupt = 0x10;    // UIE
inline constexpr uint8_t kStatusBSquareWave = 0x08;         // SQWE
inline constexpr uint8_t kStatusBBinary = 0x04;             // DM: 1 = binary values, 0 = BCD
inline constexpr uint8_t kStatusB24Hour = 0x02;             // 24/12: 1 = 24-hour hours, 0 = 12-hour with kHoursPm
inline constexpr uint8_t kStatusBDaylightSaving = 0x01;     // DSE: US daylight saving switch-over

// Status C: the interrupt flags (reading it clears them).
inline constexpr uint8_t kStatusCInterruptRequest = 0x80;   // IRQF
inline constexpr uint8_t kStatusCPeriodic = 0x40;           // PF
inline constexpr uint8_t kStatusCAlarm = 0x20;              // AF
inline constexpr uint8_t kStatusCUpdateEnded = 0x10;        // UF

// Status D.
inline constexpr uint8_t kStatusDValidRamAndTime = 0x80;    // VRT: the battery kept the RAM and the time

// In 12-hour mode the hours register holds 1-12 with this bit set for PM,
// whatever the data mode.
inline constexpr uint8_t kHoursPm = 0x80;

}  // namespace bulkhead::x86::cmos
