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

void log_partition_line(const char* partition, const char* text, size_t length) {
    SpinlockGuard guard(g_console.lock);
    put_char(g_console, '[');
    put_string(g_console, partition);
    put_string(g_console, "] ");
    for (size_t i = 0; i < length; ++i) put_char(g_console, text[i]);
    put_char(g_console, '\n');
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
