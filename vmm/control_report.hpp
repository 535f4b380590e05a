// What the monitor (vmm/monitor.cpp) and bulkheadctl (tools/bulkheadctl)
// print for `list` and `stats`: one formatter over the control ABI's
// structures (include/bulkhead/hypercall.h), so the console and the control
// partition say the same thing in the same words. Each line goes to a sink
// without its newline. Pure code: tests/unit/test_control_report.cpp.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "include/bulkhead/hypercall.h"

namespace bulkhead {

using ReportSink = void (*)(void* context, const char* line);

// "ready", "not-started", ... for a BH_STATE_* value; "unknown" otherwise.
const char* partition_state_name(unsigned state);

// The `list` table: its header, then one row per partition. `more_flags`
// is appended after the row's own (" control"): the monitor adds " traced".
void report_list_header(ReportSink sink, void* context);
void report_list_row(const bh_partition_status& status, const char* more_flags, ReportSink sink, void* context);

// The `stats` lines. `trace_command` is how the reader switches tracing on
// ("trace" on the monitor, "bulkheadctl trace" in a control partition), for
// the hint shown while no handling time has been measured.
void report_stats(const char* name, const bh_partition_stats& stats, const char* trace_command, ReportSink sink,
                  void* context);

}  // namespace bulkhead
