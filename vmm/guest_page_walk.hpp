// Translating a guest's linear address to a guest-physical one by walking the
// guest's own page tables, as the CPU would. The hypervisor needs this when
// it must read guest memory named by a linear address - above all the bytes
// of an instruction it emulates (an access to an emulated device's memory-
// mapped registers exits with the guest-physical address of the data, but
// only the linear address of the instruction, RIP).
//
// Supported: paging off (linear = physical) and 4-level long-mode paging with
// 4 KiB, 2 MiB and 1 GiB pages, which is what 64-bit guests (Linux) use. The
// 32-bit paging modes are refused with UnsupportedMode. Only translation is
// done: no access rights are checked and no accessed/dirty bits are set (the
// CPU already checked the guest's rights when it ran the instruction).
//
// Pure code over GuestMemory: tests/unit/test_guest_page_walk.cpp.
#pragma once

#include <stdint.h>

#include "vmm/guest_loader.hpp"

namespace bulkhead {

struct GuestPagingState {
    bool paging;      // CR0.PG
    bool long_mode;   // EFER.LMA (with CR4.PAE)
    uint64_t cr3;
};

enum class WalkError : uint8_t {
    None,
    UnsupportedMode,   // 32-bit paging or PAE without long mode
    NotCanonical,      // bits 63:47 are not copies of bit 47
    NotPresent,        // an entry on the way is not present
    TableOutsideMemory,  // a table lies outside the partition's memory
    PageOutsideMemory,   // the page it maps lies outside the partition's memory
};
const char* to_string(WalkError error);

struct WalkResult {
    WalkError error;
    uint64_t guest_physical;   // with WalkError::None
    uint64_t bytes_left_in_page;   // from the address to the end of its page
};

WalkResult translate_linear(const GuestMemory& memory, const GuestPagingState& paging, uint64_t linear);

// Copies `length` bytes at guest-linear `linear` into `out`, page by page
// (a read may cross into a page mapped elsewhere). Fails, copying nothing
// useful, if any byte is not mapped or not inside the partition's memory.
WalkError read_linear(const GuestMemory& memory, const GuestPagingState& paging, uint64_t linear, uint8_t* out,
                      uint64_t length);

}  // namespace bulkhead
