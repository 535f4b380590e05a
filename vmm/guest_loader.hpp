// The guest image loader: turns a boot module's bytes into a partition's
// initial memory and vCPU state.
//
// What kind of image it is decides how the guest starts:
//
//   image                                   kind_name      mode          entered at
//   --------------------------------------  -------------  ------------  -----------------
//   valid multiboot v1 header in 8 KiB      "multiboot"    Protected32   entry, EAX/EBX = mb1
//   ELF64 (x86_64, ET_EXEC)                 "ELF64"        Long64        e_entry, paging on
//   ELF32 (i386, ET_EXEC)                   "ELF32"        Protected32   e_entry
//   anything else                           "raw 16-bit"   Real16        0000:7c00, DL = 0x80
//
// The multiboot header wins over the ELF class, as with GRUB's `multiboot`
// command: an image that carries one asks to be entered the multiboot way
// (32-bit, paging off), even if it is an ELF64 file (a 64-bit kernel with a
// 32-bit trampoline). A multiboot image is loaded by the header's address
// fields when flag bit 16 (the "a.out kludge") is set, by its ELF program
// headers otherwise.
//
// ELF segments go to p_paddr: guest memory is physical memory. 64-bit guests
// get an identity map of all their memory, so linking with vaddr == paddr is
// what works.
//
// Guarantees:
//   - Every check happens before the first write. A refused image leaves
//     guest memory and `entry` exactly as they were.
//   - Nothing is written outside [memory.host, memory.host + memory.size):
//     every range is checked, with overflow-proof arithmetic, first.
//   - A successful load first zeroes all of guest memory, so loading the same
//     bytes again (a partition restart) gives identical memory, whatever the
//     guest did to it meanwhile. This is also what zeroes .bss.
//
// guest_layout.hpp has the addresses of the boot structures and the rules for
// the memory size.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

// A partition's memory: guest-physical [0, size) is host [host, host + size).
// The image must not lie inside it (the loader zeroes memory before copying).
struct GuestMemory {
    uint8_t* host;
    uint64_t size;
};

enum class EntryMode : uint8_t { Real16, Protected32, Long64 };

// The initial vCPU state. Registers not named here start as 0; the data
// segment registers DS, ES, FS, GS and SS all hold ds_ss. In Real16 the
// segment bases are selector * 16 (all 0 here) and GDTR holds its reset
// value (base 0, limit 0xffff). RSI is for Linux (linux_loader.hpp): the
// 64-bit boot protocol passes the zero page's address in it.
struct GuestEntryState {
    EntryMode mode;
    uint64_t rip, rsp, rax, rbx, rdx, rsi;
    uint64_t cr0, cr3, cr4, efer;
    uint16_t cs, ds_ss;
    uint64_t gdt_base;
    uint16_t gdt_limit;
};

enum class LoadError : uint8_t {
    None,
    Empty,                    // no image bytes
    TooLargeForMemory,        // a raw image does not fit between 0x7c00 and the end of memory
    MemoryTooSmall,           // partition memory below 2 MiB (or no memory at all)
    MemorySizeUnsupported,    // not a multiple of 2 MiB, or above 4 GiB
    BadElfHeader,             // truncated or inconsistent ELF header or program header
    UnsupportedElf,           // wrong class, byte order, type or machine
    NoLoadableSegments,       // no PT_LOAD segment with p_memsz > 0
    SegmentOutsideMemory,     // a segment does not fit in partition memory
    SegmentOverlapsBootArea,  // a segment touches [0x1000, 0x9000)
    SegmentBeyondFile,        // a segment's file bytes go past the image's end
    BadMultibootHeader,       // bad checksum, unsupported required flag, bad address fields
    CmdlineTooLong,           // longer than guest_layout::kCmdlineMaxLength
    EntryOutsideMemory,       // the entry point is not inside partition memory
};

// A short English reason, for messages like "partition 1: <reason>".
const char* to_string(LoadError error);

// detail says where the problem is:
//   - SegmentOutsideMemory, SegmentOverlapsBootArea, SegmentBeyondFile, and
//     BadElfHeader caused by one program header: that program header's index
//     (always 0 for a multiboot image loaded by its address fields);
//   - BadMultibootHeader: the header's offset in the image;
//   - CmdlineTooLong: the longest command line accepted;
//   - otherwise 0.
struct LoadResult {
    LoadError error;
    uint32_t detail;
};

// Checks `image`, then zeroes `memory`, copies the image in, builds the boot
// structures its mode needs and sets `entry`. `cmdline` (may be null: empty)
// goes to multiboot guests only. `kind_name` is set to the kind of image
// found ("ELF64", "multiboot", "ELF32", "raw 16-bit", or "unknown" when the
// memory or an empty image was refused first), also when the load fails.
LoadResult load_guest_image(const uint8_t* image, size_t image_size, GuestMemory memory,
                            const char* cmdline, GuestEntryState& entry, const char*& kind_name);

}  // namespace bulkhead
