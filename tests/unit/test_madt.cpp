// Unit tests for kernel/madt: MADTs are built here byte by byte, with
// checksums computed by the test, and parsed from exactly-sized heap copies
// so AddressSanitizer catches any read past the end. read_madt is tested over
// a fake physical memory (a map from physical base addresses to byte buffers)
// like the one in test_acpi.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "arch/x86_64/acpi_tables.hpp"
#include "arch/x86_64/madt_tables.hpp"
#include "kernel/acpi.hpp"
#include "kernel/madt.hpp"

using namespace bulkhead;

namespace {

using Bytes = std::vector<uint8_t>;

// ------------------------------------------------------------ byte helpers

template <typename T>
void put(Bytes& bytes, size_t offset, const T& value) {
    REQUIRE(offset + sizeof(T) <= bytes.size());
    memcpy(bytes.data() + offset, &value, sizeof(T));
}

template <typename T>
Bytes bytes_of(const T& value) {
    Bytes bytes(sizeof(T));
    memcpy(bytes.data(), &value, sizeof(T));
    return bytes;
}

void append(Bytes& to, const Bytes& more) { to.insert(to.end(), more.begin(), more.end()); }

// Sets bytes[checksum_offset] so that bytes[0, covered) sums to zero.
void set_checksum(Bytes& bytes, size_t checksum_offset, size_t covered) {
    bytes[checksum_offset] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < covered; ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
    bytes[checksum_offset] = static_cast<uint8_t>(0 - sum);
}

constexpr size_t kSdtChecksumOffset = offsetof(AcpiSdtHeader, checksum);
constexpr size_t kSdtLengthOffset = offsetof(AcpiSdtHeader, length);

// Header + body with a correct length and checksum.
Bytes make_table(const char* signature, const Bytes& body) {
    Bytes table(sizeof(AcpiSdtHeader));
    AcpiSdtHeader header{};
    memcpy(header.signature, signature, kAcpiSignatureLength);
    header.length = static_cast<uint32_t>(sizeof(AcpiSdtHeader) + body.size());
    header.revision = 1;
    memcpy(header.oem_id, "BLKHD ", sizeof(header.oem_id));
    put(table, 0, header);
    append(table, body);
    set_checksum(table, kSdtChecksumOffset, table.size());
    return table;
}

// Changes a table's length field and re-signs the bytes it now covers, so
// only the length tells that anything changed.
void set_length_and_resign(Bytes& table, uint32_t length) {
    put(table, kSdtLengthOffset, length);
    set_checksum(table, kSdtChecksumOffset, std::min<size_t>(length, table.size()));
}

// ----------------------------------------------------------- MADT builder

constexpr uint32_t kLapicPhys = 0xFEE00000;    // where every PC has its local APICs
constexpr uint32_t kIoApicPhys = 0xFEC00000;
constexpr uint32_t kEnabled = kAcpiMadtProcessorEnabled;
constexpr uint32_t kOnlineCapable = kAcpiMadtProcessorOnlineCapable;
constexpr uint32_t kNotPresent = 0;

// MPS INTI flags of an interrupt source override: level-triggered, active high.
constexpr uint16_t kLevelActiveHigh = 0x000D;
constexpr uint8_t kAllProcessors = 0xFF;
constexpr uint8_t kLint1 = 1;

// Types the parser does not know by name: it must step over them.
constexpr uint8_t kTypeLocalX2apicNmi = 10;     // 12 bytes (QEMU in x2APIC mode)
constexpr uint8_t kTypeGicCpuInterface = 11;    // 82 bytes (ARM; never on x86)
constexpr uint8_t kTypeReservedForOem = 0x80;   // 0x80-0xFF: OEM-defined

struct MadtBuilder {
    uint32_t local_apic_address = kLapicPhys;
    uint32_t flags = kAcpiMadtPcatCompat;
    Bytes entries;

