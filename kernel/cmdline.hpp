// Hypervisor command-line parser.
//
// Syntax: words separated by spaces or tabs, each `key=value` or a bare `key`.
// A value may be quoted, `key="a b c"`, to hold spaces; the quotes are not
// part of the value and there is no escape, so a value cannot hold '"'.
// A first word starting with '/' is the image path some loaders prepend and is
// skipped. Recognised options:
//
//   serial=<port>[,<baud>]   port: com1..com4 or hex 0x1..0xffff
//                            baud: decimal that divides 115200 exactly
//   loglevel=error|warn|info|debug
//   on_exit=stay|poweroff|emulator
//   selftest=none|write-text|exec-data|stack-guard|ap-stack-guard|triple-fault
//   slice_us=N, run_limit_ms=N
//   console_timestamps=none|ticks
//
// Nothing here is fatal: a typo on the command line must not stop the machine
// from booting. Problems are reported through a callback and the affected
// option keeps its default. Repeated options: the last valid one wins.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/uart16550_defs.hpp"

namespace bulkhead {

inline constexpr uint32_t kDefaultSerialBaud = kUartBaseBaud;
inline constexpr uint64_t kMaxIoPort = 0xffff;

enum class LogLevel : uint8_t { Error, Warn, Info, Debug };
enum class OnExit : uint8_t { Stay, PowerOff, Emulator };
// Deliberate faults used by end-to-end tests to prove protections work.
enum class SelfTest : uint8_t { None, WriteText, ExecData, StackGuard, ApStackGuard, TripleFault };
// What each partition console line starts with besides the partition's name:
// nothing, or the TSC ticks since the partition (re)started ("[linux +123]"),
// which makes boot times readable off the console (scripts/bench).
enum class ConsoleTimestamps : uint8_t { None, Ticks };

// A partition's time slice: long enough that switching costs little, short
// enough that a partition sharing the CPU with a spinning one still gets to
// run many times a second.
inline constexpr uint32_t kDefaultSliceMicroseconds = 10'000;
inline constexpr uint32_t kMinSliceMicroseconds = 100;
inline constexpr uint32_t kMaxSliceMicroseconds = 1'000'000;
inline constexpr uint64_t kMaxRunLimitMilliseconds = 24ull * 3600 * 1000;

struct HypervisorOptions {
    uint16_t serial_port = kCom1Port;
    uint32_t serial_baud = kDefaultSerialBaud;
    LogLevel log_level = LogLevel::Info;
    OnExit on_exit = OnExit::Stay;
    SelfTest selftest = SelfTest::None;
    uint32_t slice_us = kDefaultSliceMicroseconds;   // slice_us=: each partition's time slice
    uint64_t run_limit_ms = 0;                        // run_limit_ms=: stop what still runs after this; 0 = never
    ConsoleTimestamps console_timestamps = ConsoleTimestamps::None;
};

enum class CmdlineProblem : uint8_t {
    UnknownOption,  // key not recognised (value, if any, is reported too)
    MissingValue,   // bare word for an option that needs `=value`
    BadValue,       // value present (possibly empty) but not acceptable
};

// Key and value point into the original command line and are NOT
// NUL-terminated; use the lengths (e.g. printf "%.*s").
struct CmdlineDiagnostic {
    CmdlineProblem problem;
    const char* key;
    size_t key_length;
    const char* value;  // null when the word had no '='
    size_t value_length;
};

using CmdlineSink = void (*)(void* context, const CmdlineDiagnostic& diagnostic);

// Parses `cmdline` (may be null or empty). `sink` may be null to ignore
// diagnostics; `context` is passed through to it untouched.
HypervisorOptions parse_hypervisor_cmdline(const char* cmdline, CmdlineSink sink, void* context);

const char* to_string(LogLevel level);
const char* to_string(OnExit on_exit);
const char* to_string(SelfTest selftest);
const char* to_string(ConsoleTimestamps timestamps);
const char* to_string(CmdlineProblem problem);

// ---- Reusable pieces (also used for partition module command lines) ----

// One word of a command line, split at its first '='.
struct CmdlineWord {
    const char* key;
    size_t key_length;
    const char* value;  // null when has_value is false
    size_t value_length;
    bool has_value;  // true for `key=` (empty value) as well as `key=v`
    bool quoted;     // written `key="v"`: value is what lies between the quotes
    // An opening quote with no closing one (the value then runs to the end of
    // the string), or text right after the closing quote (`key="v"x`; the
    // word then runs on to the next blank, and value is still just `v`).
    // Either way the value is not what the writer meant: callers reject it.
    bool bad_quote;
};

// Skips leading blanks, then splits off the next word and advances `cursor`
// past it. A value that starts with '"' runs to the next '"', blanks
// included. Returns false (leaving `out` untouched) when no word is left or
// `cursor` is null.
bool next_cmdline_word(const char*& cursor, CmdlineWord& out);

// Parses exactly `n` characters as a decimal or `0x`/`0X` hexadecimal
// unsigned number. Rejects empty input, a bare "0x", stray characters and
// values above UINT64_MAX. `out` is only written on success.
bool parse_u64(const char* s, size_t n, uint64_t& out);

// Like parse_u64 with an optional K, M or G suffix (either case, powers of
// 1024): "16M" is 16 MiB. Overflow after scaling is rejected.
bool parse_size(const char* s, size_t n, uint64_t& out);

}  // namespace bulkhead
