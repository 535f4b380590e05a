// ACPI table discovery and the S5 (soft off) sleep values. See acpi.hpp.
//
// Rule followed throughout: a table's bytes are used only after its header
// was read, its length found sane and its checksum verified, and no read ever
// goes past the length so verified. Physical memory is only ever touched
// through PhysMemory::read, which also refuses ranges that wrap around.
#include "kernel/acpi.hpp"

#include "arch/x86_64/acpi_tables.hpp"
#include "kernel/lib/string.hpp"

namespace bulkhead {
namespace {

// No real table comes anywhere near this (large server DSDTs are around
// 1 MiB). A length beyond it is corruption, and trusting it would make us
// checksum gigabytes of whatever lies there.
constexpr uint32_t kMaxTableLength = 16u << 20;

// Tables are checksummed in pieces of this size through a stack buffer.
constexpr size_t kChecksumChunkSize = 256;

// The DSDT is searched for _S5_ through a window of this size. Consecutive
// windows overlap, so a _S5_ package of up to kAmlWindowOverlap bytes is
// always wholly inside some window. A real one is about a dozen bytes:
// NameOp, '\', 4-byte name, PackageOp, PkgLength, count, 4 small integers.
constexpr size_t kAmlWindowSize = 512;
constexpr size_t kAmlWindowOverlap = 64;
constexpr size_t kAmlWindowStep = kAmlWindowSize - kAmlWindowOverlap;
static_assert(kAmlWindowOverlap < kAmlWindowSize);

// Where legacy BIOSes leave the RSDP (ACPI spec 5.2.5.1).
constexpr uint64_t kEbdaSegmentPointer = 0x40E;  // BIOS data area: u16 real-mode segment
constexpr unsigned kRealModeSegmentShift = 4;    // segment * 16 = physical address
constexpr uint64_t kEbdaSearchLength = 1024;     // only the first KiB of the EBDA
constexpr uint64_t kBiosAreaStart = 0xE0000;
constexpr uint64_t kBiosAreaEnd = 0x100000;      // exclusive
constexpr uint64_t kRsdpAlignment = 16;

constexpr uint64_t kMaxIoPort = 0xFFFF;

// AML opcodes and prefixes (ACPI spec chapter 20) that an _S5_ object uses.
constexpr uint8_t kAmlZeroOp = 0x00;
constexpr uint8_t kAmlOneOp = 0x01;
constexpr uint8_t kAmlNameOp = 0x08;
constexpr uint8_t kAmlBytePrefix = 0x0A;
constexpr uint8_t kAmlWordPrefix = 0x0B;
constexpr uint8_t kAmlDWordPrefix = 0x0C;
constexpr uint8_t kAmlPackageOp = 0x12;
constexpr uint8_t kAmlRootChar = 0x5C;  // '\' : the name is relative to the root
constexpr size_t kAmlWordSize = 2;
constexpr size_t kAmlDWordSize = 4;

constexpr char kS5Name[] = "_S5_";
constexpr size_t kAmlNameSegLength = 4;

// PkgLength encoding: bits 7-6 of the lead byte count the bytes that follow
// (0-3). With none, bits 5-0 are the length; otherwise bits 3-0 are its low
// nibble, bits 5-4 must be zero, and each following byte adds 8 more bits.
constexpr unsigned kPkgLengthFollowingShift = 6;
constexpr uint8_t kPkgLengthSingleByteMask = 0x3F;
constexpr uint8_t kPkgLengthLowNibbleMask = 0x0F;
constexpr uint8_t kPkgLengthReservedMask = 0x30;
constexpr unsigned kPkgLengthNibbleBits = 4;
constexpr unsigned kBitsPerByte = 8;

// _S5_ needs at least SLP_TYPa and SLP_TYPb.
constexpr uint8_t kS5MinimumElements = 2;

uint8_t byte_sum(const void* data, size_t length) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
    return sum;
}

template <typename T>
constexpr T smaller(T a, T b) { return a < b ? a : b; }

// The one door to physical memory.
class PhysMemory {
public:
    PhysMemory(PhysReader reader, void* context) : reader_(reader), context_(context) {}

    bool read(uint64_t phys, void* out, size_t length) const {
        if (reader_ == nullptr) return false;
        if (length == 0) return true;
        if (phys > UINT64_MAX - length) return false;  // the range would wrap past 2^64
        return reader_(context_, phys, out, length);
    }

