// Builds the extended page tables of one partition (see ept.hpp for the
// hardware format, Intel SDM Vol. 3C, 29.3).
//
// The builder owns no memory, exactly like PageTableBuilder (page_table.hpp):
// it asks a Memory object for zeroed tables and for a pointer through which it
// can reach a table by its physical address, so the same code runs in the
// hypervisor (frames from the frame allocator, reached through the identity
// map) and in host unit tests (tables in a host buffer).
//
//   struct Memory {
//       uint64_t allocate_table();          // zeroed 4 KiB table, 0 = out of memory
//       uint64_t* table_at(uint64_t phys);  // where that table can be accessed
//   };
//
// Policy enforced here rather than left to callers:
//   - No entry the builder writes is an EPT misconfiguration (29.3.3.1): no
//     write-without-read, no execute-only unless the CPU has it, no reserved
//     memory type, reserved bits of table entries 0.
//   - map() never silently replaces an existing mapping, and a map() that
//     fails leaves no part of its range mapped.
//   - Rights live in the leaves only; table entries allow everything.
//   - Every table the builder ever allocated stays reachable through
//     for_each_table(), so tearing a partition down frees all of them. Tables
//     that became empty are unlinked from the tree (a later map() can then use
//     a large page there again) and kept on a free list for reuse.
//
// The builder does not invalidate cached translations. A caller that edits
// the tables of a partition whose vCPUs may have run must INVEPT afterwards
// (29.4.3); removing rights or mappings is not visible before that.
#pragma once

#include <stdint.h>

#include "arch/x86_64/ept.hpp"
#include "arch/x86_64/paging.hpp"

namespace bulkhead {

// The rights of a guest-physical page. execute allows instruction fetches
// from any mode (both EPT execute bits, see x86::ept::kUserExecute).
struct EptAccess {
    bool read;
    bool write;
    bool execute;

    constexpr bool operator==(const EptAccess&) const = default;
};

using EptMemoryType = x86::EptMemoryType;

enum class EptError : uint8_t {
    None,
    OutOfMemory,
    Misaligned,              // guest_phys, host_phys or size is not a multiple of 4 KiB
    GuestOutOfRange,         // [guest_phys, guest_phys + size) goes beyond 48 bits
    HostOutOfRange,          // [host_phys, host_phys + size) goes beyond 52 bits
    WriteWithoutRead,        // an EPT misconfiguration (29.3.3.1)
    ExecuteOnlyUnsupported,  // execute-only needs IA32_VMX_EPT_VPID_CAP bit 0 (Vol. 3D, A.10)
    NoAccess,                // no right at all is a not-present entry: use unmap()
    InvalidMemoryType,       // a reserved encoding (2, 3 or 7)
    AlreadyMapped,           // map(): the range overlaps an existing mapping
    NotMapped,               // protect(): part of the range is not mapped
    NotInitialized,          // init() has not succeeded yet
};

// The largest page map() may use: a ceiling, not a set. 2 MiB and 1 GiB EPT
// pages each need CPU support (A.10 bits 16 and 17), which is why the caller
// chooses.
enum class EptPageSizes : uint8_t { Only4K, Up2M, Up1G };

// What the tables say about one guest-physical address. access is the
// effective one (every level of the walk must allow an access, 29.3.3.2).
struct EptTranslation {
    bool present;
    uint64_t host_phys;
    EptAccess access;
    EptMemoryType memory_type;
    uint64_t page_size;
};

template <class Memory>
class EptBuilder {
  public:
    using Level = x86::PagingLevel;
    using Entry = x86::EptEntry;

    // execute_only_supported: IA32_VMX_EPT_VPID_CAP bit 0. Without it an
    // execute-only leaf is a misconfiguration, so such requests are refused.
    constexpr explicit EptBuilder(Memory& memory, bool execute_only_supported = false)
        : memory_(memory), execute_only_supported_(execute_only_supported) {}

    // Allocates the empty EPT PML4 table. Calling it again changes nothing.
    EptError init() {
        if (root_ != 0) return EptError::None;
        uint64_t pml4 = allocate_zeroed_table();
        if (pml4 == 0) return EptError::OutOfMemory;
        root_ = pml4;
        return EptError::None;
    }

    // Host-physical address of the EPT PML4 table (0 before init()).
    uint64_t pml4() const { return root_; }

    // The VMCS EPT pointer for these tables (ept.hpp, make_eptp). 0 before
    // init(): VM entry rejects it (a walk length of 1 is invalid), where an
    // EPTP built from address 0 would let the guest walk page 0.
    uint64_t eptp(bool accessed_dirty) const {
        return root_ == 0 ? 0 : x86::make_eptp(root_, accessed_dirty);
    }

