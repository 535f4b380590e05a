#include "kernel/run_end.hpp"

#include "arch/x86_64/cpu.hpp"
#include "drivers/emulator_exit.hpp"
#include "kernel/log.hpp"
#include "kernel/panic.hpp"
#include "kernel/power.hpp"

namespace bulkhead {

namespace {
OnExit g_on_exit = OnExit::Stay;
bool g_ending = false;
}  // namespace

const char* to_string(RunStatus status) {
    switch (status) {
        case RunStatus::Pass: return "pass";
        case RunStatus::Failure: return "failure";
        case RunStatus::VmxUnavailable: return "VT-x unavailable";
        case RunStatus::CpuException: return "hypervisor exception";
        case RunStatus::BootInfoInvalid: return "boot information invalid";
        case RunStatus::OutOfMemory: return "out of memory";
        case RunStatus::PartitionFailed: return "a partition did not meet its expectation";
    }
    return "unknown";
}

bool is_pass(RunStatus status) { return status == RunStatus::Pass; }

void set_on_exit(OnExit action) { g_on_exit = action; }

void end_run(RunStatus status) {
    // A fault while ending (say, in the power-off code) must not loop back here.
    if (g_ending) x86::halt_forever();
    g_ending = true;

    log_attach_emergency_console();
    report_console_losses();
    if (is_pass(status))
        log_info("run ended: pass (status 0x%x)", static_cast<unsigned>(status));
    else
        log_error("run ended: FAIL: %s (status 0x%x)", to_string(status), static_cast<unsigned>(status));

    switch (g_on_exit) {
        case OnExit::Stay:
            log_info("halted (on_exit=stay)");
            break;
        case OnExit::Emulator:
            log_flush();
            emulator::exit_with(static_cast<uint8_t>(status), is_pass(status));
            log_warn("no emulator exit device answered; trying ACPI power-off");
            [[fallthrough]];
        case OnExit::PowerOff:
            log_info("powering off");
            log_flush();
            log_error("power-off failed: %s; halted", power_off());
            break;
    }
    log_flush();
    x86::halt_forever();
}

void panic(const char* reason) {
    log_error("panic: %s", reason);
    end_run(RunStatus::Failure);
}

}  // namespace bulkhead
