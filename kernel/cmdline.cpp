// Hypervisor command-line parser. See cmdline.hpp for the syntax.
//
// The parser works on (pointer, length) slices of the original string and
// never copies or modifies it: the command line lives in the bootloader's
// information block, which we treat as read-only.
#include "kernel/cmdline.hpp"

#include "kernel/lib/string.hpp"
#include "kernel/lib/units.hpp"

namespace bulkhead {
namespace {

constexpr uint64_t kDecimalBase = 10;
constexpr uint64_t kHexBase = 16;
constexpr size_t kHexPrefixLength = 2;  // "0x"
constexpr int kNotADigit = -1;
constexpr int kFirstHexLetterValue = 10;  // 'a' / 'A'
constexpr char kPathPrefix = '/';
constexpr char kSerialBaudSeparator = ',';
constexpr char kQuote = '"';

constexpr bool is_blank(char c) { return c == ' ' || c == '\t'; }
constexpr bool ends_word(char c) { return c == '\0' || is_blank(c); }

// Value of c as a digit in bases up to 16, or kNotADigit.
constexpr int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + kFirstHexLetterValue;
    if (c >= 'A' && c <= 'F') return c - 'A' + kFirstHexLetterValue;
    return kNotADigit;
}

// Parses all n characters as digits of `base`; rejects empty input.
bool parse_digits(const char* s, size_t n, uint64_t base, uint64_t& out) {
    if (n == 0) return false;
    uint64_t value = 0;
    for (size_t i = 0; i < n; ++i) {
        const int digit = digit_value(s[i]);
        if (digit == kNotADigit || static_cast<uint64_t>(digit) >= base) return false;
        // Check before multiplying: value * base + digit must stay <= max.
        if (value > (UINT64_MAX - static_cast<uint64_t>(digit)) / base) return false;
        value = value * base + static_cast<uint64_t>(digit);
    }
    out = value;
    return true;
}

bool has_hex_prefix(const char* s, size_t n) {
    return n >= kHexPrefixLength && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

size_t find_char(const char* s, size_t n, char wanted) {
    for (size_t i = 0; i < n; ++i)
        if (s[i] == wanted) return i;
    return n;
}

// Spelling <-> value tables shared by the parser and to_string, so the two
// can never disagree.
template <typename T>
struct NamedValue {
    const char* name;
    T value;
};

constexpr NamedValue<LogLevel> kLogLevelNames[] = {
    {"error", LogLevel::Error},
    {"warn", LogLevel::Warn},
    {"info", LogLevel::Info},
    {"debug", LogLevel::Debug},
};

constexpr NamedValue<OnExit> kOnExitNames[] = {
    {"stay", OnExit::Stay},
    {"poweroff", OnExit::PowerOff},
    {"emulator", OnExit::Emulator},
};

constexpr NamedValue<ConsoleTimestamps> kConsoleTimestampNames[] = {
    {"none", ConsoleTimestamps::None},
    {"ticks", ConsoleTimestamps::Ticks},
};

constexpr NamedValue<SelfTest> kSelfTestNames[] = {
    {"none", SelfTest::None},
    {"write-text", SelfTest::WriteText},
    {"exec-data", SelfTest::ExecData},
    {"stack-guard", SelfTest::StackGuard},
    {"ap-stack-guard", SelfTest::ApStackGuard},
    {"triple-fault", SelfTest::TripleFault},
};

constexpr NamedValue<CmdlineProblem> kProblemNames[] = {
    {"unknown option", CmdlineProblem::UnknownOption},
    {"missing value", CmdlineProblem::MissingValue},
    {"bad value", CmdlineProblem::BadValue},
};

constexpr NamedValue<uint16_t> kComPortNames[] = {
    {"com1", kCom1Port},
    {"com2", kCom2Port},
    {"com3", kCom3Port},
    {"com4", kCom4Port},
};

// Writes `out` only when the slice matches one of the names.
template <typename T, size_t N>
bool lookup_by_name(const NamedValue<T> (&table)[N], const char* s, size_t n, T& out) {
    for (const auto& entry : table) {
        if (equals(s, n, entry.name)) {
            out = entry.value;
            return true;
        }
    }
    return false;
}

template <typename T, size_t N>
const char* name_of(const NamedValue<T> (&table)[N], T value) {
    for (const auto& entry : table)
        if (entry.value == value) return entry.name;
    return "unknown";
}

bool parse_serial_port(const char* s, size_t n, uint16_t& port) {
    if (lookup_by_name(kComPortNames, s, n, port)) return true;
    // Raw ports must be hex: that is how every datasheet and lspci write them.
    uint64_t value = 0;
    if (!has_hex_prefix(s, n) || !parse_u64(s, n, value)) return false;
    if (value == 0 || value > kMaxIoPort) return false;
    port = static_cast<uint16_t>(value);
    return true;
}

bool parse_serial_baud(const char* s, size_t n, uint32_t& baud) {
    uint64_t value = 0;
    if (!parse_digits(s, n, kDecimalBase, value)) return false;
    // A baud the UART cannot produce exactly would garble the log silently.
    if (value > kUartBaseBaud || !uart_baud_reachable(static_cast<uint32_t>(value))) return false;
    baud = static_cast<uint32_t>(value);
    return true;
}

// Option handlers: return false to reject the value, leaving `options`
// untouched.

bool apply_serial(const char* value, size_t n, HypervisorOptions& options) {
    const size_t comma = find_char(value, n, kSerialBaudSeparator);
    uint16_t port = 0;
    uint32_t baud = kDefaultSerialBaud;  // "serial=com2" means com2 at the default rate
    if (!parse_serial_port(value, comma, port)) return false;
    if (comma < n && !parse_serial_baud(value + comma + 1, n - comma - 1, baud)) return false;
    // Only commit once both halves are good: half-applying would pair the new
    // port with a baud the user never asked for on it.
    options.serial_port = port;
    options.serial_baud = baud;
    return true;
}

bool apply_log_level(const char* value, size_t n, HypervisorOptions& options) {
    return lookup_by_name(kLogLevelNames, value, n, options.log_level);
}

bool apply_on_exit(const char* value, size_t n, HypervisorOptions& options) {
    return lookup_by_name(kOnExitNames, value, n, options.on_exit);
}

bool apply_selftest(const char* value, size_t n, HypervisorOptions& options) {
    return lookup_by_name(kSelfTestNames, value, n, options.selftest);
}

bool apply_slice(const char* value, size_t n, HypervisorOptions& options) {
    uint64_t us = 0;
    if (!parse_digits(value, n, kDecimalBase, us) || us < kMinSliceMicroseconds || us > kMaxSliceMicroseconds)
        return false;
    options.slice_us = static_cast<uint32_t>(us);
    return true;
}

bool apply_run_limit(const char* value, size_t n, HypervisorOptions& options) {
    uint64_t ms = 0;
    if (!parse_digits(value, n, kDecimalBase, ms) || ms > kMaxRunLimitMilliseconds) return false;
    options.run_limit_ms = ms;
    return true;
}

bool apply_console_timestamps(const char* value, size_t n, HypervisorOptions& options) {
    return lookup_by_name(kConsoleTimestampNames, value, n, options.console_timestamps);
}

struct OptionHandler {
    const char* key;
    bool (*apply)(const char* value, size_t length, HypervisorOptions& options);
};

// Adding an option = one handler above plus one line here.
constexpr OptionHandler kOptionHandlers[] = {
    {"serial", apply_serial},
    {"loglevel", apply_log_level},
    {"on_exit", apply_on_exit},
    {"selftest", apply_selftest},
    {"slice_us", apply_slice},
    {"run_limit_ms", apply_run_limit},
    {"console_timestamps", apply_console_timestamps},
};

const OptionHandler* find_option(const char* key, size_t key_length) {
    for (const auto& handler : kOptionHandlers)
        if (equals(key, key_length, handler.key)) return &handler;
    return nullptr;
}

void report(CmdlineSink sink, void* context, CmdlineProblem problem, const CmdlineWord& word) {
    if (sink == nullptr) return;
    const CmdlineDiagnostic diagnostic{problem, word.key, word.key_length, word.value,
                                       word.value_length};
    sink(context, diagnostic);
}

void apply_word(const CmdlineWord& word, HypervisorOptions& options, CmdlineSink sink,
                void* context) {
    const OptionHandler* handler = find_option(word.key, word.key_length);
    if (handler == nullptr) {
        report(sink, context, CmdlineProblem::UnknownOption, word);
    } else if (!word.has_value) {
        report(sink, context, CmdlineProblem::MissingValue, word);
    } else if (word.bad_quote || !handler->apply(word.value, word.value_length, options)) {
        report(sink, context, CmdlineProblem::BadValue, word);
    }
}

// Scans a value that starts with the opening quote at `p`; returns where the
// word ends. No escapes: the first '"' after the opening one closes the value.
const char* scan_quoted_value(const char* p, CmdlineWord& word) {
    word.value = p + 1;
    const char* close = word.value;
    while (*close != '\0' && *close != kQuote) ++close;
    word.value_length = static_cast<size_t>(close - word.value);
    if (*close == '\0') {
        word.bad_quote = true;  // never closed
        return close;
    }
    word.quoted = true;
    const char* end = close + 1;
    if (ends_word(*end)) return end;
    // `key="v"x`: skip the stray text so the next word starts cleanly.
    word.bad_quote = true;
    while (!ends_word(*end)) ++end;
    return end;
}

}  // namespace

bool next_cmdline_word(const char*& cursor, CmdlineWord& out) {
    if (cursor == nullptr) return false;
    const char* p = cursor;
    while (is_blank(*p)) ++p;
    if (*p == '\0') {
        cursor = p;
        return false;
    }

    CmdlineWord word{p, 0, nullptr, 0, false, false, false};
    while (!ends_word(*p) && *p != '=') ++p;
    word.key_length = static_cast<size_t>(p - word.key);
    // Split at the first '=' only, so values may themselves contain '='.
    if (*p == '=') {
        ++p;
        word.has_value = true;
        if (*p == kQuote) {
            p = scan_quoted_value(p, word);
        } else {
            word.value = p;
            while (!ends_word(*p)) ++p;
            word.value_length = static_cast<size_t>(p - word.value);
        }
    }
    cursor = p;
    out = word;
    return true;
}

bool parse_u64(const char* s, size_t n, uint64_t& out) {
    if (has_hex_prefix(s, n))
        return parse_digits(s + kHexPrefixLength, n - kHexPrefixLength, kHexBase, out);
    return parse_digits(s, n, kDecimalBase, out);
}

bool parse_size(const char* s, size_t n, uint64_t& out) {
    if (n == 0) return false;
    uint64_t multiplier = 1;
    switch (s[n - 1]) {
        case 'k': case 'K': multiplier = kKiB; break;
        case 'm': case 'M': multiplier = kMiB; break;
        case 'g': case 'G': multiplier = kGiB; break;
        default: break;
    }
    const size_t digits = multiplier == 1 ? n : n - 1;
    uint64_t value = 0;
    if (!parse_u64(s, digits, value)) return false;
    if (value > UINT64_MAX / multiplier) return false;
    out = value * multiplier;
    return true;
}

HypervisorOptions parse_hypervisor_cmdline(const char* cmdline, CmdlineSink sink, void* context) {
    HypervisorOptions options;
    const char* cursor = cmdline;
    CmdlineWord word{};
    bool first_word = true;
    while (next_cmdline_word(cursor, word)) {
        // GRUB and others may put the kernel image path first; it is not an
        // option, so skip it rather than report it as unknown.
        const bool is_image_path = first_word && word.key_length > 0 && word.key[0] == kPathPrefix;
        first_word = false;
        if (!is_image_path) apply_word(word, options, sink, context);
    }
    return options;
}

const char* to_string(LogLevel level) { return name_of(kLogLevelNames, level); }
const char* to_string(OnExit on_exit) { return name_of(kOnExitNames, on_exit); }
const char* to_string(SelfTest selftest) { return name_of(kSelfTestNames, selftest); }
const char* to_string(ConsoleTimestamps timestamps) { return name_of(kConsoleTimestampNames, timestamps); }
const char* to_string(CmdlineProblem problem) { return name_of(kProblemNames, problem); }

}  // namespace bulkhead
