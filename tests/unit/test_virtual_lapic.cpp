// The virtual local APIC: priorities and EOI, the LVT rules, self-IPIs, and
// the timer's three modes measured in TSC ticks.
#include <catch2/catch.hpp>

#include "vmm/virtual_lapic.hpp"

using namespace bulkhead;
namespace apic = bulkhead::x86::apic;

namespace {

VirtualLapic enabled_apic() {
    VirtualLapic a;
    a.reset(0);
    a.write(apic::kSpuriousVector, apic::kSoftwareEnable | 0xff, 0);
    return a;
}

uint8_t next(VirtualLapic& a) {
    uint8_t v = 0;
    REQUIRE(a.interrupt_ready(v));
    a.acknowledge(v);
    return v;
}

}  // namespace

TEST_CASE("after reset: software-disabled, every LVT masked, version and ID") {
    VirtualLapic a;
    a.reset(3);
    CHECK(a.read(apic::kIdRegister, 0) == 3u << 24);
    CHECK(a.read(apic::kVersionRegister, 0) == 0x00060014);
    CHECK_FALSE(a.software_enabled());
    CHECK(a.read(apic::kSpuriousVector, 0) == 0xff);
    CHECK(a.read(apic::kLvtTimer, 0) & apic::kLvtMasked);
    CHECK(a.read(apic::kDestinationFormat, 0) == 0xffffffff);
    // Disabled: LVT writes stay masked, and nothing is delivered.
    a.write(apic::kLvtTimer, 0xec, 0);
    CHECK(a.read(apic::kLvtTimer, 0) == (0xec | apic::kLvtMasked));
    a.raise(0x40);
    uint8_t v = 0;
    CHECK_FALSE(a.interrupt_ready(v));
}

TEST_CASE("the highest vector goes first; EOI retires the one in service") {
    auto a = enabled_apic();
    a.raise(0x31);
    a.raise(0x82);
    CHECK(next(a) == 0x82);
    // 0x31 is in a lower class than 0x82 in service: it waits.
    uint8_t v = 0;
    CHECK_FALSE(a.interrupt_ready(v));
    CHECK(a.read(apic::kProcessorPriority, 0) == 0x80);
    CHECK(a.read(apic::kInService + 0x40, 0) == 1u << 2);   // vector 0x82: register 4, bit 2
    a.write(apic::kEndOfInterrupt, 0, 0);
    CHECK(next(a) == 0x31);
    a.write(apic::kEndOfInterrupt, 0, 0);
    CHECK(a.read(apic::kProcessorPriority, 0) == 0);
}

TEST_CASE("the task priority holds back lower classes") {
    auto a = enabled_apic();
    a.write(apic::kTaskPriority, 0x50, 0);
    a.raise(0x45);
    uint8_t v = 0;
    CHECK_FALSE(a.interrupt_ready(v));
    CHECK(a.read(apic::kInterruptRequest + 0x20, 0) == 1u << 5);   // still requested
    a.raise(0x61);
    CHECK(next(a) == 0x61);
    a.write(apic::kEndOfInterrupt, 0, 0);
    a.write(apic::kTaskPriority, 0, 0);
    CHECK(next(a) == 0x45);
}

TEST_CASE("vectors below 16 are illegal and reported in ESR after a write") {
    auto a = enabled_apic();
    a.raise(7);
    uint8_t v = 0;
    CHECK_FALSE(a.interrupt_ready(v));
    CHECK(a.read(apic::kErrorStatus, 0) == 0);
    a.write(apic::kErrorStatus, 0, 0);
    CHECK(a.read(apic::kErrorStatus, 0) == apic::kErrorReceiveIllegalVector);
}

TEST_CASE("self-IPIs through the ICR, by shorthand and by own ID") {
    auto a = enabled_apic();
    a.write(apic::kInterruptCommandLow, apic::kIcrShorthandSelf | 0xf2, 0);
    CHECK(next(a) == 0xf2);
    a.write(apic::kEndOfInterrupt, 0, 0);
    a.write(apic::kInterruptCommandHigh, 0, 0);
    a.write(apic::kInterruptCommandLow, 0xf3, 0);   // physical destination 0 = this APIC
    CHECK(next(a) == 0xf3);
    a.write(apic::kEndOfInterrupt, 0, 0);
    a.write(apic::kInterruptCommandHigh, 5u << 24, 0);
    a.write(apic::kInterruptCommandLow, 0xf4, 0);   // to APIC 5: nobody
    uint8_t v = 0;
    CHECK_FALSE(a.interrupt_ready(v));
    CHECK((a.read(apic::kInterruptCommandLow, 0) & apic::kDeliveryPending) == 0);
}

TEST_CASE("one-shot timer: counts down in TSC ticks / divisor, fires once") {
    auto a = enabled_apic();
    a.write(apic::kLvtTimer, 0xec, 0);   // one-shot, vector 0xec
    a.write(apic::kTimerDivide, 0x3, 0);   // divide by 16
    a.write(apic::kTimerInitialCount, 1000, 100);
    CHECK(a.timer_due() == 100 + 16000);
    CHECK(a.read(apic::kTimerCurrentCount, 100 + 1600) == 900);
    a.update_timer(100 + 15999);
    uint8_t v = 0;
    CHECK_FALSE(a.interrupt_ready(v));
    a.update_timer(100 + 16000);
    CHECK(next(a) == 0xec);
    CHECK(a.timer_due() == 0);
    CHECK(a.read(apic::kTimerCurrentCount, 200000) == 0);
}

