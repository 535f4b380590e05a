// RDMSR and WRMSR (exit reasons 31 and 32). The MSR bitmap lets a small
// allow-list through without an exit (vmm/msr_bitmap.cpp); what exits here is
// either emulated from the VMCS (EFER, PAT), answered with a fixed value that
// hides host features (IA32_FEATURE_CONTROL says VMX is off), or refused with
// #GP, as a CPU without that MSR would. Writes that could reach beyond the
// partition (VMX, microcode, SMM, feature control) are always refused.
#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/partition.hpp"
#include "vmm/vmcs.hpp"

namespace bulkhead {

namespace {

using x86::vmx::VmcsField;

// The local APIC at its default address, enabled, this CPU the bootstrap one.
constexpr uint64_t kApicBaseDefault =
    x86::ApicBase::kDefaultAddress | x86::ApicBase::kGlobalEnable | x86::ApicBase::kBootstrapProcessor;
// Guest-writable EFER bits: SCE, LME, NXE. LMA follows CR0.PG by itself.
constexpr uint64_t kEferSyscallEnable = 1u << 0;
constexpr uint64_t kEferWritable = kEferSyscallEnable | x86::efer::kLongModeEnable | x86::efer::kNoExecuteEnable;
// PAT entries must hold a defined memory type: UC, WC, WT, WP, WB or UC-.
bool pat_valid(uint64_t pat) {
    for (unsigned i = 0; i < x86::Pat::kEntries; ++i)
        if (!x86::Pat::valid_type((pat >> (i * x86::Pat::kEntryBits)) & x86::Pat::kEntryMask)) return false;
    return true;
}

uint32_t msr_number(const GuestRegisters& regs) { return static_cast<uint32_t>(regs[Gpr::Rcx]); }

ExitAction refuse(ExitContext& exit) {
    ++exit.partition.counters.refused_msr_accesses;
    inject_exception(exit.partition, x86::Vector::GeneralProtection, true, 0);
    return ExitAction::Resume;   // RIP stays on the instruction: #GP is a fault
}

bool emulated_read(uint32_t msr, uint64_t& value) {
    switch (msr) {
        case static_cast<uint32_t>(x86::Msr::Efer): value = vmcs::read(VmcsField::GuestIa32Efer); return true;
        case static_cast<uint32_t>(x86::Msr::Pat): value = vmcs::read(VmcsField::GuestIa32Pat); return true;
        case static_cast<uint32_t>(x86::Msr::FeatureControl): value = x86::FeatureControl::kLock; return true;
        case static_cast<uint32_t>(x86::Msr::ApicBase): value = kApicBaseDefault; return true;
        case static_cast<uint32_t>(x86::Msr::MiscEnable): value = x86::MiscEnable::kFastStrings; return true;
        default: return false;
    }
}

bool emulated_write(uint32_t msr, uint64_t value) {
    switch (msr) {
        case static_cast<uint32_t>(x86::Msr::Efer): {
            const uint64_t current = vmcs::read(VmcsField::GuestIa32Efer);
            if ((value & ~(kEferWritable | x86::efer::kLongModeActive)) != 0) return false;
            if ((value & x86::efer::kLongModeActive) != (current & x86::efer::kLongModeActive)) return false;
            vmcs::write(VmcsField::GuestIa32Efer, value);
            return true;
        }
        case static_cast<uint32_t>(x86::Msr::Pat):
            if (!pat_valid(value)) return false;
            vmcs::write(VmcsField::GuestIa32Pat, value);
            return true;
        default: return false;   // everything else, including VMX, microcode and SMM MSRs
    }
}

}  // namespace

ExitAction handle_rdmsr(ExitContext& exit) {
    uint64_t value = 0;
    if (!emulated_read(msr_number(exit.registers), value)) return refuse(exit);
    set_edx_eax(exit.registers, value);
    skip_instruction();
    return ExitAction::Resume;
}

ExitAction handle_wrmsr(ExitContext& exit) {
    if (!emulated_write(msr_number(exit.registers), edx_eax(exit.registers))) return refuse(exit);
    skip_instruction();
    return ExitAction::Resume;
}

}  // namespace bulkhead
