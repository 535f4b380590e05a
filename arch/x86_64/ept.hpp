// Hardware definitions of extended page tables, EPT (Intel SDM Vol. 3C, 29.3).
//
// With EPT on, every guest-physical address a guest uses is translated once
// more, through a 4-level tree the hypervisor owns, into a host-physical
// address. That tree is how a partition is confined to its own memory: a
// guest-physical page without an EPT leaf simply does not exist for it.
//
// The tree has the same shape as x86-64 4-level paging (paging.hpp): four
// tables of 512 eight-byte entries indexed by bits 47:39, 38:30, 29:21 and
// 20:12 of the guest-physical address; a PDPT entry may map a 1 GiB page and a
// PD entry a 2 MiB page. The page-size and table-index helpers of paging.hpp
// therefore apply unchanged. The entry format is different (29.3.2):
//
//   63       52 51        12 11 10  9  8  7  6  5:3  2  1  0
//  | ignored   | address    | . UX  D  A  LP IP MT   X  W  R |
//
// Rights are three separate bits (read, write, execute), not a present bit
// plus restrictions; an entry is present when any of them is set. Memory type
// (MT), ignore-PAT (IP) and dirty (D) exist in leaves only; in an entry that
// points to a table, bits 7:3 are reserved and must be 0 (29.3.3.1).
//
// The EPT pointer (EPTP, a VMCS field, Vol. 3C 25.6.11) tells the CPU where
// the tree is and how to walk it.
#pragma once

#include <stdint.h>

#include "arch/x86_64/paging.hpp"

namespace bulkhead::x86 {

// ---- Guest-physical addresses ----------------------------------------------

// A 4-level EPT walk translates 48 bits of guest-physical address; an access
// above that causes an EPT violation (29.3.2). Guest-physical addresses are
// not sign-extended: there is no upper half.
inline constexpr unsigned kEptLevels = 4;
inline constexpr unsigned kGuestPhysicalAddressBits = 48;
inline constexpr uint64_t kGuestPhysicalLimit = uint64_t{1} << kGuestPhysicalAddressBits;

// ---- Memory types -----------------------------------------------------------

// The EPT memory types (29.3.7), encoded as the MTRRs and the PAT encode
// them. 2, 3 and 7 are reserved: a leaf using one is an EPT
// misconfiguration (29.3.3.1).
enum class EptMemoryType : uint8_t {
    Uncacheable = 0,
    WriteCombining = 1,
    WriteThrough = 4,
    WriteProtected = 5,
    WriteBack = 6,
};

constexpr bool is_valid_ept_memory_type(EptMemoryType type) {
    switch (type) {
        case EptMemoryType::Uncacheable:
        case EptMemoryType::WriteCombining:
        case EptMemoryType::WriteThrough:
        case EptMemoryType::WriteProtected:
        case EptMemoryType::WriteBack: return true;
    }
    return false;
}

// ---- Entry bits (29.3.2) ----------------------------------------------------

namespace ept {
inline constexpr uint64_t kRead = uint64_t{1} << 0;
inline constexpr uint64_t kWrite = uint64_t{1} << 1;
// With the "mode-based execute control for EPT" VM-execution control on, bit 2
// allows fetches from supervisor-mode linear addresses only and bit 10 those
// from user-mode ones; with it off, bit 2 allows all fetches and bit 10 is
// ignored. Setting both for "executable" means the same in either mode.
inline constexpr uint64_t kExecute = uint64_t{1} << 2;
inline constexpr uint64_t kUserExecute = uint64_t{1} << 10;

// An entry is present if any of bits 2:0 is 1 (or, in mode-based execute
// mode, bit 10). Bulkhead never sets bit 10 without bit 2, so testing bits 2:0
// gives the same answer in both modes.
inline constexpr uint64_t kPresentMask = kRead | kWrite | kExecute;
// Every bit that grants access; changing an entry's rights touches only these.
inline constexpr uint64_t kRightsMask = kRead | kWrite | kExecute | kUserExecute;

// Leaves only: the memory type of the page (bits 5:3), and whether it
// replaces the guest's PAT type instead of combining with it (29.3.7.2).
inline constexpr unsigned kMemoryTypeShift = 3;
inline constexpr uint64_t kMemoryTypeMask = uint64_t{0x7} << kMemoryTypeShift;
inline constexpr uint64_t kIgnorePat = uint64_t{1} << 6;
// In a PDPT or PD entry, "this entry maps a 1 GiB / 2 MiB page"; ignored in
// a PT entry, which always maps a 4 KiB page.
inline constexpr uint64_t kLargePage = uint64_t{1} << 7;
// Set by the CPU when EPTP enables accessed and dirty flags (29.3.4).
inline constexpr uint64_t kAccessed = uint64_t{1} << 8;
inline constexpr uint64_t kDirty = uint64_t{1} << 9;  // leaves only

// In an entry that points to a table, bits 7:3 must be 0 (29.3.3.1).
inline constexpr uint64_t kTableReservedMask = uint64_t{0xF8};

// Bits 12..51: the host-physical address of the page or next table. For a
// large page the bits below its size are reserved (must be 0).
inline constexpr uint64_t kAddressMask = kEntryAddressMask;
}  // namespace ept

static_assert(ept::kTableReservedMask == (ept::kMemoryTypeMask | ept::kIgnorePat | ept::kLargePage),
              "bits 7:3 are exactly the leaf-only memory type, ignore-PAT and page-size bits");

// The rights bits of an entry granting the given accesses.
constexpr uint64_t ept_rights(bool read, bool write, bool execute) {
    uint64_t rights = 0;
    if (read) rights |= ept::kRead;
    if (write) rights |= ept::kWrite;
    if (execute) rights |= ept::kExecute | ept::kUserExecute;
    return rights;
}

// ---- Entries ----------------------------------------------------------------

// One 64-bit EPT paging-structure entry. Plain data, like PageTableEntry: it
// is read from and written to the tables as raw, and the accessors name bits.
struct EptEntry {
    uint64_t raw;

