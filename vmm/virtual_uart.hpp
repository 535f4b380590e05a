// A partition's virtual 16550 UART at COM1 (0x3f8-0x3ff): enough of the
// transmit side and the status registers for a guest's serial driver to
// print. Output is collected line by line and handed to a sink that prints it
// on the hypervisor console with the partition's name, so lines from
// different partitions never interleave and nothing is lost (an over-long
// line is passed on in pieces).
//
// Receive is not emulated yet: RBR reads 0 and LSR never shows data ready.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/uart16550_defs.hpp"

namespace bulkhead {

class VirtualUart {
public:
    static constexpr uint16_t kBasePort = kCom1Port;
    static constexpr uint16_t kPortCount = 8;
    static constexpr size_t kMaxLine = 160;

    // Receives one complete line, without its newline.
    using LineSink = void (*)(void* context, const char* line, size_t length);

    static bool owns(uint16_t port) { return port >= kBasePort && port < kBasePort + kPortCount; }

    uint8_t read(uint16_t port);
    void write(uint16_t port, uint8_t value, LineSink sink, void* context);

    // Text that arrives another way (the console-write hypercall) joins the
    // same line buffer, so both paths produce whole lines in order.
    void write_text(const char* text, size_t length, LineSink sink, void* context);

    // Passes on a partial line (when the partition stops).
    void flush(LineSink sink, void* context);

    void reset();
    uint64_t bytes_transmitted() const { return transmitted_; }

private:
    void put(char c, LineSink sink, void* context);
    bool divisor_latch() const;

    char line_[kMaxLine] = {};
    size_t line_length_ = 0;
    uint64_t transmitted_ = 0;
    uint8_t interrupt_enable_ = 0, line_control_ = 0, modem_control_ = 0, scratch_ = 0;
    uint8_t divisor_low_ = 1, divisor_high_ = 0;
};

}  // namespace bulkhead
