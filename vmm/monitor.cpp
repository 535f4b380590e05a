// The monitor's commands on the running hypervisor (vmm/monitor.hpp).
#include "vmm/monitor.hpp"

#include "arch/x86_64/cpu.hpp"
#include "include/bulkhead/hypercall.h"
#include "kernel/format.hpp"
#include "kernel/lib/string.hpp"
#include "kernel/lib/units.hpp"
#include "kernel/log.hpp"
#include "vmm/exit_tracing.hpp"
#include "vmm/monitor_commands.hpp"
#include "vmm/partition.hpp"
#include "vmm/partition_control.hpp"
#include "vmm/partition_table.hpp"

namespace bulkhead {

namespace {

MonitorLineEditor g_editor;
constexpr const char* kRequester = "the monitor";
constexpr size_t kBusiestShown = 8;

// "12.3%" of a tenths-of-a-percent figure.
struct Percent {
    char text[12];
};
Percent percent(uint64_t part, uint64_t whole) {
    constexpr uint64_t kTenths = 10;
    const uint64_t t = tenths_of_percent(part, whole);
    Percent p{};
    format(p.text, sizeof p.text, "%lu.%lu%%", t / kTenths, t % kTenths);
    return p;
}

Partition* resolve(const char* target) {
    static const char* names[kMaxPartitions];
    const size_t count = partition_count();
    for (size_t i = 0; i < count; ++i) names[i] = partition_at(i).config.name;
    const long index = find_partition(target, names, count);
    if (index < 0) {
        log_monitor("no partition '%s' ('list' shows them)", target);
        return nullptr;
    }
    return &partition_at(static_cast<size_t>(index));
}

void show_help() {
    size_t count = 0;
    const MonitorHelpLine* lines = monitor_help(count);
    log_monitor("commands (NAME is a partition's name or id):");
    for (size_t i = 0; i < count; ++i) log_monitor("  %-26s %s", lines[i].usage, lines[i].what);
    log_monitor("keys: Ctrl-A three times moves the console to the next partition; Enter runs a line");
}

void show_list() {
    const ControlPlane& control = control_plane();
    log_monitor("%2s %-16s %-11s %3s %8s %11s %11s %10s %6s", "id", "name", "state", "cpu", "memory", "uptime-ms",
                "cpu-ms", "exits", "starts");
    for (size_t i = 0; i < partition_count(); ++i) {
        bh_partition_status s{};
        control.describe(control.context, static_cast<uint32_t>(i), s);
        const Partition& p = partition_at(i);
        log_monitor("%2u %-16s %-11s %3u %7lluM %11llu %11llu %10llu %6u%s%s", s.id, s.name, to_string(p.state), s.cpu,
                    s.memory_bytes / kMiB, s.uptime_us / kMicrosecondsPerMillisecond,
                    s.cpu_time_us / kMicrosecondsPerMillisecond, s.exits, s.starts, p.config.control ? " control" : "",
                    p.tracing ? " traced" : "");
    }
}

void show_busiest(const char* kind, const KeyedCounters& counters, uint64_t cpu_ticks) {
    KeyedCount top[kBusiestShown];
    const size_t n = counters.busiest(top, kBusiestShown);
    for (size_t i = 0; i < n; ++i)
        log_monitor("  %s %#-10x %10lu reads %10lu writes %14lu ticks %7s", kind, top[i].key, top[i].reads,
                    top[i].writes, top[i].ticks, percent(top[i].ticks, cpu_ticks).text);
    const KeyedCount& rest = counters.others();
    if (rest.total() != 0)
        log_monitor("  %s others     %10lu reads %10lu writes %14lu ticks %7s", kind, rest.reads, rest.writes,
                    rest.ticks, percent(rest.ticks, cpu_ticks).text);
}

// Counts are kept for every exit; handling times only for traced ones, as
// a share of the CPU time the partition had while traced.
void show_stats(const Partition& p) {
    const ExitCounters& c = p.counters;
    const uint64_t cpu_ticks = p.cpu_time.ticks(x86::read_tsc());
    const uint64_t traced = traced_cpu_ticks(p);
    log_monitor("stats '%s': %lu exits in %lu ticks of CPU time", p.config.name, c.total, cpu_ticks);
    if (traced == 0)
        log_monitor("  handling times are measured while it is traced: 'trace %s on', then 'stats %s' again",
                    p.config.name, p.config.name);
    else
        log_monitor("  while traced: %lu ticks of CPU time, %lu (%s) of them handling its exits", traced,
                    c.total_handling_ticks, percent(c.total_handling_ticks, traced).text);
    log_monitor("  %-40s %10s %14s %7s", "exit reason", "count", "ticks", "share");
    for (unsigned r = 0; r < x86::vmx::kExitReasonCount; ++r) {
        if (c.by_reason[r] == 0) continue;
        log_monitor("  %-40s %10lu %14lu %7s", x86::vmx::to_string(static_cast<x86::vmx::ExitReason>(r)),
                    c.by_reason[r], c.handling_ticks[r], percent(c.handling_ticks[r], traced).text);
    }
    show_busiest("port", c.ports, traced);
    show_busiest("MSR ", c.msrs, traced);
}

void request(Partition& p, ControlOp op) {
    const PartitionState state = p.state;
    switch (request_control(p, op, nullptr, kRequester)) {
        case 0: log_monitor("%s of '%s' requested", to_string(op), p.config.name); return;
        case BH_E_WRONG_STATE:
            log_monitor("cannot %s '%s': it is %s", to_string(op), p.config.name, to_string(state));
            return;
        default: log_monitor("'%s' is still busy with an earlier request; try again", p.config.name); return;
    }
}

void switch_trace(Partition& p, bool on) {
    set_tracing(p, on);
    log_monitor("trace '%s' %s (CPU %u's ring keeps the last %zu exits of its traced partitions)", p.config.name,
                on ? "on" : "off", p.config.cpu, TraceRing::kEntries);
}

MonitorFeedResult run(const MonitorCommand& c) {
    if (c.verb == MonitorVerb::Empty) return {};
    if (c.verb == MonitorVerb::Invalid) {
        log_monitor("%s", c.error);
        return {};
    }
    if (c.verb == MonitorVerb::Help) { show_help(); return {}; }
    if (c.verb == MonitorVerb::List) { show_list(); return {}; }
    if (c.verb == MonitorVerb::Console && c.target[0] == '\0') return {true, -1};
    Partition* p = resolve(c.target);
    if (p == nullptr) return {};
    switch (c.verb) {
        case MonitorVerb::Stats: show_stats(*p); break;
        case MonitorVerb::Pause: request(*p, ControlOp::Pause); break;
        case MonitorVerb::Resume: request(*p, ControlOp::Resume); break;
        case MonitorVerb::Stop: request(*p, ControlOp::Stop); break;
        case MonitorVerb::Restart: request(*p, ControlOp::Restart); break;
        case MonitorVerb::Start: request(*p, ControlOp::Start); break;
        case MonitorVerb::Vcpu: request_vcpu_dump(*p); break;   // printed by its CPU
        case MonitorVerb::TraceOn: switch_trace(*p, true); break;
        case MonitorVerb::TraceOff: switch_trace(*p, false); break;
        case MonitorVerb::TraceShow: print_trace(*p, c.count, "asked by the monitor"); break;
        case MonitorVerb::Console: return {true, static_cast<long>(p->id)};
        default: break;
    }
    return {};
}

}  // namespace

void monitor_enter() {
    log_monitor("Bulkhead monitor: 'help' lists the commands; Ctrl-A three times leaves");
    log_monitor_typing("", "");
}

MonitorFeedResult monitor_feed(uint8_t byte) {
    const MonitorLineEditor::Result r = g_editor.feed(byte);
    switch (r.event) {
        case MonitorLineEditor::Event::None: return {};
        case MonitorLineEditor::Event::Echo: {
            const char added[2] = {r.echo, '\0'};
            log_monitor_typing(g_editor.typed(), added);
            return {};
        }
        case MonitorLineEditor::Event::Erase: log_monitor_typing(g_editor.typed(), "\b \b"); return {};
        case MonitorLineEditor::Event::Dropped:
            log_monitor_line_end();
            log_monitor_typing("", "");
            return {};
        case MonitorLineEditor::Event::LineReady: break;
    }
    log_monitor_line_end();
    const MonitorFeedResult result = run(parse_monitor_line(g_editor.line(), strlen(g_editor.line())));
    if (!result.leave) log_monitor_typing("", "");
    return result;
}

}  // namespace bulkhead
