// The set of partitions: built from the configuration, run by the scheduler
// on every CPU, and summed up when the run is over.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/vmx_capabilities.hpp"
#include "kernel/boot_info.hpp"
#include "kernel/run_end.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/scheduler.hpp"

namespace bulkhead {

struct Partition;

// Builds every partition of the configuration, runs them until none can run
// any more, prints the summary and returns the run's verdict: a pass only if
// every partition did what its configuration expected.
RunStatus run_partitions(const BootInfo& boot, const x86::VmxCapabilities& caps, const SchedulerSettings& settings);

// A VirtualUart::LineSink: prints the partition's output on the console.
void print_partition_line(void* partition, const char* text, size_t length, bool line_ends);

// The partition reported `status` (hypercall or test-exit port).
ExitAction partition_exited(Partition& partition, uint64_t status);

// The partition powered itself off (ACPI S5): a clean end, status 0.
ExitAction partition_powered_off(Partition& partition);

}  // namespace bulkhead
