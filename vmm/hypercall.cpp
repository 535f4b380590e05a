#include "vmm/hypercall.hpp"

#include "include/bulkhead/hypercall.h"
#include "kernel/lib/string.hpp"

namespace bulkhead {

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

}  // namespace

HypercallResult handle_hypercall(uint64_t number, uint64_t arg0, uint64_t arg1, uint64_t, HypercallContext& context) {
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
        default: return "unknown";
    }
}

}  // namespace bulkhead
