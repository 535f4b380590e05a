// The local APIC's registers and the inter-processor interrupt commands used
// to start other CPUs (Intel SDM Vol. 3A, chapter 11 and 8.4.4).
#pragma once

#include <stdint.h>

namespace bulkhead::x86::apic {

// IA32_APIC_BASE (MSR 0x1b) bits.
inline constexpr uint64_t kBaseBootstrapProcessor = 1ull << 8;
inline constexpr uint64_t kBaseX2apicEnable = 1ull << 10;
inline constexpr uint64_t kBaseGlobalEnable = 1ull << 11;
inline constexpr uint64_t kBaseAddressMask = 0x000ffffffffff000ull;

// xAPIC MMIO register offsets from the base address.
inline constexpr uint32_t kIdRegister = 0x20;
inline constexpr uint32_t kSpuriousVector = 0xf0;
inline constexpr uint32_t kErrorStatus = 0x280;
inline constexpr uint32_t kInterruptCommandLow = 0x300;
inline constexpr uint32_t kInterruptCommandHigh = 0x310;
inline constexpr uint32_t kEndOfInterrupt = 0xb0;
inline constexpr unsigned kXapicIdShift = 24;          // ID register and ICR destination: bits 31:24

// The rest of the register page, for the virtual local APIC a partition
// sees (vmm/virtual_lapic.cpp). Each register is 32 bits at a 16-byte
// aligned offset; the 256-bit ISR, TMR and IRR are eight such registers.
inline constexpr uint64_t kDefaultBase = 0xfee00000;   // where every xAPIC starts
inline constexpr uint32_t kPageSize = 0x1000;
inline constexpr uint32_t kRegisterStride = 0x10;
inline constexpr uint32_t kVersionRegister = 0x30;
inline constexpr uint32_t kTaskPriority = 0x80;
inline constexpr uint32_t kArbitrationPriority = 0x90;
inline constexpr uint32_t kProcessorPriority = 0xa0;
inline constexpr uint32_t kRemoteRead = 0xc0;
inline constexpr uint32_t kLogicalDestination = 0xd0;
inline constexpr uint32_t kDestinationFormat = 0xe0;
inline constexpr uint32_t kInService = 0x100;          // ISR: 0x100-0x170
inline constexpr uint32_t kTriggerMode = 0x180;        // TMR: 0x180-0x1f0
inline constexpr uint32_t kInterruptRequest = 0x200;   // IRR: 0x200-0x270
inline constexpr uint32_t kVectorBitmapRegisters = 8;  // 8 x 32 bits = 256 vectors
inline constexpr uint32_t kLvtCmci = 0x2f0;
inline constexpr uint32_t kLvtTimer = 0x320;
inline constexpr uint32_t kLvtThermal = 0x330;
inline constexpr uint32_t kLvtPerformance = 0x340;
inline constexpr uint32_t kLvtLint0 = 0x350;
inline constexpr uint32_t kLvtLint1 = 0x360;
inline constexpr uint32_t kLvtError = 0x370;
inline constexpr uint32_t kTimerInitialCount = 0x380;
inline constexpr uint32_t kTimerCurrentCount = 0x390;
inline constexpr uint32_t kTimerDivide = 0x3e0;

// Version register: version 0x14 (an integrated APIC, as on every x86-64
// CPU), the highest LVT entry index in bits 23:16 (6: CMCI ... error).
inline constexpr uint32_t kIntegratedApicVersion = 0x14;
inline constexpr unsigned kMaxLvtShift = 16;
inline constexpr uint32_t kMaxLvtEntry = 6;

// Priorities: a vector's priority class is its upper 4 bits.
inline constexpr unsigned kPriorityClassShift = 4;
inline constexpr uint32_t kPriorityClassMask = 0xf0;
inline constexpr uint32_t kVectorMask = 0xff;
inline constexpr uint32_t kFirstValidVector = 16;   // 0-15 are reserved: "illegal vector" errors

// LVT entry fields.
inline constexpr uint32_t kLvtVectorMask = 0xff;
inline constexpr uint32_t kLvtDeliveryModeMask = 0x7u << 8;
inline constexpr uint32_t kLvtDeliveryStatus = 1u << 12;   // read-only
inline constexpr uint32_t kLvtMasked = 1u << 16;
inline constexpr uint32_t kLvtTimerModeMask = 0x3u << 17;
inline constexpr uint32_t kLvtTimerOneShot = 0x0u << 17;
inline constexpr uint32_t kLvtTimerPeriodic = 0x1u << 17;
inline constexpr uint32_t kLvtTimerTscDeadline = 0x2u << 17;
inline constexpr uint32_t kLvtTriggerLevel = 1u << 15;
inline constexpr uint32_t kLvtRemoteIrr = 1u << 14;
inline constexpr uint32_t kLvtInputPolarity = 1u << 13;

// Divide configuration: bits 0, 1 and 3 encode divide-by 2, 4, 8, 16, 32,
// 64, 128 or 1 (Intel SDM Vol. 3A, Figure 11-10).
inline constexpr uint32_t kDivideLowBits = 0x3;
inline constexpr uint32_t kDivideHighBit = 0x8;
inline constexpr unsigned kDivideHighBitShift = 1;   // bit 3 becomes bit 2 of the code
inline constexpr uint32_t kDivideByOneCode = 0x7;

// Interrupt command register: the vector, the destination shorthand and mode.
inline constexpr uint32_t kIcrVectorMask = 0xff;
inline constexpr uint32_t kIcrDeliveryModeMask = 0x7u << 8;
inline constexpr uint32_t kIcrDestinationLogical = 1u << 11;
inline constexpr uint32_t kIcrShorthandMask = 0x3u << 18;
inline constexpr uint32_t kIcrShorthandNone = 0x0u << 18;
inline constexpr uint32_t kIcrShorthandSelf = 0x1u << 18;
inline constexpr uint32_t kIcrShorthandAllIncludingSelf = 0x2u << 18;
inline constexpr uint32_t kIcrShorthandAllExcludingSelf = 0x3u << 18;
inline constexpr uint32_t kDeliveryNmi = 0x4u << 8;

// Error status register bits a virtual APIC reports.
inline constexpr uint32_t kErrorSendIllegalVector = 1u << 5;
inline constexpr uint32_t kErrorReceiveIllegalVector = 1u << 6;
inline constexpr uint32_t kErrorIllegalRegister = 1u << 7;

// Reset values (Intel SDM Vol. 3A, 11.4.7.1 and 10.12.5): every LVT masked,
// the APIC software-disabled with spurious vector 0xff, DFR flat model.
inline constexpr uint32_t kSpuriousReset = 0xff;
inline constexpr uint32_t kDestinationFormatFlat = 0xffffffff;

// x2APIC MSRs: the xAPIC offset / 16 + 0x800; the ICR is one 64-bit MSR.
inline constexpr uint32_t kX2apicMsrBase = 0x800;
inline constexpr uint32_t kX2apicIdMsr = kX2apicMsrBase + (kIdRegister >> 4);
inline constexpr uint32_t kX2apicIcrMsr = kX2apicMsrBase + (kInterruptCommandLow >> 4);
inline constexpr unsigned kX2apicDestinationShift = 32;

// Spurious-interrupt vector register: software enable, and a vector for the
// spurious interrupt itself (its low 4 bits must be 1s on old APICs).
inline constexpr uint32_t kSoftwareEnable = 1u << 8;
inline constexpr uint32_t kSpuriousVectorNumber = 0xff;

// Interrupt command register fields.
inline constexpr uint32_t kDeliveryFixed = 0x0u << 8;
inline constexpr uint32_t kDeliveryInit = 0x5u << 8;
inline constexpr uint32_t kDeliveryStartup = 0x6u << 8;
inline constexpr uint32_t kDeliveryPending = 1u << 12;   // xAPIC only: the IPI has not been sent yet
inline constexpr uint32_t kLevelAssert = 1u << 14;
inline constexpr uint32_t kTriggerLevel = 1u << 15;

// A startup IPI's vector is the page number of the real-mode entry point:
// the AP starts at vector * 4 KiB, with CS = vector * 256, IP = 0.
inline constexpr uint64_t kStartupPageShift = 12;

}  // namespace bulkhead::x86::apic
