// What happens when a VMREAD or VMWRITE fails: the hypervisor asked the CPU
// for a VMCS field it does not have, or has no current VMCS. Either is a bug
// in Bulkhead, not in a guest, so the run ends with the field and the CPU's
// own reason (the VM-instruction error) by name.
#include "arch/x86_64/vmx_instructions.hpp"
#include "kernel/log.hpp"
#include "kernel/run_end.hpp"

namespace bulkhead::x86::vmx {

void vmcs_access_failed(const char* operation, VmcsField field, VmxResult result) {
    if (result == VmxResult::FailInvalid) {
        log_error("%s of %s failed: no current VMCS", operation, vmcs_field_name(field));
    } else {
        uint64_t error = 0;
        vmread(VmcsField::VmInstructionError, error);
        log_error("%s of %s failed: %s (VM-instruction error %lu)", operation, vmcs_field_name(field),
                  to_string(static_cast<VmInstructionError>(error)), error);
    }
    end_run(RunStatus::Failure);
}

}  // namespace bulkhead::x86::vmx
