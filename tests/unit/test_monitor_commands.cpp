// The monitor's language: the line editor that collects what is typed, the
// parser that turns a line into a command (or a usage line, never anything
// else), and the helpers the commands use.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "vmm/monitor_commands.hpp"

using namespace bulkhead;
using Event = MonitorLineEditor::Event;

namespace {

struct Fed {
    std::string echoed;
    int erased = 0;
    int dropped = 0;
    std::vector<std::string> lines;
    int none = 0;
};

Fed feed(MonitorLineEditor& editor, const std::string& bytes) {
    Fed f;
    for (char c : bytes) {
        const MonitorLineEditor::Result r = editor.feed(static_cast<uint8_t>(c));
        switch (r.event) {
            case Event::None: ++f.none; break;
            case Event::Echo: f.echoed += r.echo; break;
            case Event::Erase: ++f.erased; break;
            case Event::Dropped: ++f.dropped; break;
            case Event::LineReady: f.lines.emplace_back(editor.line()); break;
        }
    }
    return f;
}

MonitorCommand parse(const std::string& line) { return parse_monitor_line(line.data(), line.size()); }

std::string usage_of(const std::string& verb_line) { return parse(verb_line).error; }

}  // namespace

// ---- the line editor -------------------------------------------------------------

TEST_CASE("printable characters are echoed and kept") {
    MonitorLineEditor e;
    const MonitorLineEditor::Result r = e.feed('l');
    CHECK(r.event == Event::Echo);
    CHECK(r.echo == 'l');
    const Fed f = feed(e, "ist ~!");
    CHECK(f.echoed == "ist ~!");
    CHECK(std::string(e.typed()) == "list ~!");
    CHECK(e.length() == 7);
    CHECK(f.lines.empty());
}

TEST_CASE("CR or LF ends the line, and CR LF counts once") {
    MonitorLineEditor e;
    Fed f = feed(e, "list\r");
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0] == "list");
    CHECK(std::string(e.line()) == "list");
    CHECK(e.length() == 0);
    CHECK(std::string(e.typed()).empty());

    // The LF of a CR LF is swallowed.
    const MonitorLineEditor::Result lf = e.feed('\n');
    CHECK(lf.event == Event::None);

    f = feed(e, "help\n");
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0] == "help");

    f = feed(e, "a\r\nb\r\n");
    REQUIRE(f.lines.size() == 2);
    CHECK(f.lines[0] == "a");
    CHECK(f.lines[1] == "b");

    // Two CRs, two LFs, LF CR: two Enters each, the second one an empty line.
    for (const char* keys : {"x\r\r", "x\n\n", "x\n\r"}) {
        f = feed(e, keys);
        REQUIRE(f.lines.size() == 2);
        CHECK(f.lines[0] == "x");
        CHECK(f.lines[1].empty());
    }

    // A CR, then typing, then an LF: the LF is an Enter of its own.
    f = feed(e, "\rz\n");
    REQUIRE(f.lines.size() == 2);
    CHECK(f.lines[0].empty());
    CHECK(f.lines[1] == "z");
}

TEST_CASE("Backspace and DEL take the last character back") {
    MonitorLineEditor e;
    feed(e, "stast");
    CHECK(e.feed(0x08).event == Event::Erase);
    CHECK(e.feed(0x7f).event == Event::Erase);
    CHECK(std::string(e.typed()) == "sta");
    CHECK(e.length() == 3);
    Fed f = feed(e, "ts\r");
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0] == "stats");

    // Nothing to take back: nothing happens.
    CHECK(e.feed(0x7f).event == Event::None);
    CHECK(e.feed(0x08).event == Event::None);
    f = feed(e, "ab\x08\x08\x08\x08" "c\r");
    CHECK(f.erased == 2);
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0] == "c");
}

TEST_CASE("Ctrl-U and Ctrl-C drop the line") {
    MonitorLineEditor e;
    feed(e, "stop linux");
    CHECK(e.feed(0x15).event == Event::Dropped);
    CHECK(e.length() == 0);
    CHECK(std::string(e.typed()).empty());
    feed(e, "restart");
    CHECK(e.feed(0x03).event == Event::Dropped);
    CHECK(e.length() == 0);
    const Fed f = feed(e, "list\r");
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0] == "list");
}

