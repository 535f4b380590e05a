// Facts about PC serial ports that several parts need: where the four legacy
// ports live and which speeds a 16550 can produce (the command-line parser and
// the UART driver), and the 16550's registers (the virtual UART).
#pragma once

#include <stdint.h>

namespace bulkhead {

// Legacy PC serial port I/O bases.
inline constexpr uint16_t kCom1Port = 0x3f8;
inline constexpr uint16_t kCom2Port = 0x2f8;
inline constexpr uint16_t kCom3Port = 0x3e8;
inline constexpr uint16_t kCom4Port = 0x2e8;

// The 16550 divides this base rate by a 16-bit divisor, so only bauds that
// divide it exactly (with a divisor that fits) are reachable.
inline constexpr uint32_t kUartBaseBaud = 115200;
inline constexpr uint32_t kUartMaxDivisor = 0xffff;

constexpr bool uart_baud_reachable(uint32_t baud) {
    return baud != 0 && baud <= kUartBaseBaud && kUartBaseBaud % baud == 0 && kUartBaseBaud / baud <= kUartMaxDivisor;
}

}  // namespace bulkhead

// The 16550's registers (PC16550D datasheet), as offsets from its base port,
// and their bits. Shared by the host driver's callers and the partitions'
// virtual UART (vmm/virtual_uart.cpp), which models them.
namespace bulkhead::uart16550 {

// Offsets 0 and 1 reach the divisor latch instead while LCR.DLAB is set;
// offset 2 is IIR on read and FCR on write, whatever DLAB says.
inline constexpr uint16_t kData = 0;              // RBR on read, THR on write; DLL when DLAB=1
inline constexpr uint16_t kInterruptEnable = 1;   // IER; DLM when DLAB=1
inline constexpr uint16_t kInterruptId = 2;       // IIR (read)
inline constexpr uint16_t kFifoControl = 2;       // FCR (write)
inline constexpr uint16_t kLineControl = 3;       // LCR
inline constexpr uint16_t kModemControl = 4;      // MCR
inline constexpr uint16_t kLineStatus = 5;        // LSR
inline constexpr uint16_t kModemStatus = 6;       // MSR
inline constexpr uint16_t kScratch = 7;           // SCR
inline constexpr uint16_t kRegisterCount = 8;

// IER: which conditions may raise the interrupt output. Bits 7:4 are always 0.
inline constexpr uint8_t kIerReceivedData = 0x01;       // ERBFI
inline constexpr uint8_t kIerTransmitterEmpty = 0x02;   // ETBEI
inline constexpr uint8_t kIerLineStatus = 0x04;         // ELSI
inline constexpr uint8_t kIerModemStatus = 0x08;        // EDSSI
inline constexpr uint8_t kIerDefinedBits = 0x0f;

// IIR: bit 0 clear when an interrupt is pending, bits 3:1 say which.
inline constexpr uint8_t kIirModemStatus = 0x00;
inline constexpr uint8_t kIirNoInterrupt = 0x01;
inline constexpr uint8_t kIirTransmitterEmpty = 0x02;
inline constexpr uint8_t kIirReceivedData = 0x04;
inline constexpr uint8_t kIirLineStatus = 0x06;
inline constexpr uint8_t kIirCharacterTimeout = 0x0c;   // FIFO mode: data below the trigger level went stale
inline constexpr uint8_t kIirFifosEnabled = 0xc0;       // both bits set on a 16550A with FCR0 set

// FCR. Bits other than 0 are taken only in a write that also sets bit 0.
inline constexpr uint8_t kFcrEnable = 0x01;
inline constexpr uint8_t kFcrClearReceive = 0x02;
inline constexpr uint8_t kFcrClearTransmit = 0x04;
inline constexpr uint8_t kFcrTriggerMask = 0xc0;   // receive trigger level: 1, 4, 8 or 14 bytes
inline constexpr unsigned kFcrTriggerShift = 6;

// LCR.
inline constexpr uint8_t kLcr8N1 = 0x03;
inline constexpr uint8_t kLcrDivisorLatch = 0x80;   // DLAB

// MCR. Bits 7:5 are always 0.
inline constexpr uint8_t kMcrDtr = 0x01;
inline constexpr uint8_t kMcrRts = 0x02;
inline constexpr uint8_t kMcrOut1 = 0x04;
inline constexpr uint8_t kMcrOut2 = 0x08;       // on a PC, gates the UART's interrupt onto the IRQ line
inline constexpr uint8_t kMcrLoopback = 0x10;
inline constexpr uint8_t kMcrDefinedBits = 0x1f;

// LSR.
inline constexpr uint8_t kLsrDataReady = 0x01;
inline constexpr uint8_t kLsrOverrun = 0x02;
inline constexpr uint8_t kLsrParityError = 0x04;
inline constexpr uint8_t kLsrFramingError = 0x08;
inline constexpr uint8_t kLsrBreak = 0x10;
inline constexpr uint8_t kLsrTransmitHoldingEmpty = 0x20;   // THRE
inline constexpr uint8_t kLsrTransmitterEmpty = 0x40;       // TEMT: THR and shift register both empty
inline constexpr uint8_t kLsrFifoError = 0x80;

// MSR: the modem inputs in bits 7:4, what changed since the last read in 3:0.
inline constexpr uint8_t kMsrDeltaCts = 0x01;
inline constexpr uint8_t kMsrDeltaDsr = 0x02;
inline constexpr uint8_t kMsrTrailingEdgeRi = 0x04;   // RI went from on to off
inline constexpr uint8_t kMsrDeltaDcd = 0x08;
inline constexpr uint8_t kMsrDeltaBits = 0x0f;
inline constexpr uint8_t kMsrCts = 0x10;
inline constexpr uint8_t kMsrDsr = 0x20;
inline constexpr uint8_t kMsrRi = 0x40;
inline constexpr uint8_t kMsrDcd = 0x80;

}  // namespace bulkhead::uart16550
