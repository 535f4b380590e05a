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
