#include "drivers/legacy_pic.hpp"

#include <stdint.h>

#include "arch/x86_64/cpu.hpp"

namespace bulkhead {

namespace {
constexpr uint16_t kPrimaryData = 0x21;     // interrupt mask register of the primary 8259
constexpr uint16_t kSecondaryData = 0xa1;   // and of the secondary
constexpr uint8_t kMaskAllLines = 0xff;
}  // namespace

void mask_legacy_pic() {
    x86::out8(kPrimaryData, kMaskAllLines);
    x86::out8(kSecondaryData, kMaskAllLines);
}

}  // namespace bulkhead
