// The ACPI tables a partition's guest finds in its memory: the only way an
// unmodified x86_64 Linux (with no MP table, no PIC, no PIT) learns that it
// has one CPU with a local APIC, one I/O APIC, and how to power off and reset.
//
// build_guest_acpi writes, from a 16-byte aligned guest-physical address
// (meant to be kGuestAcpiRegionStart: in the BIOS area the guest's e820 map
// reserves, where an OS that scans for the RSDP looks), in this order:
//
//   RSDP  "RSD PTR ", revision 2, 36 bytes: points to the XSDT
//   XSDT  two 64-bit entries: the FADT and the MADT
//   FADT  "FACP", revision 6.5, hardware-reduced: sleep registers, reset register, X_DSDT
//   DSDT  AML for one object, \_S5_ (the sleep type that means "soft off")
//   MADT  "APIC": local APIC address, one Processor Local APIC entry per CPU,
//         one I/O APIC, IRQ 0 -> GSI 2, NMI on LINT1 of every CPU
//
// each table starting on a 16-byte boundary, every pointer a guest-physical
// address, every length exact and every checksum correct. Decisions:
//
//   - RSDT address 0, no RSDT. An OS that reads the RSDT instead of the XSDT
//     is an ACPI 1.0 OS, and it could not use a hardware-reduced FADT (ACPI
//     5.0+) anyway. Linux takes the XSDT whenever the RSDP's revision is >= 2
//     and its XSDT address is non-zero. For the same reason the FADT's 32-bit
//     DSDT and FACS fields are 0: X_DSDT is the DSDT's address, and there is
//     no FACS (optional in hardware-reduced mode: no firmware waking vector,
//     no global lock).
//   - The DSDT is reached only through the FADT, never listed in the XSDT
//     (that is the rule; an OS would otherwise see it twice).
//   - Hardware-reduced ACPI: no PM1 blocks, PM timer, GPEs or SCI to emulate.
//     Power-off is one byte written to kGuestSleepControlPort, reset is
//     kGuestResetValue written to kGuestResetPort. Linux skips its legacy
//     PIC and timer (PIT/HPET) setup on such a platform.
//   - MADT flags 0: no PCAT_COMPAT, so no 8259 PICs to mask.
//   - An Interrupt Source Override ISA IRQ 0 -> GSI 2, as on every PC, so a
//     timer on ISA IRQ 0 arrives where PC software expects it. Linux accepts
//     it in hardware-reduced mode (it only records the mapping) and it keeps
//     the guest's view PC-compatible should a PIT model appear.
//   - A Local APIC NMI entry for all processors (UID 0xFF) on LINT1: Linux
//     warns "NMI not connected to LINT 1!" for any other pin.
//
// Guarantees, as for the image loader: every check happens before the first
// write, so a refused build leaves guest memory untouched; nothing is written
// outside [gpa, gpa + result.size), with overflow-proof range checks first.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/acpi_fadt.hpp"
#include "vmm/guest_loader.hpp"

