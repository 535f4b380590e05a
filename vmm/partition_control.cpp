// Control requests and the control plane over the running partitions
// (vmm/partition_control.hpp explains who may change a partition's state,
// and where).
#include "vmm/partition_control.hpp"

#include "arch/x86_64/cpu.hpp"
#include "kernel/format.hpp"
#include "kernel/lib/string.hpp"
#include "kernel/log.hpp"
#include "kernel/madt.hpp"
#include "kernel/smp.hpp"
#include "kernel/tsc.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/exit_tracing.hpp"
#include "vmm/partition_table.hpp"
#include "vmm/vcpu_dump.hpp"

namespace bulkhead {

namespace {

// Partition::pending_request: nothing, a request being written (its details
// are not complete yet), or kFirstOp + the ControlOp.
constexpr uint8_t kNoRequest = 0;
constexpr uint8_t kRequestBeingWritten = 1;
constexpr uint8_t kFirstOp = 2;

// Set when a request for one of the CPU's partitions was published, so the
// scheduler looks through the partitions only when there is something to find.
bool g_requests_for_cpu[kMaxCpus];

uint8_t encode(ControlOp op) { return static_cast<uint8_t>(kFirstOp + static_cast<uint8_t>(op)); }

// "partition 'control'" or the hypervisor's reason, for the log lines.
void describe_requester(const Partition& p, char* out, size_t capacity) {
    if (p.requested_by != nullptr)
        format(out, capacity, "partition '%s'", p.requested_by->config.name);
    else
        format(out, capacity, "%s", p.request_reason);
}

void carry_out_stop(Partition& p, const char* by, uint64_t delay_us) {
    p.stopped_on_request = true;
    stop_partition(p, "stop requested by %s (took effect after %lu us)", by, delay_us);
    p.finished_at = x86::read_tsc();
    report_stop(p);
}

void carry_out_restart(Partition& p, const char* by, uint64_t delay_us) {
    if (!load_and_reset(p)) {
        stop_partition(p, "restart requested by %s failed: its image was refused", by);
        report_stop(p);
        return;
    }
    flush_cached_translations(p);
    mark_started(p);
    p.state = PartitionState::Ready;
    log_info("partition '%s': restarted from its pristine image by %s (took effect after %lu us)", p.config.name, by,
             delay_us);
}

void carry_out(Partition& p, ControlOp op) {
    char by[kMaxPartitionNameLength + 64];
    describe_requester(p, by, sizeof by);
    const uint64_t delay_us = tsc_to_microseconds(x86::read_tsc() - p.requested_at);
    // The state may have changed since the request was accepted (the guest
    // exited meanwhile): check again, here where it cannot change.
    if (!control_allowed(p.state, op)) {
        log_warn("partition '%s': %s requested by %s dropped: it is %s now", p.config.name, to_string(op), by,
                 to_string(p.state));
        return;
    }
    switch (op) {
        case ControlOp::Stop: carry_out_stop(p, by, delay_us); return;
        case ControlOp::Restart: carry_out_restart(p, by, delay_us); return;
        case ControlOp::Start: mark_started(p); break;
        case ControlOp::Pause:
        case ControlOp::Resume: break;
    }
    p.state = state_after(op);
    log_info("partition '%s': %s by %s (took effect after %lu us); now %s", p.config.name, to_string(op), by,
             delay_us, to_string(p.state));
}

// ---- the control plane for the hypercalls -------------------------------------

size_t count_partitions(void*) { return partition_count(); }

uint8_t abi_state(PartitionState state) {
    switch (state) {
        case PartitionState::NotStarted: return BH_STATE_NOT_STARTED;
        case PartitionState::Ready: return BH_STATE_READY;
        case PartitionState::Paused: return BH_STATE_PAUSED;
        case PartitionState::Halted: return BH_STATE_HALTED;
        case PartitionState::Waiting: return BH_STATE_WAITING;
        case PartitionState::Exited: return BH_STATE_EXITED;
        case PartitionState::Stopped: return BH_STATE_STOPPED;
    }
    return BH_STATE_STOPPED;
}

// Read from another CPU while the partition runs: each field is one aligned
// load, so a figure may be a moment old but is never torn.
void describe(void*, uint32_t id, bh_partition_status& out) {
    const Partition& p = partition_at(id);
    const uint64_t now = x86::read_tsc();
    const uint64_t finished = p.finished_at;
    out.id = p.id;
    out.state = abi_state(p.state);
    out.cpu = static_cast<uint8_t>(p.config.cpu);
    out.flags = p.config.control ? BH_PARTITION_CONTROL : 0;
    out.weight = p.config.weight;
    out.starts = p.starts;
    out.memory_bytes = p.memory_size;
    out.uptime_us = p.starts == 0 ? 0 : tsc_to_microseconds((finished != 0 ? finished : now) - p.started_at);
    out.cpu_time_us = tsc_to_microseconds(p.cpu_time.ticks(now));
    out.exits = p.counters.total;
    out.exit_status = p.exit_status;
    static_assert(kMaxPartitionNameLength < BH_PARTITION_NAME_CAPACITY);
    memcpy(out.name, p.config.name, sizeof p.config.name);
}

int64_t request(void*, uint32_t id, ControlOp op, uint32_t requester_id) {
    return request_control(partition_at(id), op, &partition_at(requester_id), nullptr);
}

void copy_keyed(const KeyedCount& from, bh_keyed_count& to) {
    to.key = from.key;
    to.reads = from.reads;
    to.writes = from.writes;
    to.ticks = from.ticks;
}

unsigned copy_busiest(const KeyedCounters& counters, bh_keyed_count* out, bh_keyed_count& others) {
    KeyedCount top[BH_STATS_KEYS];
    const size_t n = counters.busiest(top, BH_STATS_KEYS);
    for (size_t i = 0; i < n; ++i) copy_keyed(top[i], out[i]);
    copy_keyed(counters.others(), others);
    return static_cast<unsigned>(n);
}

// Read from another CPU while the partition runs, like describe().
void stats(void*, uint32_t id, bh_partition_stats& out) {
    static_assert(BH_STATS_REASONS == x86::vmx::kExitReasonCount, "the ABI's reason table matches the hypervisor's");
    const Partition& p = partition_at(id);
    const ExitCounters& c = p.counters;
    out.exits = c.total;
    out.handling_ticks = c.total_handling_ticks;
    out.cpu_ticks = p.cpu_time.ticks(x86::read_tsc());
    out.traced_cpu_ticks = traced_cpu_ticks(p);
    constexpr uint64_t kHzPerKhz = 1000;
    out.tsc_khz = tsc_hz() / kHzPerKhz;
    for (unsigned r = 0; r < BH_STATS_REASONS; ++r) out.by_reason[r] = {c.by_reason[r], c.handling_ticks[r]};
    out.port_count = copy_busiest(c.ports, out.ports, out.other_ports);
    out.msr_count = copy_busiest(c.msrs, out.msrs, out.other_msrs);
}

void set_trace(void*, uint32_t id, bool on) { set_tracing(partition_at(id), on); }

size_t read_trace(void*, uint32_t id, bh_trace_entry* out, size_t capacity) {
    static_assert(sizeof(bh_trace_entry) == sizeof(TraceEntry), "bh_trace_entry is a TraceEntry");
    static TraceEntry entries[TraceRing::kEntries];   // one caller at a time: the control partition
    const Partition& p = partition_at(id);
    if (capacity > TraceRing::kEntries) capacity = TraceRing::kEntries;
    const size_t n = trace_ring(p.config.cpu).snapshot(p.id, entries, capacity);
    for (size_t i = 0; i < n; ++i) {
        const TraceEntry& e = entries[i];
        out[i] = bh_trace_entry{e.sequence, e.tsc, e.rip, e.qualification, {e.detail[0], e.detail[1]},
                                e.handling_ticks, e.reason, e.partition};
    }
    return n;
}

constinit const ControlPlane kControlPlane{nullptr, count_partitions, describe, request, stats, set_trace, read_trace};

}  // namespace

int64_t request_control(Partition& p, ControlOp op, const Partition* by, const char* reason) {
    if (!control_allowed(p.state, op)) return BH_E_WRONG_STATE;
    // Claim the request slot, fill in the details, then publish the
    // operation: the partition's CPU ignores a claimed slot until then.
    uint8_t expected = kNoRequest;
    if (!__atomic_compare_exchange_n(&p.pending_request, &expected, kRequestBeingWritten, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return BH_E_BUSY;
    p.requested_by = by;
    p.request_reason = reason;
    p.requested_at = x86::read_tsc();
    __atomic_store_n(&p.pending_request, encode(op), __ATOMIC_RELEASE);
    __atomic_store_n(&g_requests_for_cpu[p.config.cpu], true, __ATOMIC_RELEASE);
    kick_cpu(p.config.cpu);
    return 0;
}

void request_vcpu_dump(Partition& p) {
    __atomic_store_n(&p.vcpu_dump_requested, true, __ATOMIC_RELEASE);
    __atomic_store_n(&g_requests_for_cpu[p.config.cpu], true, __ATOMIC_RELEASE);
    kick_cpu(p.config.cpu);
}

bool has_pending_request(const Partition& p) {
    return __atomic_load_n(&p.pending_request, __ATOMIC_ACQUIRE) != kNoRequest ||
           __atomic_load_n(&p.vcpu_dump_requested, __ATOMIC_ACQUIRE);
}

bool requests_waiting(size_t cpu) { return __atomic_load_n(&g_requests_for_cpu[cpu], __ATOMIC_ACQUIRE); }

void carry_out_requests(size_t cpu) {
    if (!__atomic_exchange_n(&g_requests_for_cpu[cpu], false, __ATOMIC_ACQ_REL)) return;
    for (size_t i = 0; i < partition_count(); ++i) {
        Partition& p = partition_at(i);
        if (p.config.cpu != cpu) continue;
        if (__atomic_exchange_n(&p.vcpu_dump_requested, false, __ATOMIC_ACQ_REL)) print_vcpu_state(p);
        const uint8_t pending = __atomic_load_n(&p.pending_request, __ATOMIC_ACQUIRE);
        if (pending < kFirstOp) continue;
        carry_out(p, static_cast<ControlOp>(pending - kFirstOp));
        __atomic_store_n(&p.pending_request, kNoRequest, __ATOMIC_RELEASE);
    }
}

const ControlPlane& control_plane() { return kControlPlane; }

}  // namespace bulkhead
