#include "vmm/virtual_uart.hpp"

namespace bulkhead {

namespace {

using namespace uart16550;

// The transmitter is always idle: the hypervisor takes each byte at once.
constexpr uint8_t kLsrTransmitterIdle = kLsrTransmitHoldingEmpty | kLsrTransmitterEmpty;
// Outside loopback, CTS, DSR and DCD are asserted and RI is not: a driver
// waiting for a modem (or for clear-to-send) sees one ready.
constexpr uint8_t kMsrCarrierReady = kMsrCts | kMsrDsr | kMsrDcd;
// A port outside the eight (callers check owns() first) reads as an open bus.
constexpr uint8_t kFloatingBus = 0xff;

// Loopback wires each modem control output to a modem status input.
struct LoopbackWire {
    uint8_t output;   // MCR bit
    uint8_t input;    // MSR bit it drives
};
constexpr LoopbackWire kLoopbackWiring[] = {
    {kMcrDtr, kMsrDsr},
    {kMcrRts, kMsrCts},
    {kMcrOut1, kMsrRi},
    {kMcrOut2, kMsrDcd},
};

// FCR bits 7:6 in order: the receive trigger levels of a 16550A.
constexpr size_t kTriggerLevels[] = {1, 4, 8, 14};

}  // namespace

// ---- state -------------------------------------------------------------------

bool VirtualUart::divisor_latch() const { return (line_control_ & kLcrDivisorLatch) != 0; }
bool VirtualUart::loopback() const { return (modem_control_ & kMcrLoopback) != 0; }
bool VirtualUart::fifos_enabled() const { return (fifo_control_ & kFcrEnable) != 0; }
bool VirtualUart::enabled(uint8_t ier_bit) const { return (interrupt_enable_ & ier_bit) != 0; }

// In 16450 mode the receiver is the single RBR.
size_t VirtualUart::receive_capacity() const { return fifos_enabled() ? kReceiveFifoSize : 1; }

size_t VirtualUart::receive_space() const { return loopback() ? 0 : receive_capacity() - receive_count_; }

size_t VirtualUart::receive_trigger_level() const {
    return kTriggerLevels[(fifo_control_ & kFcrTriggerMask) >> kFcrTriggerShift];
}

// The modem status inputs (MSR bits 7:4) as the chip sees them now.
uint8_t VirtualUart::modem_inputs() const {
    if (!loopback()) return kMsrCarrierReady;
    uint8_t inputs = 0;
    for (const LoopbackWire& wire : kLoopbackWiring)
        if ((modem_control_ & wire.output) != 0) inputs |= wire.input;
    return inputs;
}

// The IIR code of the highest-priority enabled condition, in the datasheet's
// order. Received data counts from the first byte, whatever the trigger
// level: a real 16550 holds bytes below the level back and then reports them
// with the character timeout (IIR 0x0c) after four idle character times. The
// level only exists to spare the CPU interrupts at high line rates; here
// bytes come as fast as someone types, every byte is reported as soon as it
// is there, so none ever waits below the level and the timeout case cannot
// arise. Linux treats 0x04 and 0x0c alike.
uint8_t VirtualUart::pending_interrupt() const {
    if (enabled(kIerLineStatus) && overrun_) return kIirLineStatus;
    if (enabled(kIerReceivedData) && receive_count_ != 0) return kIirReceivedData;
    if (enabled(kIerTransmitterEmpty) && thre_pending_) return kIirTransmitterEmpty;
    if (enabled(kIerModemStatus) && modem_deltas_ != 0) return kIirModemStatus;
    return kIirNoInterrupt;
}

bool VirtualUart::interrupt_asserted() const { return pending_interrupt() != kIirNoInterrupt; }

// ---- the receiver ------------------------------------------------------------

bool VirtualUart::receive(uint8_t byte) {
    if (loopback()) return false;   // the receiver is wired to the transmitter, not to the line
    return accept(byte);
}

// A byte reaches the receiver (from the line or, in loopback, from THR). When
// it is full the new byte is lost and the waiting ones kept: what a 16550
// does in FIFO mode; a 16450 would overwrite RBR instead, but a driver cannot
// tell which byte went (it sees LSR.OE either way), so both modes do the same.
bool VirtualUart::accept(uint8_t byte) {
    if (receive_count_ == receive_capacity()) {
        overrun_ = true;
        ++overruns_;
        return false;
    }
    receive_fifo_[(receive_head_ + receive_count_) % kReceiveFifoSize] = byte;
    ++receive_count_;
    ++received_;
    return true;
}

// RBR: the oldest byte. Empty reads 0 (a real chip repeats a stale byte).
uint8_t VirtualUart::take_received() {
    if (receive_count_ == 0) return 0;
    const uint8_t byte = receive_fifo_[receive_head_];
    receive_head_ = (receive_head_ + 1) % kReceiveFifoSize;
    --receive_count_;
    return byte;
}

void VirtualUart::clear_receiver() {
    receive_head_ = 0;
    receive_count_ = 0;
}

// ---- register reads ----------------------------------------------------------

uint8_t VirtualUart::read(uint16_t port) {
    switch (port - kBasePort) {
        case kData: return divisor_latch() ? divisor_low_ : take_received();
        case kInterruptEnable: return divisor_latch() ? divisor_high_ : interrupt_enable_;
        case kInterruptId: return read_interrupt_id();
        case kLineControl: return line_control_;
        case kModemControl: return modem_control_;
        case kLineStatus: return read_line_status();
        case kModemStatus: return read_modem_status();
        case kScratch: return scratch_;
    }
    return kFloatingBus;
}

// Reading IIR is how a driver acknowledges the THRE interrupt; every other
// source ends when it is serviced (LSR read, RBR emptied, MSR read).
uint8_t VirtualUart::read_interrupt_id() {
    const uint8_t id = pending_interrupt();
    if (id == kIirTransmitterEmpty) thre_pending_ = false;
    return fifos_enabled() ? static_cast<uint8_t>(id | kIirFifosEnabled) : id;
}

// Reading LSR clears its error bit (only overrun can happen here: no parity,
// framing or break on a virtual line), and with it the line status interrupt.
uint8_t VirtualUart::read_line_status() {
    uint8_t status = kLsrTransmitterIdle;
    if (receive_count_ != 0) status |= kLsrDataReady;
    if (overrun_) status |= kLsrOverrun;
    overrun_ = false;
    return status;
}

uint8_t VirtualUart::read_modem_status() {
    const uint8_t status = modem_inputs() | modem_deltas_;
    modem_deltas_ = 0;
    return status;
}

// ---- register writes ---------------------------------------------------------

void VirtualUart::write(uint16_t port, uint8_t value, LineSink sink, void* context) {
    switch (port - kBasePort) {
        case kData:
            if (divisor_latch())
                divisor_low_ = value;
            else
                write_data(value, sink, context);
            break;
        case kInterruptEnable:
            if (divisor_latch())
                divisor_high_ = value;
            else
                write_interrupt_enable(value, sink, context);
            break;
        case kFifoControl: write_fifo_control(value); break;
        case kLineControl: line_control_ = value; break;
        case kModemControl: write_modem_control(value); break;
        case kScratch: scratch_ = value; break;
        default: break;   // LSR and MSR are read-only (writing them is factory test on a real chip)
    }
}

// THR: the byte leaves at once (to the line, or back into the receiver in
// loopback), so THR is empty again straight away: a fresh THRE event.
void VirtualUart::write_data(uint8_t value, LineSink sink, void* context) {
    if (loopback())
        accept(value);
    else
        put(static_cast<char>(value), sink, context);
    if (enabled(kIerTransmitterEmpty)) thre_pending_ = true;
}

// Setting ETBEI finds THR empty, so THRE becomes pending; clearing it drops
// the condition; leaving it set keeps whatever IIR left (header: THRE rule).
void VirtualUart::write_interrupt_enable(uint8_t value, LineSink sink, void* context) {
    const bool was_enabled = enabled(kIerTransmitterEmpty);
    interrupt_enable_ = value & kIerDefinedBits;
    const bool now_enabled = enabled(kIerTransmitterEmpty);
    if (now_enabled != was_enabled) thre_pending_ = now_enabled;
    // The driver has nothing more to send for now: show what it sent.
    if (was_enabled && !now_enabled && line_length_ != 0) {
        sink(context, line_, line_length_, false);
        line_length_ = 0;
    }
}

// FCR: turning the FIFOs on or off empties them; the other bits count only in
// a write with bit 0 set. Clearing the transmit FIFO (bit 2) has nothing to
// do: it is always empty. Bit 3 (DMA mode) only changes the chip's RXRDY and
// TXRDY pins, which a PC does not wire.
void VirtualUart::write_fifo_control(uint8_t value) {
    const bool enable = (value & kFcrEnable) != 0;
    if (enable != fifos_enabled()) clear_receiver();
    if (!enable) {
        fifo_control_ &= static_cast<uint8_t>(~kFcrEnable);
        return;
    }
    if ((value & kFcrClearReceive) != 0) clear_receiver();
    fifo_control_ = value & (kFcrEnable | kFcrTriggerMask);
}

void VirtualUart::write_modem_control(uint8_t value) {
    const uint8_t before = modem_inputs();
    modem_control_ = value & kMcrDefinedBits;
    note_modem_changes(before, modem_inputs());
}

// MSR's delta bits: CTS, DSR and DCD changed; RI went from on to off.
void VirtualUart::note_modem_changes(uint8_t before, uint8_t after) {
    const uint8_t changed = before ^ after;
    if ((changed & kMsrCts) != 0) modem_deltas_ |= kMsrDeltaCts;
    if ((changed & kMsrDsr) != 0) modem_deltas_ |= kMsrDeltaDsr;
    if ((changed & kMsrDcd) != 0) modem_deltas_ |= kMsrDeltaDcd;
    if ((before & ~after & kMsrRi) != 0) modem_deltas_ |= kMsrTrailingEdgeRi;
}

// ---- the line buffer ---------------------------------------------------------

void VirtualUart::write_text(const char* text, size_t length, LineSink sink, void* context) {
    for (size_t i = 0; i < length; ++i) put(text[i], sink, context);
}

void VirtualUart::put(char c, LineSink sink, void* context) {
    ++transmitted_;
    if (c == '\r') return;   // serial drivers send CR LF; the console adds its own
    if (c == '\n') {
        sink(context, line_, line_length_, true);
        line_length_ = 0;
        return;
    }
    if (line_length_ == kMaxLine) {
        sink(context, line_, line_length_, false);   // the line goes on
        line_length_ = 0;
    }
    line_[line_length_++] = c;
}

void VirtualUart::flush(LineSink sink, void* context) {
    if (line_length_ == 0) return;
    sink(context, line_, line_length_, true);
    line_length_ = 0;
}

void VirtualUart::reset() { *this = VirtualUart{}; }

}  // namespace bulkhead
