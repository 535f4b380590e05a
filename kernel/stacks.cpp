#include "kernel/stacks.hpp"

bulkhead::GuardedStack<BOOT_STACK_SIZE> bulkhead_boot_stack;

namespace bulkhead {

namespace {
GuardedStack<IST_STACK_SIZE> g_ist_stacks[x86::kIstStackCount];
}

GuardPages stack_guard_pages() {
    GuardPages pages{};
    pages.address[pages.count++] = bulkhead_boot_stack.guard_address();
    for (const auto& stack : g_ist_stacks) pages.address[pages.count++] = stack.guard_address();
    return pages;
}

x86::IstStacks boot_cpu_ist_stacks() {
    x86::IstStacks stacks{};
    for (unsigned i = 0; i < x86::kIstStackCount; ++i) stacks.top[i] = g_ist_stacks[i].top();
    return stacks;
}

}  // namespace bulkhead