TEST_CASE("divide register codes") {
    auto a = enabled_apic();
    a.write(apic::kLvtTimer, 0xec, 0);
    const struct { uint32_t code; uint64_t divisor; } cases[] = {
        {0x0, 2}, {0x1, 4}, {0x2, 8}, {0x3, 16}, {0x8, 32}, {0x9, 64}, {0xa, 128}, {0xb, 1}};
    for (auto c : cases) {
        a.write(apic::kTimerDivide, c.code, 0);
        a.write(apic::kTimerInitialCount, 10, 0);
        CHECK(a.timer_due() == 10 * c.divisor);
    }
}

TEST_CASE("periodic timer re-arms from where the period ended") {
    auto a = enabled_apic();
    a.write(apic::kLvtTimer, apic::kLvtTimerPeriodic | 0xec, 0);
    a.write(apic::kTimerDivide, 0xb, 0);   // divide by 1
    a.write(apic::kTimerInitialCount, 100, 0);
    a.update_timer(100);
    CHECK(next(a) == 0xec);
    a.write(apic::kEndOfInterrupt, 0, 0);
    CHECK(a.timer_due() == 200);
    a.update_timer(450);   // two periods missed: one interrupt, next due at 500
    CHECK(next(a) == 0xec);
    CHECK(a.timer_due() == 500);
}

TEST_CASE("TSC-deadline mode: the MSR arms, 0 disarms, a mode change disarms") {
    auto a = enabled_apic();
    a.write_tsc_deadline(5000);   // not in deadline mode: ignored
    CHECK(a.tsc_deadline() == 0);
    a.write(apic::kLvtTimer, apic::kLvtTimerTscDeadline | 0xec, 0);
    a.write(apic::kTimerInitialCount, 100, 0);   // ignored in this mode
    CHECK(a.read(apic::kTimerInitialCount, 0) == 0);
    a.write_tsc_deadline(5000);
    CHECK(a.timer_due() == 5000);
    a.update_timer(4999);
    uint8_t v = 0;
    CHECK_FALSE(a.interrupt_ready(v));
    a.update_timer(6000);
    CHECK(next(a) == 0xec);
    CHECK(a.tsc_deadline() == 0);
    a.write_tsc_deadline(9000);
    a.write(apic::kLvtTimer, 0xec, 0);   // back to one-shot
    CHECK(a.timer_due() == 0);
}

TEST_CASE("a masked timer counts but delivers nothing") {
    auto a = enabled_apic();
    a.write(apic::kLvtTimer, apic::kLvtMasked | 0xec, 0);
    a.write(apic::kTimerDivide, 0xb, 0);
    a.write(apic::kTimerInitialCount, 10, 0);
    a.update_timer(10);
    uint8_t v = 0;
    CHECK_FALSE(a.interrupt_ready(v));
}

TEST_CASE("software-disabling masks every LVT entry") {
    auto a = enabled_apic();
    a.write(apic::kLvtLint0, 0x700, 0);
    CHECK((a.read(apic::kLvtLint0, 0) & apic::kLvtMasked) == 0);
    a.write(apic::kSpuriousVector, 0xff, 0);
    CHECK(a.read(apic::kLvtLint0, 0) & apic::kLvtMasked);
}

TEST_CASE("the timer's input clock may be slower than the TSC") {
    VirtualLapic a;
    a.reset(0, 2);   // a crystal at half the TSC rate
    a.write(apic::kSpuriousVector, apic::kSoftwareEnable | 0xff, 0);
    a.write(apic::kLvtTimer, 0xec, 0);
    a.write(apic::kTimerDivide, 0xb, 0);   // divide by 1
    a.write(apic::kTimerInitialCount, 100, 0);
    CHECK(a.timer_due() == 200);
    CHECK(a.read(apic::kTimerCurrentCount, 50) == 75);
}

TEST_CASE("an EOI of a level-triggered vector says so, for the I/O APIC's remote IRR") {
    VirtualLapic a = enabled_apic();
    a.raise(0x41, true);
    CHECK(a.read(apic::kTriggerMode + 0x20, 0) == (1u << 1));   // TMR bit 0x41
    CHECK(next(a) == 0x41);
    const VirtualLapic::WriteEffect level = a.write(apic::kEndOfInterrupt, 0, 0);
    CHECK(level.level_eoi);
    CHECK(level.eoi_vector == 0x41);
    CHECK(a.read(apic::kTriggerMode + 0x20, 0) == 0);
    // An edge-triggered one does not.
    a.raise(0x42);
    CHECK(next(a) == 0x42);
    CHECK_FALSE(a.write(apic::kEndOfInterrupt, 0, 0).level_eoi);
    // Nothing in service: nothing to report.
    CHECK_FALSE(a.write(apic::kEndOfInterrupt, 0, 0).level_eoi);
}

TEST_CASE("writes that change the timer say so; others do not") {
    VirtualLapic a = enabled_apic();
    CHECK(a.write(apic::kLvtTimer, 0xec, 0).timer_changed);
    CHECK(a.write(apic::kTimerDivide, 0x3, 0).timer_changed);
    CHECK(a.write(apic::kTimerInitialCount, 1000, 0).timer_changed);
    CHECK_FALSE(a.write(apic::kTaskPriority, 0x10, 0).timer_changed);
    CHECK_FALSE(a.write(apic::kLvtLint0, apic::kLvtMasked, 0).timer_changed);
    CHECK_FALSE(a.write(apic::kEndOfInterrupt, 0, 0).timer_changed);
}