    constexpr bool present() const { return (raw & ept::kPresentMask) != 0; }
    constexpr bool readable() const { return (raw & ept::kRead) != 0; }
    constexpr bool writable() const { return (raw & ept::kWrite) != 0; }
    constexpr bool executable() const { return (raw & ept::kExecute) != 0; }
    // Only meaningful in PDPT and PD entries.
    constexpr bool large() const { return (raw & ept::kLargePage) != 0; }
    // Only meaningful in leaves.
    constexpr EptMemoryType memory_type() const {
        return static_cast<EptMemoryType>((raw & ept::kMemoryTypeMask) >> ept::kMemoryTypeShift);
    }
    constexpr bool ignore_pat() const { return (raw & ept::kIgnorePat) != 0; }
    // Address of the next table or of the page (for a large page the bits
    // below its size are 0, as the format requires).
    constexpr uint64_t address() const { return raw & ept::kAddressMask; }

    // The same entry with other rights; everything else (address, memory
    // type, accessed and dirty flags) stays.
    constexpr EptEntry with_rights(bool read, bool write, bool execute) const {
        return EptEntry{(raw & ~ept::kRightsMask) | ept_rights(read, write, execute)};
    }

    static constexpr EptEntry not_present() { return EptEntry{0}; }

    // Points to the next table down. Allows every access on purpose: an
    // access is allowed only if every entry of the walk allows it (29.3.3.2),
    // so permissive intermediate entries let each leaf decide alone.
    static constexpr EptEntry table(uint64_t table_phys) {
        return EptEntry{(table_phys & ept::kAddressMask) | ept_rights(true, true, true)};
    }

    // Maps a page. large must be true for 2 MiB and 1 GiB pages. The
    // ignore-PAT bit stays 0: the guest's PAT type combines with the EPT
    // memory type the way it would with an MTRR type (29.3.7.2), so a guest
    // driver that asks for an uncached or write-combining mapping gets it.
    static constexpr EptEntry page(uint64_t page_phys, bool read, bool write, bool execute,
                                   EptMemoryType type, bool large) {
        uint64_t raw = (page_phys & ept::kAddressMask) | ept_rights(read, write, execute) |
                       (static_cast<uint64_t>(type) << ept::kMemoryTypeShift);
        if (large) raw |= ept::kLargePage;
        return EptEntry{raw};
    }
};

static_assert(sizeof(EptEntry) == sizeof(uint64_t), "an EPT entry is exactly 64 bits");

// ---- EPT pointer (Vol. 3C, 25.6.11) -----------------------------------------

namespace eptp {
// Bits 2:0: memory type the CPU uses to read and write the EPT paging
// structures themselves (29.3.7.1). Only UC and WB are allowed, each if
// IA32_VMX_EPT_VPID_CAP says so (Vol. 3D, A.10); Bulkhead requires WB.
inline constexpr uint64_t kMemoryTypeMask = 0x7;
inline constexpr uint64_t kMemoryTypeWriteBack = static_cast<uint64_t>(EptMemoryType::WriteBack);
// Bits 5:3: the number of levels of the walk, minus 1. Only a 4-level walk is
// supported by every EPT CPU (A.10 bit 6); it gives 48-bit guest-physical.
inline constexpr unsigned kPageWalkLengthShift = 3;
inline constexpr uint64_t kPageWalkLengthMask = uint64_t{0x7} << kPageWalkLengthShift;
inline constexpr uint64_t kPageWalkLength4 = uint64_t{kEptLevels - 1} << kPageWalkLengthShift;
// Bit 6: the CPU sets accessed and dirty flags in EPT entries (29.3.4);
// allowed only if A.10 bit 21 says the CPU has them.
inline constexpr uint64_t kAccessedDirty = uint64_t{1} << 6;
// Bits 51:12: the host-physical address of the EPT PML4 table.
inline constexpr uint64_t kAddressMask = kEntryAddressMask;
}  // namespace eptp

// The EPTP for a 4-level tree rooted at pml4_phys, with the paging structures
// read write-back.
constexpr uint64_t make_eptp(uint64_t pml4_phys, bool accessed_dirty) {
    uint64_t value = (pml4_phys & eptp::kAddressMask) | eptp::kMemoryTypeWriteBack |
                     eptp::kPageWalkLength4;
    if (accessed_dirty) value |= eptp::kAccessedDirty;
    return value;
}

static_assert(make_eptp(0, false) == 0x1E, "WB (6) and walk length 4 - 1 = 3 in bits 5:3");
static_assert(make_eptp(0, true) == 0x5E, "A/D flags are bit 6");

}  // namespace bulkhead::x86
