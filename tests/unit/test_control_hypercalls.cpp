// The control hypercalls: refused for partitions without the capability,
// checked ids, bounded copies, and requests passed on unchanged.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "include/bulkhead/hypercall.h"
#include "vmm/hypercall.hpp"

using namespace bulkhead;

namespace {

// A control plane over three fake partitions that records every request.
struct FakePlane {
    struct Request {
        uint32_t id;
        ControlOp op;
        uint32_t by;
    };
    std::vector<Request> requests;
    std::vector<std::pair<uint32_t, bool>> traces;
    int64_t answer = 0;
    ControlPlane plane{this,
                       &FakePlane::count,
                       &FakePlane::describe,
                       &FakePlane::request,
                       &FakePlane::stats,
                       &FakePlane::set_trace,
                       &FakePlane::read_trace};

    static size_t count(void*) { return 3; }
    static void describe(void*, uint32_t id, bh_partition_status& out) {
        out.id = id;
        out.state = BH_STATE_READY;
        out.cpu = static_cast<uint8_t>(id % 2);
        std::snprintf(out.name, sizeof out.name, "p%u", id);
    }
    static int64_t request(void* self, uint32_t id, ControlOp op, uint32_t by) {
        auto* plane = static_cast<FakePlane*>(self);
        plane->requests.push_back({id, op, by});
        return plane->answer;
    }
    static void stats(void*, uint32_t id, bh_partition_stats& out) {
        out.exits = 100 + id;
        out.by_reason[10] = {7, 700};   // CPUID
        out.port_count = 1;
        out.ports[0] = {0x3f8, 0, 1, 2, 30};
    }
    static void set_trace(void* self, uint32_t id, bool on) { static_cast<FakePlane*>(self)->traces.push_back({id, on}); }
    // Partition `id` has id + 1 traced exits, sequences 1 ...
    static size_t read_trace(void*, uint32_t id, bh_trace_entry* out, size_t capacity) {
        size_t n = 0;
        for (; n < id + 1 && n < capacity; ++n) out[n] = bh_trace_entry{n + 1, 0, 0x1000 + n, 0, {0, 0}, 5, 10, static_cast<unsigned short>(id)};
        return n;
    }
};

struct Harness {
    std::vector<uint8_t> memory = std::vector<uint8_t>(64 * 1024, 0);
    VirtualUart uart;
    FakePlane fake;
    HypercallContext context{{memory.data(), memory.size()}, uart, nullptr, nullptr, 1, "ctl", &fake.plane};

    HypercallResult call(uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0) {
        return handle_hypercall(nr, a0, a1, a2, context);
    }
    bh_partition_status entry(uint64_t gpa, size_t i) {
        bh_partition_status s;
        std::memcpy(&s, memory.data() + gpa + i * sizeof s, sizeof s);
        return s;
    }
};

constexpr uint64_t kRequestCalls[] = {BH_HC_CONTROL_PAUSE, BH_HC_CONTROL_RESUME, BH_HC_CONTROL_STOP,
                                      BH_HC_CONTROL_RESTART, BH_HC_CONTROL_START};
constexpr uint64_t kAllControlCalls[] = {BH_HC_CONTROL_LIST,  BH_HC_CONTROL_PAUSE, BH_HC_CONTROL_RESUME,
                                         BH_HC_CONTROL_STOP,  BH_HC_CONTROL_RESTART, BH_HC_CONTROL_START,
                                         BH_HC_CONTROL_STATS, BH_HC_CONTROL_TRACE, BH_HC_CONTROL_TRACE_READ};

}  // namespace

TEST_CASE("every control call is refused for a partition without the capability") {
    Harness h;
    h.context.control = nullptr;
    for (uint64_t nr : kAllControlCalls) CHECK(h.call(nr, 0, 0x1000, 4096).value == BH_E_NOT_PERMITTED);
    CHECK(h.fake.requests.empty());
    CHECK(h.fake.traces.empty());
}

