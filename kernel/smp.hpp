// Bringing up the application processors (Intel SDM Vol. 3A, 8.4): every
// CPU the ACPI MADT lists is started with INIT-SIPI-SIPI through the real-
// mode trampoline (boot/ap_trampoline.S), gets its own stacks (with guard
// pages), GDT, TSS and VMXON region, and enters VMX root operation. A CPU that
// does not answer is reported and left out; the others carry on.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/vmx_capabilities.hpp"
#include "kernel/boot_info.hpp"

namespace bulkhead {

// Starts every other CPU; prints which came up. Returns how many CPUs are
// online, the boot CPU included.
size_t start_application_processors(const x86::VmxCapabilities& caps, const BootInfo& boot);

size_t online_cpu_count();

}  // namespace bulkhead