    template <typename Entry>
    MadtBuilder& add(Entry entry, uint8_t type) {
        entry.header = AcpiMadtEntryHeader{type, static_cast<uint8_t>(sizeof(Entry))};
        append(entries, bytes_of(entry));
        return *this;
    }
    MadtBuilder& lapic(uint8_t acpi_id, uint8_t apic_id, uint32_t cpu_flags = kEnabled) {
        AcpiMadtLocalApic entry{};
        entry.acpi_processor_id = acpi_id;
        entry.apic_id = apic_id;
        entry.flags = cpu_flags;
        return add(entry, kAcpiMadtTypeLocalApic);
    }
    MadtBuilder& x2apic(uint32_t x2apic_id, uint32_t uid, uint32_t cpu_flags = kEnabled) {
        AcpiMadtLocalX2apic entry{};
        entry.x2apic_id = x2apic_id;
        entry.acpi_processor_uid = uid;
        entry.flags = cpu_flags;
        return add(entry, kAcpiMadtTypeLocalX2apic);
    }
    MadtBuilder& io_apic(uint8_t id, uint32_t address, uint32_t gsi_base) {
        AcpiMadtIoApic entry{};
        entry.io_apic_id = id;
        entry.address = address;
        entry.gsi_base = gsi_base;
        return add(entry, kAcpiMadtTypeIoApic);
    }
    MadtBuilder& source_override(uint8_t irq, uint32_t gsi, uint16_t inti_flags = 0) {
        AcpiMadtInterruptSourceOverride entry{};
        entry.bus = 0;
        entry.source = irq;
        entry.gsi = gsi;
        entry.flags = inti_flags;
        return add(entry, kAcpiMadtTypeInterruptSourceOverride);
    }
    MadtBuilder& lapic_nmi(uint8_t acpi_id, uint8_t lint) {
        AcpiMadtLocalApicNmi entry{};
        entry.acpi_processor_id = acpi_id;
        entry.lint = lint;
        return add(entry, kAcpiMadtTypeLocalApicNmi);
    }
    MadtBuilder& address_override(uint64_t address) {
        AcpiMadtLocalApicAddressOverride entry{};
        entry.address = address;
        return add(entry, kAcpiMadtTypeLocalApicAddressOverride);
    }
    // Any entry, header included: type, length, then `body` (length need not
    // match, to build broken entries).
    MadtBuilder& raw(uint8_t type, uint8_t length, const Bytes& body) {
        entries.push_back(type);
        entries.push_back(length);
        append(entries, body);
        return *this;
    }

    Bytes build() const {
        AcpiMadt fixed{};
        fixed.local_apic_address = local_apic_address;
        fixed.flags = flags;
        Bytes body = bytes_of(fixed);
        body.erase(body.begin(), body.begin() + sizeof(AcpiSdtHeader));
        append(body, entries);
        return make_table(kAcpiMadtSignature, body);
    }
};

// Offsets where each entry starts, and the table end: where a table may be
// cut and still be well formed.
std::set<size_t> entry_boundaries(const Bytes& table) {
    std::set<size_t> boundaries;
    for (size_t offset = sizeof(AcpiMadt); offset < table.size(); offset += table[offset + 1])
        boundaries.insert(offset);
    boundaries.insert(table.size());
    return boundaries;
}

// Parses `length` bytes of `table` from a heap block of exactly that size.
MadtError parse(const Bytes& table, size_t length, MadtInfo& out) {
    REQUIRE(length <= table.size());
    std::unique_ptr<uint8_t[]> exact(new uint8_t[length]);
    std::copy_n(table.begin(), length, exact.get());
    return parse_madt(exact.get(), length, out);
}

MadtError parse(const Bytes& table, MadtInfo& out) { return parse(table, table.size(), out); }

// Field by field: padding bytes are not part of the answer.
bool same_cpu(const CpuDescriptor& a, const CpuDescriptor& b) {
    return a.apic_id == b.apic_id && a.acpi_uid == b.acpi_uid && a.x2apic == b.x2apic &&
           a.enabled == b.enabled && a.online_capable == b.online_capable;
}

bool same_info(const MadtInfo& a, const MadtInfo& b) {
    if (a.local_apic_address != b.local_apic_address || a.cpu_count != b.cpu_count ||
        a.cpus_ignored != b.cpus_ignored || a.io_apic_count != b.io_apic_count ||
        a.legacy_pics != b.legacy_pics)
        return false;
    for (size_t i = 0; i < kMaxCpus; ++i)
        if (!same_cpu(a.cpus[i], b.cpus[i])) return false;
    return true;
}

// What an error leaves behind: nothing a careless caller could act on.
bool is_empty(const MadtInfo& info) {
    MadtInfo zero;
    memset(&zero, 0, sizeof(zero));
    return same_info(info, zero);
}

void check_cpu(const CpuDescriptor& cpu, uint32_t apic_id, uint32_t acpi_uid, bool x2apic,
               bool enabled = true, bool online_capable = false) {
    CHECK(cpu.apic_id == apic_id);
    CHECK(cpu.acpi_uid == acpi_uid);
    CHECK(cpu.x2apic == x2apic);
    CHECK(cpu.enabled == enabled);
    CHECK(cpu.online_capable == online_capable);
}

// What Bochs's BIOS builds for two CPUs: APIC IDs 0 and 1, the I/O APIC
// after them, IRQ 0 rerouted to GSI 2 and the PCI IRQs level-triggered.
Bytes bochs_like_madt() {
    return MadtBuilder{}
        .lapic(0, 0)
        .lapic(1, 1)
        .io_apic(2, kIoApicPhys, 0)
        .source_override(0, 2)
        .source_override(5, 5, kLevelActiveHigh)
        .source_override(9, 9, kLevelActiveHigh)
        .source_override(10, 10, kLevelActiveHigh)
        .source_override(11, 11, kLevelActiveHigh)
        .build();
}

// What QEMU builds for a machine with APIC IDs past 254: type 0 entries
// below 255, type 9 from there on, and the NMI wiring of both kinds.
Bytes qemu_like_x2apic_madt() {
    return MadtBuilder{}
        .lapic(0, 0)
        .lapic(1, 1)
        .x2apic(255, 2)
        .x2apic(300, 3)
        .io_apic(0, kIoApicPhys, 0)
        .source_override(0, 2)
        .source_override(9, 9, kLevelActiveHigh)
        .lapic_nmi(kAllProcessors, kLint1)
        .raw(kTypeLocalX2apicNmi, 12, Bytes(10, 0xFF))
        .build();
}

}  // namespace