    template <typename T>
    bool read_value(uint64_t phys, T& out) const { return read(phys, &out, sizeof(T)); }

private:
    PhysReader reader_;
    void* context_;
};

// -------------------------------------------------------------- tables

bool checksum_ok(const PhysMemory& memory, uint64_t phys, uint32_t length) {
    uint8_t chunk[kChecksumChunkSize];
    uint8_t sum = 0;
    for (uint32_t done = 0; done < length;) {
        const size_t size = smaller<size_t>(kChecksumChunkSize, length - done);
        if (!memory.read(phys + done, chunk, size)) return false;
        sum = static_cast<uint8_t>(sum + byte_sum(chunk, size));
        done += static_cast<uint32_t>(size);
    }
    return sum == 0;
}

enum class TableState {
    Valid,
    Absent,   // nothing readable there, or a different signature
    Corrupt,  // right signature, but impossible length or bad checksum
};

// Reads the header of the table at `phys` and validates the whole table.
TableState check_table(const PhysMemory& memory, uint64_t phys, const char* signature,
                       AcpiSdtHeader& header) {
    if (phys == 0 || !memory.read_value(phys, header)) return TableState::Absent;
    if (memcmp(header.signature, signature, kAcpiSignatureLength) != 0) return TableState::Absent;
    if (header.length < sizeof(AcpiSdtHeader) || header.length > kMaxTableLength)
        return TableState::Corrupt;
    return checksum_ok(memory, phys, header.length) ? TableState::Valid : TableState::Corrupt;
}

// A validated RSDT or XSDT: entry i is at phys + header + i * entry_size.
struct RootTable {
    uint64_t phys;
    size_t entry_size;
    size_t entry_count;
};

bool open_root_table(const PhysMemory& memory, const AcpiRoot& root, RootTable& out) {
    const char* signature = root.is_xsdt ? kAcpiXsdtSignature : kAcpiRsdtSignature;
    AcpiSdtHeader header;
    if (check_table(memory, root.root_table_phys, signature, header) != TableState::Valid)
        return false;
    out.phys = root.root_table_phys;
    out.entry_size = root.is_xsdt ? kAcpiXsdtEntrySize : kAcpiRsdtEntrySize;
    // Rounding down ignores a torn trailing entry instead of reading past the end.
    out.entry_count = (header.length - sizeof(AcpiSdtHeader)) / out.entry_size;
    return true;
}

bool read_root_entry(const PhysMemory& memory, const RootTable& table, size_t index,
                     uint64_t& table_phys) {
    const uint64_t entry_phys = table.phys + sizeof(AcpiSdtHeader) + index * table.entry_size;
    if (table.entry_size == kAcpiXsdtEntrySize) return memory.read_value(entry_phys, table_phys);
    uint32_t narrow = 0;
    if (!memory.read_value(entry_phys, narrow)) return false;
    table_phys = narrow;
    return true;
}

struct TableSearch {
    TableState state = TableState::Absent;  // Corrupt: only bad copies were seen
    uint64_t phys = 0;
    uint32_t length = 0;
};

// Walks the root table for the first valid table with `signature`.
AcpiError search_root(const PhysMemory& memory, const AcpiRoot& root, const char* signature,
                      TableSearch& result) {
    RootTable table;
    if (!open_root_table(memory, root, table)) return AcpiError::BadRootTable;
    for (size_t i = 0; i < table.entry_count; ++i) {
        uint64_t phys = 0;
        if (!read_root_entry(memory, table, i, phys)) return AcpiError::BadRootTable;
        AcpiSdtHeader header;
        const TableState state = check_table(memory, phys, signature, header);
        if (state == TableState::Corrupt) result.state = TableState::Corrupt;
        if (state != TableState::Valid) continue;
        result = TableSearch{TableState::Valid, phys, header.length};
        return AcpiError::None;
    }
    return AcpiError::None;
}

// ---------------------------------------------------------------- RSDP

bool has_rsdp_signature(const AcpiRsdpV1& rsdp) {
    return memcmp(rsdp.signature, kAcpiRsdpSignature, kAcpiRsdpSignatureLength) == 0;
}

// Reads the RSDP candidate at `phys` (not past `limit`) and validates it.
AcpiError try_rsdp_at(const PhysMemory& memory, uint64_t phys, uint64_t limit, AcpiRoot& out) {
    AcpiRsdpV2 copy;
    memset(&copy, 0, sizeof(copy));
    if (!memory.read(phys, &copy.v1, sizeof(copy.v1)) || !has_rsdp_signature(copy.v1))
        return AcpiError::NoRsdp;
    size_t available = sizeof(copy.v1);
    const bool has_v2_fields = copy.v1.revision >= kAcpiRsdpRevisionWithXsdt;
    if (has_v2_fields && phys + sizeof(copy) <= limit && memory.read(phys, &copy, sizeof(copy)))
        available = sizeof(copy);
    return acpi_root_from_rsdp(&copy, available, out);
}

// Scans [start, end) on 16-byte boundaries. On failure, reports
// BadRsdpChecksum (or BadRootTable) if a signature was seen, else NoRsdp.
AcpiError scan_for_rsdp(const PhysMemory& memory, uint64_t start, uint64_t end, AcpiRoot& out) {
    AcpiError failure = AcpiError::NoRsdp;
    for (uint64_t phys = start; phys + sizeof(AcpiRsdpV1) <= end; phys += kRsdpAlignment) {
        const AcpiError error = try_rsdp_at(memory, phys, end, out);
        if (error == AcpiError::None) return error;
        // A stray "RSD PTR " string is possible; keep looking, but remember it.
        if (failure == AcpiError::NoRsdp) failure = error;
    }
    return failure;
}

// ----------------------------------------------------------------- FADT

// The I/O port of a PM1 control block. From ACPI 2.0 on, a non-zero X_ field
// supersedes the 32-bit one; we can only use it if it names an I/O port.
uint16_t control_port(uint32_t legacy_port, const AcpiGenericAddress* extended) {
    if (extended != nullptr && extended->address != 0 &&
        extended->address_space == kAcpiAddressSpaceIo && extended->address <= kMaxIoPort)
        return static_cast<uint16_t>(extended->address);
    if (legacy_port <= kMaxIoPort) return static_cast<uint16_t>(legacy_port);
    return 0;
}

bool read_pm1_ports(const AcpiFadt& fadt, uint32_t length, SleepControl& out) {
    const AcpiGenericAddress* x_pm1a =
        length >= kAcpiFadtLengthWithXPm1a ? &fadt.x_pm1a_control_block : nullptr;
    const AcpiGenericAddress* x_pm1b =
        length >= kAcpiFadtLengthWithXPm1b ? &fadt.x_pm1b_control_block : nullptr;
    out.pm1a_control_port = control_port(fadt.pm1a_control_block, x_pm1a);
    out.pm1b_control_port = control_port(fadt.pm1b_control_block, x_pm1b);
    return out.pm1a_control_port != 0;  // every ACPI machine has PM1a
}

uint64_t dsdt_address(const AcpiFadt& fadt, uint32_t length) {
    if (length >= kAcpiFadtLengthWithXDsdt && fadt.x_dsdt != 0) return fadt.x_dsdt;
    return fadt.dsdt;
}

// Copies the FADT into a zeroed struct: fields past its length read as 0.
bool read_fadt(const PhysMemory& memory, const TableSearch& found, AcpiFadt& fadt) {
    memset(&fadt, 0, sizeof(fadt));
    if (found.length < kAcpiFadtMinimumLength) return false;
    return memory.read(found.phys, &fadt, smaller<size_t>(found.length, sizeof(fadt)));
}

// Searches the AML after the DSDT header, window by window (see kAmlWindowSize).
bool find_s5_in_dsdt(const PhysMemory& memory, uint64_t dsdt_phys, uint32_t dsdt_length,
                     uint8_t& typ_a, uint8_t& typ_b) {
    const uint64_t aml_phys = dsdt_phys + sizeof(AcpiSdtHeader);
    const size_t aml_length = dsdt_length - sizeof(AcpiSdtHeader);
    uint8_t window[kAmlWindowSize];
    for (size_t offset = 0; offset < aml_length; offset += kAmlWindowStep) {
        const size_t size = smaller(kAmlWindowSize, aml_length - offset);
        if (!memory.read(aml_phys + offset, window, size)) return false;
        if (aml_find_s5(window, size, typ_a, typ_b)) return true;
        if (offset + size == aml_length) break;  // that window reached the end
    }
    return false;
}

// ------------------------------------------------------------------ AML

// A read position in AML that refuses to move past `end`.
struct AmlCursor {
    const uint8_t* aml;
    size_t position;
    size_t end;

