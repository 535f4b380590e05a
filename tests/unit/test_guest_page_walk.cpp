// Walking a guest's page tables: 4 KiB, 2 MiB and 1 GiB pages, paging off,
// and every way a walk can fail without reading outside the partition.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "vmm/guest_page_walk.hpp"

using namespace bulkhead;

namespace {

constexpr uint64_t kP = 1, kW = 2, kPs = 0x80;

struct Guest {
    std::vector<uint8_t> bytes = std::vector<uint8_t>(8 * 1024 * 1024, 0);
    GuestMemory memory{bytes.data(), bytes.size()};
    GuestPagingState paging{true, true, 0x1000};

    void set(uint64_t gpa, uint64_t value) { std::memcpy(bytes.data() + gpa, &value, sizeof value); }
    WalkResult walk(uint64_t linear) { return translate_linear(memory, paging, linear); }
};

}  // namespace

TEST_CASE("a 4 KiB page through all four levels") {
    Guest g;
    const uint64_t va = 0xffffffffff5fc0b0;   // Linux's APIC fixmap address
    g.set(0x1000 + 511 * 8, 0x2000 | kP | kW);
    g.set(0x2000 + 511 * 8, 0x3000 | kP);
    g.set(0x3000 + 506 * 8, 0x4000 | kP);
    g.set(0x4000 + 508 * 8, 0x7000 | kP | (1ull << 63));   // NX set: still translates
    const auto r = g.walk(va);
    REQUIRE(r.error == WalkError::None);
    CHECK(r.guest_physical == 0x70b0);
    CHECK(r.bytes_left_in_page == 0x1000 - 0xb0);
}

TEST_CASE("2 MiB and 1 GiB pages end the walk early") {
    Guest g;
    g.set(0x1000, 0x2000 | kP);
    g.set(0x2000, 0x3000 | kP);
    g.set(0x3000 + 1 * 8, 0x400000 | kP | kPs | 0x1000);   // PAT bit 12 set in a large page
    auto r = g.walk(0x212345);
    REQUIRE(r.error == WalkError::None);
    CHECK(r.guest_physical == 0x412345);
    CHECK(r.bytes_left_in_page == 0x200000 - 0x12345);
    g.set(0x2000 + 1 * 8, 0x0 | kP | kPs);   // 1 GiB page at 0 for [1 GiB, 2 GiB)
    r = g.walk(0x40001234);
    REQUIRE(r.error == WalkError::None);
    CHECK(r.guest_physical == 0x1234);
}

TEST_CASE("with paging off the linear address is the physical one") {
    Guest g;
    g.paging.paging = false;
    const auto r = g.walk(0x7c10);
    CHECK(r.error == WalkError::None);
    CHECK(r.guest_physical == 0x7c10);
    CHECK(r.bytes_left_in_page == 0x3f0);
}

TEST_CASE("walk failures") {
    Guest g;
    CHECK(g.walk(0x1000).error == WalkError::NotPresent);
    CHECK(g.walk(0x0000800000000000).error == WalkError::NotCanonical);
    g.set(0x1000, 0x7fff000 | kP);   // PDPT beyond the 8 MiB of memory
    CHECK(g.walk(0x1000).error == WalkError::TableOutsideMemory);
    g.paging.cr3 = ~0ull & ~0xfffull;
    CHECK(g.walk(0x1000).error == WalkError::TableOutsideMemory);
    g.paging.long_mode = false;
    CHECK(g.walk(0x1000).error == WalkError::UnsupportedMode);
}

TEST_CASE("read_linear follows a read across two differently mapped pages") {
    Guest g;
    g.set(0x1000, 0x2000 | kP);
    g.set(0x2000, 0x3000 | kP);
    g.set(0x3000, 0x4000 | kP);
    g.set(0x4000 + 0 * 8, 0x9000 | kP);   // page 0 -> 0x9000
    g.set(0x4000 + 1 * 8, 0x5000 | kP);   // page 1 -> 0x5000
    g.bytes[0x9ffe] = 0x89;
    g.bytes[0x9fff] = 0x04;
    g.bytes[0x5000] = 0x25;
    uint8_t out[3] = {};
    REQUIRE(read_linear(g.memory, g.paging, 0xffe, out, 3) == WalkError::None);
    CHECK(out[0] == 0x89);
    CHECK(out[1] == 0x04);
    CHECK(out[2] == 0x25);
    CHECK(read_linear(g.memory, g.paging, 0x1ffe, out, 3) == WalkError::NotPresent);
    g.set(0x4000 + 2 * 8, 0x7fff000 | kP);   // a page outside memory
    CHECK(read_linear(g.memory, g.paging, 0x2000, out, 1) == WalkError::PageOutsideMemory);
}
