// Unit tests for the hypervisor command-line parser and its helpers.
#include <catch2/catch.hpp>

#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "kernel/cmdline.hpp"
#include "kernel/lib/units.hpp"
#include "kernel/lib/units.hpp"

using namespace bulkhead;

namespace {

struct Reported {
    CmdlineProblem problem;
    std::string key;
    std::string value;
    bool has_value;
};

// Collects diagnostics so tests can assert on them.
struct Collector {
    std::vector<Reported> reports;

    static void sink(void* context, const CmdlineDiagnostic& d) {
        auto* self = static_cast<Collector*>(context);
        self->reports.push_back({d.problem, std::string(d.key, d.key_length),
                                 d.value ? std::string(d.value, d.value_length) : std::string(),
                                 d.value != nullptr});
    }

    HypervisorOptions parse(const char* cmdline) {
        return parse_hypervisor_cmdline(cmdline, &Collector::sink, this);
    }
};

bool is_default(const HypervisorOptions& o) {
    const HypervisorOptions d;
    return o.serial_port == d.serial_port && o.serial_baud == d.serial_baud &&
           o.log_level == d.log_level && o.on_exit == d.on_exit && o.selftest == d.selftest;
}

bool parses_u64(const std::string& text, uint64_t expected) {
    uint64_t value = 0;
    return parse_u64(text.data(), text.size(), value) && value == expected;
}

bool rejects_u64(const std::string& text) {
    uint64_t value = 0x5a5a;
    return !parse_u64(text.data(), text.size(), value) && value == 0x5a5a;  // untouched
}

bool parses_size(const std::string& text, uint64_t expected) {
    uint64_t value = 0;
    return parse_size(text.data(), text.size(), value) && value == expected;
}

bool rejects_size(const std::string& text) {
    uint64_t value = 0x5a5a;
    return !parse_size(text.data(), text.size(), value) && value == 0x5a5a;
}

}  // namespace

TEST_CASE("defaults", "[cmdline]") {
    const HypervisorOptions o;
    CHECK(o.serial_port == kCom1Port);
    CHECK(o.serial_baud == 115200);
    CHECK(o.log_level == LogLevel::Info);
    CHECK(o.on_exit == OnExit::Stay);
    CHECK(o.selftest == SelfTest::None);

    for (const char* input : {static_cast<const char*>(nullptr), "", "   ", " \t \t"}) {
        Collector c;
        CHECK(is_default(c.parse(input)));
        CHECK(c.reports.empty());
    }
}

TEST_CASE("a null sink is allowed", "[cmdline]") {
    const HypervisorOptions o = parse_hypervisor_cmdline("bogus loglevel=debug serial=com9", nullptr, nullptr);
    CHECK(o.log_level == LogLevel::Debug);
    CHECK(o.serial_port == kCom1Port);
}

TEST_CASE("enum options accept every spelling to_string produces", "[cmdline]") {
    Collector c;
    for (LogLevel v : {LogLevel::Error, LogLevel::Warn, LogLevel::Info, LogLevel::Debug})
        CHECK(c.parse(("loglevel=" + std::string(to_string(v))).c_str()).log_level == v);
    for (OnExit v : {OnExit::Stay, OnExit::PowerOff, OnExit::Emulator})
        CHECK(c.parse(("on_exit=" + std::string(to_string(v))).c_str()).on_exit == v);
    for (SelfTest v : {SelfTest::None, SelfTest::WriteText, SelfTest::ExecData, SelfTest::StackGuard,
                       SelfTest::TripleFault})
        CHECK(c.parse(("selftest=" + std::string(to_string(v))).c_str()).selftest == v);
    CHECK(c.reports.empty());
}

TEST_CASE("enum spellings", "[cmdline]") {
    CHECK(std::string(to_string(LogLevel::Error)) == "error");
    CHECK(std::string(to_string(LogLevel::Warn)) == "warn");
    CHECK(std::string(to_string(LogLevel::Info)) == "info");
    CHECK(std::string(to_string(LogLevel::Debug)) == "debug");
    CHECK(std::string(to_string(OnExit::Stay)) == "stay");
    CHECK(std::string(to_string(OnExit::PowerOff)) == "poweroff");
    CHECK(std::string(to_string(OnExit::Emulator)) == "emulator");
    CHECK(std::string(to_string(SelfTest::None)) == "none");
    CHECK(std::string(to_string(SelfTest::WriteText)) == "write-text");
    CHECK(std::string(to_string(SelfTest::ExecData)) == "exec-data");
    CHECK(std::string(to_string(SelfTest::StackGuard)) == "stack-guard");
    CHECK(std::string(to_string(SelfTest::TripleFault)) == "triple-fault");
    CHECK(std::string(to_string(CmdlineProblem::UnknownOption)) == "unknown option");
    CHECK(std::string(to_string(CmdlineProblem::MissingValue)) == "missing value");
    CHECK(std::string(to_string(CmdlineProblem::BadValue)) == "bad value");
    CHECK(std::string(to_string(static_cast<LogLevel>(99))) == "unknown");
}