    bool read_byte(uint8_t& value) {
        if (position >= end) return false;
        value = aml[position++];
        return true;
    }

    // AML integers are little-endian.
    bool read_little_endian(size_t size, uint32_t& value) {
        value = 0;
        for (size_t i = 0; i < size; ++i) {
            uint8_t byte = 0;
            if (!read_byte(byte)) return false;
            value |= static_cast<uint32_t>(byte) << (i * kBitsPerByte);
        }
        return true;
    }
};

// PkgLength counts its own bytes plus the package contents.
bool decode_pkg_length(AmlCursor& cursor, size_t& length) {
    uint8_t lead = 0;
    if (!cursor.read_byte(lead)) return false;
    const unsigned following = lead >> kPkgLengthFollowingShift;
    if (following == 0) {
        length = lead & kPkgLengthSingleByteMask;
        return true;
    }
    if ((lead & kPkgLengthReservedMask) != 0) return false;
    uint32_t value = lead & kPkgLengthLowNibbleMask;
    for (unsigned i = 0; i < following; ++i) {
        uint8_t byte = 0;
        if (!cursor.read_byte(byte)) return false;
        value |= static_cast<uint32_t>(byte) << (kPkgLengthNibbleBits + i * kBitsPerByte);
    }
    length = value;
    return true;
}

// One package element holding a sleep type: a small integer constant.
bool decode_sleep_type(AmlCursor& cursor, uint8_t& value) {
    uint8_t opcode = 0;
    if (!cursor.read_byte(opcode)) return false;
    uint32_t wide = 0;
    switch (opcode) {
        case kAmlZeroOp: value = 0; return true;
        case kAmlOneOp: value = 1; return true;
        case kAmlBytePrefix: return cursor.read_byte(value);
        case kAmlWordPrefix:
            if (!cursor.read_little_endian(kAmlWordSize, wide)) return false;
            break;
        case kAmlDWordPrefix:
            if (!cursor.read_little_endian(kAmlDWordSize, wide)) return false;
            break;
        default: return false;  // not a constant we can evaluate without an interpreter
    }
    // SLP_TYP is 3 bits; a value that does not even fit a byte is not one.
    if (wide > UINT8_MAX) return false;
    value = static_cast<uint8_t>(wide);
    return true;
}

// Decodes "PackageOp PkgLength NumElements a b ..." starting at `offset`.
bool decode_s5_package(const uint8_t* aml, size_t length, size_t offset, uint8_t& typ_a,
                       uint8_t& typ_b) {
    AmlCursor cursor{aml, offset, length};
    uint8_t opcode = 0;
    if (!cursor.read_byte(opcode) || opcode != kAmlPackageOp) return false;
    const size_t package_start = cursor.position;
    size_t package_length = 0;
    if (!decode_pkg_length(cursor, package_length)) return false;
    if (package_length > length - package_start) return false;  // runs past the AML
    cursor.end = package_start + package_length;  // elements must lie inside the package

    uint8_t element_count = 0;
    uint8_t a = 0;
    uint8_t b = 0;
    if (!cursor.read_byte(element_count) || element_count < kS5MinimumElements) return false;
    if (!decode_sleep_type(cursor, a) || !decode_sleep_type(cursor, b)) return false;
    typ_a = a;
    typ_b = b;
    return true;
}

// True if the name at `name_offset` is the object of a NameOp, written
// either as "NameOp _S5_" or as "NameOp \_S5_".
bool follows_name_op(const uint8_t* aml, size_t name_offset) {
    if (name_offset >= 1 && aml[name_offset - 1] == kAmlNameOp) return true;
    return name_offset >= 2 && aml[name_offset - 1] == kAmlRootChar &&
           aml[name_offset - 2] == kAmlNameOp;
}

}  // namespace

