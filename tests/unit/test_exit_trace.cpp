// The exit trace: the per-CPU ring of the last VM exits (sequence numbers,
// snapshots filtered by partition, wrap-around) and the text each entry
// decodes to.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "arch/x86_64/vmcs_fields.hpp"
#include "vmm/exit_trace.hpp"

using namespace bulkhead;
using x86::vmx::ExitReason;
using x86::vmx::IoQualification;

namespace {

TraceEntry entry(ExitReason reason, uint64_t qualification = 0, uint64_t detail0 = 0, uint64_t detail1 = 0) {
    TraceEntry e{};
    e.reason = static_cast<uint16_t>(reason);
    e.qualification = qualification;
    e.detail[0] = detail0;
    e.detail[1] = detail1;
    return e;
}

TraceEntry for_partition(uint16_t partition, uint64_t rip) {
    TraceEntry e = entry(ExitReason::Hlt);
    e.partition = partition;
    e.rip = rip;
    e.tsc = rip * 10;
    return e;
}

std::string exit_text(const TraceEntry& e) {
    char out[256];
    const size_t n = describe_exit(e, out, sizeof out);
    REQUIRE(n < sizeof out);
    REQUIRE(n == std::string(out).size());
    return out;
}

// I/O exit qualifications, laid out as in the SDM's table.
uint64_t io(unsigned size, bool in, uint16_t port, bool string = false, bool rep = false) {
    return uint64_t{size - 1} | (in ? IoQualification::kDirectionIn : 0) | (string ? IoQualification::kString : 0) |
           (rep ? IoQualification::kRep : 0) | (uint64_t{port} << IoQualification::kPortShift);
}

// The ring is 256 entries of 56 bytes: keep it off the test's stack.
std::unique_ptr<TraceRing> make_ring() { return std::make_unique<TraceRing>(); }

}  // namespace

// ---- the ring -----------------------------------------------------------------

TEST_CASE("an empty ring has nothing to show") {
    auto ring = make_ring();
    TraceEntry out[4];
    CHECK(ring->recorded() == 0);
    CHECK(ring->snapshot(TraceRing::kAllPartitions, out, 4) == 0);
    CHECK(ring->snapshot(0, out, 4) == 0);
}

TEST_CASE("record assigns sequence numbers 1, 2, ... and keeps the entry's fields") {
    auto ring = make_ring();
    TraceEntry e = entry(ExitReason::Cpuid, 0x77, 0x40000000, 5);
    e.tsc = 1000;
    e.rip = 0xfff0;
    e.handling_ticks = 42;
    e.partition = 3;
    e.sequence = 999;   // ignored: the ring numbers its entries itself
    TraceEntry& first = ring->record(e);
    CHECK(first.sequence == 1);
    CHECK(ring->record(e).sequence == 2);
    CHECK(ring->record(e).sequence == 3);
    CHECK(ring->recorded() == 3);

    TraceEntry out[8];
    REQUIRE(ring->snapshot(TraceRing::kAllPartitions, out, 8) == 3);
    for (int i = 0; i < 3; ++i) {
        CHECK(out[i].sequence == static_cast<uint64_t>(i + 1));
        CHECK(out[i].tsc == 1000);
        CHECK(out[i].rip == 0xfff0);
        CHECK(out[i].qualification == 0x77);
        CHECK(out[i].detail[0] == 0x40000000);
        CHECK(out[i].detail[1] == 5);
        CHECK(out[i].handling_ticks == 42);
        CHECK(out[i].reason == static_cast<uint16_t>(ExitReason::Cpuid));
        CHECK(out[i].partition == 3);
    }
}

