// CPUID leaves and feature bits Bulkhead checks (Intel SDM Vol. 2A, CPUID).
#pragma once

#include <stdint.h>

#include "arch/x86_64/asm_defs.h"

namespace bulkhead::x86::cpuid_bits {

inline constexpr uint32_t kLeafVendor = 0x0;
inline constexpr uint32_t kLeafFeatures = 0x1;
inline constexpr uint32_t kLeafExtendedMax = CPUID_EXTENDED_MAX;
inline constexpr uint32_t kLeafExtendedFeatures = CPUID_EXTENDED_FEATURES;
inline constexpr uint32_t kLeafBrandFirst = 0x80000002;
inline constexpr uint32_t kLeafBrandLast = 0x80000004;
inline constexpr uint32_t kLeafXsave = 0xd;
inline constexpr uint32_t kLeafTscCrystal = 0x15;          // TSC/crystal ratio and crystal Hz
inline constexpr uint32_t kLeafProcessorFrequency = 0x16;  // base/max/bus MHz   // subleaf 0: XCR0 bits the CPU supports in EAX:EDX

// Leaf 1, ECX.
inline constexpr uint32_t kFeaturesEcxVmx = 1u << 5;
inline constexpr uint32_t kFeaturesEcxXsave = 1u << 26;
inline constexpr uint32_t kFeaturesEcxOsxsave = 1u << 27;
inline constexpr uint32_t kFeaturesEcxHypervisor = 1u << 31;
// Leaf 0x80000001, ECX/EDX.
inline constexpr uint32_t kExtEcxSvm = 1u << 2;
inline constexpr uint32_t kExtEdxNx = CPUID_EXT_EDX_NX;
inline constexpr uint32_t kExtEdxPage1G = 1u << 26;

// Leaf 1, EAX: family/model/stepping fields.
inline constexpr unsigned kSteppingShift = 0, kModelShift = 4, kFamilyShift = 8;
inline constexpr unsigned kExtModelShift = 16, kExtFamilyShift = 20;
inline constexpr uint32_t kNibble = 0xf, kExtFamilyMask = 0xff;
inline constexpr uint32_t kFamilyUsingExtensions = 0xf;
inline constexpr uint32_t kFamilyUsingExtendedModel = 0x6;

}  // namespace bulkhead::x86::cpuid_bits
