// The name of a hypercall number ("console_write"), "unknown" for any other.
// Apart from vmm/hypercall.cpp so that bulkheadctl (tools/bulkheadctl), which
// decodes the exit trace with vmm/exit_trace.cpp, can link it alone.
#pragma once

#include <stdint.h>

namespace bulkhead {

const char* hypercall_name(uint64_t number);

}  // namespace bulkhead
