// Per-partition counts of the I/O ports and MSRs a guest's exits touched:
// which port or MSR, how many reads, how many writes. They say what a guest
// keeps asking the hypervisor for (docs/performance.md reads a Linux boot
// with them) and are printed in the end-of-run summary.
//
// A small open-addressing table per kind: the first kSlots - 1 distinct
// keys get a slot of their own, any later ones share the "others" counts.
// Counting costs a multiply, a compare and an add on the exit path; no
// lookup can fail or allocate. Pure code: tests/unit/test_exit_statistics.cpp.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

struct KeyedCount {
    uint32_t key;
    bool used;
    uint64_t reads;
    uint64_t writes;
    uint64_t ticks;   // TSC ticks spent handling these exits (vmm/exit_dispatch.cpp)
    uint64_t total() const { return reads + writes; }
};

class KeyedCounters {
public:
    static constexpr size_t kSlots = 64;   // a power of two
    static_assert((kSlots & (kSlots - 1)) == 0);

    // Returns the counts the access went to, so the exit's handling time can
    // be charged to them too.
    KeyedCount& count(uint32_t key, bool write) {
        for (size_t probe = 0, i = slot_of(key); probe < kSlots - 1; ++probe, i = (i + 1) & (kSlots - 1)) {
            KeyedCount& c = slots_[i];
            if (!c.used) {
                if (distinct_ == kSlots - 1) break;   // one slot always stays free: the probe ends
                c = KeyedCount{key, true, 0, 0, 0};
                ++distinct_;
            }
            if (c.key == key) {
                bump(c, write);
                return c;
            }
        }
        bump(others_, write);
        return others_;
    }

    // The `n` keys with the most accesses, busiest first; returns how many.
    size_t busiest(KeyedCount* out, size_t n) const;

    const KeyedCount& others() const { return others_; }
    void reset() { *this = KeyedCounters{}; }

private:
    static size_t slot_of(uint32_t key) {
        // Fibonacci hashing: consecutive ports (a UART's 8 registers) spread out.
        constexpr uint32_t kGoldenRatio32 = 2654435769u;
        constexpr unsigned kShift = 32 - 6;   // log2(kSlots) bits from the top
        static_assert(kSlots == size_t{1} << (32 - kShift));
        return static_cast<uint32_t>(key * kGoldenRatio32) >> kShift;
    }
    static void bump(KeyedCount& c, bool write) { ++(write ? c.writes : c.reads); }

    KeyedCount slots_[kSlots] = {};
    KeyedCount others_ = {};
    size_t distinct_ = 0;
};

}  // namespace bulkhead
