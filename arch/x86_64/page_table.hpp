// Builds x86-64 4-level page tables (see paging.hpp for the hardware format).
//
// The builder owns no memory. It asks a Memory object for zeroed tables and
// for a pointer through which it can reach a table by its physical address,
// which keeps it usable in the kernel (tables come from the frame allocator,
// reached through the identity map) and in host unit tests (tables live in a
// host buffer).
//
//   struct Memory {
//       uint64_t allocate_table();          // zeroed 4 KiB table, 0 = out of memory
//       uint64_t* table_at(uint64_t phys);  // where that table can be accessed
//   };
//
// Policy enforced here rather than left to callers:
//   - W^X: no page is ever writable and executable at the same time.
//   - map() never silently replaces an existing mapping.
//   - Permissions live in the leaves only; intermediate entries allow all.
//
// The builder does not flush TLBs. It is meant to build tables before they are
// loaded into CR3; a caller that edits live tables must invalidate itself.
#pragma once

#include <stdint.h>

#include "arch/x86_64/paging.hpp"

namespace bulkhead {

struct MapAccess {
    bool writable;
    bool executable;
};

enum class MapError : uint8_t {
    None,
    OutOfMemory,
    Misaligned,             // virt, phys or size is not a multiple of 4 KiB
    NonCanonical,           // [virt, virt + size) leaves one canonical half
    PhysicalOutOfRange,     // [phys, phys + size) goes beyond 52 bits
    WritableAndExecutable,  // refused by the W^X policy
    AlreadyMapped,          // the range overlaps an existing mapping
    NotInitialized,         // init() has not succeeded yet
};

// The largest page size map() may use: a ceiling, not a set. 1 GiB pages need
// CPU support (CPUID pdpe1gb), which is why the caller chooses.
enum class PageSizes : uint8_t { Only4K, Up2M, Up1G };

// What the tables say about one virtual address. writable and executable are
// the effective permissions (combined over all levels of the walk).
struct Translation {
    bool present;
    uint64_t phys;
    bool writable;
    bool executable;
    uint64_t page_size;
};

template <class Memory>
class PageTableBuilder {
  public:
    using Level = x86::PagingLevel;
    using Entry = x86::PageTableEntry;

    constexpr explicit PageTableBuilder(Memory& memory) : memory_(memory) {}

    // Allocates the empty root table (PML4).
    MapError init() {
        uint64_t pml4 = allocate_zeroed_table();
        if (pml4 == 0) return MapError::OutOfMemory;
        root_ = pml4;
        return MapError::None;
    }

    // Physical address of the PML4, the value for CR3.
    uint64_t root() const { return root_; }

    // Maps [virt, virt + size) to [phys, phys + size). Each step uses the
    // largest page (up to `largest`) that both addresses are aligned to and
    // that fits in what is left, so a big aligned range costs few entries.
    // On error nothing is mapped (an OutOfMemory may leave a few empty
    // intermediate tables behind, which are harmless and reused later).
    MapError map(uint64_t virt, uint64_t phys, uint64_t size, MapAccess access,
                 PageSizes largest) {
        if (root_ == 0) return MapError::NotInitialized;
        if (access.writable && access.executable) return MapError::WritableAndExecutable;
        MapError range_error = check_virtual_range(virt, size);
        if (range_error != MapError::None) return range_error;
        if (!is_page_aligned(phys)) return MapError::Misaligned;
        if (phys >= x86::kPhysicalAddressLimit || size > x86::kPhysicalAddressLimit - phys)
            return MapError::PhysicalOutOfRange;
        if (size == 0) return MapError::None;
        if (any_page_mapped(virt, size)) return MapError::AlreadyMapped;

        const Level ceiling = ceiling_level(largest);
        uint64_t done = 0;
        while (done < size) {
            Level level = choose_leaf_level(virt + done, phys + done, size - done, ceiling);
            uint64_t mapped = 0;
            MapError error = install_page(virt + done, phys + done, level, access, mapped);
            if (error != MapError::None) {
                // Undo the pages installed so far. They are exactly the pages
                // we created, so clearing them needs no splitting and no memory.
                clear_range(virt, done);
                return error;
            }
            done += mapped;
        }
        return MapError::None;
    }

    // Removes every mapping in [virt, virt + size); addresses that were not
    // mapped are fine. A large page that sticks out of the range is split
    // first, so the part outside keeps its translation and permissions. On
    // OutOfMemory nothing has been unmapped.
    MapError unmap(uint64_t virt, uint64_t size) {
        if (root_ == 0) return MapError::NotInitialized;
        MapError range_error = check_virtual_range(virt, size);
        if (range_error != MapError::None) return range_error;
        if (size == 0) return MapError::None;

        // Split before clearing anything: a split keeps every translation as
        // it was, so running out of memory here leaves the tables equivalent.
        // virt + size may be the end of a canonical half (or wrap to 0); it is
        // then aligned to every page size and split_at() changes nothing.
        MapError error = split_at(virt);
        if (error == MapError::None) error = split_at(virt + size);
        if (error != MapError::None) return error;
        clear_range(virt, size);
        return MapError::None;
    }

