// The `list` and `stats` reports (vmm/control_report.hpp).
#include "vmm/control_report.hpp"

#include "arch/x86_64/vmcs_fields.hpp"
#include "kernel/format.hpp"
#include "kernel/lib/units.hpp"
#include "vmm/monitor_commands.hpp"

namespace bulkhead {

namespace {

constexpr size_t kLineCapacity = 192;

// "12.3%" of part / whole.
struct Share {
    char text[12];
};
Share share(uint64_t part, uint64_t whole) {
    constexpr uint64_t kTenths = 10;
    const uint64_t t = tenths_of_percent(part, whole);
    Share s{};
    format(s.text, sizeof s.text, "%llu.%llu%%", static_cast<unsigned long long>(t / kTenths),
           static_cast<unsigned long long>(t % kTenths));
    return s;
}

void report_keyed(const char* kind, const bh_keyed_count* counts, unsigned n, const bh_keyed_count& others,
                  uint64_t whole, ReportSink sink, void* context) {
    char line[kLineCapacity];
    if (n > BH_STATS_KEYS) n = BH_STATS_KEYS;
    for (unsigned i = 0; i < n; ++i) {
        format(line, sizeof line, "  %s %#-10x %10llu reads %10llu writes %14llu ticks %7s", kind, counts[i].key,
               counts[i].reads, counts[i].writes, counts[i].ticks, share(counts[i].ticks, whole).text);
        sink(context, line);
    }
    if (others.reads + others.writes == 0) return;
    format(line, sizeof line, "  %s others     %10llu reads %10llu writes %14llu ticks %7s", kind, others.reads,
           others.writes, others.ticks, share(others.ticks, whole).text);
    sink(context, line);
}

}  // namespace

const char* partition_state_name(unsigned state) {
    switch (state) {
        case BH_STATE_NOT_STARTED: return "not-started";
        case BH_STATE_READY: return "ready";
        case BH_STATE_PAUSED: return "paused";
        case BH_STATE_HALTED: return "halted";
        case BH_STATE_EXITED: return "exited";
        case BH_STATE_STOPPED: return "stopped";
        case BH_STATE_WAITING: return "waiting";
        default: return "unknown";
    }
}

void report_list_header(ReportSink sink, void* context) {
    char line[kLineCapacity];
    format(line, sizeof line, "%2s %-16s %-11s %3s %8s %11s %11s %10s %6s", "id", "name", "state", "cpu", "memory",
           "uptime-ms", "cpu-ms", "exits", "starts");
    sink(context, line);
}

void report_list_row(const bh_partition_status& s, const char* more_flags, ReportSink sink, void* context) {
    char line[kLineCapacity];
    char name[BH_PARTITION_NAME_CAPACITY];
    format(name, sizeof name, "%.*s", static_cast<int>(sizeof name - 1), s.name);   // NUL-terminated whatever came
    format(line, sizeof line, "%2u %-16s %-11s %3u %7lluM %11llu %11llu %10llu %6u%s%s", s.id, name,
           partition_state_name(s.state), s.cpu, s.memory_bytes / kMiB, s.uptime_us / kMicrosecondsPerMillisecond,
           s.cpu_time_us / kMicrosecondsPerMillisecond, s.exits, s.starts,
           (s.flags & BH_PARTITION_CONTROL) ? " control" : "", more_flags);
    sink(context, line);
}

// Counts are of every exit; handling times only of the traced ones, as a
// share of the CPU time the partition had while traced.
void report_stats(const char* name, const bh_partition_stats& s, const char* trace_command, ReportSink sink,
                  void* context) {
    char line[kLineCapacity];
    const uint64_t traced = s.traced_cpu_ticks;
    format(line, sizeof line, "stats '%s': %llu exits in %llu ticks of CPU time", name, s.exits, s.cpu_ticks);
    sink(context, line);
    if (traced == 0)
        format(line, sizeof line, "  handling times are measured while it is traced: '%s %s on'", trace_command, name);
    else
        format(line, sizeof line, "  while traced: %llu ticks of CPU time, %llu (%s) of them handling its exits",
               static_cast<unsigned long long>(traced), s.handling_ticks, share(s.handling_ticks, traced).text);
    sink(context, line);
    format(line, sizeof line, "  %-40s %10s %14s %7s", "exit reason", "count", "ticks", "share");
    sink(context, line);
    for (unsigned reason = 0; reason < BH_STATS_REASONS; ++reason) {
        const bh_exit_count& c = s.by_reason[reason];
        if (c.count == 0) continue;
        format(line, sizeof line, "  %-40s %10llu %14llu %7s",
               x86::vmx::to_string(static_cast<x86::vmx::ExitReason>(reason)), c.count, c.ticks,
               share(c.ticks, traced).text);
        sink(context, line);
    }
    report_keyed("port", s.ports, s.port_count, s.other_ports, traced, sink, context);
    report_keyed("MSR ", s.msrs, s.msr_count, s.other_msrs, traced, sink, context);
}

}  // namespace bulkhead
