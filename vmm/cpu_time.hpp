// A partition's CPU time: the TSC ticks it has spent on its CPU (guest code
// and the exits it caused), readable from any CPU while the partition runs
// (the control plane's list), including the turn in progress.
//
// Only the partition's own CPU writes it, once when a turn starts and once
// when it ends; a reader on another CPU retries while a write is under way
// (a sequence count, odd during a write), so it never sees a turn counted
// twice or not at all. Pure code: tests/unit/test_cpu_time.cpp.
#pragma once

#include <stdint.h>

namespace bulkhead {

class CpuTime {
public:
    void start_turn(uint64_t now) { write([&] { turn_start_ = now; }); }

    void end_turn(uint64_t now) {
        write([&] {
            total_ += now - turn_start_;
            turn_start_ = 0;
        });
    }

    // The ticks until `now` (a turn in progress counts up to `now`).
    uint64_t ticks(uint64_t now) const {
        for (;;) {
            const uint32_t before = __atomic_load_n(&sequence_, __ATOMIC_ACQUIRE);
            const uint64_t total = __atomic_load_n(&total_, __ATOMIC_RELAXED);
            const uint64_t start = __atomic_load_n(&turn_start_, __ATOMIC_RELAXED);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if ((before & 1) == 0 && __atomic_load_n(&sequence_, __ATOMIC_RELAXED) == before)
                return total + (start != 0 && now > start ? now - start : 0);
        }
    }

    void reset() { write([&] { total_ = turn_start_ = 0; }); }

private:
    template <class Update>
    void write(Update update) {
        __atomic_store_n(&sequence_, sequence_ + 1, __ATOMIC_RELAXED);   // odd: being written
        __atomic_thread_fence(__ATOMIC_RELEASE);
        update();
        __atomic_store_n(&sequence_, sequence_ + 1, __ATOMIC_RELEASE);   // even: settled
    }

    uint32_t sequence_ = 0;
    uint64_t total_ = 0;
    uint64_t turn_start_ = 0;   // TSC when the turn in progress began; 0 = not running
};

}  // namespace bulkhead