// ============================================================ parse_madt

TEST_CASE("parse_madt: Bochs-like table, two CPUs and an I/O APIC", "[madt]") {
    MadtInfo info;
    REQUIRE(parse(bochs_like_madt(), info) == MadtError::None);
    CHECK(info.local_apic_address == kLapicPhys);
    CHECK(info.legacy_pics);
    CHECK(info.io_apic_count == 1);
    CHECK(info.cpus_ignored == 0);
    REQUIRE(info.cpu_count == 2);
    check_cpu(info.cpus[0], 0, 0, false);
    check_cpu(info.cpus[1], 1, 1, false);
}

TEST_CASE("parse_madt: I/O APICs and ISA source overrides are kept for routing", "[madt]") {
    MadtInfo info;
    REQUIRE(parse(bochs_like_madt(), info) == MadtError::None);
    CHECK(info.io_apics[0].id == 2);
    CHECK(info.io_apics[0].address == kIoApicPhys);
    CHECK(info.io_apics[0].gsi_base == 0);
    REQUIRE(info.override_count == 5);
    // IRQ 0 moved to GSI 2, edge and active-high (flags 0: as the bus says).
    const IsaIrqRoute timer = isa_irq_route(info, 0);
    CHECK(timer.gsi == 2);
    CHECK_FALSE(timer.level_triggered);
    CHECK_FALSE(timer.active_low);
    // IRQ 9 level-triggered, active-high.
    const IsaIrqRoute sci = isa_irq_route(info, 9);
    CHECK(sci.gsi == 9);
    CHECK(sci.level_triggered);
    CHECK_FALSE(sci.active_low);
    // IRQ 4 (COM1) has no override: identity, ISA wiring.
    const IsaIrqRoute com1 = isa_irq_route(info, 4);
    CHECK(com1.gsi == 4);
    CHECK_FALSE(com1.level_triggered);
    CHECK_FALSE(com1.active_low);
    REQUIRE(io_apic_for_gsi(info, 4) != nullptr);
    CHECK(io_apic_for_gsi(info, 4)->id == 2);
}

TEST_CASE("parse_madt: an active-low override and the I/O APIC that serves a GSI", "[madt]") {
    const Bytes table = MadtBuilder{}
                            .lapic(0, 0)
                            .io_apic(1, kIoApicPhys, 0)
                            .io_apic(2, kIoApicPhys + 0x1000, 24)
                            .source_override(4, 30, 0x000F)   // level, active-low, on the second I/O APIC
                            .build();
    MadtInfo info;
    REQUIRE(parse(table, info) == MadtError::None);
    const IsaIrqRoute r = isa_irq_route(info, 4);
    CHECK(r.gsi == 30);
    CHECK(r.active_low);
    CHECK(r.level_triggered);
    REQUIRE(io_apic_for_gsi(info, 30) != nullptr);
    CHECK(io_apic_for_gsi(info, 30)->id == 2);
    CHECK(io_apic_for_gsi(info, 23)->id == 1);
    MadtInfo none{};
    CHECK(io_apic_for_gsi(none, 4) == nullptr);
}

TEST_CASE("parse_madt: QEMU-like table with x2APIC entries", "[madt]") {
    MadtInfo info;
    REQUIRE(parse(qemu_like_x2apic_madt(), info) == MadtError::None);
    CHECK(info.io_apic_count == 1);
    CHECK(info.cpus_ignored == 0);
    REQUIRE(info.cpu_count == 4);
    check_cpu(info.cpus[0], 0, 0, false);
    check_cpu(info.cpus[1], 1, 1, false);
    check_cpu(info.cpus[2], 255, 2, true);
    check_cpu(info.cpus[3], 300, 3, true);
}

TEST_CASE("parse_madt: no PCAT_COMPAT means no legacy PICs", "[madt]") {
    MadtBuilder builder;
    builder.flags = 0;
    builder.lapic(0, 0);
    MadtInfo info;
    REQUIRE(parse(builder.build(), info) == MadtError::None);
    CHECK_FALSE(info.legacy_pics);
}

