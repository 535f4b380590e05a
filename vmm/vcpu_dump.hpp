// The monitor's `vcpu` command: a partition's registers and its VMCS
// guest-state area, every field by name, flag registers decoded.
#pragma once

namespace bulkhead {

struct Partition;

// On the partition's own CPU, with no guest running (the VMCS of a
// partition can be current on one CPU only): makes its VMCS current and
// prints it. The scheduler loads the VMCS of whichever partition runs next.
void print_vcpu_state(Partition& partition);

}  // namespace bulkhead
