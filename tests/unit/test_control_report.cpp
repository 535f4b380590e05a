// The `list` and `stats` reports that the monitor and bulkheadctl share.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "vmm/control_report.hpp"

using namespace bulkhead;

namespace {

void collect(void* context, const char* line) { static_cast<std::vector<std::string>*>(context)->emplace_back(line); }

bh_partition_status status_of(unsigned id, const char* name, unsigned state) {
    bh_partition_status s{};
    s.id = id;
    s.state = static_cast<unsigned char>(state);
    s.cpu = 1;
    s.starts = 2;
    s.memory_bytes = 192ull << 20;
    s.uptime_us = 80193000;
    s.cpu_time_us = 79168000;
    s.exits = 51145;
    std::strncpy(s.name, name, sizeof s.name - 1);
    return s;
}

}  // namespace

TEST_CASE("a list row shows the state by name, sizes in MiB, times in ms, and the flags") {
    std::vector<std::string> lines;
    bh_partition_status s = status_of(0, "linux", BH_STATE_READY);
    s.flags = BH_PARTITION_CONTROL;
    report_list_header(collect, &lines);
    report_list_row(s, " traced", collect, &lines);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "id name             state       cpu   memory   uptime-ms      cpu-ms      exits starts");
    CHECK(lines[1] == " 0 linux            ready         1     192M       80193       79168      51145      2 control traced");
}

TEST_CASE("every partition state has its name; others are unknown") {
    CHECK(std::string(partition_state_name(BH_STATE_NOT_STARTED)) == "not-started");
    CHECK(std::string(partition_state_name(BH_STATE_WAITING)) == "waiting");
    CHECK(std::string(partition_state_name(BH_STATE_STOPPED)) == "stopped");
    CHECK(std::string(partition_state_name(99)) == "unknown");
}

TEST_CASE("a name that fills its field without a NUL is cut, not overrun") {
    std::vector<std::string> lines;
    bh_partition_status s = status_of(3, "x", BH_STATE_EXITED);
    std::memset(s.name, 'a', sizeof s.name);
    report_list_row(s, "", collect, &lines);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(std::string(15, 'a') + " ") != std::string::npos);
    CHECK(lines[0].find(std::string(16, 'a')) == std::string::npos);
}

TEST_CASE("stats without traced time give the hint, with it the shares") {
    bh_partition_stats s{};
    s.exits = 376;
    s.cpu_ticks = 896250;
    s.by_reason[30] = {368, 0};   // I/O instruction
    s.port_count = 1;
    s.ports[0] = {0x3f8, 0, 0, 184, 0};
    std::vector<std::string> lines;
    report_stats("hello", s, "bulkheadctl trace", collect, &lines);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == "stats 'hello': 376 exits in 896250 ticks of CPU time");
    CHECK(lines[1] == "  handling times are measured while it is traced: 'bulkheadctl trace hello on'");
    CHECK(lines[3].find("I/O instruction") != std::string::npos);
    CHECK(lines[4].rfind("  port 0x3f8", 0) == 0);

    s.traced_cpu_ticks = 1000;
    s.handling_ticks = 250;
    s.by_reason[30].ticks = 200;
    lines.clear();
    report_stats("hello", s, "trace", collect, &lines);
    CHECK(lines[1] == "  while traced: 1000 ticks of CPU time, 250 (25.0%) of them handling its exits");
    CHECK(lines[3].substr(lines[3].size() - 5) == "20.0%");
}
