// The VM-exit table: the basic exit reason (Intel SDM Vol. 3D, Appendix C)
// indexes an array of handlers. Every reason without a handler gets
// fail_stop, which stops only the offending partition, with the reason, the
// qualification, the guest RIP and a register dump. vmx_handle_exit, at the
// end, is where every exit arrives: one branch sends a traced partition's
// exits through the exit trace (vmm/exit_tracing.hpp) on their way.
#include "arch/x86_64/cpu.hpp"
#include "kernel/log.hpp"
#include "vmm/exit_tracing.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/partition.hpp"
#include "vmm/vcpu_events.hpp"
#include "vmm/vmx_entry_layout.h"
#include "vmm/vmcs.hpp"

namespace bulkhead {

namespace {

using x86::vmx::ExitReason;
using x86::vmx::VmcsField;

ExitAction fail_stop(ExitContext& exit);

struct ExitTable {
    ExitHandler handlers[x86::vmx::kExitReasonCount];
};

constexpr void set(ExitTable& t, ExitReason reason, ExitHandler handler) {
    t.handlers[static_cast<unsigned>(reason)] = handler;
}

// VMX instructions and GETSEC always exit, MONITOR and MWAIT exit because
// Bulkhead asks them to; the guest's CPUID shows none of them, so each is an
// invalid opcode for it.
constexpr ExitReason kInvalidOpcodeExits[] = {
    ExitReason::Vmclear, ExitReason::Vmlaunch, ExitReason::Vmptrld, ExitReason::Vmptrst,
    ExitReason::Vmread,  ExitReason::Vmresume, ExitReason::Vmwrite, ExitReason::Vmxoff,
    ExitReason::Vmxon,   ExitReason::Invept,   ExitReason::Invvpid, ExitReason::Vmfunc,
    ExitReason::Getsec,  ExitReason::Monitor,  ExitReason::Mwait};

constexpr ExitTable make_exit_table() {
    ExitTable t{};
    for (ExitHandler& h : t.handlers) h = fail_stop;
    set(t, ExitReason::ExceptionOrNmi, handle_exception_or_nmi);
    set(t, ExitReason::ExternalInterrupt, handle_external_interrupt);
    set(t, ExitReason::TripleFault, handle_triple_fault);
    set(t, ExitReason::InterruptWindow, handle_interrupt_window);
    set(t, ExitReason::InitSignal, handle_init_signal);
    set(t, ExitReason::Cpuid, handle_cpuid);
    set(t, ExitReason::Hlt, handle_hlt);
    set(t, ExitReason::Vmcall, handle_vmcall);
    for (ExitReason unavailable : kInvalidOpcodeExits) set(t, unavailable, handle_invalid_opcode);
    set(t, ExitReason::CrAccess, handle_cr_access);
    set(t, ExitReason::IoInstruction, handle_io);
    set(t, ExitReason::Rdmsr, handle_rdmsr);
    set(t, ExitReason::Wrmsr, handle_wrmsr);
    set(t, ExitReason::EntryFailInvalidGuestState, handle_entry_failure);
    set(t, ExitReason::EntryFailMsrLoading, handle_entry_failure);
    set(t, ExitReason::EntryFailMachineCheck, handle_entry_failure);
    set(t, ExitReason::EptViolation, handle_ept_violation);
    set(t, ExitReason::EptMisconfig, handle_ept_misconfiguration);
    set(t, ExitReason::Xsetbv, handle_xsetbv);
    set(t, ExitReason::PreemptionTimer, handle_preemption_timer);
    return t;
}

constinit const ExitTable kExitTable = make_exit_table();

void dump_guest_state(const Partition& p, const GuestRegisters& r) {
    const char* name = p.config.name;
    log_error("  %s: rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx", name, r[Gpr::Rax], r[Gpr::Rbx], r[Gpr::Rcx],
              r[Gpr::Rdx]);
    log_error("  %s: rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx", name, r[Gpr::Rsi], r[Gpr::Rdi], r[Gpr::Rbp],
              vmcs::read(VmcsField::GuestRsp));
    log_error("  %s: r8 =%016lx r9 =%016lx r10=%016lx r11=%016lx", name, r[Gpr::R8], r[Gpr::R9], r[Gpr::R10],
              r[Gpr::R11]);
    log_error("  %s: r12=%016lx r13=%016lx r14=%016lx r15=%016lx", name, r[Gpr::R12], r[Gpr::R13], r[Gpr::R14],
              r[Gpr::R15]);
    log_error("  %s: cs=%04lx rflags=%016lx cr0=%016lx cr3=%016lx cr4=%016lx efer=%lx", name,
              vmcs::read(VmcsField::GuestCsSelector), vmcs::read(VmcsField::GuestRflags),
              vmcs::read(VmcsField::Cr0ReadShadow), vmcs::read(VmcsField::GuestCr3),
              vmcs::read(VmcsField::Cr4ReadShadow), vmcs::read(VmcsField::GuestIa32Efer));
}

// The default handler: an exit Bulkhead does not expect means the partition
// did something the hypervisor cannot safely continue. Stop it, loudly.
ExitAction fail_stop(ExitContext& exit) {
    const uint64_t qualification = vmcs::read(VmcsField::ExitQualification);
    const uint64_t rip = vmcs::read(VmcsField::GuestRip);
    stop_partition(exit.partition, "unhandled VM exit %s (reason %u), qualification 0x%lx, guest rip 0x%lx",
                   x86::vmx::to_string(exit.reason), static_cast<unsigned>(exit.reason), qualification, rip);
    dump_guest_state(exit.partition, exit.registers);
    return ExitAction::Stop;
}

// Counts the exit and runs its handler: the whole of an untraced exit.
[[gnu::always_inline]] inline ExitAction run_handler(Partition& partition, unsigned basic) {
    ExitCounters& counters = partition.counters;
    ExitContext exit{partition, partition.vcpu.registers, static_cast<ExitReason>(basic)};
    ++counters.total;
    if (basic >= x86::vmx::kExitReasonCount) return fail_stop(exit);
    ++counters.by_reason[basic];
    return kExitTable.handlers[basic](exit);
}

unsigned basic_exit_reason() {
    return static_cast<unsigned>(vmcs::read(VmcsField::VmExitReason) & x86::vmx::kExitReasonBasicMask);
}

// The time a handler took, charged to the exit's reason and to its port or
// MSR if the handler counted one (the hardware's own exit and entry are not
// in it: the exit benchmark measures whole round trips).
void charge_handling_time(ExitCounters& counters, unsigned basic, uint64_t ticks) {
    if (basic < x86::vmx::kExitReasonCount) counters.handling_ticks[basic] += ticks;
    counters.total_handling_ticks += ticks;
    counters.charge_to->ticks += ticks;
}

// A traced exit: recorded in the CPU's exit trace first (published before
// the handler runs, so that a fault dump made on its way shows it), then
// handled and timed. Only traced exits are timed: the two TSC reads are
// what tracing costs, and an untraced exit pays one branch for it.
[[gnu::noinline]] ExitAction dispatch_traced(Partition& partition) {
    const uint64_t start = x86::read_tsc();
    const unsigned basic = basic_exit_reason();
    TraceEntry& entry = record_exit(partition, static_cast<uint16_t>(basic), start);
    partition.counters.charge_to = &partition.counters.unkeyed;
    const ExitAction action = run_handler(partition, basic);
    const uint64_t ticks = x86::read_tsc() - start;
    charge_handling_time(partition.counters, basic, ticks);
    TraceRing::set_handling_ticks(entry, ticks);
    return action;
}

// The registers live inside the partition's Vcpu, so they lead to the
// partition without any per-CPU lookup.
Partition& partition_of(GuestRegisters* registers) {
    const auto* vcpu = reinterpret_cast<const Vcpu*>(reinterpret_cast<const char*>(registers) -
                                                     __builtin_offsetof(Vcpu, registers));
    return *vcpu->partition;
}
}  // namespace

// Called by vmm/vmx_entry.S on every VM exit, with the guest's registers
// saved. Returns 0 to resume the guest at once, 1 to leave the CPU.
extern "C" uint64_t vmx_handle_exit(GuestRegisters* registers) {
    Partition& partition = partition_of(registers);
    partition.vcpu.launched = true;
    // Tracing off costs this one branch (docs/monitor.md, "Exit trace").
    const ExitAction action =
        partition.tracing ? dispatch_traced(partition) : run_handler(partition, basic_exit_reason());
    return action == ExitAction::Resume ? 0 : 1;
}

// Called by vmm/vmx_entry.S before resuming, only when the vCPU's attention
// flag is set (the stub tests it itself: one compare and branch on every
// exit, nothing more when no interrupt or timer work is pending).
extern "C" void vmx_service_events(GuestRegisters* registers) { service_vcpu_events(partition_of(registers)); }

static_assert(__builtin_offsetof(Vcpu, attention) - __builtin_offsetof(Vcpu, registers) == VCPU_ATTENTION_OFFSET,
              "vmm/vmx_entry.S tests the attention flag by its offset from the registers");

}  // namespace bulkhead
