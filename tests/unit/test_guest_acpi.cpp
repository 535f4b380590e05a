// Unit tests for vmm/guest_acpi: the ACPI tables a partition's guest finds.
//
// The tables are built into a fake guest memory and then read back three
// ways: field by field at the byte offsets the ACPI 6.5 specification gives
// (written here as plain numbers on purpose, so a wrong struct layout cannot
// hide behind itself), by walking RSDP -> XSDT -> FADT/MADT -> DSDT as an OS
// does, and with the hypervisor's own host-side parsers (kernel/acpi.cpp,
// kernel/madt.cpp), which read through a physical-memory callback.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "arch/x86_64/acpi_fadt.hpp"
#include "arch/x86_64/acpi_tables.hpp"
#include "arch/x86_64/madt_tables.hpp"
#include "kernel/acpi.hpp"
#include "kernel/lib/units.hpp"
#include "kernel/madt.hpp"
#include "vmm/guest_acpi.hpp"

using namespace bulkhead;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint64_t kBase = 0xE0000;  // where the partition build puts the tables
constexpr uint8_t kFill = 0xCC;       // what "untouched" guest memory holds

// A partition's memory, pre-filled so stray writes show.
class GuestRam {
public:
    explicit GuestRam(uint64_t size = 2 * kMiB, uint8_t fill = kFill) : bytes_(size, fill) {}
    GuestMemory memory() { return GuestMemory{bytes_.data(), bytes_.size()}; }
    const Bytes& bytes() const { return bytes_; }

    template <typename T>
    T at(uint64_t gpa) const {
        REQUIRE(gpa + sizeof(T) <= bytes_.size());
        T value;
        memcpy(&value, bytes_.data() + gpa, sizeof(T));
        return value;
    }
    uint8_t u8(uint64_t gpa) const { return at<uint8_t>(gpa); }
    uint16_t u16(uint64_t gpa) const { return at<uint16_t>(gpa); }
    uint32_t u32(uint64_t gpa) const { return at<uint32_t>(gpa); }
    uint64_t u64(uint64_t gpa) const { return at<uint64_t>(gpa); }
    std::string text(uint64_t gpa, size_t length) const {
        REQUIRE(gpa + length <= bytes_.size());
        return std::string(reinterpret_cast<const char*>(bytes_.data() + gpa), length);
    }
    uint8_t sum(uint64_t gpa, uint64_t length) const {
        REQUIRE(gpa + length <= bytes_.size());
        uint8_t total = 0;
        for (uint64_t i = 0; i < length; ++i) total = static_cast<uint8_t>(total + bytes_[gpa + i]);
        return total;
    }

    // The PhysReader kernel/acpi.cpp and kernel/madt.cpp read through:
    // guest-physical addresses are the fake physical memory.
    static bool read(void* context, uint64_t phys, void* out, size_t length) {
        const Bytes& bytes = static_cast<GuestRam*>(context)->bytes_;
        if (phys > bytes.size() || length > bytes.size() - phys) return false;
        memcpy(out, bytes.data() + phys, length);
        return true;
    }

private:
    Bytes bytes_;
};

GuestAcpiResult build(GuestRam& ram, uint64_t gpa = kBase, const GuestAcpiConfig& config = {}) {
    return build_guest_acpi(ram.memory(), gpa, config);
}

// ACPI 6.5 byte offsets, from the specification's tables.
namespace sdt {
constexpr uint64_t kLength = 4, kRevision = 8, kOemId = 10, kOemTableId = 16, kOemRevision = 24,
                   kCreatorId = 28, kSize = 36;
}
namespace rsdp {
constexpr uint64_t kRevision = 15, kRsdtAddress = 16, kLength = 20, kXsdtAddress = 24, kV1Size = 20,
                   kV2Size = 36;
}
namespace fadt {
constexpr uint64_t kFirmwareCtrl = 36, kDsdt = 40, kSciInterrupt = 46, kPm1aEventBlock = 56,
                   kPm1aControlBlock = 64, kPmTimerBlock = 76, kBootArch = 109, kFlags = 112,
                   kResetRegister = 116, kResetValue = 128, kMinorVersion = 131, kXFirmwareCtrl = 132,
                   kXDsdt = 140, kXPm1aControlBlock = 172, kSleepControl = 244, kSleepStatus = 256,
                   kHypervisorVendor = 268, kLength = 276;
}
namespace gas {
constexpr uint64_t kSpace = 0, kBitWidth = 1, kBitOffset = 2, kAccessSize = 3, kAddress = 4;
}

