// Unit tests for the EPT definitions (arch/x86_64/ept.hpp) and the EPT
// builder (arch/x86_64/ept_builder.hpp).
//
// FakeMemory plays the part of host-physical memory: a host buffer of up to N
// tables, table i at "physical" address base + i * 4 KiB. Every test also runs
// check_tables(), which walks the raw tables the way the CPU would and fails
// on anything that would be an EPT misconfiguration, on empty tables left in
// the tree, and on tables the builder lost track of.
#include <catch2/catch.hpp>

#include <stdint.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "arch/x86_64/ept.hpp"
#include "arch/x86_64/ept_builder.hpp"
#include "arch/x86_64/paging.hpp"

using bulkhead::EptAccess;
using bulkhead::EptError;
using bulkhead::EptMemoryType;
using bulkhead::EptPageSizes;
using bulkhead::EptTranslation;
namespace x86 = bulkhead::x86;
namespace ept = bulkhead::x86::ept;

// Failed checks print rights as "rwx" and memory types by name.
namespace Catch {
template <>
struct StringMaker<EptAccess> {
    static std::string convert(EptAccess access) {
        return std::string(access.read ? "r" : "-") + (access.write ? "w" : "-") +
               (access.execute ? "x" : "-");
    }
};
template <>
struct StringMaker<EptMemoryType> {
    static std::string convert(EptMemoryType type) {
        switch (type) {
            case EptMemoryType::Uncacheable: return "UC";
            case EptMemoryType::WriteCombining: return "WC";
            case EptMemoryType::WriteThrough: return "WT";
            case EptMemoryType::WriteProtected: return "WP";
            case EptMemoryType::WriteBack: return "WB";
        }
        return "reserved " + std::to_string(static_cast<unsigned>(type));
    }
};
template <>
struct StringMaker<EptError> {
    static std::string convert(EptError error) {
        return "EptError " + std::to_string(static_cast<unsigned>(error));
    }
};
}  // namespace Catch

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t k4K = x86::kPageSize4K;
constexpr uint64_t k2M = x86::kPageSize2M;
constexpr uint64_t k1G = x86::kPageSize1G;

constexpr EptAccess kR{true, false, false};
constexpr EptAccess kRW{true, true, false};
constexpr EptAccess kRX{true, false, true};
constexpr EptAccess kRWX{true, true, true};
constexpr EptAccess kWriteOnly{false, true, false};
constexpr EptAccess kExecuteOnly{false, false, true};
constexpr EptAccess kNone{false, false, false};

constexpr EptMemoryType kWB = EptMemoryType::WriteBack;
constexpr EptMemoryType kUC = EptMemoryType::Uncacheable;
constexpr EptMemoryType kWT = EptMemoryType::WriteThrough;

class FakeMemory {
  public:
    static constexpr uint64_t kDefaultBase = 0x7700000;  // anything but 0

    explicit FakeMemory(size_t table_count, uint64_t base = kDefaultBase)
        : words_(table_count * x86::kEntriesPerTable),
          capacity_(table_count),
          limit_(table_count),
          base_(base) {}

    uint64_t allocate_table() {
        if (used_ == limit_) return 0;
        uint64_t phys = base_ + used_ * x86::kTableSize;
        ++used_;
        uint64_t* table = table_at(phys);
        for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i) table[i] = 0;
        return phys;
    }

    uint64_t* table_at(uint64_t phys) {
        bool aligned = phys % x86::kTableSize == 0;
        bool allocated = phys >= base_ && phys < base_ + used_ * x86::kTableSize;
        if (!aligned || !allocated) {
            FAIL_CHECK("table_at(" << std::hex << phys << ") is not an allocated table");
            return scratch_;
        }
        return &words_[(phys - base_) / sizeof(uint64_t)];
    }

    // Lets only `more` further tables be allocated (clamped to the buffer).
    void allow(size_t more) { limit_ = std::min(capacity_, used_ + more); }
    void allow_all() { limit_ = capacity_; }

    size_t tables_used() const { return used_; }
    uint64_t base() const { return base_; }
    uint64_t end() const { return base_ + capacity_ * x86::kTableSize; }

    std::set<uint64_t> allocated() const {
        std::set<uint64_t> tables;
        for (size_t i = 0; i < used_; ++i) tables.insert(base_ + i * x86::kTableSize);
        return tables;
    }

  private:
    std::vector<uint64_t> words_;
    size_t capacity_;
    size_t limit_;
    size_t used_ = 0;
    uint64_t base_;
    uint64_t scratch_[x86::kEntriesPerTable] = {};
};

using Builder = bulkhead::EptBuilder<FakeMemory>;

struct Leaf {
    uint64_t guest;
    EptTranslation translation;
};

std::vector<Leaf> leaves_of(const Builder& builder) {
    std::vector<Leaf> leaves;
    builder.for_each_leaf([&](uint64_t guest, EptTranslation t) { leaves.push_back({guest, t}); });
    return leaves;
}

uint64_t mapped_bytes(const Builder& builder) {
    uint64_t total = 0;
    builder.for_each_leaf([&](uint64_t, EptTranslation t) { total += t.page_size; });
    return total;
}

size_t leaf_count(const Builder& builder, uint64_t page_size) {
    size_t count = 0;
    builder.for_each_leaf([&](uint64_t, EptTranslation t) { count += t.page_size == page_size; });
    return count;
}

std::vector<uint64_t> tables_of(const Builder& builder) {
    std::vector<uint64_t> tables;
    builder.for_each_table([&](uint64_t phys) { tables.push_back(phys); });
    return tables;
}

