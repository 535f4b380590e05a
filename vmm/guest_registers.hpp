// The guest's general-purpose registers while it is not running. The VMCS
// holds RSP, RIP and RFLAGS; everything else is saved here by vmm/vmx_entry.S
// on every VM exit and loaded back before every VM entry.
//
// The order is the x86 register number (RAX=0, RCX=1, ..., R15=15), the same
// numbering exit qualifications use, so a handler finds "the register in the
// qualification" as gpr[index]. Slot 4 (RSP) is not used by the entry code:
// the guest's RSP lives in the VMCS.
#pragma once

#include <stdint.h>

#include "arch/x86_64/vmcs_fields.hpp"

namespace bulkhead {

using Gpr = x86::vmx::Gpr;   // the hardware's register numbering
inline constexpr unsigned kGprCount = 16;

struct GuestRegisters {
    uint64_t gpr[kGprCount];

    uint64_t& operator[](Gpr r) { return gpr[static_cast<unsigned>(r)]; }
    uint64_t operator[](Gpr r) const { return gpr[static_cast<unsigned>(r)]; }
};
static_assert(sizeof(GuestRegisters) == kGprCount * sizeof(uint64_t), "vmm/vmx_entry.S relies on this layout");

// RDMSR, WRMSR, XSETBV and friends split a 64-bit value across EDX:EAX.
inline constexpr uint64_t kLow32Bits = 0xffffffff;
inline constexpr unsigned kHighHalfShift = 32;

inline uint64_t edx_eax(const GuestRegisters& r) {
    return (r[Gpr::Rdx] << kHighHalfShift) | (r[Gpr::Rax] & kLow32Bits);
}

// Writing a 32-bit register clears the upper half of the 64-bit one.
inline void set_edx_eax(GuestRegisters& r, uint64_t value) {
    r[Gpr::Rax] = value & kLow32Bits;
    r[Gpr::Rdx] = value >> kHighHalfShift;
}

// Result of vmx_run(): the guest left the CPU (an exit handler said so), or
// the VM-entry instruction failed.
enum class VmRunResult : uint64_t { Left = 0, FailInvalid = 1, FailValid = 2 };

// Loads the guest registers and enters the guest (VMLAUNCH the first time,
// VMRESUME after). Every VM exit calls vmx_handle_exit(registers) with the
// registers saved; the guest is resumed at once while that returns 0, and
// vmx_run returns when it does not.
extern "C" VmRunResult vmx_run(GuestRegisters* registers, uint64_t launched);
extern "C" uint64_t vmx_handle_exit(GuestRegisters* registers);

}  // namespace bulkhead
