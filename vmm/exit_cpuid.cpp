// CPUID (exit reason 10): the guest sees the host CPU, minus what it may not
// use, plus Bulkhead's own leaves:
//   - leaf 1: VMX hidden (nested virtualization is not offered), the
//     "running under a hypervisor" bit set, OSXSAVE mirroring the guest's CR4;
//   - leaf 0x40000000: the highest hypervisor leaf and the "BulkheadHV"
//     signature; leaf 0x40000001: the hypercall ABI version; leaf 0x40000010:
//     the TSC frequency in kHz, so guests need not calibrate it;
//   - leaf 0x15 (when the host has it): the measured TSC rate as crystal Hz
//     times a ratio (vmm/guest_timing.hpp), which Linux uses for both the TSC
//     and the local APIC timer.
#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"
#include "include/bulkhead/hypercall.h"
#include "kernel/tsc.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/guest_timing.hpp"
#include "vmm/partition.hpp"
#include "vmm/vmcs.hpp"

namespace bulkhead {

namespace {

namespace bits = x86::cpuid_bits;

constexpr uint32_t kHypervisorLeafFirst = BH_CPUID_LEAF_SIGNATURE;
constexpr uint32_t kHypervisorLeafLast = 0x4fffffff;
constexpr uint32_t kLowHalf = 0xffffffff;
constexpr uint64_t kHzPerKhz = 1000;

x86::CpuidResult hypervisor_leaf(uint32_t leaf) {
    switch (leaf) {
        case BH_CPUID_LEAF_SIGNATURE:
            return {BH_CPUID_LEAF_TIMING, BH_CPUID_SIGNATURE_EBX, BH_CPUID_SIGNATURE_ECX, BH_CPUID_SIGNATURE_EDX};
        case BH_CPUID_LEAF_ABI: return {BH_ABI_VERSION, 0, 0, 0};
        case BH_CPUID_LEAF_TIMING: return {static_cast<uint32_t>(tsc_hz() / kHzPerKhz), 0, 0, 0};
        default: return {0, 0, 0, 0};
    }
}

// EAX = denominator, EBX = numerator, ECX = crystal Hz: TSC = crystal * EBX / EAX.
x86::CpuidResult tsc_crystal_leaf() {
    const uint64_t hz = tsc_hz();
    return {1, crystal_ratio(hz), crystal_hz(hz), 0};
}

void adjust_feature_leaf(x86::CpuidResult& r) {
    r.ecx &= ~bits::kFeaturesEcxVmx;
    r.ecx |= bits::kFeaturesEcxHypervisor;
    // OSXSAVE is not a bit the hypervisor owns, so the guest's CR4 itself holds it.
    const bool guest_osxsave = (vmcs::read(x86::vmx::VmcsField::GuestCr4) & x86::cr4::kOsxsave) != 0;
    r.ecx = guest_osxsave ? (r.ecx | bits::kFeaturesEcxOsxsave) : (r.ecx & ~bits::kFeaturesEcxOsxsave);
}

}  // namespace

ExitAction handle_cpuid(ExitContext& exit) {
    GuestRegisters& regs = exit.registers;
    const auto leaf = static_cast<uint32_t>(regs[Gpr::Rax]);
    const auto subleaf = static_cast<uint32_t>(regs[Gpr::Rcx]);

    x86::CpuidResult r;
    if (leaf >= kHypervisorLeafFirst && leaf <= kHypervisorLeafLast) {
        r = hypervisor_leaf(leaf);
    } else {
        r = x86::cpuid(leaf, subleaf);
        if (leaf == bits::kLeafFeatures) adjust_feature_leaf(r);
        // The host answers leaves above its maximum with its highest leaf's
        // data: override leaf 0x15 only where it really exists.
        if (leaf == bits::kLeafTscCrystal && x86::cpuid(bits::kLeafVendor, 0).eax >= bits::kLeafTscCrystal)
            r = tsc_crystal_leaf();
    }
    // CPUID writes the low 32 bits and clears the high ones, in every mode.
    regs[Gpr::Rax] = r.eax & kLowHalf;
    regs[Gpr::Rbx] = r.ebx & kLowHalf;
    regs[Gpr::Rcx] = r.ecx & kLowHalf;
    regs[Gpr::Rdx] = r.edx & kLowHalf;
    skip_instruction();
    return ExitAction::Resume;
}

}  // namespace bulkhead
