// RDMSR and WRMSR (exit reasons 31 and 32). The MSR bitmap lets a small
// allow-list through without an exit (vmm/vmx_bitmaps.cpp); what exits here is
// either emulated from the VMCS (EFER, PAT) or the virtual platform
// (IA32_TSC_DEADLINE, the MTRRs), answered with a fixed value that hides host
// features (IA32_FEATURE_CONTROL says VMX is off, the microcode revision), or
// refused with #GP, as a CPU without that MSR would. Writes that could reach
// beyond the partition (VMX, microcode updates, SMM, feature control) are
// always refused.
#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/partition.hpp"
#include "vmm/virtual_platform.hpp"
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
bool pat_valid_type(uint64_t type) { return x86::Pat::valid_type(type); }

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

// What every vCPU reads as its microcode revision (the high half). As KVM
// does: a guest gains nothing from the host's real revision, and a fixed
// value keeps runs reproducible.
constexpr uint64_t kGuestMicrocodeRevision = 1ull << 32;

// MTRRs: no variable or fixed ranges, write-combining not offered; all
// memory has the default type, write-back (what the EPT maps it as). Linux
// then keeps PAT enabled and never needs to program a range.
constexpr uint64_t kGuestMtrrCapabilities = 0;

bool is_mtrr_range(uint32_t msr) {
    const auto first_variable = static_cast<uint32_t>(x86::Msr::MtrrPhysBase0);
    const bool variable = msr - first_variable < 2 * x86::Mtrr::kVariablePairsMax;
    const bool fixed = msr == static_cast<uint32_t>(x86::Msr::MtrrFixed64K) ||
                       msr == static_cast<uint32_t>(x86::Msr::MtrrFixed16K80000) ||
                       msr == static_cast<uint32_t>(x86::Msr::MtrrFixed16KA0000) ||
                       (msr >= static_cast<uint32_t>(x86::Msr::MtrrFixed4KC0000) &&
                        msr <= static_cast<uint32_t>(x86::Msr::MtrrFixed4KF8000));
    return variable || fixed;
}

bool emulated_read(Partition& p, uint32_t msr, uint64_t& value) {
    switch (msr) {
        case static_cast<uint32_t>(x86::Msr::Efer): value = vmcs::read(VmcsField::GuestIa32Efer); return true;
        case static_cast<uint32_t>(x86::Msr::Pat): value = vmcs::read(VmcsField::GuestIa32Pat); return true;
        case static_cast<uint32_t>(x86::Msr::FeatureControl): value = x86::FeatureControl::kLock; return true;
        case static_cast<uint32_t>(x86::Msr::ApicBase): value = kApicBaseDefault; return true;
        case static_cast<uint32_t>(x86::Msr::MiscEnable): value = x86::MiscEnable::kFastStrings; return true;
        case static_cast<uint32_t>(x86::Msr::TscDeadline): value = p.platform.lapic.tsc_deadline(); return true;
        case static_cast<uint32_t>(x86::Msr::MicrocodeRevision): value = kGuestMicrocodeRevision; return true;
        case static_cast<uint32_t>(x86::Msr::MtrrCapabilities): value = kGuestMtrrCapabilities; return true;
        case static_cast<uint32_t>(x86::Msr::MtrrDefaultType): value = p.platform.mtrr_default_type; return true;
        // The TSC is the host's and nothing ever moved it.
        case static_cast<uint32_t>(x86::Msr::TscAdjust): value = 0; return true;
        default: return false;
    }
}

bool emulated_write(Partition& p, uint32_t msr, uint64_t value) {
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
        case static_cast<uint32_t>(x86::Msr::TscDeadline): write_tsc_deadline(p, value); return true;
        // A partition may not move the TSC (every partition on the CPU shares
        // it): writing 0, what it reads, is all that is accepted.
        case static_cast<uint32_t>(x86::Msr::TscAdjust): return value == 0;
        // Linux writes 0 here before CPUID to read the revision afterwards.
        case static_cast<uint32_t>(x86::Msr::MicrocodeRevision): return true;
        // The APIC stays where it is, enabled, in xAPIC mode: rewriting
        // that value is fine, moving or switching it (x2APIC) is refused.
        case static_cast<uint32_t>(x86::Msr::ApicBase):
            return (value & ~x86::ApicBase::kBootstrapProcessor) ==
                   (kApicBaseDefault & ~x86::ApicBase::kBootstrapProcessor);
        case static_cast<uint32_t>(x86::Msr::MtrrDefaultType):
            if ((value & ~x86::Mtrr::kDefaultTypeWritable) != 0 || !pat_valid_type(value & x86::Mtrr::kTypeMask))
                return false;
            p.platform.mtrr_default_type = value;   // kept for reading back; the EPT decides the memory type
            return true;
        default: return false;   // everything else, including VMX, microcode updates and SMM MSRs
    }
}

}  // namespace

ExitAction handle_rdmsr(ExitContext& exit) {
    uint64_t value = 0;
    const uint32_t msr = msr_number(exit.registers);
    exit.partition.counters.count_msr(msr, false);
    if (!emulated_read(exit.partition, msr, value)) {
        // No ranges exist, so each reads as zero (disabled).
        if (!is_mtrr_range(msr)) return refuse(exit);
        value = 0;
    }
    set_edx_eax(exit.registers, value);
    skip_instruction();
    return ExitAction::Resume;
}

ExitAction handle_wrmsr(ExitContext& exit) {
    const uint32_t msr = msr_number(exit.registers);
    exit.partition.counters.count_msr(msr, true);
    if (!emulated_write(exit.partition, msr, edx_eax(exit.registers))) return refuse(exit);
    skip_instruction();
    return ExitAction::Resume;
}

}  // namespace bulkhead