TEST_CASE("parse_madt: a disabled but online-capable CPU is listed, not enabled", "[madt]") {
    const Bytes table = MadtBuilder{}
                            .lapic(0, 0)
                            .lapic(1, 1, kOnlineCapable)
                            .x2apic(400, 2, kOnlineCapable)
                            .build();
    MadtInfo info;
    REQUIRE(parse(table, info) == MadtError::None);
    REQUIRE(info.cpu_count == 3);
    check_cpu(info.cpus[0], 0, 0, false);
    check_cpu(info.cpus[1], 1, 1, false, /*enabled=*/false, /*online_capable=*/true);
    check_cpu(info.cpus[2], 400, 2, true, false, true);
    CHECK(info.cpus_ignored == 0);
}

TEST_CASE("parse_madt: online capable is ignored when enabled is set", "[madt]") {
    // The bit is reserved for enabled processors; it must not change anything.
    MadtInfo info;
    REQUIRE(parse(MadtBuilder{}.lapic(0, 0, kEnabled | kOnlineCapable).build(), info) ==
            MadtError::None);
    REQUIRE(info.cpu_count == 1);
    check_cpu(info.cpus[0], 0, 0, false, true, false);
}

TEST_CASE("parse_madt: a disabled, not online-capable CPU is ignored", "[madt]") {
    // Firmware often lists the maximum CPU count and disables the absent ones.
    const Bytes table = MadtBuilder{}
                            .lapic(0, 0)
                            .lapic(1, 1, kNotPresent)
                            .x2apic(500, 2, kNotPresent)
                            .lapic(3, 3)
                            .build();
    MadtInfo info;
    REQUIRE(parse(table, info) == MadtError::None);
    REQUIRE(info.cpu_count == 2);
    check_cpu(info.cpus[0], 0, 0, false);
    check_cpu(info.cpus[1], 3, 3, false);
    CHECK(info.cpus_ignored == 2);
}

TEST_CASE("parse_madt: the broadcast APIC ID is never a processor", "[madt]") {
    // An INIT IPI to it would reset every CPU, the boot CPU included.
    const Bytes table = MadtBuilder{}
                            .lapic(0, 0)
                            .lapic(1, kXapicBroadcastId)
                            .x2apic(kX2apicBroadcastId, 2)
                            .x2apic(kXapicBroadcastId, 3)  // 255 is a fine x2APIC ID
                            .build();
    MadtInfo info;
    REQUIRE(parse(table, info) == MadtError::None);
    REQUIRE(info.cpu_count == 2);
    check_cpu(info.cpus[0], 0, 0, false);
    check_cpu(info.cpus[1], kXapicBroadcastId, 3, true);
    CHECK(info.cpus_ignored == 2);
}

TEST_CASE("parse_madt: duplicate APIC IDs are listed once, first entry stands", "[madt]") {
    const Bytes table = MadtBuilder{}
                            .lapic(0, 0)
                            .lapic(1, 1)
                            .x2apic(1, 7)   // the same CPU again, as x2APIC
                            .lapic(9, 0)    // and the boot CPU again
                            .x2apic(2, 2)
                            .build();
    MadtInfo info;
    REQUIRE(parse(table, info) == MadtError::None);
    REQUIRE(info.cpu_count == 3);
    check_cpu(info.cpus[0], 0, 0, false);
    check_cpu(info.cpus[1], 1, 1, false);
    check_cpu(info.cpus[2], 2, 2, true);
    CHECK(info.cpus_ignored == 0);
}

TEST_CASE("parse_madt: the local APIC address override replaces the 32-bit address", "[madt]") {
    constexpr uint64_t kHighLapic = 0x0000'0010'FEE0'0000;
    MadtInfo info;
    SECTION("after the processors") {
        REQUIRE(parse(MadtBuilder{}.lapic(0, 0).address_override(kHighLapic).build(), info) ==
                MadtError::None);
    }
    SECTION("before the processors") {
        REQUIRE(parse(MadtBuilder{}.address_override(kHighLapic).lapic(0, 0).build(), info) ==
                MadtError::None);
    }
    CHECK(info.local_apic_address == kHighLapic);
    CHECK(info.cpu_count == 1);
}

TEST_CASE("parse_madt: several I/O APICs are counted", "[madt]") {
    const Bytes table = MadtBuilder{}
                            .lapic(0, 0)
                            .io_apic(1, kIoApicPhys, 0)
                            .io_apic(2, kIoApicPhys + 0x1000, 24)
                            .io_apic(3, kIoApicPhys + 0x2000, 48)
                            .build();
    MadtInfo info;
    REQUIRE(parse(table, info) == MadtError::None);
    CHECK(info.io_apic_count == 3);
}