TEST_CASE("a snapshot is oldest first and filtered by partition") {
    auto ring = make_ring();
    // Partitions 0, 1 and 2 interleaved: rip = 100 * partition + index.
    for (uint64_t i = 0; i < 10; ++i) ring->record(for_partition(static_cast<uint16_t>(i % 3), 100 * (i % 3) + i));

    TraceEntry out[16];
    REQUIRE(ring->snapshot(TraceRing::kAllPartitions, out, 16) == 10);
    for (uint64_t i = 0; i < 10; ++i) {
        CHECK(out[i].sequence == i + 1);
        CHECK(out[i].partition == i % 3);
        CHECK(out[i].rip == 100 * (i % 3) + i);
    }

    // Partition 1 was recorded at indexes 1, 4, 7.
    REQUIRE(ring->snapshot(1, out, 16) == 3);
    CHECK(out[0].sequence == 2);
    CHECK(out[1].sequence == 5);
    CHECK(out[2].sequence == 8);
    CHECK(out[0].rip == 101);
    CHECK(out[1].rip == 104);
    CHECK(out[2].rip == 107);
    for (int i = 0; i < 3; ++i) CHECK(out[i].partition == 1);

    // Partition 0: indexes 0, 3, 6, 9.
    REQUIRE(ring->snapshot(0, out, 16) == 4);
    CHECK(out[0].sequence == 1);
    CHECK(out[3].sequence == 10);

    // A partition that never exited.
    CHECK(ring->snapshot(7, out, 16) == 0);
}

TEST_CASE("a capacity smaller than what is there gives the newest entries, oldest first") {
    auto ring = make_ring();
    for (uint64_t i = 0; i < 20; ++i) ring->record(for_partition(static_cast<uint16_t>(i & 1), i));

    TraceEntry out[5];
    REQUIRE(ring->snapshot(TraceRing::kAllPartitions, out, 3) == 3);
    CHECK(out[0].sequence == 18);
    CHECK(out[1].sequence == 19);
    CHECK(out[2].sequence == 20);

    // Partition 0 holds the even indexes, sequences 1, 3, ..., 19.
    REQUIRE(ring->snapshot(0, out, 4) == 4);
    CHECK(out[0].sequence == 13);
    CHECK(out[1].sequence == 15);
    CHECK(out[2].sequence == 17);
    CHECK(out[3].sequence == 19);

    // Capacity 1: just the newest; capacity 0: nothing, and out is not touched.
    REQUIRE(ring->snapshot(1, out, 1) == 1);
    CHECK(out[0].sequence == 20);
    out[0].sequence = 12345;
    CHECK(ring->snapshot(TraceRing::kAllPartitions, out, 0) == 0);
    CHECK(out[0].sequence == 12345);
}

TEST_CASE("after more than kEntries records only the newest kEntries survive") {
    auto ring = make_ring();
    constexpr uint64_t kRecorded = 3 * TraceRing::kEntries + 44;   // 812
    for (uint64_t i = 1; i <= kRecorded; ++i) {
        TraceEntry e = for_partition(static_cast<uint16_t>(i % 2), i);
        CHECK(ring->record(e).sequence == i);
    }
    CHECK(ring->recorded() == kRecorded);

    std::vector<TraceEntry> out(TraceRing::kEntries + 10);
    REQUIRE(ring->snapshot(TraceRing::kAllPartitions, out.data(), out.size()) == TraceRing::kEntries);
    const uint64_t first = kRecorded - TraceRing::kEntries + 1;   // 557
    for (size_t i = 0; i < TraceRing::kEntries; ++i) {
        CHECK(out[i].sequence == first + i);
        CHECK(out[i].rip == first + i);   // the entry's own data, not a stale slot's
        CHECK(out[i].partition == (first + i) % 2);
    }

    // Per partition: half of the surviving 256, the odd sequences for partition 1.
    REQUIRE(ring->snapshot(1, out.data(), out.size()) == TraceRing::kEntries / 2);
    CHECK(out[0].sequence == 557);
    CHECK(out[TraceRing::kEntries / 2 - 1].sequence == 811);
    for (size_t i = 1; i < TraceRing::kEntries / 2; ++i) CHECK(out[i].sequence == out[i - 1].sequence + 2);

    // Exactly kEntries records: all of them, from 1.
    auto exact = make_ring();
    for (uint64_t i = 1; i <= TraceRing::kEntries; ++i) exact->record(for_partition(0, i));
    REQUIRE(exact->snapshot(0, out.data(), out.size()) == TraceRing::kEntries);
    CHECK(out[0].sequence == 1);
    CHECK(out[TraceRing::kEntries - 1].sequence == TraceRing::kEntries);
    // One more pushes the first out.
    exact->record(for_partition(0, 0));
    REQUIRE(exact->snapshot(0, out.data(), out.size()) == TraceRing::kEntries);
    CHECK(out[0].sequence == 2);
    CHECK(out[TraceRing::kEntries - 1].sequence == TraceRing::kEntries + 1);
}

