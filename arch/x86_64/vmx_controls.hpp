// VM-execution, VM-exit and VM-entry control bits (Intel SDM Vol. 3C, 25.6-25.8).
// Only the bits Bulkhead uses or checks are named; issue-by-issue this grows.
#pragma once

#include <stdint.h>

namespace bulkhead::x86::vmx {

namespace pin_based {
inline constexpr uint32_t kExternalInterruptExiting = 1u << 0;
inline constexpr uint32_t kNmiExiting = 1u << 3;
inline constexpr uint32_t kVirtualNmis = 1u << 5;
inline constexpr uint32_t kPreemptionTimer = 1u << 6;
}  // namespace pin_based

namespace proc_based {
inline constexpr uint32_t kHltExiting = 1u << 7;
inline constexpr uint32_t kUseIoBitmaps = 1u << 25;
inline constexpr uint32_t kUseMsrBitmaps = 1u << 28;
inline constexpr uint32_t kActivateSecondaryControls = 1u << 31;
}  // namespace proc_based

namespace proc_based2 {
inline constexpr uint32_t kEnableEpt = 1u << 1;
inline constexpr uint32_t kEnableRdtscp = 1u << 3;
inline constexpr uint32_t kEnableVpid = 1u << 5;
inline constexpr uint32_t kUnrestrictedGuest = 1u << 7;
inline constexpr uint32_t kEnableInvpcid = 1u << 12;
inline constexpr uint32_t kEnableXsaves = 1u << 20;
}  // namespace proc_based2

namespace exit_ctl {
inline constexpr uint32_t kHostAddressSpaceSize = 1u << 9;
}  // namespace exit_ctl

namespace entry_ctl {
inline constexpr uint32_t kIa32eModeGuest = 1u << 9;
}  // namespace entry_ctl

}  // namespace bulkhead::x86::vmx
