// Unit tests for the x86-64 page-table builder (arch/x86_64/page_table.hpp).
//
// FakeMemory plays the part of physical memory: a host buffer of N tables,
// table i at "physical" address kTableBase + i * 4 KiB.
#include <catch2/catch.hpp>

#include <stdint.h>

#include <vector>

#include "arch/x86_64/page_table.hpp"
#include "arch/x86_64/paging.hpp"

using bulkhead::MapAccess;
using bulkhead::MapError;
using bulkhead::PageSizes;
using bulkhead::Translation;
namespace x86 = bulkhead::x86;
namespace pte = bulkhead::x86::pte;

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t k4K = x86::kPageSize4K;
constexpr uint64_t k2M = x86::kPageSize2M;
constexpr uint64_t k1G = x86::kPageSize1G;

constexpr MapAccess kReadOnly{false, false};
constexpr MapAccess kReadWrite{true, false};
constexpr MapAccess kReadExecute{false, true};
constexpr MapAccess kWriteExecute{true, true};

class FakeMemory {
  public:
    static constexpr uint64_t kTableBase = 0x7700000;  // anything but 0

    explicit FakeMemory(size_t table_count)
        : words_(table_count * x86::kEntriesPerTable), capacity_(table_count) {}

    uint64_t allocate_table() {
        if (used_ == capacity_) return 0;
        uint64_t phys = kTableBase + used_ * x86::kTableSize;
        ++used_;
        uint64_t* table = table_at(phys);
        for (uint64_t i = 0; i < x86::kEntriesPerTable; ++i) table[i] = 0;
        return phys;
    }

    uint64_t* table_at(uint64_t phys) {
        bool aligned = phys % x86::kTableSize == 0;
        bool allocated = phys >= kTableBase && phys < kTableBase + used_ * x86::kTableSize;
        if (!aligned || !allocated) {
            FAIL_CHECK("table_at(" << std::hex << phys << ") is not an allocated table");
            return scratch_;
        }
        return &words_[(phys - kTableBase) / sizeof(uint64_t)];
    }

    size_t tables_used() const { return used_; }

  private:
    std::vector<uint64_t> words_;
    size_t capacity_;
    size_t used_ = 0;
    uint64_t scratch_[x86::kEntriesPerTable] = {};
};

using Builder = bulkhead::PageTableBuilder<FakeMemory>;

struct Leaf {
    uint64_t virt;
    Translation translation;
};

std::vector<Leaf> leaves_of(const Builder& builder) {
    std::vector<Leaf> leaves;
    builder.for_each_leaf([&](uint64_t virt, Translation t) { leaves.push_back({virt, t}); });
    return leaves;
}

// Every test ends with this: the W^X policy over the whole address space, and
// leaves reported in order without overlapping.
void check_whole_space(const Builder& builder) {
    uint64_t previous_end = 0;
    bool first = true;
    for (const Leaf& leaf : leaves_of(builder)) {
        INFO("leaf at " << std::hex << leaf.virt);
        REQUIRE(leaf.translation.present);
        REQUIRE_FALSE((leaf.translation.writable && leaf.translation.executable));
        REQUIRE(leaf.virt % leaf.translation.page_size == 0);
        REQUIRE(leaf.translation.phys % leaf.translation.page_size == 0);
        REQUIRE(x86::is_canonical(leaf.virt));
        if (!first) REQUIRE(leaf.virt >= previous_end);
        previous_end = leaf.virt + leaf.translation.page_size;
        first = false;
    }
}

uint64_t mapped_bytes(const Builder& builder) {
    uint64_t total = 0;
    builder.for_each_leaf([&](uint64_t, Translation t) { total += t.page_size; });
    return total;
}

size_t leaf_count(const Builder& builder, uint64_t page_size) {
    size_t count = 0;
    builder.for_each_leaf([&](uint64_t, Translation t) { count += t.page_size == page_size; });
    return count;
}

void check_translation(const Builder& builder, uint64_t virt, uint64_t phys, MapAccess access,
                       uint64_t page_size) {
    INFO("virt " << std::hex << virt);
    Translation t = builder.translate(virt);
    REQUIRE(t.present);
    CHECK(t.phys == phys);
    CHECK(t.writable == access.writable);
    CHECK(t.executable == access.executable);
    CHECK(t.page_size == page_size);
}

