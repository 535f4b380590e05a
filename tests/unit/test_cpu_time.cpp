// A partition's CPU time, as the control plane reads it from another CPU.
#include <catch2/catch.hpp>

#include "vmm/cpu_time.hpp"

using namespace bulkhead;

TEST_CASE("CPU time adds up finished turns and counts the one in progress up to now") {
    CpuTime t;
    CHECK(t.ticks(1000) == 0);
    t.start_turn(1000);
    CHECK(t.ticks(1500) == 500);   // running: live
    t.end_turn(1600);
    CHECK(t.ticks(5000) == 600);   // off the CPU: frozen
    t.start_turn(6000);
    t.end_turn(6100);
    CHECK(t.ticks(9999) == 700);
    t.start_turn(10000);
    CHECK(t.ticks(10050) == 750);
    CHECK(t.ticks(9000) == 700);   // a reader's clock behind the start adds nothing
    t.reset();
    CHECK(t.ticks(20000) == 0);
}
