// The partition's virtual UART: lines come out whole and in order, nothing is
// lost, and a driver's register dance (divisor latch, status polling) works;
// it behaves as a 16550A (receive FIFO, overruns, IIR priorities, the THRE
// interrupt, loopback), down to the register sequences Linux's 8250 driver
// uses to probe, start and drive it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "vmm/virtual_uart.hpp"

using namespace bulkhead;

namespace {
// Each piece the UART passes on, and whether it ended its line.
std::vector<std::string> g_lines;
std::vector<bool> g_line_ends;
void sink(void*, const char* line, size_t length, bool line_ends) {
    g_lines.emplace_back(line, length);
    g_line_ends.push_back(line_ends);
}
void out(VirtualUart& uart, const std::string& s) {
    for (char c : s) uart.write(VirtualUart::kBasePort, static_cast<uint8_t>(c), sink, nullptr);
}
}  // namespace

TEST_CASE("virtual UART: bytes become lines, CR dropped") {
    g_lines.clear();
    g_line_ends.clear();
    VirtualUart uart;
    out(uart, "one\r\ntwo\n");
    CHECK(g_lines == std::vector<std::string>{"one", "two"});
    CHECK(uart.bytes_transmitted() == 9);
}

TEST_CASE("virtual UART: an over-long line is passed on in pieces, nothing lost") {
    g_lines.clear();
    g_line_ends.clear();
    VirtualUart uart;
    const std::string long_line(VirtualUart::kMaxLine * 2 + 5, 'x');
    out(uart, long_line + "\n");
    std::string joined;
    for (auto& l : g_lines) joined += l;
    CHECK(joined == long_line);
    CHECK(g_lines.size() == 3);
    // Only the last piece ends the line: the console joins them again.
    CHECK(g_line_ends == std::vector<bool>{false, false, true});
}

TEST_CASE("virtual UART: a prompt is passed on, to be continued, when the driver stops transmitting") {
    g_lines.clear();
    g_line_ends.clear();
    VirtualUart uart;
    const uint16_t ier = VirtualUart::kBasePort + 1;
    uart.write(ier, 0x02, sink, nullptr);   // ETBEI on: an interrupt-driven driver starts sending
    out(uart, "/ # ");
    CHECK(g_lines.empty());
    uart.write(ier, 0x00, sink, nullptr);   // its buffer is empty: ETBEI off
    CHECK(g_lines == std::vector<std::string>{"/ # "});
    CHECK(g_line_ends == std::vector<bool>{false});
    // Nothing left to pass on: turning it off again passes nothing.
    uart.write(ier, 0x02, sink, nullptr);
    uart.write(ier, 0x00, sink, nullptr);
    CHECK(g_lines.size() == 1);
    out(uart, "ls\r\n");
    CHECK(g_lines.back() == "ls");
    CHECK(g_line_ends.back());
}

TEST_CASE("virtual UART: a partial line is flushed when the partition stops") {
    g_lines.clear();
    g_line_ends.clear();
    VirtualUart uart;
    out(uart, "no newline");
    CHECK(g_lines.empty());
    uart.flush(sink, nullptr);
    CHECK(g_lines == std::vector<std::string>{"no newline"});
}

TEST_CASE("virtual UART: status registers report an idle transmitter; divisor latch is separate from data") {
    g_lines.clear();
    g_line_ends.clear();
    VirtualUart uart;
    const uint16_t base = VirtualUart::kBasePort;
    CHECK((uart.read(base + 5) & 0x60) == 0x60);
    uart.write(base + 3, 0x80, sink, nullptr);   // DLAB on
    uart.write(base + 0, 0x01, sink, nullptr);   // divisor low: not output
    uart.write(base + 1, 0x00, sink, nullptr);
    CHECK(uart.read(base + 0) == 0x01);
    uart.write(base + 3, 0x03, sink, nullptr);   // 8N1, DLAB off
    uart.write(base + 7, 0x5a, sink, nullptr);
    CHECK(uart.read(base + 7) == 0x5a);
    CHECK(uart.bytes_transmitted() == 0);
    out(uart, "x\n");
    CHECK(g_lines == std::vector<std::string>{"x"});
}

TEST_CASE("virtual UART: owns exactly COM1's eight ports") {
    CHECK_FALSE(VirtualUart::owns(0x3f7));
    CHECK(VirtualUart::owns(0x3f8));
    CHECK(VirtualUart::owns(0x3ff));
    CHECK_FALSE(VirtualUart::owns(0x400));
}

// ---- the 16550A model: registers, receive side, interrupts ------------------

namespace {

using namespace bulkhead::uart16550;

constexpr uint8_t kAllOnes = 0xff;
constexpr uint8_t kIirIdBits = 0x0f;          // IIR without its FIFO bits
constexpr uint8_t kMsrInputBits = 0xf0;       // MSR without its delta bits
constexpr uint8_t kCarrierReady = kMsrCts | kMsrDsr | kMsrDcd;
constexpr uint8_t kTransmitterIdle = kLsrTransmitHoldingEmpty | kLsrTransmitterEmpty;
constexpr uint8_t kFcrTrigger8 = 0x80, kFcrTrigger14 = 0xc0;
constexpr uint8_t kDivisor9600 = 12;          // 115200 / 9600

// The guest's side of the UART: IN and OUT by register offset. It watches
// the interrupt output after every access, as the caller in the hypervisor
// does, and counts its rising edges (what an edge-triggered IRQ 4 delivers).
struct Guest {
    VirtualUart uart;
    bool line = false;
    unsigned rising_edges = 0;

