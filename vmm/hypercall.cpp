#include "vmm/hypercall.hpp"

#include "include/bulkhead/hypercall.h"
#include "kernel/lib/string.hpp"

namespace bulkhead {

static_assert(sizeof(bh_partition_status) == 72, "bh_partition_status is part of the ABI: same size for 32- and 64-bit guests");

namespace {

HypercallResult resume_with(int64_t value) { return {value, HypercallAction::Resume, 0}; }

HypercallResult console_write(uint64_t gpa, uint64_t length, HypercallContext& c) {
    if (length > BH_MAX_TRANSFER) return resume_with(BH_E_TOO_LARGE);
    if (!guest_contains(c.memory, gpa, length)) return resume_with(BH_E_BAD_ADDRESS);
    c.console.write_text(reinterpret_cast<const char*>(c.memory.host + gpa), length, c.sink, c.sink_context);
    return resume_with(static_cast<int64_t>(length));
}

HypercallResult partition_info(uint64_t gpa, uint64_t capacity, HypercallContext& c) {
    const size_t name_length = strlen(c.partition_name);
    if (capacity == 0) return resume_with(BH_E_BAD_ARGUMENT);
    if (capacity > BH_MAX_TRANSFER) return resume_with(BH_E_TOO_LARGE);
    if (!guest_contains(c.memory, gpa, capacity)) return resume_with(BH_E_BAD_ADDRESS);
    if (capacity < name_length + 1) return resume_with(BH_E_BAD_ARGUMENT);
    memcpy(c.memory.host + gpa, c.partition_name, name_length + 1);
    return resume_with(c.partition_id);
}

// Copies the status of up to `capacity` partitions into the guest's array and
// returns how many partitions there are (capacity 0 asks only for the count).
HypercallResult control_list(uint64_t gpa, uint64_t capacity, HypercallContext& c) {
    const ControlPlane& control = *c.control;
    const size_t count = control.partition_count(control.context);
    constexpr uint64_t kEntry = sizeof(bh_partition_status);
    if (capacity > BH_MAX_TRANSFER / kEntry) return resume_with(BH_E_TOO_LARGE);
    const uint64_t wanted = capacity < count ? capacity : count;
    if (!guest_contains(c.memory, gpa, wanted * kEntry)) return resume_with(BH_E_BAD_ADDRESS);
    for (uint64_t i = 0; i < wanted; ++i) {
        bh_partition_status status{};
        control.describe(control.context, static_cast<uint32_t>(i), status);
        memcpy(c.memory.host + gpa + i * kEntry, &status, kEntry);
    }
    return resume_with(static_cast<int64_t>(count));
}

HypercallResult control_request(uint64_t id, ControlOp op, HypercallContext& c) {
    const ControlPlane& control = *c.control;
    if (id >= control.partition_count(control.context)) return resume_with(BH_E_NO_SUCH_PARTITION);
    const int64_t result = control.request(control.context, static_cast<uint32_t>(id), op, c.partition_id);
    // A request about the caller itself is carried out when it leaves the
    // CPU, so let it leave now.
    if (result == 0 && id == c.partition_id) return {0, HypercallAction::Yield, 0};
    return resume_with(result);
}

bool is_control_call(uint64_t number) { return number >= BH_HC_CONTROL_LIST && number <= BH_HC_CONTROL_START; }

HypercallResult control_call(uint64_t number, uint64_t arg0, uint64_t arg1, HypercallContext& c) {
    if (c.control == nullptr) return resume_with(BH_E_NOT_PERMITTED);
    switch (number) {
        case BH_HC_CONTROL_LIST: return control_list(arg0, arg1, c);
        case BH_HC_CONTROL_PAUSE: return control_request(arg0, ControlOp::Pause, c);
        case BH_HC_CONTROL_RESUME: return control_request(arg0, ControlOp::Resume, c);
        case BH_HC_CONTROL_STOP: return control_request(arg0, ControlOp::Stop, c);
        case BH_HC_CONTROL_RESTART: return control_request(arg0, ControlOp::Restart, c);
        case BH_HC_CONTROL_START: return control_request(arg0, ControlOp::Start, c);
        default: return resume_with(BH_E_UNKNOWN_CALL);
    }
}

}  // namespace

HypercallResult handle_hypercall(uint64_t number, uint64_t arg0, uint64_t arg1, uint64_t, HypercallContext& context) {
    if (is_control_call(number)) return control_call(number, arg0, arg1, context);
    switch (number) {
        case BH_HC_ABI_VERSION: return resume_with(BH_ABI_VERSION);
        case BH_HC_CONSOLE_WRITE: return console_write(arg0, arg1, context);
        case BH_HC_YIELD: return {0, HypercallAction::Yield, 0};
        case BH_HC_PARTITION_INFO: return partition_info(arg0, arg1, context);
        case BH_HC_EXIT: return {0, HypercallAction::Exit, arg0};
        default: return resume_with(BH_E_UNKNOWN_CALL);
    }
}

const char* hypercall_name(uint64_t number) {
    switch (number) {
        case BH_HC_ABI_VERSION: return "abi_version";
        case BH_HC_CONSOLE_WRITE: return "console_write";
        case BH_HC_YIELD: return "yield";
        case BH_HC_PARTITION_INFO: return "partition_info";
        case BH_HC_EXIT: return "exit";
        case BH_HC_CONTROL_LIST: return "control_list";
        case BH_HC_CONTROL_PAUSE: return "control_pause";
        case BH_HC_CONTROL_RESUME: return "control_resume";
        case BH_HC_CONTROL_STOP: return "control_stop";
        case BH_HC_CONTROL_RESTART: return "control_restart";
        case BH_HC_CONTROL_START: return "control_start";
        default: return "unknown";
    }
}

}  // namespace bulkhead
