// The life of a partition, as a small state machine that both the scheduler
// and the control plane (control hypercalls, later the monitor) follow.
//
//   NotStarted --start--> Ready <--resume-- Paused
//                         |  ^ \--pause-------^
//             (HLT)       v  | (an interrupt: its timer, input)
//                        Waiting --pause--> Paused
//        (the guest halts for good, exits, or is stopped by a fault or a request)
//                           v
//                 Halted / Exited / Stopped --restart--> Ready
//
// Any live partition (Ready, Waiting, Paused, Halted) may be stopped; any
// started partition may be restarted from its pristine image. Pure code: the host
// unit tests check every transition (tests/unit/test_partition_lifecycle.cpp).
#pragma once

#include <stdint.h>

namespace bulkhead {

enum class PartitionState : uint8_t {
    NotStarted,  // configured with start=manual and not started yet
    Ready,       // can run
    Paused,      // kept as it is, not scheduled, until resumed
    Halted,      // executed HLT with interrupts (or its local APIC) off: nothing can wake it
    Waiting,     // executed HLT and waits for an interrupt (its APIC timer, console input)
    Exited,      // reported a status (hypercall exit or the test-exit port)
    Stopped,     // stopped by the hypervisor: a fault, an isolation breach, a request
};
const char* to_string(PartitionState state);

// What a control partition (or the monitor) may ask for.
enum class ControlOp : uint8_t { Pause, Resume, Stop, Restart, Start };
const char* to_string(ControlOp op);

// Whether `op` makes sense for a partition in `state` (the partition's CPU
// checks again when it carries the request out: the state may have changed).
bool control_allowed(PartitionState state, ControlOp op);

// The state a partition has after `op` was carried out.
PartitionState state_after(ControlOp op);

// A partition in this state has work for its CPU.
inline bool wants_cpu(PartitionState state) { return state == PartitionState::Ready; }

// Running, or waiting to run again when an interrupt comes.
inline bool is_active(PartitionState state) { return state == PartitionState::Ready || state == PartitionState::Waiting; }

// What keeps a run from being over, and what the run limit stops: an active
// partition, or a paused one (the monitor or the control partition may
// resume it).
inline bool keeps_run_alive(PartitionState state) { return is_active(state) || state == PartitionState::Paused; }

}  // namespace bulkhead
