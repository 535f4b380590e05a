// Console input (vmm/console_input.hpp).
#include "vmm/console_input.hpp"

#include "drivers/io_apic.hpp"
#include "drivers/uart16550.hpp"
#include "kernel/log.hpp"
#include "kernel/platform.hpp"
#include "kernel/smp.hpp"
#include "kernel/trap.hpp"
#include "vmm/monitor.hpp"
#include "vmm/partition_table.hpp"
#include "vmm/vcpu_events.hpp"
#include "vmm/virtual_platform.hpp"

namespace bulkhead {

namespace {

Uart16550* g_uart = nullptr;
FocusSwitchDetector g_detector;
// Who gets what is typed: a partition (its index), or the monitor
// (kMonitorFocus). Only the interrupt handler changes it.
constexpr size_t kMonitorFocus = ~size_t{0};
size_t g_focus = 0;
size_t g_focus_before_monitor = 0;   // where `console` without a name goes back to

void announce_focus() {
    if (g_focus == kMonitorFocus) {
        monitor_enter();
        return;
    }
    log_info("console: input goes to partition '%s' (Ctrl-A three times: next partition, then the monitor)",
             partition_at(g_focus).config.name);
}

// The cycle: the partitions in configuration order, then the monitor, then
// the first partition again (as on Xen's console, where the same key cycles
// through the domains and Xen itself).
size_t next_focus(size_t focus) {
    if (focus == kMonitorFocus) return 0;
    return focus + 1 < partition_count() ? focus + 1 : kMonitorFocus;
}

void move_focus(size_t focus) {
    if (focus == kMonitorFocus && g_focus != kMonitorFocus) g_focus_before_monitor = g_focus;
    g_focus = focus;
    announce_focus();
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
    Partition* target = g_focus == kMonitorFocus ? nullptr : &partition_at(g_focus);
    bool queued = false;
    uint8_t byte = 0;
    while (g_uart->read(byte)) {
        const FocusSwitchDetector::Result r = g_detector.feed(byte);
        for (size_t i = 0; i < r.count; ++i) {
            if (target != nullptr) {
                queued = target->input.push(r.bytes[i]) || queued;
                continue;
            }
            const MonitorFeedResult m = monitor_feed(r.bytes[i]);
            if (m.leave) {
                move_focus(m.focus >= 0 ? static_cast<size_t>(m.focus) : g_focus_before_monitor);
                target = &partition_at(g_focus);
            }
        }
        if (!r.switch_focus) continue;
        if (queued) notify(*target);
        queued = false;
        move_focus(next_focus(g_focus));
        target = g_focus == kMonitorFocus ? nullptr : &partition_at(g_focus);
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