TEST_CASE("escape sequences (the arrow keys) are swallowed whole") {
    MonitorLineEditor e;
    // Up arrow, right arrow with a modifier (ESC [ 1 ; 5 C), F1 (ESC O P).
    Fed f = feed(e, "li\x1b[A\x1b[1;5C\x1bOPst\r");
    CHECK(f.echoed == "list");
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0] == "list");
    // A lone ESC followed by another key: both are swallowed, typing goes on.
    f = feed(e, "\x1bxhelp\r");
    CHECK(f.echoed == "help");
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0] == "help");
}

TEST_CASE("Enter ends the line even inside an escape sequence") {
    MonitorLineEditor e;
    // A lone ESC, then Enter (CR LF): one line, the LF not taken for a second Enter.
    Fed f = feed(e, "help\x1b\r\n");
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0] == "help");
    // Half an escape sequence, then Enter: the sequence ends there.
    f = feed(e, "help\x1b[\rlist\r");
    REQUIRE(f.lines.size() == 2);
    CHECK(f.lines[0] == "help");
    CHECK(f.lines[1] == "list");
}

TEST_CASE("other control characters and bytes above 0x7e are ignored") {
    MonitorLineEditor e;
    std::string keys = "he";
    for (int b : {0x00, 0x01, 0x02, 0x07, 0x09, 0x0b, 0x0c, 0x1a, 0x1f, 0x80, 0x9b, 0xc3, 0xff})
        keys += static_cast<char>(b);
    keys += "lp\r";
    const Fed f = feed(e, keys);
    CHECK(f.echoed == "help");
    CHECK(f.none == 13);
    REQUIRE(f.lines.size() == 1);
    CHECK(f.lines[0] == "help");
}

TEST_CASE("a line holds at most kCapacity characters; more are refused") {
    STATIC_REQUIRE(MonitorLineEditor::kCapacity == 96);
    MonitorLineEditor e;
    std::string typed;
    for (size_t i = 0; i < MonitorLineEditor::kCapacity + 10; ++i) typed += static_cast<char>('a' + i % 26);
    const Fed f = feed(e, typed);
    CHECK(f.echoed == typed.substr(0, MonitorLineEditor::kCapacity));
    CHECK(f.none == 10);
    CHECK(e.length() == MonitorLineEditor::kCapacity);
    // Erasing one makes room for one.
    CHECK(e.feed(0x7f).event == Event::Erase);
    CHECK(e.feed('Z').event == Event::Echo);
    CHECK(e.feed('Y').event == Event::None);
    CHECK(e.feed('\r').event == Event::LineReady);
    const std::string line = e.line();
    CHECK(line.size() == MonitorLineEditor::kCapacity);
    CHECK(line == typed.substr(0, MonitorLineEditor::kCapacity - 1) + "Z");
}

// ---- the parser -----------------------------------------------------------------

TEST_CASE("a blank line is nothing to do") {
    for (const char* line : {"", " ", "      "}) {
        const MonitorCommand c = parse(line);
        CHECK(c.verb == MonitorVerb::Empty);
        CHECK(c.target[0] == '\0');
        CHECK(c.error[0] == '\0');
    }
    CHECK(parse_monitor_line(nullptr, 0).verb == MonitorVerb::Empty);
}

TEST_CASE("commands without arguments") {
    CHECK(parse("help").verb == MonitorVerb::Help);
    CHECK(parse("  help  ").verb == MonitorVerb::Help);
    CHECK(parse("list").verb == MonitorVerb::List);
    CHECK(parse("list").target[0] == '\0');
    // The length counts, not a NUL: "listing" cut to 4 is "list".
    CHECK(parse_monitor_line("listing", 4).verb == MonitorVerb::List);

    const MonitorCommand extra = parse("list linux");
    CHECK(extra.verb == MonitorVerb::Invalid);
    CHECK(std::string(extra.error) == "usage: list (every partition: state, CPU, memory, uptime, CPU time, exits)");
    CHECK(std::string(parse("help me").error) == "usage: help (this list)");
}