TEST_CASE("hypercalls from guest user mode are refused unless the partition allows them") {
    Harness h;
    h.context.cpl = 3;
    for (uint64_t nr : kAllControlCalls) CHECK(h.call(nr, 0, 0x1000, 4096).value == BH_E_NOT_PERMITTED);
    CHECK(h.call(BH_HC_ABI_VERSION).value == BH_E_NOT_PERMITTED);
    CHECK(h.fake.requests.empty());
    h.context.user_mode_allowed = true;
    CHECK(h.call(BH_HC_ABI_VERSION).value == BH_ABI_VERSION);
    CHECK(h.call(BH_HC_CONTROL_PAUSE, 2).value == 0);
    CHECK(h.fake.requests.size() == 1);
}

TEST_CASE("stats copy the whole structure for an existing partition only") {
    Harness h;
    constexpr uint64_t kSize = sizeof(bh_partition_stats);
    CHECK(h.call(BH_HC_CONTROL_STATS, 3, 0x1000, kSize).value == BH_E_NO_SUCH_PARTITION);
    CHECK(h.call(BH_HC_CONTROL_STATS, 1, 0x1000, kSize - 1).value == BH_E_BAD_ARGUMENT);
    CHECK(h.call(BH_HC_CONTROL_STATS, 1, 0x1000, BH_MAX_TRANSFER + 1).value == BH_E_TOO_LARGE);
    CHECK(h.call(BH_HC_CONTROL_STATS, 1, h.memory.size() - kSize + 1, kSize).value == BH_E_BAD_ADDRESS);
    CHECK(h.call(BH_HC_CONTROL_STATS, 2, 0x1000, BH_MAX_TRANSFER).value == static_cast<int64_t>(kSize));
    bh_partition_stats s;
    std::memcpy(&s, h.memory.data() + 0x1000, sizeof s);
    CHECK(s.exits == 102);
    CHECK(s.by_reason[10].count == 7);
    CHECK(s.by_reason[10].ticks == 700);
    CHECK(s.port_count == 1);
    CHECK(s.ports[0].key == 0x3f8);
    CHECK(s.ports[0].ticks == 30);
}

TEST_CASE("trace switches take 0 or 1 for an existing partition") {
    Harness h;
    CHECK(h.call(BH_HC_CONTROL_TRACE, 0, 1).value == 0);
    CHECK(h.call(BH_HC_CONTROL_TRACE, 2, 0).value == 0);
    CHECK(h.call(BH_HC_CONTROL_TRACE, 2, 2).value == BH_E_BAD_ARGUMENT);
    CHECK(h.call(BH_HC_CONTROL_TRACE, 3, 1).value == BH_E_NO_SUCH_PARTITION);
    REQUIRE(h.fake.traces.size() == 2);
    CHECK(h.fake.traces[0] == std::make_pair(0u, true));
    CHECK(h.fake.traces[1] == std::make_pair(2u, false));
}

TEST_CASE("trace reads copy at most the capacity, inside the partition") {
    Harness h;
    constexpr uint64_t kEntry = sizeof(bh_trace_entry);
    CHECK(h.call(BH_HC_CONTROL_TRACE_READ, 2, 0x1000, 8).value == 3);
    bh_trace_entry e;
    std::memcpy(&e, h.memory.data() + 0x1000 + 2 * kEntry, sizeof e);
    CHECK(e.sequence == 3);
    CHECK(e.rip == 0x1002);
    CHECK(h.call(BH_HC_CONTROL_TRACE_READ, 2, 0x2000, 2).value == 2);
    CHECK(h.call(BH_HC_CONTROL_TRACE_READ, 2, 0x2000, 0).value == BH_E_BAD_ARGUMENT);
    CHECK(h.call(BH_HC_CONTROL_TRACE_READ, 2, 0x2000, BH_MAX_TRANSFER / kEntry + 1).value == BH_E_TOO_LARGE);
    CHECK(h.call(BH_HC_CONTROL_TRACE_READ, 2, h.memory.size() - kEntry, 2).value == BH_E_BAD_ADDRESS);
    CHECK(h.call(BH_HC_CONTROL_TRACE_READ, 9, 0x2000, 2).value == BH_E_NO_SUCH_PARTITION);
}