TEST_CASE("serial option", "[cmdline]") {
    Collector c;
    struct Case {
        const char* text;
        uint16_t port;
        uint32_t baud;
    };
    const Case cases[] = {
        {"serial=com1", kCom1Port, 115200},
        {"serial=com2", kCom2Port, 115200},
        {"serial=com3", kCom3Port, 115200},
        {"serial=com4", kCom4Port, 115200},
        {"serial=0x3f8", 0x3f8, 115200},
        {"serial=0xE000", 0xe000, 115200},
        {"serial=0X1", 0x1, 115200},
        {"serial=0xffff", 0xffff, 115200},
        {"serial=com2,57600", kCom2Port, 57600},
        {"serial=0x2f8,38400", 0x2f8, 38400},
        {"serial=com1,9600", kCom1Port, 9600},
        {"serial=com1,115200", kCom1Port, 115200},
        {"serial=com1,2", kCom1Port, 2},  // divisor 57600: the slowest that fits
    };
    for (const Case& k : cases) {
        INFO(k.text);
        const HypervisorOptions o = c.parse(k.text);
        CHECK(o.serial_port == k.port);
        CHECK(o.serial_baud == k.baud);
    }
    CHECK(c.reports.empty());
}

TEST_CASE("malformed values are reported and defaults kept", "[cmdline]") {
    const char* bad[] = {
        "serial=com9",        "serial=COM1",        "serial=com",        "serial=0x",
        "serial=0x0",         "serial=0x10000",     "serial=1016",       "serial=0x3g8",
        "serial=0x3f8,12345", "serial=com1,",       "serial=com1,0",     "serial=com1,1",
        "serial=com1,230400", "serial=com1,0x1c200", "serial=com1,9600,1", "serial=,9600",
        "serial=",            "loglevel=loud",      "loglevel=INFO",     "loglevel=",
        "on_exit=",           "on_exit=reboot",     "selftest=all",      "selftest=write_text",
    };
    for (const char* text : bad) {
        INFO(text);
        Collector c;
        CHECK(is_default(c.parse(text)));
        REQUIRE(c.reports.size() == 1);
        CHECK(c.reports[0].problem == CmdlineProblem::BadValue);
        const char* eq = strchr(text, '=');
        CHECK(c.reports[0].key == std::string(text, eq));
        CHECK(c.reports[0].value == std::string(eq + 1));
        CHECK(c.reports[0].has_value);
    }
}

TEST_CASE("a good port with a bad baud rejects the whole option", "[cmdline]") {
    Collector c;
    const HypervisorOptions o = c.parse("serial=com2,9600 serial=0x3e8,12345");
    CHECK(o.serial_port == kCom2Port);  // the earlier valid option stands
    CHECK(o.serial_baud == 9600);
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].value == "0x3e8,12345");
}

TEST_CASE("bare options that need a value", "[cmdline]") {
    Collector c;
    CHECK(is_default(c.parse("serial loglevel on_exit selftest")));
    REQUIRE(c.reports.size() == 4);
    const char* keys[] = {"serial", "loglevel", "on_exit", "selftest"};
    for (size_t i = 0; i < 4; ++i) {
        CHECK(c.reports[i].problem == CmdlineProblem::MissingValue);
        CHECK(c.reports[i].key == keys[i]);
        CHECK_FALSE(c.reports[i].has_value);
    }
}

TEST_CASE("unknown options are reported by name and do not stop parsing", "[cmdline]") {
    Collector c;
    const HypervisorOptions o = c.parse("quiet frobnicate=3 loglevel=warn =x Loglevel=debug");
    CHECK(o.log_level == LogLevel::Warn);
    REQUIRE(c.reports.size() == 4);
    for (const Reported& r : c.reports) CHECK(r.problem == CmdlineProblem::UnknownOption);
    CHECK(c.reports[0].key == "quiet");
    CHECK_FALSE(c.reports[0].has_value);
    CHECK(c.reports[1].key == "frobnicate");
    CHECK(c.reports[1].value == "3");
    CHECK(c.reports[2].key.empty());  // "=x": empty key
    CHECK(c.reports[2].value == "x");
    CHECK(c.reports[3].key == "Loglevel");  // keys are case-sensitive
}

