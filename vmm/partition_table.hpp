// The partitions of this run (built by vmm/partitions.cpp) and the steps that
// (re)start one, shared by the scheduler and the control plane.
#pragma once

#include <stddef.h>

#include "vmm/partition.hpp"

namespace bulkhead {

size_t partition_count();
Partition& partition_at(size_t index);   // index < partition_count(); index == id

// Copies the pristine image into the partition's memory and gives it a fresh
// vCPU and VMCS (current on the calling CPU afterwards). False, with the
// reason logged, if the image is refused.
bool load_and_reset(Partition& partition);

// Drops the calling CPU's cached translations of the partition's previous
// life (guest-physical ones tagged by EPTP, linear ones tagged by VPID).
void flush_cached_translations(const Partition& partition);

// Marks a (re)start: counts it and starts its uptime.
void mark_started(Partition& partition);

// Prints the partition's last output and why it was stopped.
void report_stop(Partition& partition);

}  // namespace bulkhead
