// The host's I/O APIC: routes one of the machine's interrupt lines (a global
// system interrupt, GSI) to a vector on one CPU. Bulkhead routes exactly one:
// its console UART's, so that typing reaches it without polling
// (vmm/console_input.hpp). Every other pin stays as the firmware left it
// (masked), so no device can interrupt the hypervisor.
#pragma once

#include <stdint.h>

#include "kernel/madt.hpp"

namespace bulkhead {

enum class IoApicRouteError : uint8_t { None, NoSuchPin };
const char* to_string(IoApicRouteError error);

// Fixed delivery of `vector` to the CPU with local APIC ID `apic_id` (in
// physical destination mode, so an xAPIC ID of 0-254), with the wiring of
// `route` (polarity and trigger mode from the MADT), unmasked.
IoApicRouteError route_host_interrupt(const IoApicDescriptor& io_apic, const IsaIrqRoute& route, uint8_t vector,
                                      uint32_t apic_id);

}  // namespace bulkhead