TEST_CASE("diagnostics point into the original command line", "[cmdline]") {
    const char* line = "loglevel=loud";
    struct Capture {
        CmdlineDiagnostic d;
        int calls;
    } capture{};
    parse_hypervisor_cmdline(
        line,
        [](void* ctx, const CmdlineDiagnostic& d) {
            auto* cap = static_cast<Capture*>(ctx);
            cap->d = d;
            ++cap->calls;
        },
        &capture);
    REQUIRE(capture.calls == 1);
    CHECK(capture.d.key == line);
    CHECK(capture.d.key_length == 8);
    CHECK(capture.d.value == line + 9);
    CHECK(capture.d.value_length == 4);
}

TEST_CASE("a leading image path is skipped", "[cmdline]") {
    Collector c;
    CHECK(c.parse("/boot/bulkhead.elf loglevel=debug").log_level == LogLevel::Debug);
    CHECK(c.parse("  /boot/x=y on_exit=poweroff").on_exit == OnExit::PowerOff);
    CHECK(c.reports.empty());

    // Only the first word: a path later on is an unknown option.
    c.parse("loglevel=debug /boot/bulkhead.elf");
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].problem == CmdlineProblem::UnknownOption);
    CHECK(c.reports[0].key == "/boot/bulkhead.elf");
}

TEST_CASE("repeated options: last valid one wins", "[cmdline]") {
    Collector c;
    const HypervisorOptions o =
        c.parse("loglevel=debug loglevel=error serial=com2 serial=com3,9600 serial=com4 "
                "on_exit=poweroff on_exit=bogus selftest=exec-data selftest=none");
    CHECK(o.log_level == LogLevel::Error);
    CHECK(o.serial_port == kCom4Port);
    CHECK(o.serial_baud == 115200);  // a later serial= without baud resets it
    CHECK(o.on_exit == OnExit::PowerOff);
    CHECK(o.selftest == SelfTest::None);
    REQUIRE(c.reports.size() == 1);
    CHECK(c.reports[0].value == "bogus");
}

TEST_CASE("extra spaces and tabs", "[cmdline]") {
    Collector c;
    const HypervisorOptions o =
        c.parse("\t  loglevel=warn \t\t on_exit=emulator\tselftest=stack-guard   serial=com2,38400 \t");
    CHECK(o.log_level == LogLevel::Warn);
    CHECK(o.on_exit == OnExit::Emulator);
    CHECK(o.selftest == SelfTest::StackGuard);
    CHECK(o.serial_port == kCom2Port);
    CHECK(o.serial_baud == 38400);
    CHECK(c.reports.empty());
}

TEST_CASE("next_cmdline_word tokenizer", "[cmdline]") {
    const char* line = "  a=b=c\tbare key= /x ";
    const char* cursor = line;
    CmdlineWord w{};

    REQUIRE(next_cmdline_word(cursor, w));
    CHECK(std::string(w.key, w.key_length) == "a");
    CHECK(w.has_value);
    CHECK(std::string(w.value, w.value_length) == "b=c");  // split at the first '=' only

    REQUIRE(next_cmdline_word(cursor, w));
    CHECK(std::string(w.key, w.key_length) == "bare");
    CHECK_FALSE(w.has_value);
    CHECK(w.value == nullptr);
    CHECK(w.value_length == 0);

    REQUIRE(next_cmdline_word(cursor, w));
    CHECK(std::string(w.key, w.key_length) == "key");
    CHECK(w.has_value);
    CHECK(w.value_length == 0);

    REQUIRE(next_cmdline_word(cursor, w));
    CHECK(std::string(w.key, w.key_length) == "/x");

    const CmdlineWord before = w;
    CHECK_FALSE(next_cmdline_word(cursor, w));
    CHECK(w.key == before.key);  // untouched on false
    CHECK(*cursor == '\0');
    CHECK_FALSE(next_cmdline_word(cursor, w));  // stays at the end

    const char* null_cursor = nullptr;
    CHECK_FALSE(next_cmdline_word(null_cursor, w));
}

