// The monitor's commands on the running hypervisor (vmm/monitor.hpp).
#include "vmm/monitor.hpp"

#include "include/bulkhead/hypercall.h"
#include "kernel/lib/string.hpp"
#include "kernel/log.hpp"
#include "vmm/control_report.hpp"
#include "vmm/exit_tracing.hpp"
#include "vmm/monitor_commands.hpp"
#include "vmm/partition.hpp"
#include "vmm/partition_control.hpp"
#include "vmm/partition_table.hpp"

namespace bulkhead {

namespace {

MonitorLineEditor g_editor;
constexpr const char* kRequester = "the monitor";

void print_line(void*, const char* line) { log_monitor("%s", line); }

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
    report_list_header(print_line, nullptr);
    for (size_t i = 0; i < partition_count(); ++i) {
        bh_partition_status status{};
        control.describe(control.context, static_cast<uint32_t>(i), status);
        report_list_row(status, partition_at(i).tracing ? " traced" : "", print_line, nullptr);
    }
}

// The control partition's figures (bulkheadctl prints the same).
void show_stats(const Partition& p) {
    static bh_partition_stats stats;   // the monitor runs on one CPU, one command at a time
    stats = bh_partition_stats{};
    const ControlPlane& control = control_plane();
    control.stats(control.context, p.id, stats);
    report_stats(p.config.name, stats, "trace", print_line, nullptr);
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
