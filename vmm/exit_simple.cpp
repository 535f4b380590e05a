// The exits that need only a few lines each: HLT, the preemption timer and
// the interrupt window, VMCALL, the ones that stop a partition (triple
// fault, INIT, EPT misconfigurations, failed VM entries), instructions the
// guest does not have (#UD), and host events that arrive while a guest runs.
#include "kernel/log.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/segment_access.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/hypercall.hpp"
#include "vmm/partition.hpp"
#include "vmm/partition_control.hpp"
#include "vmm/partitions.hpp"
#include "vmm/scheduler.hpp"
#include "vmm/vmcs.hpp"
#include "kernel/smp.hpp"
#include "kernel/trap.hpp"
#include "vmm/vcpu_events.hpp"

namespace bulkhead {

namespace {
using x86::vmx::VmcsField;
}  // namespace

// HLT: the vCPU waits for its next interrupt. One that is deliverable
// already is taken at once; otherwise the partition leaves the CPU until its
// APIC timer fires or a device interrupt (console input) arrives. With
// interrupts off, or its local APIC off, nothing can ever wake it: it stays
// halted (a guest's way of saying it is done without reporting a status).
ExitAction handle_hlt(ExitContext& exit) {
    skip_instruction();
    switch (halt_vcpu(exit.partition)) {
        case HaltOutcome::Continue: return ExitAction::Resume;
        case HaltOutcome::Wait: exit.partition.state = PartitionState::Waiting; return ExitAction::Yield;
        case HaltOutcome::Forever: break;
    }
    exit.partition.state = PartitionState::Halted;
    return ExitAction::Yield;
}

// The VMX-preemption timer ran out: the partition's time slice is over, or
// its APIC timer is due (vmm/vcpu_events.cpp decides which).
ExitAction handle_preemption_timer(ExitContext& exit) { return preemption_timer_fired(exit.partition); }

// The guest can take an interrupt now that it could not take before; the
// injection happens on the way back in (service_vcpu_events).
ExitAction handle_interrupt_window(ExitContext& exit) {
    request_attention(exit.partition.vcpu);
    return ExitAction::Resume;
}

ExitAction handle_vmcall(ExitContext& exit) {
    GuestRegisters& regs = exit.registers;
    // A 32-bit or 16-bit guest passes 32-bit values; the upper halves of its
    // registers are whatever they were, so ignore them.
    const uint64_t mask = guest_in_64bit_mode() ? ~0ull : kLow32Bits;
    Partition& p = exit.partition;
    HypercallContext context{p.memory(),  p.uart, print_partition_line, &p, p.id, p.config.name,
                             p.config.control ? &control_plane() : nullptr};
    // SS.DPL is the CPL (Intel SDM Vol. 3A, 5.5): user mode may call only if the partition allows it.
    context.cpl = static_cast<uint8_t>(
        x86::segment::dpl_of(static_cast<uint32_t>(vmcs::read(VmcsField::GuestSsAccessRights))));
    context.user_mode_allowed = p.config.user_hypercalls;
    const HypercallResult r =
        handle_hypercall(regs[Gpr::Rax] & mask, regs[Gpr::Rdi] & mask, regs[Gpr::Rsi] & mask, regs[Gpr::Rdx] & mask, context);
    ++p.counters.hypercalls;
    if (r.action == HypercallAction::Exit) return partition_exited(p, r.exit_status);
    regs[Gpr::Rax] = static_cast<uint64_t>(r.value) & mask;
    skip_instruction();
    return r.action == HypercallAction::Yield ? ExitAction::Yield : ExitAction::Resume;
}

ExitAction handle_triple_fault(ExitContext& exit) {
    const Vcpu& v = exit.partition.vcpu;
    const bool right_after_injection = v.injected_at_exit != 0 && v.injected_at_exit + 1 == exit.partition.counters.total;
    if (right_after_injection)
        return stop_partition(exit.partition, "triple fault (after Bulkhead injected vector %u; rip %#lx)",
                              v.last_injected_vector, vmcs::read(VmcsField::GuestRip));
    return stop_partition(exit.partition, "triple fault (rip %#lx)", vmcs::read(VmcsField::GuestRip));
}

ExitAction handle_init_signal(ExitContext& exit) { return stop_partition(exit.partition, "INIT signal received"); }

// The guest sees no VMX (CPUID hides it), so VMX instructions are invalid
// opcodes for it, as on a CPU without VMX. The same goes for MONITOR and
// MWAIT: CPUID hides them too, because an MWAIT executed natively could put
// the physical CPU into a sleep state the preemption timer does not wake.
ExitAction handle_invalid_opcode(ExitContext& exit) {
    inject_exception(exit.partition, x86::Vector::InvalidOpcode);
    return ExitAction::Resume;
}

ExitAction handle_ept_misconfiguration(ExitContext& exit) {
    return stop_partition(exit.partition, "EPT misconfiguration at guest-physical %#lx (a hypervisor bug)",
                          vmcs::read(VmcsField::GuestPhysicalAddress));
}

ExitAction handle_entry_failure(ExitContext& exit) {
    return stop_partition(exit.partition, "VM entry failed: %s (qualification %#lx)", x86::vmx::to_string(exit.reason),
                          vmcs::read(VmcsField::ExitQualification));
}

// Host interrupts stay masked in the hypervisor; one that arrives while a
// guest runs makes it exit and is acknowledged by the exit (the vector is in
// the exit information). A kick means a request (pause, stop, restart ...)
// waits for this CPU: leave the guest so the scheduler can carry it out.
// Console input is queued for its partition by the handler.
ExitAction handle_external_interrupt(ExitContext& exit) {
    const x86::vmx::InterruptionInfo info{static_cast<uint32_t>(vmcs::read(VmcsField::VmExitInterruptionInfo))};
    handle_host_interrupt(info.vector());
    const bool leave = has_pending_request(exit.partition) || neighbour_needs_cpu(exit.partition);
    return leave ? ExitAction::Yield : ExitAction::Resume;
}

// With an empty exception bitmap only NMIs exit here: the NMI was the host's,
// and nothing in Bulkhead sends NMIs yet.
ExitAction handle_exception_or_nmi(ExitContext& exit) {
    log_warn("partition '%s': host NMI during guest execution ignored", exit.partition.config.name);
    return ExitAction::Resume;
}

}  // namespace bulkhead
