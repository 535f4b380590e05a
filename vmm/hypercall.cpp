#include "vmm/hypercall.hpp"

#include "include/bulkhead/hypercall.h"
#include "kernel/lib/string.hpp"

namespace bulkhead {

static_assert(sizeof(bh_partition_status) == 72, "bh_partition_status is part of the ABI: same size for 32- and 64-bit guests");
static_assert(sizeof(bh_trace_entry) == 56, "bh_trace_entry is part of the ABI");
static_assert(sizeof(bh_partition_stats) == 2512, "bh_partition_stats is part of the ABI");
static_assert(sizeof(bh_partition_stats) <= BH_MAX_TRANSFER);

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
    const int64_t result = control.request(control.context, static_cast<uint32_t>(id), op, c.partition_id);
    // A request about the caller itself is carried out when it leaves the
    // CPU, so let it leave now.
    if (result == 0 && id == c.partition_id) return {0, HypercallAction::Yield, 0};
    return resume_with(result);
}

// Writes the partition's statistics into the guest's buffer of `size` bytes
// (at least sizeof(bh_partition_stats)); returns the bytes written.
HypercallResult control_stats(uint64_t id, uint64_t gpa, uint64_t size, HypercallContext& c) {
    constexpr uint64_t kSize = sizeof(bh_partition_stats);
    if (size > BH_MAX_TRANSFER) return resume_with(BH_E_TOO_LARGE);
    if (size < kSize) return resume_with(BH_E_BAD_ARGUMENT);
    if (!guest_contains(c.memory, gpa, kSize)) return resume_with(BH_E_BAD_ADDRESS);
    static bh_partition_stats stats;   // one caller at a time: only the control partition calls, on its own CPU
    stats = bh_partition_stats{};
    c.control->stats(c.control->context, static_cast<uint32_t>(id), stats);
    memcpy(c.memory.host + gpa, &stats, kSize);
    return resume_with(static_cast<int64_t>(kSize));
}

HypercallResult control_trace(uint64_t id, uint64_t on, HypercallContext& c) {
    if (on > 1) return resume_with(BH_E_BAD_ARGUMENT);
    c.control->set_trace(c.control->context, static_cast<uint32_t>(id), on == 1);
    return resume_with(0);
}

HypercallResult control_trace_read(uint64_t id, uint64_t gpa, uint64_t capacity, HypercallContext& c) {
    constexpr uint64_t kEntry = sizeof(bh_trace_entry);
    if (capacity == 0) return resume_with(BH_E_BAD_ARGUMENT);
    if (capacity > BH_MAX_TRANSFER / kEntry) return resume_with(BH_E_TOO_LARGE);
    if (!guest_contains(c.memory, gpa, capacity * kEntry)) return resume_with(BH_E_BAD_ADDRESS);
    static bh_trace_entry entries[BH_MAX_TRANSFER / sizeof(bh_trace_entry)];   // one caller at a time, as above
    const size_t n = c.control->read_trace(c.control->context, static_cast<uint32_t>(id), entries, capacity);
    memcpy(c.memory.host + gpa, entries, n * kEntry);
    return resume_with(static_cast<int64_t>(n));
}

bool is_control_call(uint64_t number) { return number >= BH_HC_CONTROL_LIST && number <= BH_HC_CONTROL_TRACE_READ; }

// Every control call but the list names a partition first; the id is
// checked here, once, before any of them looks at it.
HypercallResult control_call(uint64_t number, uint64_t arg0, uint64_t arg1, uint64_t arg2, HypercallContext& c) {
    if (c.control == nullptr) return resume_with(BH_E_NOT_PERMITTED);
    if (number == BH_HC_CONTROL_LIST) return control_list(arg0, arg1, c);
    if (arg0 >= c.control->partition_count(c.control->context)) return resume_with(BH_E_NO_SUCH_PARTITION);
    switch (number) {
        case BH_HC_CONTROL_PAUSE: return control_request(arg0, ControlOp::Pause, c);
        case BH_HC_CONTROL_RESUME: return control_request(arg0, ControlOp::Resume, c);
        case BH_HC_CONTROL_STOP: return control_request(arg0, ControlOp::Stop, c);
        case BH_HC_CONTROL_RESTART: return control_request(arg0, ControlOp::Restart, c);
        case BH_HC_CONTROL_START: return control_request(arg0, ControlOp::Start, c);
        case BH_HC_CONTROL_STATS: return control_stats(arg0, arg1, arg2, c);
        case BH_HC_CONTROL_TRACE: return control_trace(arg0, arg1, c);
        case BH_HC_CONTROL_TRACE_READ: return control_trace_read(arg0, arg1, arg2, c);
        default: return resume_with(BH_E_UNKNOWN_CALL);
    }
}

}  // namespace

HypercallResult handle_hypercall(uint64_t number, uint64_t arg0, uint64_t arg1, uint64_t arg2,
                                 HypercallContext& context) {
    // The guest's kernel cannot keep its user programs from executing
    // VMCALL: unless the partition opted in, only its kernel (CPL 0) may call.
    if (context.cpl != 0 && !context.user_mode_allowed) return resume_with(BH_E_NOT_PERMITTED);
    if (is_control_call(number)) return control_call(number, arg0, arg1, arg2, context);
    switch (number) {
        case BH_HC_ABI_VERSION: return resume_with(BH_ABI_VERSION);
        case BH_HC_CONSOLE_WRITE: return console_write(arg0, arg1, context);
        case BH_HC_YIELD: return {0, HypercallAction::Yield, 0};
        case BH_HC_PARTITION_INFO: return partition_info(arg0, arg1, context);
        case BH_HC_EXIT: return {0, HypercallAction::Exit, arg0};
        default: return resume_with(BH_E_UNKNOWN_CALL);
    }
}

}  // namespace bulkhead
