// Interrupts and time for a partition's vCPU: injecting what its virtual
// local APIC has pending, running its APIC timer on the VMX-preemption
// timer, and what HLT means once interrupts exist.
//
// The hot path stays cheap: after every exit handler that returns Resume,
// vmm/vmx_entry.S tests one flag (Vcpu::attention) and resumes the guest.
// Only when something changed - a device raised an interrupt, the guest
// wrote its APIC, console input arrived - does service_vcpu_events() look
// at the APIC and the VMCS first.
//
// Injection (SDM Vol. 3C, 27.6 and 25.8.3): a pending vector goes into the
// VM-entry interruption-information field when the guest can take it
// (RFLAGS.IF set, no STI/MOV SS shadow, nothing else being injected);
// otherwise "interrupt-window exiting" makes the CPU exit as soon as it can,
// and the injection happens then.
//
// Time: a slice ends at Vcpu::slice_end (TSC), the guest's APIC timer at
// VirtualLapic::timer_due(); the VMX-preemption timer is set to whichever
// comes first. When it fires before the slice is over, the APIC timer
// interrupt is raised and the guest resumes.
#pragma once

#include <stdint.h>

#include "arch/x86_64/vmx_capabilities.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/partition.hpp"

namespace bulkhead {

// Any CPU may call it: the vCPU's CPU looks at its interrupts before the
// next VM entry (or, if the partition waits, when its scheduler next looks).
inline void request_attention(Vcpu& vcpu) { __atomic_store_n(&vcpu.attention, true, __ATOMIC_RELEASE); }

// Once per run, before any partition runs: the preemption timer's rate.
void prepare_vcpu_events(const x86::VmxCapabilities& caps);

// The first VM entry of a time slice that ends at TSC `slice_end` (the VMCS
// current): arms the timer and injects what is pending.
void start_slice(Partition& partition, uint64_t slice_end);

// Before a VM entry, when Vcpu::attention is set (vmm/vmx_entry.S tests it).
void service_vcpu_events(Partition& partition);

// What an executed HLT means (the handler has stepped over it).
enum class HaltOutcome : uint8_t {
    Continue,   // an interrupt is deliverable already: resume and take it
    Wait,       // sleep until the APIC timer or an interrupt wakes the vCPU
    Forever,    // interrupts are off (or its APIC is): nothing can ever wake it
};
HaltOutcome halt_vcpu(Partition& partition);

// The VMX-preemption timer fired: the slice is over (Yield), or the guest's
// APIC timer is due (its interrupt is raised; Resume).
ExitAction preemption_timer_fired(Partition& partition);

// For the scheduler, while the partition is not running (no VMCS needed):
// whether a waiting vCPU has an interrupt to take now (its timer fired,
// input arrived), and when its timer fires next (0: not armed).
bool waiting_vcpu_can_run(Partition& partition, uint64_t now);
uint64_t waiting_vcpu_deadline(const Partition& partition);

}  // namespace bulkhead