TEST_CASE("parse_madt: unknown entry types are skipped by their length", "[madt]") {
    const Bytes table = MadtBuilder{}
                            .raw(kTypeGicCpuInterface, 82, Bytes(80, 0xAB))
                            .lapic(0, 0)
                            .raw(kTypeReservedForOem, 2, {})        // nothing but a header
                            .raw(kTypeReservedForOem, 255, Bytes(253, kAcpiMadtTypeLocalApic))
                            .lapic(1, 1)
                            .build();
    MadtInfo info;
    REQUIRE(parse(table, info) == MadtError::None);
    CHECK(info.cpu_count == 2);
}

TEST_CASE("parse_madt: an entry longer than its layout is read, the rest skipped", "[madt]") {
    // A later ACPI revision may append fields to an entry.
    AcpiMadtLocalApic lapic{};
    lapic.apic_id = 5;
    lapic.flags = kEnabled;
    Bytes body = bytes_of(lapic);
    body.erase(body.begin(), body.begin() + sizeof(AcpiMadtEntryHeader));
    body.resize(body.size() + 4, 0xEE);
    const Bytes table = MadtBuilder{}
                            .raw(kAcpiMadtTypeLocalApic, static_cast<uint8_t>(body.size() + 2), body)
                            .lapic(1, 1)
                            .build();
    MadtInfo info;
    REQUIRE(parse(table, info) == MadtError::None);
    REQUIRE(info.cpu_count == 2);
    CHECK(info.cpus[0].apic_id == 5);
    CHECK(info.cpus[1].apic_id == 1);
}

TEST_CASE("parse_madt: 70 CPUs, the first kMaxCpus are listed", "[madt]") {
    constexpr size_t kCpus = 70;
    static_assert(kCpus > kMaxCpus);
    MadtBuilder builder;
    for (size_t i = 0; i < kCpus; ++i) {
        // Past 60, a disabled placeholder between CPUs: also ignored, also counted.
        if (i == 60) builder.lapic(200, 200, kNotPresent);
        if (i % 2 == 0) builder.lapic(static_cast<uint8_t>(i), static_cast<uint8_t>(i));
        else builder.x2apic(static_cast<uint32_t>(i), static_cast<uint32_t>(i));
    }
    builder.lapic(0, 0);  // a duplicate of a listed CPU is not "ignored"
    MadtInfo info;
    REQUIRE(parse(builder.build(), info) == MadtError::None);
    REQUIRE(info.cpu_count == kMaxCpus);
    for (size_t i = 0; i < kMaxCpus; ++i) {
        CHECK(info.cpus[i].apic_id == i);
        CHECK(info.cpus[i].x2apic == (i % 2 == 1));
    }
    CHECK(info.cpus_ignored == kCpus - kMaxCpus + 1);
}

TEST_CASE("parse_madt: no enabled processor", "[madt]") {
    MadtInfo info;
    SECTION("no processor entries at all") {
        CHECK(parse(MadtBuilder{}.io_apic(0, kIoApicPhys, 0).source_override(0, 2).build(),
                    info) == MadtError::NoProcessors);
    }
    SECTION("no entries at all") {
        CHECK(parse(MadtBuilder{}.build(), info) == MadtError::NoProcessors);
    }
    SECTION("only disabled processors") {
        CHECK(parse(MadtBuilder{}.lapic(0, 0, kNotPresent).lapic(1, 1, kOnlineCapable).build(),
                    info) == MadtError::NoProcessors);
    }
    SECTION("only the broadcast ID") {
        CHECK(parse(MadtBuilder{}.lapic(0, kXapicBroadcastId).build(), info) ==
              MadtError::NoProcessors);
    }
    CHECK(is_empty(info));
}

TEST_CASE("parse_madt: bad checksum", "[madt]") {
    const Bytes table = bochs_like_madt();
    // A byte in the SDT header, the first entry, and the last byte.
    for (size_t offset : {offsetof(AcpiSdtHeader, oem_id), sizeof(AcpiMadt), table.size() - 1}) {
        Bytes broken = table;
        broken[offset] ^= 0x01;
        MadtInfo info;
        CHECK(parse(broken, info) == MadtError::BadTable);
        CHECK(is_empty(info));
    }
}

TEST_CASE("parse_madt: wrong signature", "[madt]") {
    Bytes table = bochs_like_madt();
    memcpy(table.data(), kAcpiFadtSignature, kAcpiSignatureLength);
    set_checksum(table, kSdtChecksumOffset, table.size());
    MadtInfo info;
    CHECK(parse(table, info) == MadtError::NoMadt);
    CHECK(is_empty(info));
    CHECK(parse_madt(nullptr, 100, info) == MadtError::NoMadt);
}

