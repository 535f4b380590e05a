#include "vmm/guest_page_walk.hpp"

#include "arch/x86_64/paging.hpp"
#include "kernel/lib/string.hpp"

namespace bulkhead {

namespace {

using x86::PageTableEntry;
using x86::PagingLevel;

constexpr uint64_t kEntrySize = sizeof(uint64_t);

bool read_entry(const GuestMemory& memory, uint64_t table, uint64_t index, PageTableEntry& out) {
    const uint64_t at = table + index * kEntrySize;
    if (at >= memory.size || memory.size - at < kEntrySize) return false;
    memcpy(&out.raw, memory.host + at, kEntrySize);
    return true;
}

WalkResult found(uint64_t page_base, uint64_t page_size, uint64_t linear) {
    const uint64_t offset = linear & (page_size - 1);
    return {WalkError::None, page_base + offset, page_size - offset};
}

WalkResult fail(WalkError error) { return {error, 0, 0}; }

// PML4 -> PDPT -> PD -> PT; a PDPT or PD entry with the page-size bit is the
// leaf itself (1 GiB or 2 MiB page).
WalkResult walk_four_levels(const GuestMemory& memory, uint64_t cr3, uint64_t linear) {
    if (!x86::is_canonical(linear)) return fail(WalkError::NotCanonical);
    uint64_t table = cr3 & x86::kEntryAddressMask;
    for (PagingLevel level = PagingLevel::PML4;; level = x86::next_lower_level(level)) {
        PageTableEntry entry{};
        if (!read_entry(memory, table, x86::table_index(linear, level), entry))
            return fail(WalkError::TableOutsideMemory);
        if (!entry.present()) return fail(WalkError::NotPresent);
        const uint64_t size = x86::level_entry_size(level);
        const bool leaf = level == PagingLevel::PT ||
                          ((level == PagingLevel::PD || level == PagingLevel::PDPT) && entry.large());
        // A large page's address field has its PAT bit at bit 12: clear
        // every bit below the page size.
        if (leaf) return found(entry.address() & ~(size - 1), size, linear);
        table = entry.address();
    }
}

}  // namespace

const char* to_string(WalkError error) {
    switch (error) {
        case WalkError::None: return "no error";
        case WalkError::UnsupportedMode: return "32-bit paging is not supported";
        case WalkError::NotCanonical: return "non-canonical address";
        case WalkError::NotPresent: return "not mapped by the guest's page tables";
        case WalkError::TableOutsideMemory: return "a page table lies outside the partition's memory";
        case WalkError::PageOutsideMemory: return "the page lies outside the partition's memory";
    }
    return "?";
}

WalkResult translate_linear(const GuestMemory& memory, const GuestPagingState& paging, uint64_t linear) {
    if (!paging.paging) return found(linear & ~(x86::kPageSize4K - 1), x86::kPageSize4K, linear);
    if (!paging.long_mode) return fail(WalkError::UnsupportedMode);
    return walk_four_levels(memory, paging.cr3, linear);
}

WalkError read_linear(const GuestMemory& memory, const GuestPagingState& paging, uint64_t linear, uint8_t* out,
                      uint64_t length) {
    while (length > 0) {
        const WalkResult r = translate_linear(memory, paging, linear);
        if (r.error != WalkError::None) return r.error;
        const uint64_t chunk = length < r.bytes_left_in_page ? length : r.bytes_left_in_page;
        if (r.guest_physical >= memory.size || memory.size - r.guest_physical < chunk)
            return WalkError::PageOutsideMemory;
        memcpy(out, memory.host + r.guest_physical, chunk);
        out += chunk;
        linear += chunk;
        length -= chunk;
    }
    return WalkError::None;
}

}  // namespace bulkhead