    void sample() {
        const bool now = uart.interrupt_asserted();
        if (now && !line) ++rising_edges;
        line = now;
    }
    uint8_t in(uint16_t reg) {
        const uint8_t value = uart.read(VirtualUart::kBasePort + reg);
        sample();
        return value;
    }
    void out(uint16_t reg, uint8_t value) {
        uart.write(VirtualUart::kBasePort + reg, value, sink, nullptr);
        sample();
    }
    bool type(uint8_t byte) {   // a key typed on the hypervisor console
        const bool taken = uart.receive(byte);
        sample();
        return taken;
    }
    uint8_t iir_id() { return in(kInterruptId) & kIirIdBits; }
};

}  // namespace

TEST_CASE("virtual UART: received bytes leave the FIFO in order; the 17th is an overrun") {
    Guest g;
    g.out(kFifoControl, kFcrEnable);
    CHECK(g.uart.receive_space() == VirtualUart::kReceiveFifoSize);
    const std::string typed = "abcdefghijklmnop";
    REQUIRE(typed.size() == VirtualUart::kReceiveFifoSize);
    for (char c : typed) CHECK(g.type(static_cast<uint8_t>(c)));
    CHECK(g.uart.receive_space() == 0);
    CHECK_FALSE(g.type('!'));
    CHECK(g.uart.bytes_received() == VirtualUart::kReceiveFifoSize);
    CHECK(g.uart.receive_overruns() == 1);

    CHECK(g.in(kLineStatus) == (kTransmitterIdle | kLsrDataReady | kLsrOverrun));
    CHECK(g.in(kLineStatus) == (kTransmitterIdle | kLsrDataReady));   // OE cleared by the read
    std::string got;
    for (size_t i = 0; i < typed.size(); ++i) got += static_cast<char>(g.in(kData));
    CHECK(got == typed);   // the waiting bytes survived the overrun, oldest first
    CHECK(g.in(kLineStatus) == kTransmitterIdle);
    CHECK(g.in(kData) == 0);   // nothing left
    CHECK(g.uart.receive_space() == VirtualUart::kReceiveFifoSize);
}

TEST_CASE("virtual UART: with the FIFOs off (16450 mode) the receiver holds one byte") {
    Guest g;   // power-on: FIFOs off
    CHECK(g.uart.receive_space() == 1);
    CHECK(g.type('x'));
    CHECK(g.uart.receive_space() == 0);
    CHECK_FALSE(g.type('y'));
    CHECK(g.uart.receive_overruns() == 1);
    CHECK(g.in(kLineStatus) == (kTransmitterIdle | kLsrDataReady | kLsrOverrun));
    CHECK(g.in(kData) == 'x');
    CHECK((g.in(kLineStatus) & kLsrDataReady) == 0);
    CHECK(g.type('z'));
    CHECK(g.in(kData) == 'z');
    CHECK(g.uart.bytes_received() == 2);
}

TEST_CASE("virtual UART: FCR: turning the FIFOs on or off, or its clear bit, empties the receiver; the trigger level is kept") {
    Guest g;
    CHECK(g.uart.receive_trigger_level() == 1);
    g.out(kFifoControl, kFcrEnable | kFcrTrigger8);
    CHECK(g.uart.receive_trigger_level() == 8);
    for (char c : std::string("abc")) g.type(static_cast<uint8_t>(c));

    g.out(kFifoControl, kFcrEnable | kFcrTrigger8 | kFcrClearTransmit);   // TX FIFO only: RX stays
    CHECK(g.uart.receive_space() == VirtualUart::kReceiveFifoSize - 3);
    g.out(kFifoControl, kFcrEnable | kFcrClearReceive | kFcrTrigger14);
    CHECK(g.uart.receive_space() == VirtualUart::kReceiveFifoSize);
    CHECK((g.in(kLineStatus) & kLsrDataReady) == 0);
    CHECK(g.uart.receive_trigger_level() == 14);

    g.type('d');
    g.out(kFifoControl, 0);   // FIFOs off: emptied; the other bits are not programmed
    CHECK((g.in(kLineStatus) & kLsrDataReady) == 0);
    CHECK(g.uart.receive_space() == 1);
    CHECK(g.uart.receive_trigger_level() == 14);

    g.type('e');
    g.out(kFifoControl, kFcrClearReceive);   // without FCR0 the clear bit is not taken
    CHECK(g.in(kData) == 'e');

    g.type('f');
    g.out(kFifoControl, kFcrEnable);   // FIFOs on again: emptied
    CHECK((g.in(kLineStatus) & kLsrDataReady) == 0);
    CHECK(g.uart.receive_trigger_level() == 1);
}

