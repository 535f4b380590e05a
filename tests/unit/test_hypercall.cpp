// The hypervisor side of the hypercall ABI: every call, every error code, and
// that no argument reaches outside the partition's memory.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "include/bulkhead/hypercall.h"
#include "vmm/hypercall.hpp"

using namespace bulkhead;

namespace {

struct Harness {
    std::vector<uint8_t> memory = std::vector<uint8_t>(64 * 1024, 0);
    VirtualUart uart;
    std::vector<std::string> lines;
    HypercallContext context{{memory.data(), memory.size()}, uart, &Harness::sink, this, 3, "alpha"};

    static void sink(void* self, const char* line, size_t length, bool) {
        static_cast<Harness*>(self)->lines.emplace_back(line, length);
    }
    HypercallResult call(uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0) { return handle_hypercall(nr, a0, a1, 0, context); }
};

}  // namespace

TEST_CASE("the ABI version is 1.3") {
    Harness h;
    auto r = h.call(BH_HC_ABI_VERSION);
    CHECK(r.value == 0x10003);
    CHECK(r.action == HypercallAction::Resume);
}

TEST_CASE("console_write prints whole lines through the partition's console") {
    Harness h;
    const std::string text = "hello\nworld";
    std::copy(text.begin(), text.end(), h.memory.begin() + 0x1000);
    auto r = h.call(BH_HC_CONSOLE_WRITE, 0x1000, text.size());
    CHECK(r.value == static_cast<int64_t>(text.size()));
    REQUIRE(h.lines.size() == 1);
    CHECK(h.lines[0] == "hello");
    h.uart.flush(&Harness::sink, &h);
    CHECK(h.lines.back() == "world");
}

TEST_CASE("console_write refuses buffers outside the partition and huge lengths") {
    Harness h;
    const uint64_t size = h.memory.size();
    CHECK(h.call(BH_HC_CONSOLE_WRITE, size - 4, 8).value == BH_E_BAD_ADDRESS);
    CHECK(h.call(BH_HC_CONSOLE_WRITE, size, 1).value == BH_E_BAD_ADDRESS);
    CHECK(h.call(BH_HC_CONSOLE_WRITE, ~0ull - 2, 4).value == BH_E_BAD_ADDRESS);   // wraps around
    CHECK(h.call(BH_HC_CONSOLE_WRITE, 0, BH_MAX_TRANSFER + 1).value == BH_E_TOO_LARGE);
    CHECK(h.call(BH_HC_CONSOLE_WRITE, 0, ~0ull).value == BH_E_TOO_LARGE);
    CHECK(h.call(BH_HC_CONSOLE_WRITE, size - 1, 1).value == 1);
    CHECK(h.call(BH_HC_CONSOLE_WRITE, size, 0).value == 0);
}

TEST_CASE("partition_info writes the name and returns the id") {
    Harness h;
    auto r = h.call(BH_HC_PARTITION_INFO, 0x2000, 16);
    CHECK(r.value == 3);
    CHECK(std::string(reinterpret_cast<char*>(h.memory.data() + 0x2000)) == "alpha");
    CHECK(h.call(BH_HC_PARTITION_INFO, 0x2000, 0).value == BH_E_BAD_ARGUMENT);
    CHECK(h.call(BH_HC_PARTITION_INFO, 0x2000, 5).value == BH_E_BAD_ARGUMENT);   // no room for the NUL
    CHECK(h.call(BH_HC_PARTITION_INFO, h.memory.size() - 2, 16).value == BH_E_BAD_ADDRESS);
    CHECK(h.call(BH_HC_PARTITION_INFO, 0, BH_MAX_TRANSFER + 1).value == BH_E_TOO_LARGE);
}

TEST_CASE("yield and exit tell the scheduler what to do") {
    Harness h;
    CHECK(h.call(BH_HC_YIELD).action == HypercallAction::Yield);
    auto r = h.call(BH_HC_EXIT, 7);
    CHECK(r.action == HypercallAction::Exit);
    CHECK(r.exit_status == 7);
}

TEST_CASE("unknown call numbers return BH_E_UNKNOWN_CALL") {
    Harness h;
    for (uint64_t nr : {5ull, 100ull, ~0ull}) {
        auto r = h.call(nr);
        CHECK(r.value == BH_E_UNKNOWN_CALL);
        CHECK(r.action == HypercallAction::Resume);
    }
}
