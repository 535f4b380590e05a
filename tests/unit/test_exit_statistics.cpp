// Exit counts by I/O port and MSR: each key its own counts, the busiest
// first, and overflow into "others" instead of losing counts.
#include <catch2/catch.hpp>

#include "vmm/exit_statistics.hpp"

using namespace bulkhead;

TEST_CASE("reads and writes are counted per key") {
    KeyedCounters c;
    for (int i = 0; i < 5; ++i) c.count(0x3f8, true);
    for (int i = 0; i < 3; ++i) c.count(0x3fd, false);
    c.count(0x3f8, false);
    KeyedCount top[4];
    REQUIRE(c.busiest(top, 4) == 2);
    CHECK(top[0].key == 0x3f8);
    CHECK(top[0].writes == 5);
    CHECK(top[0].reads == 1);
    CHECK(top[1].key == 0x3fd);
    CHECK(top[1].reads == 3);
    CHECK(c.others().total() == 0);
}

TEST_CASE("busiest returns the largest totals in order, at most n") {
    KeyedCounters c;
    for (uint32_t key = 1; key <= 20; ++key)
        for (uint32_t i = 0; i < key; ++i) c.count(key, (i & 1) != 0);
    KeyedCount top[3];
    REQUIRE(c.busiest(top, 3) == 3);
    CHECK(top[0].key == 20);
    CHECK(top[1].key == 19);
    CHECK(top[2].key == 18);
    CHECK(top[0].total() == 20);
}

TEST_CASE("keys beyond the table's room share the others' counts; nothing is lost") {
    KeyedCounters c;
    const uint32_t keys = KeyedCounters::kSlots + 10;
    for (uint32_t key = 0; key < keys; ++key) c.count(0xc0000000 + key, false);
    KeyedCount all[KeyedCounters::kSlots];
    const size_t listed = c.busiest(all, KeyedCounters::kSlots);
    CHECK(listed == KeyedCounters::kSlots - 1);
    uint64_t total = c.others().total();
    for (size_t i = 0; i < listed; ++i) total += all[i].total();
    CHECK(total == keys);
    // A key that got a slot keeps counting in it.
    c.count(0xc0000000, true);
    bool found = false;
    for (size_t i = 0; i < c.busiest(all, KeyedCounters::kSlots); ++i)
        if (all[i].key == 0xc0000000) found = all[i].writes == 1;
    CHECK(found);
}

TEST_CASE("count returns the counts it added to, so a handler's time can be charged there") {
    KeyedCounters c;
    KeyedCount& uart = c.count(0x3f8, true);
    uart.ticks += 250;
    c.count(0x3f8, false).ticks += 50;
    KeyedCount top[1];
    REQUIRE(c.busiest(top, 1) == 1);
    CHECK(top[0].key == 0x3f8);
    CHECK(top[0].ticks == 300);
    // Once the table is full, further keys share the others' counts and ticks.
    for (uint32_t key = 0; key < KeyedCounters::kSlots; ++key) c.count(0x1000 + key, false);
    KeyedCount& rest = c.count(0x9999, false);
    CHECK(&rest == &c.others());
    rest.ticks += 7;
    CHECK(c.others().ticks == 7);
}
