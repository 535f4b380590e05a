// Facts about PC serial ports that both the command-line parser and the UART
// driver need: where the four legacy ports live and which speeds a 16550 can
// produce.
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
