// Driver for the host's 16550-compatible serial port, the hypervisor console.
#pragma once

#include <stdint.h>

#include "drivers/uart16550_defs.hpp"

namespace bulkhead {

// The ISA IRQ a legacy serial port's interrupt line is wired to on a PC:
// COM1 and COM3 share IRQ 4, COM2 and COM4 IRQ 3. Other ports have no
// standard line (0 here).
inline constexpr uint8_t kComOddIrq = 4, kComEvenIrq = 3, kNoIsaIrq = 0;
constexpr uint8_t legacy_uart_irq(uint16_t port) {
    if (port == kCom1Port || port == kCom3Port) return kComOddIrq;
    if (port == kCom2Port || port == kCom4Port) return kComEvenIrq;
    return kNoIsaIrq;
}

class Uart16550 {
public:
    enum class InitResult : uint8_t { Ok, NotPresent, BadBaud };

    // Programs the UART at `port` for 8N1 at `baud`, FIFOs on, interrupts off.
    InitResult init(uint16_t port, uint32_t baud);

    // Sends one byte, waiting while the transmitter is busy. A UART that stays
    // busy far longer than any baud rate explains is broken: the byte is then
    // counted in dropped() rather than hanging the hypervisor.
    void write(char c);

    // Waits until every byte has left the shift register, so nothing is lost
    // when the machine powers off or the emulator exits right after.
    void flush();

    // Receiving. The UART raises its interrupt line (routed by the caller,
    // vmm/console_input.cpp) while received data waits; read() takes one
    // byte, false when none is there.
    void enable_receive_interrupt();
    bool read(uint8_t& byte);

    bool ready() const { return port_ != 0; }
    uint16_t port() const { return port_; }
    uint32_t baud() const { return baud_; }
    uint64_t dropped() const { return dropped_; }

private:
    bool wait_for(uint8_t line_status_bits);

    uint16_t port_ = 0;
    uint32_t baud_ = 0;
    uint64_t dropped_ = 0;
};

}  // namespace bulkhead