TEST_CASE("the handling time is filled in later and saturates at UINT32_MAX") {
    auto ring = make_ring();
    TraceEntry& e = ring->record(entry(ExitReason::Hlt));
    TraceRing::set_handling_ticks(e, 87);
    TraceEntry out[1];
    REQUIRE(ring->snapshot(TraceRing::kAllPartitions, out, 1) == 1);
    CHECK(out[0].handling_ticks == 87);

    TraceRing::set_handling_ticks(e, UINT32_MAX);
    CHECK(e.handling_ticks == UINT32_MAX);
    TraceRing::set_handling_ticks(e, uint64_t{UINT32_MAX} - 1);
    CHECK(e.handling_ticks == UINT32_MAX - 1);
    TraceRing::set_handling_ticks(e, uint64_t{UINT32_MAX} + 1);
    CHECK(e.handling_ticks == UINT32_MAX);
    TraceRing::set_handling_ticks(e, 0x123456789abcull);
    CHECK(e.handling_ticks == UINT32_MAX);
    TraceRing::set_handling_ticks(e, UINT64_MAX);
    CHECK(e.handling_ticks == UINT32_MAX);
    TraceRing::set_handling_ticks(e, 0);
    CHECK(e.handling_ticks == 0);
}

// ---- decoding -----------------------------------------------------------------

TEST_CASE("CPUID shows its leaf and subleaf") {
    CHECK(exit_text(entry(ExitReason::Cpuid, 0, 0x40000000, 0)) == "CPUID leaf 0x40000000 subleaf 0x0");
    CHECK(exit_text(entry(ExitReason::Cpuid, 0, 7, 1)) == "CPUID leaf 0x7 subleaf 0x1");
}

TEST_CASE("I/O exits show the direction, size and port, and the value written") {
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(1, false, 0x3f8), 0x1234)) ==
          "OUT 1-byte port 0x3f8 value 0x34");
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(2, false, 0x64), 0xdeadbeef)) ==
          "OUT 2-byte port 0x64 value 0xbeef");
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(4, false, 0xcf8), 0x1122334480000010ull)) ==
          "OUT 4-byte port 0xcf8 value 0x80000010");
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(1, true, 0x3f8), 0x55)) == "IN 1-byte port 0x3f8");
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(4, true, 0xcfc))) == "IN 4-byte port 0xcfc");
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(2, true, 0xffff))) == "IN 2-byte port 0xffff");
    // String instructions, with and without REP.
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(1, true, 0x1f0, true))) == "INS 1-byte port 0x1f0");
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(2, true, 0x1f0, true, true))) ==
          "REP INS 2-byte port 0x1f0");
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(1, false, 0x3f8, true, true), 0x41)) ==
          "REP OUTS 1-byte port 0x3f8");
    CHECK(exit_text(entry(ExitReason::IoInstruction, io(4, false, 0x80, true))) == "OUTS 4-byte port 0x80");
}

