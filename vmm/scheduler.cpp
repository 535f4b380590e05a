// The per-CPU scheduler (vmm/scheduler.hpp): pick the next ready partition of
// this CPU, run it until it leaves the CPU, act on what it did, repeat.
#include "vmm/scheduler.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/vmx_instructions.hpp"
#include "kernel/format.hpp"
#include "kernel/lib/spinlock.hpp"
#include "kernel/lib/units.hpp"
#include "kernel/log.hpp"
#include "kernel/panic.hpp"
#include "kernel/smp.hpp"
#include "kernel/tsc.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/partition_control.hpp"
#include "vmm/partition_table.hpp"
#include "vmm/vmcs.hpp"
#include "vmm/vmcs_setup.hpp"
#include "vmm/vmx_root.hpp"

namespace bulkhead {

namespace {

constexpr uint64_t kMicrosecondsPerMillisecond = 1000;
constexpr uint64_t kMaxTimerValue = 0xffffffff;   // the timer field is 32 bits wide

const x86::VmxCapabilities* g_caps = nullptr;
SchedulerSettings g_settings{};
uint32_t g_slice_timer_value = 0;   // the VMX-preemption timer's start value for a slice
uint64_t g_run_deadline = 0;   // TSC value at which the run limit is reached; 0 = no limit
char g_run_limit_reason[48] = "";   // "the run limit (200 ms)", for the stop reason

// ---- state VMX does not switch ------------------------------------------------

void save_unswitched(Partition& p, bool xsave) {
    UnswitchedGuestState& u = p.vcpu.unswitched;
    u.star = x86::read_msr(x86::Msr::Star);
    u.lstar = x86::read_msr(x86::Msr::Lstar);
    u.cstar = x86::read_msr(x86::Msr::Cstar);
    u.syscall_mask = x86::read_msr(x86::Msr::SyscallMask);
    u.kernel_gs_base = x86::read_msr(x86::Msr::KernelGsBase);
    if (xsave) u.xcr0 = x86::read_xcr0();
}

void load_unswitched(const Partition& p, bool xsave) {
    const UnswitchedGuestState& u = p.vcpu.unswitched;
    x86::write_msr(x86::Msr::Star, u.star);
    x86::write_msr(x86::Msr::Lstar, u.lstar);
    x86::write_msr(x86::Msr::Cstar, u.cstar);
    x86::write_msr(x86::Msr::SyscallMask, u.syscall_mask);
    x86::write_msr(x86::Msr::KernelGsBase, u.kernel_gs_base);
    if (xsave) x86::write_xcr0(u.xcr0);
}

bool host_has_xsave() { return (x86::read_cr4() & x86::cr4::kOsxsave) != 0; }

// ---- running one partition ------------------------------------------------------

// After a fault: start again from the pristine image if the configuration
// asks for it and the partition has not used up its restarts.
void maybe_restart_after_fault(Partition& p) {
    if (p.config.on_fault != OnFault::Restart || p.stopped_on_request) return;
    if (p.restarts == kMaxRestarts) {
        log_error("partition '%s': restart limit (%u) reached; it stays stopped", p.config.name, kMaxRestarts);
        return;
    }
    ++p.restarts;
    log_info("partition '%s': restarting from its pristine image (restart %u of %u)", p.config.name, p.restarts,
             kMaxRestarts);
    if (!load_and_reset(p)) return;
    flush_cached_translations(p);
    mark_started(p);
    p.state = PartitionState::Ready;
}

// A fresh slice: the timer counts down from here (and, when the CPU saves it
// on exit, keeps counting across the exits the guest takes meanwhile). A
// partition's weight is the number of slices it gets per turn.
void start_time_slice(const Partition& p) {
    if (g_slice_timer_value == 0) return;
    const uint64_t ticks = uint64_t{g_slice_timer_value} * p.config.weight;
    vmcs::write(x86::vmx::VmcsField::PreemptionTimerValue, ticks < kMaxTimerValue ? ticks : kMaxTimerValue);
}

void stop_after_failed_entry(Partition& p, VmRunResult result) {
    stop_partition(p, "%s failed: %s", p.vcpu.launched ? "VMRESUME" : "VMLAUNCH",
                   result == VmRunResult::FailValid
                       ? x86::vmx::to_string(static_cast<x86::vmx::VmInstructionError>(
                             vmcs::read(x86::vmx::VmcsField::VmInstructionError)))
                       : "no current VMCS");
}

// Runs one partition until it leaves the CPU: vmx_run() returns only when an
// exit handler said Yield or Stop (or the VM entry itself failed).
void run_until_it_yields(Partition& p) {
    const bool xsave = host_has_xsave();
    if (x86::vmx::vmptrld(p.vmcs) != x86::vmx::VmxResult::Ok) panic("VMPTRLD failed");
    if (!p.vcpu.launched) write_host_state();   // this CPU's tables, whichever CPU built the VMCS
    load_unswitched(p, xsave);
    start_time_slice(p);
    const uint64_t entered = x86::read_tsc();
    const VmRunResult result = vmx_run(&p.vcpu.registers, p.vcpu.launched);
    const uint64_t left = x86::read_tsc();
    p.cpu_ticks += left - entered;
    if (result != VmRunResult::Left) stop_after_failed_entry(p, result);
    save_unswitched(p, xsave);
    if (p.state != PartitionState::Ready) p.finished_at = left;
    if (p.state == PartitionState::Stopped) {
        report_stop(p);
        maybe_restart_after_fault(p);
    }
}

// ---- choosing ---------------------------------------------------------------------

// Round robin over this CPU's partitions that can run, starting after the
// last one.
Partition* next_ready(size_t cpu, size_t& cursor) {
    const size_t count = partition_count();
    for (size_t step = 1; step <= count; ++step) {
        const size_t index = (cursor + step) % count;
        Partition& p = partition_at(index);
        if (p.config.cpu == cpu && wants_cpu(p.state)) {
            cursor = index;
            return &p;
        }
    }
    return nullptr;
}

// ---- the run limit ------------------------------------------------------------------

bool run_limit_reached() { return g_run_deadline != 0 && x86::read_tsc() >= g_run_deadline; }

// CPU 0 keeps the clock: past the limit it asks every partition that still
// runs to stop, on every CPU, so that even a guest that never ends cannot
// keep the run from ending. (A partition busy with another request is asked
// again on the next round.)
bool run_limit_needs_enforcing(size_t cpu) {
    if (cpu != 0 || !run_limit_reached()) return false;
    for (size_t i = 0; i < partition_count(); ++i) {
        const Partition& p = partition_at(i);
        if (wants_cpu(p.state) && !has_pending_request(p)) return true;
    }
    return false;
}

void enforce_run_limit(size_t cpu) {
    if (!run_limit_needs_enforcing(cpu)) return;
    for (size_t i = 0; i < partition_count(); ++i) {
        Partition& p = partition_at(i);
        if (wants_cpu(p.state) && !has_pending_request(p))
            request_control(p, ControlOp::Stop, nullptr, g_run_limit_reason);
    }
}

// ---- when the run is over -----------------------------------------------------------
//
// Each CPU is busy (running or looking for work) or idle (none of its
// partitions can run). Only busy CPUs make requests (a control partition runs
// on one; CPU 0 enforces the run limit), and a CPU leaves idle only under
// g_run_lock. So when the last CPU goes idle with no request pending,
// nothing can ever run again: the run is over, for every CPU at once.

Spinlock g_run_lock;
size_t g_busy_cpus = 0;
bool g_run_over = false;

bool any_request_pending() {
    for (size_t i = 0; i < partition_count(); ++i)
        if (has_pending_request(partition_at(i))) return true;
    return false;
}

bool has_own_work(size_t cpu) {
    for (size_t i = 0; i < partition_count(); ++i) {
        const Partition& p = partition_at(i);
        if (p.config.cpu == cpu && (wants_cpu(p.state) || has_pending_request(p))) return true;
    }
    return false;
}

void wake_the_other_cpus(size_t self) {
    for (size_t cpu = 0; cpu < online_cpu_count(); ++cpu)
        if (cpu != self) kick_cpu(cpu);
}

// Called when none of this CPU's partitions can run. Sleeps in HLT until
// there is work for it again (true) or the run is over (false). CPU 0 with
// a run limit watches the clock instead of sleeping.
bool wait_for_work(size_t cpu) {
    {
        SpinlockGuard guard(g_run_lock);
        if (--g_busy_cpus == 0 && !any_request_pending()) g_run_over = true;
    }
    for (;;) {
        {
            SpinlockGuard guard(g_run_lock);
            if (g_run_over) break;
            if (has_own_work(cpu) || run_limit_needs_enforcing(cpu)) {
                ++g_busy_cpus;
                return true;
            }
        }
        // A kick that arrives after the check stays pending (interrupts are
        // off in root mode) and ends the HLT at once: no lost wake-up.
        if (cpu == 0 && g_settings.run_limit_ms != 0)
            x86::pause();
        else
            wait_for_kick();
    }
    wake_the_other_cpus(cpu);
    return false;
}

// The time slice in VMX-preemption timer units: the timer ticks once every
// 2^rate TSC ticks (IA32_VMX_MISC[4:0]).
void set_up_time_slices(const SchedulerSettings& settings) {
    if (!preemption_timer_enabled()) {
        log_warn("scheduler: no VMX-preemption timer: a partition keeps the CPU until it halts, yields or stops");
        return;
    }
    uint64_t value = microseconds_to_tsc(settings.slice_us) >> g_caps->preemption_timer_rate;
    if (value == 0) value = 1;
    if (value > kMaxTimerValue) value = kMaxTimerValue;
    g_slice_timer_value = static_cast<uint32_t>(value);
    log_info("scheduler: round robin on each CPU, %u us slices (VMX-preemption timer %u%s)", settings.slice_us,
             g_slice_timer_value, preemption_timer_saved_on_exit() ? ", kept across exits" : ", restarted at every entry");
}

}  // namespace

void prepare_scheduler(const x86::VmxCapabilities& caps, const SchedulerSettings& settings) {
    g_caps = &caps;
    g_settings = settings;
    set_up_time_slices(settings);
    g_busy_cpus = online_cpu_count();
    format(g_run_limit_reason, sizeof g_run_limit_reason, "the run limit (%lu ms)", settings.run_limit_ms);
    if (settings.run_limit_ms != 0)
        g_run_deadline = x86::read_tsc() + microseconds_to_tsc(settings.run_limit_ms * kMicrosecondsPerMillisecond);
}

void run_cpu(size_t cpu) {
    size_t cursor = partition_count() - 1;
    for (;;) {
        enforce_run_limit(cpu);
        carry_out_requests(cpu);
        if (Partition* p = next_ready(cpu, cursor)) {
            run_until_it_yields(*p);
            continue;
        }
        if (!wait_for_work(cpu)) return;
    }
}

}  // namespace bulkhead
