// What happens when a VMREAD or VMWRITE fails: the hypervisor asked the CPU
// for a VMCS field it does not have, or has no current VMCS. Either is a bug
// in Bulkhead, not in a guest, so the run ends with the field and the CPU's
// own reason (the VM-instruction error) by name.
#include "arch/x86_64/vmx_instructions.hpp"
#include "kernel/log.hpp"
#include "kernel/run_end.hpp"
#include "vmm/vmcs.hpp"

namespace bulkhead {

namespace {

[[noreturn]] void report(const char* operation, x86::vmx::VmcsField field) {
    uint64_t error = 0;
    if (x86::vmx::vmread(x86::vmx::VmcsField::VmInstructionError, error) != x86::vmx::VmxResult::Ok) {
        log_error("%s of %s failed: no current VMCS", operation, x86::vmx::vmcs_field_name(field));
    } else {
        log_error("%s of %s failed: %s (VM-instruction error %lu)", operation, x86::vmx::vmcs_field_name(field),
                  x86::vmx::to_string(static_cast<x86::vmx::VmInstructionError>(error)), error);
    }
    end_run(RunStatus::Failure);
}

}  // namespace

void vmcs::access_failed(const char* operation, x86::vmx::VmcsField field) { report(operation, field); }

void x86::vmx::vmcs_access_failed(const char* operation, VmcsField field, VmxResult) { report(operation, field); }

}  // namespace bulkhead