// Walks the raw tables like the CPU and checks every entry against the SDM's
// rules (29.3.2, 29.3.3.1). Returns the number of tables in the tree.
size_t check_table(FakeMemory& memory, uint64_t table_phys, x86::PagingLevel level,
                   bool is_root) {
    const uint64_t* table = memory.table_at(table_phys);
    size_t tables = 1;
    bool any_present = false;
    for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i) {
        const x86::EptEntry entry{table[i]};
        if (!entry.present()) {
            REQUIRE(entry.raw == 0);  // the builder leaves no debris
            continue;
        }
        any_present = true;
        INFO("level " << static_cast<unsigned>(level) << " entry " << i << " raw " << std::hex
                      << entry.raw);
        // Never write-without-read, never a not-present user-execute-only entry.
        REQUIRE_FALSE((entry.writable() && !entry.readable()));
        REQUIRE(((entry.raw & ept::kUserExecute) != 0) == entry.executable());
        REQUIRE((entry.raw & ~x86::kEntryAddressMask & ~0x7FFull) == 0);  // bits 63:52 unused
        const bool leaf = level == x86::PagingLevel::PT ||
                          (level != x86::PagingLevel::PML4 && entry.large());
        if (leaf) {
            REQUIRE(x86::is_valid_ept_memory_type(entry.memory_type()));
            REQUIRE_FALSE(entry.ignore_pat());
            if (level == x86::PagingLevel::PT) REQUIRE_FALSE(entry.large());
            // Bits below a large page's size are reserved.
            REQUIRE(entry.address() % x86::level_entry_size(level) == 0);
        } else {
            // A table entry: all rights, bits 7:3 reserved.
            REQUIRE((entry.raw & ~x86::kEntryAddressMask) ==
                    (ept::kRead | ept::kWrite | ept::kExecute | ept::kUserExecute));
            REQUIRE((entry.raw & ept::kTableReservedMask) == 0);
            tables += check_table(memory, entry.address(), x86::next_lower_level(level), false);
        }
    }
    // Emptied tables are unlinked, so a later map can use a large page again.
    if (!is_root) REQUIRE(any_present);
    return tables;
}

// Every test ends with this.
void check_tables(FakeMemory& memory, const Builder& builder) {
    // The tables reported are exactly the ones ever allocated: none leaked,
    // none reported twice.
    std::vector<uint64_t> reported = tables_of(builder);
    std::set<uint64_t> unique(reported.begin(), reported.end());
    REQUIRE(unique.size() == reported.size());
    REQUIRE(unique == memory.allocated());
    if (builder.pml4() == 0) return;
    REQUIRE(reported.back() != 0);
    check_table(memory, builder.pml4(), x86::PagingLevel::PML4, true);

    // Leaves come in order, do not overlap, and are aligned.
    uint64_t previous_end = 0;
    for (const Leaf& leaf : leaves_of(builder)) {
        INFO("leaf at " << std::hex << leaf.guest);
        REQUIRE(leaf.translation.present);
        REQUIRE(leaf.guest >= previous_end);
        REQUIRE(leaf.guest % leaf.translation.page_size == 0);
        REQUIRE(leaf.translation.host_phys % leaf.translation.page_size == 0);
        REQUIRE(leaf.guest + leaf.translation.page_size <= x86::kGuestPhysicalLimit);
        previous_end = leaf.guest + leaf.translation.page_size;
    }
}

// Tables reachable from the PML4 (excluding the free list).
size_t tree_tables(FakeMemory& memory, const Builder& builder) {
    return check_table(memory, builder.pml4(), x86::PagingLevel::PML4, true);
}

void check_translation(const Builder& builder, uint64_t guest, uint64_t host, EptAccess access,
                       EptMemoryType type, uint64_t page_size) {
    INFO("guest " << std::hex << guest);
    EptTranslation t = builder.translate(guest);
    REQUIRE(t.present);
    CHECK(t.host_phys == host);
    CHECK(t.access == access);
    CHECK(t.memory_type == type);
    CHECK(t.page_size == page_size);
}

void check_unmapped(const Builder& builder, uint64_t guest) {
    INFO("guest " << std::hex << guest);
    CHECK_FALSE(builder.translate(guest).present);
}

// Raw entry at `level` on the way to guest (tables must exist down to it).
uint64_t raw_entry(FakeMemory& memory, const Builder& builder, uint64_t guest,
                   x86::PagingLevel level) {
    uint64_t* table = memory.table_at(builder.pml4());
    for (x86::PagingLevel current = x86::PagingLevel::PML4;;
         current = x86::next_lower_level(current)) {
        uint64_t entry = table[x86::table_index(guest, current)];
        if (current == level) return entry;
        table = memory.table_at(x86::EptEntry{entry}.address());
    }
}

}  // namespace