TEST_CASE("parse_madt: impossible lengths", "[madt]") {
    const Bytes table = bochs_like_madt();
    MadtInfo info;
    SECTION("the length field says more than we have") {
        Bytes longer = table;
        longer.resize(table.size() + 16, 0);
        set_length_and_resign(longer, static_cast<uint32_t>(longer.size()));
        CHECK(parse(longer, table.size(), info) == MadtError::BadTable);
    }
    SECTION("shorter than the MADT's fixed fields") {
        for (uint32_t lie : {uint32_t{0}, uint32_t{sizeof(AcpiSdtHeader)},
                             uint32_t{sizeof(AcpiMadt) - 1}}) {
            Bytes broken = table;
            set_length_and_resign(broken, lie);
            CHECK(parse(broken, info) == MadtError::BadTable);
        }
    }
    SECTION("bytes after the table's length are not looked at") {
        Bytes padded = table;
        padded.resize(table.size() + 7, 0x00);  // would be a length-0 entry
        REQUIRE(parse(padded, info) == MadtError::None);
        CHECK(info.cpu_count == 2);
        return;
    }
    CHECK(is_empty(info));
}

TEST_CASE("parse_madt: broken entries", "[madt]") {
    MadtInfo info;
    SECTION("length 0 would never advance") {
        CHECK(parse(MadtBuilder{}.lapic(0, 0).raw(kAcpiMadtTypeLocalApic, 0, Bytes(6, 0)).build(),
                    info) == MadtError::TruncatedEntry);
    }
    SECTION("length 1 is shorter than the entry header") {
        CHECK(parse(MadtBuilder{}.lapic(0, 0).raw(kTypeReservedForOem, 1, {0}).build(), info) ==
              MadtError::TruncatedEntry);
    }
    SECTION("a lone byte after the last entry") {
        Bytes table = MadtBuilder{}.lapic(0, 0).build();
        table.push_back(kAcpiMadtTypeLocalApic);
        set_length_and_resign(table, static_cast<uint32_t>(table.size()));
        CHECK(parse(table, info) == MadtError::TruncatedEntry);
    }
    SECTION("length runs past the table") {
        CHECK(parse(MadtBuilder{}.lapic(0, 0).raw(kTypeReservedForOem, 20, Bytes(4, 0)).build(),
                    info) == MadtError::TruncatedEntry);
    }
    SECTION("a processor entry too short for its layout") {
        CHECK(parse(MadtBuilder{}.lapic(0, 0).raw(kAcpiMadtTypeLocalApic, 6, Bytes(4, 1)).build(),
                    info) == MadtError::TruncatedEntry);
    }
    SECTION("an x2APIC entry too short for its layout") {
        CHECK(parse(MadtBuilder{}.lapic(0, 0).raw(kAcpiMadtTypeLocalX2apic, 12, Bytes(10, 1)).build(),
                    info) == MadtError::TruncatedEntry);
    }
    SECTION("an I/O APIC entry too short for its layout") {
        CHECK(parse(MadtBuilder{}.lapic(0, 0).raw(kAcpiMadtTypeIoApic, 8, Bytes(6, 1)).build(),
                    info) == MadtError::TruncatedEntry);
    }
    SECTION("an address override too short for its layout") {
        CHECK(parse(MadtBuilder{}
                        .lapic(0, 0)
                        .raw(kAcpiMadtTypeLocalApicAddressOverride, 8, Bytes(6, 1))
                        .build(),
                    info) == MadtError::TruncatedEntry);
    }
    CHECK(is_empty(info));
}

TEST_CASE("parse_madt: every cut of the byte buffer is refused", "[madt][truncation]") {
    // The length field still claims the whole table; we have fewer bytes.
    for (const Bytes& table : {bochs_like_madt(), qemu_like_x2apic_madt()}) {
        for (size_t cut = 0; cut < table.size(); ++cut) {
            INFO("cut at " << cut);
            MadtInfo info;
            const MadtError error = parse(table, cut, info);
            CHECK(error != MadtError::None);
            CHECK(is_empty(info));
        }
    }
}

TEST_CASE("parse_madt: every cut of the table's own length", "[madt][truncation]") {
    // The table is re-signed at each cut, so only the entries tell: a cut
    // inside an entry is TruncatedEntry, a cut between entries a shorter,
    // valid table.
    for (const Bytes& table : {bochs_like_madt(), qemu_like_x2apic_madt()}) {
        const std::set<size_t> boundaries = entry_boundaries(table);
        for (size_t cut = 0; cut < table.size(); ++cut) {
            INFO("cut at " << cut);
            Bytes shortened = table;
            set_length_and_resign(shortened, static_cast<uint32_t>(cut));
            MadtInfo info;
            const MadtError error = parse(shortened, cut, info);
            if (cut < sizeof(AcpiMadt)) {
                CHECK(error == MadtError::BadTable);
            } else if (boundaries.count(cut) == 0) {
                CHECK(error == MadtError::TruncatedEntry);
            } else if (cut == sizeof(AcpiMadt)) {
                CHECK(error == MadtError::NoProcessors);
            } else {
                CHECK(error == MadtError::None);
            }
            if (error != MadtError::None) CHECK(is_empty(info));
        }
    }
}

