// Reading and writing the current VMCS. Every access checks the instruction's
// outcome: a failed VMREAD/VMWRITE is a hypervisor bug (a field this CPU does
// not have, no current VMCS), so it stops the run with the field's name and
// the VM-instruction error, never silently.
#pragma once

#include <stdint.h>

#include "arch/x86_64/vmcs_fields.hpp"
#include "arch/x86_64/vmx_instructions.hpp"

namespace bulkhead::vmcs {

using x86::vmx::VmcsField;

inline uint64_t read(VmcsField field) {
    uint64_t value = 0;
    const auto result = x86::vmx::vmread(field, value);
    if (result != x86::vmx::VmxResult::Ok) x86::vmx::vmcs_access_failed("VMREAD", field, result);
    return value;
}

inline void write(VmcsField field, uint64_t value) {
    const auto result = x86::vmx::vmwrite(field, value);
    if (result != x86::vmx::VmxResult::Ok) x86::vmx::vmcs_access_failed("VMWRITE", field, result);
}

}  // namespace bulkhead::vmcs
