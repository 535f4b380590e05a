// Control-register accesses (exit reason 28) and XSETBV (exit reason 55).
//
// CR0 and CR4 bits that VMX fixes (CR0.NE, CR4.VMXE, ...) belong to the
// hypervisor: the guest/host masks make a guest write that changes them exit
// here, and the read shadows show the guest the values it wrote. The guest
// keeps its view; the CPU runs with the fixed bits applied. Setting CR4.VMXE
// is refused with #GP: this guest's CPUID says there is no VMX.
#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"
#include "arch/x86_64/vmx_controls.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/partition.hpp"
#include "vmm/vmcs.hpp"
#include "vmm/vmcs_setup.hpp"

namespace bulkhead {

namespace {

using x86::vmx::CrAccessQualification;
using x86::vmx::CrAccessType;
using x86::vmx::VmcsField;

constexpr unsigned kCr0 = 0, kCr3 = 3, kCr4 = 4;   // the control register numbers in a qualification
constexpr uint64_t kCr0ReservedHigh = 0xffffffff00000000ull;
constexpr uint64_t kLmswBits = 0xf;   // LMSW writes CR0.PE/MP/EM/TS only
constexpr uint64_t kCr0TaskSwitched = 1ull << 3;

uint64_t read_gpr(const GuestRegisters& regs, Gpr index) {
    return index == Gpr::Rsp ? vmcs::read(VmcsField::GuestRsp) : regs[index];
}

void write_gpr(GuestRegisters& regs, Gpr index, uint64_t value) {
    if (index == Gpr::Rsp)
        vmcs::write(VmcsField::GuestRsp, value);
    else
        regs[index] = value;
}

// CR0.PG toggled while EFER.LME is set switches IA-32e mode on or off; the
// CPU does that itself unless the write exited here, so mirror it.
void update_long_mode(uint64_t old_cr0, uint64_t new_cr0) {
    const uint64_t efer = vmcs::read(VmcsField::GuestIa32Efer);
    const bool paging_changed = ((old_cr0 ^ new_cr0) & x86::cr0::kPaging) != 0;
    if (!paging_changed || (efer & x86::efer::kLongModeEnable) == 0) return;
    const bool active = (new_cr0 & x86::cr0::kPaging) != 0;
    const uint64_t entry = vmcs::read(VmcsField::VmEntryControls);
    vmcs::write(VmcsField::GuestIa32Efer,
                active ? (efer | x86::efer::kLongModeActive) : (efer & ~x86::efer::kLongModeActive));
    vmcs::write(VmcsField::VmEntryControls, active ? (entry | x86::vmx::entry_ctl::kIa32eModeGuest)
                                                   : (entry & ~x86::vmx::entry_ctl::kIa32eModeGuest));
}

bool write_cr0(uint64_t value) {
    const bool paging_without_protection = (value & x86::cr0::kPaging) && !(value & x86::cr0::kProtectionEnable);
    if ((value & kCr0ReservedHigh) != 0 || paging_without_protection) return false;
    const uint64_t old = vmcs::read(VmcsField::Cr0ReadShadow);
    vmcs::write(VmcsField::Cr0ReadShadow, value);
    vmcs::write(VmcsField::GuestCr0, real_guest_cr0(value));
    update_long_mode(old, value);
    return true;
}

// A bit this CPU cannot set in VMX operation (FIXED1 clear) is one the guest
// could not set on real hardware either: #GP, as there.
bool write_cr4(uint64_t value) {
    if ((value & x86::cr4::kVmxEnable) != 0 || (value & ~vmx_controls().cr4_fixed1) != 0) return false;
    vmcs::write(VmcsField::Cr4ReadShadow, value);
    vmcs::write(VmcsField::GuestCr4, real_guest_cr4(value));
    return true;
}

ExitAction move_to_cr(ExitContext& exit, const CrAccessQualification& q) {
    const uint64_t value = read_gpr(exit.registers, q.gpr());
    bool ok = true;
    switch (q.cr()) {
        case kCr0: ok = write_cr0(value); break;
        case kCr3: vmcs::write(VmcsField::GuestCr3, value); break;
        case kCr4: ok = write_cr4(value); break;
        default:
            return stop_partition(exit.partition, "MOV to CR%u is not emulated", q.cr());
    }
    if (!ok) {
        inject_exception(exit.partition, x86::Vector::GeneralProtection, true, 0);
        return ExitAction::Resume;
    }
    skip_instruction();
    return ExitAction::Resume;
}

ExitAction move_from_cr(ExitContext& exit, const CrAccessQualification& q) {
    if (q.cr() != kCr3) return stop_partition(exit.partition, "MOV from CR%u is not emulated", q.cr());
    write_gpr(exit.registers, q.gpr(), vmcs::read(VmcsField::GuestCr3));
    skip_instruction();
    return ExitAction::Resume;
}

}  // namespace

ExitAction handle_cr_access(ExitContext& exit) {
    const CrAccessQualification q{vmcs::read(VmcsField::ExitQualification)};
    const uint64_t cr0 = vmcs::read(VmcsField::Cr0ReadShadow);
    switch (q.access_type()) {
        case CrAccessType::MovToCr: return move_to_cr(exit, q);
        case CrAccessType::MovFromCr: return move_from_cr(exit, q);
        case CrAccessType::Clts: write_cr0(cr0 & ~kCr0TaskSwitched); break;
        case CrAccessType::Lmsw: {
            // LMSW can set CR0.PE but never clear it.
            const uint64_t bits = q.lmsw_source() & kLmswBits;
            write_cr0((cr0 & ~kLmswBits) | bits | (cr0 & x86::cr0::kProtectionEnable));
            break;
        }
    }
    skip_instruction();
    return ExitAction::Resume;
}

// XSETBV loads XCR0, which VMX does not switch: check the value as the CPU
// would (SDM Vol. 1, 13.3), load it, and remember it for partition switches.
// The CPU has more rules than these (AVX-512's three components go together,
// ...): a value it still refuses faults in the hypervisor's XSETBV, which
// write_xcr0_safe survives, and the guest gets the #GP it would get natively.
ExitAction handle_xsetbv(ExitContext& exit) {
    GuestRegisters& regs = exit.registers;
    const auto index = static_cast<uint32_t>(regs[Gpr::Rcx]);
    const uint64_t value = edx_eax(regs);
    const x86::CpuidResult supported = x86::cpuid(x86::cpuid_bits::kLeafXsave, 0);
    const uint64_t supported_mask = (uint64_t{supported.edx} << kHighHalfShift) | supported.eax;
    const bool valid = index == x86::xcr0::kIndex && (value & x86::xcr0::kX87) && (value & ~supported_mask) == 0 &&
                       (!(value & x86::xcr0::kAvx) || (value & x86::xcr0::kSse));
    if (!valid || !x86::write_xcr0_safe(value)) {
        inject_exception(exit.partition, x86::Vector::GeneralProtection, true, 0);
        return ExitAction::Resume;
    }
    exit.partition.vcpu.unswitched.xcr0 = value;
    skip_instruction();
    return ExitAction::Resume;
}

}  // namespace bulkhead
