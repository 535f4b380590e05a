// What the guest loaders share: the ELF/multiboot/raw loader
// (guest_loader.cpp) and the Linux bzImage loader (linux_loader.cpp).
//
//   - range arithmetic that untrusted numbers cannot make wrap around;
//   - typed reads from an image and typed writes into guest memory;
//   - the 64-bit identity map at guest_layout::kPml4;
//   - the register state of a guest entered in long mode with that map.
//
// Internal to vmm/: guest_loader.hpp and linux_loader.hpp are the interfaces.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/string.hpp"
#include "vmm/guest_loader.hpp"

namespace bulkhead::guest_boot {

// True when [start, start + length) lies inside [0, limit). start + length
// itself may not fit in 64 bits (think p_paddr = 0xffffffffffff0000), so the
// test compares against limit - length, which cannot wrap once length <= limit.
constexpr bool fits_within(uint64_t start, uint64_t length, uint64_t limit) {
    return length <= limit && start <= limit - length;
}

// True when [start, start + length) and [area_start, area_end) share a byte.
// Only for ranges already known to fit in memory, so start + length is exact.
constexpr bool overlaps(uint64_t start, uint64_t length, uint64_t area_start, uint64_t area_end) {
    return length != 0 && start < area_end && area_start < start + length;
}

// A copy of the T at image[offset]; the caller has checked that it is all
// there. memcpy, not a cast: module bytes have no alignment guarantee.
template <class T>
T read_image(const uint8_t* image, size_t offset) {
    T value;
    memcpy(&value, image + offset, sizeof(T));
    return value;
}

// Stores value at guest-physical gpa; the caller guarantees it fits.
template <class T>
void write_guest(GuestMemory memory, uint64_t gpa, const T& value) {
    memcpy(memory.host + gpa, &value, sizeof(T));
}

// Identity map of all guest memory with 2 MiB pages, at the addresses of
// guest_layout.hpp. memory.size is a multiple of 2 MiB up to 4 GiB (checked
// by the caller), and [0x3000, 0x9000) is free.
void build_identity_map(GuestMemory memory);

// CR0 of every protected-mode guest: PE, plus ET (hardwired) and NE (VMX
// requires it; the guest sees its own value through the read shadow).
uint64_t protected_mode_cr0();

// Long mode with paging on through build_identity_map()'s tables, entered at
// rip. The caller sets the stack, the selectors and the GDT.
GuestEntryState long_mode_state(uint64_t rip);

}  // namespace bulkhead::guest_boot
