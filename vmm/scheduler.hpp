// Scheduling partitions on the CPUs: every CPU runs its own partitions
// (cpu= pins each one) in weighted round robin, one time slice at a time on
// the VMX-preemption timer, and idles in HLT when none of them can run.
// docs/scheduling.md describes the policy and its guarantees.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/vmx_capabilities.hpp"

namespace bulkhead {

// How the CPUs share themselves between partitions (from the command line).
struct SchedulerSettings {
    uint32_t slice_us;        // each partition's time slice
    uint64_t run_limit_ms;    // stop whatever still runs after this long; 0 = never
};

// Computes the time slice and starts the run's clock; before run_cpu.
void prepare_scheduler(const x86::VmxCapabilities& caps, const SchedulerSettings& settings);

// One CPU's scheduler, run on every online CPU at once. Returns when the run
// is over: no partition on any CPU can run and no request is pending.
void run_cpu(size_t cpu);

// For an exit caused by a kick: whether the running partition `p` should
// leave its CPU early, because a request waits there or a waiting
// partition on the same CPU got work (console input).
struct Partition;
bool neighbour_needs_cpu(const Partition& p);

}  // namespace bulkhead