TEST_CASE("RDMSR and WRMSR show the MSR and the value written") {
    CHECK(exit_text(entry(ExitReason::Rdmsr, 0, 0x1b)) == "RDMSR 0x1b");
    CHECK(exit_text(entry(ExitReason::Wrmsr, 0, 0xc0000080, 0xd01)) == "WRMSR 0xc0000080 value 0xd01");
    CHECK(exit_text(entry(ExitReason::Wrmsr, 0, 0x6e0, UINT64_MAX)) == "WRMSR 0x6e0 value 0xffffffffffffffff");
}

TEST_CASE("VMCALL shows the hypercall by name, its number and first argument") {
    CHECK(exit_text(entry(ExitReason::Vmcall, 0, 0, 0)) == "VMCALL abi_version (call 0, arg 0x0)");
    CHECK(exit_text(entry(ExitReason::Vmcall, 0, 0, 0x1000)) == "VMCALL abi_version (call 0, arg 0x1000)");
    CHECK(exit_text(entry(ExitReason::Vmcall, 0, 0xdead, 7)) == "VMCALL unknown (call 57005, arg 0x7)");
}

TEST_CASE("control-register accesses show the register, the GPR and the value") {
    // MOV to CR3 from RAX (access type 0, CR 3, GPR 0).
    CHECK(exit_text(entry(ExitReason::CrAccess, 0x3, 0x1000)) == "MOV to CR3 from rax value 0x1000");
    // MOV to CR0 from R15: GPR 15 in bits 11:8.
    CHECK(exit_text(entry(ExitReason::CrAccess, 0xf00, 0x80000011)) == "MOV to CR0 from r15 value 0x80000011");
    // MOV to CR4 from RDX.
    CHECK(exit_text(entry(ExitReason::CrAccess, 0x204, 0x2020)) == "MOV to CR4 from rdx value 0x2020");
    // MOV from CR8 to RSI (access type 1 in bits 5:4).
    CHECK(exit_text(entry(ExitReason::CrAccess, 0x618)) == "MOV from CR8 to rsi");
    CHECK(exit_text(entry(ExitReason::CrAccess, 0x20)) == "CLTS");
    // LMSW with source 0x0011 in bits 31:16.
    CHECK(exit_text(entry(ExitReason::CrAccess, 0x00110030)) == "LMSW 0x11");
}

TEST_CASE("EPT violations show the access, the addresses and what EPT allows") {
    // A write (bit 1) to a read-only page (bit 3), linear address valid (bit 7).
    CHECK(exit_text(entry(ExitReason::EptViolation, 0x8a, 0xfee00030, 0xfffff000fee00030ull)) ==
          "EPT violation: write of guest-physical 0xfee00030 (linear 0xfffff000fee00030), EPT allows r--");
    // The same without bit 7: no linear address.
    CHECK(exit_text(entry(ExitReason::EptViolation, 0x0a, 0xfee00030, 0xfffff000fee00030ull)) ==
          "EPT violation: write of guest-physical 0xfee00030, EPT allows r--");
    // A read of a page EPT does not map at all.
    CHECK(exit_text(entry(ExitReason::EptViolation, 0x01, 0x100000000ull)) ==
          "EPT violation: read of guest-physical 0x100000000, EPT allows ---");
    // An instruction fetch (bit 2) from a readable, writable page.
    CHECK(exit_text(entry(ExitReason::EptViolation, 0x9c, 0x2000, 0x7000)) ==
          "EPT violation: fetch of guest-physical 0x2000 (linear 0x7000), EPT allows rw-");
    // Everything allowed (bits 3-5).
    CHECK(exit_text(entry(ExitReason::EptViolation, 0x3a, 0x3000)) ==
          "EPT violation: write of guest-physical 0x3000, EPT allows rwx");
}

TEST_CASE("events show their vector") {
    // Valid external interrupt, vector 0x30.
    CHECK(exit_text(entry(ExitReason::ExternalInterrupt, 0, 0x80000030)) == "external interrupt vector 0x30");
    // #PF: hardware exception (type 3) with an error code, vector 14.
    CHECK(exit_text(entry(ExitReason::ExceptionOrNmi, 0, 0x80000b0e)) == "exception or NMI vector 0xe");
}