TEST_CASE("parse_u64 edge cases", "[cmdline]") {
    CHECK(parses_u64("0", 0));
    CHECK(parses_u64("007", 7));
    CHECK(parses_u64("115200", 115200));
    CHECK(parses_u64("18446744073709551615", UINT64_MAX));
    CHECK(parses_u64("0x0", 0));
    CHECK(parses_u64("0X1F", 0x1f));
    CHECK(parses_u64("0xdeadBEEF", 0xdeadbeef));
    CHECK(parses_u64("0xffffffffffffffff", UINT64_MAX));
    CHECK(parses_u64("0x00000000000000000001", 1));  // leading zeros are not overflow

    CHECK(rejects_u64(""));
    CHECK(rejects_u64("0x"));
    CHECK(rejects_u64("0X"));
    CHECK(rejects_u64("x10"));
    CHECK(rejects_u64("18446744073709551616"));
    CHECK(rejects_u64("99999999999999999999"));
    CHECK(rejects_u64("0x10000000000000000"));
    CHECK(rejects_u64("12a"));
    CHECK(rejects_u64("0x12g"));
    CHECK(rejects_u64("-1"));
    CHECK(rejects_u64("+1"));
    CHECK(rejects_u64(" 1"));
    CHECK(rejects_u64("1 "));
    CHECK(rejects_u64("1.5"));

    // Only n characters are looked at.
    uint64_t value = 0;
    CHECK(parse_u64("123xyz", 3, value));
    CHECK(value == 123);
    CHECK(parse_u64("0x1f,9600", 4, value));
    CHECK(value == 0x1f);
}

TEST_CASE("parse_size edge cases", "[cmdline]") {
    CHECK(parses_size("0", 0));
    CHECK(parses_size("4096", 4096));
    CHECK(parses_size("4K", 4 * kKiB));
    CHECK(parses_size("4k", 4096));
    CHECK(parses_size("16M", 16 * kMiB));
    CHECK(parses_size("2g", 2 * kGiB));
    CHECK(parses_size("0x10M", 16 * kMiB));
    CHECK(parses_size("17179869183G", 17179869183ull * kGiB));  // 2^34 - 1 GiB fits
    CHECK(parses_size("18446744073709551615", UINT64_MAX));

    CHECK(rejects_size(""));
    CHECK(rejects_size("K"));
    CHECK(rejects_size("0xK"));
    CHECK(rejects_size("0x"));
    CHECK(rejects_size("17179869184G"));  // 2^64: overflow after scaling
    CHECK(rejects_size("18014398509481984K"));
    CHECK(rejects_size("4T"));
    CHECK(rejects_size("4KB"));
    CHECK(rejects_size("4 K"));
    CHECK(rejects_size("18446744073709551616"));
}

TEST_CASE("slice_us and run_limit_ms take bounded decimal values") {
    auto o = bulkhead::parse_hypervisor_cmdline("slice_us=2500 run_limit_ms=3000", nullptr, nullptr);
    CHECK(o.slice_us == 2500);
    CHECK(o.run_limit_ms == 3000);
    o = bulkhead::parse_hypervisor_cmdline("", nullptr, nullptr);
    CHECK(o.slice_us == bulkhead::kDefaultSliceMicroseconds);
    CHECK(o.run_limit_ms == 0);
    int problems = 0;
    auto count = [](void* c, const bulkhead::CmdlineDiagnostic&) { ++*static_cast<int*>(c); };
    o = bulkhead::parse_hypervisor_cmdline("slice_us=99 slice_us=1000001 slice_us=0x10 run_limit_ms=-1 run_limit_ms=1ms",
                                           count, &problems);
    CHECK(problems == 5);
    CHECK(o.slice_us == bulkhead::kDefaultSliceMicroseconds);
    CHECK(o.run_limit_ms == 0);
}

TEST_CASE("console_timestamps is none (the default) or ticks") {
    using bulkhead::ConsoleTimestamps;
    CHECK(bulkhead::parse_hypervisor_cmdline("", nullptr, nullptr).console_timestamps == ConsoleTimestamps::None);
    CHECK(bulkhead::parse_hypervisor_cmdline("console_timestamps=ticks", nullptr, nullptr).console_timestamps ==
          ConsoleTimestamps::Ticks);
    int problems = 0;
    auto count = [](void* c, const bulkhead::CmdlineDiagnostic&) { ++*static_cast<int*>(c); };
    const auto o = bulkhead::parse_hypervisor_cmdline("console_timestamps=ticks console_timestamps=us", count, &problems);
    CHECK(problems == 1);
    CHECK(o.console_timestamps == ConsoleTimestamps::Ticks);
    CHECK(std::string(bulkhead::to_string(ConsoleTimestamps::Ticks)) == "ticks");
}
