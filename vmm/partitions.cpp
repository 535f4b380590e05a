// Building the partitions from the configuration, handing them to the
// scheduler on every CPU (vmm/scheduler.cpp), and the end-of-run summary.
//
// Life of a partition: configured (vmm/partition_config.cpp checks every line
// first) -> built here (memory, EPT, bitmaps, image, VMCS) -> Ready -> runs
// until it halts, yields, exits or is stopped (vmm/partition_lifecycle.hpp has
// every state) -> the summary compares the outcome with what the
// configuration expected.
#include "vmm/partitions.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/vmx_instructions.hpp"
#include "kernel/lib/string.hpp"
#include "kernel/format.hpp"
#include "kernel/lib/units.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/panic.hpp"
#include "kernel/smp.hpp"
#include "kernel/tsc.hpp"
#include "vmm/console_input.hpp"
#include "vmm/exit_tracing.hpp"
#include "vmm/guest_acpi.hpp"
#include "vmm/guest_layout.hpp"
#include "vmm/linux_loader.hpp"
#include "vmm/partition.hpp"
#include "vmm/partition_table.hpp"
#include "vmm/scheduler.hpp"
#include "vmm/vmcs.hpp"
#include "vmm/vmcs_setup.hpp"
#include "vmm/vmx_bitmaps.hpp"
#include "vmm/vmx_root.hpp"

