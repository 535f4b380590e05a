// The ACPI tables of a partition. See guest_acpi.hpp for what is written and
// why; the layouts are in arch/x86_64/acpi_tables.hpp, acpi_fadt.hpp and
// madt_tables.hpp.
//
// Two phases, as in the image loader: first plan where every table goes and
// check that all of it fits (writing nothing), then write. Tables are
// assembled in their packed structs and memcpy'd into guest memory: guest
// memory has no alignment guarantee for our purposes and the structs are
// packed, so nothing is ever accessed through a cast pointer. A table's
// checksum is set last, over the bytes as they lie in guest memory.
#include "vmm/guest_acpi.hpp"

#include "arch/x86_64/acpi_fadt.hpp"
#include "arch/x86_64/acpi_tables.hpp"
#include "arch/x86_64/madt_tables.hpp"
#include "drivers/uart16550_defs.hpp"
#include "kernel/lib/string.hpp"

namespace bulkhead {
namespace {

// ---- Values from the specification, used only here -------------------------------

// Table revisions for ACPI 6.5 (the FADT's are in acpi_fadt.hpp).
constexpr uint8_t kXsdtRevision = 1;
constexpr uint8_t kDsdtRevision = 2;  // 2 and up: AML integers are 64 bits wide
constexpr uint8_t kMadtRevision = 6;

// Who made the tables (the "ASL compiler" fields of every SDT header).
constexpr char kCreatorId[] = "BLKH";
constexpr uint32_t kCreatorRevision = 1;
static_assert(sizeof(kCreatorId) - 1 == sizeof(AcpiSdtHeader::creator_id));
static_assert(sizeof(kGuestHypervisorVendor) - 1 == sizeof(AcpiFadt6::hypervisor_vendor_identity));

// MPS INTI flags of MADT entries 2 and 4: polarity in bits 1:0, trigger mode
// in bits 3:2; 00 in a field means "as the bus defines it".
constexpr uint16_t kMpsIntiConformsToBus = 0;      // ISA: edge-triggered, active high
constexpr uint16_t kMpsIntiActiveHigh = 1u << 0;   // polarity 01
constexpr uint16_t kMpsIntiEdgeTriggered = 1u << 2;  // trigger mode 01

// The PC's timer wiring: the PIT raises ISA IRQ 0, which reaches I/O APIC
// pin 2 (pin 0 carries the 8259's INTR output).
constexpr uint8_t kMadtBusIsa = 0;
constexpr uint8_t kIsaIrqTimer = 0;
constexpr uint32_t kTimerGsi = 2;

// Local APIC NMI entry: which processors (0xFF: all) and which LINT pin.
// LINT1 is NMI on every PC; Linux warns about any other pin.
constexpr uint8_t kAllProcessors = 0xFF;
constexpr uint8_t kLint1 = 1;

// ---- The DSDT's AML ---------------------------------------------------------------

// AML opcodes and prefixes (ACPI 6.5, chapter 20).
constexpr uint8_t kAmlZeroOp = 0x00;      // the integer 0
constexpr uint8_t kAmlOneOp = 0x01;       // the integer 1
constexpr uint8_t kAmlNameOp = 0x08;      // DefName := NameOp NameString DataRefObject
constexpr uint8_t kAmlBytePrefix = 0x0A;  // ByteConst := BytePrefix ByteData
constexpr uint8_t kAmlDWordPrefix = 0x0C; // DWordConst := DWordPrefix DWordData
constexpr uint8_t kAmlScopeOp = 0x10;     // DefScope := ScopeOp PkgLength NameString TermList
constexpr uint8_t kAmlBufferOp = 0x11;    // DefBuffer := BufferOp PkgLength BufferSize ByteList
constexpr uint8_t kAmlPackageOp = 0x12;   // DefPackage := PackageOp PkgLength NumElements PackageElementList
constexpr uint8_t kAmlExtOpPrefix = 0x5B; // the first byte of two-byte opcodes
constexpr uint8_t kAmlDeviceOp = 0x82;    // DefDevice := ExtOpPrefix DeviceOp PkgLength NameString TermList

// Resource descriptors in a _CRS buffer (ACPI 6.5, 6.4): small items, the
// tag byte holding the type and the length of the data after it.
constexpr uint8_t kResourceIo = 0x47;         // I/O port descriptor, 7 data bytes
constexpr uint8_t kResourceIoDecode16 = 0x01; // decodes all 16 address lines
constexpr uint8_t kResourceIrqNoFlags = 0x22; // IRQ descriptor, 2 data bytes: the IRQ mask
constexpr uint8_t kResourceEndTag = 0x79;     // end tag, 1 data byte: a checksum, 0 = none

// The COM1 device's identity: EisaId ("PNP0501"), a 16550-compatible UART,
// compressed as the specification says (three 5-bit letters, then four hex
// digits), in the byte order AML stores a DWord.
constexpr uint32_t kEisaIdPnp0501 = 0x0105D041;
constexpr uint8_t kCom1IoAlignment = 1;
constexpr uint8_t kCom1IoLength = 8;
constexpr uint8_t kCom1Irq = 4;   // ISA IRQ 4: vmm/virtual_platform.hpp wires it to I/O APIC pin 4

constexpr uint8_t low_byte(uint32_t v) { return static_cast<uint8_t>(v); }
constexpr uint8_t byte_of(uint32_t v, unsigned n) { return static_cast<uint8_t>(v >> (8 * n)); }

// A one-byte PkgLength has bits 7:6 = 0 (no bytes follow) and the length in
// bits 5:0, so it can say at most 63.
constexpr uint8_t kAmlPkgLengthOneByteMax = 0x3F;

// \_S5_ is a package of four integers: SLP_TYPa, SLP_TYPb, two reserved.
// (ACPICA needs only the first; 4 is what the specification shows and what
// QEMU and firmware write.)
constexpr uint8_t kS5ElementCount = 4;

// PkgLength counts itself and everything after it up to the package's end:
// 1 (PkgLength) + 1 (NumElements) + 2 + 2 (two ByteConsts) + 1 + 1 (two Zeros).
constexpr uint8_t kS5PkgLength = 8;
constexpr size_t kS5PkgLengthOffset = 6;  // after NameOp, the 4-byte NameSeg and PackageOp
static_assert(kS5PkgLength <= kAmlPkgLengthOneByteMax);

// The COM1 device's PkgLengths (each counts itself and what follows it to
// the end of its object): the _CRS buffer holds the I/O descriptor (8), the
// IRQ descriptor (3) and the end tag (2).
constexpr uint8_t kCom1ResourceBytes = 8 + 3 + 2;
constexpr uint8_t kCom1CrsPkgLength = 1 + 2 + kCom1ResourceBytes;   // PkgLength, BufferSize (ByteConst), bytes
constexpr uint8_t kCom1DevicePkgLength = 1 + 4 + 10 + 6 + (1 + 4 + 1 + kCom1CrsPkgLength);
constexpr uint8_t kSbScopePkgLength = 1 + 4 + (2 + kCom1DevicePkgLength);
static_assert(kSbScopePkgLength <= kAmlPkgLengthOneByteMax, "one-byte PkgLengths throughout");

// The whole TermList of the DSDT, in ASL:
//     DefinitionBlock ("", "DSDT", 2, "BLKHD ", "BULKHEAD", 1) {
//         Name (_S5_, Package (4) { 5, 5, 0, 0 })
//         Scope (\_SB) {
//             Device (COM1) {
//                 Name (_HID, EisaId ("PNP0501"))
//                 Name (_UID, One)
//                 Name (_CRS, ResourceTemplate () {
//                     IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
//                     IRQNoFlags () {4}
//                 })
//             }
//         }
//     }
// The DefinitionBlock line *is* the SDT header (written separately); what
// follows is its body, byte for byte what ACPICA's iasl makes of it. Top-level
// names in a DSDT live in the root scope, so the NameSeg "_S5_" defines
// \_S5_ and "_SB_" names \_SB without a RootChar ('\') prefix.
//
// Why COM1 is described: a hardware-reduced platform has no legacy ISA IRQ
// mapping, so Linux connects the serial port's IRQ 4 to the I/O APIC only
// through an ACPI device's resources (its 8250_pnp driver, as on every PC's
// firmware). Without it the port prints (polled) but never interrupts, and
// userspace output and all input are lost.
constexpr uint8_t kDsdtAml[] = {
    kAmlNameOp,                         // Name (
    '_', 'S', '5', '_',                 //   NameSeg: always 4 characters, padded with '_'
    kAmlPackageOp,                      //   Package
    kS5PkgLength,                       //     PkgLength: the 8 bytes from here to the end
    kS5ElementCount,                    //     NumElements: 4
    kAmlBytePrefix, kGuestS5SleepType,  //     SLP_TYPa: what the OS writes to SLEEP_CONTROL_REG
    kAmlBytePrefix, kGuestS5SleepType,  //     SLP_TYPb: for a PM1b block; there is none, kept equal
    kAmlZeroOp,                         //     reserved
    kAmlZeroOp,                         //     reserved
                                        // )
    kAmlScopeOp, kSbScopePkgLength, '_', 'S', 'B', '_',                         // Scope (\_SB) {
    kAmlExtOpPrefix, kAmlDeviceOp, kCom1DevicePkgLength, 'C', 'O', 'M', '1',   //   Device (COM1) {
    kAmlNameOp, '_', 'H', 'I', 'D', kAmlDWordPrefix,                           //     Name (_HID, EisaId)
    byte_of(kEisaIdPnp0501, 0), byte_of(kEisaIdPnp0501, 1), byte_of(kEisaIdPnp0501, 2), byte_of(kEisaIdPnp0501, 3),
    kAmlNameOp, '_', 'U', 'I', 'D', kAmlOneOp,                                 //     Name (_UID, One)
    kAmlNameOp, '_', 'C', 'R', 'S', kAmlBufferOp, kCom1CrsPkgLength,           //     Name (_CRS, Buffer
    kAmlBytePrefix, kCom1ResourceBytes,                                        //       of 13 bytes:
    kResourceIo, kResourceIoDecode16,                                          //       IO (Decode16,
    low_byte(kCom1Port), byte_of(kCom1Port, 1),                                //         minimum 0x3f8
    low_byte(kCom1Port), byte_of(kCom1Port, 1),                                //         maximum 0x3f8
    kCom1IoAlignment, kCom1IoLength,                                           //         1, 8)
    kResourceIrqNoFlags, static_cast<uint8_t>(1u << kCom1Irq), 0,              //       IRQNoFlags () {4}
    kResourceEndTag, 0,                                                        //     }) } }
};
static_assert(sizeof(kDsdtAml) == kS5PkgLengthOffset + kS5PkgLength + 1 + kSbScopePkgLength,
              "each PkgLength covers exactly the rest of its object");

// ---- Layout -----------------------------------------------------------------------

// FADT and MADT; the DSDT is reached through the FADT only.
constexpr size_t kXsdtEntryCount = 2;
constexpr uint32_t kXsdtLength = sizeof(AcpiSdtHeader) + kXsdtEntryCount * kAcpiXsdtEntrySize;
constexpr uint32_t kDsdtLength = sizeof(AcpiSdtHeader) + sizeof(kDsdtAml);

// One Processor Local APIC entry per CPU, then the fixed entries.
constexpr uint64_t madt_length(uint32_t cpu_count) {
    return sizeof(AcpiMadt) + uint64_t{cpu_count} * sizeof(AcpiMadtLocalApic) + sizeof(AcpiMadtIoApic) +
           sizeof(AcpiMadtInterruptSourceOverride) + sizeof(AcpiMadtLocalApicNmi);
}

constexpr uint64_t align_up(uint64_t value) {
    return (value + kGuestAcpiAlignment - 1) & ~(kGuestAcpiAlignment - 1);
}

// Where each table starts, as an offset from gpa, and the total size.
struct Layout {
    uint64_t xsdt;
    uint64_t fadt;
    uint64_t dsdt;
    uint64_t madt;
    uint64_t madt_length;
    uint64_t size;
};

constexpr Layout plan_layout(uint32_t cpu_count) {
    Layout layout{};
    layout.xsdt = align_up(sizeof(AcpiRsdpV2));
    layout.fadt = align_up(layout.xsdt + kXsdtLength);
    layout.dsdt = align_up(layout.fadt + sizeof(AcpiFadt6));
    layout.madt = align_up(layout.dsdt + kDsdtLength);
    layout.madt_length = madt_length(cpu_count);
    layout.size = layout.madt + layout.madt_length;
    return layout;
}

// Overflow-proof: true when [start, start + length) lies inside [0, limit).
constexpr bool fits_within(uint64_t start, uint64_t length, uint64_t limit) {
    return length <= limit && start <= limit - length;
}

GuestAcpiError check(GuestMemory memory, uint64_t gpa, const GuestAcpiConfig& config, const Layout& layout) {
    if (config.cpu_count == 0 || config.cpu_count > kGuestMaxCpus) return GuestAcpiError::BadCpuCount;
    if (gpa % kGuestAcpiAlignment != 0) return GuestAcpiError::Misaligned;
    if (layout.size > config.region_size) return GuestAcpiError::RegionTooSmall;
    if (memory.host == nullptr || !fits_within(gpa, layout.size, memory.size)) return GuestAcpiError::OutsideMemory;
    return GuestAcpiError::None;
}

// ---- Writing ----------------------------------------------------------------------

// Guest memory from gpa on, all of [0, layout.size) checked to be inside it.
struct Region {
    uint8_t* host;  // memory.host + gpa
    uint64_t gpa;