const char* to_string(AcpiError error) {
    switch (error) {
        case AcpiError::None: return "no error";
        case AcpiError::NoRsdp: return "no RSDP found";
        case AcpiError::BadRsdpChecksum: return "RSDP checksum mismatch";
        case AcpiError::BadRootTable: return "RSDT/XSDT missing or corrupt";
        case AcpiError::NoFadt: return "no FADT";
        case AcpiError::BadFadt: return "FADT corrupt or unusable";
        case AcpiError::NoDsdt: return "no valid DSDT";
        case AcpiError::NoS5: return "no _S5_ package in DSDT";
        case AcpiError::NoTable: return "ACPI table not found";
    }
    return "unknown ACPI error";
}

AcpiError acpi_root_from_rsdp(const void* rsdp, size_t length, AcpiRoot& out) {
    if (rsdp == nullptr || length < sizeof(AcpiRsdpV1)) return AcpiError::NoRsdp;
    AcpiRsdpV1 v1;
    memcpy(&v1, rsdp, sizeof(v1));
    if (!has_rsdp_signature(v1)) return AcpiError::NoRsdp;
    if (byte_sum(rsdp, sizeof(v1)) != 0) return AcpiError::BadRsdpChecksum;

    // A v2 RSDP handed over in only 20 bytes (the multiboot2 "old" ACPI tag)
    // cannot have its extended part checked, so only its RSDT is used.
    if (v1.revision >= kAcpiRsdpRevisionWithXsdt && length >= sizeof(AcpiRsdpV2)) {
        AcpiRsdpV2 v2;
        memcpy(&v2, rsdp, sizeof(v2));
        if (v2.length < sizeof(AcpiRsdpV2) || v2.length > length)
            return AcpiError::BadRsdpChecksum;  // cannot verify what we cannot read
        if (byte_sum(rsdp, v2.length) != 0) return AcpiError::BadRsdpChecksum;
        if (v2.xsdt_address != 0) {
            out = AcpiRoot{v2.xsdt_address, true, v1.revision};
            return AcpiError::None;
        }
    }
    if (v1.rsdt_address == 0) return AcpiError::BadRootTable;
    out = AcpiRoot{v1.rsdt_address, false, v1.revision};
    return AcpiError::None;
}