TEST_CASE("virtual UART: IIR reports the highest-priority pending interrupt, with bits 7:6 set in FIFO mode") {
    Guest g;
    g.out(kFifoControl, kFcrEnable);
    g.out(kModemControl, kMcrLoopback);   // CTS, DSR and DCD drop: modem status deltas
    g.out(kModemControl, 0);
    for (size_t i = 0; i <= VirtualUart::kReceiveFifoSize; ++i) g.type('a');   // data, and an overrun
    g.out(kInterruptEnable, kIerDefinedBits);   // everything on: THRE becomes pending too

    CHECK(g.in(kInterruptId) == (kIirFifosEnabled | kIirLineStatus));
    CHECK(g.iir_id() == kIirLineStatus);   // reading IIR does not end it ...
    g.in(kLineStatus);                     // ... reading LSR does
    CHECK(g.in(kInterruptId) == (kIirFifosEnabled | kIirReceivedData));
    for (size_t i = 1; i < VirtualUart::kReceiveFifoSize; ++i) g.in(kData);
    CHECK(g.iir_id() == kIirReceivedData);   // any byte left counts (no trigger level, no timeout)
    g.in(kData);
    CHECK(g.in(kInterruptId) == (kIirFifosEnabled | kIirTransmitterEmpty));   // reported, and so cleared
    CHECK(g.in(kInterruptId) == (kIirFifosEnabled | kIirModemStatus));
    CHECK(g.iir_id() == kIirModemStatus);
    g.in(kModemStatus);
    CHECK(g.in(kInterruptId) == (kIirFifosEnabled | kIirNoInterrupt));
    CHECK_FALSE(g.uart.interrupt_asserted());
}

TEST_CASE("virtual UART: IIR's FIFO bits follow FCR0, and DLAB changes neither IIR nor FCR") {
    Guest g;
    CHECK(g.in(kInterruptId) == kIirNoInterrupt);
    g.out(kFifoControl, kFcrEnable);
    CHECK(g.in(kInterruptId) == (kIirFifosEnabled | kIirNoInterrupt));
    g.out(kLineControl, kLcrDivisorLatch);
    CHECK(g.in(kInterruptId) == (kIirFifosEnabled | kIirNoInterrupt));
    g.out(kFifoControl, 0);
    CHECK(g.in(kInterruptId) == kIirNoInterrupt);
}

TEST_CASE("virtual UART: THRE interrupt: pending once ETBEI is set, cleared by reading IIR, re-armed by THR writes and by re-enabling ETBEI") {
    g_lines.clear();
    g_line_ends.clear();
    Guest g;
    CHECK_FALSE(g.uart.interrupt_asserted());
    g.out(kInterruptEnable, kIerTransmitterEmpty);   // THR is empty: pending at once
    CHECK(g.uart.interrupt_asserted());
    CHECK(g.iir_id() == kIirTransmitterEmpty);
    CHECK_FALSE(g.uart.interrupt_asserted());   // the IIR read acknowledged it
    CHECK(g.iir_id() == kIirNoInterrupt);

    g.out(kInterruptEnable, kIerTransmitterEmpty | kIerReceivedData);   // ETBEI stays set: no new event
    CHECK_FALSE(g.uart.interrupt_asserted());

    g.out(kData, 'x');   // the byte leaves at once, THR is empty again
    CHECK(g.uart.interrupt_asserted());
    CHECK(g.iir_id() == kIirTransmitterEmpty);
    CHECK_FALSE(g.uart.interrupt_asserted());

    g.out(kInterruptEnable, 0);
    g.out(kInterruptEnable, kIerTransmitterEmpty);   // enabled again: re-triggered
    CHECK(g.uart.interrupt_asserted());
    g.out(kInterruptEnable, 0);   // disabled: forgotten
    CHECK_FALSE(g.uart.interrupt_asserted());
    CHECK(g.iir_id() == kIirNoInterrupt);

    g.out(kInterruptEnable, kIerTransmitterEmpty | kIerReceivedData);
    g.type('r');
    CHECK(g.iir_id() == kIirReceivedData);       // a higher-priority source is reported ...
    g.in(kData);
    CHECK(g.iir_id() == kIirTransmitterEmpty);   // ... and THRE stayed pending behind it
    CHECK(g.iir_id() == kIirNoInterrupt);

    g.uart.write_text("hi\n", 3, sink, nullptr);   // the hypercall path does not use THR
    CHECK_FALSE(g.uart.interrupt_asserted());
    // "x" was passed on, to be continued, when ETBEI went off; "hi" ends it.
    CHECK(g_lines == std::vector<std::string>{"x", "hi"});
    CHECK(g_line_ends == std::vector<bool>{false, true});
}

TEST_CASE("virtual UART: the interrupt output follows IER, and MCR.OUT2 does not gate it") {
    Guest g;
    g.type('k');
    CHECK_FALSE(g.uart.interrupt_asserted());   // IER 0: nothing enabled
    g.out(kInterruptEnable, kIerReceivedData);
    CHECK(g.in(kModemControl) == 0);   // OUT2 low, the output is asserted all the same
    CHECK(g.uart.interrupt_asserted());
    g.out(kModemControl, kMcrOut2);
    CHECK(g.uart.interrupt_asserted());
    g.out(kInterruptEnable, 0);
    CHECK_FALSE(g.uart.interrupt_asserted());
    g.out(kInterruptEnable, kIerReceivedData);
    CHECK(g.uart.interrupt_asserted());
    g.in(kData);   // the data was taken
    CHECK_FALSE(g.uart.interrupt_asserted());

    g.type('a');
    g.type('b');   // an overrun: 16450 mode holds one byte
    g.out(kInterruptEnable, kIerLineStatus);
    CHECK(g.uart.interrupt_asserted());
    g.in(kLineStatus);
    CHECK_FALSE(g.uart.interrupt_asserted());   // 'a' still waits, but ERBFI is off

    g.out(kInterruptEnable, kIerModemStatus);
    CHECK_FALSE(g.uart.interrupt_asserted());
    g.out(kModemControl, kMcrLoopback);   // the modem inputs change
    CHECK(g.uart.interrupt_asserted());
    g.in(kModemStatus);
    CHECK_FALSE(g.uart.interrupt_asserted());
}

