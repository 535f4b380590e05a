#include "vmm/focus_switch.hpp"

namespace bulkhead {

FocusSwitchDetector::Result FocusSwitchDetector::feed(uint8_t byte) {
    Result r{};
    if (byte == kFocusSwitchKey) {
        if (++held_ == kFocusSwitchPresses) {
            held_ = 0;
            r.switch_focus = true;
        }
        return r;
    }
    // Not a switch after all: the held Ctrl-As were meant for the guest.
    for (; held_ != 0; --held_) r.bytes[r.count++] = kFocusSwitchKey;
    r.bytes[r.count++] = byte;
    return r;
}

}  // namespace bulkhead
