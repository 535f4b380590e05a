// The virtual I/O APIC: register window, edge and level delivery, masking,
// remote IRR and EOI.
#include <catch2/catch.hpp>

#include "vmm/virtual_ioapic.hpp"

using namespace bulkhead;
namespace io = bulkhead::x86::ioapic;

namespace {

void program(VirtualIoApic& a, unsigned pin, uint32_t low) {
    uint8_t v = 0;
    a.write(io::kRegisterSelect, io::kRedirectionTable + 2 * pin, v);
    a.write(io::kWindow, low, v);
}

uint32_t entry(VirtualIoApic& a, unsigned pin) {
    uint8_t v = 0;
    a.write(io::kRegisterSelect, io::kRedirectionTable + 2 * pin, v);
    return a.read(io::kWindow);
}

}  // namespace

TEST_CASE("ID, version and masked pins after reset") {
    VirtualIoApic a;
    a.reset(1);
    uint8_t v = 0;
    a.write(io::kRegisterSelect, io::kIdRegister, v);
    CHECK(a.read(io::kWindow) == 1u << 24);
    a.write(io::kRegisterSelect, io::kVersionRegister, v);
    CHECK(a.read(io::kWindow) == 0x00170020);
    CHECK(entry(a, 4) & io::kMasked);
    CHECK_FALSE(a.set_line(4, true, v));   // masked: nothing
}

TEST_CASE("an edge-triggered pin sends its vector on each rising edge") {
    VirtualIoApic a;
    a.reset(1);
    program(a, 4, 0x24);
    uint8_t v = 0;
    REQUIRE(a.set_line(4, true, v));
    CHECK(v == 0x24);
    CHECK_FALSE(a.set_line(4, true, v));   // still high: no new edge
    CHECK_FALSE(a.set_line(4, false, v));
    CHECK(a.set_line(4, true, v));
}

TEST_CASE("a level-triggered pin waits for the EOI, then sends again if still asserted") {
    VirtualIoApic a;
    a.reset(1);
    program(a, 9, io::kTriggerLevel | 0x39);
    uint8_t v = 0;
    REQUIRE(a.set_line(9, true, v));
    CHECK(v == 0x39);
    CHECK(entry(a, 9) & io::kRemoteIrr);
    CHECK_FALSE(a.set_line(9, true, v));
    uint8_t again = 0;
    CHECK(a.end_of_interrupt(0x39, again));
    CHECK(again == 0x39);
    a.set_line(9, false, v);
    CHECK_FALSE(a.end_of_interrupt(0x39, again));
    CHECK((entry(a, 9) & io::kRemoteIrr) == 0);
}

TEST_CASE("unmasking a level pin with its line up delivers at once; writes keep remote IRR") {
    VirtualIoApic a;
    a.reset(1);
    program(a, 9, io::kTriggerLevel | io::kMasked | 0x39);
    uint8_t v = 0;
    CHECK_FALSE(a.set_line(9, true, v));
    uint8_t sent = 0;
    a.write(io::kRegisterSelect, io::kRedirectionTable + 18, v);
    CHECK(a.write(io::kWindow, io::kTriggerLevel | 0x39, sent));
    CHECK(sent == 0x39);
    a.write(io::kWindow, io::kTriggerLevel | io::kRemoteIrr | 0x39, sent);   // the guest cannot clear or set it
    CHECK(entry(a, 9) & io::kRemoteIrr);
    CHECK(a.write(io::kEoi, 0x39, sent));   // EOI register, line still up: resent
}

TEST_CASE("out-of-range pins and registers are harmless") {
    VirtualIoApic a;
    a.reset(1);
    uint8_t v = 0;
    CHECK_FALSE(a.set_line(24, true, v));
    a.write(io::kRegisterSelect, io::kRedirectionTable + 2 * 24, v);
    CHECK_FALSE(a.write(io::kWindow, 0x30, v));
    CHECK(a.read(io::kWindow) == 0);
    CHECK(a.read(0x20) == 0);
    program(a, 2, 0x30);
    a.write(io::kRegisterSelect, io::kRedirectionTable + 5, v);
    a.write(io::kWindow, 0xffffffff, v);
    CHECK(a.read(io::kWindow) == 0xff000000);
}

TEST_CASE("a pin's trigger mode is what the guest programmed") {
    VirtualIoApic a;
    a.reset(1);
    program(a, 4, 0x34);
    program(a, 9, 0x39 | io::kTriggerLevel);
    CHECK_FALSE(a.level_triggered(4));
    CHECK(a.level_triggered(9));
    CHECK_FALSE(a.level_triggered(io::kPinCount));   // no such pin
}
