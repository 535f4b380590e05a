// VM-execution, VM-exit and VM-entry control bits (Intel SDM Vol. 3C, 25.6-25.8),
// and how a wanted set of controls becomes the value the CPU accepts.
// Only the bits Bulkhead uses or checks are named.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead::x86::vmx {

namespace pin_based {
inline constexpr uint32_t kExternalInterruptExiting = 1u << 0;
inline constexpr uint32_t kNmiExiting = 1u << 3;
inline constexpr uint32_t kVirtualNmis = 1u << 5;
inline constexpr uint32_t kPreemptionTimer = 1u << 6;
}  // namespace pin_based

namespace proc_based {
inline constexpr uint32_t kInterruptWindowExiting = 1u << 2;
inline constexpr uint32_t kHltExiting = 1u << 7;
inline constexpr uint32_t kInvlpgExiting = 1u << 9;
inline constexpr uint32_t kMwaitExiting = 1u << 10;
inline constexpr uint32_t kRdpmcExiting = 1u << 11;
inline constexpr uint32_t kRdtscExiting = 1u << 12;
inline constexpr uint32_t kCr3LoadExiting = 1u << 15;
inline constexpr uint32_t kCr3StoreExiting = 1u << 16;
inline constexpr uint32_t kCr8LoadExiting = 1u << 19;
inline constexpr uint32_t kCr8StoreExiting = 1u << 20;
inline constexpr uint32_t kMovDrExiting = 1u << 23;
inline constexpr uint32_t kUnconditionalIoExiting = 1u << 24;
inline constexpr uint32_t kUseIoBitmaps = 1u << 25;
inline constexpr uint32_t kMonitorTrapFlag = 1u << 27;
inline constexpr uint32_t kUseMsrBitmaps = 1u << 28;
inline constexpr uint32_t kMonitorExiting = 1u << 29;
inline constexpr uint32_t kPauseExiting = 1u << 30;
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
inline constexpr uint32_t kSaveDebugControls = 1u << 2;
inline constexpr uint32_t kHostAddressSpaceSize = 1u << 9;
inline constexpr uint32_t kAcknowledgeInterruptOnExit = 1u << 15;
inline constexpr uint32_t kSavePat = 1u << 18;
inline constexpr uint32_t kLoadPat = 1u << 19;
inline constexpr uint32_t kSaveEfer = 1u << 20;
inline constexpr uint32_t kLoadEfer = 1u << 21;
inline constexpr uint32_t kSavePreemptionTimer = 1u << 22;
}  // namespace exit_ctl

namespace entry_ctl {
inline constexpr uint32_t kLoadDebugControls = 1u << 2;
inline constexpr uint32_t kIa32eModeGuest = 1u << 9;
inline constexpr uint32_t kLoadPat = 1u << 14;
inline constexpr uint32_t kLoadEfer = 1u << 15;
}  // namespace entry_ctl

// Which of the four (five with secondary) control fields a set belongs to,
// for messages.
enum class ControlField : uint8_t { PinBased, ProcBased, ProcBased2, Exit, Entry };
const char* to_string(ControlField field);
const char* control_bit_name(ControlField field, unsigned bit);

// A control value the CPU accepts: the required and optional bits we want,
// plus the CPU's must-be-one bits, within its may-be-one bits (SDM Vol. 3D,
// A.3-A.5). `missing` holds the required bits the CPU cannot set.
struct ControlValue {
    uint32_t value;
    uint32_t missing;
};

constexpr ControlValue adjust_controls(uint32_t must_be_one, uint32_t may_be_one, uint32_t required,
                                       uint32_t optional) {
    const uint32_t value = (must_be_one | required | (optional & may_be_one)) & may_be_one;
    return {value | (must_be_one & ~may_be_one), required & ~may_be_one};
}

// Writes "name, name" of the bits in `missing` into buffer (never overflows).
void describe_missing_controls(ControlField field, uint32_t missing, char* buffer, size_t capacity);

}  // namespace bulkhead::x86::vmx
