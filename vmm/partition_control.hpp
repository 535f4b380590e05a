// Control requests: pause, resume, stop, restart or start a partition, asked
// from any CPU (the control partition's hypercalls, the run limit, later the
// monitor) and carried out only by the partition's own CPU, in its scheduler
// loop, while the partition is not running there.
//
// Why only there: a partition's VMCS is active on its CPU alone, and a
// partition runs on one CPU only (cpu= pins it), so no lock is needed and the
// partition can never run on two CPUs at once. The requester records the
// request in the partition and kicks its CPU; the kick is an interrupt, and
// an interrupt makes a running guest exit at once (external-interrupt
// exiting), even a guest that spins with interrupts off.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmm/control_plane.hpp"
#include "vmm/partition.hpp"

namespace bulkhead {

// From any CPU: records `op` for the partition and kicks its CPU. `by` is
// the requesting partition, or null for the hypervisor with `reason`.
// Returns 0, BH_E_WRONG_STATE, or BH_E_BUSY (an earlier request is pending).
int64_t request_control(Partition& partition, ControlOp op, const Partition* by, const char* reason);

// From any CPU: asks the partition's CPU to print its vCPU state
// (vmm/vcpu_dump.hpp), the only CPU where its VMCS can be read.
void request_vcpu_dump(Partition& partition);

// True while a request waits for the partition's CPU.
bool has_pending_request(const Partition& partition);

// True when a request for one of CPU `cpu`'s partitions was published and
// not yet looked at (carry_out_requests).
bool requests_waiting(size_t cpu);

// On CPU `cpu`, with no guest running: carries out the pending requests of
// the partitions pinned to it.
void carry_out_requests(size_t cpu);

// The control plane over this run's partitions, for the control hypercalls.
const ControlPlane& control_plane();

}  // namespace bulkhead
