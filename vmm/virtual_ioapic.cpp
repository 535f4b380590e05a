#include "vmm/virtual_ioapic.hpp"

namespace bulkhead {

namespace io = x86::ioapic;

namespace {

constexpr unsigned kRegistersPerPin = 2;

bool is_level(uint32_t low) { return (low & io::kTriggerLevel) != 0; }
bool is_masked(uint32_t low) { return (low & io::kMasked) != 0; }
uint8_t vector_of(uint32_t low) { return static_cast<uint8_t>(low & io::kVectorMask); }

}  // namespace

// Every pin starts masked (the datasheet's reset state).
void VirtualIoApic::reset(uint8_t id) {
    *this = VirtualIoApic{};
    id_ = (uint32_t{id} << io::kIdShift) & io::kIdMask;
    for (uint32_t& low : low_) low = io::kMasked;
}

uint32_t VirtualIoApic::read(uint32_t offset) const {
    if (offset == io::kRegisterSelect) return select_;
    if (offset == io::kWindow) return read_indirect(select_);
    return 0;
}

bool VirtualIoApic::write(uint32_t offset, uint32_t value, uint8_t& vector) {
    if (offset == io::kRegisterSelect) {
        select_ = value & io::kSelectMask;
        return false;
    }
    if (offset == io::kWindow) return write_indirect(select_, value, vector);
    if (offset == io::kEoi) return end_of_interrupt(static_cast<uint8_t>(value & io::kVectorMask), vector);
    return false;
}

uint32_t VirtualIoApic::read_indirect(uint32_t index) const {
    if (index == io::kIdRegister) return id_;
    if (index == io::kVersionRegister) return io::kVersion | ((io::kPinCount - 1) << io::kMaxRedirectionShift);
    if (index == io::kArbitrationRegister) return id_;
    if (index < io::kRedirectionTable) return 0;
    const uint32_t pin = (index - io::kRedirectionTable) / kRegistersPerPin;
    if (pin >= io::kPinCount) return 0;
    return (index - io::kRedirectionTable) % kRegistersPerPin == 0 ? low_[pin] : high_[pin];
}

bool VirtualIoApic::write_indirect(uint32_t index, uint32_t value, uint8_t& vector) {
    if (index == io::kIdRegister) {
        id_ = value & io::kIdMask;
        return false;
    }
    if (index < io::kRedirectionTable) return false;
    const uint32_t pin = (index - io::kRedirectionTable) / kRegistersPerPin;
    if (pin >= io::kPinCount) return false;
    if ((index - io::kRedirectionTable) % kRegistersPerPin != 0) {
        high_[pin] = value & io::kHighWritable;
        return false;
    }
    // Remote IRR and delivery status belong to the IOAPIC, not the writer.
    low_[pin] = (value & io::kLowWritable) | (low_[pin] & io::kRemoteIrr);
    return deliver_level(pin, vector);
}

// A level-triggered pin whose line is up sends its vector once, then waits
// for the EOI.
bool VirtualIoApic::deliver_level(unsigned pin, uint8_t& vector) {
    uint32_t& low = low_[pin];
    if (!is_level(low) || is_masked(low) || !line_[pin] || (low & io::kRemoteIrr)) return false;
    low |= io::kRemoteIrr;
    vector = vector_of(low);
    return true;
}

bool VirtualIoApic::set_line(unsigned pin, bool asserted, uint8_t& vector) {
    if (pin >= io::kPinCount) return false;
    const bool rising = asserted && !line_[pin];
    line_[pin] = asserted;
    const uint32_t low = low_[pin];
    if (is_level(low)) return deliver_level(pin, vector);
    if (!rising || is_masked(low)) return false;
    vector = vector_of(low);
    return true;
}

bool VirtualIoApic::end_of_interrupt(uint8_t vector, uint8_t& resend) {
    bool again = false;
    for (unsigned pin = 0; pin < io::kPinCount; ++pin) {
        if (!is_level(low_[pin]) || vector_of(low_[pin]) != vector) continue;
        low_[pin] &= ~io::kRemoteIrr;
        again = deliver_level(pin, resend) || again;
    }
    return again;
}

bool VirtualIoApic::level_triggered(unsigned pin) const { return pin < io::kPinCount && is_level(low_[pin]); }

}  // namespace bulkhead