TEST_CASE("virtual UART: loopback: transmitted bytes are received, MSR mirrors MCR, the line is disconnected") {
    g_lines.clear();
    g_line_ends.clear();
    Guest g;
    g.out(kFifoControl, kFcrEnable);
    g.out(kModemControl, kMcrLoopback);
    for (char c : std::string("pq\n")) g.out(kData, static_cast<uint8_t>(c));
    CHECK(g_lines.empty());
    CHECK(g.uart.bytes_transmitted() == 0);
    CHECK(g.uart.bytes_received() == 3);
    CHECK(g.in(kData) == 'p');
    CHECK(g.in(kData) == 'q');
    CHECK(g.in(kData) == '\n');

    CHECK(g.uart.receive_space() == 0);   // the console's input waits for the guest to leave loopback
    CHECK_FALSE(g.type('z'));
    CHECK(g.uart.receive_overruns() == 0);
    CHECK((g.in(kLineStatus) & kLsrDataReady) == 0);

    struct Wire {
        uint8_t mcr, msr;
    };
    for (const Wire w : {Wire{kMcrDtr, kMsrDsr}, Wire{kMcrRts, kMsrCts}, Wire{kMcrOut1, kMsrRi},
                         Wire{kMcrOut2, kMsrDcd}, Wire{0, 0}}) {
        g.out(kModemControl, kMcrLoopback | w.mcr);
        CHECK((g.in(kModemStatus) & kMsrInputBits) == w.msr);
    }

    g.out(kInterruptEnable, kIerReceivedData);   // interrupts work in loopback
    CHECK_FALSE(g.uart.interrupt_asserted());
    g.out(kData, 'i');
    CHECK(g.uart.interrupt_asserted());
    for (size_t i = 0; i < VirtualUart::kReceiveFifoSize; ++i) g.out(kData, 'o');
    CHECK(g.uart.receive_overruns() == 1);
    CHECK((g.in(kLineStatus) & kLsrOverrun) != 0);

    g.out(kModemControl, 0);   // back on the line
    CHECK(g.uart.receive_space() == 0);   // the FIFO is still full
    CHECK((g.in(kModemStatus) & kMsrInputBits) == kCarrierReady);
    out(g.uart, "back\n");
    CHECK(g_lines == std::vector<std::string>{"back"});
}

TEST_CASE("virtual UART: MSR: carrier ready outside loopback; its delta bits record changes until it is read") {
    Guest g;
    CHECK(g.in(kModemStatus) == kCarrierReady);
    g.out(kModemControl, kMcrLoopback | kMcrRts | kMcrOut2);   // CTS and DCD stay on, DSR drops
    CHECK(g.in(kModemStatus) == (kMsrCts | kMsrDcd | kMsrDeltaDsr));
    CHECK(g.in(kModemStatus) == (kMsrCts | kMsrDcd));   // deltas cleared by the read
    g.out(kModemControl, kMcrLoopback | kMcrRts | kMcrOut2 | kMcrOut1);
    CHECK(g.in(kModemStatus) == (kMsrCts | kMsrDcd | kMsrRi));   // RI rising is no delta ...
    g.out(kModemControl, kMcrLoopback | kMcrRts | kMcrOut2);
    CHECK(g.in(kModemStatus) == (kMsrCts | kMsrDcd | kMsrTrailingEdgeRi));   // ... its trailing edge is
    g.out(kModemControl, 0);
    CHECK(g.in(kModemStatus) == (kCarrierReady | kMsrDeltaDsr));
    CHECK(g.in(kModemStatus) == kCarrierReady);
}

TEST_CASE("virtual UART: LSR: the transmitter is always idle; OE shows once, and is cleared by the read") {
    Guest g;
    CHECK(g.in(kLineStatus) == kTransmitterIdle);
    out(g.uart, "busy?");
    CHECK(g.in(kLineStatus) == kTransmitterIdle);
    g.type('1');
    g.type('2');
    CHECK(g.in(kLineStatus) == (kTransmitterIdle | kLsrDataReady | kLsrOverrun));
    CHECK(g.in(kLineStatus) == (kTransmitterIdle | kLsrDataReady));
    g.type('3');   // still full: a second overrun
    CHECK((g.in(kLineStatus) & kLsrOverrun) != 0);
    CHECK(g.uart.receive_overruns() == 2);
}

