// CPUID (exit reason 10). What a partition's CPUID says is decided by the
// pure policy in vmm/cpuid_policy.hpp (where each leaf's answer comes from)
// and vmm/cpuid_policy.cpp (the rule behind every bit); this handler only
// gathers the policy's inputs, asks it, and writes the four registers. In
// short, the guest sees:
//   - the host CPU's leaves, minus what its platform does not have or the
//     hypervisor does not switch per partition (VMX, the PMU, machine checks,
//     MONITOR/MWAIT, thermal and power management, x2APIC, the speculation
//     control MSRs, ...), and minus RDTSCP/RDPID and INVPCID when their VMX
//     controls are off (the instructions would raise #UD);
//   - one logical processor with the vCPU's APIC ID (leaves 1, 4, 0xb, 0x1f),
//     and the TSC-deadline timer of its virtual local APIC;
//   - its clocks, so that it need not calibrate them: leaf 0x15 states the
//     measured TSC rate as crystal Hz times a ratio (the virtual APIC timer
//     runs on that crystal, vmm/guest_timing.hpp) and leaf 0x16 the TSC in
//     MHz; on Intel CPUs leaf 0 reports at least 0x16 so that both exist;
//   - OSXSAVE in leaf 1 mirroring its own CR4;
//   - Bulkhead's leaves: 0x40000000 (the highest hypervisor leaf and the
//     "BulkheadHV" signature), 0x40000001 (the hypercall ABI version) and
//     0x40000010 (the TSC frequency in kHz).
#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/vmx_controls.hpp"
#include "kernel/lib/spinlock.hpp"
#include "kernel/tsc.hpp"
#include "vmm/cpuid_policy.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/virtual_platform.hpp"
#include "vmm/vmcs.hpp"
#include "vmm/vmcs_setup.hpp"

namespace bulkhead {

namespace {

constexpr uint32_t kLowHalf = 0xffffffff;

// Everything the policy depends on is fixed before the first guest runs (the
// TSC is measured at boot, the VMX controls are computed before partitions
// are built), so the first CPUID exit, on whichever CPU, computes it once and
// every later exit costs one flag test.
CpuidPolicy g_policy;
bool g_policy_ready;
Spinlock g_policy_lock;

[[gnu::noinline, gnu::cold]] const CpuidPolicy& prepare_policy() {
    SpinlockGuard guard(g_policy_lock);
    if (!__atomic_load_n(&g_policy_ready, __ATOMIC_ACQUIRE)) {
        const uint32_t secondary = vmx_controls().proc_based2;
        CpuidPolicyInputs in{};
        in.tsc_hz = tsc_hz();
        in.apic_id = kGuestApicId;
        in.rdtscp_enabled = (secondary & x86::vmx::proc_based2::kEnableRdtscp) != 0;
        in.invpcid_enabled = (secondary & x86::vmx::proc_based2::kEnableInvpcid) != 0;
        g_policy = make_cpuid_policy(x86::cpuid, in);
        __atomic_store_n(&g_policy_ready, true, __ATOMIC_RELEASE);
    }
    return g_policy;
}

const CpuidPolicy& policy() {
    if (__atomic_load_n(&g_policy_ready, __ATOMIC_ACQUIRE)) [[likely]]
        return g_policy;
    return prepare_policy();
}

}  // namespace

ExitAction handle_cpuid(ExitContext& exit) {
    GuestRegisters& regs = exit.registers;
    const auto leaf = static_cast<uint32_t>(regs[Gpr::Rax]);
    const auto subleaf = static_cast<uint32_t>(regs[Gpr::Rcx]);
    // OSXSAVE is the guest's own CR4 bit; the VMREAD is done only for the
    // leaf that shows it (leaf 1).
    const bool guest_osxsave = cpuid_leaf_needs_guest_cr4(leaf) &&
                               (vmcs::read(x86::vmx::VmcsField::GuestCr4) & x86::cr4::kOsxsave) != 0;
    x86::CpuidResult r = guest_cpuid<x86::cpuid>(leaf, subleaf, policy(), guest_osxsave);
    // The compacted XSAVE size depends on the guest's XCR0, which is loaded
    // in the CPU while it runs (vmm/cpuid_policy.hpp says why it is computed).
    if (leaf == x86::cpuid_bits::kLeafXsave && subleaf == x86::cpuid_bits::kXsaveSubleafExtensions &&
        (x86::read_cr4() & x86::cr4::kOsxsave) != 0)
        r.ebx = xsave_compacted_size(policy(), x86::read_xcr0());
    // CPUID writes the low 32 bits and clears the high ones, in every mode.
    regs[Gpr::Rax] = r.eax & kLowHalf;
    regs[Gpr::Rbx] = r.ebx & kLowHalf;
    regs[Gpr::Rcx] = r.ecx & kLowHalf;
    regs[Gpr::Rdx] = r.edx & kLowHalf;
    skip_instruction();
    return ExitAction::Resume;
}

}  // namespace bulkhead
