// The exit trace on the running hypervisor: one TraceRing per CPU
// (vmm/exit_trace.hpp), filled on the exit path for the partitions whose
// `tracing` flag is on, and printed by the monitor, by bulkheadctl's
// hypercall, and when a partition is stopped for a fault.
//
// Cost when a partition's tracing is off: vmx_handle_exit tests the flag,
// one compare and branch, and takes the untraced path (docs/monitor.md
// shows the exit benchmark with tracing off and on).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmm/exit_trace.hpp"

namespace bulkhead {

struct Partition;

// On the partition's CPU, at the start of an exit's handling: records the
// exit (reason, qualification, RIP and the reason's details) in this CPU's
// ring and returns the entry, for the handling time.
TraceEntry& record_exit(const Partition& partition, uint16_t reason, uint64_t start_tsc);

// Switches tracing for the partition on or off (any CPU).
void set_tracing(Partition& partition, bool on);

// The partition's CPU time while it was traced: what the handling times
// of its (traced) exits are a share of.
uint64_t traced_cpu_ticks(const Partition& partition);

// The ring of CPU `cpu`, for the control hypercall that reads it.
const TraceRing& trace_ring(size_t cpu);

// Prints the partition's last (up to `count`) traced exits on the console,
// oldest first, under a heading that says why; any CPU.
void print_trace(const Partition& partition, size_t count, const char* why);

// The number of entries the fault dump shows.
inline constexpr size_t kFaultTraceEntries = 16;

}  // namespace bulkhead