TEST_CASE("virtual UART: the divisor latch is reached with DLAB and leaves RBR, THR and IER alone") {
    g_lines.clear();
    g_line_ends.clear();
    Guest g;
    g.type('r');
    g.out(kInterruptEnable, kIerReceivedData);
    g.out(kLineControl, kLcrDivisorLatch | kLcr8N1);
    g.out(kData, kDivisor9600);
    g.out(kInterruptEnable, 0);
    CHECK(g.in(kData) == kDivisor9600);
    CHECK(g.in(kInterruptEnable) == 0);
    CHECK(g.uart.bytes_transmitted() == 0);
    g.out(kLineControl, kLcr8N1);
    CHECK(g.in(kLineControl) == kLcr8N1);
    CHECK(g.in(kInterruptEnable) == kIerReceivedData);
    CHECK(g.in(kData) == 'r');   // reading DLL did not take it
    g.out(kLineControl, kLcrDivisorLatch);
    CHECK(g.in(kData) == kDivisor9600);
    CHECK(g_lines.empty());
}

TEST_CASE("virtual UART: IER keeps its low four bits, MCR its low five; LCR and SCR keep all eight") {
    Guest g;
    g.out(kInterruptEnable, kAllOnes);
    CHECK(g.in(kInterruptEnable) == kIerDefinedBits);
    g.out(kModemControl, kAllOnes);
    CHECK(g.in(kModemControl) == kMcrDefinedBits);
    g.out(kScratch, kAllOnes);
    CHECK(g.in(kScratch) == kAllOnes);
    g.out(kLineControl, kAllOnes);
    CHECK(g.in(kLineControl) == kAllOnes);
}

TEST_CASE("virtual UART: reset gives the power-on state") {
    g_lines.clear();
    g_line_ends.clear();
    Guest g;
    g.out(kFifoControl, kFcrEnable | kFcrTrigger14);
    g.out(kInterruptEnable, kIerDefinedBits);
    g.out(kModemControl, kMcrLoopback | kMcrOut2);
    g.out(kData, 'l');
    g.out(kModemControl, kMcrDtr | kMcrRts | kMcrOut2);
    g.out(kScratch, kAllOnes);
    for (size_t i = 0; i <= VirtualUart::kReceiveFifoSize; ++i) g.type('a');
    out(g.uart, "partial");
    g.out(kLineControl, kLcr8N1);
    REQUIRE(g.uart.interrupt_asserted());

    g.uart.reset();
    CHECK_FALSE(g.uart.interrupt_asserted());
    CHECK(g.in(kInterruptEnable) == 0);
    CHECK(g.in(kInterruptId) == kIirNoInterrupt);   // FIFOs off, nothing pending
    CHECK(g.in(kLineControl) == 0);
    CHECK(g.in(kModemControl) == 0);
    CHECK(g.in(kLineStatus) == kTransmitterIdle);
    CHECK(g.in(kModemStatus) == kCarrierReady);
    CHECK(g.in(kScratch) == 0);
    CHECK(g.in(kData) == 0);
    CHECK(g.uart.receive_space() == 1);
    CHECK(g.uart.receive_trigger_level() == 1);
    CHECK(g.uart.bytes_received() == 0);
    CHECK(g.uart.receive_overruns() == 0);
    CHECK(g.uart.bytes_transmitted() == 0);
    g.uart.flush(sink, nullptr);
    CHECK(g_lines.empty());
}

TEST_CASE("virtual UART: write_text and THR bytes share one line buffer") {
    g_lines.clear();
    g_line_ends.clear();
    VirtualUart uart;
    out(uart, "ab");
    uart.write_text("cd\nef", 5, sink, nullptr);
    out(uart, "\r\n");
    CHECK(g_lines == std::vector<std::string>{"abcd", "ef"});
    CHECK(uart.bytes_transmitted() == 9);
}

// ---- what Linux 6.1's 8250 driver does (drivers/tty/serial/8250/8250_port.c) --
//
// The register sequences of autoconfig(), serial8250_do_startup(), the
// interrupt handler and the console, replayed step by step. The names and
// values are Linux's (include/uapi/linux/serial_reg.h), written out here
// rather than taken from uart16550_defs.hpp, so these tests also check
// those definitions against what Linux expects.

