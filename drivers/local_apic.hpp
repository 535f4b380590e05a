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

private:
    uint32_t read(uint32_t offset) const;
    void write(uint32_t offset, uint32_t value);
    bool send(uint32_t apic_id, uint32_t command);

    uint64_t base_ = 0;
    bool x2apic_ = false;
};

}  // namespace bulkhead
