// Control register and EFER bits (Intel SDM Vol. 3A, 2.5 and 2.2.1).
#pragma once

#include <stdint.h>

#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/cpu.hpp"

namespace bulkhead::x86 {

namespace cr0 {
inline constexpr uint64_t kProtectionEnable = 1ull << 0;
inline constexpr uint64_t kMonitorCoprocessor = 1ull << 1;
inline constexpr uint64_t kExtensionType = 1ull << 4;   // ET: hardwired to 1 since the i486, real mode included
inline constexpr uint64_t kNumericError = 1ull << 5;
inline constexpr uint64_t kWriteProtect = 1ull << 16;
inline constexpr uint64_t kNotWriteThrough = 1ull << 29;
inline constexpr uint64_t kCacheDisable = 1ull << 30;
inline constexpr uint64_t kPaging = 1ull << 31;
static_assert(kNumericError == CR0_NE && kPaging == static_cast<uint32_t>(CR0_PG));
}  // namespace cr0

namespace cr4 {
inline constexpr uint64_t kPae = 1ull << 5;
inline constexpr uint64_t kPge = 1ull << 7;
inline constexpr uint64_t kVmxEnable = 1ull << 13;
inline constexpr uint64_t kOsxsave = 1ull << 18;
static_assert(kPae == CR4_PAE);
}  // namespace cr4

namespace efer {
inline constexpr uint64_t kLongModeEnable = 1ull << 8;
inline constexpr uint64_t kLongModeActive = 1ull << 10;
inline constexpr uint64_t kNoExecuteEnable = 1ull << 11;
static_assert(kLongModeEnable == EFER_LME && kNoExecuteEnable == EFER_NXE);
}  // namespace efer

// RFLAGS bits the hypervisor looks at (SDM Vol. 1, 3.4.3).
namespace rflags {
inline constexpr uint64_t kInterruptEnable = 1ull << 9;   // IF: maskable interrupts are accepted
}  // namespace rflags

// GRUB (and an AP's reset state) may leave caching disabled (CR0.CD/NW) and
// CR0.NE clear; VMXON needs NE, everything is faster with caches on, and WP
// makes read-only pages bind the hypervisor too.
inline void normalize_cr0() {
    const uint64_t cr0 = read_cr0() & ~(cr0::kCacheDisable | cr0::kNotWriteThrough);
    write_cr0(cr0 | cr0::kNumericError | cr0::kWriteProtect);
}

// XCR0, the XSAVE feature mask (SDM Vol. 1, 13.3).
namespace xcr0 {
inline constexpr uint32_t kIndex = 0;   // XSETBV/XGETBV's ECX for XCR0
inline constexpr uint64_t kX87 = 1ull << 0;
inline constexpr uint64_t kSse = 1ull << 1;
inline constexpr uint64_t kAvx = 1ull << 2;
}  // namespace xcr0

}  // namespace bulkhead::x86