TEST_CASE("list copies every partition's status and returns the count") {
    Harness h;
    auto r = h.call(BH_HC_CONTROL_LIST, 0x1000, 8);
    CHECK(r.value == 3);
    CHECK(r.action == HypercallAction::Resume);
    CHECK(std::string(h.entry(0x1000, 2).name) == "p2");
    CHECK(h.entry(0x1000, 1).cpu == 1);
}

TEST_CASE("list copies no more entries than the capacity; capacity 0 asks for the count") {
    Harness h;
    CHECK(h.call(BH_HC_CONTROL_LIST, 0x1000, 1).value == 3);
    CHECK(std::string(h.entry(0x1000, 0).name) == "p0");
    CHECK(h.entry(0x1000, 1).name[0] == '\0');   // untouched
    CHECK(h.call(BH_HC_CONTROL_LIST, 0, 0).value == 3);
}

TEST_CASE("list refuses arrays outside the partition and oversized capacities") {
    Harness h;
    const uint64_t size = h.memory.size();
    CHECK(h.call(BH_HC_CONTROL_LIST, size - sizeof(bh_partition_status), 2).value == BH_E_BAD_ADDRESS);
    CHECK(h.call(BH_HC_CONTROL_LIST, ~0ull - 8, 3).value == BH_E_BAD_ADDRESS);
    CHECK(h.call(BH_HC_CONTROL_LIST, 0, ~0ull).value == BH_E_TOO_LARGE);
    // Only the entries that exist must fit: 3 entries at the very end is fine.
    CHECK(h.call(BH_HC_CONTROL_LIST, size - 3 * sizeof(bh_partition_status), 50).value == 3);
}

TEST_CASE("requests name an existing partition and pass the operation and the caller") {
    Harness h;
    CHECK(h.call(BH_HC_CONTROL_RESTART, 3).value == BH_E_NO_SUCH_PARTITION);
    CHECK(h.call(BH_HC_CONTROL_STOP, ~0ull).value == BH_E_NO_SUCH_PARTITION);
    CHECK(h.fake.requests.empty());

    const ControlOp ops[] = {ControlOp::Pause, ControlOp::Resume, ControlOp::Stop, ControlOp::Restart, ControlOp::Start};
    for (size_t i = 0; i < 5; ++i) {
        auto r = h.call(kRequestCalls[i], 2);
        CHECK(r.value == 0);
        CHECK(r.action == HypercallAction::Resume);
        REQUIRE(h.fake.requests.size() == i + 1);
        CHECK(h.fake.requests[i].id == 2);
        CHECK(h.fake.requests[i].op == ops[i]);
        CHECK(h.fake.requests[i].by == 1);
    }
}

TEST_CASE("the control plane's refusals reach the guest") {
    Harness h;
    h.fake.answer = BH_E_WRONG_STATE;
    CHECK(h.call(BH_HC_CONTROL_RESUME, 0).value == BH_E_WRONG_STATE);
    h.fake.answer = BH_E_BUSY;
    CHECK(h.call(BH_HC_CONTROL_STOP, 0).value == BH_E_BUSY);
}

TEST_CASE("a request about the caller itself lets it leave the CPU") {
    Harness h;
    auto r = h.call(BH_HC_CONTROL_RESTART, 1);
    CHECK(r.value == 0);
    CHECK(r.action == HypercallAction::Yield);
}

TEST_CASE("the status entry has the same layout in 32- and 64-bit guests") {
    CHECK(sizeof(bh_partition_status) == 72);
    CHECK(offsetof(bh_partition_status, memory_bytes) == 16);
    CHECK(offsetof(bh_partition_status, name) == 56);
}