void check_unmapped(const Builder& builder, uint64_t virt) {
    INFO("virt " << std::hex << virt);
    CHECK_FALSE(builder.translate(virt).present);
}

// Raw entry at `level` on the way to virt (tables must exist down to it).
uint64_t raw_entry(FakeMemory& memory, const Builder& builder, uint64_t virt,
                   x86::PagingLevel level) {
    uint64_t* table = memory.table_at(builder.root());
    for (x86::PagingLevel current = x86::PagingLevel::PML4;;
         current = x86::next_lower_level(current)) {
        uint64_t entry = table[x86::table_index(virt, current)];
        if (current == level) return entry;
        table = memory.table_at(x86::PageTableEntry{entry}.address());
    }
}

}  // namespace

TEST_CASE("paging definitions", "[paging]") {
    STATIC_REQUIRE(x86::kEntryAddressMask == 0x000FFFFFFFFFF000);
    STATIC_REQUIRE(x86::pte::kNoExecute == 0x8000000000000000);
    STATIC_REQUIRE(x86::pte::kPageSize == 0x80);
    const uint64_t virt = 0xFFFF'8123'4567'8ABC;
    CHECK(x86::pml4_index(virt) == ((virt >> 39) & 0x1FF));
    CHECK(x86::pdpt_index(virt) == ((virt >> 30) & 0x1FF));
    CHECK(x86::pd_index(virt) == ((virt >> 21) & 0x1FF));
    CHECK(x86::pt_index(virt) == ((virt >> 12) & 0x1FF));
    CHECK(x86::is_canonical(0x0000'7FFF'FFFF'FFFF));
    CHECK_FALSE(x86::is_canonical(0x0000'8000'0000'0000));
    CHECK_FALSE(x86::is_canonical(0xFFFF'7FFF'FFFF'FFFF));
    CHECK(x86::is_canonical(0xFFFF'8000'0000'0000));

    const auto leaf = x86::PageTableEntry::page(0x200000, true, false, true);
    CHECK(leaf.present());
    CHECK(leaf.writable());
    CHECK_FALSE(leaf.executable());
    CHECK(leaf.large());
    CHECK(leaf.address() == 0x200000);
    const auto table = x86::PageTableEntry::table(0x5000);
    CHECK(table.raw == (0x5000 | pte::kPresent | pte::kWritable));
    CHECK_FALSE(x86::PageTableEntry::not_present().present());
}

TEST_CASE("a single 4 KiB page", "[page_table]") {
    FakeMemory memory(16);
    Builder builder(memory);
    REQUIRE(builder.init() == MapError::None);
    CHECK(builder.root() == FakeMemory::kTableBase);

    const uint64_t virt = 0x12345000;
    const uint64_t phys = 0xABCDE000;
    REQUIRE(builder.map(virt, phys, k4K, kReadWrite, PageSizes::Up1G) == MapError::None);
    CHECK(memory.tables_used() == 4);  // PML4, PDPT, PD, PT

    check_translation(builder, virt, phys, kReadWrite, k4K);
    check_translation(builder, virt + 0x123, phys + 0x123, kReadWrite, k4K);
    check_unmapped(builder, virt - k4K);
    check_unmapped(builder, virt + k4K);

    // Intermediate entries allow everything; the leaf decides.
    for (auto level : {x86::PagingLevel::PML4, x86::PagingLevel::PDPT, x86::PagingLevel::PD}) {
        uint64_t raw = raw_entry(memory, builder, virt, level);
        CHECK((raw & ~x86::kEntryAddressMask) == (pte::kPresent | pte::kWritable));
    }
    uint64_t leaf = raw_entry(memory, builder, virt, x86::PagingLevel::PT);
    CHECK(leaf == (phys | pte::kPresent | pte::kWritable | pte::kNoExecute));

    std::vector<Leaf> leaves = leaves_of(builder);
    REQUIRE(leaves.size() == 1);
    CHECK(leaves[0].virt == virt);
    CHECK(leaves[0].translation.phys == phys);
    check_whole_space(builder);
}

TEST_CASE("the upper half of the address space", "[page_table]") {
    FakeMemory memory(16);
    Builder builder(memory);
    REQUIRE(builder.init() == MapError::None);
    const uint64_t virt = 0xFFFF'FFFF'8000'0000;  // the top 2 GiB
    REQUIRE(builder.map(virt, 0x200000, 4 * kMiB, kReadExecute, PageSizes::Up1G) ==
            MapError::None);
    check_translation(builder, virt + 3 * kMiB, 0x500000, kReadExecute, k2M);
    check_unmapped(builder, 0x0000'7FFF'8000'0000);  // top of the lower half

    std::vector<Leaf> leaves = leaves_of(builder);
    REQUIRE(leaves.size() == 2);
    CHECK(leaves[0].virt == virt);  // sign-extended again
    CHECK(leaves[1].virt == virt + k2M);

    // The very last page of the address space.
    REQUIRE(builder.map(0xFFFF'FFFF'FFFF'F000, 0x1000, k4K, kReadOnly, PageSizes::Up1G) ==
            MapError::None);
    check_translation(builder, 0xFFFF'FFFF'FFFF'FFFF, 0x1FFF, kReadOnly, k4K);
    REQUIRE(builder.unmap(0xFFFF'FFFF'FFFF'F000, k4K) == MapError::None);
    check_unmapped(builder, 0xFFFF'FFFF'FFFF'F000);
    check_whole_space(builder);
}

TEST_CASE("2 MiB and 1 GiB pages are used when aligned", "[page_table]") {
    FakeMemory memory(64);
    Builder builder(memory);
    REQUIRE(builder.init() == MapError::None);

    SECTION("a 1 GiB page") {
        REQUIRE(builder.map(k1G, 3 * k1G, k1G, kReadWrite, PageSizes::Up1G) == MapError::None);
        CHECK(memory.tables_used() == 2);  // PML4 and PDPT only
        check_translation(builder, k1G + 12345 * k4K, 3 * k1G + 12345 * k4K, kReadWrite, k1G);
        CHECK(leaf_count(builder, k1G) == 1);
    }
    SECTION("2 MiB pages") {
        REQUIRE(builder.map(4 * kGiB, 6 * kMiB, 4 * kMiB, kReadOnly, PageSizes::Up1G) ==
                MapError::None);
        CHECK(leaf_count(builder, k2M) == 2);
        check_translation(builder, 4 * kGiB + k2M, 8 * kMiB, kReadOnly, k2M);
    }
    SECTION("the ceiling: 2 MiB pages for a 1 GiB range") {
        REQUIRE(builder.map(k1G, k1G, k1G, kReadWrite, PageSizes::Up2M) == MapError::None);
        CHECK(leaf_count(builder, k2M) == x86::kEntriesPerTable);
        CHECK(mapped_bytes(builder) == k1G);
    }
    SECTION("the ceiling: 4 KiB pages only") {
        REQUIRE(builder.map(k2M, k2M, k2M, kReadWrite, PageSizes::Only4K) == MapError::None);
        CHECK(leaf_count(builder, k4K) == x86::kEntriesPerTable);
        CHECK(mapped_bytes(builder) == k2M);
    }
    check_whole_space(builder);
}

TEST_CASE("mixed alignment falls back to smaller pages", "[page_table]") {
    FakeMemory memory(64);
    Builder builder(memory);
    REQUIRE(builder.init() == MapError::None);

    SECTION("virt aligned to 2 MiB, phys only to 4 KiB") {
        REQUIRE(builder.map(k1G, 0x1000, k2M, kReadWrite, PageSizes::Up1G) == MapError::None);
        CHECK(leaf_count(builder, k4K) == x86::kEntriesPerTable);
        check_translation(builder, k1G + k2M - k4K, k2M - k4K + 0x1000, kReadWrite, k4K);
    }
    SECTION("phys aligned to 1 GiB, virt only to 2 MiB") {
        REQUIRE(builder.map(k2M, k1G, k1G, kReadWrite, PageSizes::Up1G) == MapError::None);
        CHECK(leaf_count(builder, k2M) == x86::kEntriesPerTable);
    }
    SECTION("each step takes the largest page that fits") {
        // From 2 MiB below a 1 GiB boundary: 2M, 1G, 2M, then 4K for the tail.
        const uint64_t start = k1G - k2M;
        REQUIRE(builder.map(start, start, k2M + k1G + k2M + k4K, kReadOnly, PageSizes::Up1G) ==
                MapError::None);
        std::vector<Leaf> leaves = leaves_of(builder);
        REQUIRE(leaves.size() == 4);
        CHECK(leaves[0].virt == start);
        CHECK(leaves[0].translation.page_size == k2M);
        CHECK(leaves[1].virt == k1G);
        CHECK(leaves[1].translation.page_size == k1G);
        CHECK(leaves[2].virt == 2 * k1G);
        CHECK(leaves[2].translation.page_size == k2M);
        CHECK(leaves[3].virt == 2 * k1G + k2M);
        CHECK(leaves[3].translation.page_size == k4K);
        for (const Leaf& leaf : leaves) CHECK(leaf.translation.phys == leaf.virt);
    }
    check_whole_space(builder);
}

TEST_CASE("invalid requests are refused and change nothing", "[page_table]") {
    FakeMemory memory(16);
    Builder builder(memory);

    CHECK(builder.map(0, 0, k4K, kReadOnly, PageSizes::Only4K) == MapError::NotInitialized);
    CHECK(builder.unmap(0, k4K) == MapError::NotInitialized);
    CHECK_FALSE(builder.translate(0).present);
    REQUIRE(builder.init() == MapError::None);

    CHECK(builder.map(0, 0, k4K, kWriteExecute, PageSizes::Up1G) ==
          MapError::WritableAndExecutable);
    CHECK(builder.map(0x800, 0, k4K, kReadOnly, PageSizes::Up1G) == MapError::Misaligned);
    CHECK(builder.map(0, 0x800, k4K, kReadOnly, PageSizes::Up1G) == MapError::Misaligned);
    CHECK(builder.map(0, 0, 0x800, kReadOnly, PageSizes::Up1G) == MapError::Misaligned);
    CHECK(builder.unmap(0, 0x800) == MapError::Misaligned);
    // Outside, ending outside, or straddling a canonical half.
    CHECK(builder.map(0x0000'8000'0000'0000, 0, k4K, kReadOnly, PageSizes::Up1G) ==
          MapError::NonCanonical);
    CHECK(builder.map(0x0000'7FFF'FFFF'F000, 0, 2 * k4K, kReadOnly, PageSizes::Up1G) ==
          MapError::NonCanonical);
    CHECK(builder.map(0xFFFF'FFFF'FFFF'F000, 0, 2 * k4K, kReadOnly, PageSizes::Up1G) ==
          MapError::NonCanonical);
    CHECK(builder.unmap(0xFFFF'7000'0000'0000, k4K) == MapError::NonCanonical);
    CHECK(builder.map(0, x86::kPhysicalAddressLimit - k4K, 2 * k4K, kReadOnly,
                      PageSizes::Up1G) == MapError::PhysicalOutOfRange);
    CHECK(builder.map(0, 0, 0, kReadOnly, PageSizes::Up1G) == MapError::None);  // empty
    CHECK_FALSE(builder.translate(0x0000'8000'0000'0000).present);

    CHECK(memory.tables_used() == 1);  // only the PML4
    CHECK(leaves_of(builder).empty());
}

TEST_CASE("overlapping mappings are refused", "[page_table]") {
    FakeMemory memory(64);
    Builder builder(memory);
    REQUIRE(builder.init() == MapError::None);
    REQUIRE(builder.map(4 * kMiB, 4 * kMiB, k2M, kReadWrite, PageSizes::Up1G) == MapError::None);
    REQUIRE(builder.map(k1G, k1G, k1G, kReadOnly, PageSizes::Up1G) == MapError::None);
    REQUIRE(builder.map(20 * kMiB + k4K, 0, k4K, kReadOnly, PageSizes::Up1G) == MapError::None);
    const uint64_t before = mapped_bytes(builder);
    const size_t tables_before = memory.tables_used();

    // Inside a large page, the same page again, partly before it.
    CHECK(builder.map(5 * kMiB, 0, k4K, kReadWrite, PageSizes::Up1G) == MapError::AlreadyMapped);
    CHECK(builder.map(4 * kMiB, 4 * kMiB, k2M, kReadWrite, PageSizes::Up1G) ==
          MapError::AlreadyMapped);
    CHECK(builder.map(2 * kMiB, 0, 2 * kMiB + k4K, kReadOnly, PageSizes::Up1G) ==
          MapError::AlreadyMapped);
    CHECK(builder.map(k1G + 5 * kMiB, 0, k4K, kReadOnly, PageSizes::Up1G) ==
          MapError::AlreadyMapped);
    // A 4 KiB page inside what would have been a 2 MiB page.
    CHECK(builder.map(20 * kMiB, 20 * kMiB, k2M, kReadOnly, PageSizes::Up1G) ==
          MapError::AlreadyMapped);
    // Overlap found only at the end, after a page that needs a new table.
    CHECK(builder.map(k1G - k4K, 0, 2 * k4K, kReadOnly, PageSizes::Up1G) ==
          MapError::AlreadyMapped);

    // Nothing of the refused ranges was mapped, no table was wasted on them.
    CHECK(mapped_bytes(builder) == before);
    CHECK(memory.tables_used() == tables_before);
    check_unmapped(builder, 2 * kMiB);
    check_unmapped(builder, 20 * kMiB);
    check_translation(builder, 4 * kMiB, 4 * kMiB, kReadWrite, k2M);
    check_whole_space(builder);
}

TEST_CASE("running out of memory is reported and leaves the mappings unchanged",
          "[page_table]") {
    SECTION("no room for the PML4") {
        FakeMemory memory(0);
        Builder builder(memory);
        CHECK(builder.init() == MapError::OutOfMemory);
        CHECK(builder.root() == 0);
    }
    SECTION("a 4 KiB page needs four tables") {
        FakeMemory memory(3);
        Builder builder(memory);
        REQUIRE(builder.init() == MapError::None);
        CHECK(builder.map(0x1000, 0x1000, k4K, kReadOnly, PageSizes::Up1G) ==
              MapError::OutOfMemory);
        CHECK(leaves_of(builder).empty());
    }
    SECTION("a map that fails half way is rolled back") {
        // The first page fits into tables 2-4, the second page lies in the
        // next 1 GiB region and needs a new PD and PT, of which only one fits.
        FakeMemory memory(5);
        Builder builder(memory);
        REQUIRE(builder.init() == MapError::None);
        CHECK(builder.map(k1G - k4K, 0, 2 * k4K, kReadOnly, PageSizes::Up1G) ==
              MapError::OutOfMemory);
        CHECK(leaves_of(builder).empty());
        // The tables left behind are reused.
        CHECK(builder.map(k1G - k4K, 0, k4K, kReadOnly, PageSizes::Up1G) == MapError::None);
        CHECK(memory.tables_used() == 5);
    }
    SECTION("an unmap that cannot split changes nothing") {
        // Unmapping 4 KiB from a 1 GiB page needs a PD and a PT.
        FakeMemory memory(3);
        Builder builder(memory);
        REQUIRE(builder.init() == MapError::None);
        REQUIRE(builder.map(k1G, 0, k1G, kReadWrite, PageSizes::Up1G) == MapError::None);
        CHECK(builder.unmap(k1G + 3 * kMiB, k4K) == MapError::OutOfMemory);
        CHECK(mapped_bytes(builder) == k1G);
        check_translation(builder, k1G + 3 * kMiB, 3 * kMiB, kReadWrite, k2M);
        check_whole_space(builder);
    }
}

TEST_CASE("unmap splits large pages and keeps the neighbours' permissions", "[page_table]") {
    FakeMemory memory(64);
    Builder builder(memory);
    REQUIRE(builder.init() == MapError::None);

    SECTION("4 KiB out of a 1 GiB page") {
        REQUIRE(builder.map(k1G, 5 * k1G, k1G, kReadExecute, PageSizes::Up1G) ==
                MapError::None);
        const uint64_t hole = k1G + 3 * kMiB;
        REQUIRE(builder.unmap(hole, k4K) == MapError::None);

        check_unmapped(builder, hole);
        check_translation(builder, hole - k4K, 5 * k1G + 3 * kMiB - k4K, kReadExecute, k4K);
        check_translation(builder, hole + k4K, 5 * k1G + 3 * kMiB + k4K, kReadExecute, k4K);
        check_translation(builder, hole + k2M, 5 * k1G + 5 * kMiB, kReadExecute, k2M);
        check_translation(builder, k1G, 5 * k1G, kReadExecute, k2M);
        check_translation(builder, 2 * k1G - k4K, 6 * k1G - k4K, kReadExecute, k2M);
        CHECK(mapped_bytes(builder) == k1G - k4K);
        CHECK(leaf_count(builder, k2M) == x86::kEntriesPerTable - 1);
        CHECK(leaf_count(builder, k4K) == x86::kEntriesPerTable - 1);
    }
    SECTION("a range across two 2 MiB pages") {
        REQUIRE(builder.map(8 * kMiB, 8 * kMiB, 2 * k2M, kReadWrite, PageSizes::Up1G) ==
                MapError::None);
        REQUIRE(builder.unmap(10 * kMiB - 2 * k4K, 4 * k4K) == MapError::None);
        check_translation(builder, 10 * kMiB - 3 * k4K, 10 * kMiB - 3 * k4K, kReadWrite, k4K);
        check_unmapped(builder, 10 * kMiB - 2 * k4K);
        check_unmapped(builder, 10 * kMiB + k4K);
        check_translation(builder, 10 * kMiB + 2 * k4K, 10 * kMiB + 2 * k4K, kReadWrite, k4K);
        check_translation(builder, 8 * kMiB, 8 * kMiB, kReadWrite, k4K);
        CHECK(mapped_bytes(builder) == 2 * k2M - 4 * k4K);
    }
    SECTION("unmapping whole pages needs no split") {
        REQUIRE(builder.map(0, 0, 4 * k2M, kReadOnly, PageSizes::Up2M) == MapError::None);
        const size_t tables = memory.tables_used();
        REQUIRE(builder.unmap(k2M, 2 * k2M) == MapError::None);
        CHECK(memory.tables_used() == tables);
        CHECK(leaf_count(builder, k2M) == 2);
        REQUIRE(builder.unmap(0, 16 * k2M) == MapError::None);  // holes are fine
        CHECK(leaves_of(builder).empty());
    }
    SECTION("split pages keep caching, Global and PAT attributes") {
        REQUIRE(builder.map(k1G, k1G, k1G, kReadWrite, PageSizes::Up1G) == MapError::None);
        uint64_t* pdpt = memory.table_at(
            x86::PageTableEntry{memory.table_at(builder.root())[0]}.address());
        const uint64_t extra = pte::kGlobal | pte::kCacheDisable | pte::kPatLarge;
        pdpt[1] |= extra;

        REQUIRE(builder.unmap(k1G + k2M + k4K, k4K) == MapError::None);
        const uint64_t pd_entry = raw_entry(memory, builder, k1G, x86::PagingLevel::PD);
        CHECK((pd_entry & extra) == extra);  // PAT stays at bit 12 in a 2 MiB page
        CHECK(x86::PageTableEntry{pd_entry}.large());
        const uint64_t pt_entry = raw_entry(memory, builder, k1G + k2M, x86::PagingLevel::PT);
        CHECK((pt_entry & (pte::kGlobal | pte::kCacheDisable | pte::kPat4K)) ==
              (pte::kGlobal | pte::kCacheDisable | pte::kPat4K));
        CHECK((pt_entry & pte::kPatLarge) == 0);  // bit 12 is address there
        // The PAT bit did not leak into the addresses.
        check_translation(builder, k1G + k2M, k1G + k2M, kReadWrite, k4K);
        check_translation(builder, k1G + k2M + 2 * k4K, k1G + k2M + 2 * k4K, kReadWrite, k4K);
        check_translation(builder, k1G + 2 * k2M, k1G + 2 * k2M, kReadWrite, k2M);
    }
    SECTION("a table emptied by unmap is reused by a later map") {
        REQUIRE(builder.map(k2M, k2M, k2M, kReadOnly, PageSizes::Only4K) == MapError::None);
        REQUIRE(builder.unmap(k2M, k2M) == MapError::None);
        const size_t tables = memory.tables_used();
        REQUIRE(builder.map(k2M, 0, k2M, kReadWrite, PageSizes::Up1G) == MapError::None);
        CHECK(memory.tables_used() == tables);
        check_translation(builder, k2M + k4K, k4K, kReadWrite, k4K);
        CHECK(mapped_bytes(builder) == k2M);
    }
    check_whole_space(builder);
}

TEST_CASE("kernel layout: identity map with a W^X image and stack guard pages",
          "[page_table]") {
    FakeMemory memory(64);
    Builder builder(memory);
    REQUIRE(builder.init() == MapError::None);

    // A fake hypervisor image at 1 MiB. The two stacks live in .bss, each
    // with a guard page below it so that an overflow faults.
    const uint64_t image = 1 * kMiB;
    const uint64_t text = image, text_size = 64 * kKiB;
    const uint64_t rodata = text + text_size, rodata_size = 32 * kKiB;
    const uint64_t data = rodata + rodata_size, data_size = 128 * kKiB;
    const uint64_t image_end = data + data_size;
    const uint64_t stack_size = 16 * kKiB;
    const uint64_t guards[] = {data + 32 * kKiB, data + 32 * kKiB + k4K + stack_size};

    // 1. All of the low 4 GiB as data: read/write, never executable.
    REQUIRE(builder.map(0, 0, 4 * kGiB, kReadWrite, PageSizes::Up1G) == MapError::None);
    CHECK(leaf_count(builder, k1G) == 4);
    // 2. Carve the image out and map its sections with their own rights.
    REQUIRE(builder.unmap(image, image_end - image) == MapError::None);
    REQUIRE(builder.map(text, text, text_size, kReadExecute, PageSizes::Only4K) ==
            MapError::None);
    REQUIRE(builder.map(rodata, rodata, rodata_size, kReadOnly, PageSizes::Only4K) ==
            MapError::None);
    REQUIRE(builder.map(data, data, data_size, kReadWrite, PageSizes::Only4K) == MapError::None);
    // 3. Guard pages, and page 0 so that null pointers fault.
    for (uint64_t guard : guards) REQUIRE(builder.unmap(guard, k4K) == MapError::None);
    REQUIRE(builder.unmap(0, k4K) == MapError::None);

    check_whole_space(builder);
    auto inside = [](uint64_t virt, uint64_t base, uint64_t size) {
        return virt >= base && virt < base + size;
    };
    size_t text_pages = 0;
    for (const Leaf& leaf : leaves_of(builder)) {
        const uint64_t virt = leaf.virt;
        const Translation& t = leaf.translation;
        INFO("leaf at " << std::hex << virt);
        REQUIRE(t.phys == virt);  // identity everywhere
        REQUIRE_FALSE((t.writable && t.executable));
        REQUIRE(virt != 0);
        for (uint64_t guard : guards) REQUIRE(virt != guard);
        if (inside(virt, text, text_size)) {
            REQUIRE((!t.writable && t.executable));
            REQUIRE(t.page_size == k4K);
            ++text_pages;
        } else if (inside(virt, rodata, rodata_size)) {
            REQUIRE((!t.writable && !t.executable));
        } else {
            REQUIRE((t.writable && !t.executable));  // data and all other RAM
        }
    }
    CHECK(text_pages == text_size / k4K);
    CHECK(mapped_bytes(builder) == 4 * kGiB - 3 * k4K);
    CHECK(leaf_count(builder, k1G) == 3);

    for (uint64_t guard : guards) {
        check_unmapped(builder, guard);
        check_translation(builder, guard + k4K, guard + k4K, kReadWrite, k4K);  // stack bottom
        check_translation(builder, guard - k4K, guard - k4K, kReadWrite, k4K);
    }
    check_unmapped(builder, 0);
    check_translation(builder, k4K, k4K, kReadWrite, k4K);
    check_translation(builder, text + 0x10, text + 0x10, kReadExecute, k4K);
    check_translation(builder, rodata, rodata, kReadOnly, k4K);
    check_translation(builder, data, data, kReadWrite, k4K);
    check_translation(builder, image_end, image_end, kReadWrite, k4K);
    check_translation(builder, 3 * kMiB, 3 * kMiB, kReadWrite, k2M);
    check_translation(builder, 3 * kGiB + 5, 3 * kGiB + 5, kReadWrite, k1G);
    check_unmapped(builder, 4 * kGiB);
    // 1 GiB -> 2 MiB (1 PD) -> 4 KiB (1 PT), plus PML4, PDPT.
    CHECK(memory.tables_used() == 4);
}
