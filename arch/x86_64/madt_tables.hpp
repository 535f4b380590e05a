// The Multiple APIC Description Table (MADT, signature "APIC"), as the
// firmware leaves it in physical memory (ACPI 6.5, chapter 5.2.12).
//
// The MADT is how the firmware tells the OS which processors exist and where
// the interrupt controllers are. After the standard SDT header come two
// fixed fields, then a list of variable-length entries ("interrupt controller
// structures") up to the table's length. Every entry starts with the same
// two bytes, type and length, so a parser can step over a type it does not
// know; that is what lets old parsers read new tables.
//
// As in acpi_tables.hpp, the structs are packed so sizeof and offsetof match
// the specification byte for byte (the static_asserts prove it), and code
// memcpy's entries into them: entries are not aligned in the table.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/acpi_tables.hpp"

namespace bulkhead {

// ------------------------------------------------------------- MADT header

struct [[gnu::packed]] AcpiMadt {
    AcpiSdtHeader header;         // signature kAcpiMadtSignature
    uint32_t local_apic_address;  // 36: physical address of every CPU's local APIC (xAPIC MMIO)
    uint32_t flags;               // 40: kAcpiMadtPcatCompat
    // 44: interrupt controller structures, up to header.length
};
static_assert(offsetof(AcpiMadt, local_apic_address) == 36);
static_assert(offsetof(AcpiMadt, flags) == 40);
static_assert(sizeof(AcpiMadt) == 44);

// PCAT_COMPAT: the machine also has the two legacy 8259 PICs, which must be
// masked before the I/O APICs are used, or they deliver spurious interrupts.
inline constexpr uint32_t kAcpiMadtPcatCompat = 1u << 0;

// -------------------------------------------------------- entry header

// The start of every entry. `length` counts these two bytes too, so a valid
// entry is never shorter than this header.
struct [[gnu::packed]] AcpiMadtEntryHeader {
    uint8_t type;    // kAcpiMadtType*
    uint8_t length;  // of the whole entry, in bytes
};
static_assert(sizeof(AcpiMadtEntryHeader) == 2);

// Entry types Bulkhead knows by name. Others (GIC entries for ARM, the
// I/O SAPIC of Itanium, ...) are skipped by their length.
inline constexpr uint8_t kAcpiMadtTypeLocalApic = 0;
inline constexpr uint8_t kAcpiMadtTypeIoApic = 1;
inline constexpr uint8_t kAcpiMadtTypeInterruptSourceOverride = 2;
inline constexpr uint8_t kAcpiMadtTypeLocalApicNmi = 4;
inline constexpr uint8_t kAcpiMadtTypeLocalApicAddressOverride = 5;
inline constexpr uint8_t kAcpiMadtTypeLocalX2apic = 9;

// --------------------------------------------------------- processors

// Processor Local APIC (type 0): one processor whose APIC ID fits 8 bits.
struct [[gnu::packed]] AcpiMadtLocalApic {
    AcpiMadtEntryHeader header;
    uint8_t acpi_processor_id;  // matches a Processor object / _UID in the DSDT
    uint8_t apic_id;            // the target of INIT and startup IPIs
    uint32_t flags;             // kAcpiMadtProcessor*
};
static_assert(sizeof(AcpiMadtLocalApic) == 8);

// Processor Local x2APIC (type 9): one processor with a 32-bit x2APIC ID.
// Firmware uses it for IDs that do not fit type 0 (255 and up), and some
// firmware for every processor.
struct [[gnu::packed]] AcpiMadtLocalX2apic {
    AcpiMadtEntryHeader header;
    uint16_t reserved;
    uint32_t x2apic_id;
    uint32_t flags;               // kAcpiMadtProcessor*, as for type 0
    uint32_t acpi_processor_uid;  // matches a Device object's _UID in the DSDT
};
static_assert(offsetof(AcpiMadtLocalX2apic, x2apic_id) == 4);
static_assert(offsetof(AcpiMadtLocalX2apic, acpi_processor_uid) == 12);
static_assert(sizeof(AcpiMadtLocalX2apic) == 16);

// Processor flags (types 0 and 9).
// Enabled: the processor is present and usable now; the OS may start it.
inline constexpr uint32_t kAcpiMadtProcessorEnabled = 1u << 0;
// Online capable (ACPI 6.3+): meaningful only when Enabled is clear. The
// processor is not usable now but hardware can enable it at run time (CPU
// hot-add). With both bits clear the entry is a placeholder to ignore.
inline constexpr uint32_t kAcpiMadtProcessorOnlineCapable = 1u << 1;

// IPI destinations that mean "every processor", so they can never be one
// processor's ID. Firmware fills unused entries with them, and sending an
// INIT there would reset every CPU at once, this one included.
inline constexpr uint8_t kXapicBroadcastId = 0xFF;
inline constexpr uint32_t kX2apicBroadcastId = 0xFFFFFFFF;

// ------------------------------------------------ interrupt controllers

// I/O APIC (type 1): routes device interrupts. It handles the global system
// interrupts (GSIs) from gsi_base up, one per redirection table entry.
struct [[gnu::packed]] AcpiMadtIoApic {
    AcpiMadtEntryHeader header;
    uint8_t io_apic_id;
    uint8_t reserved;
    uint32_t address;   // physical address of its MMIO registers
    uint32_t gsi_base;
};
static_assert(offsetof(AcpiMadtIoApic, address) == 4);
static_assert(sizeof(AcpiMadtIoApic) == 12);

// Interrupt Source Override (type 2): an ISA IRQ that is not wired to the
// GSI of the same number, or not edge-triggered active-high (e.g. the PIT's
// IRQ 0 arriving at GSI 2, or the ACPI SCI as level-triggered, active low).
struct [[gnu::packed]] AcpiMadtInterruptSourceOverride {
    AcpiMadtEntryHeader header;
    uint8_t bus;      // 0: ISA
    uint8_t source;   // the ISA IRQ
    uint32_t gsi;     // where it arrives
    uint16_t flags;   // MPS INTI flags: polarity (bits 1:0), trigger mode (bits 3:2)
};
static_assert(offsetof(AcpiMadtInterruptSourceOverride, gsi) == 4);
static_assert(sizeof(AcpiMadtInterruptSourceOverride) == 10);

// MPS INTI flags (ACPI 6.5, Table 5.50): 00 in either field means "as the
// bus says", which for ISA is active-high and edge-triggered.
inline constexpr uint16_t kMpsIntiPolarityMask = 0x3;
inline constexpr uint16_t kMpsIntiPolarityActiveLow = 0x3;
inline constexpr uint16_t kMpsIntiTriggerMask = 0xc;
inline constexpr uint16_t kMpsIntiTriggerLevel = 0xc;

// Local APIC NMI (type 4): which LINT pin of a processor's local APIC
// carries NMI.
struct [[gnu::packed]] AcpiMadtLocalApicNmi {
    AcpiMadtEntryHeader header;
    uint8_t acpi_processor_id;  // 0xFF: every processor
    uint16_t flags;             // MPS INTI flags
    uint8_t lint;               // LINT0 or LINT1
};
static_assert(offsetof(AcpiMadtLocalApicNmi, lint) == 5);
static_assert(sizeof(AcpiMadtLocalApicNmi) == 6);

// Local APIC Address Override (type 5): a 64-bit local APIC address that
// supersedes the header's 32-bit one.
struct [[gnu::packed]] AcpiMadtLocalApicAddressOverride {
    AcpiMadtEntryHeader header;
    uint16_t reserved;
    uint64_t address;
};
static_assert(offsetof(AcpiMadtLocalApicAddressOverride, address) == 4);
static_assert(sizeof(AcpiMadtLocalApicAddressOverride) == 12);

}  // namespace bulkhead
