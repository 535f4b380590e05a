// Console input on its way to a partition: the focus-switch key sequence and
// the queue that carries keystrokes from the console's CPU to the
// partition's.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "vmm/focus_switch.hpp"
#include "vmm/input_queue.hpp"

using namespace bulkhead;

namespace {

struct Typed {
    std::string passed_on;
    int switches = 0;
};

Typed type(FocusSwitchDetector& d, const std::string& keys) {
    Typed t;
    for (char c : keys) {
        const FocusSwitchDetector::Result r = d.feed(static_cast<uint8_t>(c));
        t.passed_on.append(reinterpret_cast<const char*>(r.bytes), r.count);
        t.switches += r.switch_focus ? 1 : 0;
    }
    return t;
}

}  // namespace

TEST_CASE("ordinary keys pass straight through") {
    FocusSwitchDetector d;
    const Typed t = type(d, "ls -l\r");
    CHECK(t.passed_on == "ls -l\r");
    CHECK(t.switches == 0);
}

TEST_CASE("Ctrl-A three times switches the focus and is not passed on") {
    FocusSwitchDetector d;
    const Typed t = type(d, "a\x01\x01\x01" "b");
    CHECK(t.passed_on == "ab");
    CHECK(t.switches == 1);
}

TEST_CASE("one or two Ctrl-As followed by another key reach the guest, in order") {
    FocusSwitchDetector d;
    CHECK(type(d, "\x01x").passed_on == "\x01x");
    CHECK(type(d, "\x01\x01y").passed_on == "\x01\x01y");
    // Nothing is held back after that: the count starts again.
    const Typed t = type(d, "\x01\x01\x01");
    CHECK(t.switches == 1);
    CHECK(t.passed_on.empty());
}

TEST_CASE("six Ctrl-As in a row switch twice") {
    FocusSwitchDetector d;
    CHECK(type(d, std::string(6, '\x01')).switches == 2);
}

TEST_CASE("the input queue keeps order and drops, counting, when full") {
    InputQueue q;
    for (size_t i = 0; i < InputQueue::kCapacity; ++i) REQUIRE(q.push(static_cast<uint8_t>(i)));
    CHECK_FALSE(q.push(0xaa));
    CHECK(q.dropped() == 1);
    uint8_t b = 0;
    for (size_t i = 0; i < InputQueue::kCapacity; ++i) {
        REQUIRE(q.pop(b));
        CHECK(b == static_cast<uint8_t>(i));
    }
    CHECK_FALSE(q.pop(b));
    CHECK(q.empty());
}

TEST_CASE("the input queue wraps around and discard drops what is queued") {
    InputQueue q;
    uint8_t b = 0;
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 200; ++i) REQUIRE(q.push(static_cast<uint8_t>(i)));
        for (int i = 0; i < 200; ++i) {
            REQUIRE(q.pop(b));
            CHECK(b == static_cast<uint8_t>(i));
        }
    }
    q.push(1);
    q.push(2);
    q.discard();
    CHECK(q.empty());
    CHECK_FALSE(q.pop(b));
    REQUIRE(q.push(3));
    REQUIRE(q.pop(b));
    CHECK(b == 3);
}
