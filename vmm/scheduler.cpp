// The per-CPU scheduler (vmm/scheduler.hpp): pick the next ready partition of
// this CPU, run it until it leaves the CPU, act on what it did, repeat.
#include "vmm/scheduler.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"
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
#include "vmm/vcpu_events.hpp"
#include "vmm/vmcs.hpp"
#include "vmm/vmcs_setup.hpp"
#include "vmm/vmx_root.hpp"

namespace bulkhead {

namespace {

constexpr uint64_t kNever = ~0ull;

const x86::VmxCapabilities* g_caps = nullptr;
SchedulerSettings g_settings{};
uint64_t g_slice_ticks = 0;   // TSC ticks in one time slice; 0 = no preemption timer, no slices
uint64_t g_run_deadline = 0;   // TSC value at which the run limit is reached; 0 = no limit
char g_run_limit_reason[48] = "";   // "the run limit (200 ms)", for the stop reason

// ---- state VMX does not switch ------------------------------------------------

// Which optional registers this CPU has (the same on every CPU).
struct UnswitchedRegisters {
    bool xcr0;      // XSAVE enabled (CR4.OSXSAVE)
    bool tsc_aux;   // RDTSCP exists
};
UnswitchedRegisters g_unswitched{};

void save_unswitched(Partition& p) {
    UnswitchedGuestState& u = p.vcpu.unswitched;
    u.star = x86::read_msr(x86::Msr::Star);
    u.lstar = x86::read_msr(x86::Msr::Lstar);
    u.cstar = x86::read_msr(x86::Msr::Cstar);
    u.syscall_mask = x86::read_msr(x86::Msr::SyscallMask);
    u.kernel_gs_base = x86::read_msr(x86::Msr::KernelGsBase);
    if (g_unswitched.tsc_aux) u.tsc_aux = x86::read_msr(x86::Msr::TscAux);
    if (g_unswitched.xcr0) u.xcr0 = x86::read_xcr0();
}

void load_unswitched(const Partition& p) {
    const UnswitchedGuestState& u = p.vcpu.unswitched;
    x86::write_msr(x86::Msr::Star, u.star);
    x86::write_msr(x86::Msr::Lstar, u.lstar);
    x86::write_msr(x86::Msr::Cstar, u.cstar);
    x86::write_msr(x86::Msr::SyscallMask, u.syscall_mask);
    x86::write_msr(x86::Msr::KernelGsBase, u.kernel_gs_base);
    if (g_unswitched.tsc_aux) x86::write_msr(x86::Msr::TscAux, u.tsc_aux);
    if (g_unswitched.xcr0) x86::write_xcr0(u.xcr0);
}

UnswitchedRegisters find_unswitched_registers() {
    const bool rdtscp = (x86::cpuid(x86::cpuid_bits::kLeafExtendedFeatures).edx & x86::cpuid_bits::kExtEdxRdtscp) != 0;
    return {(x86::read_cr4() & x86::cr4::kOsxsave) != 0, rdtscp};
}

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

// A partition that has its CPU to itself gets this many slices at once:
// nobody waits for the CPU, and every slice end is an exit (a tenth of a
// Linux guest's exits when it ran alone with plain slices). Its CPU time and
// uptime figures are then up to date only at that pace.
constexpr uint64_t kLoneSliceFactor = 10;

// Another partition on this CPU is ready to run now.
bool has_ready_neighbour(const Partition& p) {
    for (size_t i = 0; i < partition_count(); ++i) {
        const Partition& other = partition_at(i);
        if (&other != &p && other.config.cpu == p.config.cpu && wants_cpu(other.state)) return true;
    }
    return false;
}

uint64_t next_wake_up(size_t cpu);

// A fresh slice, ending weight x slice_us from now. The VMX-preemption timer
// counts towards that (or towards the guest's own APIC timer, if that comes
// first: vmm/vcpu_events.cpp) and, when the CPU saves it on exit, keeps
// counting across the exits the guest takes meanwhile. A partition's weight
// is the number of slices it gets per turn. Alone on its CPU it gets
// kLoneSliceFactor slices, cut short by the first wake-up of a waiting
// neighbour's timer and, on CPU 0, by the run limit.
uint64_t slice_end_from(const Partition& p, uint64_t now) {
    if (g_slice_ticks == 0) return kNever;
    if (has_ready_neighbour(p)) return now + g_slice_ticks * p.config.weight;
    uint64_t end = now + g_slice_ticks * kLoneSliceFactor;
    const uint64_t wake = next_wake_up(p.config.cpu);
    if (wake != 0 && wake < end) end = wake;
    if (p.config.cpu == 0 && g_run_deadline != 0 && g_run_deadline < end) end = g_run_deadline;
    return end;
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
    if (x86::vmx::vmptrld(p.vmcs) != x86::vmx::VmxResult::Ok) panic("VMPTRLD failed");
    if (!p.vcpu.launched) write_host_state();   // this CPU's tables, whichever CPU built the VMCS
    load_unswitched(p);
    start_slice(p, slice_end_from(p, x86::read_tsc()));
    p.cpu_time.start_turn(x86::read_tsc());
    const VmRunResult result = vmx_run(&p.vcpu.registers, p.vcpu.launched);
    const uint64_t left = x86::read_tsc();
    p.cpu_time.end_turn(left);
    if (result != VmRunResult::Left) stop_after_failed_entry(p, result);
    save_unswitched(p);
    // Only a partition that is done stops its uptime; one that waits in HLT is live.
    if (!keeps_run_alive(p.state)) p.finished_at = left;
    if (p.state == PartitionState::Stopped) {
        report_stop(p);
        maybe_restart_after_fault(p);
    }
}

// ---- choosing ---------------------------------------------------------------------

// A waiting partition whose interrupt has come (its timer fired, input
// arrived) is ready again.
bool ready_to_run(Partition& p, uint64_t now) {
    if (p.state == PartitionState::Waiting && waiting_vcpu_can_run(p, now)) p.state = PartitionState::Ready;
    return wants_cpu(p.state);
}

// Round robin over this CPU's partitions that can run, starting after the
// last one.
Partition* next_ready(size_t cpu, size_t& cursor) {
    const size_t count = partition_count();
    const uint64_t now = x86::read_tsc();
    for (size_t step = 1; step <= count; ++step) {
        const size_t index = (cursor + step) % count;
        Partition& p = partition_at(index);
        if (p.config.cpu == cpu && ready_to_run(p, now)) {
            cursor = index;
            return &p;
        }
    }
    return nullptr;
}

// When the first of this CPU's waiting partitions is due to wake (its APIC
// timer), for the idle CPU's own timer; 0 when none has a timer armed.
uint64_t next_wake_up(size_t cpu) {
    uint64_t first = 0;
    for (size_t i = 0; i < partition_count(); ++i) {
        const Partition& p = partition_at(i);
        if (p.config.cpu != cpu || p.state != PartitionState::Waiting) continue;
        const uint64_t due = waiting_vcpu_deadline(p);
        if (due != 0 && (first == 0 || due < first)) first = due;
    }
    return first;
}

}  // namespace

// A waiting partition on this CPU was given something to do (console input):
// it should not wait for the running one's slice to end.
bool neighbour_needs_cpu(const Partition& p) {
    if (requests_waiting(p.config.cpu)) return true;
    for (size_t i = 0; i < partition_count(); ++i) {
        const Partition& other = partition_at(i);
        if (&other != &p && other.config.cpu == p.config.cpu && other.state == PartitionState::Waiting &&
            __atomic_load_n(&other.vcpu.attention, __ATOMIC_ACQUIRE))
            return true;
    }
    return false;
}

namespace {

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
        if (keeps_run_alive(p.state) && !has_pending_request(p)) return true;
    }
    return false;
}