// A Generic Address Structure at `gpa` names this byte-wide I/O port.
void check_io_byte_register(const GuestRam& ram, uint64_t gpa, uint16_t port) {
    CHECK(ram.u8(gpa + gas::kSpace) == 1);      // SystemIO
    CHECK(ram.u8(gpa + gas::kBitWidth) == 8);
    CHECK(ram.u8(gpa + gas::kBitOffset) == 0);
    CHECK(ram.u8(gpa + gas::kAccessSize) == 1);  // byte access
    CHECK(ram.u64(gpa + gas::kAddress) == port);
}

// An SDT at `gpa`: signature, checksum over its own length, and inside the
// tables' range. Returns its length.
uint32_t check_sdt(const GuestRam& ram, const GuestAcpiResult& result, uint64_t gpa, const char* signature) {
    CHECK(ram.text(gpa, 4) == signature);
    const uint32_t length = ram.u32(gpa + sdt::kLength);
    REQUIRE(length >= sdt::kSize);
    REQUIRE(gpa + length <= result.rsdp + result.size);
    CHECK(ram.sum(gpa, length) == 0);
    CHECK(gpa % 16 == 0);
    return length;
}

// The MADT's entries, in table order, each as (type, bytes).
struct MadtEntry {
    uint8_t type;
    Bytes bytes;
};

std::vector<MadtEntry> madt_entries(const GuestRam& ram, uint64_t madt) {
    const uint32_t length = ram.u32(madt + sdt::kLength);
    std::vector<MadtEntry> entries;
    uint64_t offset = 44;  // after the header, local APIC address and flags
    while (offset < length) {
        const uint8_t type = ram.u8(madt + offset);
        const uint8_t entry_length = ram.u8(madt + offset + 1);
        REQUIRE(entry_length >= 2);
        REQUIRE(offset + entry_length <= length);
        const auto* start = ram.bytes().data() + madt + offset;
        entries.push_back({type, Bytes(start, start + entry_length)});
        offset += entry_length;
    }
    CHECK(offset == length);  // the last entry ends exactly at the table's end
    return entries;
}

template <typename T>
T field(const Bytes& bytes, size_t offset) {
    REQUIRE(offset + sizeof(T) <= bytes.size());
    T value;
    memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

}  // namespace

// --------------------------------------------------------------- layout

TEST_CASE("guest ACPI: the tables are laid out in order, aligned, inside the reserved region") {
    GuestRam ram;
    const GuestAcpiResult result = build(ram);
    REQUIRE(result.error == GuestAcpiError::None);
    CHECK(result.rsdp == kBase);
    CHECK(result.size == guest_acpi_size(1));
    CHECK(result.size <= kGuestAcpiRegionSize);
    CHECK(kBase + result.size <= kGuestAcpiRegionEnd);
    // RSDP, XSDT, FADT, DSDT, MADT, each on a 16-byte boundary, none overlapping.
    const uint64_t starts[] = {result.rsdp, result.xsdt, result.fadt, result.dsdt, result.madt};
    const uint64_t lengths[] = {rsdp::kV2Size, ram.u32(result.xsdt + sdt::kLength),
                                ram.u32(result.fadt + sdt::kLength), ram.u32(result.dsdt + sdt::kLength),
                                ram.u32(result.madt + sdt::kLength)};
    for (size_t i = 0; i < 5; ++i) {
        CHECK(starts[i] % 16 == 0);
        if (i > 0) CHECK(starts[i - 1] + lengths[i - 1] <= starts[i]);
    }
    CHECK(result.madt + lengths[4] == kBase + result.size);  // the MADT is last
}

