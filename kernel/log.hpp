// The hypervisor console: leveled, formatted log lines on the serial port.
//
// Every line starts with "bulkhead: " so the hypervisor's own output stands
// apart from what guests print. Lines logged before the serial port is set up
// (while the command line that names the port is still being parsed) are kept
// in a buffer and printed as soon as it is; if that buffer overflows, the number
// of lost bytes is printed, so nothing disappears without a trace.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/cmdline.hpp"

namespace bulkhead {

class Uart16550;

void log_set_level(LogLevel level);
LogLevel log_level();

// Sends the buffered early log to `uart`, then everything after it.
void log_attach_console(Uart16550& uart);

// Used by fatal paths before a console exists: sets up COM1 at the default
// speed, so the reason for the stop is visible.
void log_attach_emergency_console();

void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vlog(LogLevel level, const char* fmt, va_list args);

#define log_error(...) ::bulkhead::log(::bulkhead::LogLevel::Error, __VA_ARGS__)
#define log_warn(...) ::bulkhead::log(::bulkhead::LogLevel::Warn, __VA_ARGS__)
#define log_info(...) ::bulkhead::log(::bulkhead::LogLevel::Info, __VA_ARGS__)
#define log_debug(...) ::bulkhead::log(::bulkhead::LogLevel::Debug, __VA_ARGS__)

// A partition's output, as "[name] text" lines, or "[name +ticks] text"
// when `ticks` is given (console_timestamps=ticks). `line_ends` false: the
// line goes on, and the next text from the same partition continues it
// (an interactive prompt); anything else printed meanwhile ends it first.
// The console lock keeps lines from interleaving.
void log_partition_text(const char* partition, const char* text, size_t length, bool line_ends,
                        const uint64_t* ticks = nullptr);

// The monitor (vmm/monitor.cpp). Its answers are "bulkhead: monitor: ..."
// lines, printed whatever the log level (they were asked for). Its prompt
// is an open line "monitor> " followed by what is being typed: `added` is
// printed if the line is still open, else the prompt is printed again with
// all of `typed` (other output came between two keystrokes).
void log_monitor(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_monitor_typing(const char* typed, const char* added);
// Ends the open prompt line (Enter).
void log_monitor_line_end();

// console_timestamps= from the command line.
void log_set_console_timestamps(ConsoleTimestamps timestamps);
ConsoleTimestamps log_console_timestamps();

// Waits until the serial port has sent everything (before power-off).
void log_flush();

// The console's UART (for console input, vmm/console_input.cpp), or null
// while there is none.
Uart16550* log_console_uart();

// Logs how many bytes the UART failed to send, if any (a UART that stays
// busy), so even losses leave a trace. Called when the run ends.
void report_console_losses();

}  // namespace bulkhead