void enforce_run_limit(size_t cpu) {
    if (!run_limit_needs_enforcing(cpu)) return;
    for (size_t i = 0; i < partition_count(); ++i) {
        Partition& p = partition_at(i);
        if (keeps_run_alive(p.state) && !has_pending_request(p))
            request_control(p, ControlOp::Stop, nullptr, g_run_limit_reason);
    }
}

// ---- when the run is over -----------------------------------------------------------
//
// Each CPU is busy (running or looking for work) or idle (none of its
// partitions can run now). Only busy CPUs make requests (a control partition
// runs on one; CPU 0 enforces the run limit), and a CPU leaves idle only
// under g_run_lock. So when the last CPU goes idle with no request pending
// and no partition waiting for an interrupt, nothing can ever run again: the
// run is over, for every CPU at once. A waiting partition keeps the run
// going, as a sleeping OS keeps a machine on: its timer or a keystroke may
// wake it.

Spinlock g_run_lock;
size_t g_busy_cpus = 0;
bool g_run_over = false;

bool any_request_pending() {
    for (size_t i = 0; i < partition_count(); ++i)
        if (has_pending_request(partition_at(i))) return true;
    return false;
}

// A waiting partition's interrupt may still come; a paused one may be resumed.
bool any_partition_may_run_again() {
    for (size_t i = 0; i < partition_count(); ++i) {
        const PartitionState state = partition_at(i).state;
        if (state == PartitionState::Waiting || state == PartitionState::Paused) return true;
    }
    return false;
}

