// The little C++ runtime support a freestanding kernel needs: a handler for a
// pure virtual call (a bug, so it stops the run) and the global constructor
// list, which kernel_main runs once before anything else.
#include "kernel/lib/cxx_runtime.hpp"

#include "kernel/panic.hpp"

extern "C" {
using Constructor = void (*)();
extern const Constructor __init_array_start[];
extern const Constructor __init_array_end[];

void __cxa_pure_virtual() { bulkhead::panic("pure virtual function called"); }
}

namespace bulkhead {

void run_global_constructors() {
    for (const Constructor* c = __init_array_start; c != __init_array_end; ++c) (*c)();
}

}  // namespace bulkhead