namespace {
namespace linux8250 {

constexpr uint16_t UART_RX = 0, UART_TX = 0, UART_IER = 1, UART_IIR = 2, UART_FCR = 2, UART_EFR = 2;
constexpr uint16_t UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6;
constexpr uint16_t UART_DLL = 0, UART_DLM = 1;
constexpr uint16_t NS_EXCR1 = 2;   // behind LCR 0xe0 on National Semiconductor SuperIO parts

constexpr uint8_t UART_IER_RDI = 0x01, UART_IER_THRI = 0x02, UART_IER_RLSI = 0x04, UART_IER_UUE = 0x40;
constexpr uint8_t UART_IIR_NO_INT = 0x01;
constexpr uint8_t UART_FCR_ENABLE_FIFO = 0x01, UART_FCR_CLEAR_RCVR = 0x02, UART_FCR_CLEAR_XMIT = 0x04;
constexpr uint8_t UART_FCR7_64BYTE = 0x20, UART_FCR_R_TRIG_10 = 0x80;
constexpr uint8_t UART_LCR_WLEN8 = 0x03, UART_LCR_DLAB = 0x80;
constexpr uint8_t UART_LCR_CONF_MODE_A = 0x80, UART_LCR_CONF_MODE_B = 0xbf, NS_LCR_BANK = 0xe0;
constexpr uint8_t UART_MCR_DTR = 0x01, UART_MCR_RTS = 0x02, UART_MCR_OUT2 = 0x08, UART_MCR_LOOP = 0x10;
constexpr uint8_t UART_LSR_DR = 0x01, UART_LSR_THRE = 0x20, UART_LSR_TEMT = 0x40;
constexpr uint8_t BOTH_EMPTY = UART_LSR_TEMT | UART_LSR_THRE;
constexpr uint8_t UART_MSR_CTS = 0x10, UART_MSR_DCD = 0x80, UART_MSR_STATUS_BITS = 0xf0;

constexpr uint8_t kIerTestBits = 0x0f;   // autoconfig's IER test writes and expects these
constexpr unsigned kIirFifoShift = 6, kIir64ByteShift = 5;
constexpr uint8_t kFifoBits16550A = 3;   // IIR bits 7:6 both set
constexpr uint8_t kTi16750Plain = 6, kTi16750Wide = 7;
constexpr unsigned kSizeFifoBytes = 256;
constexpr int kU6FifoSize = 64;
constexpr uint8_t kFifoSize16550A = 16;   // uart_config[PORT_16550A].tx_loadsz
constexpr uint8_t kLsrAbsent = 0xff;      // what an empty ISA slot reads

// size_fifo(): sends 256 bytes in loopback and counts what the receiver kept.
int size_fifo(Guest& g) {
    const uint8_t old_lcr = g.in(UART_LCR);
    g.out(UART_LCR, 0);
    const uint8_t old_fcr = g.in(UART_FCR);   // reads IIR, as Linux does
    const uint8_t old_mcr = g.in(UART_MCR);
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
    g.out(UART_MCR, UART_MCR_LOOP);
    g.out(UART_LCR, UART_LCR_CONF_MODE_A);
    const uint8_t old_dll = g.in(UART_DLL), old_dlm = g.in(UART_DLM);
    g.out(UART_DLL, 1);
    g.out(UART_DLM, 0);
    g.out(UART_LCR, UART_LCR_WLEN8);
    for (unsigned count = 0; count < kSizeFifoBytes; ++count) g.out(UART_TX, static_cast<uint8_t>(count));
    int count = 0;
    for (; (g.in(UART_LSR) & UART_LSR_DR) != 0 && count < static_cast<int>(kSizeFifoBytes); ++count) g.in(UART_RX);
    g.out(UART_FCR, old_fcr);
    g.out(UART_MCR, old_mcr);
    g.out(UART_LCR, UART_LCR_CONF_MODE_A);
    g.out(UART_DLL, old_dll);
    g.out(UART_DLM, old_dlm);
    g.out(UART_LCR, old_lcr);
    return count;
}

// autoconfig_16550a(): rules out the chips that only look like a 16550A.
std::string autoconfig_16550a(Guest& g) {
    g.out(UART_LCR, UART_LCR_CONF_MODE_A);
    if (g.in(UART_EFR) == 0) return "ST16650 (EFR with DLAB)";
    g.out(UART_LCR, UART_LCR_CONF_MODE_B);
    if (g.in(UART_EFR) == 0) return "ST16650V2 (EFR behind 0xbf)";

    g.out(UART_LCR, 0);
    uint8_t status1 = g.in(UART_MCR);
    g.out(UART_LCR, NS_LCR_BANK);
    uint8_t status2 = g.in(NS_EXCR1);
    if (((status2 ^ status1) & UART_MCR_LOOP) == 0) {
        g.out(UART_LCR, 0);
        g.out(UART_MCR, status1 ^ UART_MCR_LOOP);
        g.out(UART_LCR, NS_LCR_BANK);
        status2 = g.in(NS_EXCR1);
        g.out(UART_LCR, 0);
        g.out(UART_MCR, status1);
        if (((status2 ^ status1) & UART_MCR_LOOP) != 0) return "NS16550A";
    }

    g.out(UART_LCR, 0);
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
    status1 = g.in(UART_IIR) >> kIir64ByteShift;
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO);
    g.out(UART_LCR, UART_LCR_CONF_MODE_A);
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
    status2 = g.in(UART_IIR) >> kIir64ByteShift;
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO);
    g.out(UART_LCR, 0);
    if (status1 == kTi16750Plain && status2 == kTi16750Wide) return "TI16750";

    const uint8_t iersave = g.in(UART_IER);
    g.out(UART_IER, iersave & ~UART_IER_UUE);
    if ((g.in(UART_IER) & UART_IER_UUE) == 0) {
        g.out(UART_IER, iersave | UART_IER_UUE);
        if ((g.in(UART_IER) & UART_IER_UUE) != 0) return "XScale";
    }
    g.out(UART_IER, iersave);

    if (size_fifo(g) == kU6FifoSize) return "U6_16550A";
    return "16550A";
}

void clear_fifos(Guest& g) {
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO);
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
    g.out(UART_FCR, 0);
}