    // Maps [guest_phys, guest_phys + size) to [host_phys, host_phys + size).
    // Each step uses the largest page (up to `largest`) that both addresses
    // are aligned to and that fits in what is left, so a big aligned range
    // costs few entries and few TLB entries. On any error nothing of the
    // range is mapped and no table was added to the tree.
    EptError map(uint64_t guest_phys, uint64_t host_phys, uint64_t size, EptAccess access,
                 EptMemoryType memory_type, EptPageSizes largest) {
        if (root_ == 0) return EptError::NotInitialized;
        EptError error = check_access(access);
        if (error != EptError::None) return error;
        if (!x86::is_valid_ept_memory_type(memory_type)) return EptError::InvalidMemoryType;
        error = check_guest_range(guest_phys, size);
        if (error != EptError::None) return error;
        if (!is_page_aligned(host_phys)) return EptError::Misaligned;
        if (host_phys >= x86::kPhysicalAddressLimit ||
            size > x86::kPhysicalAddressLimit - host_phys)
            return EptError::HostOutOfRange;
        if (size == 0) return EptError::None;
        if (any_page_mapped(guest_phys, size)) return EptError::AlreadyMapped;

        const Level ceiling = ceiling_level(largest);
        uint64_t done = 0;
        while (done < size) {
            Level level =
                choose_leaf_level(guest_phys + done, host_phys + done, size - done, ceiling);
            uint64_t mapped = 0;
            error = install_page(guest_phys + done, host_phys + done, level, access, memory_type,
                                 mapped);
            if (error != EptError::None) {
                // Undo the pages installed so far. They are exactly the pages
                // we created, so clearing them needs no splitting and no
                // memory; the tables created for them become empty and go
                // back to the free list.
                clear_range(guest_phys, done);
                release_empty_tables(guest_phys, size);
                return error;
            }
            done += mapped;
        }
        return EptError::None;
    }

    // Removes every mapping in [guest_phys, guest_phys + size); addresses
    // that were not mapped are fine. A large page that sticks out of the
    // range is split first, so the part outside keeps its translation, rights
    // and memory type. On OutOfMemory nothing has been unmapped.
    EptError unmap(uint64_t guest_phys, uint64_t size) {
        if (root_ == 0) return EptError::NotInitialized;
        EptError error = check_guest_range(guest_phys, size);
        if (error != EptError::None) return error;
        if (size == 0) return EptError::None;

        // Split before clearing anything: a split keeps every translation as
        // it was, so running out of memory here leaves the tables equivalent.
        error = split_range_ends(guest_phys, size);
        if (error != EptError::None) return error;
        clear_range(guest_phys, size);
        release_empty_tables(guest_phys, size);
        return EptError::None;
    }

    // Gives every page in [guest_phys, guest_phys + size) the rights
    // `access`, keeping its translation and memory type; large pages that
    // stick out of the range are split. The whole range must be mapped. On
    // any error no rights have changed.
    EptError protect(uint64_t guest_phys, uint64_t size, EptAccess access) {
        if (root_ == 0) return EptError::NotInitialized;
        EptError error = check_access(access);
        if (error != EptError::None) return error;
        error = check_guest_range(guest_phys, size);
        if (error != EptError::None) return error;
        if (size == 0) return EptError::None;
        if (!all_pages_mapped(guest_phys, size)) return EptError::NotMapped;

        error = split_range_ends(guest_phys, size);
        if (error != EptError::None) return error;
        uint64_t guest = guest_phys;
        uint64_t remaining = size;
        for (;;) {
            // After the splits every leaf met here lies inside the range.
            Walk walk = walk_to(guest);
            Entry leaf{*walk.slot};
            *walk.slot = leaf.with_rights(access.read, access.write, access.execute).raw;
            uint64_t step = distance_to_region_end(guest, walk.level);
            if (step >= remaining) return EptError::None;
            guest += step;
            remaining -= step;
        }
    }

    EptTranslation translate(uint64_t guest_phys) const {
        if (root_ == 0 || guest_phys >= x86::kGuestPhysicalLimit) return not_present();
        Walk walk = walk_to(guest_phys);
        Entry entry{*walk.slot};
        if (!entry.present()) return not_present();
        uint64_t page_size = x86::level_entry_size(walk.level);
        return EptTranslation{true, page_base(entry, walk.level) | (guest_phys & (page_size - 1)),
                              walk.access, entry.memory_type(), page_size};
    }

