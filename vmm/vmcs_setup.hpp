// Filling in a partition's VMCS (Intel SDM Vol. 3C, chapter 25): the
// controls that decide what exits, the host state a VM exit returns to, and
// the guest state the partition starts from.
#pragma once

#include <stdint.h>

#include "arch/x86_64/vmx_capabilities.hpp"
#include "vmm/guest_loader.hpp"

namespace bulkhead {

struct Partition;

// The control values for every partition on this CPU, computed once from the
// capability MSRs: the bits Bulkhead needs, plus the CPU's must-be-one bits,
// within its may-be-one bits.
struct VmxControls {
    uint32_t pin_based, proc_based, proc_based2, exit, entry;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

// Ends the run naming every required control this CPU lacks.
const VmxControls& compute_vmx_controls(const x86::VmxCapabilities& caps);
const VmxControls& vmx_controls();

// Whether slices are enforced by the VMX-preemption timer, and whether the
// timer keeps counting across exits (saved on exit) rather than restarting.
bool preemption_timer_enabled();
bool preemption_timer_saved_on_exit();

// Makes the partition's VMCS current and writes all of it: controls, host
// state and the guest state of `entry`. Used at creation and on restart.
void setup_vmcs(Partition& partition, const GuestEntryState& entry);

// Writes the calling CPU's host state into the current VMCS: a partition's
// first VM entry on a CPU must return to that CPU's own tables and stacks.
void write_host_state();

// The CR0/CR4 value the CPU really runs with for a value the guest asked for:
// VMX's fixed bits applied (with unrestricted guest, CR0.PE and CR0.PG stay
// the guest's choice).
uint64_t real_guest_cr0(uint64_t guest_value);
uint64_t real_guest_cr4(uint64_t guest_value);

}  // namespace bulkhead
