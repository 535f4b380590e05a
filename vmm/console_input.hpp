// Console input: what is typed on the hypervisor's serial console goes to
// one partition at a time, the one with the input focus, as keystrokes on
// its virtual UART.
//
//   host UART --(its interrupt, on the boot CPU)--> FocusSwitchDetector
//     --> the focused partition's InputQueue --(its own CPU)--> its UART's
//     receive FIFO --> its UART interrupt --> its I/O APIC --> its local APIC
//
// Ctrl-A typed three times in a row moves the focus to the next partition,
// in configuration order, wrapping around (as on Xen's console, where the
// same key switches between Xen and dom0). The focus starts on the first
// partition. docs/linux-guests.md describes it for users.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmm/focus_switch.hpp"

namespace bulkhead {

struct Partition;

// After the partitions are built: routes the console UART's interrupt to the
// boot CPU and starts passing input to the first partition. Says on the
// console which partition has the focus, or why there is no input.
void start_console_input();

// The console UART's interrupt handler (kernel/trap.hpp).
void console_input_interrupt();

// On the partition's CPU, while it is not running guest code: moves queued
// keystrokes into its UART's receive FIFO, as far as there is room, and
// passes on the UART's interrupt.
void take_console_input(Partition& partition);

}  // namespace bulkhead
