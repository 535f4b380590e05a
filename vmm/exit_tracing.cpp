// The per-CPU exit-trace rings (vmm/exit_tracing.hpp).
#include "vmm/exit_tracing.hpp"

#include "arch/x86_64/cpu.hpp"
#include "kernel/log.hpp"
#include "kernel/lib/spinlock.hpp"
#include "kernel/madt.hpp"
#include "vmm/partition.hpp"
#include "vmm/vmcs.hpp"

namespace bulkhead {

namespace {

using x86::vmx::ExitReason;
using x86::vmx::VmcsField;

TraceRing g_rings[kMaxCpus];

// The two reason-dependent details of the entry (vmm/exit_trace.hpp), read
// before the handler changes the registers (CPUID overwrites RAX...).
void fill_details(const Partition& p, ExitReason reason, TraceEntry& e) {
    const GuestRegisters& r = p.vcpu.registers;
    switch (reason) {
        case ExitReason::Cpuid: e.detail[0] = r[Gpr::Rax]; e.detail[1] = r[Gpr::Rcx]; break;
        case ExitReason::Xsetbv: e.detail[0] = r[Gpr::Rcx]; e.detail[1] = edx_eax(r); break;
        case ExitReason::Rdmsr: e.detail[0] = r[Gpr::Rcx]; break;
        case ExitReason::Wrmsr:
            e.detail[0] = r[Gpr::Rcx];
            e.detail[1] = edx_eax(r);
            break;
        case ExitReason::IoInstruction: e.detail[0] = r[Gpr::Rax]; break;
        case ExitReason::Vmcall: e.detail[0] = r[Gpr::Rax]; e.detail[1] = r[Gpr::Rdi]; break;
        case ExitReason::CrAccess: {
            const x86::vmx::CrAccessQualification q{e.qualification};
            e.detail[0] = q.gpr() == Gpr::Rsp ? vmcs::read(VmcsField::GuestRsp) : r[q.gpr()];
            break;
        }
        case ExitReason::EptViolation:
            e.detail[0] = vmcs::read(VmcsField::GuestPhysicalAddress);
            e.detail[1] = vmcs::read(VmcsField::GuestLinearAddress);
            break;
        case ExitReason::ExternalInterrupt:
        case ExitReason::ExceptionOrNmi: e.detail[0] = vmcs::read(VmcsField::VmExitInterruptionInfo); break;
        default: break;
    }
}

}  // namespace

TraceEntry& record_exit(const Partition& p, uint16_t reason, uint64_t start_tsc) {
    TraceEntry e{};
    e.tsc = start_tsc;
    e.rip = vmcs::read(VmcsField::GuestRip);
    e.qualification = vmcs::read(VmcsField::ExitQualification);
    e.reason = reason;
    e.partition = static_cast<uint16_t>(p.id);
    fill_details(p, static_cast<ExitReason>(reason), e);
    return g_rings[p.config.cpu].record(e);
}

// Called from the monitor's or a control partition's CPU; the figures are
// for display, so a switch racing with another is harmless.
void set_tracing(Partition& p, bool on) {
    if (on == p.tracing) return;
    const uint64_t now = p.cpu_time.ticks(x86::read_tsc());
    if (on)
        p.traced_since = now;
    else
        p.traced_cpu_ticks += now > p.traced_since ? now - p.traced_since : 0;
    __atomic_store_n(&p.tracing, on, __ATOMIC_RELEASE);
}

uint64_t traced_cpu_ticks(const Partition& p) {
    if (!p.tracing) return p.traced_cpu_ticks;
    const uint64_t now = p.cpu_time.ticks(x86::read_tsc());
    return p.traced_cpu_ticks + (now > p.traced_since ? now - p.traced_since : 0);
}

const TraceRing& trace_ring(size_t cpu) { return g_rings[cpu]; }

// The snapshot buffer is one, shared by the CPUs that print (a fault dump
// on any CPU, the monitor on the boot CPU): its lock waits, never drops a
// dump. Interrupts are off in the hypervisor, so no printer is interrupted
// by another on its own CPU.
namespace {
Spinlock g_print_lock;
TraceEntry g_printed[TraceRing::kEntries];
}  // namespace

void print_trace(const Partition& p, size_t count, const char* why) {
    SpinlockGuard guard(g_print_lock);
    if (count > TraceRing::kEntries) count = TraceRing::kEntries;
    const size_t n = g_rings[p.config.cpu].snapshot(p.id, g_printed, count);
    if (n == 0) {
        log_info("trace '%s' (%s): no exits recorded%s", p.config.name, why,
                 p.tracing ? "" : "; tracing is off (monitor: trace NAME on; configuration: trace=yes)");
        return;
    }
    log_info("trace '%s' (%s): last %zu exits on CPU %u, oldest first; +ticks since the first", p.config.name, why, n,
             p.config.cpu);
    char line[256];
    for (size_t i = 0; i < n; ++i) {
        describe_trace_entry(g_printed[i], g_printed[0].tsc, line, sizeof line);
        log_info("trace '%s': %s", p.config.name, line);
    }
}

}  // namespace bulkhead
