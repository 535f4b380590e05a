// The monitor's line editor and command parser (vmm/monitor_commands.hpp).
#include "vmm/monitor_commands.hpp"

#include "kernel/format.hpp"
#include "kernel/lib/string.hpp"
#include "vmm/exit_trace.hpp"

namespace bulkhead {

namespace {

constexpr uint8_t kBackspace = 0x08;
constexpr uint8_t kDelete = 0x7f;
constexpr uint8_t kCtrlC = 0x03;
constexpr uint8_t kCtrlU = 0x15;
constexpr uint8_t kEscape = 0x1b;
constexpr uint8_t kFirstPrintable = 0x20;
constexpr uint8_t kLastPrintable = 0x7e;
// An escape sequence ends with a byte in this range ("ESC [ A": the up arrow).
constexpr uint8_t kFirstFinalByte = 0x40;
constexpr uint8_t kLastFinalByte = 0x7e;

}  // namespace

MonitorLineEditor::Result MonitorLineEditor::feed(uint8_t byte) {
    const bool after_cr = last_was_cr_;
    last_was_cr_ = byte == '\r';
    // Enter ends the line even in the middle of an escape sequence (a key
    // the terminal sent half of, or a stray ESC).
    if (byte == '\r' || byte == '\n') escape_ = Escape::None;
    if (escape_ == Escape::Started) {
        escape_ = byte == '[' || byte == 'O' ? Escape::Sequence : Escape::None;
        return {Event::None, 0};
    }
    if (escape_ == Escape::Sequence) {
        if (byte >= kFirstFinalByte && byte <= kLastFinalByte) escape_ = Escape::None;
        return {Event::None, 0};
    }
    switch (byte) {
        case '\n':
            if (after_cr) return {Event::None, 0};   // the LF of a CR LF
            [[fallthrough]];
        case '\r':
            memcpy(done_, text_, length_ + 1);
            length_ = 0;
            text_[0] = '\0';
            return {Event::LineReady, 0};
        case kBackspace:
        case kDelete:
            if (length_ == 0) return {Event::None, 0};
            text_[--length_] = '\0';
            return {Event::Erase, 0};
        case kCtrlC:
        case kCtrlU:
            length_ = 0;
            text_[0] = '\0';
            return {Event::Dropped, 0};
        case kEscape: escape_ = Escape::Started; return {Event::None, 0};
        default: break;
    }
    if (byte < kFirstPrintable || byte > kLastPrintable || length_ == kCapacity) return {Event::None, 0};
    text_[length_++] = static_cast<char>(byte);
    text_[length_] = '\0';
    return {Event::Echo, static_cast<char>(byte)};
}

namespace {

enum class Arguments : uint8_t { None, Target, OptionalTarget, Trace };

struct VerbInfo {
    const char* name;
    MonitorVerb verb;
    Arguments arguments;
};

constexpr VerbInfo kVerbs[] = {
    {"help", MonitorVerb::Help, Arguments::None},         {"list", MonitorVerb::List, Arguments::None},
    {"stats", MonitorVerb::Stats, Arguments::Target},     {"pause", MonitorVerb::Pause, Arguments::Target},
    {"resume", MonitorVerb::Resume, Arguments::Target},   {"stop", MonitorVerb::Stop, Arguments::Target},
    {"restart", MonitorVerb::Restart, Arguments::Target}, {"start", MonitorVerb::Start, Arguments::Target},
    {"vcpu", MonitorVerb::Vcpu, Arguments::Target},       {"trace", MonitorVerb::TraceShow, Arguments::Trace},
    {"console", MonitorVerb::Console, Arguments::OptionalTarget},
};

// Indexed like kVerbs.
constexpr MonitorHelpLine kHelp[] = {
    {"help", "this list"},
    {"list", "every partition: state, CPU, memory, uptime, CPU time, exits"},
    {"stats NAME", "exits by reason, I/O port and MSR: counts, handling ticks, share of CPU time"},
    {"pause NAME", "stop scheduling it, keeping its state"},
    {"resume NAME", "schedule a paused partition again"},
    {"stop NAME", "stop it for good (restart brings it back)"},
    {"restart NAME", "start it again from its pristine image"},
    {"start NAME", "start a partition configured start=manual"},
    {"vcpu NAME", "its registers and VMCS guest-state area, by name"},
    {"trace NAME [on|off|COUNT]", "switch its exit trace, or show its last COUNT traced exits (32)"},
    {"console [NAME]", "leave the monitor: input goes to NAME (or where it went before)"},
};
static_assert(sizeof kHelp / sizeof kHelp[0] == sizeof kVerbs / sizeof kVerbs[0]);

constexpr size_t kMaxWords = 4;

struct Words {
    const char* text[kMaxWords];
    size_t length[kMaxWords];
    size_t count;
    bool too_many;
};

Words split(const char* line, size_t length) {
    Words w{};
    size_t i = 0;
    while (i < length) {
        while (i < length && line[i] == ' ') ++i;
        if (i == length) break;
        const size_t start = i;
        while (i < length && line[i] != ' ') ++i;
        if (w.count == kMaxWords) {
            w.too_many = true;
            break;
        }
        w.text[w.count] = line + start;
        w.length[w.count] = i - start;
        ++w.count;
    }
    return w;
}

bool word_is(const Words& w, size_t i, const char* s) {
    return w.length[i] == strlen(s) && memcmp(w.text[i], s, w.length[i]) == 0;
}

MonitorCommand invalid(const char* fmt, const char* a, size_t a_length = 0) {
    MonitorCommand c{};
    c.verb = MonitorVerb::Invalid;
    format(c.error, sizeof c.error, fmt, static_cast<int>(a_length), a);
    return c;
}

MonitorCommand usage(size_t verb) {
    MonitorCommand c{};
    c.verb = MonitorVerb::Invalid;
    format(c.error, sizeof c.error, "usage: %s (%s)", kHelp[verb].usage, kHelp[verb].what);
    return c;
}

bool copy_target(const Words& w, size_t i, MonitorCommand& c) {
    if (w.length[i] >= sizeof c.target) return false;
    memcpy(c.target, w.text[i], w.length[i]);
    c.target[w.length[i]] = '\0';
    return true;
}

constexpr uint64_t kDecimalBase = 10;
// Enough for any count or id the monitor takes; few enough that nothing overflows.
constexpr size_t kMaxDecimalDigits = 6;

// A plain decimal number: digits only (no sign, no blanks), at most kMaxDecimalDigits.
bool parse_decimal(const char* text, size_t length, uint64_t& out) {
    if (length == 0 || length > kMaxDecimalDigits) return false;
    uint64_t value = 0;
    for (size_t i = 0; i < length; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        value = value * kDecimalBase + static_cast<uint64_t>(text[i] - '0');
    }
    out = value;
    return true;
}

// A count in [1, max].
bool parse_count(const char* text, size_t length, uint64_t max, uint64_t& out) {
    uint64_t value = 0;
    if (!parse_decimal(text, length, value) || value == 0 || value > max) return false;
    out = value;
    return true;
}

MonitorCommand parse_trace(const Words& w, size_t verb, MonitorCommand c) {
    if (w.count < 2 || w.count > 3 || !copy_target(w, 1, c)) return usage(verb);
    c.verb = MonitorVerb::TraceShow;
    c.count = kDefaultTraceCount;
    if (w.count == 2) return c;
    if (word_is(w, 2, "on")) c.verb = MonitorVerb::TraceOn;
    else if (word_is(w, 2, "off")) c.verb = MonitorVerb::TraceOff;
    else if (!parse_count(w.text[2], w.length[2], TraceRing::kEntries, c.count)) return usage(verb);
    return c;
}

}  // namespace

MonitorCommand parse_monitor_line(const char* line, size_t length) {
    const Words w = split(line, length);
    MonitorCommand c{};
    if (w.count == 0) return c;   // MonitorVerb::Empty
    for (size_t verb = 0; verb < sizeof kVerbs / sizeof kVerbs[0]; ++verb) {
        if (!word_is(w, 0, kVerbs[verb].name)) continue;
        if (w.too_many) return usage(verb);
        c.verb = kVerbs[verb].verb;
        switch (kVerbs[verb].arguments) {
            case Arguments::None: return w.count == 1 ? c : usage(verb);
            case Arguments::Target: return w.count == 2 && copy_target(w, 1, c) ? c : usage(verb);
            case Arguments::OptionalTarget:
                if (w.count == 1) return c;
                return w.count == 2 && copy_target(w, 1, c) ? c : usage(verb);
            case Arguments::Trace: return parse_trace(w, verb, c);
        }
    }
    constexpr size_t kShown = 16;
    return invalid("unknown command '%.*s' (help lists the commands)", w.text[0],
                   w.length[0] < kShown ? w.length[0] : kShown);
}

const MonitorHelpLine* monitor_help(size_t& count) {
    count = sizeof kHelp / sizeof kHelp[0];
    return kHelp;
}

uint64_t tenths_of_percent(uint64_t part, uint64_t whole) {
    constexpr uint64_t kTenthsPerWhole = 1000;
    if (whole == 0) return 0;
    if (part > whole) part = whole;
    if (part <= UINT64_MAX / kTenthsPerWhole) return part * kTenthsPerWhole / whole;
    return part / (whole / kTenthsPerWhole);   // whole >= part > 1.8e16: 1000 divides off without loss that matters
}

long find_partition(const char* target, const char* const* names, size_t count) {
    const size_t length = strlen(target);
    // A name wins: names may be all digits ("42"), ids always are.
    for (size_t i = 0; i < count; ++i)
        if (strlen(names[i]) == length && memcmp(names[i], target, length) == 0) return static_cast<long>(i);
    uint64_t id = 0;
    return parse_decimal(target, length, id) && id < count ? static_cast<long>(id) : -1;
}

}  // namespace bulkhead
