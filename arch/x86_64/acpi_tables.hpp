// ACPI table layouts, as the firmware leaves them in physical memory.
//
// Only what Bulkhead reads is spelled out; everything else is kept as opaque
// gaps so the offsets stay right. The structs are packed so sizeof and
// offsetof match the ACPI specification (6.5, chapter 5.2) byte for byte, and
// the static_asserts below prove it. Code copies bytes into these structs with
// memcpy instead of casting pointers, so the source alignment never matters.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

// ------------------------------------------------------------- signatures

inline constexpr size_t kAcpiRsdpSignatureLength = 8;
inline constexpr char kAcpiRsdpSignature[] = "RSD PTR ";  // note the trailing space

inline constexpr size_t kAcpiSignatureLength = 4;
inline constexpr char kAcpiRsdtSignature[] = "RSDT";
inline constexpr char kAcpiXsdtSignature[] = "XSDT";
inline constexpr char kAcpiFadtSignature[] = "FACP";  // FADT's signature is not "FADT"
inline constexpr char kAcpiDsdtSignature[] = "DSDT";
inline constexpr char kAcpiMadtSignature[] = "APIC";  // MADT: interrupt controllers

// ------------------------------------------------------------------- RSDP

// Root System Description Pointer, ACPI 1.0 part (20 bytes). Its checksum
// byte makes these 20 bytes sum to zero (mod 256).
struct [[gnu::packed]] AcpiRsdpV1 {
    char signature[kAcpiRsdpSignatureLength];
    uint8_t checksum;
    char oem_id[6];
    uint8_t revision;        // 0 for ACPI 1.0; 2 for ACPI 2.0 and later
    uint32_t rsdt_address;   // physical address of the RSDT
};
static_assert(sizeof(AcpiRsdpV1) == 20);

// ACPI 2.0+ extends the RSDP (36 bytes); extended_checksum covers all of it.
struct [[gnu::packed]] AcpiRsdpV2 {
    AcpiRsdpV1 v1;
    uint32_t length;         // of the whole RSDP
    uint64_t xsdt_address;   // physical address of the XSDT (64-bit entries)
    uint8_t extended_checksum;
    uint8_t reserved[3];
};
static_assert(sizeof(AcpiRsdpV2) == 36);

// The first RSDP revision that has the extended (v2) fields.
inline constexpr uint8_t kAcpiRsdpRevisionWithXsdt = 2;

// ----------------------------------------------------- table header (SDT)

// Every table other than the RSDP starts with this header. `length` covers
// header and body; all `length` bytes sum to zero (mod 256).
struct [[gnu::packed]] AcpiSdtHeader {
    char signature[kAcpiSignatureLength];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
};
static_assert(sizeof(AcpiSdtHeader) == 36);

// After the header, the RSDT holds 32-bit and the XSDT 64-bit physical
// addresses of the other tables.
inline constexpr size_t kAcpiRsdtEntrySize = sizeof(uint32_t);
inline constexpr size_t kAcpiXsdtEntrySize = sizeof(uint64_t);

// --------------------------------------------------------------- registers

// Generic Address Structure: where a register lives and how to reach it.
struct [[gnu::packed]] AcpiGenericAddress {
    uint8_t address_space;   // kAcpiAddressSpace*
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;
    uint64_t address;
};
static_assert(sizeof(AcpiGenericAddress) == 12);

inline constexpr uint8_t kAcpiAddressSpaceMemory = 0;
inline constexpr uint8_t kAcpiAddressSpaceIo = 1;

// ------------------------------------------------------------------- FADT

// Fixed ACPI Description Table (signature "FACP"). It grew over ACPI
// revisions, so a field exists only if the table's length reaches past it.
struct [[gnu::packed]] AcpiFadt {
    AcpiSdtHeader header;
    uint32_t firmware_ctrl;                // 36: FACS
    uint32_t dsdt;                         // 40: 32-bit DSDT address
    uint8_t unused_44[20];                 // 44: SCI, SMI command, PM1 event blocks
    uint32_t pm1a_control_block;           // 64: PM1a_CNT_BLK I/O port
    uint32_t pm1b_control_block;           // 68: PM1b_CNT_BLK, 0 if absent
    uint8_t unused_72[68];                 // 72: timers, GPEs, flags, reset register
    uint64_t x_dsdt;                       // 140: 64-bit DSDT address (ACPI 2.0+)
    AcpiGenericAddress x_pm1a_event_block;   // 148
    AcpiGenericAddress x_pm1b_event_block;   // 160
    AcpiGenericAddress x_pm1a_control_block; // 172
    AcpiGenericAddress x_pm1b_control_block; // 184
};
static_assert(offsetof(AcpiFadt, dsdt) == 40);
static_assert(offsetof(AcpiFadt, pm1a_control_block) == 64);
static_assert(offsetof(AcpiFadt, pm1b_control_block) == 68);
static_assert(offsetof(AcpiFadt, x_dsdt) == 140);
static_assert(offsetof(AcpiFadt, x_pm1a_control_block) == 172);
static_assert(offsetof(AcpiFadt, x_pm1b_control_block) == 184);
static_assert(sizeof(AcpiFadt) == 196);

// How long the FADT must be for a field to exist: its offset plus its size.
inline constexpr size_t kAcpiFadtMinimumLength =
    offsetof(AcpiFadt, pm1b_control_block) + sizeof(AcpiFadt::pm1b_control_block);
inline constexpr size_t kAcpiFadtLengthWithXDsdt =
    offsetof(AcpiFadt, x_dsdt) + sizeof(AcpiFadt::x_dsdt);
inline constexpr size_t kAcpiFadtLengthWithXPm1a =
    offsetof(AcpiFadt, x_pm1a_control_block) + sizeof(AcpiFadt::x_pm1a_control_block);
inline constexpr size_t kAcpiFadtLengthWithXPm1b =
    offsetof(AcpiFadt, x_pm1b_control_block) + sizeof(AcpiFadt::x_pm1b_control_block);

// ------------------------------------------------------ PM1 control register

// Writing SLP_TYP with SLP_EN set enters the sleep state SLP_TYP names
// (for S5, "soft off", the value comes from the DSDT's _S5_ object).
inline constexpr uint16_t kAcpiSlpEnable = 1u << 13;   // SLP_EN
inline constexpr unsigned kAcpiSlpTypShift = 10;       // SLP_TYP, bits 10..12
inline constexpr uint16_t kAcpiSlpTypMask = 0x7;       // SLP_TYP is 3 bits wide

}  // namespace bulkhead
