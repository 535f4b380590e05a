#include "vmm/partition_lifecycle.hpp"

namespace bulkhead {

const char* to_string(PartitionState state) {
    switch (state) {
        case PartitionState::NotStarted: return "not-started";
        case PartitionState::Ready: return "ready";
        case PartitionState::Paused: return "paused";
        case PartitionState::Halted: return "halted";
        case PartitionState::Waiting: return "waiting";
        case PartitionState::Exited: return "exited";
        case PartitionState::Stopped: return "stopped";
    }
    return "?";
}

const char* to_string(ControlOp op) {
    switch (op) {
        case ControlOp::Pause: return "pause";
        case ControlOp::Resume: return "resume";
        case ControlOp::Stop: return "stop";
        case ControlOp::Restart: return "restart";
        case ControlOp::Start: return "start";
    }
    return "?";
}

bool control_allowed(PartitionState state, ControlOp op) {
    const bool live = is_active(state) || state == PartitionState::Paused || state == PartitionState::Halted;
    switch (op) {
        // A waiting partition resumes as Ready: its HLT ends early, as a
        // spurious wake-up would end it; guests idle in a loop around HLT.
        case ControlOp::Pause: return is_active(state);
        case ControlOp::Resume: return state == PartitionState::Paused;
        case ControlOp::Stop: return live;
        case ControlOp::Restart: return state != PartitionState::NotStarted;
        case ControlOp::Start: return state == PartitionState::NotStarted;
    }
    return false;
}

PartitionState state_after(ControlOp op) {
    switch (op) {
        case ControlOp::Pause: return PartitionState::Paused;
        case ControlOp::Stop: return PartitionState::Stopped;
        case ControlOp::Resume:
        case ControlOp::Restart:
        case ControlOp::Start: return PartitionState::Ready;
    }
    return PartitionState::Stopped;
}

}  // namespace bulkhead
