#include "kernel/memory.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/page_table.hpp"
#include "arch/x86_64/paging.hpp"
#include "kernel/lib/string.hpp"
#include "kernel/lib/units.hpp"
#include "kernel/log.hpp"
#include "kernel/run_end.hpp"
#include "kernel/stacks.hpp"

// Section boundaries from boot/linker.ld.
extern "C" char __image_start[], __image_end[];
extern "C" char __text_start[], __text_end[];
extern "C" char __rodata_start[], __rodata_end[];
extern "C" char __data_start[], __data_end[];

namespace bulkhead {

namespace {

// Firmware data, the BIOS and real-mode structures live below 1 MiB: never
// hand it out. (A later issue takes one page of it for the AP start-up code.)
constexpr uint64_t kLowMemoryEnd = 1 * kMiB;
// boot/entry32.S identity-maps this much; page tables must be built below it
// until the new ones are live.
constexpr uint64_t kEarlyMapEnd = 4 * kGiB;
// MMIO (local APIC, IOAPIC, PCI holes) sits below 4 GiB: always map that.
constexpr uint64_t kMinimumMappedEnd = 4 * kGiB;


FrameAllocator g_frames;
bool g_page_tables_live = false;

void* identity(uint64_t phys) { return reinterpret_cast<void*>(phys); }
uint64_t address_of(const char* symbol) { return reinterpret_cast<uint64_t>(symbol); }

}  // namespace

size_t collect_available_ram(const BootInfo& boot, PhysRange* out) {
    size_t count = 0;
    for (size_t i = 0; i < boot.memory_count; ++i) {
        const MemoryRegion& r = boot.memory[i];
        if (r.type == MemoryType::Available) out[count++] = {r.base, r.base + r.length};
    }
    return count;
}

size_t collect_reserved_ranges(const BootInfo& boot, PhysRange* out) {
    size_t count = 0;
    out[count++] = {0, kLowMemoryEnd};
    out[count++] = {address_of(__image_start), address_of(__image_end)};
    out[count++] = {boot.mbi_address, boot.mbi_address + boot.mbi_size};
    for (size_t i = 0; i < boot.module_count; ++i) out[count++] = {boot.modules[i].start, boot.modules[i].end};
    return count;
}

namespace {

// Physical ranges to identity-map: everything below 4 GiB (RAM, firmware
// tables and MMIO), then each memory-map region above it, merged. Gaps above
// 4 GiB stay unmapped: on some machines the map names regions near 1 TiB.
size_t collect_identity_ranges(const BootInfo& boot, PhysRange* out) {
    size_t count = 0;
    out[count++] = {0, kMinimumMappedEnd};
    for (size_t i = 0; i < boot.memory_count; ++i) {
        uint64_t base = boot.memory[i].base & ~(x86::kPageSize4K - 1);
        const uint64_t end = (boot.memory[i].base + boot.memory[i].length + x86::kPageSize4K - 1) &
                             ~(x86::kPageSize4K - 1);
        if (end <= kMinimumMappedEnd) continue;
        if (base < kMinimumMappedEnd) base = kMinimumMappedEnd;
        out[count++] = {base, end};
    }
    // Insertion sort by base, then merge overlapping or touching ranges.
    for (size_t i = 1; i < count; ++i)
        for (size_t j = i; j > 0 && out[j].base < out[j - 1].base; --j) {
            const PhysRange t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    size_t merged = 0;
    for (size_t i = 0; i < count; ++i) {
        if (merged > 0 && out[i].base <= out[merged - 1].end) {
            if (out[i].end > out[merged - 1].end) out[merged - 1].end = out[i].end;
        } else {
            out[merged++] = out[i];
        }
    }
    return merged;
}

void init_frame_allocator(const BootInfo& boot) {
    PhysRange available[kMaxMemoryRegions];
    PhysRange reserved[kMaxReservedRanges];
    const size_t available_count = collect_available_ram(boot, available);
    const size_t reserved_count = collect_reserved_ranges(boot, reserved);
    const auto error = g_frames.init(available, available_count, reserved, reserved_count, identity);
    if (error != FrameAllocator::InitError::None) {
        log_error("memory: no usable RAM for the frame allocator (%s)",
                  error == FrameAllocator::InitError::NoUsableMemory ? "no available region" : "no room for its bitmap");
        end_run(RunStatus::OutOfMemory);
    }
}

void check(MapError error, const char* what) {
    if (error == MapError::None) return;
    log_error("memory: building the hypervisor page tables failed at %s (error %u)", what,
              static_cast<unsigned>(error));
    end_run(RunStatus::OutOfMemory);
}

bool cpu_has_1g_pages() {
    return (x86::cpuid(x86::cpuid_bits::kLeafExtendedFeatures).edx & x86::cpuid_bits::kExtEdxPage1G) != 0;
}

bool cpu_has_nx() {
    return (x86::read_msr(x86::Msr::Efer) & x86::efer::kNoExecuteEnable) != 0;
}

PageTableBuilder<HypervisorTableMemory> g_page_tables(hypervisor_tables);
uint64_t g_identity_mapped_bytes = 0;


// W^X: the identity map is data (read+write, never execute); the image is then
// re-mapped part by part with the rights each part needs.
void build_hypervisor_page_tables(const BootInfo& boot, PageSizes largest) {
    constexpr MapAccess kData{.writable = true, .executable = false};
    constexpr MapAccess kCode{.writable = false, .executable = true};
    constexpr MapAccess kReadOnly{.writable = false, .executable = false};
    auto& pt = g_page_tables;

    check(pt.init(), "the root table");
    PhysRange ranges[1 + kMaxMemoryRegions];
    const size_t range_count = collect_identity_ranges(boot, ranges);
    for (size_t i = 0; i < range_count; ++i) {
        check(pt.map(ranges[i].base, ranges[i].base, ranges[i].end - ranges[i].base, kData, largest),
              "the identity map");
        g_identity_mapped_bytes += ranges[i].end - ranges[i].base;
    }
    check(pt.unmap(0, x86::kPageSize4K), "page 0");

    const uint64_t image_start = address_of(__image_start), image_end = address_of(__image_end);
    check(pt.unmap(image_start, image_end - image_start), "the image");
    const uint64_t text = address_of(__text_start), rodata = address_of(__rodata_start);
    const uint64_t data = address_of(__data_start);
    check(pt.map(text, text, address_of(__text_end) - text, kCode, PageSizes::Only4K), "text");
    check(pt.map(rodata, rodata, address_of(__rodata_end) - rodata, kReadOnly, PageSizes::Only4K), "rodata");
    check(pt.map(data, data, address_of(__data_end) - data, kData, PageSizes::Only4K), "data");

    const GuardPages guards = stack_guard_pages();
    for (size_t i = 0; i < guards.count; ++i) check(pt.unmap(guards.address[i], x86::kPageSize4K), "a stack guard");

    x86::write_cr3(pt.root());
    g_page_tables_live = true;
}

}  // namespace

HypervisorTableMemory hypervisor_tables;

// Until the hypervisor's own tables are live, only boot/entry32.S's early
// identity map of the first 4 GiB reaches a new table.
uint64_t HypervisorTableMemory::allocate_table() {
    uint64_t phys = 0;
    if (!g_frames.allocate(phys)) return 0;
    if (!g_page_tables_live && phys + x86::kPageSize4K > kEarlyMapEnd) {
        g_frames.free(phys);
        return 0;
    }
    memset(reinterpret_cast<void*>(phys), 0, x86::kPageSize4K);
    return phys;
}

void memory_init(const BootInfo& boot) {
    if (!cpu_has_nx()) {
        log_error("CPU lacks no-execute pages (CPUID.80000001:EDX.NX=0): W^X impossible");
        end_run(RunStatus::Failure);
    }
    init_frame_allocator(boot);
    const bool huge = cpu_has_1g_pages();
    build_hypervisor_page_tables(boot, huge ? PageSizes::Up1G : PageSizes::Up2M);

    const uint64_t usable_mib = g_frames.usable_frames() * x86::kPageSize4K / kMiB;
    const uint64_t free_mib = g_frames.free_frames() * x86::kPageSize4K / kMiB;
    log_info("memory: %lu MiB usable, %lu MiB free for partitions; %lu GiB identity-mapped with %s pages",
             usable_mib, free_mib, g_identity_mapped_bytes / kGiB, huge ? "1 GiB" : "2 MiB");
    log_info("memory: W^X page tables live: text %#lx-%#lx r-x, rodata %#lx-%#lx r--, data %#lx-%#lx rw-",
             address_of(__text_start), address_of(__text_end), address_of(__rodata_start),
             address_of(__rodata_end), address_of(__data_start), address_of(__data_end));
}

FrameAllocator& frame_allocator() { return g_frames; }

void set_page_rights(uint64_t phys, PageRights rights) {
    const uint64_t page = phys & ~(x86::kPageSize4K - 1);
    check(g_page_tables.unmap(page, x86::kPageSize4K), "a page's rights");
    if (rights != PageRights::None) {
        const MapAccess access = rights == PageRights::Code ? MapAccess{.writable = false, .executable = true}
                                                            : MapAccess{.writable = true, .executable = false};
        check(g_page_tables.map(page, page, x86::kPageSize4K, access, PageSizes::Only4K), "a page's rights");
    }
    asm volatile("invlpg (%0)" ::"r"(page) : "memory");
}

uint64_t hypervisor_page_table_root() { return g_page_tables.root(); }

uint64_t hypervisor_image_start() { return address_of(__image_start); }
uint64_t hypervisor_image_end() { return address_of(__image_end); }

bool physical_range_readable(uint64_t phys, size_t length) {
    if (!g_page_tables_live || length == 0 || phys + length < phys) return false;
    // Page by page: page 0 and the stack guards are holes in the map.
    const uint64_t first = phys & ~(x86::kPageSize4K - 1);
    for (uint64_t page = first; page < phys + length; page += x86::kPageSize4K)
        if (!g_page_tables.translate(page).present) return false;
    return true;
}

}  // namespace bulkhead