TEST_CASE("EPT definitions", "[ept]") {
    STATIC_REQUIRE(ept::kRead == 0x1);
    STATIC_REQUIRE(ept::kWrite == 0x2);
    STATIC_REQUIRE(ept::kExecute == 0x4);
    STATIC_REQUIRE(ept::kMemoryTypeMask == 0x38);
    STATIC_REQUIRE(ept::kIgnorePat == 0x40);
    STATIC_REQUIRE(ept::kLargePage == 0x80);
    STATIC_REQUIRE(ept::kAccessed == 0x100);
    STATIC_REQUIRE(ept::kDirty == 0x200);
    STATIC_REQUIRE(ept::kUserExecute == 0x400);
    STATIC_REQUIRE(ept::kAddressMask == 0x000FFFFFFFFFF000);
    STATIC_REQUIRE(x86::kGuestPhysicalLimit == 0x0001'0000'0000'0000);

    STATIC_REQUIRE(static_cast<unsigned>(EptMemoryType::Uncacheable) == 0);
    STATIC_REQUIRE(static_cast<unsigned>(EptMemoryType::WriteCombining) == 1);
    STATIC_REQUIRE(static_cast<unsigned>(EptMemoryType::WriteThrough) == 4);
    STATIC_REQUIRE(static_cast<unsigned>(EptMemoryType::WriteProtected) == 5);
    STATIC_REQUIRE(static_cast<unsigned>(EptMemoryType::WriteBack) == 6);
    for (unsigned reserved : {2u, 3u, 7u})
        CHECK_FALSE(x86::is_valid_ept_memory_type(static_cast<EptMemoryType>(reserved)));

    const auto leaf = x86::EptEntry::page(0x40000000, true, false, true, kWT, true);
    CHECK(leaf.raw == (0x40000000 | 0x1 | 0x4 | 0x400 | (4 << 3) | 0x80));
    CHECK(leaf.present());
    CHECK(leaf.readable());
    CHECK_FALSE(leaf.writable());
    CHECK(leaf.executable());
    CHECK(leaf.large());
    CHECK(leaf.memory_type() == kWT);
    CHECK_FALSE(leaf.ignore_pat());
    CHECK(leaf.address() == 0x40000000);
    // Changing rights keeps the rest, including flags the CPU set.
    const x86::EptEntry touched{leaf.raw | ept::kAccessed | ept::kDirty};
    CHECK(touched.with_rights(true, true, false).raw ==
          ((touched.raw & ~(ept::kExecute | ept::kUserExecute)) | ept::kWrite));

    CHECK(x86::EptEntry::table(0x5000).raw == (0x5000 | 0x7 | 0x400));
    CHECK_FALSE(x86::EptEntry::not_present().present());
    // Present means any of bits 2:0.
    CHECK(x86::EptEntry{ept::kExecute}.present());
    CHECK_FALSE(x86::EptEntry{ept::kLargePage | 0x1000}.present());
}

TEST_CASE("the EPT pointer: WB paging structures, 4-level walk, A/D flags", "[ept]") {
    STATIC_REQUIRE(x86::make_eptp(0x1234'5678'9000, false) == (0x1234'5678'9000 | 6 | (3 << 3)));
    STATIC_REQUIRE(x86::make_eptp(0x1234'5678'9000, true) ==
                   (0x1234'5678'9000 | 6 | (3 << 3) | (1 << 6)));
    const uint64_t value = x86::make_eptp(0xABC000, true);
    CHECK((value & x86::eptp::kMemoryTypeMask) == 6);  // write-back
    CHECK(((value & x86::eptp::kPageWalkLengthMask) >> x86::eptp::kPageWalkLengthShift) + 1 == 4);
    CHECK((value & x86::eptp::kAccessedDirty) != 0);
    CHECK((value & x86::eptp::kAddressMask) == 0xABC000);
    CHECK((x86::make_eptp(0xABC000, false) & x86::eptp::kAccessedDirty) == 0);
    // Bits 11:7 (shadow-stack control, reserved) stay 0.
    CHECK((value & 0xF80) == 0);

    FakeMemory memory(4);
    Builder builder(memory);
    CHECK(builder.eptp(false) == 0);  // not a valid EPTP, unlike one to page 0
    REQUIRE(builder.init() == EptError::None);
    CHECK(builder.pml4() == memory.base());
    CHECK(builder.eptp(false) == x86::make_eptp(memory.base(), false));
    CHECK(builder.eptp(true) == x86::make_eptp(memory.base(), true));
    REQUIRE(builder.init() == EptError::None);  // again: nothing changes
    CHECK(builder.pml4() == memory.base());
    CHECK(memory.tables_used() == 1);
    check_tables(memory, builder);
}

TEST_CASE("EPT: the largest page that fits is used", "[ept]") {
    FakeMemory memory(64);
    Builder builder(memory);
    REQUIRE(builder.init() == EptError::None);

    SECTION("a 4 KiB page") {
        const uint64_t guest = 0x12345000, host = 0xABCDE000;
        REQUIRE(builder.map(guest, host, k4K, kRW, kWB, EptPageSizes::Up1G) == EptError::None);
        CHECK(memory.tables_used() == 4);  // PML4, PDPT, PD, PT
        check_translation(builder, guest, host, kRW, kWB, k4K);
        check_translation(builder, guest + 0x123, host + 0x123, kRW, kWB, k4K);
        check_unmapped(builder, guest - k4K);
        check_unmapped(builder, guest + k4K);
        // Table entries allow everything; the leaf decides.
        for (auto level : {x86::PagingLevel::PML4, x86::PagingLevel::PDPT, x86::PagingLevel::PD})
            CHECK((raw_entry(memory, builder, guest, level) & ~x86::kEntryAddressMask) ==
                  (ept::kRead | ept::kWrite | ept::kExecute | ept::kUserExecute));
        CHECK(raw_entry(memory, builder, guest, x86::PagingLevel::PT) ==
              (host | ept::kRead | ept::kWrite | (6 << ept::kMemoryTypeShift)));
    }
    SECTION("2 MiB pages") {
        REQUIRE(builder.map(4 * kGiB, 6 * kMiB, 4 * kMiB, kRX, kWB, EptPageSizes::Up1G) ==
                EptError::None);
        CHECK(leaf_count(builder, k2M) == 2);
        CHECK(memory.tables_used() == 3);  // no PT
        check_translation(builder, 4 * kGiB + k2M + 5, 8 * kMiB + 5, kRX, kWB, k2M);
        CHECK(raw_entry(memory, builder, 4 * kGiB, x86::PagingLevel::PD) ==
              (6 * kMiB | ept::kRead | ept::kExecute | ept::kUserExecute |
               (6 << ept::kMemoryTypeShift) | ept::kLargePage));
    }
    SECTION("a 1 GiB page") {
        REQUIRE(builder.map(k1G, 3 * k1G, k1G, kRWX, kWB, EptPageSizes::Up1G) == EptError::None);
        CHECK(memory.tables_used() == 2);  // PML4 and PDPT only
        CHECK(leaf_count(builder, k1G) == 1);
        check_translation(builder, k1G + 12345 * k4K, 3 * k1G + 12345 * k4K, kRWX, kWB, k1G);
        CHECK(x86::EptEntry{raw_entry(memory, builder, k1G, x86::PagingLevel::PDPT)}.large());
    }
    SECTION("1 GiB pages not allowed (CPU without them): 2 MiB pages") {
        REQUIRE(builder.map(k1G, k1G, k1G, kRW, kWB, EptPageSizes::Up2M) == EptError::None);
        CHECK(leaf_count(builder, k1G) == 0);
        CHECK(leaf_count(builder, k2M) == x86::kEntriesPerTable);
        CHECK(mapped_bytes(builder) == k1G);
        check_translation(builder, 2 * k1G - 1, 2 * k1G - 1, kRW, kWB, k2M);
    }
    SECTION("4 KiB pages only") {
        REQUIRE(builder.map(k2M, k2M, k2M, kRW, kWB, EptPageSizes::Only4K) == EptError::None);
        CHECK(leaf_count(builder, k4K) == x86::kEntriesPerTable);
        CHECK(mapped_bytes(builder) == k2M);
    }
    SECTION("alignment of both addresses decides") {
        // Guest aligned to 2 MiB but host only to 4 KiB, and the reverse.
        REQUIRE(builder.map(k1G, 0x1000, k2M, kRW, kWB, EptPageSizes::Up1G) == EptError::None);
        CHECK(leaf_count(builder, k4K) == x86::kEntriesPerTable);
        REQUIRE(builder.map(4 * k1G + k2M, k1G, k1G, kRW, kWB, EptPageSizes::Up1G) ==
                EptError::None);
        CHECK(leaf_count(builder, k2M) == x86::kEntriesPerTable);
    }
    SECTION("each step takes the largest page that fits") {
        // From 2 MiB below a 1 GiB boundary: 2M, 1G, 2M, then 4K for the tail.
        const uint64_t start = k1G - k2M;
        REQUIRE(builder.map(start, start + 8 * k1G, k2M + k1G + k2M + k4K, kR, kUC,
                            EptPageSizes::Up1G) == EptError::None);
        std::vector<Leaf> leaves = leaves_of(builder);
        REQUIRE(leaves.size() == 4);
        const uint64_t sizes[] = {k2M, k1G, k2M, k4K};
        const uint64_t starts[] = {start, k1G, 2 * k1G, 2 * k1G + k2M};
        for (size_t i = 0; i < 4; ++i) {
            CHECK(leaves[i].guest == starts[i]);
            CHECK(leaves[i].translation.page_size == sizes[i]);
            CHECK(leaves[i].translation.host_phys == starts[i] + 8 * k1G);
            CHECK(leaves[i].translation.memory_type == kUC);
            CHECK(leaves[i].translation.access == kR);
        }
    }
    SECTION("the top of the guest-physical space") {
        const uint64_t top = x86::kGuestPhysicalLimit - k1G;
        REQUIRE(builder.map(top, k1G, k1G, kRW, kWB, EptPageSizes::Up1G) == EptError::None);
        check_translation(builder, x86::kGuestPhysicalLimit - 1, 2 * k1G - 1, kRW, kWB, k1G);
        REQUIRE(builder.unmap(x86::kGuestPhysicalLimit - k4K, k4K) == EptError::None);
        check_unmapped(builder, x86::kGuestPhysicalLimit - k4K);
        check_translation(builder, x86::kGuestPhysicalLimit - 2 * k4K, 2 * k1G - 2 * k4K, kRW,
                          kWB, k4K);
    }
    check_tables(memory, builder);
}

TEST_CASE("EPT: translate of mapped and unmapped addresses", "[ept]") {
    FakeMemory memory(16);
    Builder builder(memory);
    CHECK_FALSE(builder.translate(0).present);  // before init()
    REQUIRE(builder.init() == EptError::None);
    CHECK_FALSE(builder.translate(0).present);

    REQUIRE(builder.map(0x100000, 0x30000000, 64 * kKiB, kRWX, kWB, EptPageSizes::Up1G) ==
            EptError::None);
    check_translation(builder, 0x100000, 0x30000000, kRWX, kWB, k4K);
    check_translation(builder, 0x10FFFF, 0x3000FFFF, kRWX, kWB, k4K);
    check_unmapped(builder, 0x0FFFFF);
    check_unmapped(builder, 0x110000);
    check_unmapped(builder, 0);
    check_unmapped(builder, 0x100000 + k1G);      // same PD index, other PDPT entry
    check_unmapped(builder, 0x100000 + 512 * kGiB);  // same indices below the PML4
    check_unmapped(builder, x86::kGuestPhysicalLimit + 0x100000);  // beyond 48 bits
    const EptTranslation none = builder.translate(0x200000);
    CHECK(none.host_phys == 0);
    CHECK(none.page_size == 0);
    CHECK(none.access == kNone);
    check_tables(memory, builder);
}

TEST_CASE("EPT: invalid requests are refused and change nothing", "[ept]") {
    FakeMemory memory(16);
    Builder builder(memory);

    CHECK(builder.map(0, 0, k4K, kR, kWB, EptPageSizes::Only4K) == EptError::NotInitialized);
    CHECK(builder.unmap(0, k4K) == EptError::NotInitialized);
    CHECK(builder.protect(0, k4K, kR) == EptError::NotInitialized);
    REQUIRE(builder.init() == EptError::None);
    REQUIRE(builder.map(k2M, k2M, k2M, kRW, kWB, EptPageSizes::Up2M) == EptError::None);
    const size_t tables = memory.tables_used();

    // Write without read is an EPT misconfiguration (SDM 29.3.3.1).
    CHECK(builder.map(0, 0, k4K, kWriteOnly, kWB, EptPageSizes::Up1G) ==
          EptError::WriteWithoutRead);
    CHECK(builder.map(0, 0, k4K, EptAccess{false, true, true}, kWB, EptPageSizes::Up1G) ==
          EptError::WriteWithoutRead);
    CHECK(builder.protect(k2M, k4K, kWriteOnly) == EptError::WriteWithoutRead);
    // Execute-only is one too, unless the CPU supports it.
    CHECK(builder.map(0, 0, k4K, kExecuteOnly, kWB, EptPageSizes::Up1G) ==
          EptError::ExecuteOnlyUnsupported);
    CHECK(builder.protect(k2M, k4K, kExecuteOnly) == EptError::ExecuteOnlyUnsupported);
    // No rights at all would be a not-present entry.
    CHECK(builder.map(0, 0, k4K, kNone, kWB, EptPageSizes::Up1G) == EptError::NoAccess);
    CHECK(builder.protect(k2M, k4K, kNone) == EptError::NoAccess);
    for (unsigned reserved : {2u, 3u, 7u, 8u})
        CHECK(builder.map(0, 0, k4K, kR, static_cast<EptMemoryType>(reserved),
                          EptPageSizes::Up1G) == EptError::InvalidMemoryType);

    CHECK(builder.map(0x800, 0, k4K, kR, kWB, EptPageSizes::Up1G) == EptError::Misaligned);
    CHECK(builder.map(0, 0x800, k4K, kR, kWB, EptPageSizes::Up1G) == EptError::Misaligned);
    CHECK(builder.map(0, 0, 0x800, kR, kWB, EptPageSizes::Up1G) == EptError::Misaligned);
    CHECK(builder.unmap(0, 0x800) == EptError::Misaligned);
    CHECK(builder.protect(k2M + 0x800, k4K, kR) == EptError::Misaligned);

    // Guest-physical is 48 bits (4-level walk), host-physical 52 bits.
    CHECK(builder.map(x86::kGuestPhysicalLimit, 0, k4K, kR, kWB, EptPageSizes::Up1G) ==
          EptError::GuestOutOfRange);
    CHECK(builder.map(x86::kGuestPhysicalLimit - k4K, 0, 2 * k4K, kR, kWB,
                      EptPageSizes::Up1G) == EptError::GuestOutOfRange);
    CHECK(builder.map(0xFFFF'FFFF'FFFF'F000, 0, 2 * k4K, kR, kWB, EptPageSizes::Up1G) ==
          EptError::GuestOutOfRange);  // would wrap around
    CHECK(builder.unmap(x86::kGuestPhysicalLimit, k4K) == EptError::GuestOutOfRange);
    CHECK(builder.protect(x86::kGuestPhysicalLimit, k4K, kR) == EptError::GuestOutOfRange);
    CHECK(builder.map(0, x86::kPhysicalAddressLimit - k4K, 2 * k4K, kR, kWB,
                      EptPageSizes::Up1G) == EptError::HostOutOfRange);
    CHECK(builder.map(0, x86::kPhysicalAddressLimit, k4K, kR, kWB, EptPageSizes::Up1G) ==
          EptError::HostOutOfRange);

    // protect() only changes pages that exist.
    CHECK(builder.protect(0, k4K, kR) == EptError::NotMapped);
    CHECK(builder.protect(k2M - k4K, 2 * k4K, kR) == EptError::NotMapped);  // half mapped
    CHECK(builder.protect(2 * k2M - k4K, 2 * k4K, kR) == EptError::NotMapped);

    // Empty ranges are fine.
    CHECK(builder.map(0, 0, 0, kR, kWB, EptPageSizes::Up1G) == EptError::None);
    CHECK(builder.unmap(0, 0) == EptError::None);
    CHECK(builder.protect(0, 0, kR) == EptError::None);

    CHECK(memory.tables_used() == tables);
    REQUIRE(leaves_of(builder).size() == 1);
    check_translation(builder, k2M, k2M, kRW, kWB, k2M);
    check_tables(memory, builder);
}

TEST_CASE("EPT: execute-only pages when the CPU supports them", "[ept]") {
    FakeMemory memory(16);
    Builder builder(memory, /*execute_only_supported=*/true);
    REQUIRE(builder.init() == EptError::None);
    REQUIRE(builder.map(0, k1G, k4K, kExecuteOnly, kWB, EptPageSizes::Up1G) == EptError::None);
    check_translation(builder, 0, k1G, kExecuteOnly, kWB, k4K);
    CHECK(builder.map(k4K, 0, k4K, kWriteOnly, kWB, EptPageSizes::Up1G) ==
          EptError::WriteWithoutRead);
    check_tables(memory, builder);
}

TEST_CASE("EPT: overlapping mappings are refused", "[ept]") {
    FakeMemory memory(64);
    Builder builder(memory);
    REQUIRE(builder.init() == EptError::None);
    REQUIRE(builder.map(4 * kMiB, 4 * kMiB, k2M, kRW, kWB, EptPageSizes::Up1G) == EptError::None);
    REQUIRE(builder.map(k1G, k1G, k1G, kR, kWB, EptPageSizes::Up1G) == EptError::None);
    REQUIRE(builder.map(20 * kMiB + k4K, 0, k4K, kR, kUC, EptPageSizes::Up1G) == EptError::None);
    const std::vector<Leaf> before = leaves_of(builder);
    const size_t tables_before = memory.tables_used();

    // Inside a large page, the same page again, partly before it.
    CHECK(builder.map(5 * kMiB, 0, k4K, kRW, kWB, EptPageSizes::Up1G) == EptError::AlreadyMapped);
    CHECK(builder.map(4 * kMiB, 4 * kMiB, k2M, kRW, kWB, EptPageSizes::Up1G) ==
          EptError::AlreadyMapped);
    CHECK(builder.map(2 * kMiB, 0, 2 * kMiB + k4K, kR, kWB, EptPageSizes::Up1G) ==
          EptError::AlreadyMapped);
    CHECK(builder.map(k1G + 5 * kMiB, 0, k4K, kR, kWB, EptPageSizes::Up1G) ==
          EptError::AlreadyMapped);
    // A 2 MiB page over an existing 4 KiB page.
    CHECK(builder.map(20 * kMiB, 20 * kMiB, k2M, kR, kWB, EptPageSizes::Up1G) ==
          EptError::AlreadyMapped);
    // Overlap found only at the end, after pages that would need new tables.
    CHECK(builder.map(k1G - 3 * k4K, 0, 4 * k4K, kR, kWB, EptPageSizes::Up1G) ==
          EptError::AlreadyMapped);

    CHECK(memory.tables_used() == tables_before);
    const std::vector<Leaf> after = leaves_of(builder);
    REQUIRE(after.size() == before.size());
    for (size_t i = 0; i < after.size(); ++i) {
        CHECK(after[i].guest == before[i].guest);
        CHECK(after[i].translation.host_phys == before[i].translation.host_phys);
        CHECK(after[i].translation.access == before[i].translation.access);
        CHECK(after[i].translation.memory_type == before[i].translation.memory_type);
    }
    check_unmapped(builder, 2 * kMiB);
    check_unmapped(builder, 20 * kMiB);
    check_unmapped(builder, k1G - k4K);
    check_tables(memory, builder);
}

TEST_CASE("EPT: running out of memory leaves no partial mapping", "[ept]") {
    SECTION("no room for the PML4") {
        FakeMemory memory(0);
        Builder builder(memory);
        CHECK(builder.init() == EptError::OutOfMemory);
        CHECK(builder.pml4() == 0);
        CHECK(builder.eptp(true) == 0);
        check_tables(memory, builder);
    }
    SECTION("a map that fails half way is rolled back") {
        // 4 MiB of 4 KiB pages needs a PDPT, a PD and two PTs; the second PT
        // does not fit, after 2 MiB were already mapped.
        FakeMemory memory(4);
        Builder builder(memory);
        REQUIRE(builder.init() == EptError::None);
        CHECK(builder.map(0, k1G, 4 * kMiB, kRW, kWB, EptPageSizes::Only4K) ==
              EptError::OutOfMemory);
        CHECK(memory.tables_used() == 4);
        // No leaf left, and the PML4 references no table any more.
        CHECK(leaves_of(builder).empty());
        const uint64_t* pml4 = memory.table_at(builder.pml4());
        CHECK(std::all_of(pml4, pml4 + x86::kEntriesPerTable, [](uint64_t e) { return e == 0; }));
        CHECK(tree_tables(memory, builder) == 1);
        // The three tables are not lost: still reported, and reused.
        check_tables(memory, builder);
        REQUIRE(builder.map(0, k1G, k2M, kRW, kWB, EptPageSizes::Only4K) == EptError::None);
        CHECK(memory.tables_used() == 4);
        check_translation(builder, k2M - k4K, k1G + k2M - k4K, kRW, kWB, k4K);
        check_tables(memory, builder);
    }
    SECTION("existing mappings survive a failed map, and only its tables are dropped") {
        FakeMemory memory(16);
        Builder builder(memory);
        REQUIRE(builder.init() == EptError::None);
        REQUIRE(builder.map(k4K, 0, k4K, kR, kWB, EptPageSizes::Up1G) == EptError::None);
        const size_t tree_before = tree_tables(memory, builder);  // PML4, PDPT, PD, PT
        // From 4 KiB below 1 GiB into the next GiB: 4K in the existing PT's
        // neighbour region (new PT), then a new PD and PT above 1 GiB.
        memory.allow(2);
        CHECK(builder.map(k1G - k4K, 0, 2 * k4K, kRW, kWB, EptPageSizes::Up1G) ==
              EptError::OutOfMemory);
        memory.allow_all();
        CHECK(tree_tables(memory, builder) == tree_before);
        REQUIRE(leaves_of(builder).size() == 1);
        check_translation(builder, k4K, 0, kR, kWB, k4K);
        check_unmapped(builder, k1G - k4K);
        check_unmapped(builder, k1G);
        check_tables(memory, builder);
    }
    SECTION("an unmap that cannot split changes nothing") {
        // Unmapping 4 KiB from a 1 GiB page needs a PD and a PT.
        FakeMemory memory(3);
        Builder builder(memory);
        REQUIRE(builder.init() == EptError::None);
        REQUIRE(builder.map(k1G, 0, k1G, kRW, kWT, EptPageSizes::Up1G) == EptError::None);
        CHECK(builder.unmap(k1G + 3 * kMiB, k4K) == EptError::OutOfMemory);
        CHECK(mapped_bytes(builder) == k1G);
        check_translation(builder, k1G + 3 * kMiB, 3 * kMiB, kRW, kWT, k2M);
        check_tables(memory, builder);
    }
    SECTION("a protect that cannot split changes no rights") {
        FakeMemory memory(3);
        Builder builder(memory);
        REQUIRE(builder.init() == EptError::None);
        REQUIRE(builder.map(0, k1G, k1G, kRW, kWB, EptPageSizes::Up1G) == EptError::None);
        CHECK(builder.protect(k2M, k4K, kR) == EptError::OutOfMemory);
        builder.for_each_leaf([](uint64_t, EptTranslation t) { CHECK(t.access == kRW); });
        CHECK(mapped_bytes(builder) == k1G);
        check_tables(memory, builder);
    }
}

TEST_CASE("EPT: unmap splits large pages and keeps the neighbours", "[ept]") {
    FakeMemory memory(64);
    Builder builder(memory);
    REQUIRE(builder.init() == EptError::None);

    SECTION("4 KiB out of a 1 GiB page") {
        REQUIRE(builder.map(k1G, 5 * k1G, k1G, kRX, kWT, EptPageSizes::Up1G) == EptError::None);
        const uint64_t hole = k1G + 3 * kMiB;
        REQUIRE(builder.unmap(hole, k4K) == EptError::None);

        check_unmapped(builder, hole);
        check_translation(builder, hole - k4K, 5 * k1G + 3 * kMiB - k4K, kRX, kWT, k4K);
        check_translation(builder, hole + k4K, 5 * k1G + 3 * kMiB + k4K, kRX, kWT, k4K);
        check_translation(builder, hole + k2M, 5 * k1G + 5 * kMiB, kRX, kWT, k2M);
        check_translation(builder, k1G, 5 * k1G, kRX, kWT, k2M);
        check_translation(builder, 2 * k1G - k4K, 6 * k1G - k4K, kRX, kWT, k2M);
        CHECK(mapped_bytes(builder) == k1G - k4K);
        CHECK(leaf_count(builder, k2M) == x86::kEntriesPerTable - 1);
        CHECK(leaf_count(builder, k4K) == x86::kEntriesPerTable - 1);
        // Every remaining page keeps translation, rights and memory type.
        builder.for_each_leaf([](uint64_t guest, EptTranslation t) {
            CHECK(t.host_phys == guest + 4 * k1G);
            CHECK(t.access == kRX);
            CHECK(t.memory_type == kWT);
        });
    }
    SECTION("flags the CPU set survive a split") {
        REQUIRE(builder.map(0, 0, k1G, kRW, kWB, EptPageSizes::Up1G) == EptError::None);
        const uint64_t pml4_entry = memory.table_at(builder.pml4())[0];
        uint64_t* pdpt = memory.table_at(x86::EptEntry{pml4_entry}.address());
        pdpt[0] |= ept::kAccessed | ept::kDirty;
        REQUIRE(builder.unmap(k2M + k4K, k4K) == EptError::None);
        const uint64_t pd_entry = raw_entry(memory, builder, 0, x86::PagingLevel::PD);
        CHECK((pd_entry & (ept::kAccessed | ept::kDirty | ept::kLargePage)) ==
              (ept::kAccessed | ept::kDirty | ept::kLargePage));
        const uint64_t pt_entry = raw_entry(memory, builder, k2M, x86::PagingLevel::PT);
        CHECK((pt_entry & (ept::kAccessed | ept::kDirty)) == (ept::kAccessed | ept::kDirty));
        CHECK((pt_entry & ept::kLargePage) == 0);
    }
    SECTION("a range across two 2 MiB pages") {
        REQUIRE(builder.map(8 * kMiB, 8 * kMiB, 2 * k2M, kRW, kWB, EptPageSizes::Up1G) ==
                EptError::None);
        REQUIRE(builder.unmap(10 * kMiB - 2 * k4K, 4 * k4K) == EptError::None);
        check_translation(builder, 10 * kMiB - 3 * k4K, 10 * kMiB - 3 * k4K, kRW, kWB, k4K);
        check_unmapped(builder, 10 * kMiB - 2 * k4K);
        check_unmapped(builder, 10 * kMiB + k4K);
        check_translation(builder, 10 * kMiB + 2 * k4K, 10 * kMiB + 2 * k4K, kRW, kWB, k4K);
        CHECK(mapped_bytes(builder) == 2 * k2M - 4 * k4K);
    }
    SECTION("emptied tables leave the tree, and a large page can come back") {
        REQUIRE(builder.map(k1G, 0, k1G, kRW, kWB, EptPageSizes::Up1G) == EptError::None);
        REQUIRE(builder.unmap(k1G + k2M, k4K) == EptError::None);  // 1G -> PD -> PT
        CHECK(tree_tables(memory, builder) == 4);
        REQUIRE(builder.unmap(k1G, k1G) == EptError::None);
        CHECK(leaves_of(builder).empty());
        CHECK(tree_tables(memory, builder) == 1);  // only the PML4
        check_tables(memory, builder);             // PDPT, PD, PT on the free list
        const size_t allocated = memory.tables_used();
        REQUIRE(builder.map(k1G, 0, k1G, kRWX, kWB, EptPageSizes::Up1G) == EptError::None);
        CHECK(leaf_count(builder, k1G) == 1);
        CHECK(memory.tables_used() == allocated);  // the PDPT came from the free list
        REQUIRE(builder.unmap(0, 4 * k1G) == EptError::None);  // holes are fine
        CHECK(leaves_of(builder).empty());
    }
    check_tables(memory, builder);
}

TEST_CASE("EPT: protect makes one 4 KiB page inside a 2 MiB page read-only", "[ept]") {
    FakeMemory memory(64);
    Builder builder(memory);
    REQUIRE(builder.init() == EptError::None);
    const uint64_t guest = 6 * kMiB, host = 0x40000000;
    REQUIRE(builder.map(guest, host, k2M, kRWX, kWT, EptPageSizes::Up1G) == EptError::None);
    REQUIRE(leaf_count(builder, k2M) == 1);

    const uint64_t page = guest + 17 * k4K;
    REQUIRE(builder.protect(page, k4K, kR) == EptError::None);
    check_translation(builder, page, host + 17 * k4K, kR, kWT, k4K);
    check_translation(builder, page + 0xFFF, host + 17 * k4K + 0xFFF, kR, kWT, k4K);
    check_translation(builder, page - k4K, host + 16 * k4K, kRWX, kWT, k4K);
    check_translation(builder, page + k4K, host + 18 * k4K, kRWX, kWT, k4K);
    check_translation(builder, guest, host, kRWX, kWT, k4K);
    check_translation(builder, guest + k2M - k4K, host + k2M - k4K, kRWX, kWT, k4K);
    CHECK(leaf_count(builder, k4K) == x86::kEntriesPerTable);
    CHECK(mapped_bytes(builder) == k2M);
    size_t read_only = 0;
    builder.for_each_leaf([&](uint64_t, EptTranslation t) { read_only += t.access == kR; });
    CHECK(read_only == 1);

    // Rights can be given back, and a range spanning several pages works.
    REQUIRE(builder.protect(page, k4K, kRW) == EptError::None);
    check_translation(builder, page, host + 17 * k4K, kRW, kWT, k4K);
    REQUIRE(builder.protect(guest, k2M, kRX) == EptError::None);
    builder.for_each_leaf([](uint64_t, EptTranslation t) { CHECK(t.access == kRX); });
    // Protecting whole large pages needs no split.
    REQUIRE(builder.map(k1G, 0, k1G, kRW, kWB, EptPageSizes::Up1G) == EptError::None);
    const size_t tables = memory.tables_used();
    REQUIRE(builder.protect(k1G, k1G, kR) == EptError::None);
    CHECK(memory.tables_used() == tables);
    check_translation(builder, k1G + 5, 5, kR, kWB, k1G);
    check_tables(memory, builder);
}

// Two partitions with disjoint host memory: nothing either guest can reach
// through its EPT lies in the other's memory, the hypervisor's, or any EPT
// table (a guest that can write its own EPT owns the machine).
TEST_CASE("EPT isolation: two partitions never share host memory", "[ept]") {
    struct Range {
        uint64_t start, size;
        bool contains(uint64_t begin, uint64_t length) const {
            return begin >= start && begin - start <= size && length <= size - (begin - start);
        }
        bool overlaps(uint64_t begin, uint64_t length) const {
            return begin < start + size && start < begin + length;
        }
    };
    // The hypervisor: its image, the frame allocator's metadata, every table.
    const Range hypervisor{0, 0x10000000};
    const Range a_ram{0x10000000, 16 * kMiB};
    const Range a_mmio{0xFEC00000, k4K};  // a device page given to A only
    const Range b_ram{0x20000000, 8 * kMiB};

    FakeMemory a_memory(64, 0x07700000), b_memory(64, 0x07800000);
    REQUIRE(hypervisor.contains(a_memory.base(), a_memory.end() - a_memory.base()));
    REQUIRE(hypervisor.contains(b_memory.base(), b_memory.end() - b_memory.base()));
    Builder a(a_memory), b(b_memory);
    REQUIRE(a.init() == EptError::None);
    REQUIRE(b.init() == EptError::None);

    REQUIRE(a.map(0, a_ram.start, a_ram.size, kRWX, kWB, EptPageSizes::Up1G) == EptError::None);
    REQUIRE(a.map(0xFEC00000, a_mmio.start, k4K, kRW, kUC, EptPageSizes::Up1G) == EptError::None);
    REQUIRE(b.map(0, b_ram.start, b_ram.size, kRWX, kWB, EptPageSizes::Up2M) == EptError::None);
    // Life goes on: a page made read-only, a hole punched, a range remapped.
    REQUIRE(a.protect(0x100000, k4K, kR) == EptError::None);
    REQUIRE(b.unmap(0x200000, k4K) == EptError::None);
    REQUIRE(a.unmap(4 * kMiB, 4 * kMiB) == EptError::None);
    REQUIRE(a.map(4 * kMiB, a_ram.start + 4 * kMiB, 4 * kMiB, kRW, kWB, EptPageSizes::Up1G) ==
            EptError::None);
    // The partitions' own mistakes are refused rather than widening access.
    CHECK(b.map(0x200000, b_ram.start, k4K, kRW, kWB, EptPageSizes::Up1G) == EptError::None);
    CHECK(b.map(0, b_ram.start, k4K, kRW, kWB, EptPageSizes::Up1G) == EptError::AlreadyMapped);

    std::vector<uint64_t> tables = tables_of(a);
    for (uint64_t t : tables_of(b)) tables.push_back(t);

    struct Partition {
        const char* name;
        const Builder& builder;
        std::vector<Range> own;
        std::vector<Range> others;
        uint64_t expected_bytes;
    };
    const Partition partitions[] = {
        {"A", a, {a_ram, a_mmio}, {b_ram, hypervisor}, a_ram.size + a_mmio.size},
        {"B", b, {b_ram}, {a_ram, a_mmio, hypervisor}, b_ram.size},
    };
    for (const Partition& p : partitions) {
        INFO("partition " << p.name);
        uint64_t bytes = 0;
        p.builder.for_each_leaf([&](uint64_t guest, EptTranslation t) {
            INFO("guest " << std::hex << guest << " -> host " << t.host_phys << " size "
                          << t.page_size);
            bytes += t.page_size;
            auto holds_page = [&](const Range& r) { return r.contains(t.host_phys, t.page_size); };
            CHECK(std::any_of(p.own.begin(), p.own.end(), holds_page));
            for (const Range& r : p.others) CHECK_FALSE(r.overlaps(t.host_phys, t.page_size));
            for (uint64_t table : tables)
                CHECK_FALSE(Range{table, k4K}.overlaps(t.host_phys, t.page_size));
        });
        CHECK(bytes == p.expected_bytes);
    }

    // The same seen from the guests: every guest page translates into its
    // own partition, and what lies beyond a partition's RAM does not exist.
    for (uint64_t guest = 0; guest < 16 * kMiB; guest += k4K) {
        EptTranslation ta = a.translate(guest);
        REQUIRE(ta.present);
        REQUIRE(a_ram.contains(ta.host_phys, 1));
        EptTranslation tb = b.translate(guest);
        if (guest < b_ram.size) {
            REQUIRE(tb.present);
            REQUIRE(b_ram.contains(tb.host_phys, 1));
        } else {
            REQUIRE_FALSE(tb.present);
        }
    }
    check_unmapped(b, 0xFEC00000);
    check_translation(a, 0xFEC00000, a_mmio.start, kRW, kUC, k4K);
    check_unmapped(a, 16 * kMiB);
    check_unmapped(b, 8 * kMiB);
    // Different roots, so different EPTPs.
    CHECK(a.eptp(false) != b.eptp(false));
    check_tables(a_memory, a);
    check_tables(b_memory, b);
}

// A random sequence of map, unmap and protect compared after every step with
// a model that knows every 4 KiB page. Half the runs have memory for every
// table, with single operations starved now and then; the other half never
// have enough, so running out of memory in the middle of an operation is
// common there. An operation may fail with OutOfMemory only when starved, and
// then must have changed nothing.
TEST_CASE("EPT: random operations agree with a page-by-page model", "[ept]") {
    struct Page {
        bool mapped;
        uint64_t host;
        EptAccess access;
        EptMemoryType type;
    };
    // 16 MiB around a 1 GiB boundary, so walks cross PDPT entries.
    const uint64_t window = k1G - 8 * kMiB;
    const uint64_t window_pages = 16 * kMiB / k4K;
    const EptAccess accesses[] = {kR, kRW, kRX, kRWX};
    const EptMemoryType types[] = {kWB, kUC, kWT, EptMemoryType::WriteCombining,
                                   EptMemoryType::WriteProtected};
    const EptPageSizes ceilings[] = {EptPageSizes::Only4K, EptPageSizes::Up2M,
                                     EptPageSizes::Up1G};

    for (uint64_t seed : {1u, 2u, 3u, 4u, 5u, 6u}) {
        INFO("seed " << seed);
        std::mt19937_64 random(seed);
        auto below = [&](uint64_t n) { return random() % n; };
        // The window can need 1 PML4 + 1 PDPT + 2 PDs + 8 PTs.
        const bool tight = seed > 3;
        FakeMemory memory(tight ? 7 : 256);
        Builder builder(memory);
        REQUIRE(builder.init() == EptError::None);
        std::vector<Page> model(window_pages, Page{false, 0, kNone, kWB});

        for (int step = 0; step < 250; ++step) {
            INFO("step " << step);
            // Ranges aligned to 2 MiB half of the time, so large pages occur.
            const bool large = below(2) == 0;
            const uint64_t granule = large ? k2M / k4K : 1;
            // map 40%, unmap 30%, protect 30%. Unmaps are longer than maps,
            // so the window does not fill up; protects are short and start
            // on a mapped page when one is found, so they often succeed.
            const uint64_t op = below(10);
            const bool is_unmap = op >= 4 && op < 7;
            const bool is_protect = op >= 7;
            uint64_t first = below(window_pages / granule) * granule;
            for (int tries = 0; is_protect && !model[first].mapped && tries < 16; ++tries)
                first = below(window_pages / granule) * granule;
            const uint64_t longest = large ? 4 : is_protect ? 32 : is_unmap ? 1500 : 600;
            uint64_t count = (1 + below(longest)) * granule;
            count = std::min(count, window_pages - first);
            const uint64_t guest = window + first * k4K;
            const uint64_t size = count * k4K;
            bool starved = tight;
            if (below(6) == 0) {
                memory.allow(below(3));
                starved = true;
            }

            if (op < 4) {
                // Host address with the guest's 2 MiB offset most of the time.
                uint64_t host = 8 * kGiB + below(1024) * k2M +
                                (below(4) != 0 ? guest % k2M : below(512) * k4K);
                EptAccess access = accesses[below(4)];
                EptMemoryType type = types[below(5)];
                bool overlap = false;
                for (uint64_t i = first; i < first + count; ++i) overlap |= model[i].mapped;
                EptError error = builder.map(guest, host, size, access, type, ceilings[below(3)]);
                if (overlap) {
                    REQUIRE(error == EptError::AlreadyMapped);
                } else if (error != EptError::OutOfMemory || !starved) {
                    REQUIRE(error == EptError::None);
                    for (uint64_t i = 0; i < count; ++i)
                        model[first + i] = Page{true, host + i * k4K, access, type};
                }
            } else if (!is_protect) {
                EptError error = builder.unmap(guest, size);
                if (error != EptError::OutOfMemory || !starved) {
                    REQUIRE(error == EptError::None);
                    for (uint64_t i = first; i < first + count; ++i) model[i].mapped = false;
                }
            } else {
                EptAccess access = accesses[below(4)];
                bool all = true;
                for (uint64_t i = first; i < first + count; ++i) all &= model[i].mapped;
                EptError error = builder.protect(guest, size, access);
                if (!all) {
                    REQUIRE(error == EptError::NotMapped);
                } else if (error != EptError::OutOfMemory || !starved) {
                    REQUIRE(error == EptError::None);
                    for (uint64_t i = first; i < first + count; ++i) model[i].access = access;
                }
            }
            memory.allow_all();

            std::vector<Page> actual(window_pages, Page{false, 0, kNone, kWB});
            builder.for_each_leaf([&](uint64_t leaf_guest, EptTranslation t) {
                REQUIRE(leaf_guest >= window);
                REQUIRE(leaf_guest + t.page_size <= window + window_pages * k4K);
                for (uint64_t offset = 0; offset < t.page_size; offset += k4K)
                    actual[(leaf_guest - window + offset) / k4K] =
                        Page{true, t.host_phys + offset, t.access, t.memory_type};
            });
            // One assertion per difference, not per page (16 MiB is 4096 pages).
            for (uint64_t i = 0; i < window_pages; ++i) {
                const Page& want = model[i];
                const Page& got = actual[i];
                if (got.mapped == want.mapped &&
                    (!want.mapped || (got.host == want.host && got.access == want.access &&
                                      got.type == want.type)))
                    continue;
                INFO("guest " << std::hex << window + i * k4K);
                REQUIRE(got.mapped == want.mapped);
                REQUIRE(got.host == want.host);
                REQUIRE(got.access == want.access);
                REQUIRE(got.type == want.type);
            }
            if (step % 25 == 0) check_tables(memory, builder);
        }
        check_tables(memory, builder);
        // Tear down: unmapping everything leaves only the PML4 in the tree.
        REQUIRE(builder.unmap(0, 2 * k1G) == EptError::None);
        CHECK(tree_tables(memory, builder) == 1);
        check_tables(memory, builder);
    }
}
