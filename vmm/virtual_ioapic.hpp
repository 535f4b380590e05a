// The I/O APIC a partition sees: it routes the virtual devices' interrupt
// lines (the UART's IRQ 4) to the partition's local APIC, as the guest
// programmed its redirection entries.
//
// Edge-triggered entries send their vector on each rising edge of the line.
// Level-triggered ones send it while the line is asserted and then wait for
// the local APIC's EOI of that vector (remote IRR) before sending again.
// One vCPU per partition: every unmasked entry goes to its local APIC.
//
// Pure code: tests/unit/test_virtual_ioapic.cpp.
#pragma once

#include <stdint.h>

#include "arch/x86_64/io_apic.hpp"

namespace bulkhead {

class VirtualIoApic {
public:
    void reset(uint8_t id);

    uint32_t read(uint32_t offset) const;
    // Returns true with `vector` set when the write unmasked (or re-armed) a
    // level-triggered pin whose line is asserted: that interrupt is sent now.
    bool write(uint32_t offset, uint32_t value, uint8_t& vector);

    // A device's line on `pin` changed. True, with the vector, when an
    // interrupt must be raised in the local APIC.
    bool set_line(unsigned pin, bool asserted, uint8_t& vector);

    // The local APIC retired `vector`: level entries with it may send again.
    bool end_of_interrupt(uint8_t vector, uint8_t& resend);

    // Whether the guest programmed `pin` level-triggered (the local APIC then
    // marks its vector in the TMR, so that the EOI comes back here).
    bool level_triggered(unsigned pin) const;

private:
    uint32_t read_indirect(uint32_t index) const;
    bool write_indirect(uint32_t index, uint32_t value, uint8_t& vector);
    bool deliver_level(unsigned pin, uint8_t& vector);

    uint32_t id_ = 0;
    uint32_t select_ = 0;
    uint32_t low_[x86::ioapic::kPinCount]{};
    uint32_t high_[x86::ioapic::kPinCount]{};
    bool line_[x86::ioapic::kPinCount]{};
};

}  // namespace bulkhead
