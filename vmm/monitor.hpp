// The monitor: a command line on the hypervisor's console, reached with the
// console's focus key (Ctrl-A three times, vmm/console_input.hpp), where one
// sees and steers the partitions while they run: list, stats, pause,
// resume, stop, restart, start, vcpu, trace (docs/monitor.md).
//
// It runs on the boot CPU inside the console's input interrupt. Everything
// it changes goes through the same requests the control partition uses
// (vmm/partition_control.hpp), carried out by each partition's own CPU, so
// a command can only affect the partition it names; what it is told is
// parsed by pure code (vmm/monitor_commands.hpp) that answers anything it
// does not understand with a usage line.
#pragma once

#include <stdint.h>

namespace bulkhead {

// The input focus moved to the monitor: greets and shows the prompt.
void monitor_enter();

struct MonitorFeedResult {
    bool leave;    // the `console` command: the focus leaves the monitor
    long focus;    // ...to this partition, or -1: to the one it came from
};

// One typed byte (after the focus-switch detector).
MonitorFeedResult monitor_feed(uint8_t byte);

}  // namespace bulkhead