TEST_CASE("commands that name a partition") {
    const struct {
        const char* word;
        MonitorVerb verb;
    } verbs[] = {
        {"stats", MonitorVerb::Stats},     {"pause", MonitorVerb::Pause}, {"resume", MonitorVerb::Resume},
        {"stop", MonitorVerb::Stop},       {"restart", MonitorVerb::Restart},
        {"start", MonitorVerb::Start},     {"vcpu", MonitorVerb::Vcpu},
    };
    for (const auto& v : verbs) {
        INFO(v.word);
        const std::string word = v.word;
        MonitorCommand c = parse(word + " linux");
        CHECK(c.verb == v.verb);
        CHECK(std::string(c.target) == "linux");
        CHECK(c.error[0] == '\0');

        c = parse("   " + word + "    1   ");
        CHECK(c.verb == v.verb);
        CHECK(std::string(c.target) == "1");

        // No target, or two: the usage line.
        for (const std::string& bad : {word, word + " a b", word + " a b c", word + " a b c d e f"}) {
            INFO(bad);
            c = parse(bad);
            CHECK(c.verb == MonitorVerb::Invalid);
            CHECK(std::string(c.error).rfind("usage: " + word + " NAME (", 0) == 0);
            CHECK(c.target[0] == '\0');
        }
    }
    CHECK(usage_of("stats") ==
          "usage: stats NAME (exits by reason, I/O port and MSR: counts, handling ticks, share of CPU time)");
    CHECK(usage_of("stop") == "usage: stop NAME (stop it for good (restart brings it back))");
}

TEST_CASE("a target of 31 characters fits, 32 do not") {
    const std::string longest(kMonitorWordCapacity - 1, 'n');
    MonitorCommand c = parse("pause " + longest);
    CHECK(c.verb == MonitorVerb::Pause);
    CHECK(std::string(c.target) == longest);

    const std::string too_long(kMonitorWordCapacity, 'n');
    c = parse("pause " + too_long);
    CHECK(c.verb == MonitorVerb::Invalid);
    CHECK(std::string(c.error) == "usage: pause NAME (stop scheduling it, keeping its state)");
    CHECK(parse("console " + too_long).verb == MonitorVerb::Invalid);
    CHECK(parse("trace " + too_long).verb == MonitorVerb::Invalid);
    CHECK(parse("trace " + too_long + " on").verb == MonitorVerb::Invalid);
    CHECK(parse("console " + longest).verb == MonitorVerb::Console);
}

TEST_CASE("trace: show, on, off, or a count from 1 to 256") {
    MonitorCommand c = parse("trace linux");
    CHECK(c.verb == MonitorVerb::TraceShow);
    CHECK(std::string(c.target) == "linux");
    CHECK(c.count == kDefaultTraceCount);
    CHECK(c.count == 32);

    c = parse("trace linux on");
    CHECK(c.verb == MonitorVerb::TraceOn);
    CHECK(std::string(c.target) == "linux");
    c = parse("trace 2 off");
    CHECK(c.verb == MonitorVerb::TraceOff);
    CHECK(std::string(c.target) == "2");

    c = parse("trace linux 1");
    CHECK(c.verb == MonitorVerb::TraceShow);
    CHECK(c.count == 1);
    c = parse("trace linux 256");
    CHECK(c.verb == MonitorVerb::TraceShow);
    CHECK(c.count == 256);
    c = parse("trace linux 100");
    CHECK(c.count == 100);
    c = parse("trace linux 000010");
    CHECK(c.verb == MonitorVerb::TraceShow);
    CHECK(c.count == 10);

    const std::string usage =
        "usage: trace NAME [on|off|COUNT] (switch its exit trace, or show its last COUNT traced exits (32))";
    for (const char* bad : {"trace", "trace linux 0", "trace linux 257", "trace linux 999999", "trace linux 1000000",
                            "trace linux 18446744073709551617", "trace linux -1", "trace linux +5", "trace linux 1x",
                            "trace linux ON", "trace linux of", "trace linux on now", "trace a b c d e"}) {
        INFO(bad);
        c = parse(bad);
        CHECK(c.verb == MonitorVerb::Invalid);
        CHECK(std::string(c.error) == usage);
    }
}

