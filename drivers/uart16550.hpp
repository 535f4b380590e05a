// Driver for the host's 16550-compatible serial port, the hypervisor console.
#pragma once

#include <stdint.h>

#include "drivers/uart16550_defs.hpp"

namespace bulkhead {

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
