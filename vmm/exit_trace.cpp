// The exit-trace ring and the decoding of its entries (vmm/exit_trace.hpp).
#include "vmm/exit_trace.hpp"

#include "arch/x86_64/register_names.hpp"
#include "kernel/format.hpp"
#include "vmm/hypercall_names.hpp"

namespace bulkhead {

namespace {

using x86::vmx::CrAccessQualification;
using x86::vmx::CrAccessType;
using x86::vmx::EptViolationQualification;
using x86::vmx::ExitReason;
using x86::vmx::InterruptionInfo;
using x86::vmx::IoQualification;

using x86::gpr_name;

constexpr uint64_t kByteBits = 8;

uint64_t low_bytes(uint64_t value, unsigned bytes) {
    return bytes >= sizeof(uint64_t) ? value : value & ((uint64_t{1} << (bytes * kByteBits)) - 1);
}

size_t describe_io(const TraceEntry& e, char* out, size_t capacity) {
    const IoQualification q{e.qualification};
    const char* op = q.string() ? (q.is_in() ? "INS" : "OUTS") : (q.is_in() ? "IN" : "OUT");
    const char* rep = q.rep() ? "REP " : "";
    if (q.is_in() || q.string())
        return format(out, capacity, "%s%s %u-byte port 0x%x", rep, op, q.size(), q.port());
    return format(out, capacity, "%s %u-byte port 0x%x value 0x%lx", op, q.size(), q.port(),
                  low_bytes(e.detail[0], q.size()));
}

size_t describe_cr(const TraceEntry& e, char* out, size_t capacity) {
    const CrAccessQualification q{e.qualification};
    switch (q.access_type()) {
        case CrAccessType::MovToCr:
            return format(out, capacity, "MOV to CR%u from %s value 0x%lx", q.cr(), gpr_name(q.gpr()), e.detail[0]);
        case CrAccessType::MovFromCr: return format(out, capacity, "MOV from CR%u to %s", q.cr(), gpr_name(q.gpr()));
        case CrAccessType::Clts: return format(out, capacity, "CLTS");
        case CrAccessType::Lmsw: return format(out, capacity, "LMSW 0x%x", q.lmsw_source());
    }
    return 0;
}

size_t describe_ept_violation(const TraceEntry& e, char* out, size_t capacity) {
    const EptViolationQualification q{e.qualification};
    const char* access = q.caused_by_fetch() ? "fetch" : q.caused_by_write() ? "write" : "read";
    const char allowed[] = {q.readable() ? 'r' : '-', q.writable() ? 'w' : '-', q.executable() ? 'x' : '-', '\0'};
    if (q.guest_linear_address_valid())
        return format(out, capacity, "EPT violation: %s of guest-physical 0x%lx (linear 0x%lx), EPT allows %s", access,
                      e.detail[0], e.detail[1], allowed);
    return format(out, capacity, "EPT violation: %s of guest-physical 0x%lx, EPT allows %s", access, e.detail[0],
                  allowed);
}

size_t describe_event(const char* what, const TraceEntry& e, char* out, size_t capacity) {
    const InterruptionInfo info{static_cast<uint32_t>(e.detail[0])};
    return format(out, capacity, "%s vector 0x%x", what, info.vector());
}

}  // namespace

TraceEntry& TraceRing::record(const TraceEntry& entry) {
    const uint64_t sequence = next_ + 1;
    TraceEntry& slot = entries_[next_ & (kEntries - 1)];
    __atomic_store_n(&slot.sequence, 0, __ATOMIC_RELAXED);   // readers skip it from here on
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&slot.tsc, entry.tsc, __ATOMIC_RELAXED);
    __atomic_store_n(&slot.rip, entry.rip, __ATOMIC_RELAXED);
    __atomic_store_n(&slot.qualification, entry.qualification, __ATOMIC_RELAXED);
    __atomic_store_n(&slot.detail[0], entry.detail[0], __ATOMIC_RELAXED);
    __atomic_store_n(&slot.detail[1], entry.detail[1], __ATOMIC_RELAXED);
    __atomic_store_n(&slot.handling_ticks, entry.handling_ticks, __ATOMIC_RELAXED);
    __atomic_store_n(&slot.reason, entry.reason, __ATOMIC_RELAXED);
    __atomic_store_n(&slot.partition, entry.partition, __ATOMIC_RELAXED);
    __atomic_store_n(&slot.sequence, sequence, __ATOMIC_RELEASE);
    __atomic_store_n(&next_, sequence, __ATOMIC_RELEASE);
    return slot;
}

