#include "drivers/uart16550.hpp"

#include "arch/x86_64/cpu.hpp"

namespace bulkhead {

namespace {

// Register offsets from the base port (PC16550D datasheet).
constexpr uint16_t kData = 0;              // THR on write, RBR on read; DLL when DLAB=1
constexpr uint16_t kInterruptEnable = 1;   // DLM when DLAB=1
constexpr uint16_t kFifoControl = 2;
constexpr uint16_t kLineControl = 3;
constexpr uint16_t kModemControl = 4;
constexpr uint16_t kLineStatus = 5;
constexpr uint16_t kScratch = 7;

constexpr uint8_t kLcrDivisorLatch = 0x80;
constexpr uint8_t kLcr8N1 = 0x03;
constexpr uint8_t kFcrEnableAndClear = 0x07;    // enable FIFOs, clear RX and TX
constexpr uint8_t kMcrDtrRtsOut2 = 0x0b;   // OUT2 connects the UART's interrupt to the PC's IRQ line
constexpr uint8_t kLsrDataReady = 0x01;
constexpr uint8_t kIerReceivedData = 0x01;
constexpr uint8_t kLsrTransmitHoldingEmpty = 0x20;
constexpr uint8_t kLsrTransmitterEmpty = 0x40;
constexpr uint8_t kScratchProbeA = 0x5a;
constexpr uint8_t kScratchProbeB = 0xa5;

// One byte at 300 baud takes ~33 ms; a few million status reads is far more
// than any working UART needs, even under a slow emulator.
constexpr uint32_t kBusyWaitLimit = 4'000'000;

}  // namespace

Uart16550::InitResult Uart16550::init(uint16_t port, uint32_t baud) {
    if (!uart_baud_reachable(baud)) return InitResult::BadBaud;
    // A missing UART reads back 0xff from every register: the scratch register
    // must remember what we wrote.
    x86::out8(port + kScratch, kScratchProbeA);
    if (x86::in8(port + kScratch) != kScratchProbeA) return InitResult::NotPresent;
    x86::out8(port + kScratch, kScratchProbeB);
    if (x86::in8(port + kScratch) != kScratchProbeB) return InitResult::NotPresent;

    const uint16_t divisor = static_cast<uint16_t>(kUartBaseBaud / baud);
    x86::out8(port + kInterruptEnable, 0);
    x86::out8(port + kLineControl, kLcrDivisorLatch);
    x86::out8(port + kData, static_cast<uint8_t>(divisor));
    x86::out8(port + kInterruptEnable, static_cast<uint8_t>(divisor >> 8));
    x86::out8(port + kLineControl, kLcr8N1);
    x86::out8(port + kFifoControl, kFcrEnableAndClear);
    x86::out8(port + kModemControl, kMcrDtrRtsOut2);
    port_ = port;
    baud_ = baud;
    return InitResult::Ok;
}

bool Uart16550::wait_for(uint8_t line_status_bits) {
    for (uint32_t i = 0; i < kBusyWaitLimit; ++i) {
        if ((x86::in8(port_ + kLineStatus) & line_status_bits) == line_status_bits) return true;
        x86::pause();
    }
    return false;
}

void Uart16550::write(char c) {
    if (port_ == 0 || !wait_for(kLsrTransmitHoldingEmpty)) {
        ++dropped_;
        return;
    }
    x86::out8(port_ + kData, static_cast<uint8_t>(c));
}

void Uart16550::flush() {
    if (port_ != 0) wait_for(kLsrTransmitterEmpty);
}

void Uart16550::enable_receive_interrupt() {
    if (port_ != 0) x86::out8(port_ + kInterruptEnable, kIerReceivedData);
}

bool Uart16550::read(uint8_t& byte) {
    if (port_ == 0 || (x86::in8(port_ + kLineStatus) & kLsrDataReady) == 0) return false;
    byte = x86::in8(port_ + kData);
    return true;
}

}  // namespace bulkhead
