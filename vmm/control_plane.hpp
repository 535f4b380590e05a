// What the control interfaces (the control hypercalls, the monitor) may see
// and ask of the partitions, as a table of functions: vmm/hypercall.cpp uses
// it without knowing how partitions are kept, so the host unit tests can
// drive it with a fake, and vmm/partition_control.cpp implements it for the
// running hypervisor.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "include/bulkhead/hypercall.h"
#include "vmm/partition_lifecycle.hpp"

namespace bulkhead {

struct ControlPlane {
    void* context;
    size_t (*partition_count)(void* context);
    // Fills `out` for partition `id` (< partition_count).
    void (*describe)(void* context, uint32_t id, bh_partition_status& out);
    // Asks for `op` on partition `id`; 0 when accepted, else a BH_E_* error
    // (BH_E_NO_SUCH_PARTITION, BH_E_WRONG_STATE, BH_E_BUSY).
    int64_t (*request)(void* context, uint32_t id, ControlOp op, uint32_t requester_id);
    // Fills `out` with partition `id`'s exit statistics.
    void (*stats)(void* context, uint32_t id, bh_partition_stats& out);
    // Switches partition `id`'s exit trace.
    void (*set_trace)(void* context, uint32_t id, bool on);
    // Copies up to `capacity` of partition `id`'s last traced exits, oldest
    // first; returns how many.
    size_t (*read_trace)(void* context, uint32_t id, bh_trace_entry* out, size_t capacity);
};

}  // namespace bulkhead
