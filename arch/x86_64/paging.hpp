// Hardware definitions of x86-64 4-level paging (Intel SDM Vol. 3A, 4.5).
//
// A virtual address is split into four 9-bit table indices and a 12-bit page
// offset:
//
//   63      48 47    39 38    30 29    21 20    12 11        0
//  | sign ext | PML4   | PDPT   | PD     | PT     | offset    |
//
// Each table is one 4 KiB page holding 512 eight-byte entries. A PDPT entry
// may map a 1 GiB page and a PD entry a 2 MiB page directly (PageSize bit);
// otherwise the entry points to the next table down.
//
// Extended page tables (EPT, used for guests) have a different entry format
// and live elsewhere.
#pragma once

#include <stdint.h>

namespace bulkhead::x86 {

// ---- Page sizes -------------------------------------------------------------

inline constexpr unsigned kPageShift4K = 12;
inline constexpr unsigned kPageShift2M = 21;
inline constexpr unsigned kPageShift1G = 30;

inline constexpr uint64_t kPageSize4K = uint64_t{1} << kPageShift4K;
inline constexpr uint64_t kPageSize2M = uint64_t{1} << kPageShift2M;
inline constexpr uint64_t kPageSize1G = uint64_t{1} << kPageShift1G;

// ---- Tables -----------------------------------------------------------------

// Every level of the tree is one 4 KiB page of 512 entries, so each level
// consumes 9 bits of the virtual address.
inline constexpr unsigned kTableIndexBits = 9;
inline constexpr uint64_t kEntriesPerTable = uint64_t{1} << kTableIndexBits;
inline constexpr uint64_t kTableIndexMask = kEntriesPerTable - 1;
inline constexpr uint64_t kTableSize = kPageSize4K;

// Levels are numbered the way the SDM counts them: the PT (level 1) holds 4 KiB
// pages, the PML4 (level 4) is the root that CR3 points to.
enum class PagingLevel : unsigned { PT = 1, PD = 2, PDPT = 3, PML4 = 4 };

// Lowest bit of the virtual address that indexes a table at this level.
constexpr unsigned level_shift(PagingLevel level) {
    return kPageShift4K + kTableIndexBits * (static_cast<unsigned>(level) - 1);
}

// Bytes covered by one entry at this level (a page, if the entry is a leaf).
constexpr uint64_t level_entry_size(PagingLevel level) {
    return uint64_t{1} << level_shift(level);
}

constexpr uint64_t table_index(uint64_t virt, PagingLevel level) {
    return (virt >> level_shift(level)) & kTableIndexMask;
}

constexpr uint64_t pml4_index(uint64_t virt) { return table_index(virt, PagingLevel::PML4); }
constexpr uint64_t pdpt_index(uint64_t virt) { return table_index(virt, PagingLevel::PDPT); }
constexpr uint64_t pd_index(uint64_t virt) { return table_index(virt, PagingLevel::PD); }
constexpr uint64_t pt_index(uint64_t virt) { return table_index(virt, PagingLevel::PT); }

constexpr PagingLevel next_lower_level(PagingLevel level) {
    return static_cast<PagingLevel>(static_cast<unsigned>(level) - 1);
}

// ---- Virtual addresses ------------------------------------------------------

// 4-level paging translates 48 bits. Bits 63..47 of a valid ("canonical")
// address must all be copies of bit 47; anything else faults with #GP.
inline constexpr unsigned kVirtualAddressBits = 48;
inline constexpr uint64_t kLowerHalfEnd = uint64_t{1} << (kVirtualAddressBits - 1);
inline constexpr uint64_t kUpperHalfStart = ~(kLowerHalfEnd - 1);

constexpr bool is_canonical(uint64_t virt) {
    return virt < kLowerHalfEnd || virt >= kUpperHalfStart;
}

// The PML4 index only carries bits 47..39; copy bit 47 upwards to turn the
// indices of a walk back into a canonical address.
constexpr uint64_t sign_extend_virtual(uint64_t virt) {
    return (virt & kLowerHalfEnd) ? (virt | kUpperHalfStart) : (virt & (kLowerHalfEnd - 1));
}

// ---- Physical addresses -----------------------------------------------------

// The architectural maximum (MAXPHYADDR may be smaller on a given CPU).
inline constexpr unsigned kPhysicalAddressBits = 52;
inline constexpr uint64_t kPhysicalAddressLimit = uint64_t{1} << kPhysicalAddressBits;

// Bits 12..51 of an entry hold the physical address of the page or table.
inline constexpr uint64_t kEntryAddressMask = (kPhysicalAddressLimit - 1) & ~(kPageSize4K - 1);

// ---- Entry bits -------------------------------------------------------------

namespace pte {
inline constexpr uint64_t kPresent = uint64_t{1} << 0;
inline constexpr uint64_t kWritable = uint64_t{1} << 1;
inline constexpr uint64_t kUser = uint64_t{1} << 2;          // ring 3 may access
inline constexpr uint64_t kWriteThrough = uint64_t{1} << 3;  // PWT
inline constexpr uint64_t kCacheDisable = uint64_t{1} << 4;  // PCD
inline constexpr uint64_t kAccessed = uint64_t{1} << 5;      // set by the CPU
inline constexpr uint64_t kDirty = uint64_t{1} << 6;         // set by the CPU (leaves only)
// In PDPT and PD entries bit 7 says "this entry is a 1 GiB / 2 MiB page".
inline constexpr uint64_t kPageSize = uint64_t{1} << 7;
// In a PT entry the same bit 7 selects a PAT memory type instead; a large
// page keeps its PAT bit at bit 12, the lowest bit of its (2 MiB-aligned)
// address field. Both matter when a large page is split into smaller ones.
inline constexpr uint64_t kPat4K = uint64_t{1} << 7;
inline constexpr uint64_t kPatLarge = uint64_t{1} << 12;
inline constexpr uint64_t kGlobal = uint64_t{1} << 8;  // survives CR3 reloads
inline constexpr uint64_t kNoExecute = uint64_t{1} << 63;  // needs EFER.NXE
}  // namespace pte

// ---- Entries ----------------------------------------------------------------

// One 64-bit page-table entry. Plain data: it is read from and written to the
// tables as raw, and the accessors only name the bits.
struct PageTableEntry {
    uint64_t raw;