TEST_CASE("console: with or without a partition") {
    MonitorCommand c = parse("console");
    CHECK(c.verb == MonitorVerb::Console);
    CHECK(c.target[0] == '\0');
    c = parse("console pacer64");
    CHECK(c.verb == MonitorVerb::Console);
    CHECK(std::string(c.target) == "pacer64");
    c = parse("console a b");
    CHECK(c.verb == MonitorVerb::Invalid);
    CHECK(std::string(c.error) ==
          "usage: console [NAME] (leave the monitor: input goes to NAME (or where it went before))");
}

TEST_CASE("unknown commands point at help") {
    MonitorCommand c = parse("frobnicate linux");
    CHECK(c.verb == MonitorVerb::Invalid);
    CHECK(std::string(c.error) == "unknown command 'frobnicate' (help lists the commands)");
    CHECK(c.target[0] == '\0');
    // Verbs are case-sensitive and whole words.
    CHECK(std::string(parse("HELP").error) == "unknown command 'HELP' (help lists the commands)");
    CHECK(std::string(parse("lis").error) == "unknown command 'lis' (help lists the commands)");
    CHECK(std::string(parse("lists").error) == "unknown command 'lists' (help lists the commands)");
    CHECK(std::string(parse("\thelp").error) == "unknown command '\thelp' (help lists the commands)");
    // A long word is shown cut to 16 characters.
    CHECK(std::string(parse("abcdefghijklmnopqrstuvwxyz").error) ==
          "unknown command 'abcdefghijklmnop' (help lists the commands)");
    // Too many words for any command, unknown verb: still "unknown".
    CHECK(std::string(parse("x 1 2 3 4 5").error) == "unknown command 'x' (help lists the commands)");
}

TEST_CASE("help lists every command once, in the order of the verbs") {
    size_t count = 0;
    const MonitorHelpLine* lines = monitor_help(count);
    REQUIRE(count == 11);
    CHECK(std::string(lines[0].usage) == "help");
    CHECK(std::string(lines[1].usage) == "list");
    CHECK(std::string(lines[9].usage) == "trace NAME [on|off|COUNT]");
    CHECK(std::string(lines[10].usage) == "console [NAME]");
    for (size_t i = 0; i < count; ++i) {
        // Each usage's first word is a verb the parser knows.
        const std::string usage = lines[i].usage;
        const std::string verb = usage.substr(0, usage.find(' '));
        INFO(verb);
        CHECK(std::string(parse(verb + " x y z").error).rfind("usage: " + usage + " (", 0) == 0);
        CHECK(std::strlen(lines[i].what) > 0);
    }
}

// ---- helpers ------------------------------------------------------------------------

