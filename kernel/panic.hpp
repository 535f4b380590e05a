// A fatal hypervisor error: print the reason and end the run as a failure.
#pragma once

#include "kernel/run_end.hpp"

namespace bulkhead {

[[noreturn]] void panic(const char* reason);

}  // namespace bulkhead
