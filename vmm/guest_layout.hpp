// Where the guest loaders put things in a partition's memory.
//
// A partition's memory is guest-physical [0, size). Besides the image itself
// the loaders write a few boot structures, always at the same addresses so
// that guests, tests and the debugger can find them. The ELF/multiboot loader
// (guest_loader.cpp) and the Linux loader (linux_loader.cpp) share the
// boot-structure area and the page tables but fill the rest differently:
//
//   guest-physical    ELF32, multiboot, ELF64 (guest_loader)      Linux bzImage (linux_loader)
//   ---------------   -----------------------------------------   ----------------------------------------
//   0x0000 - 0x0fff   left zero (where real mode keeps its IVT)   left zero; RSP starts at 0x1000
//   0x1000 - 0x102f   GDT, 6 descriptors (kGdtEntries)            GDT, 4 descriptors, up to 0x101f
//   0x1800 - 0x1fff   -                                           command line, NUL-terminated
//   0x2000 - 0x2073   multiboot v1 information (Mb1Info)          zero page (struct boot_params),
//   0x2100 - 0x212f   multiboot v1 memory map, 2 entries            all of 0x2000 - 0x2fff
//   0x2200 - 0x2fff   command line, NUL-terminated (multiboot)
//   0x3000 - 0x3fff   PML4 (ELF64)                                PML4
//   0x4000 - 0x4fff   PDPT (ELF64)                                PDPT
//   0x5000 - 0x8fff   page directories, one per GiB, up to 4      page directories
//                     (ELF64)
//   0xe0000-0xfffff   -                                           ACPI tables, RSDP at 0xe0000 (written
//                                                                   after the load by their own builder)
//   pref_address      -                                           the protected-mode kernel; init_size
//                                                                   bytes from here are the kernel's
//   below the top     -                                           initrd, page-aligned, as high as
//                                                                   initrd_addr_max and memory allow
//   size-16           initial stack pointer, grows down           -
//
//   raw 16-bit images: loaded at 0x7c00 like a BIOS boot sector, with SS:SP =
//   0000:7c00, so the stack grows down from just below the image.
//
// [0x1000, 0x9000) is the boot-structure area. An ELF or multiboot image may
// not load anything there: the loader refuses it rather than let the image
// and the structures overwrite each other. Raw images are the exception on
// purpose: real mode gets no boot structures at all (a boot sector sets up
// its own), so the whole memory belongs to the image, and 0x7c00 - which lies
// inside the area - is simply where a BIOS would have put it. A Linux kernel
// loads at 1 MiB or above, so it never meets the area.
//
// Partition memory is between 2 MiB (Linux: kLinuxMinMemory) and 4 GiB and a
// multiple of 2 MiB: the 64-bit identity map is built from 2 MiB pages only
// (no 4 KiB tail), and four page directories cover 4 GiB. 4 GiB is also all
// that 32-bit guests and the 32-bit fields of the multiboot information can
// address.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/paging.hpp"
#include "kernel/lib/units.hpp"
#include "vmm/image_formats.hpp"
#include "vmm/linux_boot.hpp"