TEST_CASE("guest ACPI: the largest configuration still fits the 128 KiB region") {
    CHECK(kGuestAcpiRegionSize == 128 * kKiB);
    CHECK(guest_acpi_size(kGuestMaxCpus) <= kGuestAcpiRegionSize);
    CHECK(guest_acpi_size(2) == guest_acpi_size(1) + 8);  // one 8-byte Local APIC entry per CPU
}

// ------------------------------------------------------------------ RSDP

TEST_CASE("guest ACPI: the RSDP is a revision 2 RSDP with both checksums and the XSDT's address") {
    GuestRam ram;
    const GuestAcpiResult result = build(ram);
    REQUIRE(result.error == GuestAcpiError::None);
    CHECK(ram.text(kBase, 8) == "RSD PTR ");
    CHECK(ram.sum(kBase, rsdp::kV1Size) == 0);
    CHECK(ram.sum(kBase, rsdp::kV2Size) == 0);
    CHECK(ram.text(kBase + 9, 6) == "BLKHD ");
    CHECK(ram.u8(kBase + rsdp::kRevision) == 2);
    CHECK(ram.u32(kBase + rsdp::kRsdtAddress) == 0);  // no RSDT, by design
    CHECK(ram.u32(kBase + rsdp::kLength) == 36);
    CHECK(ram.u64(kBase + rsdp::kXsdtAddress) == result.xsdt);
}

// ---------------------------------------------------- walking the chain

TEST_CASE("guest ACPI: an OS walking RSDP -> XSDT finds exactly the FADT and the MADT, and the DSDT through the FADT") {
    GuestRam ram;
    const GuestAcpiResult result = build(ram);
    REQUIRE(result.error == GuestAcpiError::None);

    const uint64_t xsdt = ram.u64(kBase + rsdp::kXsdtAddress);
    const uint32_t xsdt_length = check_sdt(ram, result, xsdt, "XSDT");
    REQUIRE(xsdt_length == 36 + 2 * 8);
    CHECK(ram.u8(xsdt + sdt::kRevision) == 1);

    std::vector<std::string> found;
    for (uint64_t entry = xsdt + sdt::kSize; entry < xsdt + xsdt_length; entry += 8) {
        const uint64_t table = ram.u64(entry);
        const std::string signature = ram.text(table, 4);
        check_sdt(ram, result, table, signature.c_str());
        found.push_back(signature);
        if (signature == "FACP") CHECK(table == result.fadt);
        if (signature == "APIC") CHECK(table == result.madt);
    }
    CHECK(found == std::vector<std::string>{"FACP", "APIC"});

    const uint64_t dsdt = ram.u64(result.fadt + fadt::kXDsdt);
    CHECK(dsdt == result.dsdt);
    check_sdt(ram, result, dsdt, "DSDT");
    CHECK(ram.u8(dsdt + sdt::kRevision) == 2);  // 64-bit AML integers
}

TEST_CASE("guest ACPI: every table header carries the configured OEM identification") {
    GuestRam ram;
    const GuestAcpiResult result = build(ram);
    REQUIRE(result.error == GuestAcpiError::None);
    for (uint64_t table : {result.xsdt, result.fadt, result.dsdt, result.madt}) {
        CHECK(ram.text(table + sdt::kOemId, 6) == "BLKHD ");
        CHECK(ram.text(table + sdt::kOemTableId, 8) == "BULKHEAD");
        CHECK(ram.u32(table + sdt::kOemRevision) == 1);
        CHECK(ram.text(table + sdt::kCreatorId, 4) == "BLKH");
    }
}

// ------------------------------------------------------------------ FADT

