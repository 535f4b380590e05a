// Entering VMX root operation on a CPU (Intel SDM Vol. 3C, 24.7-24.8).
#pragma once

#include "arch/x86_64/vmx_capabilities.hpp"

namespace bulkhead {

// Applies the CR0/CR4 bits VMX requires, sets CR4.VMXE and executes VMXON
// with `region` (from allocate_vmx_region). False if the CPU refuses.
bool enter_vmx_root(uint64_t region);

// A zeroed frame that starts with the VMCS revision identifier, as the VMXON
// region and every VMCS must (SDM Vol. 3C, 25.2 and 25.11.5).
uint64_t allocate_vmx_region(const x86::VmxCapabilities& caps);

}  // namespace bulkhead
