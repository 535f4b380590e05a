// I/O instructions (exit reason 30). Every port exits (the partition's I/O
// bitmaps are all ones: no port is passed through yet), and lands in one of
// five places:
//   - COM1 (0x3f8-0x3ff): the partition's virtual UART;
//   - the CMOS RTC (0x70/0x71): its read-only virtual clock, showing the
//     host's date and time (vmm/virtual_rtc.hpp);
//   - the ACPI sleep and reset registers of its FADT (0x600-0x602,
//     vmm/guest_acpi.hpp): power-off ends the partition with status 0, as a
//     clean shutdown; reset restarts it from its pristine image;
//   - port 0xf4, 32-bit OUT: the test-exit device, the partition stops with
//     that status (QEMU's isa-debug-exit convention);
//   - anything else is unassigned: IN reads all-ones, OUT is counted and,
//     unless the partition's configuration says unassigned_io=ignore (the
//     default for Linux guests), stops it.
#include "include/bulkhead/hypercall.h"
#include "kernel/log.hpp"
#include "kernel/wall_clock.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/guest_acpi.hpp"
#include "vmm/partition_control.hpp"
#include "vmm/partition.hpp"
#include "vmm/partitions.hpp"
#include "vmm/virtual_platform.hpp"
#include "vmm/vmcs.hpp"

namespace bulkhead {

namespace {

constexpr unsigned kTestExitSize = 4;

uint64_t size_mask(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

// IN writes AL, AX or EAX; a 32-bit write clears RAX's upper half.
void set_in_result(GuestRegisters& regs, unsigned size, uint64_t value) {
    const uint64_t mask = size_mask(size);
    if (size == kTestExitSize)
        regs[Gpr::Rax] = value & mask;
    else
        regs[Gpr::Rax] = (regs[Gpr::Rax] & ~mask) | (value & mask);
}

bool is_acpi_register(uint16_t port) { return port >= kGuestSleepControlPort && port <= kGuestResetPort; }

// The hardware-reduced ACPI registers: SLP_TYP|SLP_EN for S5 in the sleep
// control register powers off; the reset value in the reset register resets.
// Everything else there (sleep status, other sleep states) is accepted and
// does nothing: the partition has no sleep state to enter.
ExitAction acpi_register_write(ExitContext& exit, uint16_t port, uint8_t value) {
    Partition& p = exit.partition;
    if (port == kGuestSleepControlPort && is_guest_power_off(value)) {
        skip_instruction();
        return partition_powered_off(p);
    }
    if (port == kGuestResetPort && value == kGuestResetValue) {
        skip_instruction();
        request_control(p, ControlOp::Restart, nullptr, "its own reset (ACPI reset register)");
        return ExitAction::Yield;
    }
    skip_instruction();
    return ExitAction::Resume;
}

ExitAction port_in(ExitContext& exit, uint16_t port, unsigned size) {
    Partition& p = exit.partition;
    uint64_t value = size_mask(size);   // an unassigned port floats high
    if (VirtualUart::owns(port) && size == 1) {
        value = p.uart.read(port);
        sync_uart_interrupt(p);   // reading IIR, RBR or LSR may end an interrupt condition
    } else if (VirtualRtc::owns(port) && size == 1) {
        value = p.rtc.read(port, wall_clock_unix_seconds());
    } else if (is_acpi_register(port) && size == 1) {
        value = 0;   // no wake status, nothing asleep
    } else {
        ++p.counters.unassigned_port_reads;
    }
    set_in_result(exit.registers, size, value);
    skip_instruction();
    return ExitAction::Resume;
}

ExitAction port_out(ExitContext& exit, uint16_t port, unsigned size) {
    Partition& p = exit.partition;
    const uint64_t value = exit.registers[Gpr::Rax] & size_mask(size);
    if (VirtualUart::owns(port) && size == 1) {
        p.uart.write(port, static_cast<uint8_t>(value), print_partition_line, &p);
        sync_uart_interrupt(p);
    } else if (VirtualRtc::owns(port) && size == 1) {
        p.rtc.write(port, static_cast<uint8_t>(value));
    } else if (is_acpi_register(port) && size == 1) {
        return acpi_register_write(exit, port, static_cast<uint8_t>(value));
    } else if (port == BH_TEST_EXIT_PORT && size == kTestExitSize) {
        return partition_exited(p, value);
    } else {
        ++p.counters.unassigned_port_writes;
        if (p.config.unassigned_io == UnassignedIo::Stop)
            return stop_partition(p, "wrote %#lx to unassigned I/O port %#x (%u byte%s)", value, port, size,
                                  size == 1 ? "" : "s");
    }
    skip_instruction();
    return ExitAction::Resume;
}

}  // namespace

ExitAction handle_io(ExitContext& exit) {
    const x86::vmx::IoQualification q{vmcs::read(x86::vmx::VmcsField::ExitQualification)};
    exit.partition.counters.count_port(q.port(), !q.is_in());
    if (q.string() || q.rep())
        return stop_partition(exit.partition, "string I/O (INS/OUTS) on port %#x is not emulated", q.port());
    return q.is_in() ? port_in(exit, q.port(), q.size()) : port_out(exit, q.port(), q.size());
}

}  // namespace bulkhead
