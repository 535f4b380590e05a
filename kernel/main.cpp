// kernel_main: the boot CPU's path from boot/entry32.S to a running hypervisor.
// Each step is one call; read them top to bottom to follow a boot.
#include <stdint.h>

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "drivers/legacy_pic.hpp"
#include "drivers/uart16550.hpp"
#include "kernel/boot_info.hpp"
#include "kernel/cmdline.hpp"
#include "kernel/cpu_check.hpp"
#include "kernel/lib/cxx_runtime.hpp"
#include "kernel/lib/units.hpp"
#include "kernel/log.hpp"
#include "kernel/memory.hpp"
#include "kernel/multiboot2.hpp"
#include "kernel/platform.hpp"
#include "kernel/run_end.hpp"
#include "kernel/selftest.hpp"
#include "kernel/smp.hpp"
#include "kernel/stacks.hpp"
#include "kernel/tsc.hpp"
#include "kernel/version.hpp"
#include "kernel/wall_clock.hpp"
#include "vmm/partitions.hpp"
#include "vmm/vmx_root.hpp"

namespace bulkhead {

namespace {

// The multiboot2 information states its own size; anything beyond this is not
// a plausible boot information block but a corrupt one.
constexpr uint32_t kMaxBootInfoBytes = 1u << 20;

BootInfo g_boot_info;
Uart16550 g_console_uart;

void parse_boot_info(uint64_t magic, uint64_t mbi_address) {
    if (magic != kMultiboot2BootloaderMagic || mbi_address == 0) {
        log_error("boot information invalid: loader magic %#lx, information at %#lx", magic, mbi_address);
        end_run(RunStatus::BootInfoInvalid);
    }
    const auto* mbi = reinterpret_cast<const uint8_t*>(mbi_address);
    const uint32_t total_size = *reinterpret_cast<const uint32_t*>(mbi);
    const uint32_t readable = total_size < kMaxBootInfoBytes ? total_size : kMaxBootInfoBytes;
    const Mb2Result result = parse_multiboot2(mbi, readable, g_boot_info);
    if (result.error != Mb2Error::None) {
        log_error("boot information invalid: %s at byte %u of the multiboot2 information", to_string(result.error),
                  result.offset);
        end_run(RunStatus::BootInfoInvalid);
    }
}

void report_cmdline_problem(void*, const CmdlineDiagnostic& d) {
    log_warn("command line: %s '%.*s%s%.*s' ignored", to_string(d.problem), static_cast<int>(d.key_length), d.key,
             d.value_length != 0 ? "=" : "", static_cast<int>(d.value_length), d.value);
}

HypervisorOptions apply_command_line() {
    const HypervisorOptions options = parse_hypervisor_cmdline(g_boot_info.cmdline, report_cmdline_problem, nullptr);
    log_set_level(options.log_level);
    log_set_console_timestamps(options.console_timestamps);
    set_on_exit(options.on_exit);
    return options;
}

void start_console(const HypervisorOptions& options) {
    const auto result = g_console_uart.init(options.serial_port, options.serial_baud);
    if (result != Uart16550::InitResult::Ok) {
        // The named port is not there: COM1 is the best remaining chance of
        // anyone seeing the log, and the reason goes first.
        log_attach_emergency_console();
        log_warn("serial port %#x unusable (%s); console on COM1 instead", options.serial_port,
                 result == Uart16550::InitResult::NotPresent ? "no UART answers there" : "bad baud rate");
        return;
    }
    log_attach_console(g_console_uart);
}

void print_banner(const HypervisorOptions& options) {
    log_info("Bulkhead %s, x86_64 microhypervisor", kVersion);
    log_info("booted by %s from %s firmware; command line \"%s\"", g_boot_info.bootloader_name,
             g_boot_info.efi_system_table_present ? "UEFI" : "BIOS", g_boot_info.cmdline);
    log_info("console on %#x at %u baud, loglevel=%s, on_exit=%s, slice_us=%u, run_limit_ms=%lu, console_timestamps=%s",
             g_console_uart.port(), g_console_uart.baud(), to_string(options.log_level), to_string(options.on_exit),
             options.slice_us, options.run_limit_ms, to_string(options.console_timestamps));
    log_info("boot information: %zu memory regions%s, %zu modules, ACPI RSDP %s", g_boot_info.memory_count,
             g_boot_info.memory_map_truncated ? " (truncated)" : "", g_boot_info.module_count,
             g_boot_info.rsdp == nullptr ? "not given (BIOS area scan)" : g_boot_info.rsdp_is_v2 ? "v2" : "v1");
    for (size_t i = 0; i < g_boot_info.module_count; ++i) {
        const BootModule& m = g_boot_info.modules[i];
        log_info("module %zu: %#lx-%#lx (%lu KiB) \"%s\"", i, m.start, m.end, (m.end - m.start + kKiB - 1) / kKiB,
                 m.cmdline);
    }
}

}  // namespace

extern "C" [[noreturn]] void kernel_main(uint64_t magic, uint64_t mbi_address) {
    run_global_constructors();
    x86::normalize_cr0();
    x86::load_descriptor_tables(boot_cpu_descriptor_tables(), boot_cpu_ist_stacks());
    mask_legacy_pic();

    parse_boot_info(magic, mbi_address);
    const HypervisorOptions options = apply_command_line();
    start_console(options);
    print_banner(options);

    memory_init(g_boot_info);
    platform_init(g_boot_info);
    run_selftest(options.selftest);

    const x86::VmxCapabilities& caps = check_cpu();
    const uint64_t vmxon_region = allocate_vmx_region(caps);
    if (!enter_vmx_root(vmxon_region)) {
        log_error("VMXON failed: the CPU refused VMX root operation");
        end_run(RunStatus::Failure);
    }
    log_info("vmx: VMX root operation entered (VMXON region at %#lx)", vmxon_region);
    tsc_init();
    wall_clock_init();
    start_application_processors(caps, g_boot_info);
    run_selftest_on_other_cpus(options.selftest);
    end_run(run_partitions(g_boot_info, caps, {options.slice_us, options.run_limit_ms}));
}

}  // namespace bulkhead
