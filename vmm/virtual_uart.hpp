// A partition's virtual UART at COM1 (0x3f8-0x3ff): a PC16550D (16550A) as
// Linux's 8250 driver, and any polling serial driver, expects it, with FIFOs,
// a receive side and an interrupt output.
//
// Transmit: the hypervisor takes each byte at once, so THR and the shift
// register are always empty again right after a write (LSR.THRE and TEMT
// always set, the transmit FIFO never holds anything). Output is collected
// line by line and handed to a sink that prints it on the hypervisor console
// with the partition's name, so lines from different partitions never
// interleave and nothing is lost (an over-long line is passed on in pieces).
//
// Receive: what is typed on the hypervisor console arrives through
// receive(), into the 16-byte receive FIFO, or into the single RBR when the
// guest left the FIFOs off (16450 mode).
//
// Interrupt output: interrupt_asserted() is the level of the chip's INTR pin.
// Decision: it is NOT gated by MCR.OUT2. On a PC board OUT2 drives the buffer
// between INTR and the IRQ line, but QEMU does not model that gate either,
// and Linux (which raises OUT2 before it relies on interrupts) is tested
// against QEMU. The caller wires the level to I/O APIC pin 4 and looks for a
// change after every access (vmm/virtual_platform.hpp).
//
// THRE interrupt rule (IIR 0x02), precisely:
//   - it becomes pending when a write to IER sets ETBEI that was clear (THR
//     is always empty, so enabling it finds THR empty), and after every THR
//     write while ETBEI is set (the byte leaves at once: THR empty again);
//   - it stops being pending when IIR is read while THRE is the source it
//     reports, or when a write to IER clears ETBEI;
//   - a write to IER that leaves ETBEI set changes nothing.
// Re-enabling ETBEI re-triggers it, as on real 16550s: Linux's UART_BUG_THRE
// test in serial8250_do_startup and its console (which clears IER around
// each message and restores it) depend on that.
//
// Pure code (no hardware, no heap): tests/unit/test_virtual_uart.cpp.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/uart16550_defs.hpp"

namespace bulkhead {

class VirtualUart {
public:
    static constexpr uint16_t kBasePort = kCom1Port;
    static constexpr uint16_t kPortCount = uart16550::kRegisterCount;
    static constexpr size_t kMaxLine = 160;
    static constexpr size_t kReceiveFifoSize = 16;

    // Receives output, without newlines: a complete line (`line_ends`), or
    // the start of one that goes on in the next call (an over-long line, or
    // a prompt the guest finished sending without a newline).
    using LineSink = void (*)(void* context, const char* text, size_t length, bool line_ends);

    static bool owns(uint16_t port) { return port >= kBasePort && port < kBasePort + kPortCount; }

    // The guest's IN and OUT on one of the eight ports.
    uint8_t read(uint16_t port);
    // Output is passed on line by line; what is left without a newline when
    // the guest's driver turns its transmit interrupt off (ETBEI cleared: its
    // buffer is empty, as after a shell prompt) is passed on then, to be
    // continued, so an interactive prompt shows before anything is typed.
    void write(uint16_t port, uint8_t value, LineSink sink, void* context);

    // Text that arrives another way (the console-write hypercall) joins the
    // same line buffer, so both paths produce whole lines in order. It does
    // not go through THR, so it changes no register or interrupt.
    void write_text(const char* text, size_t length, LineSink sink, void* context);

    // Passes on a partial line as a complete one (when the partition stops).
    void flush(LineSink sink, void* context);

    // A byte arrives on the serial line. False when it is lost: no room
    // (LSR.OE is set and the overrun counted; the bytes already waiting are
    // kept, in both modes), or loopback mode, where the receiver listens to
    // the transmitter and the line is disconnected (lost unseen, no overrun).
    bool receive(uint8_t byte);

    // How many bytes receive() takes now without losing any: the free room
    // in the FIFO (or RBR), 0 in loopback mode. Input beyond it should stay
    // queued with the caller.
    size_t receive_space() const;

    // The INTR output: true while an interrupt condition that IER enables is
    // pending (not gated by MCR.OUT2, see above).
    bool interrupt_asserted() const;

    // Power-on state: nothing received, FIFOs off, IER, LCR, MCR and the
    // counters 0, the line buffer empty.
    void reset();

    uint64_t bytes_transmitted() const { return transmitted_; }   // bytes that went out on the line (the sink)
    uint64_t bytes_received() const { return received_; }         // bytes the receiver kept, loopback included
    uint64_t receive_overruns() const { return overruns_; }       // bytes lost because the receiver was full

    // The receive trigger level the guest programmed in FCR (1, 4, 8 or 14
    // bytes). Kept only to be faithful: a 16550 cannot read it back, and this
    // model reports received data from the first byte on (virtual_uart.cpp
    // says why).
    size_t receive_trigger_level() const;

private:
    bool divisor_latch() const;
    bool loopback() const;
    bool fifos_enabled() const;
    bool enabled(uint8_t ier_bit) const;
    size_t receive_capacity() const;
    uint8_t modem_inputs() const;
    uint8_t pending_interrupt() const;

    uint8_t read_interrupt_id();
    uint8_t read_line_status();
    uint8_t read_modem_status();
    uint8_t take_received();

    void write_data(uint8_t value, LineSink sink, void* context);
    void write_interrupt_enable(uint8_t value, LineSink sink, void* context);
    void write_fifo_control(uint8_t value);
    void write_modem_control(uint8_t value);
    void note_modem_changes(uint8_t before, uint8_t after);

    bool accept(uint8_t byte);
    void clear_receiver();
    void put(char c, LineSink sink, void* context);

    char line_[kMaxLine] = {};
    size_t line_length_ = 0;
    uint64_t transmitted_ = 0, received_ = 0, overruns_ = 0;

    uint8_t receive_fifo_[kReceiveFifoSize] = {};   // a ring: receive_count_ bytes from receive_head_
    size_t receive_head_ = 0, receive_count_ = 0;

    uint8_t interrupt_enable_ = 0, line_control_ = 0, modem_control_ = 0, scratch_ = 0;
    uint8_t fifo_control_ = 0;   // FCR as programmed: the enable bit and the trigger level
    uint8_t divisor_low_ = 1, divisor_high_ = 0;
    uint8_t modem_deltas_ = 0;   // MSR bits 3:0, collected since MSR was last read
    bool overrun_ = false;       // LSR.OE, until LSR is read
    bool thre_pending_ = false;  // the THRE interrupt condition; only ever true while IER.ETBEI is set
};

}  // namespace bulkhead
