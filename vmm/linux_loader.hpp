// The Linux loader: puts an unmodified bzImage, its initrd and its command
// line into a partition's memory and enters the kernel through the 64-bit
// boot protocol (boot.rst, "64-bit BOOT PROTOCOL"), with no firmware and no
// 16-bit setup code in the guest.
//
// What it does, in the protocol's order:
//   1. the protected-mode kernel (everything after the setup sectors) goes to
//      the kernel's preferred address, pref_address;
//   2. the initrd goes as high as initrd_addr_max and the memory allow,
//      page-aligned, above the kernel's init_size bytes;
//   3. the zero page (struct boot_params) gets a copy of the image's setup
//      header, the loader's fields, the ACPI RSDP address and a memory map of
//      exactly the partition's memory;
//   4. the vCPU starts at pref_address + 0x200 in 64-bit mode, paging on with
//      an identity map of all memory, CS = __BOOT_CS, DS/ES/SS = __BOOT_DS,
//      interrupts off, RSI = the zero page.
// guest_layout.hpp has the addresses.
//
// Why only pref_address: a bzImage decompresses itself to pref_address
// (LOAD_PHYSICAL_ADDR) or higher, wherever it was loaded, so loading it
// lower saves no memory and loading it higher only wastes some; and a kernel
// that is not relocatable must be at pref_address anyway.
//
// Heap: loadflags.CAN_USE_HEAP and heap_end_ptr describe a heap for the
// 16-bit setup code, which the 64-bit entry skips, so the flag stays clear.
//
// Guarantees, as for load_guest_image():
//   - Every check happens before the first write. A refused kernel leaves
//     guest memory and `entry` exactly as they were.
//   - Nothing is written outside [memory.host, memory.host + memory.size).
//   - A successful load first zeroes all of guest memory (restarts are
//     identical; the ACPI area must be written after the load).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vmm/guest_loader.hpp"

namespace bulkhead {

// True when the image carries a Linux setup header: the 0xAA55 boot flag at
// 0x1fe and "HdrS" at 0x202. (A boot sector has the flag but not "HdrS".)
bool is_bzimage(const uint8_t* image, size_t size);

// The bytes a Linux guest boots from. None of them may lie inside the
// partition's memory (it is zeroed first).
struct LinuxImages {
    const uint8_t* kernel;  // the bzImage
    size_t kernel_size;
    const uint8_t* initrd;  // null or initrd_size 0: no initrd
    size_t initrd_size;
    const char* cmdline;    // null: empty
};

enum class LinuxLoadError : uint8_t {
    None,
    Empty,                  // no kernel bytes
    MemoryTooSmall,         // partition memory below guest_layout::kLinuxMinMemory
    MemorySizeUnsupported,  // not a multiple of 2 MiB, or above 4 GiB
    MemoryOverlapsDevices,  // above guest_layout::kLinuxMaxMemory: RAM would cover the APIC registers
    NotBzImage,             // no boot flag or no "HdrS", or too short to hold a setup header
    ProtocolTooOld,         // boot protocol below 2.12
    BadSetupHeader,         // the header ends before the fields its version promises
    No64BitEntry,           // XLF_KERNEL_64 clear: a 32-bit kernel
    Truncated,              // the file ends inside the setup code or the protected-mode kernel
    KernelAddressTooLow,    // pref_address below 1 MiB
    KernelTooLarge,         // [pref_address, pref_address + init_size) does not fit in memory
    InitrdTooLarge,         // no room for the initrd above the kernel and below its limit
    CmdlineTooLong,         // longer than the kernel's cmdline_size or our 2047 bytes
};

// A reason that reads well after "kernel refused: ".
const char* to_string(LinuxLoadError error);

// detail says more for:
//   - ProtocolTooOld: the image's protocol version (0x020b is 2.11);
//   - KernelTooLarge: the partition memory the kernel needs, in MiB;
//   - InitrdTooLarge: the room there is above the kernel, in MiB (rounded down);
//   - CmdlineTooLong: the longest command line accepted;
//   - otherwise 0.
// On success kernel and initrd say where those went (initrd 0: none).
struct LinuxLoadResult {
    LinuxLoadError error;
    uint32_t detail;
    uint64_t kernel;  // guest-physical load address = pref_address; entry is 0x200 in
    uint64_t initrd;
};

// Checks everything, then zeroes `memory`, loads kernel, initrd and command
// line, writes the zero page, GDT and page tables, and sets `entry` (mode
// Long64). On failure neither memory nor entry change.
LinuxLoadResult load_linux(const LinuxImages& images, GuestMemory memory, GuestEntryState& entry);

}  // namespace bulkhead