TEST_CASE("to_string(MadtError): every error has its own text", "[madt]") {
    const MadtError errors[] = {MadtError::None, MadtError::NoMadt, MadtError::BadTable,
                                MadtError::TruncatedEntry, MadtError::NoProcessors};
    std::set<std::string> texts;
    for (MadtError error : errors) {
        REQUIRE(to_string(error) != nullptr);
        texts.insert(to_string(error));
    }
    CHECK(texts.size() == std::size(errors));
    CHECK(std::string(to_string(static_cast<MadtError>(99))) == "unknown MADT error");
}

// ============================================================= read_madt

namespace {

// Physical memory as a few byte buffers; a read succeeds only if one buffer
// holds the whole range. It can also stop answering, or change the MADT,
// after a given number of reads, and it records the largest read.
class FakePhysicalMemory {
public:
    void place(uint64_t phys, Bytes bytes) { regions_[phys] = std::move(bytes); }
    Bytes& at(uint64_t phys) { return regions_.at(phys); }

    size_t reads = 0;
    size_t largest_read = 0;
    size_t refuse_after = SIZE_MAX;      // reads answered before refusing all
    size_t corrupt_after = SIZE_MAX;     // reads answered before corrupt_at changes
    uint64_t corrupt_at = 0;

    static bool read(void* context, uint64_t phys, void* out, size_t length) {
        return static_cast<FakePhysicalMemory*>(context)->read(phys, out, length);
    }

private:
    bool read(uint64_t phys, void* out, size_t length) {
        if (reads == corrupt_after) flip(corrupt_at);
        if (reads++ >= refuse_after) return false;
        largest_read = std::max(largest_read, length);
        auto next = regions_.upper_bound(phys);
        if (next == regions_.begin()) return false;
        const auto& [base, bytes] = *std::prev(next);
        const uint64_t offset = phys - base;
        if (offset > bytes.size() || length > bytes.size() - offset) return false;
        memcpy(out, bytes.data() + offset, length);
        return true;
    }

    void flip(uint64_t phys) {
        auto region = std::prev(regions_.upper_bound(phys));
        region->second.at(phys - region->first) ^= 0x01;
    }

    std::map<uint64_t, Bytes> regions_;
};

Bytes make_rsdt(std::initializer_list<uint32_t> entries) {
    Bytes body;
    for (uint32_t entry : entries) append(body, bytes_of(entry));
    return make_table(kAcpiRsdtSignature, body);
}

Bytes make_xsdt(std::initializer_list<uint64_t> entries) {
    Bytes body;
    for (uint64_t entry : entries) append(body, bytes_of(entry));
    return make_table(kAcpiXsdtSignature, body);
}

constexpr uint64_t kRsdtPhys = 0x7F10000;
constexpr uint64_t kXsdtPhys = 0x7F20000;
constexpr uint64_t kFadtPhys = 0x7F30000;
constexpr uint64_t kMadtPhys = 0x1'2000'0000;   // above 4 GiB: only the XSDT reaches it
constexpr uint64_t kLowMadtPhys = 0x7F50000;

// XSDT -> { FACP, MADT }, like UEFI firmware. (The FADT is only filler here.)
struct Machine {
    FakePhysicalMemory memory;
    AcpiRoot root{kXsdtPhys, true, kAcpiRsdpRevisionWithXsdt};

    explicit Machine(const Bytes& madt = qemu_like_x2apic_madt()) {
        memory.place(kXsdtPhys, make_xsdt({kFadtPhys, kMadtPhys}));
        memory.place(kFadtPhys, make_table(kAcpiFadtSignature, Bytes(80, 0)));
        memory.place(kMadtPhys, madt);
    }

    MadtError read(MadtInfo& out) {
        return read_madt(FakePhysicalMemory::read, &memory, root, out);
    }

    // How many reads acpi_find_table needs to find and check the MADT: the
    // reads after that are read_madt's own copy.
    size_t reads_to_find_madt() {
        const size_t before = memory.reads;
        uint64_t phys = 0;
        uint32_t length = 0;
        REQUIRE(acpi_find_table(FakePhysicalMemory::read, &memory, root, kAcpiMadtSignature,
                                phys, length) == AcpiError::None);
        const size_t used = memory.reads - before;
        memory.reads = before;
        return used;
    }
};

// A MADT of at least `size` bytes: many x2APIC CPUs (enabled, IDs 0...).
Bytes big_madt(size_t size) {
    MadtBuilder builder;
    for (uint32_t id = 0; sizeof(AcpiMadt) + builder.entries.size() < size; ++id)
        builder.x2apic(id, id);
    return builder.build();
}

}  // namespace

