#include "drivers/emulator_exit.hpp"

#include "arch/x86_64/cpu.hpp"

namespace bulkhead::emulator {

void exit_with(uint8_t code, bool pass) {
    // QEMU first: on Bochs and real hardware nothing decodes port 0xf4.
    x86::out32(kQemuDebugExitPort, code);
    if (pass) {
        x86::out8(kBochsShutdownPort, static_cast<uint8_t>(kBochsEnterDebugger));
    } else {
        for (const char* c = kBochsShutdown; *c != '\0'; ++c) x86::out8(kBochsShutdownPort, static_cast<uint8_t>(*c));
    }
}

}  // namespace bulkhead::emulator
