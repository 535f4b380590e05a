// Interrupt injection, the guest's APIC timer and HLT (vmm/vcpu_events.hpp).
#include "vmm/vcpu_events.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/vmx_controls.hpp"
#include "vmm/console_input.hpp"
#include "vmm/vmcs.hpp"
#include "vmm/vmcs_setup.hpp"

namespace bulkhead {

namespace {

using x86::vmx::VmcsField;
namespace interruptibility = x86::vmx::interruptibility;

constexpr uint64_t kMaxTimerValue = 0xffffffff;   // the VMX-preemption timer field is 32 bits wide

unsigned g_timer_rate = 0;       // the preemption timer counts once every 2^rate TSC ticks
bool g_timer_enabled = false;
bool g_timer_saved = false;      // kept across exits; otherwise it restarts at every VM entry

// The preemption timer counts until whichever comes first: the end of the
// slice or the guest's APIC timer. Rounded up, so it never fires early.
void arm_preemption_timer(Partition& p, uint64_t now) {
    if (!g_timer_enabled) return;
    uint64_t target = p.vcpu.slice_end;
    const uint64_t due = p.platform.lapic.timer_due();
    if (due != 0 && due < target) target = due;
    const uint64_t ticks = target > now ? target - now : 0;
    const uint64_t value = (ticks + (uint64_t{1} << g_timer_rate) - 1) >> g_timer_rate;
    vmcs::write(VmcsField::PreemptionTimerValue, value < kMaxTimerValue ? value : kMaxTimerValue);
}

void set_interrupt_window_exiting(Vcpu& v, bool on) {
    if (v.interrupt_window_exiting == on) return;
    v.interrupt_window_exiting = on;
    const uint32_t base = vmx_controls().proc_based;
    vmcs::write(VmcsField::ProcBasedControls,
                on ? (base | x86::vmx::proc_based::kInterruptWindowExiting) : base);
}

// The guest takes an external interrupt at the next instruction boundary
// only with RFLAGS.IF set and outside an STI or MOV SS shadow.
bool guest_accepts_interrupts() {
    if ((vmcs::read(VmcsField::GuestRflags) & x86::rflags::kInterruptEnable) == 0) return false;
    return (vmcs::read(VmcsField::GuestInterruptibilityState) & interruptibility::kShadow) == 0;
}

void inject_pending_interrupt(Partition& p) {
    Vcpu& v = p.vcpu;
    VirtualLapic& lapic = p.platform.lapic;
    uint8_t vector = 0;
    if (!lapic.interrupt_ready(vector)) {
        set_interrupt_window_exiting(v, false);
        return;
    }
    // An exception injected by this exit's handler goes first; the
    // interrupt waits for the window after it.
    const x86::vmx::InterruptionInfo already{static_cast<uint32_t>(vmcs::read(VmcsField::VmEntryInterruptionInfo))};
    if (already.valid() || !guest_accepts_interrupts()) {
        set_interrupt_window_exiting(v, true);
        return;
    }
    vmcs::write(VmcsField::VmEntryInterruptionInfo, x86::vmx::make_external_interrupt(vector).raw);
    lapic.acknowledge(vector);
    ++p.counters.injected_interrupts;
    // A higher-priority vector still pending can interrupt the handler of
    // this one as soon as the guest lets it.
    set_interrupt_window_exiting(v, lapic.interrupt_ready(vector));
}

}  // namespace

void prepare_vcpu_events(const x86::VmxCapabilities& caps) {
    g_timer_rate = caps.preemption_timer_rate;
    g_timer_enabled = preemption_timer_enabled();
    g_timer_saved = preemption_timer_saved_on_exit();
}

void service_vcpu_events(Partition& p) {
    Vcpu& v = p.vcpu;
    // Cleared before looking: a request that arrives meanwhile sets it
    // again and is seen at the next exit.
    __atomic_store_n(&v.attention, false, __ATOMIC_RELAXED);
    const uint64_t now = x86::read_tsc();
    take_console_input(p);
    p.platform.lapic.update_timer(now);
    // A timer that restarts at every VM entry must be recomputed at every
    // entry, or exits would keep postponing the slice's end.
    if (v.timer_changed || !g_timer_saved) {
        v.timer_changed = false;
        arm_preemption_timer(p, now);
        if (!g_timer_saved) v.attention = true;
    }
    inject_pending_interrupt(p);
}

void start_slice(Partition& p, uint64_t slice_end) {
    p.vcpu.slice_end = slice_end;
    p.vcpu.timer_changed = true;
    service_vcpu_events(p);
}

ExitAction preemption_timer_fired(Partition& p) {
    const uint64_t now = x86::read_tsc();
    p.platform.lapic.update_timer(now);
    if (now >= p.vcpu.slice_end) return ExitAction::Yield;
    p.vcpu.timer_changed = true;
    request_attention(p.vcpu);
    return ExitAction::Resume;
}

HaltOutcome halt_vcpu(Partition& p) {
    // HLT in an STI shadow (Linux idles with "sti; hlt") ends the shadow:
    // the instruction after STI has run, so an interrupt may come now.
    const uint64_t state = vmcs::read(VmcsField::GuestInterruptibilityState);
    if (state & interruptibility::kShadow)
        vmcs::write(VmcsField::GuestInterruptibilityState, state & ~uint64_t{interruptibility::kShadow});
    const bool interrupts_on = (vmcs::read(VmcsField::GuestRflags) & x86::rflags::kInterruptEnable) != 0;
    if (!interrupts_on || !p.platform.lapic.software_enabled()) return HaltOutcome::Forever;
    if (waiting_vcpu_can_run(p, x86::read_tsc())) return HaltOutcome::Continue;
    return HaltOutcome::Wait;
}

bool waiting_vcpu_can_run(Partition& p, uint64_t now) {
    take_console_input(p);
    p.platform.lapic.update_timer(now);
    uint8_t vector = 0;
    if (!p.platform.lapic.interrupt_ready(vector)) return false;
    request_attention(p.vcpu);
    return true;
}

uint64_t waiting_vcpu_deadline(const Partition& p) { return p.platform.lapic.timer_due(); }

}  // namespace bulkhead