TEST_CASE("read_madt: through the XSDT", "[madt][read]") {
    Machine machine;
    MadtInfo info;
    REQUIRE(machine.read(info) == MadtError::None);
    MadtInfo direct;
    REQUIRE(parse(qemu_like_x2apic_madt(), direct) == MadtError::None);
    CHECK(same_info(info, direct));
    CHECK(info.cpu_count == 4);
}

TEST_CASE("read_madt: through the RSDT", "[madt][read]") {
    Machine machine(Bytes{});
    machine.memory.place(kRsdtPhys, make_rsdt({static_cast<uint32_t>(kFadtPhys),
                                               static_cast<uint32_t>(kLowMadtPhys)}));
    machine.memory.place(kLowMadtPhys, bochs_like_madt());
    machine.root = AcpiRoot{kRsdtPhys, false, 0};
    MadtInfo info;
    REQUIRE(machine.read(info) == MadtError::None);
    CHECK(info.cpu_count == 2);
    CHECK(info.io_apic_count == 1);
}

TEST_CASE("read_madt: a table larger than one chunk is copied in bounded reads", "[madt][read]") {
    constexpr size_t kSize = 20'000;  // several 4 KiB chunks and a partial one
    Machine machine(big_madt(kSize));
    MadtInfo info;
    REQUIRE(machine.read(info) == MadtError::None);
    CHECK(info.cpu_count == kMaxCpus);
    CHECK(info.cpus_ignored == (machine.memory.at(kMadtPhys).size() - sizeof(AcpiMadt)) /
                                   sizeof(AcpiMadtLocalX2apic) - kMaxCpus);
    CHECK(machine.memory.largest_read <= 4096);
}

TEST_CASE("read_madt: the largest table accepted, and one byte more", "[madt][read]") {
    // Pad a valid MADT with an OEM entry so it is exactly the size wanted.
    const auto madt_of_size = [](size_t size) {
        MadtBuilder builder;
        builder.lapic(0, 0);
        constexpr uint8_t kMaxEntry = UINT8_MAX;
        while (size - sizeof(AcpiMadt) - builder.entries.size() > kMaxEntry + 2)
            builder.raw(kTypeReservedForOem, kMaxEntry, Bytes(kMaxEntry - 2, 0));
        const size_t last = size - sizeof(AcpiMadt) - builder.entries.size();
        builder.raw(kTypeReservedForOem, static_cast<uint8_t>(last),
                    Bytes(last - sizeof(AcpiMadtEntryHeader), 0));
        Bytes table = builder.build();
        REQUIRE(table.size() == size);
        return table;
    };
    MadtInfo info;
    {
        Machine machine(madt_of_size(kMaxMadtLength));
        CHECK(machine.read(info) == MadtError::None);
        CHECK(info.cpu_count == 1);
    }
    {
        Machine machine(madt_of_size(kMaxMadtLength + 1));
        CHECK(machine.read(info) == MadtError::BadTable);
        CHECK(is_empty(info));
    }
}

TEST_CASE("read_madt: no MADT", "[madt][read]") {
    MadtInfo info;
    SECTION("the root table lists none") {
        Machine machine;
        machine.memory.place(kXsdtPhys, make_xsdt({kFadtPhys}));
        CHECK(machine.read(info) == MadtError::NoMadt);
    }
    SECTION("the only copy is corrupt") {
        Machine machine;
        machine.memory.at(kMadtPhys)[sizeof(AcpiMadt)] ^= 0x01;
        CHECK(machine.read(info) == MadtError::NoMadt);
    }
    SECTION("no root table there") {
        Machine machine;
        machine.root.root_table_phys = 0x1000;
        CHECK(machine.read(info) == MadtError::NoMadt);
    }
    SECTION("no reader") {
        Machine machine;
        CHECK(read_madt(nullptr, nullptr, machine.root, info) == MadtError::NoMadt);
    }
    CHECK(is_empty(info));
}

TEST_CASE("read_madt: memory that fails or changes while being copied", "[madt][read]") {
    Machine machine(big_madt(10'000));
    const size_t found_after = machine.reads_to_find_madt();
    MadtInfo info;
    SECTION("a chunk cannot be read") {
        machine.memory.refuse_after = found_after + 1;  // the second chunk
        CHECK(machine.read(info) == MadtError::BadTable);
    }
    SECTION("the table changes after it was found valid") {
        // Only the copy is parsed, and the copy is checked again.
        machine.memory.corrupt_after = found_after;
        machine.memory.corrupt_at = kMadtPhys + 5000;
        CHECK(machine.read(info) == MadtError::BadTable);
    }
    CHECK(is_empty(info));
}

TEST_CASE("read_madt: a truncated entry in a valid table", "[madt][read]") {
    Machine machine(MadtBuilder{}.lapic(0, 0).raw(kTypeReservedForOem, 40, Bytes(2, 0)).build());
    MadtInfo info;
    CHECK(machine.read(info) == MadtError::TruncatedEntry);
    CHECK(is_empty(info));
}
