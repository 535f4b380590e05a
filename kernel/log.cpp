#include "kernel/log.hpp"

#include "drivers/uart16550.hpp"
#include "kernel/format.hpp"
#include "kernel/lib/spinlock.hpp"

namespace bulkhead {

namespace {

constexpr const char* kLinePrefix = "bulkhead: ";
constexpr size_t kEarlyBufferSize = 16 * 1024;

struct Console {
    Spinlock lock;
    LogLevel level = LogLevel::Info;
    ConsoleTimestamps timestamps = ConsoleTimestamps::None;
    // The partition whose line was printed without its end (a prompt), so
    // that its next text continues it; null when the cursor is at a line start.
    const char* open_line = nullptr;
    Uart16550* uart = nullptr;
    char early[kEarlyBufferSize];
    size_t early_used = 0;
    size_t early_lost = 0;
};

Console g_console;
Uart16550 g_emergency_uart;

// Serial terminals expect CR LF; the log is written with plain '\n'.
void put_char(Console& console, char c) {
    if (console.uart == nullptr) {
        if (console.early_used < kEarlyBufferSize)
            console.early[console.early_used++] = c;
        else
            ++console.early_lost;
        return;
    }
    if (c == '\n') console.uart->write('\r');
    console.uart->write(c);
}

void put_char_sink(void* context, char c) { put_char(*static_cast<Console*>(context), c); }

void put_string(Console& console, const char* s) {
    while (*s != '\0') put_char(console, *s++);
}

void flush_early_buffer(Console& console) {
    for (size_t i = 0; i < console.early_used; ++i) put_char(console, console.early[i]);
    console.early_used = 0;
    if (console.early_lost != 0) {
        char line[96];
        format(line, sizeof line, "%s%zu bytes of early log lost (buffer full)\n", kLinePrefix, console.early_lost);
        put_string(console, line);
        console.early_lost = 0;
    }
}

// Whatever comes next starts on a line of its own.
void end_open_line(Console& console) {
    if (console.open_line == nullptr) return;
    put_char(console, '\n');
    console.open_line = nullptr;
}

}  // namespace

void log_set_level(LogLevel level) { g_console.level = level; }
LogLevel log_level() { return g_console.level; }

void log_attach_console(Uart16550& uart) {
    SpinlockGuard guard(g_console.lock);
    g_console.uart = &uart;
    flush_early_buffer(g_console);
}

void log_attach_emergency_console() {
    if (g_console.uart != nullptr) return;
    if (g_emergency_uart.init(kCom1Port, kUartBaseBaud) == Uart16550::InitResult::Ok)
        log_attach_console(g_emergency_uart);
}

void vlog(LogLevel level, const char* fmt, va_list args) {
    if (level > g_console.level) return;
    SpinlockGuard guard(g_console.lock);
    end_open_line(g_console);
    put_string(g_console, kLinePrefix);
    vformat_to(put_char_sink, &g_console, fmt, args);
    put_char(g_console, '\n');
}

void log(LogLevel level, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vlog(level, fmt, args);
    va_end(args);
}

void log_set_console_timestamps(ConsoleTimestamps timestamps) { g_console.timestamps = timestamps; }
ConsoleTimestamps log_console_timestamps() { return g_console.timestamps; }

void log_partition_text(const char* partition, const char* text, size_t length, bool line_ends,
                        const uint64_t* ticks) {
    SpinlockGuard guard(g_console.lock);
    if (g_console.open_line != partition) {
        end_open_line(g_console);
        put_char(g_console, '[');
        put_string(g_console, partition);
        if (ticks != nullptr) {
            char stamp[24];
            format(stamp, sizeof stamp, " +%lu", *ticks);
            put_string(g_console, stamp);
        }
        put_string(g_console, "] ");
    }
    for (size_t i = 0; i < length; ++i) put_char(g_console, text[i]);
    if (line_ends) put_char(g_console, '\n');
    g_console.open_line = line_ends ? nullptr : partition;
}

namespace {
constexpr const char* kMonitorPrefix = "monitor: ";
constexpr const char* kMonitorPrompt = "monitor> ";
// The open line's owner while the monitor's prompt is open (any unique address).
const char kMonitorOwner[] = "monitor";
}  // namespace

void log_monitor(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    SpinlockGuard guard(g_console.lock);
    end_open_line(g_console);
    put_string(g_console, kLinePrefix);
    put_string(g_console, kMonitorPrefix);
    vformat_to(put_char_sink, &g_console, fmt, args);
    put_char(g_console, '\n');
    va_end(args);
}

void log_monitor_typing(const char* typed, const char* added) {
    SpinlockGuard guard(g_console.lock);
    if (g_console.open_line != kMonitorOwner) {
        end_open_line(g_console);
        put_string(g_console, kMonitorPrompt);
        put_string(g_console, typed);
        g_console.open_line = kMonitorOwner;
        return;
    }
    put_string(g_console, added);
}

void log_monitor_line_end() {
    SpinlockGuard guard(g_console.lock);
    if (g_console.open_line == kMonitorOwner) end_open_line(g_console);
}

void log_flush() {
    if (g_console.uart != nullptr) g_console.uart->flush();
}

Uart16550* log_console_uart() { return g_console.uart; }

}  // namespace bulkhead

namespace bulkhead {

void report_console_losses() {
    if (g_console.uart != nullptr && g_console.uart->dropped() != 0)
        log_warn("console: %lu bytes were lost: the UART at %#x stayed busy", g_console.uart->dropped(),
                 g_console.uart->port());
}

}  // namespace bulkhead