    Translation translate(uint64_t virt) const {
        if (root_ == 0 || !x86::is_canonical(virt)) return not_present();
        Walk walk = walk_to(virt);
        Entry entry{*walk.slot};
        if (!entry.present()) return not_present();
        uint64_t page_size = x86::level_entry_size(walk.level);
        return Translation{true, page_base(entry, walk.level) | (virt & (page_size - 1)),
                           walk.writable, walk.executable, page_size};
    }

    // Calls fn(virt, Translation) for every present leaf, in address order;
    // Translation::phys is the start of the page.
    template <class Fn>
    void for_each_leaf(Fn fn) const {
        if (root_ == 0) return;
        visit_table(root_, Level::PML4, 0, true, true, fn);
    }

  private:
    // Where a walk down the tree for one address stopped: at a leaf, or at
    // the first entry that is not present.
    struct Walk {
        Level level;
        uint64_t* slot;
        bool writable;    // every level so far allows writes
        bool executable;  // no level so far sets NX
    };

    static constexpr bool is_page_aligned(uint64_t value) {
        return (value & (x86::kPageSize4K - 1)) == 0;
    }

    static constexpr Translation not_present() { return Translation{false, 0, false, false, 0}; }

    // A PT entry always maps a page; PD and PDPT entries do when PageSize is
    // set. (PageSize in a PML4 entry is reserved, and never set by us.)
    static constexpr bool is_leaf(Entry entry, Level level) {
        return level == Level::PT || (level != Level::PML4 && entry.large());
    }

    // Start of the page a leaf maps. A large page ignores the low address
    // bits, one of which holds its PAT bit.
    static constexpr uint64_t page_base(Entry entry, Level level) {
        return entry.address() & ~(x86::level_entry_size(level) - 1);
    }

    // Bytes from virt to the end of the region that one entry at this level
    // covers. Used to skip whole not-present regions in one step.
    static constexpr uint64_t distance_to_region_end(uint64_t virt, Level level) {
        uint64_t region = x86::level_entry_size(level);
        return region - (virt & (region - 1));
    }

    // Both ends page aligned, and the whole range inside one canonical half
    // (the range cannot wrap around or straddle the non-canonical hole).
    static constexpr MapError check_virtual_range(uint64_t virt, uint64_t size) {
        if (!is_page_aligned(virt) || !is_page_aligned(size)) return MapError::Misaligned;
        if (!x86::is_canonical(virt)) return MapError::NonCanonical;
        if (size == 0) return MapError::None;
        uint64_t last = virt + size - 1;
        if (last < virt || !x86::is_canonical(last)) return MapError::NonCanonical;
        bool starts_low = virt < x86::kLowerHalfEnd;
        bool ends_low = last < x86::kLowerHalfEnd;
        return starts_low == ends_low ? MapError::None : MapError::NonCanonical;
    }

    static constexpr Level ceiling_level(PageSizes largest) {
        switch (largest) {
            case PageSizes::Up1G: return Level::PDPT;
            case PageSizes::Up2M: return Level::PD;
            case PageSizes::Only4K: break;
        }
        return Level::PT;
    }

    // The highest level (largest page) at or below the ceiling whose page
    // size divides both addresses and fits into the remaining size.
    static constexpr Level choose_leaf_level(uint64_t virt, uint64_t phys, uint64_t remaining,
                                             Level ceiling) {
        for (Level level = ceiling; level != Level::PT; level = x86::next_lower_level(level)) {
            uint64_t page_size = x86::level_entry_size(level);
            bool aligned = ((virt | phys) & (page_size - 1)) == 0;
            if (aligned && remaining >= page_size) return level;
        }
        return Level::PT;
    }

    // Memory promises zeroed tables, but a stale entry would map arbitrary
    // memory, so clear it again; 512 stores are cheap.
    uint64_t allocate_zeroed_table() {
        uint64_t phys = memory_.allocate_table();
        if (phys == 0) return 0;
        uint64_t* table = memory_.table_at(phys);
        for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i) table[i] = Entry::not_present().raw;
        return phys;
    }

    Walk walk_to(uint64_t virt) const {
        Walk walk{Level::PML4, nullptr, true, true};
        uint64_t* table = memory_.table_at(root_);
        for (;;) {
            walk.slot = &table[x86::table_index(virt, walk.level)];
            Entry entry{*walk.slot};
            if (!entry.present()) return walk;
            walk.writable = walk.writable && entry.writable();
            walk.executable = walk.executable && entry.executable();
            if (is_leaf(entry, walk.level)) return walk;
            table = memory_.table_at(entry.address());
            walk.level = x86::next_lower_level(walk.level);
        }
    }

    // True when any page in [virt, virt + size) is mapped. Skips a whole
    // not-present region (up to 512 GiB) per step instead of every 4 KiB.
    bool any_page_mapped(uint64_t virt, uint64_t size) const {
        uint64_t remaining = size;
        for (;;) {
            Walk walk = walk_to(virt);
            if (Entry{*walk.slot}.present()) return true;
            uint64_t step = distance_to_region_end(virt, walk.level);
            if (step >= remaining) return false;
            virt += step;
            remaining -= step;
        }
    }

