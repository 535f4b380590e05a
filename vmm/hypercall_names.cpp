// Hypercall names, for the exit trace and the log (vmm/hypercall_names.hpp).
#include "vmm/hypercall_names.hpp"

#include "include/bulkhead/hypercall.h"

namespace bulkhead {

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
        case BH_HC_CONTROL_STATS: return "control_stats";
        case BH_HC_CONTROL_TRACE: return "control_trace";
        case BH_HC_CONTROL_TRACE_READ: return "control_trace_read";
        default: return "unknown";
    }
}

}  // namespace bulkhead
