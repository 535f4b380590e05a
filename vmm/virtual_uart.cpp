#include "vmm/virtual_uart.hpp"

namespace bulkhead {

namespace {

// Register offsets (PC16550D datasheet); with LCR.DLAB set, offsets 0 and 1
// reach the divisor latch instead.
constexpr uint16_t kData = 0, kInterruptEnable = 1, kInterruptId = 2, kLineControl = 3;
constexpr uint16_t kModemControl = 4, kLineStatus = 5, kModemStatus = 6, kScratch = 7;
constexpr uint8_t kLcrDivisorLatch = 0x80;
// The transmitter is always ready: the hypervisor takes each byte at once.
constexpr uint8_t kLsrTransmitterIdle = 0x60;   // THRE | TEMT
constexpr uint8_t kIirNoInterruptPending = 0x01;
// CTS, DSR and DCD asserted: a driver waiting for a modem sees one.
constexpr uint8_t kMsrCarrierReady = 0xb0;

}  // namespace

bool VirtualUart::divisor_latch() const { return (line_control_ & kLcrDivisorLatch) != 0; }

uint8_t VirtualUart::read(uint16_t port) {
    switch (port - kBasePort) {
        case kData: return divisor_latch() ? divisor_low_ : 0;
        case kInterruptEnable: return divisor_latch() ? divisor_high_ : interrupt_enable_;
        case kInterruptId: return kIirNoInterruptPending;
        case kLineControl: return line_control_;
        case kModemControl: return modem_control_;
        case kLineStatus: return kLsrTransmitterIdle;
        case kModemStatus: return kMsrCarrierReady;
        case kScratch: return scratch_;
    }
    return 0xff;
}

void VirtualUart::write(uint16_t port, uint8_t value, LineSink sink, void* context) {
    switch (port - kBasePort) {
        case kData:
            if (divisor_latch())
                divisor_low_ = value;
            else
                put(static_cast<char>(value), sink, context);
            break;
        case kInterruptEnable:
            if (divisor_latch())
                divisor_high_ = value;
            else
                interrupt_enable_ = value;
            break;
        case kLineControl: line_control_ = value; break;
        case kModemControl: modem_control_ = value; break;
        case kScratch: scratch_ = value; break;
        default: break;   // FIFO control, and the read-only status registers
    }
}

void VirtualUart::write_text(const char* text, size_t length, LineSink sink, void* context) {
    for (size_t i = 0; i < length; ++i) put(text[i], sink, context);
}

void VirtualUart::put(char c, LineSink sink, void* context) {
    ++transmitted_;
    if (c == '\r') return;   // serial drivers send CR LF; the console adds its own
    if (c == '\n') {
        sink(context, line_, line_length_);
        line_length_ = 0;
        return;
    }
    if (line_length_ == kMaxLine) flush(sink, context);
    line_[line_length_++] = c;
}

void VirtualUart::flush(LineSink sink, void* context) {
    if (line_length_ == 0) return;
    sink(context, line_, line_length_);
    line_length_ = 0;
}

void VirtualUart::reset() { *this = VirtualUart{}; }

}  // namespace bulkhead
