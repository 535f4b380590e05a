// Keystrokes on their way from the hypervisor console to one partition's
// virtual UART.
//
// The console's input is read on whichever CPU takes the host UART's
// interrupt, but a partition's virtual UART belongs to the partition's own
// CPU (vmm/virtual_platform.hpp: no locks there). This single-producer,
// single-consumer ring crosses that gap: the console pushes, the
// partition's CPU pops into the UART's receive FIFO as room allows, so a
// burst of typing waits here instead of overrunning the 16-byte FIFO.
//
// Pure code (GCC atomics only): tests/unit/test_input_queue.cpp.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

class InputQueue {
public:
    static constexpr size_t kCapacity = 256;   // a pasted line or two
    static_assert((kCapacity & (kCapacity - 1)) == 0, "indices wrap by masking");

    // Producer side (the console). False when full: the byte is dropped and
    // counted, as a real serial line would lose it.
    bool push(uint8_t byte) {
        const size_t tail = __atomic_load_n(&tail_, __ATOMIC_RELAXED);
        const size_t head = __atomic_load_n(&head_, __ATOMIC_ACQUIRE);
        if (tail - head == kCapacity) {
            __atomic_add_fetch(&dropped_, 1, __ATOMIC_RELAXED);
            return false;
        }
        bytes_[tail & (kCapacity - 1)] = byte;
        __atomic_store_n(&tail_, tail + 1, __ATOMIC_RELEASE);
        return true;
    }

    // Consumer side (the partition's CPU).
    bool pop(uint8_t& byte) {
        const size_t head = __atomic_load_n(&head_, __ATOMIC_RELAXED);
        if (head == __atomic_load_n(&tail_, __ATOMIC_ACQUIRE)) return false;
        byte = bytes_[head & (kCapacity - 1)];
        __atomic_store_n(&head_, head + 1, __ATOMIC_RELEASE);
        return true;
    }

    bool empty() const { return __atomic_load_n(&head_, __ATOMIC_ACQUIRE) == __atomic_load_n(&tail_, __ATOMIC_ACQUIRE); }
    uint64_t dropped() const { return __atomic_load_n(&dropped_, __ATOMIC_RELAXED); }

    // Consumer side: drops everything queued (a restarted partition starts
    // with no stale input). Safe while the console pushes: only the
    // consumer's index moves.
    void discard() { __atomic_store_n(&head_, __atomic_load_n(&tail_, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE); }

private:
    uint8_t bytes_[kCapacity] = {};
    size_t head_ = 0;   // next byte to pop; advanced by the consumer only
    size_t tail_ = 0;   // next free slot; advanced by the producer only
    uint64_t dropped_ = 0;
};

}  // namespace bulkhead