TEST_CASE("guest ACPI: the FADT is a 276-byte ACPI 6.5 hardware-reduced FADT") {
    GuestRam ram;
    const GuestAcpiResult result = build(ram);
    REQUIRE(result.error == GuestAcpiError::None);
    const uint64_t f = result.fadt;
    CHECK(ram.u32(f + sdt::kLength) == fadt::kLength);
    CHECK(ram.u8(f + sdt::kRevision) == 6);
    CHECK(ram.u8(f + fadt::kMinorVersion) == 5);

    const uint32_t flags = ram.u32(f + fadt::kFlags);
    CHECK((flags & (1u << 20)) != 0);  // HW_REDUCED_ACPI
    CHECK((flags & (1u << 10)) != 0);  // RESET_REG_SUP
    CHECK((flags & (1u << 4)) != 0);   // PWR_BUTTON: no fixed-feature power button
    CHECK((flags & (1u << 5)) != 0);   // SLP_BUTTON: no fixed-feature sleep button

    // Hardware-reduced: no FACS, no SCI, no PM1 blocks, no PM timer, and the
    // DSDT only through its 64-bit field.
    CHECK(ram.u32(f + fadt::kFirmwareCtrl) == 0);
    CHECK(ram.u64(f + fadt::kXFirmwareCtrl) == 0);
    CHECK(ram.u32(f + fadt::kDsdt) == 0);
    CHECK(ram.u64(f + fadt::kXDsdt) == result.dsdt);
    CHECK(ram.u16(f + fadt::kSciInterrupt) == 0);
    CHECK(ram.u32(f + fadt::kPm1aEventBlock) == 0);
    CHECK(ram.u32(f + fadt::kPm1aControlBlock) == 0);
    CHECK(ram.u32(f + fadt::kPmTimerBlock) == 0);
    CHECK(ram.u64(f + fadt::kXPm1aControlBlock + gas::kAddress) == 0);

    // The registers the device model emulates.
    check_io_byte_register(ram, f + fadt::kSleepControl, 0x600);
    check_io_byte_register(ram, f + fadt::kSleepStatus, 0x601);
    check_io_byte_register(ram, f + fadt::kResetRegister, 0x602);
    CHECK(ram.u8(f + fadt::kResetValue) == 1);

    CHECK(ram.text(f + fadt::kHypervisorVendor, 8) == "Bulkhead");

    // No 8042 and no legacy devices; VGA and CMOS RTC declared absent.
    CHECK(ram.u16(f + fadt::kBootArch) == ((1u << 2) | (1u << 5)));
}

TEST_CASE("guest ACPI: the header constants are the ports and values the FADT names") {
    CHECK(kGuestSleepControlPort == 0x600);
    CHECK(kGuestSleepStatusPort == 0x601);
    CHECK(kGuestResetPort == 0x602);
    CHECK(kGuestResetValue == 1);
    CHECK(offsetof(AcpiFadt6, sleep_control) == fadt::kSleepControl);
    CHECK(offsetof(AcpiFadt6, hypervisor_vendor_identity) == fadt::kHypervisorVendor);
}

// ------------------------------------------------------------------ DSDT

