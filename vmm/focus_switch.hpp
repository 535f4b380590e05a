// The key sequence that moves the console's input focus from one partition
// to the next (vmm/console_input.hpp): Ctrl-A three times in a row.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

inline constexpr uint8_t kFocusSwitchKey = 0x01;   // Ctrl-A
inline constexpr unsigned kFocusSwitchPresses = 3;

// Watches the typed bytes for the switch sequence. Ctrl-As are held back
// while they might still become a switch; if another byte follows first,
// they are passed on before it, so a guest still receives single Ctrl-As
// (the shell's "beginning of line"). Pure code: tests/unit/test_console_input.cpp.
class FocusSwitchDetector {
public:
    struct Result {
        uint8_t bytes[kFocusSwitchPresses];   // to pass on to the focused partition, in order
        size_t count;
        bool switch_focus;                    // the sequence is complete: move the focus
    };
    Result feed(uint8_t byte);

private:
    unsigned held_ = 0;   // Ctrl-As seen in a row and not passed on yet
};

}  // namespace bulkhead
