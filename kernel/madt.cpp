// The processor list from the ACPI MADT. See madt.hpp; the table layouts are
// in arch/x86_64/madt_tables.hpp.
//
// Rule followed throughout (as in acpi.cpp): no byte of the table is used
// before the header's length was found to fit the bytes we have and the
// checksum over that length was verified, and no entry is read past its own
// length or past the table's.
#include "kernel/madt.hpp"

#include "arch/x86_64/acpi_tables.hpp"
#include "arch/x86_64/madt_tables.hpp"
#include "kernel/lib/string.hpp"

namespace bulkhead {
namespace {

// read_madt copies the table through the PhysReader at most this much at a
// time, so a reader that reaches physical memory through a small mapping
// window never has to map a whole 64 KiB table at once.
constexpr size_t kCopyChunkSize = 4096;

constexpr uint8_t kIsaBus = 0;   // the only bus interrupt source overrides name

// The copy read_madt parses. Static, not on the stack: a 64 KiB table would
// overflow the 16 KiB kernel stack. One copy is enough because only the boot
// CPU reads the MADT, before the others are started.
alignas(sizeof(uint64_t)) uint8_t g_madt_copy[kMaxMadtLength];

uint8_t byte_sum(const uint8_t* bytes, size_t length) {
    uint8_t sum = 0;
    for (size_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
    return sum;
}

template <typename T>
constexpr T smaller(T a, T b) { return a < b ? a : b; }

// Copies an entry into its layout. False if the entry's length (already
// known to lie inside the table) is too short to hold that layout. A longer
// entry is fine: later ACPI revisions may append fields, and we read only
// the ones we know.
template <typename Entry>
bool read_entry(const uint8_t* entry, size_t entry_length, Entry& out) {
    if (entry_length < sizeof(Entry)) return false;
    memcpy(&out, entry, sizeof(Entry));
    return true;
}

bool is_listed(const MadtInfo& info, uint32_t apic_id) {
    for (size_t i = 0; i < info.cpu_count; ++i)
        if (info.cpus[i].apic_id == apic_id) return true;
    return false;
}

// One processor entry, type 0 or type 9: both carry the same flags.
void add_processor(MadtInfo& info, uint32_t apic_id, uint32_t acpi_uid, bool x2apic,
                   uint32_t flags) {
    const bool enabled = (flags & kAcpiMadtProcessorEnabled) != 0;
    // Online capable is reserved (must be zero) when Enabled is set, so it
    // only means something for a processor that is not enabled.
    const bool online_capable = !enabled && (flags & kAcpiMadtProcessorOnlineCapable) != 0;
    const uint32_t broadcast = x2apic ? kX2apicBroadcastId : kXapicBroadcastId;
    if (apic_id == broadcast || (!enabled && !online_capable)) {
        ++info.cpus_ignored;
        return;
    }
    // The same processor may appear twice, e.g. as a type 0 and a type 9
    // entry; starting it twice would be wrong, so the first entry stands.
    if (is_listed(info, apic_id)) return;
    if (info.cpu_count == kMaxCpus) {
        ++info.cpus_ignored;
        return;
    }
    info.cpus[info.cpu_count++] = CpuDescriptor{apic_id, acpi_uid, x2apic, enabled, online_capable};
}

// One entry, known to lie wholly inside the table.
MadtError parse_entry(const uint8_t* entry, uint8_t type, size_t length, MadtInfo& info) {
    switch (type) {
        case kAcpiMadtTypeLocalApic: {
            AcpiMadtLocalApic lapic;
            if (!read_entry(entry, length, lapic)) return MadtError::TruncatedEntry;
            add_processor(info, lapic.apic_id, lapic.acpi_processor_id, false, lapic.flags);
            return MadtError::None;
        }
        case kAcpiMadtTypeLocalX2apic: {
            AcpiMadtLocalX2apic x2apic;
            if (!read_entry(entry, length, x2apic)) return MadtError::TruncatedEntry;
            add_processor(info, x2apic.x2apic_id, x2apic.acpi_processor_uid, true, x2apic.flags);
            return MadtError::None;
        }
        case kAcpiMadtTypeIoApic: {
            AcpiMadtIoApic io_apic;
            if (!read_entry(entry, length, io_apic)) return MadtError::TruncatedEntry;
            if (info.io_apic_count < kMaxIoApics)
                info.io_apics[info.io_apic_count] = {io_apic.io_apic_id, io_apic.address, io_apic.gsi_base};
            ++info.io_apic_count;
            return MadtError::None;
        }
        case kAcpiMadtTypeInterruptSourceOverride: {
            AcpiMadtInterruptSourceOverride source;
            if (!read_entry(entry, length, source)) return MadtError::TruncatedEntry;
            if (source.bus == kIsaBus && info.override_count < kMaxSourceOverrides)
                info.overrides[info.override_count++] = {
                    source.source, source.gsi,
                    (source.flags & kMpsIntiPolarityMask) == kMpsIntiPolarityActiveLow,
                    (source.flags & kMpsIntiTriggerMask) == kMpsIntiTriggerLevel};
            return MadtError::None;
        }
        case kAcpiMadtTypeLocalApicAddressOverride: {
            AcpiMadtLocalApicAddressOverride override_entry;
            if (!read_entry(entry, length, override_entry)) return MadtError::TruncatedEntry;
            info.local_apic_address = override_entry.address;
            return MadtError::None;
        }
        default:
            // NMI wiring and types we do not know carry nothing we use;
            // the caller steps over them.
            return MadtError::None;
    }
}

// Walks the entries in [sizeof(AcpiMadt), table_length).
MadtError parse_entries(const uint8_t* table, size_t table_length, MadtInfo& info) {
    for (size_t offset = sizeof(AcpiMadt); offset < table_length;) {
        const size_t remaining = table_length - offset;
        if (remaining < sizeof(AcpiMadtEntryHeader)) return MadtError::TruncatedEntry;
        AcpiMadtEntryHeader header;
        memcpy(&header, table + offset, sizeof(header));
        // A length below the header's own size would never advance (0) or
        // overlap the next entry's header (1): either way, a corrupt table.
        if (header.length < sizeof(AcpiMadtEntryHeader) || header.length > remaining)
            return MadtError::TruncatedEntry;
        const MadtError error = parse_entry(table + offset, header.type, header.length, info);
        if (error != MadtError::None) return error;
        offset += header.length;
    }
    return MadtError::None;
}

bool has_enabled_processor(const MadtInfo& info) {
    for (size_t i = 0; i < info.cpu_count; ++i)
        if (info.cpus[i].enabled) return true;
    return false;
}

MadtError parse_checked(const uint8_t* table, size_t length, MadtInfo& out) {
    if (table == nullptr) return MadtError::NoMadt;
    if (length < sizeof(AcpiSdtHeader)) return MadtError::BadTable;
    AcpiSdtHeader header;
    memcpy(&header, table, sizeof(header));
    if (memcmp(header.signature, kAcpiMadtSignature, kAcpiSignatureLength) != 0)
        return MadtError::NoMadt;
    // The table must hold its fixed fields, and we must have all of it: a
    // checksum over bytes we do not have proves nothing.
    if (header.length < sizeof(AcpiMadt) || header.length > length) return MadtError::BadTable;
    if (byte_sum(table, header.length) != 0) return MadtError::BadTable;

    AcpiMadt madt;
    memcpy(&madt, table, sizeof(madt));
    out.local_apic_address = madt.local_apic_address;
    out.legacy_pics = (madt.flags & kAcpiMadtPcatCompat) != 0;
    const MadtError error = parse_entries(table, header.length, out);
    if (error != MadtError::None) return error;
    // We are running on a processor, so a table without one enabled
    // processor does not describe this machine.
    return has_enabled_processor(out) ? MadtError::None : MadtError::NoProcessors;
}

}  // namespace

const char* to_string(MadtError error) {
    switch (error) {
        case MadtError::None: return "no error";
        case MadtError::NoMadt: return "no MADT";
        case MadtError::BadTable: return "MADT corrupt (checksum or length)";
        case MadtError::TruncatedEntry: return "MADT entry truncated or running past the table";
        case MadtError::NoProcessors: return "MADT lists no enabled processor";
    }
    return "unknown MADT error";
}

MadtError parse_madt(const uint8_t* table, size_t length, MadtInfo& out) {
    memset(&out, 0, sizeof(out));
    const MadtError error = parse_checked(table, length, out);
    // Never leave a half-parsed processor list behind for a caller that
    // forgets to check the error.
    if (error != MadtError::None) memset(&out, 0, sizeof(out));
    return error;
}

MadtError read_madt(PhysReader reader, void* context, const AcpiRoot& root, MadtInfo& out) {
    memset(&out, 0, sizeof(out));
    if (reader == nullptr) return MadtError::NoMadt;
    uint64_t phys = 0;
    uint32_t length = 0;
    if (acpi_find_table(reader, context, root, kAcpiMadtSignature, phys, length) != AcpiError::None)
        return MadtError::NoMadt;
    if (length > kMaxMadtLength) return MadtError::BadTable;
    if (phys > UINT64_MAX - length) return MadtError::BadTable;  // the range would wrap past 2^64
    for (size_t done = 0; done < length;) {
        const size_t size = smaller<size_t>(kCopyChunkSize, length - done);
        if (!reader(context, phys + done, g_madt_copy + done, size)) return MadtError::BadTable;
        done += size;
    }
    // acpi_find_table checked the firmware's bytes; parse_madt checks our
    // copy again, since only the copy is sure not to change under us.
    return parse_madt(g_madt_copy, length, out);
}

IsaIrqRoute isa_irq_route(const MadtInfo& info, uint8_t irq) {
    for (size_t i = 0; i < info.override_count; ++i)
        if (info.overrides[i].irq == irq) return info.overrides[i];
    return {irq, irq, false, false};
}

const IoApicDescriptor* io_apic_for_gsi(const MadtInfo& info, uint32_t gsi) {
    const size_t listed = info.io_apic_count < kMaxIoApics ? info.io_apic_count : kMaxIoApics;
    const IoApicDescriptor* best = nullptr;
    for (size_t i = 0; i < listed; ++i) {
        const IoApicDescriptor& a = info.io_apics[i];
        if (a.gsi_base <= gsi && (best == nullptr || a.gsi_base > best->gsi_base)) best = &a;
    }
    return best;
}

}  // namespace bulkhead