TEST_CASE("XSETBV shows the XCR and the value") {
    CHECK(exit_text(entry(ExitReason::Xsetbv, 0, 0, 0x7)) == "XSETBV XCR0 value 0x7");
}

TEST_CASE("exits with nothing to decode show just their name") {
    CHECK(exit_text(entry(ExitReason::Hlt, 0x1234, 5, 6)) == "HLT");
    CHECK(exit_text(entry(ExitReason::PreemptionTimer)) == "VMX-preemption timer expired");
    CHECK(exit_text(entry(ExitReason::InterruptWindow)) == "interrupt window");
    CHECK(exit_text(entry(ExitReason::TripleFault)) == "triple fault");
}

TEST_CASE("other reasons fall back to the name, the number and the qualification") {
    CHECK(exit_text(entry(ExitReason::Rdtsc, 0, 1, 2)) == "RDTSC (reason 16) qualification 0x0");
    CHECK(exit_text(entry(ExitReason::Invlpg, 0xffff800000001000ull)) ==
          "INVLPG (reason 14) qualification 0xffff800000001000");
    CHECK(exit_text(entry(ExitReason::EptMisconfig, 0x42)) == "EPT misconfiguration (reason 49) qualification 0x42");
    // Numbers the SDM does not use, and ones beyond the last reason.
    CHECK(exit_text(entry(static_cast<ExitReason>(35), 0x9)) == "unknown (reason 35) qualification 0x9");
    CHECK(exit_text(entry(static_cast<ExitReason>(0xffff), 0)) == "unknown (reason 65535) qualification 0x0");
}

TEST_CASE("a trace line shows the sequence, the relative time, the RIP and the handling time") {
    TraceEntry e = entry(ExitReason::IoInstruction, io(1, true, 0x3f8));
    e.sequence = 42;
    e.tsc = 101200;
    e.rip = 0x1000;
    e.handling_ticks = 87;
    char out[256];
    size_t n = describe_trace_entry(e, 100000, out, sizeof out);
    CHECK(std::string(out) == "#42 +1200 rip=0x1000 IN 1-byte port 0x3f8 (87 ticks)");
    CHECK(n == std::string(out).size());

    // A base after the entry clamps to +0 rather than wrapping.
    describe_trace_entry(e, 200000, out, sizeof out);
    CHECK(std::string(out) == "#42 +0 rip=0x1000 IN 1-byte port 0x3f8 (87 ticks)");

    e = entry(ExitReason::Cpuid, 0, 1, 0);
    e.sequence = 1;
    e.tsc = 5;
    e.rip = 0xffffffff81000000ull;
    e.handling_ticks = UINT32_MAX;
    describe_trace_entry(e, 5, out, sizeof out);
    CHECK(std::string(out) == "#1 +0 rip=0xffffffff81000000 CPUID leaf 0x1 subleaf 0x0 (4294967295 ticks)");
}

TEST_CASE("decoding into a small buffer stays NUL-terminated and returns the full length") {
    const TraceEntry e = entry(ExitReason::Cpuid, 0, 0x40000000, 0);
    const std::string full = "CPUID leaf 0x40000000 subleaf 0x0";
    char out[10];
    memset(out, 'z', sizeof out);
    CHECK(describe_exit(e, out, sizeof out) == full.size());
    CHECK(std::string(out) == full.substr(0, sizeof out - 1));

    TraceEntry t = e;
    t.sequence = 7;
    char line[8];
    memset(line, 'z', sizeof line);
    const size_t n = describe_trace_entry(t, 0, line, sizeof line);
    CHECK(n == std::string("#7 +0 rip=0x0 CPUID leaf 0x40000000 subleaf 0x0 (0 ticks)").size());
    CHECK(std::string(line) == "#7 +0 r");
}
