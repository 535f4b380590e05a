// The processor list from the ACPI MADT ("APIC" table), for SMP bring-up.
//
// The MADT is the firmware's list of interrupt controllers: one entry per
// processor (its local APIC ID, which is what INIT and startup IPIs are
// addressed to), one per I/O APIC, and some wiring details. Bulkhead needs
// the processors' APIC IDs to start the application processors, the local
// APIC's address, and whether legacy PICs exist that must be masked.
//
// The table is firmware input and not trusted: the checksum is verified,
// and every entry is bounds checked against the table's verified length
// before any of its bytes is used. The parser works on a copy in ordinary
// memory, so the host unit tests run it unchanged.
//
// Besides the processors, it keeps the I/O APICs and the ISA interrupt
// source overrides: the hypervisor routes its console UART's interrupt
// through them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/acpi.hpp"

namespace bulkhead {

// How many processors Bulkhead keeps track of. Later ones are counted in
// MadtInfo::cpus_ignored, not listed.
inline constexpr size_t kMaxCpus = 64;

struct CpuDescriptor {
    uint32_t apic_id;      // local APIC ID (an x2APIC ID if x2apic)
    uint32_t acpi_uid;     // ACPI processor ID (type 0) or UID (type 9)
    bool x2apic;           // listed by a Processor Local x2APIC entry
    bool enabled;          // usable now: may be started
    bool online_capable;   // not enabled, but may be hot-added later
};

// I/O APICs and the interrupt source overrides the boot CPU routes host
// interrupts with (the console UART's); more of them are counted, not kept.
inline constexpr size_t kMaxIoApics = 8;
inline constexpr size_t kMaxSourceOverrides = 16;

struct IoApicDescriptor {
    uint8_t id;
    uint64_t address;   // physical address of its registers
    uint32_t gsi_base;  // the first global system interrupt its pins carry
};

// An ISA IRQ and the global system interrupt it arrives at, with its wiring.
struct IsaIrqRoute {
    uint8_t irq;
    uint32_t gsi;
    bool active_low;
    bool level_triggered;
};

struct MadtInfo {
    uint64_t local_apic_address;  // physical; the 64-bit override if there is one
    CpuDescriptor cpus[kMaxCpus]; // in table order, each APIC ID once
    size_t cpu_count;
    // Processor entries not listed: beyond kMaxCpus, disabled and not online
    // capable, or naming the broadcast ID (which no processor can have).
    size_t cpus_ignored;
    uint32_t io_apic_count;       // all that are listed; the first kMaxIoApics are in io_apics
    IoApicDescriptor io_apics[kMaxIoApics];
    IsaIrqRoute overrides[kMaxSourceOverrides];   // from type 2 entries for bus 0 (ISA)
    size_t override_count;
    bool legacy_pics;             // PCAT_COMPAT: 8259 PICs present; mask them
};

// Where ISA IRQ `irq` arrives: an override if the table has one, else GSI
// `irq`, active-high, edge-triggered (the ISA convention).
IsaIrqRoute isa_irq_route(const MadtInfo& info, uint8_t irq);

// The I/O APIC whose pins include `gsi` (pins per I/O APIC are not in the
// MADT: an I/O APIC's range ends where the next one's begins), or null.
const IoApicDescriptor* io_apic_for_gsi(const MadtInfo& info, uint32_t gsi);

enum class MadtError {
    None,
    NoMadt,          // no "APIC" table, or these bytes are not one
    BadTable,        // checksum wrong, length impossible, or unreadable
    TruncatedEntry,  // an entry is shorter than its header or type, or runs past the table
    NoProcessors,    // no enabled processor listed (we run on one, so the table is wrong)
};

const char* to_string(MadtError error);

// Parses a whole MADT, SDT header included, from `table` (`length` readable
// bytes; the table's own length field must fit in them, and bytes after it
// are not looked at). Entry types other than processors, I/O APICs and the
// local APIC address override are skipped by their length. A processor is
// listed if it is enabled or online capable; an APIC ID listed twice (say,
// by a type 0 and a type 9 entry) is listed once, as first seen.
// On error, `out` is all zero.
MadtError parse_madt(const uint8_t* table, size_t length, MadtInfo& out);

// Finds the MADT through the ACPI root table, copies it through `reader` into a
// static buffer (tables above kMaxMadtLength are BadTable) and parses it.
// Not reentrant: it is for the boot CPU, before the others run.
inline constexpr size_t kMaxMadtLength = 64 * 1024;
MadtError read_madt(PhysReader reader, void* context, const AcpiRoot& root, MadtInfo& out);

}  // namespace bulkhead