// autoconfig(): the port's type, or why there is no UART.
std::string autoconfig(Guest& g) {
    const uint8_t scratch = g.in(UART_IER);
    g.out(UART_IER, 0);
    const uint8_t scratch2 = g.in(UART_IER) & kIerTestBits;
    g.out(UART_IER, kIerTestBits);
    const uint8_t scratch3 = g.in(UART_IER) & kIerTestBits;
    g.out(UART_IER, scratch);
    if (scratch2 != 0 || scratch3 != kIerTestBits) return "IER test failed";

    const uint8_t save_mcr = g.in(UART_MCR);
    const uint8_t save_lcr = g.in(UART_LCR);
    g.out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
    const uint8_t status1 = g.in(UART_MSR) & UART_MSR_STATUS_BITS;
    g.out(UART_MCR, save_mcr);
    if (status1 != (UART_MSR_DCD | UART_MSR_CTS)) return "LOOP test failed";

    g.out(UART_LCR, UART_LCR_CONF_MODE_B);
    g.out(UART_EFR, 0);
    g.out(UART_LCR, 0);
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO);
    const uint8_t fifo_bits = g.in(UART_IIR) >> kIirFifoShift;
    const std::string type = fifo_bits == kFifoBits16550A ? autoconfig_16550a(g) : "not a 16550A";
    g.out(UART_LCR, save_lcr);

    g.out(UART_MCR, save_mcr);
    clear_fifos(g);
    g.in(UART_RX);
    g.out(UART_IER, 0);
    return type;
}

struct StartupResult {
    bool present = false, bug_thre = false, bug_txen = false;
};

// serial8250_do_startup() for a port with an IRQ, up to "finally, enable
// interrupts", followed by what set_termios() and set_mctrl() write.
StartupResult startup(Guest& g) {
    StartupResult r;
    clear_fifos(g);
    g.in(UART_LSR);
    g.in(UART_RX);
    g.in(UART_IIR);
    g.in(UART_MSR);
    if (g.in(UART_LSR) == kLsrAbsent) return r;
    r.present = true;

    // The UART_BUG_THRE test: does THRE re-assert once it was acknowledged?
    while ((g.in(UART_LSR) & UART_LSR_THRE) == 0) {}
    g.out(UART_IER, UART_IER_THRI);
    const uint8_t iir1 = g.in(UART_IIR);
    g.out(UART_IER, 0);
    g.out(UART_IER, UART_IER_THRI);
    const uint8_t iir = g.in(UART_IIR);
    g.out(UART_IER, 0);
    r.bug_thre = (iir1 & UART_IIR_NO_INT) == 0 && (iir & UART_IIR_NO_INT) != 0;

    g.out(UART_LCR, UART_LCR_WLEN8);
    g.out(UART_MCR, UART_MCR_OUT2);

    // The UART_BUG_TXEN test: is there a THRE interrupt when the transmitter is idle?
    g.out(UART_IER, UART_IER_THRI);
    const uint8_t lsr = g.in(UART_LSR);
    const uint8_t iir2 = g.in(UART_IIR);
    g.out(UART_IER, 0);
    r.bug_txen = (lsr & UART_LSR_TEMT) != 0 && (iir2 & UART_IIR_NO_INT) != 0;

    g.in(UART_LSR);
    g.in(UART_RX);
    g.in(UART_IIR);
    g.in(UART_MSR);
    g.out(UART_IER, UART_IER_RLSI | UART_IER_RDI);

    // set_termios(): 115200 8N1, FIFO trigger at 8; set_mctrl(): DTR, RTS, OUT2.
    g.out(UART_LCR, UART_LCR_WLEN8 | UART_LCR_DLAB);
    g.out(UART_DLL, 1);
    g.out(UART_DLM, 0);
    g.out(UART_LCR, UART_LCR_WLEN8);
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO);
    g.out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_R_TRIG_10);
    g.out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
    return r;
}

// The driver side of a started port: its copy of IER, the transmit buffer,
// what it received, and the handler serial8250_interrupt() runs.
struct Driver {
    explicit Driver(Guest& guest) : g(guest) {}

    Guest& g;
    uint8_t ier = UART_IER_RLSI | UART_IER_RDI;
    std::string xmit, received;
    unsigned handled = 0;

    void stop_tx() {
        if ((ier & UART_IER_THRI) == 0) return;
        ier &= ~UART_IER_THRI;
        g.out(UART_IER, ier);
    }
    void start_tx(const std::string& text) {   // uart_write() then serial8250_start_tx()
        xmit += text;
        if ((ier & UART_IER_THRI) != 0) return;
        ier |= UART_IER_THRI;
        g.out(UART_IER, ier);
    }
    void tx_chars() {
        for (unsigned count = kFifoSize16550A; count > 0 && !xmit.empty(); --count) {
            g.out(UART_TX, static_cast<uint8_t>(xmit.front()));
            xmit.erase(0, 1);
        }
        if (xmit.empty()) stop_tx();
    }
    uint8_t rx_chars(uint8_t lsr) {
        do {
            received += static_cast<char>(g.in(UART_RX));
            lsr = g.in(UART_LSR);
        } while ((lsr & UART_LSR_DR) != 0);
        return lsr;
    }
    bool handle_irq() {   // serial8250_handle_irq()
        const uint8_t iir = g.in(UART_IIR);
        if ((iir & UART_IIR_NO_INT) != 0) return false;
        uint8_t lsr = g.in(UART_LSR);
        if ((lsr & UART_LSR_DR) != 0) lsr = rx_chars(lsr);
        g.in(UART_MSR);
        if ((lsr & UART_LSR_THRE) != 0 && (ier & UART_IER_THRI) != 0) tx_chars();
        ++handled;
        return true;
    }
    // IRQ 4 is edge-triggered: each rising edge of the output delivers one
    // interrupt; the handler then runs until IIR says nothing is pending.
    void deliver_interrupts(unsigned& edges_seen) {
        while (edges_seen != g.rising_edges) {
            edges_seen = g.rising_edges;
            while (handle_irq()) {}
        }
    }
};

}  // namespace linux8250
}  // namespace

