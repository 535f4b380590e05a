#include "kernel/smp.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/paging.hpp"
#include "drivers/local_apic.hpp"
#include "kernel/format.hpp"
#include "kernel/lib/string.hpp"
#include "kernel/log.hpp"
#include "arch/x86_64/madt_tables.hpp"
#include "kernel/madt.hpp"
#include "kernel/memory.hpp"
#include "kernel/platform.hpp"
#include "kernel/smp_layout.h"
#include "kernel/stacks.hpp"
#include "kernel/stack_layout.h"
#include "kernel/tsc.hpp"
#include "vmm/vmx_root.hpp"

extern "C" const uint8_t ap_trampoline_start[], ap_trampoline_end[];

namespace bulkhead {

namespace {

// The SDM's start-up sequence: INIT, wait 10 ms, SIPI, wait 200 us, SIPI
// again if the AP has not answered (8.4.4.1). An AP that is not up 100 ms
// later is left out.
constexpr uint64_t kInitDelayUs = 10'000;
constexpr uint64_t kStartupDelayUs = 200;
constexpr uint64_t kArrivalTimeoutUs = 100'000;

// The 32/64-bit GDT the trampoline uses on its way to long mode (accessed
// bits preset: the CPU need not write them).
constexpr uint64_t kApGdt[] = {0, x86::kFlatCode64Descriptor, x86::kFlatDataDescriptor, x86::kFlatCode32Descriptor};
static_assert(AP_SELECTOR_CODE64 == 1 * 8 && AP_SELECTOR_DATA == 2 * 8 && AP_SELECTOR_CODE32 == 3 * 8);
constexpr size_t kApGdtEntries = sizeof(kApGdt) / sizeof(kApGdt[0]);

struct [[gnu::packed]] ApStartupBlock {
    uint64_t gdt[kApGdtEntries];
    uint16_t gdt_limit;
    uint32_t gdt_base;
    uint8_t reserved[AP_CR3 - AP_GDTR - 6];
    uint64_t cr3;
    uint64_t stack_top;
    uint64_t entry;
    uint64_t cpu_index;
};
static_assert(__builtin_offsetof(ApStartupBlock, gdt_limit) == AP_GDTR);
static_assert(__builtin_offsetof(ApStartupBlock, cr3) == AP_CR3);
static_assert(__builtin_offsetof(ApStartupBlock, stack_top) == AP_STACK_TOP);
static_assert(__builtin_offsetof(ApStartupBlock, entry) == AP_ENTRY);
static_assert(__builtin_offsetof(ApStartupBlock, cpu_index) == AP_CPU_INDEX);

// One application processor's own memory: a kernel stack and three interrupt
// stacks, each above an unmapped guard page, in one block of frames.
constexpr size_t kGuard = STACK_GUARD_SIZE;
constexpr size_t kStackBlockBytes = kGuard + BOOT_STACK_SIZE + x86::kIstStackCount * (kGuard + IST_STACK_SIZE);

struct PerCpu {
    uint32_t apic_id;
    bool boot_cpu;
    volatile bool online;
    uint64_t stack_block;
    uint64_t vmxon_region;
    x86::CpuDescriptorTables tables;
};

PerCpu g_cpus[kMaxCpus];
size_t g_cpu_count = 0;   // online CPUs: their indices are 0..g_cpu_count-1

// Work handed to the application processors by run_on_all_cpus().
void (*volatile g_work)(size_t) = nullptr;
volatile uint64_t g_work_generation = 0;
volatile size_t g_work_done = 0;
const x86::VmxCapabilities* g_caps = nullptr;
// The local APIC's mode and address are the same on every CPU; each CPU's
// accesses reach its own APIC.
LocalApic g_apic;

void wait_microseconds(uint64_t us) {
    const uint64_t end = x86::read_tsc() + microseconds_to_tsc(us);
    while (x86::read_tsc() < end) x86::pause();
}

bool wait_for_arrival(const PerCpu& cpu) {
    const uint64_t end = x86::read_tsc() + microseconds_to_tsc(kArrivalTimeoutUs);
    while (x86::read_tsc() < end) {
        if (__atomic_load_n(&cpu.online, __ATOMIC_ACQUIRE)) return true;
        x86::pause();
    }
    return false;
}

uint64_t kernel_stack_top(const PerCpu& cpu) { return cpu.stack_block + kGuard + BOOT_STACK_SIZE; }

x86::IstStacks ist_stacks(const PerCpu& cpu) {
    x86::IstStacks stacks{};
    uint64_t at = kernel_stack_top(cpu);
    for (unsigned i = 0; i < x86::kIstStackCount; ++i) {
        at += kGuard + IST_STACK_SIZE;
        stacks.top[i] = at;
    }
    return stacks;
}

// Everything an AP needs is allocated by the boot CPU before the AP starts:
// the frame allocator is not shared between CPUs.
bool prepare(PerCpu& cpu) {
    if (!frame_allocator().allocate_contiguous(kStackBlockBytes / kFrameSize, 1, cpu.stack_block)) return false;
    set_page_rights(cpu.stack_block, PageRights::None);
    uint64_t guard = kernel_stack_top(cpu);
    for (unsigned i = 0; i < x86::kIstStackCount; ++i, guard += kGuard + IST_STACK_SIZE)
        set_page_rights(guard, PageRights::None);
    cpu.vmxon_region = allocate_vmx_region(*g_caps);
    return true;
}

ApStartupBlock& startup_block() { return *reinterpret_cast<ApStartupBlock*>(uintptr_t{AP_TRAMPOLINE_DATA}); }

extern "C" [[noreturn]] void ap_main(uint64_t index);

void fill_startup_block(const PerCpu& cpu, size_t index) {
    ApStartupBlock& block = startup_block();
    memcpy(block.gdt, kApGdt, sizeof kApGdt);
    block.gdt_limit = sizeof kApGdt - 1;
    block.gdt_base = AP_TRAMPOLINE_DATA;
    block.cr3 = hypervisor_page_table_root();
    block.stack_top = kernel_stack_top(cpu);
    block.entry = reinterpret_cast<uint64_t>(&ap_main);
    block.cpu_index = index;
}

bool start_one(LocalApic& apic, PerCpu& cpu, size_t index) {
    if (!prepare(cpu)) return false;
    fill_startup_block(cpu, index);
    if (!apic.send_init(cpu.apic_id)) return false;
    wait_microseconds(kInitDelayUs);
    for (int attempt = 0; attempt < 2 && !cpu.online; ++attempt) {
        if (!apic.send_startup(cpu.apic_id, AP_TRAMPOLINE_CODE)) return false;
        wait_microseconds(kStartupDelayUs);
    }
    return wait_for_arrival(cpu);
}

// The trampoline's two pages must be RAM the firmware handed over (some
// firmware keeps parts of low memory), and the page tables must be reachable
// with the 32-bit CR3 the trampoline loads.
const char* why_trampoline_impossible(const BootInfo& boot) {
    constexpr uint64_t kFourGiB = 1ull << 32;
    if (hypervisor_page_table_root() >= kFourGiB) return "the page tables are above 4 GiB";
    const uint64_t start = AP_TRAMPOLINE_CODE, end = AP_TRAMPOLINE_DATA + x86::kPageSize4K;
    for (size_t i = 0; i < boot.memory_count; ++i) {
        const MemoryRegion& r = boot.memory[i];
        if (r.type == MemoryType::Available && r.base <= start && r.base + r.length >= end) return nullptr;
    }
    return "the memory map does not show the trampoline pages (0x8000-0x9fff) as free RAM";
}

}  // namespace

// An application processor's first C++: its own descriptor tables, then VMX.
extern "C" [[noreturn]] void ap_main(uint64_t index) {
    PerCpu& cpu = g_cpus[index];
    x86::normalize_cr0();
    x86::load_descriptor_tables(cpu.tables, ist_stacks(cpu));
    g_apic.init();   // this CPU's own APIC: software-enabled, or kicks would not arrive
    g_apic.enable_timer(kWakeTimerVector);
    if (!enter_vmx_root(cpu.vmxon_region)) {
        log_error("smp: cpu %lu (APIC id %u) refused VMXON; it stays halted", index, cpu.apic_id);
        x86::halt_forever();
    }
    __atomic_store_n(&cpu.online, true, __ATOMIC_RELEASE);
    // Idle in HLT until the boot CPU posts work (run_on_all_cpus kicks us),
    // do it, report back and kick the boot CPU.
    uint64_t seen = 0;
    for (;;) {
        while (__atomic_load_n(&g_work_generation, __ATOMIC_ACQUIRE) == seen) wait_for_kick();
        seen = __atomic_load_n(&g_work_generation, __ATOMIC_ACQUIRE);
        g_work(index);
        __atomic_add_fetch(&g_work_done, 1, __ATOMIC_RELEASE);
        kick_cpu(0);
    }
}

size_t start_application_processors(const x86::VmxCapabilities& caps, const BootInfo& boot) {
    g_caps = &caps;
    LocalApic& apic = g_apic;
    apic.init();
    apic.calibrate_timer(tsc_hz());   // before the APs start: they share its result
    apic.enable_timer(kWakeTimerVector);
    MadtError madt_error = MadtError::None;
    const MadtInfo* madt_info = platform_madt(madt_error);
    const uint32_t boot_apic_id = apic.id();
    g_cpus[0] = PerCpu{};
    g_cpus[0].apic_id = boot_apic_id;
    g_cpus[0].boot_cpu = true;
    g_cpus[0].online = true;
    g_cpu_count = 1;
    if (madt_info == nullptr) {
        log_warn("smp: no processor list (%s); running on the boot CPU only", to_string(madt_error));
        return 1;
    }
    const MadtInfo& madt = *madt_info;
    if (const char* why = why_trampoline_impossible(boot)) {
        log_warn("smp: %s; running on the boot CPU only", why);
        return 1;
    }
    memcpy(reinterpret_cast<void*>(uintptr_t{AP_TRAMPOLINE_CODE}), ap_trampoline_start,
           static_cast<size_t>(ap_trampoline_end - ap_trampoline_start));
    set_page_rights(AP_TRAMPOLINE_CODE, PageRights::Code);   // W^X: written first, then executable

    size_t online = 1, attempted = 1;
    for (size_t i = 0; i < madt.cpu_count && g_cpu_count < kMaxCpus; ++i) {
        const CpuDescriptor& d = madt.cpus[i];
        if (d.apic_id == boot_apic_id || !d.enabled) continue;
        ++attempted;
        // An xAPIC addresses 8-bit IDs only (0xff is everyone): such a CPU
        // needs x2APIC mode, which the firmware did not enable.
        if (!apic.x2apic() && d.apic_id >= kXapicBroadcastId) {
            log_error("smp: the CPU with APIC id %u needs x2APIC mode; left out", d.apic_id);
            continue;
        }
        // Only CPUs that come up get an index, so indices stay contiguous.
        const size_t index = g_cpu_count;
        PerCpu& cpu = g_cpus[index];
        cpu = PerCpu{};
        cpu.apic_id = d.apic_id;
        if (start_one(apic, cpu, index)) {
            ++online;
            ++g_cpu_count;
            log_info("smp: cpu %zu (APIC id %u) online in VMX root operation", index, cpu.apic_id);
        } else {
            log_error("smp: the CPU with APIC id %u did not start; left out", cpu.apic_id);
        }
    }
    set_page_rights(AP_TRAMPOLINE_CODE, PageRights::Data);
    log_info("smp: %zu of %zu CPUs online (boot CPU APIC id %u, %s mode)", online, attempted, boot_apic_id,
             apic.x2apic() ? "x2APIC" : "xAPIC");
    return online;
}

size_t online_cpu_count() { return g_cpu_count; }

// An AP's stack block: [guard][kernel stack] then, per IST stack, [guard][stack].
bool name_ap_stack_guard(uint64_t address, char* out, size_t capacity) {
    for (size_t index = 1; index < g_cpu_count; ++index) {
        const PerCpu& cpu = g_cpus[index];
        if (address - cpu.stack_block < kGuard) {
            format(out, capacity, "cpu %zu's kernel stack", index);
            return true;
        }
        uint64_t guard = kernel_stack_top(cpu);
        for (unsigned i = 0; i < x86::kIstStackCount; ++i, guard += kGuard + IST_STACK_SIZE) {
            if (address - guard < kGuard) {
                format(out, capacity, "cpu %zu's %s", index, ist_stack_name(i));
                return true;
            }
        }
    }
    return false;
}

// HLT with interrupts enabled for exactly that instruction: STI's one-
// instruction delay means a kick that arrives between the caller's check and
// the HLT still wakes it (no lost wake-up). Interrupts are off again after.
void wait_for_kick() { asm volatile("sti\n hlt\n cli" ::: "memory"); }

void wait_for_interrupt(uint64_t deadline) {
    if (deadline != 0) g_apic.arm_timer(deadline);
    wait_for_kick();
    if (deadline != 0) g_apic.disarm_timer();
}

void run_on_all_cpus(void (*work)(size_t cpu_index)) {
    __atomic_store_n(&g_work_done, 0, __ATOMIC_RELAXED);
    g_work = work;
    __atomic_add_fetch(&g_work_generation, 1, __ATOMIC_RELEASE);
    for (size_t cpu = 1; cpu < g_cpu_count; ++cpu) kick_cpu(cpu);
    work(0);
    // Wait for the others in HLT, woken by their kicks.
    const size_t others = g_cpu_count - 1;
    while (__atomic_load_n(&g_work_done, __ATOMIC_ACQUIRE) != others) wait_for_kick();
}

void kick_cpu(size_t cpu_index) {
    if (cpu_index < g_cpu_count) g_apic.send_fixed(g_cpus[cpu_index].apic_id, kKickVector);
}

void acknowledge_interrupt() { g_apic.end_of_interrupt(); }

uint32_t cpu_apic_id(size_t cpu_index) { return g_cpus[cpu_index].apic_id; }

}  // namespace bulkhead
