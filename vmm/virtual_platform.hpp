// The interrupt controllers a partition sees and how its devices are wired
// to them: one virtual local APIC (xAPIC page at 0xfee00000) and one virtual
// I/O APIC (0xfec00000), with the virtual UART's interrupt output on I/O APIC
// pin 4 (ISA IRQ 4, as COM1 on a PC). The models themselves are pure code
// (vmm/virtual_lapic.hpp, vmm/virtual_ioapic.hpp, vmm/virtual_uart.hpp);
// this file connects them and turns guest-physical MMIO accesses into
// register accesses.
//
// Everything here runs on the partition's own CPU while the partition is not
// executing guest code (in an exit handler or in the scheduler), so nothing
// needs a lock. What must reach the VMCS (an interrupt to inject, a timer to
// reprogram) is noted in the vCPU and done before the next VM entry
// (vmm/vcpu_events.hpp).
#pragma once

#include <stdint.h>

#include "arch/x86_64/io_apic.hpp"
#include "arch/x86_64/local_apic.hpp"
#include "vmm/virtual_ioapic.hpp"
#include "vmm/virtual_lapic.hpp"

namespace bulkhead {

struct Partition;

// The guest's view of the platform: fixed addresses and wiring, the same in
// every partition and in its ACPI tables (vmm/guest_acpi.hpp).
inline constexpr uint32_t kGuestApicId = 0;
inline constexpr unsigned kUartIoApicPin = 4;   // ISA IRQ 4, identity-mapped to GSI 4 (no MADT override)

struct VirtualPlatform {
    VirtualLapic lapic;
    VirtualIoApic ioapic;
    bool uart_line;          // the UART's interrupt output as the I/O APIC last saw it
    uint64_t mtrr_default_type;   // IA32_MTRR_DEF_TYPE as the guest last wrote it
};

// Power-on state of the interrupt controllers (at partition start and restart).
void reset_platform(Partition& partition);

// True when the guest-physical address is one of the emulated device pages
// (an EPT violation there is an MMIO access to emulate, not an attack).
bool is_device_page(uint64_t guest_physical);

// A 32-bit register access to the device page at `guest_physical`, at TSC
// time `now`. False if nothing lives at that address.
bool device_read(Partition& partition, uint64_t guest_physical, uint64_t now, uint32_t& value);
bool device_write(Partition& partition, uint64_t guest_physical, uint32_t value, uint64_t now);

// After any access to the virtual UART (or input arriving): passes a change
// of its interrupt output to the I/O APIC, and an interrupt that results to
// the local APIC.
void sync_uart_interrupt(Partition& partition);

// IA32_TSC_DEADLINE, written by the guest.
void write_tsc_deadline(Partition& partition, uint64_t deadline);

}  // namespace bulkhead