TEST_CASE("guest ACPI: the DSDT's AML is \\_S5_ and the COM1 device, as iasl compiles them") {
    GuestRam ram;
    const GuestAcpiResult result = build(ram);
    REQUIRE(result.error == GuestAcpiError::None);
    const uint32_t length = ram.u32(result.dsdt + sdt::kLength);
    const auto* aml = ram.bytes().data() + result.dsdt + sdt::kSize;
    const Bytes bytes(aml, aml + (length - sdt::kSize));

    const Bytes expected = {
        0x08,                // NameOp
        '_', 'S', '5', '_',  // NameSeg
        0x12,                // PackageOp
        0x08,                // PkgLength: one byte, 8 = itself + the 7 bytes after it
        0x04,                // NumElements
        0x0A, 0x05,          // BytePrefix 5: SLP_TYPa
        0x0A, 0x05,          // BytePrefix 5: SLP_TYPb
        0x00, 0x00,          // ZeroOp, ZeroOp: reserved
        // Scope (\_SB) { Device (COM1) { _HID PNP0501, _UID 1, _CRS IO 0x3f8/8, IRQ 4 } }:
        // the bytes ACPICA's iasl 20200925 emits for that ASL (see vmm/guest_acpi.cpp).
        0x10, 0x32, 0x5F, 0x53, 0x42, 0x5F, 0x5B, 0x82, 0x2B, 0x43, 0x4F, 0x4D, 0x31, 0x08, 0x5F, 0x48, 0x49,
        0x44, 0x0C, 0x41, 0xD0, 0x05, 0x01, 0x08, 0x5F, 0x55, 0x49, 0x44, 0x01, 0x08, 0x5F, 0x43, 0x52, 0x53,
        0x11, 0x10, 0x0A, 0x0D, 0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00,
    };
    CHECK(bytes == expected);

    // Decoded the way the host's own AML scanner does it.
    uint8_t typ_a = 0;
    uint8_t typ_b = 0;
    REQUIRE(aml_find_s5(bytes.data(), bytes.size(), typ_a, typ_b));
    CHECK(typ_a == kGuestS5SleepType);
    CHECK(typ_b == kGuestS5SleepType);
}

TEST_CASE("guest ACPI: the power-off write Linux makes is recognised, and only that one") {
    // Linux, hardware-reduced S5: ((SLP_TYP << 2) & 0x1c) | 0x20 (SLP_EN).
    const uint8_t linux_write = static_cast<uint8_t>(((kGuestS5SleepType << 2) & 0x1c) | 0x20);
    CHECK(linux_write == 0x34);
    CHECK(kGuestPowerOffValue == linux_write);
    CHECK(is_guest_power_off(linux_write));
    CHECK(is_guest_power_off(linux_write | 0x03 | 0xC0));        // reserved bits do not matter
    CHECK_FALSE(is_guest_power_off(linux_write & ~0x20));         // no SLP_EN: nothing happens
    CHECK_FALSE(is_guest_power_off((3 << 2) | 0x20));             // S3, not S5
    CHECK_FALSE(is_guest_power_off(0x80));                        // the WAK_STS clear Linux writes first
    CHECK(acpi_sleep_control_type(linux_write) == kGuestS5SleepType);
}

// ------------------------------------------------------------------ MADT

TEST_CASE("guest ACPI: the MADT lists one CPU, one I/O APIC, the timer override and the LINT1 NMI") {
    GuestRam ram;
    const GuestAcpiResult result = build(ram);
    REQUIRE(result.error == GuestAcpiError::None);
    const uint64_t m = result.madt;
    CHECK(ram.u32(m + sdt::kLength) == 44 + 8 + 12 + 10 + 6);
    CHECK(ram.u32(m + 36) == 0xFEE00000);  // local APIC address
    CHECK(ram.u32(m + 40) == 0);           // flags: no PCAT_COMPAT, no 8259s

    const std::vector<MadtEntry> entries = madt_entries(ram, m);
    REQUIRE(entries.size() == 4);

    const Bytes& cpu = entries[0].bytes;  // Processor Local APIC
    CHECK(entries[0].type == 0);
    CHECK(cpu.size() == 8);
    CHECK(cpu[2] == 0);                     // ACPI processor UID
    CHECK(cpu[3] == 0);                     // APIC ID
    CHECK(field<uint32_t>(cpu, 4) == 1u);   // Enabled

    const Bytes& io_apic = entries[1].bytes;
    CHECK(entries[1].type == 1);
    CHECK(io_apic.size() == 12);
    CHECK(io_apic[2] == 1);                          // I/O APIC ID
    CHECK(io_apic[3] == 0);                          // reserved
    CHECK(field<uint32_t>(io_apic, 4) == 0xFEC00000);
    CHECK(field<uint32_t>(io_apic, 8) == 0);         // GSI base

    const Bytes& iso = entries[2].bytes;  // Interrupt Source Override
    CHECK(entries[2].type == 2);
    CHECK(iso.size() == 10);
    CHECK(iso[2] == 0);                       // bus: ISA
    CHECK(iso[3] == 0);                       // IRQ 0
    CHECK(field<uint32_t>(iso, 4) == 2);      // -> GSI 2
    CHECK(field<uint16_t>(iso, 8) == 0);      // conforms to ISA: edge, active high

    const Bytes& nmi = entries[3].bytes;  // Local APIC NMI
    CHECK(entries[3].type == 4);
    CHECK(nmi.size() == 6);
    CHECK(nmi[2] == 0xFF);                    // all processors
    CHECK(field<uint16_t>(nmi, 3) == 0x5);    // active high, edge-triggered
    CHECK(nmi[5] == 1);                       // LINT1
}

