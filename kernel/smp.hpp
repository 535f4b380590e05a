// Bringing up the application processors (Intel SDM Vol. 3A, 8.4): every
// CPU the ACPI MADT lists is started with INIT-SIPI-SIPI through the real-
// mode trampoline (boot/ap_trampoline.S), gets its own stacks (with guard
// pages), GDT, TSS and VMXON region, and enters VMX root operation. A CPU that
// does not answer is reported and left out; the others carry on.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/vmx_capabilities.hpp"
#include "kernel/boot_info.hpp"

namespace bulkhead {

// Starts every other CPU; prints which came up. Returns how many CPUs are
// online, the boot CPU included.
size_t start_application_processors(const x86::VmxCapabilities& caps, const BootInfo& boot);

size_t online_cpu_count();

// Work for every online CPU: `work(cpu_index)` runs on each application
// processor (indices 1..n-1) while the caller runs `work(0)` itself; returns
// when all have finished. CPUs are numbered in MADT order, online ones only.
void run_on_all_cpus(void (*work)(size_t cpu_index));

// Sleeps in HLT until an interrupt (a kick) arrives; call with interrupts
// off, after checking for work: a kick sent after the check still wakes it.
void wait_for_kick();

// The same, but also woken by this CPU's local APIC timer when the TSC
// reaches `deadline` (0: no deadline). A deadline already past wakes it at once.
void wait_for_interrupt(uint64_t deadline);

// Lets the interrupts pending at this CPU's local APIC in (through the IDT)
// and masks them again. The scheduler does it between partitions, so that a
// host interrupt never waits longer than one time slice whatever the guest
// does: external-interrupt exiting should catch every one while a guest
// runs, but Bochs 2.7 does not exit for an interrupt that became pending in
// root mode while the guest it enters has RFLAGS.IF clear (measured: the
// console's interrupt stayed in the IRR for seconds under a guest spinning
// with interrupts off).
inline void take_pending_interrupts() { asm volatile("sti\n nop\n cli" ::: "memory"); }

// The host's own interrupt vectors. Guests never see them: a guest's
// interrupts are virtual (vmm/virtual_platform.hpp) and injected by VMX.
//   kick:          one CPU forces another out of its guest (the interrupt
//                  makes the guest exit; the exit handler looks for requests);
//   wake timer:    an idle CPU's timer for a waiting guest's next deadline;
//   console input: the console UART received something (vmm/console_input.hpp).
inline constexpr uint8_t kKickVector = 0xf0;
inline constexpr uint8_t kWakeTimerVector = 0xf1;
inline constexpr uint8_t kConsoleInputVector = 0xf2;
void kick_cpu(size_t cpu_index);

// The local APIC ID of an online CPU (0: the boot CPU), for interrupt routing.
uint32_t cpu_apic_id(size_t cpu_index);

// For the exception handler's stack-overflow hint: if `address` lies in the
// guard page below one of an application processor's stacks, names that CPU
// and stack ("cpu 1's kernel stack") into `out` and returns true.
bool name_ap_stack_guard(uint64_t address, char* out, size_t capacity);

// Acknowledges an interrupt taken by a VM exit on the calling CPU.
void acknowledge_interrupt();

}  // namespace bulkhead