namespace bulkhead {

namespace {

constexpr uint64_t kFramesPer2M = 512;
constexpr uint64_t kXcr0ResetValue = 1;   // x87 state only, as after RESET

Partition g_partitions[kMaxPartitions];
size_t g_partition_count = 0;
size_t g_refused_partitions = 0;   // rejected by the configuration or failed to build
const x86::VmxCapabilities* g_caps = nullptr;

void print_config_problem(void*, const char* message) { log_error("%s", message); }

// ---- building -------------------------------------------------------------

bool allocate_memory(Partition& p) {
    const size_t frames = p.config.memory_size / kFrameSize;
    FrameAllocator& frames_pool = frame_allocator();
    if (p.config.fixed_placement) {
        p.memory_base = p.config.host_physical_base;
        return frames_pool.allocate_at(p.memory_base, frames);
    }
    return frames_pool.allocate_contiguous(frames, kFramesPer2M, p.memory_base);
}

uint64_t allocate_zeroed_frames(size_t count, uint8_t fill) {
    uint64_t phys = 0;
    if (!frame_allocator().allocate_contiguous(count, 1, phys)) panic("out of memory for VMX bitmaps");
    memset(reinterpret_cast<void*>(phys), fill, count * kFrameSize);
    return phys;
}

void build_bitmaps(Partition& p) {
    p.io_bitmaps = allocate_zeroed_frames(IoBitmap::kBytes / kFrameSize, 0);
    IoBitmap io(reinterpret_cast<uint8_t*>(p.io_bitmaps));
    io.intercept_all();
    p.msr_bitmap = allocate_zeroed_frames(MsrBitmap::kBytes / kFrameSize, 0);
    MsrBitmap msrs(reinterpret_cast<uint8_t*>(p.msr_bitmap));
    msrs.intercept_all();
    apply_msr_allow_list(msrs);
}

// The partition's EPT maps guest-physical [0, size) onto its own block of
// host memory, read/write/execute, write-back, and nothing else.
bool build_ept(Partition& p) {
    const EptPageSizes largest = g_caps->ept_1g ? EptPageSizes::Up1G : EptPageSizes::Up2M;
    if (p.ept.init() != EptError::None) return false;
    const EptAccess all{.read = true, .write = true, .execute = true};
    if (p.ept.map(0, p.memory_base, p.memory_size, all, EptMemoryType::WriteBack, largest) != EptError::None)
        return false;
    p.eptp = p.ept.eptp(false);
    return true;
}

void reset_vcpu(Partition& p) {
    p.vcpu = Vcpu{};
    p.vcpu.partition = &p;
    p.vcpu.registers[Gpr::Rax] = p.entry.rax;
    p.vcpu.registers[Gpr::Rbx] = p.entry.rbx;
    p.vcpu.registers[Gpr::Rdx] = p.entry.rdx;
    p.vcpu.registers[Gpr::Rsi] = p.entry.rsi;
    p.vcpu.unswitched.xcr0 = kXcr0ResetValue;
    p.uart.reset();
    reset_platform(p);
    p.rtc.reset();
    p.input.discard();
}

// A partition boots Linux when its image is a bzImage or when it names an
// initrd: then an image that is not a valid bzImage is refused as a kernel,
// instead of running as whatever else its bytes happen to look like.
bool is_linux_guest(const Partition& p) { return p.initrd != nullptr || is_bzimage(p.image, p.image_size); }

// The Linux boot protocol (vmm/linux_loader.hpp), then the ACPI tables the
// kernel finds its CPU and interrupt controllers in (after the load, which
// zeroes memory).
bool load_linux_guest(Partition& p) {
    p.image_kind = "Linux bzImage";
    // Linux probes legacy ports (PIT, RTC, other COM ports, PCI) on its
    // way up: unless the configuration says otherwise, such writes are
    // ignored, as on a PC where nothing answers there.
    if (!p.config.unassigned_io_given) p.config.unassigned_io = UnassignedIo::Ignore;
    const LinuxImages images{p.image, p.image_size, p.initrd, p.initrd_size, p.config.cmdline};
    const LinuxLoadResult r = load_linux(images, p.memory(), p.entry);
    if (r.error != LinuxLoadError::None) {
        log_error("partition '%s': kernel refused: %s (detail %u)", p.config.name, to_string(r.error), r.detail);
        return false;
    }
    const GuestAcpiResult acpi = build_guest_acpi(p.memory(), guest_layout::kLinuxAcpiRsdp, GuestAcpiConfig{});
    if (acpi.error != GuestAcpiError::None) {
        log_error("partition '%s': ACPI tables not built: %s", p.config.name, to_string(acpi.error));
        return false;
    }
    return true;
}

bool load_other_guest(Partition& p) {
    const LoadResult r = load_guest_image(p.image, p.image_size, p.memory(), p.config.cmdline, p.entry, p.image_kind);
    if (r.error != LoadError::None) {
        log_error("partition '%s': image refused: %s (detail %u)", p.config.name, to_string(r.error), r.detail);
        return false;
    }
    return true;
}

bool load_image(Partition& p) { return is_linux_guest(p) ? load_linux_guest(p) : load_other_guest(p); }

bool build_partition(Partition& p, const PartitionConfig& config, uint32_t id, const BootInfo& boot) {
    p.id = id;
    p.config = config;
    p.memory_size = config.memory_size;
    p.vpid = static_cast<uint16_t>(id + 1);   // VPID 0 belongs to the hypervisor
    const BootModule& module = boot.modules[config.image_module];
    p.image = reinterpret_cast<const uint8_t*>(module.start);
    p.image_size = module.end - module.start;
    p.initrd = nullptr;
    p.initrd_size = 0;
    if (config.initrd_module != kNoModule) {
        const BootModule& initrd = boot.modules[config.initrd_module];
        p.initrd = reinterpret_cast<const uint8_t*>(initrd.start);
        p.initrd_size = initrd.end - initrd.start;
    }
    if (!allocate_memory(p)) {
        log_error("partition '%s': %lu MiB of memory%s not available", config.name, config.memory_size / kMiB,
                  config.fixed_placement ? " at the fixed address" : "");
        return false;
    }
    // The image first: a refused image gives its memory back, and nothing
    // else (EPT, bitmaps, VMCS) has been taken yet, so the next partition
    // can use this slot and that memory.
    if (!load_image(p)) {
        frame_allocator().free_contiguous(p.memory_base, p.memory_size / kFrameSize);
        return false;
    }
    if (!build_ept(p)) {
        log_error("partition '%s': out of memory for its EPT", config.name);
        return false;
    }
    build_bitmaps(p);
    p.vmcs = allocate_vmx_region(*g_caps);
    reset_vcpu(p);
    setup_vmcs(p, p.entry);
    // Built on the boot CPU, run on its own: VMCLEAR lets another CPU load it.
    x86::vmx::vmclear(p.vmcs);
    p.state = PartitionState::NotStarted;
    p.tracing = config.trace;
    if (config.start == StartMode::Boot) {
        mark_started(p);
        p.state = PartitionState::Ready;
    }
    log_info("partition '%s': %s image, %lu MiB at host %#lx, VPID %u, entry %#lx, CPU %u, weight %u%s%s%s%s",
             config.name, p.image_kind, config.memory_size / kMiB, p.memory_base, p.vpid, p.entry.rip, config.cpu,
             config.weight, config.control ? ", control" : "", config.user_hypercalls ? ", user hypercalls" : "",
             config.trace ? ", traced" : "", config.start == StartMode::Manual ? ", started on request" : "");
    return true;
}

// ---- the configuration ------------------------------------------------------

struct ModuleNames {
    char storage[kMaxModules][kModuleNameCapacity];
    const char* names[kMaxModules];
};

void collect_module_names(const BootInfo& boot, ModuleNames& out) {
    for (size_t i = 0; i < boot.module_count; ++i) {
        module_name(boot.modules[i].cmdline, out.storage[i], kModuleNameCapacity);
        out.names[i] = out.storage[i];
    }
}

bool read_configuration(const BootInfo& boot, ParsedConfig& parsed) {
    ModuleNames modules{};
    collect_module_names(boot, modules);
    size_t config_index = 0;
    if (!find_config_module(modules.names, boot.module_count, config_index)) return false;

    PhysRange available[kMaxMemoryRegions];
    const size_t available_count = collect_available_ram(boot, available);
    PhysRange reserved[kMaxReservedRanges];
    const BootModule& config = boot.modules[config_index];
    ConfigInputs inputs{reinterpret_cast<const char*>(config.start),
                        config.end - config.start,
                        modules.names,
                        boot.module_count,
                        config_index,
                        static_cast<uint32_t>(online_cpu_count()),
                        available,
                        available_count,
                        reserved,
                        collect_reserved_ranges(boot, reserved),
                        frame_allocator().free_frames() * kFrameSize};
    parse_partition_config(inputs, parsed, print_config_problem, nullptr);
    return true;
}

// ---- the summary --------------------------------------------------------------

bool met_expectation(const Partition& p) {
    switch (p.config.expect) {
        case Expectation::Pass: return p.state == PartitionState::Exited && p.exit_status == 0;
        case Expectation::Fault: return p.state == PartitionState::Stopped;
        case Expectation::Any: return true;
    }
    return false;
}

// "0x3f8 r12 w18000, 0x3fd r16000, ..." for the busiest ports or MSRs.
void print_busiest(const char* what, const KeyedCounters& counters) {
    constexpr size_t kShown = 8;
    KeyedCount top[kShown];
    const size_t n = counters.busiest(top, kShown);
    if (n == 0) return;
    char line[384];
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof line; ++i)
        used += format(line + used, sizeof line - used, "%s%#x r%lu w%lu", i == 0 ? "" : ", ", top[i].key,
                       top[i].reads, top[i].writes);
    const KeyedCount& rest = counters.others();
    log_info("summary:   %s: %s%s", what, line, rest.total() != 0 ? ", and others" : "");
}

void print_exit_counts(const Partition& p) {
    char line[512];
    size_t used = 0;
    for (unsigned r = 0; r < x86::vmx::kExitReasonCount; ++r) {
        if (p.counters.by_reason[r] == 0 || used >= sizeof line) continue;
        used += format(line + used, sizeof line - used, "%s%s %lu", used == 0 ? "" : ", ",
                       x86::vmx::to_string(static_cast<x86::vmx::ExitReason>(r)), p.counters.by_reason[r]);
    }
    log_info("summary:   %lu exits (%s); unassigned port reads %lu, writes %lu; refused MSR accesses %lu; "
             "injected exceptions %lu; hypercalls %lu",
             p.counters.total, used == 0 ? "none" : line, p.counters.unassigned_port_reads,
             p.counters.unassigned_port_writes, p.counters.refused_msr_accesses, p.counters.injected_exceptions,
             p.counters.hypercalls);
    if (p.counters.injected_interrupts != 0 || p.counters.emulated_mmio != 0)
        log_info("summary:   interrupts injected %lu; local APIC and I/O APIC accesses emulated %lu",
                 p.counters.injected_interrupts, p.counters.emulated_mmio);
    print_busiest("I/O exits by port", p.counters.ports);
    print_busiest("MSR exits", p.counters.msrs);
}

void describe_outcome(const Partition& p, char* out, size_t capacity) {
    switch (p.state) {
        case PartitionState::Exited: format(out, capacity, "exited with status %lu", p.exit_status); break;
        case PartitionState::Stopped: format(out, capacity, "stopped: %s", p.stop_reason); break;
        case PartitionState::Halted: format(out, capacity, "halted without reporting a status"); break;
        case PartitionState::Waiting: format(out, capacity, "waiting for an interrupt when the run ended"); break;
        case PartitionState::Ready: format(out, capacity, "never finished"); break;
        case PartitionState::Paused: format(out, capacity, "paused when the run ended"); break;
        case PartitionState::NotStarted: format(out, capacity, "never started"); break;
    }
}

RunStatus print_summary() {
    bool all_met = g_refused_partitions == 0;
    for (size_t i = 0; i < g_partition_count; ++i) {
        const Partition& p = g_partitions[i];
        char outcome[kStopReasonCapacity + 32];
        describe_outcome(p, outcome, sizeof outcome);
        const bool met = met_expectation(p);
        all_met = all_met && met;
        log_info("summary: partition '%s' (%s, %lu MiB): %s; expected %s: %s", p.config.name, p.image_kind,
                 p.memory_size / kMiB, outcome, to_string(p.config.expect), met ? "ok" : "NOT MET");
        print_exit_counts(p);
    }
    if (g_refused_partitions != 0)
        log_error("summary: %zu configured partition%s refused (see above)", g_refused_partitions,
                  g_refused_partitions == 1 ? " was" : "s were");
    return all_met ? RunStatus::Pass : RunStatus::PartitionFailed;
}

}  // namespace

