// The set of partitions: built from the configuration, run in turns on the
// boot CPU, and summed up when all have finished.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/vmx_capabilities.hpp"
#include "kernel/boot_info.hpp"
#include "kernel/run_end.hpp"
#include "vmm/exit_handlers.hpp"

namespace bulkhead {

struct Partition;

// How the boot CPU shares itself between partitions (from the command line).
struct SchedulerSettings {
    uint32_t slice_us;        // each partition's time slice
    uint64_t run_limit_ms;    // stop whatever still runs after this long; 0 = never
};

// Builds every partition of the configuration, runs them until none can run
// any more, prints the summary and returns the run's verdict: a pass only if
// every partition did what its configuration expected.
RunStatus run_partitions(const BootInfo& boot, const x86::VmxCapabilities& caps, const SchedulerSettings& settings);

// A VirtualUart::LineSink: prints one line of the partition's output.
void print_partition_line(void* partition, const char* line, size_t length);

// Asks the CPU a partition runs on to stop it (from any CPU): the request is
// recorded and that CPU kicked, so the guest exits at once even if it never
// would by itself.
void request_stop(Partition& partition, const char* reason);

// On the partition's own CPU: acts on a pending request. True if the
// partition is now stopped.
bool carry_out_requests(Partition& partition);

// The partition reported `status` (hypercall or test-exit port).
ExitAction partition_exited(Partition& partition, uint64_t status);

}  // namespace bulkhead