TEST_CASE("tenths_of_percent: part of whole in tenths of a percent, without overflow") {
    CHECK(tenths_of_percent(0, 0) == 0);
    CHECK(tenths_of_percent(5, 0) == 0);
    CHECK(tenths_of_percent(UINT64_MAX, 0) == 0);
    CHECK(tenths_of_percent(0, 7) == 0);
    CHECK(tenths_of_percent(1, 3) == 333);
    CHECK(tenths_of_percent(2, 3) == 666);
    CHECK(tenths_of_percent(123, 1000) == 123);
    CHECK(tenths_of_percent(1, 1) == 1000);
    CHECK(tenths_of_percent(1, 1000001) == 0);
    CHECK(tenths_of_percent(5, 2) == 1000);   // more than the whole: clamped
    CHECK(tenths_of_percent(UINT64_MAX, 1) == 1000);
    CHECK(tenths_of_percent(UINT64_MAX, UINT64_MAX) == 1000);
    CHECK(tenths_of_percent(UINT64_MAX / 2, UINT64_MAX) == 500);
    CHECK(tenths_of_percent(UINT64_MAX / 4, UINT64_MAX) == 250);
    CHECK(tenths_of_percent(UINT64_MAX / 1000, UINT64_MAX) == 0);   // just under a tenth
    CHECK(tenths_of_percent(1, UINT64_MAX) == 0);
    // Either side of the point where part * 1000 stops fitting in 64 bits.
    const uint64_t edge = UINT64_MAX / 1000;
    CHECK(tenths_of_percent(edge, 2 * edge) == 500);
    CHECK(tenths_of_percent(edge + 1, 2 * (edge + 1)) == 500);
    CHECK(tenths_of_percent(edge + 1, 4 * (edge + 1)) == 250);
    CHECK(tenths_of_percent(3 * edge, 4 * edge) == 750);

    // Against exact 128-bit arithmetic: never more than the whole, at most
    // one tenth off the exact floor.
    std::mt19937_64 random(12345);
    for (int i = 0; i < 100000; ++i) {
        uint64_t whole = random() >> (random() % 64);
        uint64_t part = random() >> (random() % 64);
        if (part > whole) std::swap(part, whole);
        if (whole == 0) continue;
        const auto exact = static_cast<uint64_t>(static_cast<unsigned __int128>(part) * 1000 / whole);
        const uint64_t got = tenths_of_percent(part, whole);
        if (got > 1000 || got + 1 < exact || got > exact + 1) {
            INFO("part " << part << " whole " << whole << " exact " << exact);
            CHECK(got == exact);
            break;
        }
    }
}

TEST_CASE("find_partition: a name made of digits wins over the id") {
    const char* const names[] = {"linux", "42", "1234567", "0"};
    CHECK(find_partition("42", names, 4) == 1);
    CHECK(find_partition("1234567", names, 4) == 2);
    CHECK(find_partition("0", names, 4) == 3);   // the partition named "0", not id 0
    CHECK(find_partition("1", names, 4) == 1);   // no such name: id 1
}

TEST_CASE("find_partition: a decimal id below count, or an exact name") {
    const char* const names[] = {"linux", "pacer64", "beat64"};
    CHECK(find_partition("0", names, 3) == 0);
    CHECK(find_partition("2", names, 3) == 2);
    CHECK(find_partition("02", names, 3) == 2);
    CHECK(find_partition("000001", names, 3) == 1);
    CHECK(find_partition("3", names, 3) == -1);
    CHECK(find_partition("7", names, 3) == -1);
    CHECK(find_partition("linux", names, 3) == 0);
    CHECK(find_partition("pacer64", names, 3) == 1);
    CHECK(find_partition("beat64", names, 3) == 2);

    // Not quite a name.
    CHECK(find_partition("Linux", names, 3) == -1);
    CHECK(find_partition("lin", names, 3) == -1);
    CHECK(find_partition("linux ", names, 3) == -1);
    CHECK(find_partition("linuxx", names, 3) == -1);
    CHECK(find_partition("beat6", names, 3) == -1);
    // Not quite a number.
    CHECK(find_partition("01x", names, 3) == -1);
    CHECK(find_partition("1x", names, 3) == -1);
    CHECK(find_partition("-1", names, 3) == -1);
    CHECK(find_partition("+1", names, 3) == -1);
    CHECK(find_partition(" 1", names, 3) == -1);
    CHECK(find_partition("", names, 3) == -1);
    // Numbers that would wrap to a valid id in 32 or 64 bits.
    CHECK(find_partition("4294967296", names, 3) == -1);
    CHECK(find_partition("18446744073709551616", names, 3) == -1);
    CHECK(find_partition("18446744073709551617", names, 3) == -1);
    CHECK(find_partition("99999999999999999999999999999999", names, 3) == -1);

    // No partitions at all.
    CHECK(find_partition("0", names, 0) == -1);
    CHECK(find_partition("linux", names, 0) == -1);
    // Only the first `count` names are looked at.
    CHECK(find_partition("beat64", names, 2) == -1);
}

// ---- robustness -------------------------------------------------------------------