AcpiError acpi_scan_bios_for_rsdp(PhysReader reader, void* context, AcpiRoot& out) {
    const PhysMemory memory(reader, context);
    AcpiError failure = AcpiError::NoRsdp;
    uint16_t ebda_segment = 0;
    if (memory.read_value(kEbdaSegmentPointer, ebda_segment) && ebda_segment != 0) {
        const uint64_t ebda = static_cast<uint64_t>(ebda_segment) << kRealModeSegmentShift;
        failure = scan_for_rsdp(memory, ebda, ebda + kEbdaSearchLength, out);
        if (failure == AcpiError::None) return failure;
    }
    const AcpiError error = scan_for_rsdp(memory, kBiosAreaStart, kBiosAreaEnd, out);
    if (error == AcpiError::None || failure == AcpiError::NoRsdp) return error;
    return failure;
}

AcpiError acpi_find_table(PhysReader reader, void* context, const AcpiRoot& root,
                          const char signature[4], uint64_t& table_phys, uint32_t& length) {
    const PhysMemory memory(reader, context);
    TableSearch found;
    const AcpiError error = search_root(memory, root, signature, found);
    if (error != AcpiError::None) return error;
    if (found.state != TableState::Valid) return AcpiError::NoTable;
    table_phys = found.phys;
    length = found.length;
    return AcpiError::None;
}

AcpiError acpi_find_s5(PhysReader reader, void* context, const AcpiRoot& root,
                       SleepControl& out) {
    const PhysMemory memory(reader, context);
    TableSearch fadt_location;
    const AcpiError error = search_root(memory, root, kAcpiFadtSignature, fadt_location);
    if (error != AcpiError::None) return error;
    if (fadt_location.state == TableState::Absent) return AcpiError::NoFadt;
    if (fadt_location.state == TableState::Corrupt) return AcpiError::BadFadt;

    AcpiFadt fadt;
    SleepControl control;
    memset(&control, 0, sizeof(control));
    if (!read_fadt(memory, fadt_location, fadt)) return AcpiError::BadFadt;
    if (!read_pm1_ports(fadt, fadt_location.length, control)) return AcpiError::BadFadt;

    const uint64_t dsdt_phys = dsdt_address(fadt, fadt_location.length);
    AcpiSdtHeader dsdt;
    if (check_table(memory, dsdt_phys, kAcpiDsdtSignature, dsdt) != TableState::Valid)
        return AcpiError::NoDsdt;
    if (!find_s5_in_dsdt(memory, dsdt_phys, dsdt.length, control.slp_typ_a, control.slp_typ_b))
        return AcpiError::NoS5;
    out = control;
    return AcpiError::None;
}

uint16_t s5_control_value(uint8_t slp_typ) {
    const unsigned sleep_type = slp_typ & kAcpiSlpTypMask;
    return static_cast<uint16_t>((sleep_type << kAcpiSlpTypShift) | kAcpiSlpEnable);
}

bool aml_find_s5(const uint8_t* aml, size_t length, uint8_t& typ_a, uint8_t& typ_b) {
    if (aml == nullptr) return false;
    // Every occurrence is tried: "_S5_" bytes may also appear elsewhere (in a
    // string, or a reference in a method body) without being the definition.
    for (size_t offset = 0; offset + kAmlNameSegLength <= length; ++offset) {
        if (memcmp(aml + offset, kS5Name, kAmlNameSegLength) != 0) continue;
        if (!follows_name_op(aml, offset)) continue;
        if (decode_s5_package(aml, length, offset + kAmlNameSegLength, typ_a, typ_b)) return true;
    }
    return false;
}

}  // namespace bulkhead