void print_partition_line(void* partition, const char* text, size_t length, bool line_ends) {
    const Partition& p = *static_cast<const Partition*>(partition);
    if (log_console_timestamps() == ConsoleTimestamps::Ticks) {
        const uint64_t since_start = x86::read_tsc() - p.started_at;
        log_partition_text(p.config.name, text, length, line_ends, &since_start);
        return;
    }
    log_partition_text(p.config.name, text, length, line_ends);
}

size_t partition_count() { return g_partition_count; }

Partition& partition_at(size_t index) { return g_partitions[index]; }

// The same steps at creation and at every restart.
bool load_and_reset(Partition& p) {
    if (!load_image(p)) return false;
    reset_vcpu(p);
    setup_vmcs(p, p.entry);
    return true;
}

void mark_started(Partition& p) {
    ++p.starts;
    p.started_at = x86::read_tsc();
    p.finished_at = 0;
}

void report_stop(Partition& p) {
    p.uart.flush(print_partition_line, &p);
    log_error("partition '%s' stopped: %s", p.config.name, p.stop_reason);
    // A fault: what the partition did last is the first thing to look at.
    if (!p.stopped_on_request) print_trace(p, kFaultTraceEntries, "its last exits before the fault");
}

// The CPU's cached translations are tagged by EPTP (guest-physical) and VPID
// (linear); a restarted partition must not find its old ones.
void flush_cached_translations(const Partition& p) {
    const bool single_ept = g_caps->ept_vpid.has(x86::EptVpidCapability::kInveptSingleContext);
    const bool single_vpid = g_caps->ept_vpid.has(x86::EptVpidCapability::kInvvpidSingleContext);
    x86::vmx::invept(single_ept ? x86::vmx::InveptType::SingleContext : x86::vmx::InveptType::AllContexts, p.eptp);
    x86::vmx::invvpid(single_vpid ? x86::vmx::InvvpidType::SingleContext : x86::vmx::InvvpidType::AllContexts,
                      p.vpid);
}

