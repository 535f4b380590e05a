// Small operations every exit handler needs: step over the instruction that
// exited, inject an exception, stop the partition with a reason.
#include <stdarg.h>

#include "arch/x86_64/segment_access.hpp"
#include "kernel/format.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/partition.hpp"
#include "vmm/partitions.hpp"
#include "vmm/vmcs.hpp"

namespace bulkhead {

using x86::vmx::VmcsField;

void skip_instruction() {
    vmcs::write(VmcsField::GuestRip,
                vmcs::read(VmcsField::GuestRip) + vmcs::read(VmcsField::VmExitInstructionLength));
}

// The event is delivered through the guest's IDT on the next VM entry
// (SDM Vol. 3C, 27.6), exactly as if the instruction had faulted natively.
void inject_exception(Partition& partition, x86::Vector vector, bool has_error_code, uint32_t error_code) {
    vmcs::write(VmcsField::VmEntryInterruptionInfo,
                x86::vmx::make_hardware_exception(vector, has_error_code).raw);
    if (has_error_code) vmcs::write(VmcsField::VmEntryExceptionErrorCode, error_code);
    ++partition.counters.injected_exceptions;
    partition.vcpu.last_injected_vector = static_cast<uint8_t>(vector);
    partition.vcpu.injected_at_exit = partition.counters.total;
}

bool guest_in_64bit_mode() {
    return (vmcs::read(VmcsField::GuestCsAccessRights) & x86::segment::kLongMode) != 0;
}

ExitAction stop_partition(Partition& partition, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vformat(partition.stop_reason, sizeof partition.stop_reason, fmt, args);
    va_end(args);
    partition.state = PartitionState::Stopped;
    return ExitAction::Stop;
}

}  // namespace bulkhead