    // Calls fn(guest_phys, EptTranslation) for every leaf, in address order;
    // EptTranslation::host_phys is the start of the page.
    template <class Fn>
    void for_each_leaf(Fn fn) const {
        if (root_ == 0) return;
        visit_leaves(root_, Level::PML4, 0, EptAccess{true, true, true}, fn);
    }

    // Calls fn(phys) once for every table the builder holds: the tree
    // (children before their parent, the PML4 last of them) and the free
    // list. The builder reads nothing of a table after handing it to fn, so
    // fn may free it; after that the builder must not be used again.
    template <class Fn>
    void for_each_table(Fn fn) const {
        if (root_ != 0) visit_tables(root_, Level::PML4, fn);
        uint64_t table = free_tables_;
        while (table != 0) {
            uint64_t next = memory_.table_at(table)[kFreeListLink];
            fn(table);
            table = next;
        }
    }

  private:
    // Where a walk down the tree for one address stopped: at a leaf, or at
    // the first entry that is not present.
    struct Walk {
        Level level;
        uint64_t* slot;
        EptAccess access;  // what every level so far allows
    };

    // A table on the free list keeps the next one's address in its first
    // entry (0 ends the list); the table is not in the tree, so the CPU never
    // reads it as an entry.
    static constexpr uint64_t kFreeListLink = 0;

    static constexpr bool is_page_aligned(uint64_t value) {
        return (value & (x86::kPageSize4K - 1)) == 0;
    }

    static constexpr EptTranslation not_present() {
        return EptTranslation{false, 0, EptAccess{false, false, false},
                              EptMemoryType::Uncacheable, 0};
    }

    // A PT entry always maps a page; PD and PDPT entries do when bit 7 is set.
    // (Bit 7 of a PML4 entry is reserved, and never set by us.)
    static constexpr bool is_leaf(Entry entry, Level level) {
        return level == Level::PT || (level != Level::PML4 && entry.large());
    }

    static constexpr uint64_t page_base(Entry entry, Level level) {
        return entry.address() & ~(x86::level_entry_size(level) - 1);
    }

    // Bytes from guest_phys to the end of the region that one entry at this
    // level covers. Used to skip whole not-present regions in one step.
    static constexpr uint64_t distance_to_region_end(uint64_t guest_phys, Level level) {
        uint64_t region = x86::level_entry_size(level);
        return region - (guest_phys & (region - 1));
    }

    // The rights combinations that are not a misconfiguration (29.3.3.1) and
    // not a not-present entry.
    constexpr EptError check_access(EptAccess access) const {
        if (!access.read && !access.write && !access.execute) return EptError::NoAccess;
        if (access.write && !access.read) return EptError::WriteWithoutRead;
        if (access.execute && !access.read && !execute_only_supported_)
            return EptError::ExecuteOnlyUnsupported;
        return EptError::None;
    }

    static constexpr EptError check_guest_range(uint64_t guest_phys, uint64_t size) {
        if (!is_page_aligned(guest_phys) || !is_page_aligned(size)) return EptError::Misaligned;
        if (guest_phys >= x86::kGuestPhysicalLimit || size > x86::kGuestPhysicalLimit - guest_phys)
            return EptError::GuestOutOfRange;
        return EptError::None;
    }

    static constexpr Level ceiling_level(EptPageSizes largest) {
        switch (largest) {
            case EptPageSizes::Up1G: return Level::PDPT;
            case EptPageSizes::Up2M: return Level::PD;
            case EptPageSizes::Only4K: break;
        }
        return Level::PT;
    }

    // The highest level (largest page) at or below the ceiling whose page
    // size divides both addresses and fits into the remaining size.
    static constexpr Level choose_leaf_level(uint64_t guest_phys, uint64_t host_phys,
                                             uint64_t remaining, Level ceiling) {
        for (Level level = ceiling; level != Level::PT; level = x86::next_lower_level(level)) {
            uint64_t page_size = x86::level_entry_size(level);
            bool aligned = ((guest_phys | host_phys) & (page_size - 1)) == 0;
            if (aligned && remaining >= page_size) return level;
        }
        return Level::PT;
    }

    // A table from the free list, or a new one from Memory. Memory promises
    // zeroed tables, but a stale entry would hand the guest arbitrary host
    // memory, so clear it again; 512 stores are cheap.
    uint64_t allocate_zeroed_table() {
        uint64_t phys = free_tables_;
        if (phys != 0) {
            free_tables_ = memory_.table_at(phys)[kFreeListLink];
        } else {
            phys = memory_.allocate_table();
            if (phys == 0) return 0;
        }
        uint64_t* table = memory_.table_at(phys);
        for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i) table[i] = Entry::not_present().raw;
        return phys;
    }