namespace bulkhead::guest_layout {

// ---- Partition memory size ---------------------------------------------------

inline constexpr uint64_t kMinMemory = 2 * kMiB;
inline constexpr uint64_t kMaxMemory = 4 * kGiB;
inline constexpr uint64_t kMemoryGranularity = x86::kPageSize2M;

// ---- The boot-structure area -------------------------------------------------

inline constexpr uint64_t kBootAreaStart = 0x1000;
inline constexpr uint64_t kBootAreaEnd = 0x9000;

// ---- GDT ---------------------------------------------------------------------

inline constexpr uint64_t kGdt = 0x1000;

// Selectors (index * 8, table indicator 0 = GDT, RPL 0).
inline constexpr uint16_t kNullSelector = 0x00;
inline constexpr uint16_t kCode64Selector = 0x08;  // 64-bit code (long mode)
inline constexpr uint16_t kDataSelector = 0x10;    // flat 4 GiB read/write data, all modes
inline constexpr uint16_t kCode32Selector = 0x18;  // flat 4 GiB 32-bit code
inline constexpr uint16_t kCode16Selector = 0x20;  // 64 KiB 16-bit code, base 0
inline constexpr uint16_t kData16Selector = 0x28;  // 64 KiB 16-bit data, base 0
inline constexpr unsigned kSelectorIndexShift = 3;  // selector = index << 3

// Segment descriptor bits (Intel SDM Vol. 3A, 3.4.5). The access byte sits in
// bits 40-47 and the flags in bits 52-55; VMX guest-state access rights are
// (descriptor >> 40) & 0xf0ff, i.e. exactly these bits.
namespace descriptor {
inline constexpr uint64_t kAccessed = 1ull << 40;  // VM entry wants it set in usable segments
inline constexpr uint64_t kWritableOrReadable = 1ull << 41;  // data: writable, code: readable
inline constexpr uint64_t kExecutable = 1ull << 43;
inline constexpr uint64_t kCodeOrData = 1ull << 44;  // S: not a system descriptor
inline constexpr uint64_t kPresent = 1ull << 47;
inline constexpr uint64_t kLongMode = 1ull << 53;       // L: 64-bit code
inline constexpr uint64_t kDefaultSize32 = 1ull << 54;  // D/B: 32-bit operands and stack
inline constexpr uint64_t kGranularity4K = 1ull << 55;  // limit counts 4 KiB units
inline constexpr uint64_t kLimitLow = 0xffffull;        // limit bits 15:0
inline constexpr uint64_t kLimitHigh = 0xfull << 48;    // limit bits 19:16
// Limit 0xfffff in 4 KiB units: the segment spans all of 4 GiB.
inline constexpr uint64_t kFlat4G = kLimitLow | kLimitHigh | kGranularity4K;
// Limit 0xffff in bytes: the 64 KiB a real-mode segment spans.
inline constexpr uint64_t kSmall64K = kLimitLow;

inline constexpr uint64_t kCodeSegment = kAccessed | kWritableOrReadable | kExecutable | kCodeOrData | kPresent;
inline constexpr uint64_t kDataSegment = kAccessed | kWritableOrReadable | kCodeOrData | kPresent;
}  // namespace descriptor

// All bases are 0. Long mode ignores the 64-bit code segment's limit, but the
// L bit requires D = 0.
inline constexpr uint64_t kGdtEntries[] = {
    0,                                                                               // 0x00 null
    descriptor::kCodeSegment | descriptor::kLongMode | descriptor::kFlat4G,          // 0x08
    descriptor::kDataSegment | descriptor::kDefaultSize32 | descriptor::kFlat4G,     // 0x10
    descriptor::kCodeSegment | descriptor::kDefaultSize32 | descriptor::kFlat4G,     // 0x18
    descriptor::kCodeSegment | descriptor::kSmall64K,                                // 0x20
    descriptor::kDataSegment | descriptor::kSmall64K,                                // 0x28
};
inline constexpr size_t kGdtSize = sizeof(kGdtEntries);
inline constexpr uint16_t kGdtLimit = kGdtSize - 1;  // GDTR.limit: the last valid byte

static_assert(kGdtEntries[kCode64Selector >> kSelectorIndexShift] & descriptor::kLongMode);
static_assert(kGdtEntries[kCode32Selector >> kSelectorIndexShift] & descriptor::kDefaultSize32);
static_assert(kData16Selector >> kSelectorIndexShift == kGdtSize / sizeof(uint64_t) - 1,
              "every selector has its descriptor and the last selector is the last descriptor");

// ---- Multiboot v1 information ------------------------------------------------

inline constexpr uint64_t kMultibootInfo = 0x2000;
inline constexpr uint64_t kMultibootMmap = 0x2100;
inline constexpr size_t kMultibootMmapEntries = 2;
inline constexpr uint64_t kCmdline = 0x2200;
inline constexpr uint64_t kCmdlineEnd = 0x3000;
// Bytes for the command line including its terminating NUL.
inline constexpr size_t kCmdlineCapacity = kCmdlineEnd - kCmdline;
inline constexpr size_t kCmdlineMaxLength = kCmdlineCapacity - 1;

// The memory map a multiboot guest sees: conventional memory below the EBDA
// (639 KiB, what a PC BIOS reports), a hole for the EBDA, VGA and ROMs up to
// 1 MiB, then the rest of the partition.
inline constexpr uint64_t kConventionalMemoryEnd = 0x9fc00;
inline constexpr uint64_t kHighMemoryStart = 1 * kMiB;

// ---- 64-bit identity map -----------------------------------------------------

inline constexpr uint64_t kPml4 = 0x3000;
inline constexpr uint64_t kPdpt = 0x4000;
// The page directories are contiguous, so the entry for 2 MiB page n (gpa
// n * 2 MiB) is simply at kPageDirectories + n * 8.
inline constexpr uint64_t kPageDirectories = 0x5000;
inline constexpr size_t kMaxPageDirectories = kMaxMemory / x86::kPageSize1G;

// ---- Linux (64-bit boot protocol) --------------------------------------------------
//
// What Linux finds at its 64-bit entry: paging on with the identity map
// above, a GDT with __BOOT_CS and __BOOT_DS, RSI = the zero page. The memory
// map in the zero page describes the partition exactly:
//
//   [0, 0xe0000)           usable RAM   (the boot structures above lie here; the
//                                        kernel copies what it needs early on)
//   [0xe0000, 0x100000)    reserved     (ACPI tables)
//   [0x100000, size)       usable RAM   (kernel and initrd included: the kernel
//                                        reserves those itself)

// The least memory a Linux partition gets. A small custom kernel boots in
// it; a distribution kernel needs more (Debian's 6.1 cloud kernel: 16 MiB
// load address + 51.5 MiB init_size = 68 MiB before its first process), and
// the loader's check of the kernel at hand says how much.
inline constexpr uint64_t kLinuxMinMemory = 64 * kMiB;
// The I/O APIC's registers (0xfec00000, below the local APIC's) are the
// lowest emulated device addresses; a Linux guest's RAM ends before them.
inline constexpr uint64_t kLinuxMaxMemory = 0xfec00000;
static_assert(kLinuxMaxMemory % kMemoryGranularity == 0);

// The same slot as the other GDT, with the selectors the boot protocol fixes:
// 0x10 flat 64-bit code, 0x18 flat data. 0x08 stays null (Linux's own
// GDT puts a 32-bit code segment there; nothing at entry needs one).
inline constexpr uint64_t kLinuxGdt = kGdt;
inline constexpr uint64_t kLinuxGdtEntries[] = {
    0,                                                                               // 0x00 null
    0,                                                                               // 0x08 unused
    descriptor::kCodeSegment | descriptor::kLongMode | descriptor::kFlat4G,          // 0x10 __BOOT_CS
    descriptor::kDataSegment | descriptor::kDefaultSize32 | descriptor::kFlat4G,     // 0x18 __BOOT_DS
};
inline constexpr size_t kLinuxGdtSize = sizeof(kLinuxGdtEntries);
inline constexpr uint16_t kLinuxGdtLimit = kLinuxGdtSize - 1;
static_assert(kLinuxGdtEntries[linux_boot::kBootCsSelector >> kSelectorIndexShift] ==
                  kGdtEntries[kCode64Selector >> kSelectorIndexShift],
              "__BOOT_CS is the same 64-bit code segment the ELF64 GDT has, so VMX access rights match");
static_assert(kLinuxGdtEntries[linux_boot::kBootDsSelector >> kSelectorIndexShift] ==
                  kGdtEntries[kDataSelector >> kSelectorIndexShift],
              "__BOOT_DS is the flat data segment");
static_assert(linux_boot::kBootDsSelector >> kSelectorIndexShift == kLinuxGdtSize / sizeof(uint64_t) - 1);

// The command line, NUL-terminated. 2 KiB is x86 Linux's COMMAND_LINE_SIZE,
// so the limit is the kernel's own cmdline_size (2047) for any usual kernel.
inline constexpr uint64_t kLinuxCmdline = 0x1800;
inline constexpr uint64_t kLinuxCmdlineEnd = 0x2000;
inline constexpr size_t kLinuxCmdlineCapacity = kLinuxCmdlineEnd - kLinuxCmdline;
inline constexpr size_t kLinuxCmdlineMaxLength = kLinuxCmdlineCapacity - 1;

// struct boot_params, one page.
inline constexpr uint64_t kLinuxZeroPage = 0x2000;

// The ACPI tables another component writes after the load; the zero page's
// acpi_rsdp_addr points at the RSDP. Kernels older than protocol 2.14 ignore
// that field and search [0xe0000, 0x100000) for the RSDP, which finds it
// too. The area is reserved in the memory map.
inline constexpr uint64_t kLinuxAcpiArea = 0xE0000;
inline constexpr uint64_t kLinuxAcpiAreaEnd = 1 * kMiB;
inline constexpr uint64_t kLinuxAcpiRsdp = kLinuxAcpiArea;

// Where kernels may load: above the ACPI area, as a bzImage always does.
inline constexpr uint64_t kLinuxKernelMinAddress = kLinuxAcpiAreaEnd;

// The protocol gives the kernel no stack (startup_64 loads its own before
// its first push). RSP still points somewhere harmless rather than into
// whatever the top of memory holds (often the initrd): the top of page 0,
// which the loader leaves zero and of which Linux only reads a few BIOS
// data words at the bottom.
inline constexpr uint64_t kLinuxStackTop = kBootAreaStart;

// The initrd starts on a page boundary.
inline constexpr uint64_t kLinuxInitrdAlignment = x86::kPageSize4K;

// ---- Initial register values -------------------------------------------------

// Raw images: like a BIOS, which loads the boot sector at 0000:7c00.
inline constexpr uint64_t kRawLoadAddress = 0x7c00;
inline constexpr uint64_t kRealModeStackTop = kRawLoadAddress;
inline constexpr uint8_t kBiosBootDrive = 0x80;  // DL: the first hard disk

// 32- and 64-bit guests start with the stack at the top of their memory,
// 16 bytes below the end so RSP is 16-byte aligned (what the System V ABI
// expects at a function's entry before the call pushes a return address) and
// the first push stays inside memory.
inline constexpr uint64_t kStackTopGap = 16;

// ---- The layout fits together ------------------------------------------------

static_assert(kBootAreaEnd <= kMinMemory, "the boot structures fit in the smallest partition");
static_assert(kGdt >= kBootAreaStart && kGdt + kGdtSize <= kMultibootInfo);
static_assert(kMultibootInfo + sizeof(Mb1Info) <= kMultibootMmap);
static_assert(kMultibootMmap + kMultibootMmapEntries * sizeof(Mb1MmapEntry) <= kCmdline);
static_assert(kCmdlineEnd <= kPml4);
static_assert(kPml4 + x86::kTableSize == kPdpt && kPdpt + x86::kTableSize == kPageDirectories);
static_assert(kPageDirectories + kMaxPageDirectories * x86::kTableSize == kBootAreaEnd);
static_assert(kMaxPageDirectories <= x86::kEntriesPerTable, "one PDPT holds them all");
static_assert(kMinMemory % kMemoryGranularity == 0 && kMaxMemory % kMemoryGranularity == 0);
static_assert(kRawLoadAddress < kMinMemory);
static_assert(kConventionalMemoryEnd < kHighMemoryStart && kHighMemoryStart < kMinMemory);
static_assert(kLinuxGdt + kLinuxGdtSize <= kLinuxCmdline && kLinuxCmdlineEnd <= kLinuxZeroPage);
static_assert(kLinuxZeroPage + sizeof(linux_boot::BootParams) == kPml4, "the zero page fills the multiboot page");
static_assert(kBootAreaEnd <= kLinuxAcpiArea && kLinuxAcpiArea < kLinuxAcpiAreaEnd && kLinuxAcpiAreaEnd <= kLinuxMinMemory);
static_assert(kLinuxMinMemory >= kMinMemory && kLinuxMinMemory % kMemoryGranularity == 0);
static_assert(kLinuxStackTop <= kLinuxGdt, "the stack grows down into page 0, away from the GDT");

}  // namespace bulkhead::guest_layout