TEST_CASE("virtual UART: Linux 8250 autoconfig finds a 16550A with a 16-byte FIFO") {
    using namespace linux8250;
    g_lines.clear();
    g_line_ends.clear();
    Guest g;
    CHECK(autoconfig(g) == "16550A");
    CHECK(size_fifo(g) == VirtualUart::kReceiveFifoSize);
    CHECK(g.uart.receive_overruns() == 2 * (kSizeFifoBytes - VirtualUart::kReceiveFifoSize));   // both runs
    CHECK(g_lines.empty());                  // the probes' bytes stayed in loopback
    CHECK(g.uart.bytes_transmitted() == 0);
    CHECK_FALSE(g.uart.interrupt_asserted());
    CHECK(g.in(UART_MCR) == 0);              // restored
    CHECK(g.in(UART_LCR) == 0);
}

TEST_CASE("virtual UART: Linux 8250 startup finds THRE working: no UART_BUG_THRE, no UART_BUG_TXEN") {
    using namespace linux8250;
    Guest g;
    autoconfig(g);
    const StartupResult r = startup(g);
    CHECK(r.present);
    CHECK_FALSE(r.bug_thre);
    CHECK_FALSE(r.bug_txen);
    CHECK(g.in(UART_IER) == (UART_IER_RLSI | UART_IER_RDI));
    CHECK(g.uart.receive_trigger_level() == 8);
    CHECK_FALSE(g.uart.interrupt_asserted());
}

namespace {
// The port as Linux's 8250 driver leaves it once probed and opened, with
// nothing printed yet.
void open_port(Guest& g) {
    g_lines.clear();
    g_line_ends.clear();
    linux8250::autoconfig(g);
    linux8250::startup(g);
}
}  // namespace

TEST_CASE("virtual UART: Linux's interrupt-driven transmit and receive run to completion on an edge-triggered IRQ") {
    using namespace linux8250;
    Guest g;
    open_port(g);
    Driver d(g);
    unsigned edges = g.rising_edges;
    const uint64_t probe_overruns = g.uart.receive_overruns();   // size_fifo() overran on purpose

    const std::string banner = std::string(100, '=') + "\r\nlogin: ";
    d.start_tx(banner + "\r\n");
    CHECK(g.rising_edges == edges + 1);   // enabling THRI raised the interrupt
    d.deliver_interrupts(edges);
    CHECK(d.xmit.empty());
    CHECK(g_lines == std::vector<std::string>{std::string(100, '='), "login: "});
    CHECK((d.ier & UART_IER_THRI) == 0);
    CHECK_FALSE(g.uart.interrupt_asserted());

    const std::string typed = "root\r";
    for (char c : typed) {
        g.type(static_cast<uint8_t>(c));
        d.deliver_interrupts(edges);   // each keystroke is an interrupt of its own
    }
    CHECK(d.received == typed);

    // Typing while output is under way: both directions finish.
    d.start_tx(std::string(40, 'x') + "\n");
    for (char c : std::string("ls\r")) g.type(static_cast<uint8_t>(c));
    d.deliver_interrupts(edges);
    CHECK(d.received == typed + "ls\r");
    CHECK(d.xmit.empty());
    CHECK(g_lines.back() == std::string(40, 'x'));
    CHECK_FALSE(g.uart.interrupt_asserted());
    CHECK(g.uart.receive_overruns() == probe_overruns);
}

TEST_CASE("virtual UART: Linux's serial console polls LSR, and restoring IER re-triggers THRE for pending output") {
    using namespace linux8250;
    Guest g;
    open_port(g);
    Driver d(g);
    unsigned edges = g.rising_edges;
    d.start_tx(std::string(40, 't') + "\n");   // interrupt-driven output, its interrupt not yet serviced
    const unsigned before_console = g.rising_edges;

    // serial8250_console_write(): IER off, each byte after THRE, wait for
    // both empty, IER back as it was.
    const uint8_t saved_ier = g.in(UART_IER);
    g.out(UART_IER, 0);
    for (char c : std::string("console\r\n")) {
        while ((g.in(UART_LSR) & UART_LSR_THRE) == 0) {}
        g.out(UART_TX, static_cast<uint8_t>(c));
    }
    while ((g.in(UART_LSR) & BOTH_EMPTY) != BOTH_EMPTY) {}
    g.out(UART_IER, saved_ier);
    CHECK(g_lines == std::vector<std::string>{"console"});
    CHECK(g.rising_edges == before_console + 1);   // THRI set again: THRE pending again

    d.deliver_interrupts(edges);   // the restored THRI brought the THRE interrupt back
    CHECK(d.xmit.empty());
    CHECK(g_lines == std::vector<std::string>{"console", std::string(40, 't')});

    // serial8250_get_poll_char() (kgdb, early polling consoles).
    g.out(UART_IER, 0);
    g.type('q');
    CHECK((g.in(UART_LSR) & UART_LSR_DR) != 0);
    CHECK(g.in(UART_RX) == 'q');
    CHECK((g.in(UART_LSR) & UART_LSR_DR) == 0);
}