namespace bulkhead {

// ---- Where the tables go ----------------------------------------------------

// The BIOS area [0xE0000, 0x100000): reserved in the guest's e820 map, and
// where an OS without a boot-loader-supplied RSDP address scans for one.
inline constexpr uint64_t kGuestAcpiRegionStart = 0xE0000;
inline constexpr uint64_t kGuestAcpiRegionEnd = 0x100000;  // exclusive
inline constexpr uint64_t kGuestAcpiRegionSize = kGuestAcpiRegionEnd - kGuestAcpiRegionStart;  // 128 KiB

// The RSDP scan steps in 16 bytes, so the RSDP must be 16-byte aligned;
// the other tables are put on the same boundary for tidiness.
inline constexpr uint64_t kGuestAcpiAlignment = 16;

// ---- The device model the tables describe -------------------------------------

// I/O ports the FADT names. All three are byte-wide registers (ACPI requires
// bit width 8 and bit offset 0 for the reset register).
inline constexpr uint16_t kGuestSleepControlPort = 0x600;  // SLEEP_CONTROL_REG
inline constexpr uint16_t kGuestSleepStatusPort = 0x601;   // SLEEP_STATUS_REG
inline constexpr uint16_t kGuestResetPort = 0x602;         // RESET_REG
inline constexpr uint8_t kGuestResetValue = 1;             // RESET_VALUE

// The sleep type the DSDT's \_S5_ names. Any 3-bit value works as long as
// the DSDT and the device model agree; 5 is the conventional one (also the
// PIIX4's, which QEMU and many real chipsets use for S5).
inline constexpr uint8_t kGuestS5SleepType = 5;
static_assert(kGuestS5SleepType <= (kAcpiSleepControlSlpTypMask >> kAcpiSleepControlSlpTypShift));

// What a guest writes to kGuestSleepControlPort to power off:
// ((5 << 2) & 0x1c) | 0x20 = 0x34.
inline constexpr uint8_t kGuestPowerOffValue = acpi_sleep_control_value(kGuestS5SleepType);
static_assert(kGuestPowerOffValue == 0x34);

// True if `value`, written to kGuestSleepControlPort, asks for S5. Bits other
// than SLP_TYP and SLP_EN are reserved and ignored, as hardware would.
constexpr bool is_guest_power_off(uint8_t value) {
    return (value & kAcpiSleepControlSlpEn) != 0 && acpi_sleep_control_type(value) == kGuestS5SleepType;
}

// Interrupt controllers, at their architectural default addresses.
inline constexpr uint32_t kGuestLocalApicAddress = 0xFEE00000;
inline constexpr uint32_t kGuestIoApicAddress = 0xFEC00000;
inline constexpr uint8_t kGuestIoApicId = 1;
inline constexpr uint32_t kGuestIoApicGsiBase = 0;

// CPU n gets APIC ID n and ACPI processor UID n. Type 0 MADT entries carry
// 8-bit IDs and 0xFF means "all processors", so 255 CPUs (IDs 0..254) is the
// most these tables can describe; more would need x2APIC entries.
inline constexpr uint32_t kGuestMaxCpus = 255;

// IA-PC boot architecture flags: a partition has a serial port and nothing
// else from the PC, so no LEGACY_DEVICES and no 8042 (Linux then does not
// probe ports 0x60/0x64), no VGA (no vgacon probing of 0x3c0-0x3df), no CMOS
// RTC (no rtc_cmos device on ports 0x70/0x71).
inline constexpr uint16_t kGuestBootArchFlags = kAcpiBootArchVgaNotPresent | kAcpiBootArchCmosRtcNotPresent;

// FADT.hypervisor_vendor_identity: these 8 bytes, in this order.
inline constexpr char kGuestHypervisorVendor[] = "Bulkhead";

// ---- Building ---------------------------------------------------------------

struct GuestAcpiConfig {
    uint32_t cpu_count = 1;
    uint8_t io_apic_id = kGuestIoApicId;
    uint32_t io_apic_address = kGuestIoApicAddress;
    // Header identification; shorter strings are padded with spaces, longer
    // ones cut to the field (6 and 8 bytes). nullptr: all spaces.
    const char* oem_id = "BLKHD ";
    const char* oem_table_id = "BULKHEAD";
    uint32_t oem_revision = 1;
    // How many bytes the caller reserved at gpa; the tables must fit.
    uint64_t region_size = kGuestAcpiRegionSize;
};

enum class GuestAcpiError : uint8_t {
    None,
    BadCpuCount,     // 0, or more than kGuestMaxCpus
    Misaligned,      // gpa is not a multiple of kGuestAcpiAlignment
    RegionTooSmall,  // the tables need more than config.region_size bytes
    OutsideMemory,   // [gpa, gpa + size) is not inside guest memory (or there is none)
};

const char* to_string(GuestAcpiError error);

// On success: size is how many bytes were written from gpa (tables and the
// zero padding between them), and the others are each table's guest-physical
// address (the RSDP's is gpa). On error all of them are 0.
struct GuestAcpiResult {
    GuestAcpiError error;
    uint64_t size;
    uint64_t rsdp;
    uint64_t xsdt;
    uint64_t fadt;
    uint64_t dsdt;
    uint64_t madt;
};

// The bytes the tables for this many CPUs take from a 16-byte aligned gpa.
uint64_t guest_acpi_size(uint32_t cpu_count);

GuestAcpiResult build_guest_acpi(GuestMemory memory, uint64_t gpa, const GuestAcpiConfig& config);

}  // namespace bulkhead
