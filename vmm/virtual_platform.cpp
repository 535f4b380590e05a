// Wiring the virtual devices of a partition to its interrupt controllers
// (vmm/virtual_platform.hpp).
#include "vmm/virtual_platform.hpp"

#include "kernel/tsc.hpp"
#include "vmm/guest_acpi.hpp"
#include "vmm/guest_layout.hpp"
#include "vmm/guest_timing.hpp"
#include "vmm/partition.hpp"
#include "vmm/vcpu_events.hpp"

namespace bulkhead {

namespace {

// MTRRs enabled, default memory type write-back: what firmware leaves on a
// PC, and what the EPT maps partition memory as anyway.
constexpr uint64_t kMtrrDefaultTypeReset = x86::Mtrr::kEnable | x86::Mtrr::kTypeWriteBack;

bool in_page(uint64_t address, uint64_t page, uint64_t page_size) { return address - page < page_size; }

// A Linux guest's RAM ends below the lowest device page (the loader refuses
// more), so no access to a device page can ever be RAM.
static_assert(guest_layout::kLinuxMaxMemory == kGuestIoApicAddress && kGuestIoApicAddress < kGuestLocalApicAddress);

// An interrupt for the vCPU: the local APIC records it, and the vCPU looks
// for it before its next VM entry.
void deliver(Partition& p, uint8_t vector, bool level_triggered) {
    p.platform.lapic.raise(vector, level_triggered);
    request_attention(p.vcpu);
}

// What the local APIC's register write means for the rest of the platform.
void act_on_lapic_write(Partition& p, const VirtualLapic::WriteEffect& effect) {
    if (effect.level_eoi) {
        uint8_t resend = 0;
        if (p.platform.ioapic.end_of_interrupt(effect.eoi_vector, resend)) deliver(p, resend, true);
    }
    if (effect.timer_changed) p.vcpu.timer_changed = true;
    // EOI, TPR and self-IPIs may each make another interrupt deliverable.
    request_attention(p.vcpu);
}

}  // namespace

void reset_platform(Partition& p) {
    p.platform.lapic.reset(kGuestApicId, crystal_ratio(tsc_hz()));
    p.platform.ioapic.reset(kGuestIoApicId);
    p.platform.uart_line = false;
    p.platform.mtrr_default_type = kMtrrDefaultTypeReset;
}

bool is_device_page(uint64_t gpa) {
    return in_page(gpa, kGuestLocalApicAddress, x86::apic::kPageSize) ||
           in_page(gpa, kGuestIoApicAddress, x86::ioapic::kPageSize);
}

bool device_read(Partition& p, uint64_t gpa, uint64_t now, uint32_t& value) {
    if (in_page(gpa, kGuestLocalApicAddress, x86::apic::kPageSize)) {
        value = p.platform.lapic.read(static_cast<uint32_t>(gpa - kGuestLocalApicAddress), now);
        return true;
    }
    if (in_page(gpa, kGuestIoApicAddress, x86::ioapic::kPageSize)) {
        value = p.platform.ioapic.read(static_cast<uint32_t>(gpa - kGuestIoApicAddress));
        return true;
    }
    return false;
}

bool device_write(Partition& p, uint64_t gpa, uint32_t value, uint64_t now) {
    if (in_page(gpa, kGuestLocalApicAddress, x86::apic::kPageSize)) {
        act_on_lapic_write(p, p.platform.lapic.write(static_cast<uint32_t>(gpa - kGuestLocalApicAddress), value, now));
        return true;
    }
    if (in_page(gpa, kGuestIoApicAddress, x86::ioapic::kPageSize)) {
        // Unmasking (or re-arming) a level-triggered pin whose line is up
        // sends its interrupt at once.
        uint8_t vector = 0;
        if (p.platform.ioapic.write(static_cast<uint32_t>(gpa - kGuestIoApicAddress), value, vector))
            deliver(p, vector, true);
        return true;
    }
    return false;
}

void sync_uart_interrupt(Partition& p) {
    const bool level = p.uart.interrupt_asserted();
    if (level == p.platform.uart_line) return;
    p.platform.uart_line = level;
    uint8_t vector = 0;
    if (p.platform.ioapic.set_line(kUartIoApicPin, level, vector))
        deliver(p, vector, p.platform.ioapic.level_triggered(kUartIoApicPin));
}

void write_tsc_deadline(Partition& p, uint64_t deadline) {
    p.platform.lapic.write_tsc_deadline(deadline);
    p.vcpu.timer_changed = true;
    request_attention(p.vcpu);
}

}  // namespace bulkhead
