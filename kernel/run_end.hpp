// How a Bulkhead run ends, and what the machine does then.
//
// Every run ends through end_run() with a RunStatus. The status is printed
// ("bulkhead: run ended: ..."), then the command line's on_exit= decides: stay
// halted, power the machine off through ACPI, or make the emulator exit with
// a code a CI pipeline can read (docs/command-line.md lists the codes).
#pragma once

#include <stdint.h>

#include "kernel/cmdline.hpp"

namespace bulkhead {

// Values are the isa-debug-exit codes: QEMU exits with (code << 1) | 1, so a
// pass is QEMU status 33. Zero is deliberately not a pass: QEMU's own errors,
// a triple fault under -no-reboot and an ACPI power-off all exit 0 or 1.
enum class RunStatus : uint8_t {
    Pass = 0x10,
    Failure = 0x11,             // generic failure
    VmxUnavailable = 0x12,      // the CPU cannot run Bulkhead's guests
    CpuException = 0x13,        // the hypervisor itself faulted
    BootInfoInvalid = 0x14,     // the loader's multiboot2 information is unusable
    OutOfMemory = 0x15,         // not enough RAM for the hypervisor itself
    PartitionFailed = 0x16,     // a partition did not do what its configuration expected
};

const char* to_string(RunStatus status);
bool is_pass(RunStatus status);

void set_on_exit(OnExit action);

[[noreturn]] void end_run(RunStatus status);

}  // namespace bulkhead
