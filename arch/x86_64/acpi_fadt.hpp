// The whole ACPI 6.x FADT, for code that WRITES one (vmm/guest_acpi.cpp
// builds one per partition), and the values its fields take.
//
// acpi_tables.hpp has AcpiFadt, the reader's view: only the fields the host
// uses, with opaque gaps, 196 bytes. A writer has to fill every field, so here
// is the full revision 6 layout (276 bytes, ACPI 6.5 table 5.9), with every
// offset proven by a static_assert and the fields both views share proven to
// sit in the same place.
//
// Hardware-reduced ACPI (ACPI 5.0+, FADT flag HW_REDUCED_ACPI) is the mode a
// virtual machine wants: no PM1 event/control blocks, no PM timer, no GPE
// blocks, no SCI, no FACS. What is left is a reset register and the two
// "sleep" registers below, each a plain byte-wide register the device model
// can emulate in a few lines.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/acpi_tables.hpp"

namespace bulkhead {

// ------------------------------------------------------------------- layout

struct [[gnu::packed]] AcpiFadt6 {
    AcpiSdtHeader header;                      //   0: signature kAcpiFadtSignature
    uint32_t firmware_ctrl;                    //  36: FACS, 32-bit address
    uint32_t dsdt;                             //  40: DSDT, 32-bit address
    uint8_t reserved_44;                       //  44: INT_MODEL in ACPI 1.0, now reserved
    uint8_t preferred_pm_profile;              //  45: kAcpiPmProfile*
    uint16_t sci_interrupt;                    //  46
    uint32_t smi_command;                      //  48: I/O port, 0: no SMM handover
    uint8_t acpi_enable;                       //  52
    uint8_t acpi_disable;                      //  53
    uint8_t s4bios_request;                    //  54
    uint8_t pstate_control;                    //  55
    uint32_t pm1a_event_block;                 //  56
    uint32_t pm1b_event_block;                 //  60
    uint32_t pm1a_control_block;               //  64
    uint32_t pm1b_control_block;               //  68
    uint32_t pm2_control_block;                //  72
    uint32_t pm_timer_block;                   //  76
    uint32_t gpe0_block;                       //  80
    uint32_t gpe1_block;                       //  84
    uint8_t pm1_event_length;                  //  88
    uint8_t pm1_control_length;                //  89
    uint8_t pm2_control_length;                //  90
    uint8_t pm_timer_length;                   //  91
    uint8_t gpe0_block_length;                 //  92
    uint8_t gpe1_block_length;                 //  93
    uint8_t gpe1_base;                         //  94
    uint8_t cstate_control;                    //  95
    uint16_t c2_latency;                       //  96
    uint16_t c3_latency;                       //  98
    uint16_t flush_size;                       // 100
    uint16_t flush_stride;                     // 102
    uint8_t duty_offset;                       // 104
    uint8_t duty_width;                        // 105
    uint8_t day_alarm;                         // 106: CMOS RTC indexes
    uint8_t month_alarm;                       // 107
    uint8_t century;                           // 108
    uint16_t iapc_boot_arch;                   // 109: kAcpiBootArch*, unaligned
    uint8_t reserved_111;                      // 111
    uint32_t flags;                            // 112: kAcpiFadtFlag*
    AcpiGenericAddress reset_register;         // 116
    uint8_t reset_value;                       // 128: written to reset_register to reset
    uint16_t arm_boot_arch;                    // 129: ARM only
    uint8_t minor_version;                     // 131: the x of ACPI 6.x (bits 3:0)
    uint64_t x_firmware_ctrl;                  // 132: FACS, 64-bit address
    uint64_t x_dsdt;                           // 140: DSDT, 64-bit address
    AcpiGenericAddress x_pm1a_event_block;     // 148
    AcpiGenericAddress x_pm1b_event_block;     // 160
    AcpiGenericAddress x_pm1a_control_block;   // 172
    AcpiGenericAddress x_pm1b_control_block;   // 184
    AcpiGenericAddress x_pm2_control_block;    // 196
    AcpiGenericAddress x_pm_timer_block;       // 208
    AcpiGenericAddress x_gpe0_block;           // 220
    AcpiGenericAddress x_gpe1_block;           // 232
    AcpiGenericAddress sleep_control;          // 244: hardware-reduced sleep (ACPI 5.0+)
    AcpiGenericAddress sleep_status;           // 256
    uint64_t hypervisor_vendor_identity;       // 268: ACPI 6.0+, 8 bytes of the vendor's choosing
};
static_assert(offsetof(AcpiFadt6, firmware_ctrl) == 36);
static_assert(offsetof(AcpiFadt6, dsdt) == 40);
static_assert(offsetof(AcpiFadt6, sci_interrupt) == 46);
static_assert(offsetof(AcpiFadt6, pm1a_event_block) == 56);
static_assert(offsetof(AcpiFadt6, pm1a_control_block) == 64);
static_assert(offsetof(AcpiFadt6, pm_timer_block) == 76);
static_assert(offsetof(AcpiFadt6, pm1_event_length) == 88);
static_assert(offsetof(AcpiFadt6, c2_latency) == 96);
static_assert(offsetof(AcpiFadt6, century) == 108);
static_assert(offsetof(AcpiFadt6, iapc_boot_arch) == 109);
static_assert(offsetof(AcpiFadt6, flags) == 112);
static_assert(offsetof(AcpiFadt6, reset_register) == 116);
static_assert(offsetof(AcpiFadt6, reset_value) == 128);
static_assert(offsetof(AcpiFadt6, arm_boot_arch) == 129);
static_assert(offsetof(AcpiFadt6, minor_version) == 131);
static_assert(offsetof(AcpiFadt6, x_firmware_ctrl) == 132);
static_assert(offsetof(AcpiFadt6, x_dsdt) == 140);
static_assert(offsetof(AcpiFadt6, x_pm1a_event_block) == 148);
static_assert(offsetof(AcpiFadt6, x_pm1a_control_block) == 172);
static_assert(offsetof(AcpiFadt6, x_pm_timer_block) == 208);
static_assert(offsetof(AcpiFadt6, x_gpe1_block) == 232);
static_assert(offsetof(AcpiFadt6, sleep_control) == 244);
static_assert(offsetof(AcpiFadt6, sleep_status) == 256);
static_assert(offsetof(AcpiFadt6, hypervisor_vendor_identity) == 268);
static_assert(sizeof(AcpiFadt6) == 276);

// The reader's AcpiFadt is a prefix of this layout: a table we write is read
// back by kernel/acpi.cpp at the same offsets.
static_assert(offsetof(AcpiFadt6, dsdt) == offsetof(AcpiFadt, dsdt));
static_assert(offsetof(AcpiFadt6, pm1a_control_block) == offsetof(AcpiFadt, pm1a_control_block));
static_assert(offsetof(AcpiFadt6, pm1b_control_block) == offsetof(AcpiFadt, pm1b_control_block));
static_assert(offsetof(AcpiFadt6, x_dsdt) == offsetof(AcpiFadt, x_dsdt));
static_assert(offsetof(AcpiFadt6, x_pm1a_control_block) == offsetof(AcpiFadt, x_pm1a_control_block));
static_assert(offsetof(AcpiFadt6, x_pm1b_control_block) == offsetof(AcpiFadt, x_pm1b_control_block));

// FADT major.minor for ACPI 6.5: header.revision 6, minor_version 5. The
// length (276) is what tells an OS which fields exist; revision 6 is the
// first with hypervisor_vendor_identity.
inline constexpr uint8_t kAcpiFadtRevision6 = 6;
inline constexpr uint8_t kAcpiFadtMinorVersion6_5 = 5;

inline constexpr uint8_t kAcpiPmProfileUnspecified = 0;

// ------------------------------------------------------------------- flags

// Fixed feature flags (the `flags` field), ACPI 6.5 table 5.10.
// PWR_BUTTON / SLP_BUTTON set: "the power/sleep button, if there is one, is a
// control-method device", i.e. there is no fixed-feature button. With either
// clear, Linux creates a fixed button device whose driver enables PM1 events,
// which a hardware-reduced platform does not have.
inline constexpr uint32_t kAcpiFadtFlagPowerButton = 1u << 4;
inline constexpr uint32_t kAcpiFadtFlagSleepButton = 1u << 5;
// RESET_REG_SUP: reset_register and reset_value are valid.
inline constexpr uint32_t kAcpiFadtFlagResetRegister = 1u << 10;
// HW_REDUCED_ACPI: none of the fixed hardware (PM1, PM timer, GPE, SCI) exists.
inline constexpr uint32_t kAcpiFadtFlagHardwareReduced = 1u << 20;

// IA-PC boot architecture flags (`iapc_boot_arch`), ACPI 6.5 table 5.11.
// A set bit says a legacy device is there (LEGACY_DEVICES, 8042) or that
// one the OS would otherwise assume is NOT there (the *_NOT_PRESENT bits).
inline constexpr uint16_t kAcpiBootArchLegacyDevices = 1u << 0;   // ISA devices beyond the 8042
inline constexpr uint16_t kAcpiBootArch8042 = 1u << 1;            // PS/2 keyboard controller
inline constexpr uint16_t kAcpiBootArchVgaNotPresent = 1u << 2;   // do not probe VGA
inline constexpr uint16_t kAcpiBootArchMsiNotSupported = 1u << 3;
inline constexpr uint16_t kAcpiBootArchPcieAspmControls = 1u << 4;
inline constexpr uint16_t kAcpiBootArchCmosRtcNotPresent = 1u << 5;  // no RTC at ports 0x70/0x71

// ------------------------------------------------ generic address access

// AcpiGenericAddress::access_size: the width of each access, not in bits.
inline constexpr uint8_t kAcpiAccessSizeUndefined = 0;
inline constexpr uint8_t kAcpiAccessSizeByte = 1;
inline constexpr uint8_t kAcpiAccessSizeWord = 2;
inline constexpr uint8_t kAcpiAccessSizeDword = 3;
inline constexpr uint8_t kAcpiAccessSizeQword = 4;

inline constexpr uint8_t kAcpiByteRegisterBits = 8;

// ------------------------------------- hardware-reduced sleep registers

// SLEEP_CONTROL_REG (ACPI 6.5, 4.8.3.7): the OS enters sleep state S<n> by
// writing SLP_TYP (the value of the DSDT's \_S<n>_ package, first element)
// into bits 4:2 together with SLP_EN (bit 5), in ONE byte write:
//     value = ((slp_typ << 2) & 0x1c) | 0x20
// Unlike the PM1 control register (kAcpiSlp* in acpi_tables.hpp, SLP_TYP at
// bits 12:10), this register is only 8 bits wide, so the field moved.
inline constexpr unsigned kAcpiSleepControlSlpTypShift = 2;
inline constexpr uint8_t kAcpiSleepControlSlpTypMask = 0x7u << kAcpiSleepControlSlpTypShift;  // in place
inline constexpr uint8_t kAcpiSleepControlSlpEn = 1u << 5;

// SLEEP_STATUS_REG: WAK_STS (bit 7) is set by hardware on wake and cleared
// by writing 1. Linux writes 0x80 here right before it writes the control
// register, so the device model sees that write first.
inline constexpr uint8_t kAcpiSleepStatusWakSts = 1u << 7;

// The control register byte that enters sleep type `slp_typ`.
constexpr uint8_t acpi_sleep_control_value(uint8_t slp_typ) {
    return static_cast<uint8_t>(((slp_typ << kAcpiSleepControlSlpTypShift) & kAcpiSleepControlSlpTypMask) |
                                kAcpiSleepControlSlpEn);
}

// The sleep type a control register write asks for (meaningful only with SLP_EN).
constexpr uint8_t acpi_sleep_control_type(uint8_t value) {
    return static_cast<uint8_t>((value & kAcpiSleepControlSlpTypMask) >> kAcpiSleepControlSlpTypShift);
}

}  // namespace bulkhead
