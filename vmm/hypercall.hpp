// Hypercall ABI v1 (docs/hypercalls.md, include/bulkhead/hypercall.h): the
// hypervisor side. A guest's VMCALL arrives here with its call number and
// arguments; the result says what to return in RAX and what the partition
// does next. Nothing a guest passes can make this read or write outside the
// guest's own memory, or take unbounded time.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmm/control_plane.hpp"
#include "vmm/guest_loader.hpp"
#include "vmm/hypercall_names.hpp"
#include "vmm/virtual_uart.hpp"

namespace bulkhead {

// True when guest-physical [gpa, gpa + length) lies inside the partition's
// memory (written so that no sum can overflow).
inline bool guest_contains(const GuestMemory& memory, uint64_t gpa, uint64_t length) {
    return gpa <= memory.size && length <= memory.size - gpa;
}

struct HypercallContext {
    GuestMemory memory;
    VirtualUart& console;
    VirtualUart::LineSink sink;
    void* sink_context;
    uint32_t partition_id;
    const char* partition_name;
    // The control calls reach the partitions through this; null for a
    // partition without the control capability (its calls are refused).
    const ControlPlane* control = nullptr;
    // The caller's privilege level (SS.DPL), and whether the partition
    // accepts hypercalls from user mode (user_hypercalls=yes).
    uint8_t cpl = 0;
    bool user_mode_allowed = false;
};

enum class HypercallAction : uint8_t { Resume, Yield, Exit };

struct HypercallResult {
    int64_t value;             // goes to the guest's RAX
    HypercallAction action;
    uint64_t exit_status;      // with HypercallAction::Exit
};

// Arguments are register values; in a 32-bit or 16-bit guest the caller
// passes them truncated to 32 bits.
HypercallResult handle_hypercall(uint64_t number, uint64_t arg0, uint64_t arg1, uint64_t arg2,
                                 HypercallContext& context);

}  // namespace bulkhead