    template <class T>
    void put(uint64_t offset, const T& value) const { memcpy(host + offset, &value, sizeof(T)); }
};

// Appends an entry at `offset`; returns the offset just past it.
template <class T>
uint64_t append(const Region& region, uint64_t offset, const T& value) {
    region.put(offset, value);
    return offset + sizeof(T);
}

uint8_t byte_sum(const uint8_t* bytes, size_t length) {
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
    return sum;
}

// The checksum byte that makes `length` bytes, in which it is still 0, sum to 0.
template <class T>
uint8_t checksum_of(const T& value, size_t length = sizeof(T)) {
    return static_cast<uint8_t>(0 - byte_sum(reinterpret_cast<const uint8_t*>(&value), length));
}

// Sets the checksum of the SDT written at `offset`, over its whole length.
void seal_table(const Region& region, uint64_t offset, uint32_t length) {
    uint8_t* table = region.host + offset;
    table[offsetof(AcpiSdtHeader, checksum)] = 0;
    table[offsetof(AcpiSdtHeader, checksum)] = static_cast<uint8_t>(0 - byte_sum(table, length));
}

// Copies `text` into a fixed-width header field, padded with spaces, cut if
// longer. ACPI ID fields are not NUL-terminated.
void copy_padded(char* field, size_t width, const char* text) {
    memset(field, ' ', width);
    if (text != nullptr) memcpy(field, text, bounded_strlen(text, width));
}

AcpiSdtHeader make_header(const char* signature, uint64_t length, uint8_t revision, const GuestAcpiConfig& config) {
    AcpiSdtHeader header;
    memset(&header, 0, sizeof(header));
    memcpy(header.signature, signature, kAcpiSignatureLength);
    header.length = static_cast<uint32_t>(length);  // all our tables are a few KiB at most
    header.revision = revision;
    copy_padded(header.oem_id, sizeof(header.oem_id), config.oem_id);
    copy_padded(header.oem_table_id, sizeof(header.oem_table_id), config.oem_table_id);
    header.oem_revision = config.oem_revision;
    uint32_t creator = 0;
    memcpy(&creator, kCreatorId, sizeof(creator));  // the 4 characters in memory order
    header.creator_id = creator;
    header.creator_revision = kCreatorRevision;
    return header;
}

// A byte-wide register in I/O space, accessed by single-byte IN/OUT.
AcpiGenericAddress io_byte_register(uint16_t port) {
    AcpiGenericAddress reg;
    memset(&reg, 0, sizeof(reg));
    reg.address_space = kAcpiAddressSpaceIo;
    reg.bit_width = kAcpiByteRegisterBits;
    reg.bit_offset = 0;
    reg.access_size = kAcpiAccessSizeByte;
    reg.address = port;
    return reg;
}

void write_rsdp(const Region& region, const Layout& layout, const GuestAcpiConfig& config) {
    AcpiRsdpV2 rsdp;
    memset(&rsdp, 0, sizeof(rsdp));
    memcpy(rsdp.v1.signature, kAcpiRsdpSignature, kAcpiRsdpSignatureLength);
    copy_padded(rsdp.v1.oem_id, sizeof(rsdp.v1.oem_id), config.oem_id);
    rsdp.v1.revision = kAcpiRsdpRevisionWithXsdt;
    rsdp.v1.rsdt_address = 0;  // no RSDT: see guest_acpi.hpp
    rsdp.length = sizeof(rsdp);
    rsdp.xsdt_address = region.gpa + layout.xsdt;
    // The v1 checksum covers the first 20 bytes; the extended one all 36,
    // the v1 checksum included, so it must come second.
    rsdp.v1.checksum = checksum_of(rsdp.v1);
    rsdp.extended_checksum = checksum_of(rsdp);
    region.put(0, rsdp);
}

void write_xsdt(const Region& region, const Layout& layout, const GuestAcpiConfig& config) {
    const uint64_t entries[kXsdtEntryCount] = {region.gpa + layout.fadt, region.gpa + layout.madt};
    region.put(layout.xsdt, make_header(kAcpiXsdtSignature, kXsdtLength, kXsdtRevision, config));
    region.put(layout.xsdt + sizeof(AcpiSdtHeader), entries);
    seal_table(region, layout.xsdt, kXsdtLength);
}

void write_fadt(const Region& region, const Layout& layout, const GuestAcpiConfig& config) {
    AcpiFadt6 fadt;
    memset(&fadt, 0, sizeof(fadt));  // everything not named here is absent in hardware-reduced mode
    fadt.header = make_header(kAcpiFadtSignature, sizeof(fadt), kAcpiFadtRevision6, config);
    fadt.preferred_pm_profile = kAcpiPmProfileUnspecified;
    fadt.iapc_boot_arch = kGuestBootArchFlags;
    fadt.flags = kAcpiFadtFlagHardwareReduced | kAcpiFadtFlagResetRegister | kAcpiFadtFlagPowerButton |
                 kAcpiFadtFlagSleepButton;
    fadt.reset_register = io_byte_register(kGuestResetPort);
    fadt.reset_value = kGuestResetValue;
    fadt.minor_version = kAcpiFadtMinorVersion6_5;
    fadt.x_dsdt = region.gpa + layout.dsdt;  // the 32-bit dsdt stays 0: see guest_acpi.hpp
    fadt.sleep_control = io_byte_register(kGuestSleepControlPort);
    fadt.sleep_status = io_byte_register(kGuestSleepStatusPort);
    uint64_t vendor = 0;
    memcpy(&vendor, kGuestHypervisorVendor, sizeof(vendor));  // "Bulkhead" in memory order
    fadt.hypervisor_vendor_identity = vendor;
    region.put(layout.fadt, fadt);
    seal_table(region, layout.fadt, sizeof(fadt));
}

void write_dsdt(const Region& region, const Layout& layout, const GuestAcpiConfig& config) {
    region.put(layout.dsdt, make_header(kAcpiDsdtSignature, kDsdtLength, kDsdtRevision, config));
    region.put(layout.dsdt + sizeof(AcpiSdtHeader), kDsdtAml);
    seal_table(region, layout.dsdt, kDsdtLength);
}

// CPU n: ACPI processor UID n, APIC ID n, usable now.
AcpiMadtLocalApic local_apic_entry(uint8_t cpu) {
    return AcpiMadtLocalApic{{kAcpiMadtTypeLocalApic, sizeof(AcpiMadtLocalApic)}, cpu, cpu,
                             kAcpiMadtProcessorEnabled};
}

AcpiMadtIoApic io_apic_entry(const GuestAcpiConfig& config) {
    return AcpiMadtIoApic{{kAcpiMadtTypeIoApic, sizeof(AcpiMadtIoApic)}, config.io_apic_id, 0,
                          config.io_apic_address, kGuestIoApicGsiBase};
}

AcpiMadtInterruptSourceOverride timer_override_entry() {
    return AcpiMadtInterruptSourceOverride{
        {kAcpiMadtTypeInterruptSourceOverride, sizeof(AcpiMadtInterruptSourceOverride)},
        kMadtBusIsa, kIsaIrqTimer, kTimerGsi, kMpsIntiConformsToBus};
}

AcpiMadtLocalApicNmi nmi_entry() {
    return AcpiMadtLocalApicNmi{{kAcpiMadtTypeLocalApicNmi, sizeof(AcpiMadtLocalApicNmi)},
                                kAllProcessors, kMpsIntiActiveHigh | kMpsIntiEdgeTriggered, kLint1};
}

void write_madt(const Region& region, const Layout& layout, const GuestAcpiConfig& config) {
    AcpiMadt madt;
    memset(&madt, 0, sizeof(madt));
    madt.header = make_header(kAcpiMadtSignature, layout.madt_length, kMadtRevision, config);
    madt.local_apic_address = kGuestLocalApicAddress;
    madt.flags = 0;  // no PCAT_COMPAT: there are no 8259 PICs
    uint64_t offset = append(region, layout.madt, madt);
    for (uint32_t cpu = 0; cpu < config.cpu_count; ++cpu)
        offset = append(region, offset, local_apic_entry(static_cast<uint8_t>(cpu)));
    offset = append(region, offset, io_apic_entry(config));
    offset = append(region, offset, timer_override_entry());
    append(region, offset, nmi_entry());
    seal_table(region, layout.madt, static_cast<uint32_t>(layout.madt_length));
}

constexpr GuestAcpiResult failure(GuestAcpiError error) { return GuestAcpiResult{error, 0, 0, 0, 0, 0, 0}; }

}  // namespace

const char* to_string(GuestAcpiError error) {
    switch (error) {
        case GuestAcpiError::None: return "no error";
        case GuestAcpiError::BadCpuCount: return "unsupported number of CPUs for the ACPI tables";
        case GuestAcpiError::Misaligned: return "ACPI tables address not 16-byte aligned";
        case GuestAcpiError::RegionTooSmall: return "ACPI tables do not fit the reserved region";
        case GuestAcpiError::OutsideMemory: return "ACPI tables would lie outside guest memory";
    }
    return "unknown ACPI table error";
}

uint64_t guest_acpi_size(uint32_t cpu_count) { return plan_layout(cpu_count).size; }

GuestAcpiResult build_guest_acpi(GuestMemory memory, uint64_t gpa, const GuestAcpiConfig& config) {
    const Layout layout = plan_layout(config.cpu_count);
    const GuestAcpiError error = check(memory, gpa, config, layout);
    if (error != GuestAcpiError::None) return failure(error);

    const Region region{memory.host + gpa, gpa};
    memset(region.host, 0, layout.size);  // the padding between tables, whatever was there before
    write_rsdp(region, layout, config);
    write_xsdt(region, layout, config);
    write_fadt(region, layout, config);
    write_dsdt(region, layout, config);
    write_madt(region, layout, config);
    return GuestAcpiResult{GuestAcpiError::None, layout.size,        gpa,
                           gpa + layout.xsdt,    gpa + layout.fadt, gpa + layout.dsdt,
                           gpa + layout.madt};
}

}  // namespace bulkhead
