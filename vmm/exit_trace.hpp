// The exit trace: what the last VM exits on a CPU were, for the monitor's
// `trace` command, for bulkheadctl, and for the dump printed when a
// partition is stopped for a fault (docs/monitor.md).
//
// One ring of kEntries per physical CPU, written only by that CPU, on the
// exit path, and only for the partitions whose tracing is on; a partition is
// pinned to one CPU, so its exits are all in one ring, in order. Any CPU may
// read a ring while its owner writes: each entry carries its sequence number,
// cleared while the entry is being rewritten, and a reader keeps an entry
// only if it read the same number before and after copying it.
//
// Pure code: tests/unit/test_exit_trace.cpp.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/vmcs_fields.hpp"

namespace bulkhead {

// What one exit was. `detail`s depend on the reason (decoded by
// describe_trace_entry): CPUID leaf and subleaf, the MSR and the value
// written, the I/O value written, the hypercall number and first argument,
// the guest-physical and guest-linear address of an EPT violation, the
// event of an external interrupt or exception.
struct TraceEntry {
    uint64_t sequence;        // 1, 2, ... in the ring's order; 0 while being written
    uint64_t tsc;             // when the handler started
    uint64_t rip;             // the guest's RIP at the exit
    uint64_t qualification;   // the exit qualification
    uint64_t detail[2];
    uint32_t handling_ticks;  // TSC ticks from the handler's start to its return (saturates)
    uint16_t reason;          // the basic exit reason
    uint16_t partition;       // the partition's id
};

class TraceRing {
public:
    static constexpr size_t kEntries = 256;   // a power of two
    static_assert((kEntries & (kEntries - 1)) == 0);

    // Owner CPU only. Publishes `entry` (its sequence is assigned here) and
    // returns it, so the handling time can be filled in once known.
    TraceEntry& record(const TraceEntry& entry);
    static void set_handling_ticks(TraceEntry& entry, uint64_t ticks);

    // Any CPU: copies the last (up to `capacity`) entries of `partition`
    // (kAllPartitions: every partition), oldest first; returns how many.
    static constexpr uint32_t kAllPartitions = ~0u;
    size_t snapshot(uint32_t partition, TraceEntry* out, size_t capacity) const;

    uint64_t recorded() const { return __atomic_load_n(&next_, __ATOMIC_ACQUIRE); }

private:
    bool read_entry(size_t slot, TraceEntry& out) const;

    TraceEntry entries_[kEntries] = {};
    uint64_t next_ = 0;   // entries recorded so far
};

// One line for an entry, without the partition's name: the reason by name
// and the qualification decoded, e.g.
//   "#42 +1200 rip=0x1000 IN 1-byte port 0x3f8 (87 ticks)"
// `base_tsc` makes the time relative (the first entry shown, normally).
size_t describe_trace_entry(const TraceEntry& entry, uint64_t base_tsc, char* out, size_t capacity);

// Just the decoded part: "IN 1-byte port 0x3f8", "CPUID leaf 0x1 subleaf 0x0".
size_t describe_exit(const TraceEntry& entry, char* out, size_t capacity);

}  // namespace bulkhead
