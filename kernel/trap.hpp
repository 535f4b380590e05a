// What the hypervisor does when the CPU raises an exception or interrupt in
// VMX root mode (guest exceptions are VM exits, handled elsewhere).
#pragma once

#include <stdint.h>

namespace bulkhead {

// The stack layout built by arch/x86_64/isr.S: general registers, then the
// vector and error code, then what the CPU pushed.
struct TrapFrame {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

// An instruction that may fault on purpose (RDMSR of a maybe-absent MSR) and
// where to resume if it does. Entries are emitted by inline assembly into the
// .exception_fixups section (see arch/x86_64/msr.hpp).
struct ExceptionFixup {
    uint64_t faulting_rip;
    uint64_t resume_rip;
};

// Returns true and moves frame.rip when frame.rip has a fixup entry.
bool apply_exception_fixup(TrapFrame& frame, const ExceptionFixup* begin, const ExceptionFixup* end);

extern "C" void trap_dispatch(TrapFrame* frame);

// Host interrupts (the vectors kernel/smp.hpp names) arrive two ways: through
// the IDT while an idle CPU waits in HLT, or as a VM exit while a guest runs
// (acknowledged by the exit, vector in the exit information). Both end in
// handle_host_interrupt, which runs the handler registered for the vector
// and then signals the end of the interrupt to the local APIC. A kick or a
// wake-up needs no handler: ending the HLT or the guest's run is the point.
using HostInterruptHandler = void (*)();
void set_host_interrupt_handler(uint8_t vector, HostInterruptHandler handler);
void handle_host_interrupt(uint8_t vector);

}  // namespace bulkhead