TEST_CASE("guest ACPI: more CPUs get one Local APIC entry each, IDs and UIDs 0..n-1") {
    for (uint32_t cpus : {2u, 4u, kGuestMaxCpus}) {
        GuestRam ram;
        GuestAcpiConfig config;
        config.cpu_count = cpus;
        const GuestAcpiResult result = build(ram, kBase, config);
        REQUIRE(result.error == GuestAcpiError::None);
        CHECK(result.size == guest_acpi_size(cpus));
        const std::vector<MadtEntry> entries = madt_entries(ram, result.madt);
        REQUIRE(entries.size() == cpus + 3);
        for (uint32_t i = 0; i < cpus; ++i) {
            CHECK(entries[i].type == 0);
            CHECK(entries[i].bytes[2] == i);
            CHECK(entries[i].bytes[3] == i);
        }
        CHECK(ram.sum(result.madt, ram.u32(result.madt + sdt::kLength)) == 0);

        // The host parser keeps the first kMaxCpus and counts the rest.
        MadtInfo info;
        REQUIRE(read_madt(GuestRam::read, &ram, AcpiRoot{result.xsdt, true, 2}, info) == MadtError::None);
        const size_t listed = std::min<size_t>(cpus, kMaxCpus);
        CHECK(info.cpu_count == listed);
        CHECK(info.cpus_ignored == cpus - listed);
        CHECK(info.cpus[listed - 1].apic_id == listed - 1);
    }
}

TEST_CASE("guest ACPI: the I/O APIC's ID and address and the OEM strings are configurable") {
    GuestRam ram;
    GuestAcpiConfig config;
    config.io_apic_id = 7;
    config.io_apic_address = 0xFEC01000;
    config.oem_id = "ABC";                 // short: padded with spaces
    config.oem_table_id = "TOOLONGTABLEID";  // long: cut to 8
    config.oem_revision = 42;
    const GuestAcpiResult result = build(ram, kBase, config);
    REQUIRE(result.error == GuestAcpiError::None);
    const std::vector<MadtEntry> entries = madt_entries(ram, result.madt);
    REQUIRE(entries.size() == 4);
    CHECK(entries[1].bytes[2] == 7);
    CHECK(field<uint32_t>(entries[1].bytes, 4) == 0xFEC01000);
    CHECK(ram.text(result.rsdp + 9, 6) == "ABC   ");
    CHECK(ram.text(result.madt + sdt::kOemId, 6) == "ABC   ");
    CHECK(ram.text(result.madt + sdt::kOemTableId, 8) == "TOOLONGT");
    CHECK(ram.u32(result.fadt + sdt::kOemRevision) == 42);
    CHECK(ram.sum(result.rsdp, rsdp::kV1Size) == 0);
    CHECK(ram.sum(result.madt, ram.u32(result.madt + sdt::kLength)) == 0);

    config.oem_id = nullptr;
    config.oem_table_id = nullptr;
    GuestRam blank;
    REQUIRE(build(blank, kBase, config).error == GuestAcpiError::None);
    CHECK(blank.text(kBase + 9, 6) == "      ");
}

// ------------------------------------------------- the host's own parsers

