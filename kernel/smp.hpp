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

// The interrupt vector one CPU sends another to force it out of its guest
// (the interrupt makes the guest exit; the exit handler looks for requests).
inline constexpr uint8_t kKickVector = 0xf0;
void kick_cpu(size_t cpu_index);

// For the exception handler's stack-overflow hint: if `address` lies in the
// guard page below one of an application processor's stacks, names that CPU
// and stack ("cpu 1's kernel stack") into `out` and returns true.
bool name_ap_stack_guard(uint64_t address, char* out, size_t capacity);

// Acknowledges an interrupt taken by a VM exit on the calling CPU.
void acknowledge_interrupt();

}  // namespace bulkhead
