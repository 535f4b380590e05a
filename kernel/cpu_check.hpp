// The boot-time check that this CPU can run Bulkhead's guests (VT-x with EPT,
// VPID and unrestricted guest), and the capability summary on the console.
#pragma once

#include "arch/x86_64/vmx_capabilities.hpp"

namespace bulkhead {

// Probes VT-x, prints the summary, and ends the run with
// RunStatus::VmxUnavailable and one line naming what is missing if the CPU
// cannot run guests.
const x86::VmxCapabilities& check_cpu();

}  // namespace bulkhead
