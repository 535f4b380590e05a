// The hypervisor's stacks. Each one sits directly above a guard page that the
// hypervisor's page tables leave unmapped (kernel/memory.cpp), so running off
// the bottom of a stack faults at once instead of silently overwriting
// whatever lies below.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/descriptors.hpp"
#include "kernel/stack_layout.h"

namespace bulkhead {

template <size_t Size>
struct alignas(STACK_GUARD_SIZE) GuardedStack {
    static_assert(Size % STACK_GUARD_SIZE == 0, "stacks are whole pages");
    uint8_t guard[STACK_GUARD_SIZE];
    uint8_t bytes[Size];

    uint64_t guard_address() const { return reinterpret_cast<uint64_t>(guard); }
    uint64_t top() const { return reinterpret_cast<uint64_t>(bytes) + Size; }
};

// Every guard page, so the page-table builder can leave them unmapped.
struct GuardPages {
    static constexpr size_t kMax = 1 + x86::kIstStackCount;
    uint64_t address[kMax];
    const char* name[kMax];
    size_t count;
};
GuardPages stack_guard_pages();

// "NMI stack", "double-fault stack", ... by interrupt-stack-table index.
const char* ist_stack_name(unsigned index);

// Stack tops for the interrupt stack table of the boot CPU, and its GDT/TSS.
x86::IstStacks boot_cpu_ist_stacks();
x86::CpuDescriptorTables& boot_cpu_descriptor_tables();

}  // namespace bulkhead

// The boot CPU's stack; boot/entry32.S points RSP at its top.
extern "C" bulkhead::GuardedStack<BOOT_STACK_SIZE> bulkhead_boot_stack;
