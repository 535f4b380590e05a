// Just enough ACPI to find firmware tables and to power the machine off.
//
// Powering off (sleep state S5, "soft off") the machine-independent way:
//   1. find the RSDP (a copy from the multiboot2 ACPI tag, or by scanning the
//      BIOS area), which points at the root table (RSDT or XSDT);
//   2. the root table lists the other tables; the FADT ("FACP") gives the
//      PM1a/PM1b control register ports and the address of the DSDT;
//   3. the DSDT holds AML bytecode; its _S5_ object is a package whose first
//      two elements are the SLP_TYP values for PM1a and PM1b;
//   4. write s5_control_value(slp_typ) to each PM1 control port.
//
// Tables are firmware input and are not trusted: every read is bounds
// checked, every checksum verified, and every length sanity checked. Reads of
// physical memory go through a PhysReader callback, so the kernel can decide
// how physical memory is reached and the host unit tests can fake it.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

// Copies `length` bytes of physical memory at `phys` into `out`. Returns
// false, without a partial copy mattering, if any of the range is unreadable.
using PhysReader = bool (*)(void* context, uint64_t phys, void* out, size_t length);

enum class AcpiError {
    None,
    NoRsdp,           // no "RSD PTR " structure found
    BadRsdpChecksum,  // found one, but its checksum is wrong
    BadRootTable,     // RSDT/XSDT missing, unreadable, mislabelled or corrupt
    NoFadt,           // the root table lists no FADT
    BadFadt,          // the FADT is corrupt, too short, or names no PM1a port
    NoDsdt,           // the FADT names no valid DSDT
    NoS5,             // the DSDT has no usable _S5_ package
    NoTable,          // acpi_find_table: no valid table with that signature
};

const char* to_string(AcpiError error);

// Where the root table is. An XSDT (64-bit entries) is preferred over the
// RSDT when the firmware provides both.
struct AcpiRoot {
    uint64_t root_table_phys;
    bool is_xsdt;
    uint8_t revision;  // of the RSDP: 0 = ACPI 1.0, 2 = ACPI 2.0+
};

// Validates an RSDP copy, e.g. the one in the multiboot2 ACPI tag (old tag:
// 20-byte v1 RSDP; new tag: v2). `length` is how many bytes are readable.
AcpiError acpi_root_from_rsdp(const void* rsdp, size_t length, AcpiRoot& out);

// Fallback for legacy BIOS boots: search the first KiB of the EBDA (whose
// segment is stored at physical 0x40E) and then 0xE0000-0xFFFFF, on 16-byte
// boundaries, for a valid RSDP.
AcpiError acpi_scan_bios_for_rsdp(PhysReader reader, void* context, AcpiRoot& out);

// Finds the first table listed in the root table whose signature matches and
// whose length and checksum are valid. Corrupt copies are skipped.
AcpiError acpi_find_table(PhysReader reader, void* context, const AcpiRoot& root,
                          const char signature[4], uint64_t& table_phys, uint32_t& length);

// What it takes to enter S5: write s5_control_value(slp_typ_a) to the PM1a
// control port and, if there is one, s5_control_value(slp_typ_b) to PM1b.
struct SleepControl {
    uint16_t pm1a_control_port;
    uint16_t pm1b_control_port;  // 0 if the machine has no PM1b block
    uint8_t slp_typ_a;
    uint8_t slp_typ_b;
};

AcpiError acpi_find_s5(PhysReader reader, void* context, const AcpiRoot& root,
                       SleepControl& out);

// The PM1 control register value that enters the sleep type `slp_typ`:
// (slp_typ << 10) | SLP_EN. slp_typ is cut to its 3 bits so a bad value
// cannot set unrelated control bits.
uint16_t s5_control_value(uint8_t slp_typ);

// Searches AML bytecode for Name(_S5_, Package() { a, b, ... }) (also
// "\_S5_") and returns its first two elements. Never reads outside
// [aml, aml + length); false if there is no well-formed _S5_ package.
bool aml_find_s5(const uint8_t* aml, size_t length, uint8_t& typ_a, uint8_t& typ_b);

}  // namespace bulkhead