void TraceRing::set_handling_ticks(TraceEntry& entry, uint64_t ticks) {
    const uint32_t saturated = ticks > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(ticks);
    __atomic_store_n(&entry.handling_ticks, saturated, __ATOMIC_RELAXED);
}

bool TraceRing::read_entry(size_t slot, TraceEntry& out) const {
    const TraceEntry& e = entries_[slot];
    const uint64_t before = __atomic_load_n(&e.sequence, __ATOMIC_ACQUIRE);
    if (before == 0) return false;
    out.tsc = __atomic_load_n(&e.tsc, __ATOMIC_RELAXED);
    out.rip = __atomic_load_n(&e.rip, __ATOMIC_RELAXED);
    out.qualification = __atomic_load_n(&e.qualification, __ATOMIC_RELAXED);
    out.detail[0] = __atomic_load_n(&e.detail[0], __ATOMIC_RELAXED);
    out.detail[1] = __atomic_load_n(&e.detail[1], __ATOMIC_RELAXED);
    out.handling_ticks = __atomic_load_n(&e.handling_ticks, __ATOMIC_RELAXED);
    out.reason = __atomic_load_n(&e.reason, __ATOMIC_RELAXED);
    out.partition = __atomic_load_n(&e.partition, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    out.sequence = before;
    return __atomic_load_n(&e.sequence, __ATOMIC_RELAXED) == before;
}

size_t TraceRing::snapshot(uint32_t partition, TraceEntry* out, size_t capacity) const {
    const uint64_t newest = recorded();
    const uint64_t oldest = newest > kEntries ? newest - kEntries : 0;
    // Walk back from the newest entry to find the last `capacity` that match,
    // then return them oldest first.
    size_t found = 0;
    for (uint64_t n = newest; n > oldest && found < capacity; --n) {
        TraceEntry e{};
        if (!read_entry((n - 1) & (kEntries - 1), e) || e.sequence != n) continue;   // rewritten meanwhile
        if (partition != kAllPartitions && e.partition != partition) continue;
        out[found++] = e;
    }
    for (size_t i = 0; i < found / 2; ++i) {
        const TraceEntry t = out[i];
        out[i] = out[found - 1 - i];
        out[found - 1 - i] = t;
    }
    return found;
}

size_t describe_exit(const TraceEntry& e, char* out, size_t capacity) {
    const auto reason = static_cast<ExitReason>(e.reason);
    switch (reason) {
        case ExitReason::Cpuid:
            return format(out, capacity, "CPUID leaf 0x%lx subleaf 0x%lx", e.detail[0], e.detail[1]);
        case ExitReason::IoInstruction: return describe_io(e, out, capacity);
        case ExitReason::Rdmsr: return format(out, capacity, "RDMSR 0x%lx", e.detail[0]);
        case ExitReason::Wrmsr: return format(out, capacity, "WRMSR 0x%lx value 0x%lx", e.detail[0], e.detail[1]);
        case ExitReason::Vmcall:
            return format(out, capacity, "VMCALL %s (call %lu, arg 0x%lx)", hypercall_name(e.detail[0]), e.detail[0],
                          e.detail[1]);
        case ExitReason::CrAccess: return describe_cr(e, out, capacity);
        case ExitReason::EptViolation: return describe_ept_violation(e, out, capacity);
        case ExitReason::ExternalInterrupt: return describe_event("external interrupt", e, out, capacity);
        case ExitReason::ExceptionOrNmi: return describe_event("exception or NMI", e, out, capacity);
        case ExitReason::Xsetbv:
            return format(out, capacity, "XSETBV XCR%lu value 0x%lx", e.detail[0], e.detail[1]);
        case ExitReason::Hlt:
        case ExitReason::PreemptionTimer:
        case ExitReason::InterruptWindow:
        case ExitReason::TripleFault: return format(out, capacity, "%s", x86::vmx::to_string(reason));
        default: break;
    }
    return format(out, capacity, "%s (reason %u) qualification 0x%lx", x86::vmx::to_string(reason), e.reason,
                  e.qualification);
}

size_t describe_trace_entry(const TraceEntry& e, uint64_t base_tsc, char* out, size_t capacity) {
    char exit[160];
    describe_exit(e, exit, sizeof exit);
    const uint64_t since = e.tsc >= base_tsc ? e.tsc - base_tsc : 0;
    return format(out, capacity, "#%lu +%lu rip=0x%lx %s (%u ticks)", e.sequence, since, e.rip, exit,
                  e.handling_ticks);
}

}  // namespace bulkhead