namespace {
// The partition is done, with `status`. Its last output (a line without its
// newline) comes before the hypervisor says so.
ExitAction finish_with_status(Partition& p, uint64_t status, const char* how) {
    p.uart.flush(print_partition_line, &p);
    log_info("partition '%s' %sexited with status %lu", p.config.name, how, status);
    p.state = PartitionState::Exited;
    p.exit_status = status;
    return ExitAction::Stop;
}
}  // namespace

ExitAction partition_exited(Partition& p, uint64_t status) { return finish_with_status(p, status, ""); }

ExitAction partition_powered_off(Partition& p) { return finish_with_status(p, 0, "powered off (ACPI S5): "); }

RunStatus run_partitions(const BootInfo& boot, const x86::VmxCapabilities& caps, const SchedulerSettings& settings) {
    g_caps = &caps;
    ParsedConfig parsed{};
    if (!read_configuration(boot, parsed)) {
        log_info("no partition configuration (no boot module named '%s'): nothing to run", kConfigModuleName);
        return RunStatus::Pass;
    }
    g_refused_partitions = parsed.rejected;
    compute_vmx_controls(caps);
    for (size_t i = 0; i < parsed.count; ++i) {
        Partition& p = g_partitions[g_partition_count];
        if (build_partition(p, parsed.partitions[i], static_cast<uint32_t>(g_partition_count), boot))
            ++g_partition_count;
        else
            ++g_refused_partitions;
    }
    log_info("%zu partition%s ready, %zu refused", g_partition_count, g_partition_count == 1 ? "" : "s",
             g_refused_partitions);

    start_console_input();
    prepare_scheduler(caps, settings);
    if (g_partition_count != 0) run_on_all_cpus(run_cpu);
    return print_summary();
}

}  // namespace bulkhead