TEST_CASE("guest ACPI: the hypervisor's own ACPI parsers find the tables, the CPU and the S5 sleep type") {
    GuestRam ram(2 * kMiB, 0);  // the loader zeroes guest memory before anything is written
    const GuestAcpiResult result = build(ram);
    REQUIRE(result.error == GuestAcpiError::None);

    // The legacy BIOS-area scan, the way an OS without a boot-loader-given
    // RSDP address finds it.
    AcpiRoot root{};
    REQUIRE(acpi_scan_bios_for_rsdp(GuestRam::read, &ram, root) == AcpiError::None);
    CHECK(root.is_xsdt);
    CHECK(root.root_table_phys == result.xsdt);
    CHECK(root.revision == 2);

    uint64_t phys = 0;
    uint32_t length = 0;
    REQUIRE(acpi_find_table(GuestRam::read, &ram, root, kAcpiFadtSignature, phys, length) == AcpiError::None);
    CHECK(phys == result.fadt);
    CHECK(length == sizeof(AcpiFadt6));
    REQUIRE(acpi_find_table(GuestRam::read, &ram, root, kAcpiMadtSignature, phys, length) == AcpiError::None);
    CHECK(phys == result.madt);
    // The DSDT is not in the XSDT: the FADT is the only way to it.
    CHECK(acpi_find_table(GuestRam::read, &ram, root, kAcpiDsdtSignature, phys, length) == AcpiError::NoTable);

    MadtInfo madt;
    REQUIRE(read_madt(GuestRam::read, &ram, root, madt) == MadtError::None);
    CHECK(madt.local_apic_address == kGuestLocalApicAddress);
    REQUIRE(madt.cpu_count == 1);
    CHECK(madt.cpus[0].apic_id == 0);
    CHECK(madt.cpus[0].acpi_uid == 0);
    CHECK(madt.cpus[0].enabled);
    CHECK_FALSE(madt.cpus[0].x2apic);
    CHECK(madt.cpus_ignored == 0);
    CHECK(madt.io_apic_count == 1);
    CHECK_FALSE(madt.legacy_pics);

    // The host's S5 path knows only the PM1 control register, which a
    // hardware-reduced FADT does not have: it refuses the FADT rather than
    // guess. The S5 sleep type itself is found in the DSDT the FADT names.
    SleepControl sleep{};
    CHECK(acpi_find_s5(GuestRam::read, &ram, root, sleep) == AcpiError::BadFadt);
    AcpiFadt reader_view{};
    REQUIRE(GuestRam::read(&ram, result.fadt, &reader_view, sizeof(reader_view)));
    CHECK(reader_view.x_dsdt == result.dsdt);
    CHECK(reader_view.pm1a_control_block == 0);
    const uint32_t dsdt_length = ram.u32(result.dsdt + sdt::kLength);
    uint8_t typ_a = 0;
    uint8_t typ_b = 0;
    REQUIRE(aml_find_s5(ram.bytes().data() + result.dsdt + sdt::kSize, dsdt_length - sdt::kSize, typ_a, typ_b));
    CHECK(typ_a == kGuestS5SleepType);
    CHECK(acpi_sleep_control_value(typ_a) == kGuestPowerOffValue);
}

TEST_CASE("guest ACPI: acpi_root_from_rsdp accepts the RSDP as a boot loader would hand it over") {
    GuestRam ram;
    const GuestAcpiResult result = build(ram);
    REQUIRE(result.error == GuestAcpiError::None);
    AcpiRoot root{};
    REQUIRE(acpi_root_from_rsdp(ram.bytes().data() + kBase, rsdp::kV2Size, root) == AcpiError::None);
    CHECK(root.is_xsdt);
    CHECK(root.root_table_phys == result.xsdt);
    // Only the 20-byte v1 part (a multiboot2 "old ACPI" tag): there is no RSDT to fall back on.
    CHECK(acpi_root_from_rsdp(ram.bytes().data() + kBase, rsdp::kV1Size, root) == AcpiError::BadRootTable);
}

// ------------------------------------------------------------- boundaries

