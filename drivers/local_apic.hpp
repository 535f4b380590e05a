// The calling CPU's local APIC: its ID, and the INIT and startup IPIs that
// wake the other processors. Works in xAPIC (MMIO) and x2APIC (MSR) mode,
// whichever the firmware left enabled.
#pragma once

#include <stdint.h>

namespace bulkhead {

class LocalApic {
public:
    // Enables the calling CPU's local APIC (software enable bit).
    void init();

    uint32_t id() const;
    bool x2apic() const { return x2apic_; }

    // False if the APIC did not accept the IPI in time.
    bool send_init(uint32_t apic_id);
    bool send_startup(uint32_t apic_id, uint64_t entry_page_address);
    // An ordinary interrupt with `vector` to another CPU (a "kick").
    bool send_fixed(uint32_t apic_id, uint8_t vector);
    // Tells the calling CPU's APIC the current interrupt is handled.
    void end_of_interrupt();

    // The timer that wakes an idle CPU at a TSC deadline. TSC-deadline mode
    // where the CPU has it (the deadline is written as is); otherwise
    // one-shot mode, counting at a rate measured against the TSC once, on
    // the boot CPU (calibrate_timer, after the TSC's frequency is known).
    // Every CPU then points its own timer at `vector` (enable_timer) and
    // arms it for itself.
    void calibrate_timer(uint64_t tsc_hz);
    void enable_timer(uint8_t vector);
    void arm_timer(uint64_t tsc_deadline);
    void disarm_timer();
    bool timer_uses_tsc_deadline() const { return tsc_deadline_mode_; }

private:
    uint32_t read(uint32_t offset) const;
    void write(uint32_t offset, uint32_t value);
    bool send(uint32_t apic_id, uint32_t command);

    uint64_t base_ = 0;
    bool x2apic_ = false;
    bool tsc_deadline_mode_ = false;
    uint64_t counts_per_tsc_q32_ = 0;   // one-shot mode: timer counts per TSC tick, 32.32 fixed point
};

}  // namespace bulkhead
