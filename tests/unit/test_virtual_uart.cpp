// The partition's virtual UART: lines come out whole and in order, nothing is
// lost, and a driver's register dance (divisor latch, status polling) works.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "vmm/virtual_uart.hpp"

using namespace bulkhead;

namespace {
std::vector<std::string> g_lines;
void sink(void*, const char* line, size_t length) { g_lines.emplace_back(line, length); }
void out(VirtualUart& uart, const std::string& s) {
    for (char c : s) uart.write(VirtualUart::kBasePort, static_cast<uint8_t>(c), sink, nullptr);
}
}  // namespace

TEST_CASE("bytes become lines, CR dropped") {
    g_lines.clear();
    VirtualUart uart;
    out(uart, "one\r\ntwo\n");
    CHECK(g_lines == std::vector<std::string>{"one", "two"});
    CHECK(uart.bytes_transmitted() == 9);
}

TEST_CASE("an over-long line is passed on in pieces, nothing lost") {
    g_lines.clear();
    VirtualUart uart;
    const std::string long_line(VirtualUart::kMaxLine * 2 + 5, 'x');
    out(uart, long_line + "\n");
    std::string joined;
    for (auto& l : g_lines) joined += l;
    CHECK(joined == long_line);
    CHECK(g_lines.size() == 3);
}

TEST_CASE("a partial line is flushed when the partition stops") {
    g_lines.clear();
    VirtualUart uart;
    out(uart, "no newline");
    CHECK(g_lines.empty());
    uart.flush(sink, nullptr);
    CHECK(g_lines == std::vector<std::string>{"no newline"});
}

TEST_CASE("status registers report an idle transmitter; divisor latch is separate from data") {
    g_lines.clear();
    VirtualUart uart;
    const uint16_t base = VirtualUart::kBasePort;
    CHECK((uart.read(base + 5) & 0x60) == 0x60);
    uart.write(base + 3, 0x80, sink, nullptr);   // DLAB on
    uart.write(base + 0, 0x01, sink, nullptr);   // divisor low: not output
    uart.write(base + 1, 0x00, sink, nullptr);
    CHECK(uart.read(base + 0) == 0x01);
    uart.write(base + 3, 0x03, sink, nullptr);   // 8N1, DLAB off
    uart.write(base + 7, 0x5a, sink, nullptr);
    CHECK(uart.read(base + 7) == 0x5a);
    CHECK(uart.bytes_transmitted() == 0);
    out(uart, "x\n");
    CHECK(g_lines == std::vector<std::string>{"x"});
}

TEST_CASE("the UART owns exactly COM1's eight ports") {
    CHECK_FALSE(VirtualUart::owns(0x3f7));
    CHECK(VirtualUart::owns(0x3f8));
    CHECK(VirtualUart::owns(0x3ff));
    CHECK_FALSE(VirtualUart::owns(0x400));
}
