// The hypervisor's physical memory: the frame allocator that later hands out
// partition memory, and the hypervisor's own W^X page tables.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.hpp"
#include "kernel/frame_allocator.hpp"

namespace bulkhead {

// Builds the frame allocator from the memory map and switches to page tables
// that identity-map all physical memory as non-executable data, except the
// hypervisor image (text read+execute, rodata read-only, data read+write) and
// the stack guard pages and page 0 (not mapped at all). Ends the run when the
// machine has too little memory for the hypervisor itself.
void memory_init(const BootInfo& boot);

// Usable RAM from the memory map, and the ranges inside it nothing may take:
// low memory (below 1 MiB), the hypervisor image, the boot information and
// the modules. `out` needs room for kMaxMemoryRegions / kMaxReservedRanges.
inline constexpr size_t kMaxReservedRanges = 3 + kMaxModules;
size_t collect_available_ram(const BootInfo& boot, PhysRange* out);
size_t collect_reserved_ranges(const BootInfo& boot, PhysRange* out);

// Paging structures (the hypervisor's page tables, partitions' EPTs) come from
// the frame allocator and are reached through the identity map. This is the
// Memory policy of PageTableBuilder and EptBuilder.
struct HypervisorTableMemory {
    uint64_t allocate_table();
    uint64_t* table_at(uint64_t phys) { return reinterpret_cast<uint64_t*>(phys); }
};
extern HypervisorTableMemory hypervisor_tables;

FrameAllocator& frame_allocator();

// Changes the rights of one identity-mapped page (never writable and
// executable at once), or removes it (a guard page), and flushes the calling
// CPU's TLB entry for it. Used while bringing up the other CPUs.
enum class PageRights : uint8_t { Data, Code, None };
void set_page_rights(uint64_t phys, PageRights rights);

// The hypervisor's PML4, for CPUs that start later (their CR3).
uint64_t hypervisor_page_table_root();

// Where the hypervisor image lies in physical memory.
uint64_t hypervisor_image_start();
uint64_t hypervisor_image_end();

// True when [phys, phys+length) is mapped in the hypervisor's page tables.
bool physical_range_readable(uint64_t phys, size_t length);

}  // namespace bulkhead
