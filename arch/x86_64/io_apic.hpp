// The I/O APIC's registers (Intel 82093AA datasheet; ICH/PCH I/O APIC): an
// index register and a data window in MMIO, behind which sit the ID, the
// version and one 64-bit redirection entry per interrupt pin.
#pragma once

#include <stdint.h>

namespace bulkhead::x86::ioapic {

inline constexpr uint64_t kDefaultBase = 0xfec00000;
inline constexpr uint32_t kPageSize = 0x1000;

// MMIO offsets.
inline constexpr uint32_t kRegisterSelect = 0x00;   // IOREGSEL
inline constexpr uint32_t kWindow = 0x10;           // IOWIN
inline constexpr uint32_t kEoi = 0x40;              // version 0x20+: EOI by vector
inline constexpr uint32_t kSelectMask = 0xff;

// Indirect registers.
inline constexpr uint32_t kIdRegister = 0x00;
inline constexpr uint32_t kVersionRegister = 0x01;
inline constexpr uint32_t kArbitrationRegister = 0x02;
inline constexpr uint32_t kRedirectionTable = 0x10;   // pin n: 0x10 + 2n (low), 0x11 + 2n (high)
inline constexpr unsigned kIdShift = 24;
inline constexpr uint32_t kIdMask = 0xfu << kIdShift;

// 24 pins, version 0x20 (has the EOI register), as on PCH I/O APICs.
inline constexpr unsigned kPinCount = 24;
inline constexpr uint32_t kVersion = 0x20;
inline constexpr unsigned kMaxRedirectionShift = 16;

// Redirection entry, low half.
inline constexpr uint32_t kVectorMask = 0xff;
inline constexpr uint32_t kDeliveryModeMask = 0x7u << 8;
inline constexpr uint32_t kDestinationLogical = 1u << 11;
inline constexpr uint32_t kDeliveryStatus = 1u << 12;   // read-only
inline constexpr uint32_t kPolarityLow = 1u << 13;
inline constexpr uint32_t kRemoteIrr = 1u << 14;         // read-only: level interrupt in service
inline constexpr uint32_t kTriggerLevel = 1u << 15;
inline constexpr uint32_t kMasked = 1u << 16;
inline constexpr uint32_t kLowWritable = kVectorMask | kDeliveryModeMask | kDestinationLogical | kPolarityLow |
                                         kTriggerLevel | kMasked;
// High half: the destination APIC ID in bits 31:24.
inline constexpr uint32_t kHighWritable = 0xffu << 24;

}  // namespace bulkhead::x86::ioapic
