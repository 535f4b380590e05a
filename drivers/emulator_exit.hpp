// Test devices of the emulators Bulkhead's CI runs in, used by on_exit=emulator
// to turn a run's result into the emulator's exit status.
#pragma once

#include <stdint.h>

namespace bulkhead::emulator {

// QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=4):
// a 32-bit write of c makes QEMU exit with status (c << 1) | 1.
inline constexpr uint16_t kQemuDebugExitPort = 0xf4;

// Bochs' shutdown port: the bytes of "Shutdown" end the simulation (exit
// status 1); a single 'D' enters the debugger, whose rc file then quits with
// status 0. That pair is Bochs' only pass/fail signal.
inline constexpr uint16_t kBochsShutdownPort = 0x8900;
inline constexpr char kBochsEnterDebugger = 'D';
inline constexpr const char* kBochsShutdown = "Shutdown";

// Bochs' port 0xe9 hack prints bytes on the emulator's own console/log.
inline constexpr uint16_t kBochsDebugConsolePort = 0xe9;

// Tries each emulator's exit device in turn. Returns only on a machine that
// has none of them (real hardware, or QEMU without isa-debug-exit).
void exit_with(uint8_t code, bool pass);

}  // namespace bulkhead::emulator
