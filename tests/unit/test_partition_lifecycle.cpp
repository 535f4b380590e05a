// The partition state machine: which control operation each state allows,
// and where it leads.
#include <catch2/catch.hpp>

#include <string>

#include "vmm/partition_lifecycle.hpp"

using namespace bulkhead;

namespace {
constexpr PartitionState kAll[] = {PartitionState::NotStarted, PartitionState::Ready,  PartitionState::Paused,
                                   PartitionState::Halted,     PartitionState::Exited, PartitionState::Stopped};
}

TEST_CASE("pause only a ready partition; resume only a paused one") {
    for (PartitionState s : kAll) {
        CHECK(control_allowed(s, ControlOp::Pause) == (s == PartitionState::Ready));
        CHECK(control_allowed(s, ControlOp::Resume) == (s == PartitionState::Paused));
    }
    CHECK(state_after(ControlOp::Pause) == PartitionState::Paused);
    CHECK(state_after(ControlOp::Resume) == PartitionState::Ready);
}

TEST_CASE("stop applies to live partitions only") {
    CHECK(control_allowed(PartitionState::Ready, ControlOp::Stop));
    CHECK(control_allowed(PartitionState::Paused, ControlOp::Stop));
    CHECK(control_allowed(PartitionState::Halted, ControlOp::Stop));
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

TEST_CASE("only a ready partition wants its CPU") {
    for (PartitionState s : kAll) CHECK(wants_cpu(s) == (s == PartitionState::Ready));
}

TEST_CASE("states and operations have names for the log") {
    CHECK(std::string(to_string(PartitionState::NotStarted)) == "not-started");
    CHECK(std::string(to_string(PartitionState::Paused)) == "paused");
    CHECK(std::string(to_string(ControlOp::Restart)) == "restart");
}