namespace {

bool has_nul(const char* text, size_t capacity) { return std::memchr(text, '\0', capacity) != nullptr; }

// What every command must satisfy, whatever the line.
void check_command(const MonitorCommand& c, std::vector<int>& seen) {
    const auto verb = static_cast<uint8_t>(c.verb);
    REQUIRE(verb <= static_cast<uint8_t>(MonitorVerb::Invalid));
    ++seen[verb];
    REQUIRE(has_nul(c.target, sizeof c.target));
    REQUIRE(has_nul(c.error, sizeof c.error));
    switch (c.verb) {
        case MonitorVerb::Invalid:
            REQUIRE(c.error[0] != '\0');
            REQUIRE((std::strncmp(c.error, "usage: ", 7) == 0 || std::strncmp(c.error, "unknown command '", 17) == 0));
            break;
        case MonitorVerb::Empty:
        case MonitorVerb::Help:
        case MonitorVerb::List:
            REQUIRE(c.target[0] == '\0');
            REQUIRE(c.error[0] == '\0');
            break;
        case MonitorVerb::Console: REQUIRE(c.error[0] == '\0'); break;
        case MonitorVerb::TraceShow:
            REQUIRE(c.count >= 1);
            REQUIRE(c.count <= 256);
            [[fallthrough]];
        default:
            REQUIRE(c.target[0] != '\0');
            REQUIRE(c.error[0] == '\0');
            break;
    }
}

}  // namespace

TEST_CASE("whatever is typed, the editor and the parser give a command or a usage line") {
    std::mt19937 random(20240607);
    std::vector<int> seen(static_cast<size_t>(MonitorVerb::Invalid) + 1);

    // Bytes a user might type, and the editor's own control keys, more often
    // than the rest.
    const std::string likely = "helpliststatspauseresumestoprestartvcputraceconsoleonoff0123456789 \r\n\x08\x7f\x1b[A";
    MonitorLineEditor editor;
    size_t lines = 0;
    for (int i = 0; i < 200000; ++i) {
        const uint8_t byte = random() % 4 == 0 ? static_cast<uint8_t>(random())
                                               : static_cast<uint8_t>(likely[random() % likely.size()]);
        const MonitorLineEditor::Result r = editor.feed(byte);
        const bool sane = static_cast<uint8_t>(r.event) <= static_cast<uint8_t>(Event::LineReady) &&
                          editor.length() <= MonitorLineEditor::kCapacity &&
                          std::strlen(editor.typed()) == editor.length() &&
                          (r.event != Event::Echo || (r.echo >= 0x20 && r.echo <= 0x7e));
        if (!sane) {
            INFO("byte " << i << ": " << int{byte});
            FAIL("the editor's state went wrong");
        }
        if (r.event != Event::LineReady) continue;
        ++lines;
        const size_t length = std::strlen(editor.line());
        REQUIRE(length <= MonitorLineEditor::kCapacity);
        for (size_t k = 0; k < length; ++k)
            if (editor.line()[k] < 0x20 || editor.line()[k] > 0x7e) FAIL("a line holds a non-printable byte");
        check_command(parse_monitor_line(editor.line(), length), seen);
    }
    CHECK(lines > 1000);

    // Lines straight to the parser, not through the editor: any bytes at
    // all (NULs, tabs, bytes above 0x7f), made of words that are sometimes
    // real ones.
    const char* const words[] = {"help", "list", "stats", "pause", "resume", "stop", "restart", "start",
                                 "vcpu", "trace", "console", "on", "off", "0", "1", "32", "256", "257",
                                 "linux", "pacer64"};
    for (int i = 0; i < 50000; ++i) {
        std::string line;
        const unsigned parts = random() % 7;
        for (unsigned p = 0; p < parts; ++p) {
            if (random() % 3 == 0) line.append(random() % 3, ' ');
            if (random() % 4 == 0) {
                const unsigned n = random() % 48;
                for (unsigned k = 0; k < n; ++k) line += static_cast<char>(random());
            } else {
                line += words[random() % (sizeof words / sizeof words[0])];
            }
            line += ' ';
        }
        if (random() % 2 == 0 && !line.empty()) line.pop_back();
        check_command(parse(line), seen);
    }

    // Every kind of result turned up.
    for (size_t v = 0; v < seen.size(); ++v) {
        INFO("verb " << v);
        CHECK(seen[v] > 0);
    }
}
