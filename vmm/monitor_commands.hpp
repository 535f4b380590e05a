// The monitor's language (docs/monitor.md): the line editor that collects
// what is typed, and the parser that turns a line into a command. Pure code,
// so that the host unit tests can feed it anything
// (tests/unit/test_monitor_commands.cpp): whatever the line, the result is a
// command or a usage line, never anything else.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

// ---- the line editor -----------------------------------------------------------

// Collects one line: printable characters are kept (and echoed), Backspace
// or DEL takes the last one back, Ctrl-U or Ctrl-C drops the line, Enter
// (CR or LF) ends it. Terminal escape sequences (the arrow keys) are
// swallowed whole; other control characters are ignored.
class MonitorLineEditor {
public:
    static constexpr size_t kCapacity = 96;   // characters in a line; more are refused

    enum class Event : uint8_t {
        None,       // nothing to show
        Echo,       // show `echo`
        Erase,      // take the last character off the screen
        Dropped,    // the line was dropped: start a fresh prompt
        LineReady,  // line() holds the complete line (until the next feed)
    };
    struct Result {
        Event event;
        char echo;
    };
    Result feed(uint8_t byte);

    const char* line() const { return done_; }
    const char* typed() const { return text_; }   // the line so far
    size_t length() const { return length_; }

private:
    enum class Escape : uint8_t { None, Started, Sequence };
    char text_[kCapacity + 1] = {};
    char done_[kCapacity + 1] = {};
    size_t length_ = 0;
    Escape escape_ = Escape::None;
    bool last_was_cr_ = false;   // a CR LF pair is one Enter
};

// ---- commands ---------------------------------------------------------------------

enum class MonitorVerb : uint8_t {
    Empty,        // a blank line: nothing to do
    Help,
    List,
    Stats,
    Pause,
    Resume,
    Stop,
    Restart,
    Start,
    Vcpu,
    TraceOn,
    TraceOff,
    TraceShow,
    Console,      // leave the monitor (to the named partition, or the one before)
    Invalid,      // see MonitorCommand::error
};

inline constexpr size_t kMonitorWordCapacity = 32;
inline constexpr size_t kDefaultTraceCount = 32;

struct MonitorCommand {
    MonitorVerb verb;
    char target[kMonitorWordCapacity];   // the partition, as typed (a name or an id); "" when none
    uint64_t count;                      // TraceShow: how many entries
    // Invalid: what was wrong, as a line to print (a usage line when the
    // command is known, else a pointer to `help`).
    char error[160];
};

MonitorCommand parse_monitor_line(const char* line, size_t length);

// One line per command, for `help` and for usage errors.
struct MonitorHelpLine {
    const char* usage;
    const char* what;
};
const MonitorHelpLine* monitor_help(size_t& count);

// part / whole in tenths of a percent (123 = 12.3%), 0 when whole is 0;
// no overflow for any values.
uint64_t tenths_of_percent(uint64_t part, uint64_t whole);

// Resolves a target word against the partitions' names: an exact name, or
// else a decimal id below `count` (a name made of digits wins over the id).
// Returns the index, or -1.
long find_partition(const char* target, const char* const* names, size_t count);

}  // namespace bulkhead
