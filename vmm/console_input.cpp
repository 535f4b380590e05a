// Console input (vmm/console_input.hpp).
#include "vmm/console_input.hpp"

#include "drivers/io_apic.hpp"
#include "drivers/uart16550.hpp"
#include "kernel/log.hpp"
#include "kernel/platform.hpp"
#include "kernel/smp.hpp"
#include "kernel/trap.hpp"
#include "vmm/partition_table.hpp"
#include "vmm/vcpu_events.hpp"
#include "vmm/virtual_platform.hpp"

namespace bulkhead {

namespace {

Uart16550* g_uart = nullptr;
FocusSwitchDetector g_detector;
size_t g_focus = 0;   // the partition (index) that gets what is typed; only the interrupt handler changes it

void announce_focus() {
    log_info("console: input goes to partition '%s' (Ctrl-A three times: next partition)",
             partition_at(g_focus).config.name);
}

// The partition's CPU moves the input into its UART before it next enters
// the guest, or wakes the partition if it waits in HLT.
void notify(Partition& p) {
    request_attention(p.vcpu);
    kick_cpu(p.config.cpu);
}

// Why the console's interrupt cannot be routed, or null once it is.
const char* route_console_interrupt(uint16_t port) {
    const uint8_t irq = legacy_uart_irq(port);
    if (irq == kNoIsaIrq) return "the console is not on a legacy COM port";
    MadtError madt_error = MadtError::None;
    const MadtInfo* madt = platform_madt(madt_error);
    if (madt == nullptr) return "no MADT";
    const IsaIrqRoute route = isa_irq_route(*madt, irq);
    const IoApicDescriptor* io_apic = io_apic_for_gsi(*madt, route.gsi);
    if (io_apic == nullptr) return "no I/O APIC serves the console's interrupt";
    if (route_host_interrupt(*io_apic, route, kConsoleInputVector, cpu_apic_id(0)) != IoApicRouteError::None)
        return "the I/O APIC has no pin for the console's interrupt";
    return nullptr;
}

}  // namespace

void start_console_input() {
    g_uart = log_console_uart();
    if (g_uart == nullptr || partition_count() == 0) return;
    if (const char* why = route_console_interrupt(g_uart->port())) {
        log_warn("console: no input (%s); partitions still print", why);
        return;
    }
    set_host_interrupt_handler(kConsoleInputVector, console_input_interrupt);
    g_uart->enable_receive_interrupt();
    announce_focus();
}

// Drains the UART (the interrupt is edge-triggered: it comes again only
// after the receive FIFO was emptied) and tells each partition that got
// input once, with a kick to its CPU.
void console_input_interrupt() {
    Partition* target = &partition_at(g_focus);
    bool queued = false;
    uint8_t byte = 0;
    while (g_uart->read(byte)) {
        const FocusSwitchDetector::Result r = g_detector.feed(byte);
        for (size_t i = 0; i < r.count; ++i) queued = target->input.push(r.bytes[i]) || queued;
        if (!r.switch_focus) continue;
        if (queued) notify(*target);
        queued = false;
        g_focus = (g_focus + 1) % partition_count();
        target = &partition_at(g_focus);
        announce_focus();
    }
    if (queued) notify(*target);
}

void take_console_input(Partition& p) {
    if (p.input.empty()) return;
    uint8_t byte = 0;
    while (p.uart.receive_space() != 0 && p.input.pop(byte)) p.uart.receive(byte);
    sync_uart_interrupt(p);
}

}  // namespace bulkhead