bool has_own_work(size_t cpu) {
    const uint64_t now = x86::read_tsc();
    for (size_t i = 0; i < partition_count(); ++i) {
        Partition& p = partition_at(i);
        if (p.config.cpu == cpu && (ready_to_run(p, now) || has_pending_request(p))) return true;
    }
    return false;
}

void wake_the_other_cpus(size_t self) {
    for (size_t cpu = 0; cpu < online_cpu_count(); ++cpu)
        if (cpu != self) kick_cpu(cpu);
}

// When this idle CPU must wake by itself: for the first of its waiting
// partitions' timers, and on CPU 0 for the run limit. 0: only when kicked.
uint64_t idle_deadline(size_t cpu) {
    uint64_t deadline = next_wake_up(cpu);
    if (cpu == 0 && g_run_deadline != 0 && (deadline == 0 || g_run_deadline < deadline)) deadline = g_run_deadline;
    return deadline;
}

// Called when none of this CPU's partitions can run. Sleeps in HLT until
// there is work for it again (true) or the run is over (false).
bool wait_for_work(size_t cpu) {
    {
        SpinlockGuard guard(g_run_lock);
        if (--g_busy_cpus == 0 && !any_request_pending() && !any_partition_may_run_again()) g_run_over = true;
    }
    for (;;) {
        uint64_t deadline = 0;
        {
            SpinlockGuard guard(g_run_lock);
            if (g_run_over) break;
            if (has_own_work(cpu) || run_limit_needs_enforcing(cpu)) {
                ++g_busy_cpus;
                return true;
            }
            deadline = idle_deadline(cpu);
        }
        // A kick that arrives after the check stays pending (interrupts are
        // off in root mode) and ends the HLT at once: no lost wake-up. The
        // CPU's own timer ends it at the deadline.
        wait_for_interrupt(deadline);
    }
    wake_the_other_cpus(cpu);
    return false;
}

// The time slice in TSC ticks; the preemption timer counts it down
// (vmm/vcpu_events.cpp converts to its rate, IA32_VMX_MISC[4:0]).
void set_up_time_slices(const SchedulerSettings& settings) {
    if (!preemption_timer_enabled()) {
        log_warn("scheduler: no VMX-preemption timer: a partition keeps the CPU until it halts, yields or stops");
        return;
    }
    g_slice_ticks = microseconds_to_tsc(settings.slice_us);
    if (g_slice_ticks == 0) g_slice_ticks = 1;
    log_info("scheduler: round robin on each CPU, %u us slices (%lu TSC ticks, VMX-preemption timer%s)",
             settings.slice_us, g_slice_ticks,
             preemption_timer_saved_on_exit() ? " kept across exits" : " restarted at every entry");
}

}  // namespace

void prepare_scheduler(const x86::VmxCapabilities& caps, const SchedulerSettings& settings) {
    g_caps = &caps;
    g_settings = settings;
    g_unswitched = find_unswitched_registers();
    prepare_vcpu_events(caps);
    set_up_time_slices(settings);
    g_busy_cpus = online_cpu_count();
    format(g_run_limit_reason, sizeof g_run_limit_reason, "the run limit (%lu ms)", settings.run_limit_ms);
    if (settings.run_limit_ms != 0)
        g_run_deadline = x86::read_tsc() + microseconds_to_tsc(settings.run_limit_ms * kMicrosecondsPerMillisecond);
}

void run_cpu(size_t cpu) {
    size_t cursor = partition_count() - 1;
    for (;;) {
        take_pending_interrupts();
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
