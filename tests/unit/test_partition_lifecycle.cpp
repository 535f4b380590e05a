// The partition state machine: which control operation each state allows,
// and where it leads.
#include <catch2/catch.hpp>

#include <string>

#include "vmm/partition_lifecycle.hpp"

using namespace bulkhead;

namespace {
constexpr PartitionState kAll[] = {PartitionState::NotStarted, PartitionState::Ready,  PartitionState::Paused,
                                   PartitionState::Halted,     PartitionState::Exited, PartitionState::Stopped,
                                   PartitionState::Waiting};
bool active(PartitionState s) { return s == PartitionState::Ready || s == PartitionState::Waiting; }
}

TEST_CASE("pause only a ready or waiting partition; resume only a paused one") {
    for (PartitionState s : kAll) {
        CHECK(control_allowed(s, ControlOp::Pause) == active(s));
        CHECK(control_allowed(s, ControlOp::Resume) == (s == PartitionState::Paused));
    }
    CHECK(state_after(ControlOp::Pause) == PartitionState::Paused);
    CHECK(state_after(ControlOp::Resume) == PartitionState::Ready);
}

TEST_CASE("stop applies to live partitions only") {
    CHECK(control_allowed(PartitionState::Ready, ControlOp::Stop));
    CHECK(control_allowed(PartitionState::Paused, ControlOp::Stop));
    CHECK(control_allowed(PartitionState::Halted, ControlOp::Stop));
    CHECK(control_allowed(PartitionState::Waiting, ControlOp::Stop));
    CHECK_FALSE(control_allowed(PartitionState::NotStarted, ControlOp::Stop));
    CHECK_FALSE(control_allowed(PartitionState::Exited, ControlOp::Stop));
    CHECK_FALSE(control_allowed(PartitionState::Stopped, ControlOp::Stop));
    CHECK(state_after(ControlOp::Stop) == PartitionState::Stopped);
}

TEST_CASE("restart needs a partition that was started; start one that was not") {
    for (PartitionState s : kAll) {
        CHECK(control_allowed(s, ControlOp::Restart) == (s != PartitionState::NotStarted));
        CHECK(control_allowed(s, ControlOp::Start) == (s == PartitionState::NotStarted));
    }
    CHECK(state_after(ControlOp::Restart) == PartitionState::Ready);
    CHECK(state_after(ControlOp::Start) == PartitionState::Ready);
}

TEST_CASE("only a ready partition wants its CPU; a waiting one is still active") {
    for (PartitionState s : kAll) {
        CHECK(wants_cpu(s) == (s == PartitionState::Ready));
        CHECK(is_active(s) == active(s));
    }
}

TEST_CASE("states and operations have names for the log") {
    CHECK(std::string(to_string(PartitionState::NotStarted)) == "not-started");
    CHECK(std::string(to_string(PartitionState::Paused)) == "paused");
    CHECK(std::string(to_string(PartitionState::Waiting)) == "waiting");
    CHECK(std::string(to_string(ControlOp::Restart)) == "restart");
}