    // Writes one leaf at `level`, creating the tables above it as needed, and
    // reports the size it mapped. The caller has checked that nothing in the
    // range is mapped.
    MapError install_page(uint64_t virt, uint64_t phys, Level level, MapAccess access,
                          uint64_t& mapped) {
        uint64_t* table = memory_.table_at(root_);
        for (Level current = Level::PML4;; current = x86::next_lower_level(current)) {
            uint64_t* slot = &table[x86::table_index(virt, current)];
            Entry entry{*slot};
            if (current == level) {
                if (!entry.present()) {
                    *slot = Entry::page(phys, access.writable, access.executable,
                                        level != Level::PT).raw;
                    mapped = x86::level_entry_size(level);
                    return MapError::None;
                }
                if (is_leaf(entry, current)) return MapError::AlreadyMapped;
                // A table that an earlier unmap() emptied (nothing in the
                // range is mapped). Reuse it with smaller pages rather than
                // dropping it, which would leak its frame.
                level = x86::next_lower_level(level);
            } else if (!entry.present()) {
                uint64_t child = allocate_zeroed_table();
                if (child == 0) return MapError::OutOfMemory;
                entry = Entry::table(child);
                *slot = entry.raw;
            } else if (is_leaf(entry, current)) {
                return MapError::AlreadyMapped;
            }
            table = memory_.table_at(entry.address());
        }
    }

    // Makes sure no large page straddles virt, splitting as often as needed
    // (a 1 GiB page may become 2 MiB pages, one of which becomes 4 KiB pages).
    MapError split_at(uint64_t virt) {
        for (;;) {
            Walk walk = walk_to(virt);
            Entry entry{*walk.slot};
            bool on_boundary = (virt & (x86::level_entry_size(walk.level) - 1)) == 0;
            if (!entry.present() || on_boundary) return MapError::None;
            MapError error = split_large_page(walk.slot, walk.level);
            if (error != MapError::None) return error;
        }
    }

    // Replaces a large page by a table of 512 pages of the next smaller size
    // with the same translation and attributes. The new table is complete
    // before it is linked, so no walk ever sees it half filled.
    MapError split_large_page(uint64_t* slot, Level level) {
        uint64_t child_phys = allocate_zeroed_table();
        if (child_phys == 0) return MapError::OutOfMemory;
        const Entry parent{*slot};
        const Level child_level = x86::next_lower_level(level);
        const uint64_t child_size = x86::level_entry_size(child_level);
        const uint64_t base = page_base(parent, level);
        const uint64_t attributes = child_attributes(parent, child_level);
        uint64_t* child = memory_.table_at(child_phys);
        for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i)
            child[i] = (base + i * child_size) | attributes;
        *slot = Entry::table(child_phys).raw;
        return MapError::None;
    }

    // Everything outside the address field carries over to the smaller pages
    // (permissions, caching, Global, NX, ...). Only the PAT bit moves: a
    // large page keeps it at bit 12, a 4 KiB page at bit 7, where large pages
    // have their PageSize bit.
    static constexpr uint64_t child_attributes(Entry parent, Level child_level) {
        uint64_t attributes = parent.raw & ~x86::kEntryAddressMask;
        bool pat = (parent.raw & x86::pte::kPatLarge) != 0;
        if (child_level == Level::PT) {
            attributes &= ~x86::pte::kPageSize;
            if (pat) attributes |= x86::pte::kPat4K;
        } else if (pat) {
            attributes |= x86::pte::kPatLarge;
        }
        return attributes;
    }

    // Clears every leaf in [virt, virt + size). Needs no memory because the
    // caller made sure no leaf sticks out of the range.
    void clear_range(uint64_t virt, uint64_t size) {
        uint64_t remaining = size;
        while (remaining > 0) {
            Walk walk = walk_to(virt);
            *walk.slot = Entry::not_present().raw;
            uint64_t step = distance_to_region_end(virt, walk.level);
            if (step >= remaining) return;
            virt += step;
            remaining -= step;
        }
    }

    template <class Fn>
    void visit_table(uint64_t table_phys, Level level, uint64_t table_virt, bool writable,
                     bool executable, Fn& fn) const {
        const uint64_t* table = memory_.table_at(table_phys);
        const uint64_t entry_size = x86::level_entry_size(level);
        for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i) {
            Entry entry{table[i]};
            if (!entry.present()) continue;
            uint64_t virt = x86::sign_extend_virtual(table_virt + i * entry_size);
            bool can_write = writable && entry.writable();
            bool can_execute = executable && entry.executable();
            if (is_leaf(entry, level)) {
                fn(virt, Translation{true, page_base(entry, level), can_write, can_execute,
                                     entry_size});
            } else {
                visit_table(entry.address(), x86::next_lower_level(level), virt, can_write,
                            can_execute, fn);
            }
        }
    }

    Memory& memory_;
    uint64_t root_ = 0;
};

}  // namespace bulkhead
