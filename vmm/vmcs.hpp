// Reading and writing the current VMCS, on the VM-exit hot path.
//
// Every access checks the instruction's outcome with a single conditional
// jump (CF or ZF set means VMfailInvalid or VMfailValid): a failed
// VMREAD/VMWRITE is a hypervisor bug (a field this CPU does not have, no
// current VMCS), so it stops the run with the field's name and the
// VM-instruction error (vmm/vmcs_errors.cpp), never silently.
#pragma once

#include <stdint.h>

#include "arch/x86_64/vmcs_fields.hpp"
#include "arch/x86_64/vmx_instructions.hpp"

namespace bulkhead::vmcs {

using x86::vmx::VmcsField;

[[noreturn, gnu::cold]] void access_failed(const char* operation, VmcsField field);

inline uint64_t read(VmcsField field) {
    uint64_t value;
    bool failed;
    asm volatile("vmread %[field], %[value]"
                 : [value] "=r"(value), "=@ccbe"(failed)
                 : [field] "r"(uint64_t{x86::vmx::encoding_of(field)}));
    if (failed) access_failed("VMREAD", field);
    return value;
}

// For dumps that walk every field: false (and no stop) for a field this CPU
// does not have.
inline bool try_read(VmcsField field, uint64_t& value) {
    bool failed;
    asm volatile("vmread %[field], %[value]"
                 : [value] "=r"(value), "=@ccbe"(failed)
                 : [field] "r"(uint64_t{x86::vmx::encoding_of(field)}));
    return !failed;
}

inline void write(VmcsField field, uint64_t value) {
    bool failed;
    asm volatile("vmwrite %[value], %[field]"
                 : "=@ccbe"(failed)
                 : [field] "r"(uint64_t{x86::vmx::encoding_of(field)}), [value] "rm"(value));
    if (failed) access_failed("VMWRITE", field);
}

}  // namespace bulkhead::vmcs
