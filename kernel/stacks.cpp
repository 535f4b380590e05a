#include "kernel/stacks.hpp"

bulkhead::GuardedStack<BOOT_STACK_SIZE> bulkhead_boot_stack;

namespace bulkhead {

namespace {
GuardedStack<IST_STACK_SIZE> g_ist_stacks[x86::kIstStackCount];
x86::CpuDescriptorTables g_boot_cpu_tables;
}

x86::CpuDescriptorTables& boot_cpu_descriptor_tables() { return g_boot_cpu_tables; }

const char* ist_stack_name(unsigned index) {
    static constexpr const char* kIstNames[x86::kIstStackCount] = {"NMI stack", "double-fault stack",
                                                                   "machine-check stack"};
    return index < x86::kIstStackCount ? kIstNames[index] : "?";
}

GuardPages stack_guard_pages() {
    static constexpr const char* kIstNames[x86::kIstStackCount] = {"the NMI stack", "the double-fault stack",
                                                                   "the machine-check stack"};
    GuardPages pages{};
    pages.address[pages.count] = bulkhead_boot_stack.guard_address();
    pages.name[pages.count++] = "the boot CPU's stack";
    for (unsigned i = 0; i < x86::kIstStackCount; ++i) {
        pages.address[pages.count] = g_ist_stacks[i].guard_address();
        pages.name[pages.count++] = kIstNames[i];
    }
    return pages;
}

x86::IstStacks boot_cpu_ist_stacks() {
    x86::IstStacks stacks{};
    for (unsigned i = 0; i < x86::kIstStackCount; ++i) stacks.top[i] = g_ist_stacks[i].top();
    return stacks;
}

}  // namespace bulkhead
