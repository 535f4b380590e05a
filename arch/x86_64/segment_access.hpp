// Segment access rights as the VMCS stores them (Intel SDM Vol. 3C, 25.4.1,
// Table 25-2): the descriptor's type/S/DPL/P/AVL/L/D/G bits, plus bit 16
// "segment unusable".
#pragma once

#include <stdint.h>

namespace bulkhead::x86::segment {

inline constexpr uint32_t kTypeAccessed = 1u << 0;
inline constexpr uint32_t kTypeReadableWritable = 1u << 1;   // code: readable; data: writable
inline constexpr uint32_t kTypeCode = 1u << 3;
inline constexpr uint32_t kCodeOrData = 1u << 4;             // S: not a system descriptor
inline constexpr unsigned kDplShift = 5;                     // DPL, bits 6:5
inline constexpr uint32_t kDplMask = 0x3;
inline constexpr uint32_t kPresent = 1u << 7;
inline constexpr uint32_t kLongMode = 1u << 13;              // L: 64-bit code
inline constexpr uint32_t kDefaultSize32 = 1u << 14;         // D/B
inline constexpr uint32_t kGranularity4K = 1u << 15;         // G
inline constexpr uint32_t kUnusable = 1u << 16;

// System descriptor types (SDM Vol. 3A, 3.5).
inline constexpr uint32_t kTypeLdt = 0x2;
inline constexpr uint32_t kTypeBusyTss16 = 0x3;
inline constexpr uint32_t kTypeBusyTss = 0xb;                // 32/64-bit busy TSS

inline constexpr uint32_t kCode = kPresent | kCodeOrData | kTypeCode | kTypeReadableWritable | kTypeAccessed;
inline constexpr uint32_t kData = kPresent | kCodeOrData | kTypeReadableWritable | kTypeAccessed;

inline constexpr uint32_t kCode64 = kCode | kLongMode | kGranularity4K;
inline constexpr uint32_t kCode32 = kCode | kDefaultSize32 | kGranularity4K;
inline constexpr uint32_t kData32 = kData | kDefaultSize32 | kGranularity4K;
inline constexpr uint32_t kCode16 = kCode;
inline constexpr uint32_t kData16 = kData;
inline constexpr uint32_t kBusyTss = kPresent | kTypeBusyTss;
inline constexpr uint32_t kLdtUnusable = kUnusable | kPresent | kTypeLdt;

inline constexpr uint32_t kFlatLimit = 0xffffffff;
inline constexpr uint32_t kRealModeLimit = 0xffff;
inline constexpr unsigned kRealModeBaseShift = 4;            // base = selector * 16

// The privilege level a segment's access rights give; for SS it is the
// CPU's current privilege level (CPL).
constexpr unsigned dpl_of(uint32_t access_rights) { return (access_rights >> kDplShift) & kDplMask; }

}  // namespace bulkhead::x86::segment
