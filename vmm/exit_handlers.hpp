// VM-exit handling: one small handler per basic exit reason, called through a
// table (vmm/exit_dispatch.cpp). A handler does what the guest asked for (or
// refuses it), then says what happens next.
//
// Reading order for students: exit_dispatch.cpp (the table and the fail-stop
// default), then one handler file per kind of exit: exit_cpuid.cpp,
// exit_io.cpp, exit_msr.cpp, exit_control_registers.cpp, exit_mmio.cpp,
// exit_simple.cpp; interrupts and the guest's timer are in vcpu_events.cpp.
#pragma once

#include <stdint.h>

#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/vmcs_fields.hpp"
#include "vmm/guest_registers.hpp"

namespace bulkhead {

struct Partition;

enum class ExitAction : uint8_t {
    Resume,   // enter the guest again
    Yield,    // let the next partition run (HLT, the yield hypercall)
    Stop,     // the partition is done (exited, or stopped by the hypervisor)
};

struct ExitContext {
    Partition& partition;
    GuestRegisters& registers;
    x86::vmx::ExitReason reason;
};

using ExitHandler = ExitAction (*)(ExitContext&);



// The handlers, by file.
ExitAction handle_cpuid(ExitContext& exit);
ExitAction handle_io(ExitContext& exit);
ExitAction handle_rdmsr(ExitContext& exit);
ExitAction handle_wrmsr(ExitContext& exit);
ExitAction handle_cr_access(ExitContext& exit);
ExitAction handle_xsetbv(ExitContext& exit);
ExitAction handle_hlt(ExitContext& exit);
ExitAction handle_preemption_timer(ExitContext& exit);
ExitAction handle_vmcall(ExitContext& exit);
ExitAction handle_triple_fault(ExitContext& exit);
ExitAction handle_init_signal(ExitContext& exit);
ExitAction handle_invalid_opcode(ExitContext& exit);
ExitAction handle_interrupt_window(ExitContext& exit);
ExitAction handle_ept_violation(ExitContext& exit);
ExitAction handle_ept_misconfiguration(ExitContext& exit);
ExitAction handle_entry_failure(ExitContext& exit);
ExitAction handle_external_interrupt(ExitContext& exit);
ExitAction handle_exception_or_nmi(ExitContext& exit);

// Helpers shared by the handlers (vmm/exit_helpers.cpp).
void skip_instruction();   // RIP += the exiting instruction's length
void inject_exception(Partition& partition, x86::Vector vector, bool has_error_code = false, uint32_t error_code = 0);
bool guest_in_64bit_mode();
// Stops the partition with a one-line reason (printf-style); returns Stop.
ExitAction stop_partition(Partition& partition, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace bulkhead
