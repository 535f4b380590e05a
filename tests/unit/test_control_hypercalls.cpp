// The control hypercalls: refused for partitions without the capability,
// checked ids, bounded copies, and requests passed on unchanged.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <string>
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
    int64_t answer = 0;
    ControlPlane plane{this, &FakePlane::count, &FakePlane::describe, &FakePlane::request};

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
};

struct Harness {
    std::vector<uint8_t> memory = std::vector<uint8_t>(64 * 1024, 0);
    VirtualUart uart;
    FakePlane fake;
    HypercallContext context{{memory.data(), memory.size()}, uart, nullptr, nullptr, 1, "ctl", &fake.plane};

    HypercallResult call(uint64_t nr, uint64_t a0 = 0, uint64_t a1 = 0) { return handle_hypercall(nr, a0, a1, 0, context); }
    bh_partition_status entry(uint64_t gpa, size_t i) {
        bh_partition_status s;
        std::memcpy(&s, memory.data() + gpa + i * sizeof s, sizeof s);
        return s;
    }
};

constexpr uint64_t kRequestCalls[] = {BH_HC_CONTROL_PAUSE, BH_HC_CONTROL_RESUME, BH_HC_CONTROL_STOP,
                                      BH_HC_CONTROL_RESTART, BH_HC_CONTROL_START};

}  // namespace

TEST_CASE("every control call is refused for a partition without the capability") {
    Harness h;
    h.context.control = nullptr;
    CHECK(h.call(BH_HC_CONTROL_LIST, 0x1000, 4).value == BH_E_NOT_PERMITTED);
    for (uint64_t nr : kRequestCalls) CHECK(h.call(nr, 0).value == BH_E_NOT_PERMITTED);
    CHECK(h.fake.requests.empty());
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