    // Puts a table that is no longer linked into the tree on the free list.
    void release_table(uint64_t phys) {
        memory_.table_at(phys)[kFreeListLink] = free_tables_;
        free_tables_ = phys;
    }

    Walk walk_to(uint64_t guest_phys) const {
        Walk walk{Level::PML4, nullptr, EptAccess{true, true, true}};
        uint64_t* table = memory_.table_at(root_);
        for (;;) {
            walk.slot = &table[x86::table_index(guest_phys, walk.level)];
            Entry entry{*walk.slot};
            if (!entry.present()) return walk;
            walk.access.read = walk.access.read && entry.readable();
            walk.access.write = walk.access.write && entry.writable();
            walk.access.execute = walk.access.execute && entry.executable();
            if (is_leaf(entry, walk.level)) return walk;
            table = memory_.table_at(entry.address());
            walk.level = x86::next_lower_level(walk.level);
        }
    }

    // True when any page in [guest_phys, guest_phys + size) is mapped. Skips
    // a whole not-present region (up to 512 GiB) per step.
    bool any_page_mapped(uint64_t guest_phys, uint64_t size) const {
        uint64_t remaining = size;
        for (;;) {
            Walk walk = walk_to(guest_phys);
            if (Entry{*walk.slot}.present()) return true;
            uint64_t step = distance_to_region_end(guest_phys, walk.level);
            if (step >= remaining) return false;
            guest_phys += step;
            remaining -= step;
        }
    }

    // True when every page in [guest_phys, guest_phys + size) is mapped.
    // Skips a whole leaf per step.
    bool all_pages_mapped(uint64_t guest_phys, uint64_t size) const {
        uint64_t remaining = size;
        for (;;) {
            Walk walk = walk_to(guest_phys);
            if (!Entry{*walk.slot}.present()) return false;
            uint64_t step = distance_to_region_end(guest_phys, walk.level);
            if (step >= remaining) return true;
            guest_phys += step;
            remaining -= step;
        }
    }

    // Writes one leaf at `level`, creating the tables above it as needed, and
    // reports the size it mapped. The caller has checked that nothing in the
    // range is mapped.
    EptError install_page(uint64_t guest_phys, uint64_t host_phys, Level level, EptAccess access,
                          EptMemoryType memory_type, uint64_t& mapped) {
        uint64_t* table = memory_.table_at(root_);
        for (Level current = Level::PML4;; current = x86::next_lower_level(current)) {
            uint64_t* slot = &table[x86::table_index(guest_phys, current)];
            Entry entry{*slot};
            if (current == level) {
                if (!entry.present()) {
                    *slot = Entry::page(host_phys, access.read, access.write, access.execute,
                                        memory_type, level != Level::PT)
                                .raw;
                    mapped = x86::level_entry_size(level);
                    return EptError::None;
                }
                if (is_leaf(entry, current)) return EptError::AlreadyMapped;
                // A table where the page would go. Empty tables are unlinked
                // after every change, so this does not happen; should it,
                // descending with smaller pages is still correct.
                level = x86::next_lower_level(level);
            } else if (!entry.present()) {
                uint64_t child = allocate_zeroed_table();
                if (child == 0) return EptError::OutOfMemory;
                entry = Entry::table(child);
                *slot = entry.raw;
            } else if (is_leaf(entry, current)) {
                return EptError::AlreadyMapped;
            }
            table = memory_.table_at(entry.address());
        }
    }

    // Makes sure no large page straddles either end of the range. The end may
    // be the top of the guest-physical space, where nothing can straddle.
    EptError split_range_ends(uint64_t guest_phys, uint64_t size) {
        EptError error = split_at(guest_phys);
        uint64_t end = guest_phys + size;
        if (error == EptError::None && end < x86::kGuestPhysicalLimit) error = split_at(end);
        return error;
    }

    // Makes sure no large page straddles guest_phys, splitting as often as
    // needed (a 1 GiB page may become 2 MiB pages, one of which becomes 4 KiB
    // pages).
    EptError split_at(uint64_t guest_phys) {
        for (;;) {
            Walk walk = walk_to(guest_phys);
            Entry entry{*walk.slot};
            bool on_boundary = (guest_phys & (x86::level_entry_size(walk.level) - 1)) == 0;
            if (!entry.present() || on_boundary) return EptError::None;
            EptError error = split_large_page(walk.slot, walk.level);
            if (error != EptError::None) return error;
        }
    }

