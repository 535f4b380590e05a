// The local APIC a partition's vCPU sees: interrupt priorities (IRR, ISR,
// TPR, PPR, EOI), the local vector table, self-IPIs, and the timer in
// one-shot, periodic and TSC-deadline modes.
//
// The model only keeps state; the hypervisor feeds it the guest's register
// accesses (decoded xAPIC MMIO at 0xfee00000, the IA32_TSC_DEADLINE MSR),
// asks it which vector to inject before each VM entry, and asks it when the
// timer is due so that it can run or wake the vCPU by then.
//
// Time is the TSC. The timer's input clock is the TSC itself (the APIC
// timer runs at the TSC frequency divided by the divide register): CPUID
// leaf 0x15 tells the guest so (crystal = TSC, ratio 1:1), and Linux then
// needs no timer calibration at all.
//
// A single vCPU per partition: self-IPIs are delivered, other destinations
// are ignored. Pure code: tests/unit/test_virtual_lapic.cpp.
#pragma once

#include <stdint.h>

#include "arch/x86_64/local_apic.hpp"

namespace bulkhead {

class VirtualLapic {
public:
    // `tsc_per_tick`: TSC ticks per tick of the timer's input clock (the
    // crystal of CPUID leaf 0x15, vmm/guest_timing.hpp).
    void reset(uint32_t apic_id, uint32_t tsc_per_tick = 1);

    // What a register write did beyond the register itself, for the
    // hypervisor to act on: an EOI of a level-triggered interrupt must reach
    // the I/O APIC (its remote IRR), and a timer that changed must be
    // reprogrammed on the host (the VMX-preemption timer).
    struct WriteEffect {
        bool level_eoi = false;     // an EOI retired `eoi_vector`, which was level-triggered
        uint8_t eoi_vector = 0;
        bool timer_changed = false; // timer_due() may differ now
    };

    // A guest read or write of the 32-bit register at `offset` in the APIC
    // page, at TSC time `now`.
    uint32_t read(uint32_t offset, uint64_t now);
    WriteEffect write(uint32_t offset, uint32_t value, uint64_t now);

    // IA32_TSC_DEADLINE. Writes are ignored unless the timer is in
    // TSC-deadline mode; 0 disarms it.
    void write_tsc_deadline(uint64_t deadline);
    uint64_t tsc_deadline() const { return deadline_; }

    // An interrupt arrives (from the timer, a self-IPI or the IOAPIC). A
    // level-triggered one (from an I/O APIC pin in level mode) is marked in
    // the TMR, so that its EOI is passed on.
    void raise(uint8_t vector, bool level_triggered = false);

    // Fires the timer if it is due at `now`.
    void update_timer(uint64_t now);
    // The TSC value at which the timer fires next; 0 when it is not armed.
    uint64_t timer_due() const;

    // The vector to inject now, if any: the highest requested one whose
    // priority class is above the processor priority.
    bool interrupt_ready(uint8_t& vector) const;
    // The vector was delivered to the guest: it moves from IRR to ISR.
    void acknowledge(uint8_t vector);

    bool software_enabled() const { return (spurious_ & x86::apic::kSoftwareEnable) != 0; }
    uint32_t processor_priority() const;

private:
    using Bitmap = uint32_t[x86::apic::kVectorBitmapRegisters];
    static void set_bit(Bitmap& bits, uint8_t vector);
    static void clear_bit(Bitmap& bits, uint8_t vector);
    static int highest_bit(const Bitmap& bits);

    uint32_t* lvt(uint32_t offset);
    void write_lvt(uint32_t offset, uint32_t value);
    void write_spurious(uint32_t value);
    void write_icr(uint32_t value);
    WriteEffect end_of_interrupt();
    void start_count(uint32_t count, uint64_t now);
    uint64_t divisor() const;
    uint32_t current_count(uint64_t now) const;
    uint32_t timer_mode() const { return lvt_timer_ & x86::apic::kLvtTimerModeMask; }
    void fire_timer();

    uint32_t tsc_per_tick_ = 1;
    uint32_t id_ = 0;
    uint32_t task_priority_ = 0;
    uint32_t logical_destination_ = 0;
    uint32_t destination_format_ = x86::apic::kDestinationFormatFlat;
    uint32_t spurious_ = x86::apic::kSpuriousReset;
    uint32_t error_pending_ = 0, error_latched_ = 0;
    uint32_t icr_high_ = 0, icr_low_ = 0;
    Bitmap in_service_{}, trigger_mode_{}, requested_{};
    uint32_t lvt_cmci_ = x86::apic::kLvtMasked, lvt_timer_ = x86::apic::kLvtMasked,
             lvt_thermal_ = x86::apic::kLvtMasked, lvt_performance_ = x86::apic::kLvtMasked,
             lvt_lint0_ = x86::apic::kLvtMasked, lvt_lint1_ = x86::apic::kLvtMasked,
             lvt_error_ = x86::apic::kLvtMasked;
    uint32_t divide_ = 0;            // the register as written
    uint32_t initial_count_ = 0;
    uint64_t count_start_ = 0;       // TSC when the count (or the current period) started
    bool counting_ = false;          // one-shot or periodic count in progress
    uint64_t deadline_ = 0;          // TSC-deadline mode target; 0 = disarmed
};

}  // namespace bulkhead