TEST_CASE("guest ACPI: nothing is written outside the tables' own range, and a rebuild is identical") {
    const uint64_t size = guest_acpi_size(1);
    // At the BIOS area, and squeezed against the very end of guest memory.
    const uint64_t tight = ((2 * kMiB - size) / 16) * 16;
    for (uint64_t gpa : {kBase, tight}) {
        GuestRam fresh;
        const GuestAcpiResult result = build(fresh, gpa);
        REQUIRE(result.error == GuestAcpiError::None);
        REQUIRE(result.size == size);
        const Bytes& bytes = fresh.bytes();
        for (uint64_t i = 0; i < bytes.size(); ++i) {
            if (i >= gpa && i < gpa + size) continue;
            if (bytes[i] != kFill) FAIL("byte " << i << " changed, outside the tables");
        }
        // The padding between tables is zero, not left-over fill.
        CHECK(fresh.u8(gpa + rsdp::kV2Size) == 0);

        // Building again over the result changes nothing.
        const Bytes first = bytes;
        REQUIRE(build(fresh, gpa).error == GuestAcpiError::None);
        CHECK(fresh.bytes() == first);
    }
}

TEST_CASE("guest ACPI: refused configurations and ranges leave guest memory untouched") {
    const uint64_t size = guest_acpi_size(1);
    struct Case {
        const char* what;
        uint64_t memory_size;
        uint64_t gpa;
        uint32_t cpus;
        uint64_t region_size;
        GuestAcpiError expected;
    };
    const Case cases[] = {
        {"no CPUs", 2 * kMiB, kBase, 0, kGuestAcpiRegionSize, GuestAcpiError::BadCpuCount},
        {"256 CPUs", 2 * kMiB, kBase, 256, kGuestAcpiRegionSize, GuestAcpiError::BadCpuCount},
        {"misaligned", 2 * kMiB, kBase + 8, 1, kGuestAcpiRegionSize, GuestAcpiError::Misaligned},
        {"region one byte short", 2 * kMiB, kBase, 1, size - 1, GuestAcpiError::RegionTooSmall},
        {"past the end of memory", 1 * kMiB, 1 * kMiB - 16, 1, kGuestAcpiRegionSize,
         GuestAcpiError::OutsideMemory},
        {"wrapping past 2^64", 2 * kMiB, UINT64_MAX - 15, 1, kGuestAcpiRegionSize, GuestAcpiError::OutsideMemory},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        GuestRam ram(c.memory_size);
        GuestAcpiConfig config;
        config.cpu_count = c.cpus;
        config.region_size = c.region_size;
        const GuestAcpiResult result = build(ram, c.gpa, config);
        CHECK(result.error == c.expected);
        CHECK(result.size == 0);
        CHECK(result.rsdp == 0);
        CHECK(result.madt == 0);
        CHECK(ram.bytes() == Bytes(c.memory_size, kFill));
    }

    // Exactly enough is enough.
    GuestRam ram;
    GuestAcpiConfig exact;
    exact.region_size = size;
    CHECK(build(ram, kBase, exact).error == GuestAcpiError::None);
    GuestRam end_of_memory(1 * kMiB);
    CHECK(build(end_of_memory, 1 * kMiB - ((size + 15) / 16) * 16).error == GuestAcpiError::None);

    // No memory at all.
    CHECK(build_guest_acpi(GuestMemory{nullptr, 2 * kMiB}, kBase, GuestAcpiConfig{}).error ==
          GuestAcpiError::OutsideMemory);
}

TEST_CASE("guest ACPI: every error has a distinct description") {
    const GuestAcpiError errors[] = {GuestAcpiError::None, GuestAcpiError::BadCpuCount, GuestAcpiError::Misaligned,
                                     GuestAcpiError::RegionTooSmall, GuestAcpiError::OutsideMemory};
    std::vector<std::string> seen;
    for (GuestAcpiError error : errors) {
        const std::string text = to_string(error);
        CHECK_FALSE(text.empty());
        for (const std::string& other : seen) CHECK(text != other);
        seen.push_back(text);
    }
}
