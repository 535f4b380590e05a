#include "drivers/io_apic.hpp"

#include "arch/x86_64/io_apic.hpp"

namespace bulkhead {

namespace io = x86::ioapic;

namespace {

constexpr unsigned kRegistersPerPin = 2;
constexpr unsigned kDestinationShift = 24;   // redirection entry high half: destination APIC ID
constexpr uint32_t kMaxRedirectionMask = 0xff;

// The indirect registers sit behind a select register and a data window.
uint32_t read_register(uint64_t base, uint32_t index) {
    *reinterpret_cast<volatile uint32_t*>(base + io::kRegisterSelect) = index;
    return *reinterpret_cast<volatile uint32_t*>(base + io::kWindow);
}

void write_register(uint64_t base, uint32_t index, uint32_t value) {
    *reinterpret_cast<volatile uint32_t*>(base + io::kRegisterSelect) = index;
    *reinterpret_cast<volatile uint32_t*>(base + io::kWindow) = value;
}

}  // namespace

const char* to_string(IoApicRouteError error) {
    switch (error) {
        case IoApicRouteError::None: return "no error";
        case IoApicRouteError::NoSuchPin: return "the I/O APIC has no pin for that interrupt";
    }
    return "?";
}

IoApicRouteError route_host_interrupt(const IoApicDescriptor& io_apic, const IsaIrqRoute& route, uint8_t vector,
                                      uint32_t apic_id) {
    const uint64_t base = io_apic.address;
    const uint32_t pins = ((read_register(base, io::kVersionRegister) >> io::kMaxRedirectionShift) & kMaxRedirectionMask) + 1;
    const uint32_t pin = route.gsi - io_apic.gsi_base;
    if (route.gsi < io_apic.gsi_base || pin >= pins) return IoApicRouteError::NoSuchPin;
    const uint32_t index = io::kRedirectionTable + pin * kRegistersPerPin;
    // Masked while the halves change, unmasked by the last write.
    write_register(base, index, io::kMasked);
    write_register(base, index + 1, apic_id << kDestinationShift);
    const uint32_t low = vector | (route.active_low ? io::kPolarityLow : 0) | (route.level_triggered ? io::kTriggerLevel : 0);
    write_register(base, index, low);
    return IoApicRouteError::None;
}

}  // namespace bulkhead
