#include "kernel/trap.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "kernel/log.hpp"
#include "kernel/run_end.hpp"
#include "kernel/smp.hpp"
#include "kernel/stacks.hpp"

extern "C" const bulkhead::ExceptionFixup __exception_fixups_start[];
extern "C" const bulkhead::ExceptionFixup __exception_fixups_end[];

namespace bulkhead {

namespace {

bool g_in_fatal_exception = false;
HostInterruptHandler g_host_handlers[x86::kIdtVectors];

void dump_registers(const TrapFrame& f) {
    log_error("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx", f.rax, f.rbx, f.rcx, f.rdx);
    log_error("  rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx", f.rsi, f.rdi, f.rbp, f.rsp);
    log_error("  r8 =%016lx r9 =%016lx r10=%016lx r11=%016lx", f.r8, f.r9, f.r10, f.r11);
    log_error("  r12=%016lx r13=%016lx r14=%016lx r15=%016lx", f.r12, f.r13, f.r14, f.r15);
    log_error("  cs=%04lx ss=%04lx rflags=%016lx cr0=%016lx cr3=%016lx cr4=%016lx", f.cs, f.ss, f.rflags,
              x86::read_cr0(), x86::read_cr3(), x86::read_cr4());
}

// A fault address inside a guard page means a stack ran over its end: say so,
// because the register dump alone does not make that obvious.
void explain_guard_page_hit(uint64_t fault_address) {
    const GuardPages guards = stack_guard_pages();
    for (size_t i = 0; i < guards.count; ++i)
        if (fault_address - guards.address[i] < STACK_GUARD_SIZE)
            log_error("  the fault address is in the guard page of %s: stack overflow", guards.name[i]);
    char ap_stack[64];
    if (name_ap_stack_guard(fault_address, ap_stack, sizeof ap_stack))
        log_error("  the fault address is in the guard page of %s: stack overflow", ap_stack);
}

[[noreturn]] void fatal_exception(const TrapFrame& f) {
    // A fault inside this report (a broken console, say) must still end the run.
    if (g_in_fatal_exception) end_run(RunStatus::CpuException);
    g_in_fatal_exception = true;
    log_attach_emergency_console();
    log_error("EXCEPTION %s (vector %lu) error=%#lx rip=%016lx cr2=%016lx", x86::exception_mnemonic(f.vector),
              f.vector, f.error_code, f.rip, x86::read_cr2());
    dump_registers(f);
    explain_guard_page_hit(x86::read_cr2());
    end_run(RunStatus::CpuException);
}

}  // namespace

bool apply_exception_fixup(TrapFrame& frame, const ExceptionFixup* begin, const ExceptionFixup* end) {
    for (const ExceptionFixup* fixup = begin; fixup != end; ++fixup) {
        if (fixup->faulting_rip == frame.rip) {
            frame.rip = fixup->resume_rip;
            return true;
        }
    }
    return false;
}

void set_host_interrupt_handler(uint8_t vector, HostInterruptHandler handler) { g_host_handlers[vector] = handler; }

void handle_host_interrupt(uint8_t vector) {
    if (HostInterruptHandler handler = g_host_handlers[vector]) {
        handler();
    } else if (vector != kKickVector && vector != kWakeTimerVector) {
        log_warn("unexpected interrupt vector %u ignored", vector);
    }
    acknowledge_interrupt();
}

extern "C" void trap_dispatch(TrapFrame* frame) {
    const bool is_exception = frame->vector < x86::kFirstExternalVector;
    if (is_exception && frame->vector == static_cast<uint64_t>(x86::Vector::GeneralProtection) &&
        apply_exception_fixup(*frame, __exception_fixups_start, __exception_fixups_end))
        return;
    if (is_exception) fatal_exception(*frame);
    // The hypervisor enables interrupts only while an idle CPU waits in HLT.
    handle_host_interrupt(static_cast<uint8_t>(frame->vector));
}

}  // namespace bulkhead