    // Replaces a large page by a table of 512 pages of the next smaller size
    // with the same translation, rights, memory type and flags. The new table
    // is complete before it is linked, so no walk ever sees it half filled.
    EptError split_large_page(uint64_t* slot, Level level) {
        uint64_t child_phys = allocate_zeroed_table();
        if (child_phys == 0) return EptError::OutOfMemory;
        const Entry parent{*slot};
        const Level child_level = x86::next_lower_level(level);
        const uint64_t child_size = x86::level_entry_size(child_level);
        const uint64_t base = page_base(parent, level);
        // Everything outside the address field carries over (rights, memory
        // type, ignore-PAT, accessed/dirty). Bit 7 stays for 2 MiB pages and
        // goes for 4 KiB ones, where it is ignored (29.3.2).
        uint64_t attributes = parent.raw & ~x86::ept::kAddressMask;
        if (child_level == Level::PT) attributes &= ~x86::ept::kLargePage;
        uint64_t* child = memory_.table_at(child_phys);
        for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i)
            child[i] = (base + i * child_size) | attributes;
        *slot = Entry::table(child_phys).raw;
        return EptError::None;
    }

    // Clears every leaf in [guest_phys, guest_phys + size). Needs no memory
    // because the caller made sure no leaf sticks out of the range.
    void clear_range(uint64_t guest_phys, uint64_t size) {
        uint64_t remaining = size;
        while (remaining > 0) {
            Walk walk = walk_to(guest_phys);
            *walk.slot = Entry::not_present().raw;
            uint64_t step = distance_to_region_end(guest_phys, walk.level);
            if (step >= remaining) return;
            guest_phys += step;
            remaining -= step;
        }
    }

    // Unlinks every table covering part of [guest_phys, guest_phys + size)
    // that has no present entry left and puts it on the free list. Keeps the
    // tree free of empty tables, so a region that was emptied can take a
    // large page again, and a rolled-back map() leaves no table behind.
    void release_empty_tables(uint64_t guest_phys, uint64_t size) {
        release_empty_children(root_, Level::PML4, 0, guest_phys, guest_phys + size);
    }

    // Releases the empty tables below table_phys (which covers the region
    // starting at table_base) within [start, end), and reports whether
    // table_phys itself is empty now. Recursion depth is at most 3.
    bool release_empty_children(uint64_t table_phys, Level level, uint64_t table_base,
                                uint64_t start, uint64_t end) {
        uint64_t* table = memory_.table_at(table_phys);
        if (level != Level::PT) {
            const uint64_t entry_size = x86::level_entry_size(level);
            const uint64_t table_end = table_base + x86::kEntriesPerTable * entry_size;
            const uint64_t first = ((start > table_base ? start : table_base) - table_base) /
                                   entry_size;
            const uint64_t last = ((end < table_end ? end : table_end) - 1 - table_base) /
                                  entry_size;
            for (uint64_t i = first; i <= last; ++i) {
                Entry entry{table[i]};
                if (!entry.present() || is_leaf(entry, level)) continue;
                if (release_empty_children(entry.address(), x86::next_lower_level(level),
                                           table_base + i * entry_size, start, end)) {
                    table[i] = Entry::not_present().raw;
                    release_table(entry.address());
                }
            }
        }
        for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i)
            if (Entry{table[i]}.present()) return false;
        return true;
    }

    template <class Fn>
    void visit_leaves(uint64_t table_phys, Level level, uint64_t table_base, EptAccess allowed,
                      Fn& fn) const {
        const uint64_t* table = memory_.table_at(table_phys);
        const uint64_t entry_size = x86::level_entry_size(level);
        for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i) {
            Entry entry{table[i]};
            if (!entry.present()) continue;
            uint64_t guest_phys = table_base + i * entry_size;
            EptAccess access{allowed.read && entry.readable(), allowed.write && entry.writable(),
                             allowed.execute && entry.executable()};
            if (is_leaf(entry, level)) {
                fn(guest_phys, EptTranslation{true, page_base(entry, level), access,
                                              entry.memory_type(), entry_size});
            } else {
                visit_leaves(entry.address(), x86::next_lower_level(level), guest_phys, access,
                             fn);
            }
        }
    }

    template <class Fn>
    void visit_tables(uint64_t table_phys, Level level, Fn& fn) const {
        if (level != Level::PT) {
            const uint64_t* table = memory_.table_at(table_phys);
            for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i) {
                Entry entry{table[i]};
                if (entry.present() && !is_leaf(entry, level))
                    visit_tables(entry.address(), x86::next_lower_level(level), fn);
            }
        }
        fn(table_phys);
    }

    Memory& memory_;
    bool execute_only_supported_;
    uint64_t root_ = 0;
    uint64_t free_tables_ = 0;  // head of the free list, 0 when empty
};

}  // namespace bulkhead