    constexpr bool present() const { return (raw & pte::kPresent) != 0; }
    constexpr bool writable() const { return (raw & pte::kWritable) != 0; }
    constexpr bool executable() const { return (raw & pte::kNoExecute) == 0; }
    // Only meaningful in PDPT and PD entries (see pte::kPat4K).
    constexpr bool large() const { return (raw & pte::kPageSize) != 0; }
    // Address of the next table or of a 4 KiB page. For a large page, clear
    // the bits below its size too (bit 12 may be its PAT bit).
    constexpr uint64_t address() const { return raw & kEntryAddressMask; }

    static constexpr PageTableEntry not_present() { return PageTableEntry{0}; }

    // Points to the next table down. Writable and executable on purpose: the
    // CPU combines the permissions of all levels (writable only if every
    // level allows it, executable only if none sets NX), so leaving
    // intermediate entries permissive lets each leaf decide alone.
    static constexpr PageTableEntry table(uint64_t table_phys) {
        return PageTableEntry{(table_phys & kEntryAddressMask) | pte::kPresent | pte::kWritable};
    }

    // Maps a page. large must be true for 2 MiB and 1 GiB pages.
    static constexpr PageTableEntry page(uint64_t page_phys, bool writable, bool executable,
                                         bool large) {
        uint64_t raw = (page_phys & kEntryAddressMask) | pte::kPresent;
        if (writable) raw |= pte::kWritable;
        if (!executable) raw |= pte::kNoExecute;
        if (large) raw |= pte::kPageSize;
        return PageTableEntry{raw};
    }
};

static_assert(sizeof(PageTableEntry) == sizeof(uint64_t), "an entry is exactly 64 bits");
static_assert(kEntriesPerTable * sizeof(PageTableEntry) == kTableSize,
              "a table fills exactly one 4 KiB page");
static_assert(level_entry_size(PagingLevel::PD) == kPageSize2M, "a PD entry maps 2 MiB");
static_assert(level_entry_size(PagingLevel::PDPT) == kPageSize1G, "a PDPT entry maps 1 GiB");

}  // namespace bulkhead::x86
