// A partition: one guest with its own memory, its own EPT, VPID and VMCS, its
// own virtual UART and its own exit counters. Partitions share nothing: the
// EPT of a partition maps exactly its memory block, so no other partition's
// memory and none of the hypervisor's exists for it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/ept_builder.hpp"
#include "arch/x86_64/vmcs_fields.hpp"
#include "kernel/memory.hpp"
#include "vmm/guest_loader.hpp"
#include "vmm/cpu_time.hpp"
#include "vmm/exit_statistics.hpp"
#include "vmm/guest_registers.hpp"
#include "vmm/input_queue.hpp"
#include "vmm/partition_config.hpp"
#include "vmm/partition_lifecycle.hpp"
#include "vmm/virtual_platform.hpp"
#include "vmm/virtual_rtc.hpp"
#include "vmm/virtual_uart.hpp"

namespace bulkhead {

struct Partition;

inline constexpr unsigned kMaxRestarts = 3;
inline constexpr size_t kStopReasonCapacity = 192;

struct ExitCounters {
    uint64_t by_reason[x86::vmx::kExitReasonCount];
    // TSC ticks from a handler's start to its return (the hardware's own
    // exit and entry are not in it), by reason and in all.
    uint64_t handling_ticks[x86::vmx::kExitReasonCount];
    uint64_t total_handling_ticks;
    KeyedCounters ports;            // I/O exits by port (vmm/exit_statistics.hpp)
    KeyedCounters msrs;             // RDMSR/WRMSR exits by MSR
    // Where a traced exit's handling time goes besides its reason: the
    // port's or MSR's counts once the handler has counted them; `unkeyed`
    // (reset before each traced exit) for exits without a port or MSR.
    KeyedCount* charge_to;
    KeyedCount unkeyed;
    void count_port(uint16_t port, bool write) { charge_to = &ports.count(port, write); }
    void count_msr(uint32_t msr, bool write) { charge_to = &msrs.count(msr, write); }
    uint64_t unassigned_port_reads;
    uint64_t unassigned_port_writes;
    uint64_t refused_msr_accesses;
    uint64_t emulated_mmio;         // device register accesses decoded and carried out
    uint64_t injected_exceptions;
    uint64_t injected_interrupts;   // from the virtual APIC
    uint64_t hypercalls;
    uint64_t total;
};

// The guest state that VMX does not switch by itself and that the
// hypervisor must therefore swap when it changes partitions on a CPU.
struct UnswitchedGuestState {
    uint64_t xcr0;
    uint64_t star, lstar, cstar, syscall_mask, kernel_gs_base;
    uint64_t tsc_aux;   // where the CPU has RDTSCP
};

struct Vcpu {
    GuestRegisters registers;
    Partition* partition;    // found from &registers on every VM exit (vmx_handle_exit)
    // Work for the next VM entry (vmm/vcpu_events.cpp): set whenever an
    // interrupt may have become deliverable (a device raised one, an EOI or
    // TPR write unmasked one, console input arrived) or the guest's timer
    // changed; other CPUs set it too, hence atomic. vmm/vmx_entry.S tests it
    // by its offset from `registers` (vmm/vmx_entry_layout.h) before every
    // VMRESUME: one compare and branch when there is nothing to do.
    volatile bool attention;
    bool launched;
    UnswitchedGuestState unswitched;
    // The last exception the hypervisor injected and the exit count at that
    // moment, so that a triple fault right after it (a guest without a
    // handler) can be explained.
    uint8_t last_injected_vector;
    uint64_t injected_at_exit;

    // The rest of the vCPU's interrupt and timer state (vmm/vcpu_events.cpp).
    bool timer_changed;               // the VMX-preemption timer must be recomputed
    bool interrupt_window_exiting;    // the VMCS control is on: exit once the guest can take an interrupt
    uint64_t slice_end;               // TSC at which the current time slice ends
};

struct Partition {
    uint32_t id;
    PartitionConfig config;
    const uint8_t* image;       // the pristine boot module, reloaded on restart
    size_t image_size;
    const uint8_t* initrd;      // a Linux guest's initramfs module (initrd=), or null
    size_t initrd_size;
    const char* image_kind;     // "ELF64", "multiboot", ...

    uint64_t memory_base;       // host-physical base of the guest's RAM
    uint64_t memory_size;
    EptBuilder<HypervisorTableMemory> ept{hypervisor_tables};
    uint64_t eptp;
    uint16_t vpid;

    uint64_t vmcs;              // host-physical addresses of VMX structures
    uint64_t io_bitmaps;        // two pages: ports 0-0x7fff, 0x8000-0xffff
    uint64_t msr_bitmap;

    Vcpu vcpu;
    GuestEntryState entry;
    VirtualUart uart;
    VirtualPlatform platform;   // interrupt controllers and wiring (vmm/virtual_platform.hpp)
    VirtualRtc rtc;             // the CMOS clock at ports 0x70/0x71 (vmm/virtual_rtc.hpp)
    InputQueue input;           // console keystrokes waiting for the UART (vmm/console_input.hpp)

    // A control request (pause, stop, restart, ...) waiting for the
    // partition's own CPU, which alone changes its state
    // (vmm/partition_control.cpp): who asked, and when.
    volatile uint8_t pending_request;   // kNoRequest, kRequestBeingWritten or a ControlOp
    const Partition* requested_by;      // null: the hypervisor itself (the run limit)
    const char* request_reason;         // the hypervisor's reason
    uint64_t requested_at;
    bool stopped_on_request;            // such a stop is deliberate: never restarted
    volatile bool vcpu_dump_requested;  // the monitor's `vcpu`: print its state on its CPU

    PartitionState state;
    uint64_t exit_status;
    // Its exits go to its CPU's exit trace (vmm/exit_tracing.hpp). Written
    // by the monitor or a control partition on any CPU, read on every exit.
    volatile bool tracing;
    // Its CPU time while traced, for the share of it spent handling exits
    // (only traced exits are timed): the total of the finished traced
    // periods, and where the current one began (vmm/exit_tracing.cpp).
    uint64_t traced_cpu_ticks;
    uint64_t traced_since;
    char stop_reason[kStopReasonCapacity];
    unsigned restarts;                  // after faults (on_fault=restart), limited
    unsigned starts;                    // every start and restart, for the control plane
    uint64_t started_at;                // TSC at the last start
    uint64_t finished_at;               // TSC when it last stopped, exited or halted; 0 while live
    CpuTime cpu_time;                   // TSC ticks on its CPU, guest and exit handling (vmm/cpu_time.hpp)
    ExitCounters counters;

    // The guest's RAM through the hypervisor's identity map.
    GuestMemory memory() const { return {reinterpret_cast<uint8_t*>(memory_base), memory_size}; }
};

}  // namespace bulkhead
