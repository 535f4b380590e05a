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

}  // namespace bulkhead
