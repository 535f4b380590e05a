// The Linux/x86 boot protocol (Documentation/arch/x86/boot.rst and
// zero-page.rst in the kernel tree; arch/x86/include/uapi/asm/bootparam.h):
// the setup header inside a bzImage and the "zero page" (struct boot_params)
// a boot loader hands the kernel.
//
// This is a software ABI between a boot loader and the kernel, not hardware,
// so it lives in vmm/ next to the other image formats (image_formats.hpp).
//
// A bzImage file is, in 512-byte sectors:
//
//   sector 0                 the legacy boot sector; the setup header starts at 0x1f1
//   sectors 1 .. setup_sects the real-mode setup code (the header runs on into sector 1)
//   the rest                 the protected-mode kernel: a small decompressor plus
//                            the compressed kernel; its 64-bit entry is 0x200 in
//
// Only the protected-mode part is loaded. The real-mode setup code is what a
// BIOS boot loader would run in 16-bit mode; the 64-bit boot protocol skips
// it, so only its header matters, copied into the zero page.
//
// The structures are packed so that sizeof and offsetof match the protocol
// byte for byte (the static_asserts prove it). As everywhere in the loader,
// image bytes are memcpy()d into a local copy, never cast.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead::linux_boot {

// ---- The bzImage file ----------------------------------------------------------

inline constexpr size_t kSectorSize = 512;
// setup_sects counts the setup sectors after the boot sector. 0 is what the
// oldest kernels left there and means 4.
inline constexpr uint8_t kDefaultSetupSects = 4;
// syssize counts the protected-mode code in 16-byte "paragraphs".
inline constexpr size_t kSyssizeUnit = 16;

// Where the setup header starts in the file and in the zero page.
inline constexpr size_t kSetupHeaderOffset = 0x1f1;
// The header region of the zero page ends where edd_mbr_sig_buffer starts;
// a header copied from an image never extends past it.
inline constexpr size_t kSetupHeaderRegionEnd = 0x290;

inline constexpr uint16_t kBootFlag = 0xAA55;     // boot_flag: the legacy boot sector signature
inline constexpr uint32_t kHeaderMagic = 0x53726448;  // header: "HdrS", little endian

// Protocol versions are major << 8 | minor.
inline constexpr uint16_t kProtocol2_12 = 0x020c;  // xloadflags; pref_address and init_size since 2.10
inline constexpr uint16_t kProtocol2_14 = 0x020e;  // acpi_rsdp_addr in the zero page

// The 64-bit entry point: startup_64 sits this far into the protected-mode
// kernel (boot.rst, "64-bit BOOT PROTOCOL"; the offset is ABI and never moves).
inline constexpr uint64_t kEntry64Offset = 0x200;

// The GDT selectors the 64-bit entry must find loaded: __BOOT_CS (flat,
// execute/read; 64-bit since we enter in long mode) and __BOOT_DS (flat,
// read/write) for DS, ES and SS.
inline constexpr uint16_t kBootCsSelector = 0x10;
inline constexpr uint16_t kBootDsSelector = 0x18;

// type_of_loader: 0xff is "undefined", the ID for loaders without an
// assigned one. (0xe0-0xff would need ext_loader_type; 0xff alone needs none.)
inline constexpr uint8_t kLoaderTypeUndefined = 0xff;

// loadflags (setup header offset 0x211).
namespace loadflags {
inline constexpr uint8_t kLoadedHigh = 1u << 0;    // protected-mode code at 0x100000 and up (bzImage)
inline constexpr uint8_t kKaslr = 1u << 1;         // set by the kernel itself, internal
inline constexpr uint8_t kQuiet = 1u << 5;         // ask the early kernel to print nothing
inline constexpr uint8_t kKeepSegments = 1u << 6;  // obsolete 32-bit protocol flag
inline constexpr uint8_t kCanUseHeap = 1u << 7;    // heap_end_ptr is valid (16-bit setup code only)
}  // namespace loadflags

// xloadflags (setup header offset 0x236, protocol 2.12).
namespace xloadflags {
inline constexpr uint16_t kKernel64 = 1u << 0;             // has the 64-bit entry at kEntry64Offset
inline constexpr uint16_t kCanBeLoadedAbove4G = 1u << 1;   // kernel, zero page, cmdline, initrd may be above 4 GiB
inline constexpr uint16_t kEfiHandover32 = 1u << 2;
inline constexpr uint16_t kEfiHandover64 = 1u << 3;
inline constexpr uint16_t kEfiKexec = 1u << 4;
inline constexpr uint16_t k5Level = 1u << 5;               // can enter with 5-level paging
inline constexpr uint16_t k5LevelEnabled = 1u << 6;
}  // namespace xloadflags

// ---- The setup header (boot.rst, "THE REAL-MODE KERNEL HEADER") -----------------
//
// Field by field as the protocol defines it, up to protocol 2.15. Comments
// name who writes the field: "image" fields are read by the loader, "loader"
// fields are filled in by it in the zero page's copy.
struct [[gnu::packed]] SetupHeader {
    uint8_t setup_sects;            // image: setup sectors after the boot sector (0: 4)
    uint16_t root_flags;
    uint32_t syssize;               // image: protected-mode code size, in 16-byte units
    uint16_t ram_size;              // obsolete
    uint16_t vid_mode;
    uint16_t root_dev;
    uint16_t boot_flag;             // image: kBootFlag
    uint16_t jump;                  // image: a short jump; its second byte gives the header's end
    uint32_t header;                // image: kHeaderMagic
    uint16_t version;               // image: boot protocol version
    uint32_t realmode_swtch;
    uint16_t start_sys_seg;         // obsolete
    uint16_t kernel_version;        // image: offset of the version string, minus 0x200
    uint8_t type_of_loader;         // loader: kLoaderTypeUndefined
    uint8_t loadflags;              // image and loader: loadflags::
    uint16_t setup_move_size;
    uint32_t code32_start;          // 32-bit entry (16-bit setup code only)
    uint32_t ramdisk_image;         // loader: initrd address, low 32 bits
    uint32_t ramdisk_size;          // loader: initrd size, low 32 bits
    uint32_t bootsect_kludge;       // obsolete
    uint16_t heap_end_ptr;          // loader: end of the setup heap (16-bit setup code only)
    uint8_t ext_loader_ver;
    uint8_t ext_loader_type;
    uint32_t cmd_line_ptr;          // loader: command line address, low 32 bits
    uint32_t initrd_addr_max;       // image: highest address the initrd may occupy (inclusive)
    uint32_t kernel_alignment;      // image: alignment a relocatable kernel needs
    uint8_t relocatable_kernel;     // image: nonzero if the kernel may be loaded elsewhere
    uint8_t min_alignment;          // image: log2 of the least alignment that works
    uint16_t xloadflags;            // image: xloadflags::
    uint32_t cmdline_size;          // image: longest command line, without its NUL
    uint32_t hardware_subarch;      // 0: a normal PC
    uint64_t hardware_subarch_data;
    uint32_t payload_offset;        // image: where the compressed kernel starts in the protected-mode part
    uint32_t payload_length;
    uint64_t setup_data;            // loader: linked list of extra data (0: none)
    uint64_t pref_address;          // image: preferred load address (also where it decompresses to)
    uint32_t init_size;             // image: bytes the kernel needs from its load address on
    uint32_t handover_offset;       // EFI handover entry
    uint32_t kernel_info_offset;    // protocol 2.15
};

// File offsets of the header's fields are kSetupHeaderOffset + offsetof().
constexpr size_t header_offset(size_t field_offset) { return kSetupHeaderOffset + field_offset; }
static_assert(header_offset(offsetof(SetupHeader, setup_sects)) == 0x1f1);
static_assert(header_offset(offsetof(SetupHeader, syssize)) == 0x1f4);
static_assert(header_offset(offsetof(SetupHeader, boot_flag)) == 0x1fe);
static_assert(header_offset(offsetof(SetupHeader, jump)) == 0x200);
static_assert(header_offset(offsetof(SetupHeader, header)) == 0x202);
static_assert(header_offset(offsetof(SetupHeader, version)) == 0x206);
static_assert(header_offset(offsetof(SetupHeader, type_of_loader)) == 0x210);
static_assert(header_offset(offsetof(SetupHeader, loadflags)) == 0x211);
static_assert(header_offset(offsetof(SetupHeader, code32_start)) == 0x214);
static_assert(header_offset(offsetof(SetupHeader, ramdisk_image)) == 0x218);
static_assert(header_offset(offsetof(SetupHeader, ramdisk_size)) == 0x21c);
static_assert(header_offset(offsetof(SetupHeader, heap_end_ptr)) == 0x224);
static_assert(header_offset(offsetof(SetupHeader, cmd_line_ptr)) == 0x228);
static_assert(header_offset(offsetof(SetupHeader, initrd_addr_max)) == 0x22c);
static_assert(header_offset(offsetof(SetupHeader, kernel_alignment)) == 0x230);
static_assert(header_offset(offsetof(SetupHeader, relocatable_kernel)) == 0x234);
static_assert(header_offset(offsetof(SetupHeader, xloadflags)) == 0x236);
static_assert(header_offset(offsetof(SetupHeader, cmdline_size)) == 0x238);
static_assert(header_offset(offsetof(SetupHeader, setup_data)) == 0x250);
static_assert(header_offset(offsetof(SetupHeader, pref_address)) == 0x258);
static_assert(header_offset(offsetof(SetupHeader, init_size)) == 0x260);
static_assert(header_offset(offsetof(SetupHeader, kernel_info_offset)) == 0x268);
static_assert(sizeof(SetupHeader) == 0x26c - kSetupHeaderOffset);
static_assert(kSetupHeaderOffset + sizeof(SetupHeader) <= kSetupHeaderRegionEnd);

// The header's end as the image states it: the jump at 0x200 jumps over the
// header, so 0x202 plus the jump's 8-bit displacement (its second byte) is
// the first byte after the header.
inline constexpr size_t kJumpEndOffset = header_offset(offsetof(SetupHeader, header));
inline constexpr unsigned kJumpDisplacementShift = 8;  // the second byte of the little-endian u16
constexpr size_t header_end(uint16_t jump) { return kJumpEndOffset + (jump >> kJumpDisplacementShift); }

// The fields a protocol 2.12 header has: everything up to and including
// handover_offset (2.11). Bytes after the header's end belong to the setup
// code, so a 2.12+ image whose header ends earlier contradicts itself.
inline constexpr size_t kHeaderEnd2_12 = header_offset(offsetof(SetupHeader, kernel_info_offset));

// ---- E820 memory map (zero-page.rst; the BIOS INT 15h AX=E820h format) ----------

enum class E820Type : uint32_t {
    Ram = 1,        // usable
    Reserved = 2,   // never touched by the kernel
    Acpi = 3,       // ACPI tables; reclaimable once parsed
    Nvs = 4,        // ACPI non-volatile storage
    Unusable = 5,
};

struct [[gnu::packed]] E820Entry {
    uint64_t addr;
    uint64_t size;
    E820Type type;
};
static_assert(sizeof(E820Entry) == 20);

inline constexpr size_t kE820MaxEntries = 128;  // E820_MAX_ENTRIES_ZEROPAGE

// ---- The zero page: struct boot_params ------------------------------------------
//
// Exactly one 4 KiB page. Only the fields this loader fills are named; the
// rest (screen_info, EDD, EFI, ...) stays opaque and zero. Zero is also what
// the kernel expects of `sentinel`: a loader that copied more than the setup
// header leaves the image's nonzero sentinel there and makes the kernel
// distrust parts of the page.
struct [[gnu::packed]] BootParams {
    uint8_t opaque_000[0x070];              // screen_info, apm_bios_info, tboot_addr, ist_info
    uint64_t acpi_rsdp_addr;                // 0x070: the RSDP's address (protocol 2.14; older kernels search for it)
    uint8_t opaque_078[0x0c0 - 0x078];
    uint32_t ext_ramdisk_image;             // 0x0c0: ramdisk_image bits 63:32
    uint32_t ext_ramdisk_size;              // 0x0c4: ramdisk_size bits 63:32
    uint32_t ext_cmd_line_ptr;              // 0x0c8: cmd_line_ptr bits 63:32
    uint8_t opaque_0cc[0x1e8 - 0x0cc];
    uint8_t e820_entries;                   // 0x1e8: valid entries in e820_table
    uint8_t opaque_1e9[0x1ef - 0x1e9];
    uint8_t sentinel;                       // 0x1ef: must stay 0
    uint8_t opaque_1f0[kSetupHeaderOffset - 0x1f0];
    SetupHeader hdr;                        // 0x1f1
    uint8_t opaque_26c[0x2d0 - kSetupHeaderOffset - sizeof(SetupHeader)];  // header growth, EDD signatures
    E820Entry e820_table[kE820MaxEntries];  // 0x2d0
    uint8_t opaque_cd0[0x1000 - 0xcd0];     // EDD information
};

static_assert(offsetof(BootParams, acpi_rsdp_addr) == 0x070);
static_assert(offsetof(BootParams, ext_ramdisk_image) == 0x0c0);
static_assert(offsetof(BootParams, ext_ramdisk_size) == 0x0c4);
static_assert(offsetof(BootParams, ext_cmd_line_ptr) == 0x0c8);
static_assert(offsetof(BootParams, e820_entries) == 0x1e8);
static_assert(offsetof(BootParams, sentinel) == 0x1ef);
static_assert(offsetof(BootParams, hdr) == kSetupHeaderOffset);
static_assert(offsetof(BootParams, e820_table) == 0x2d0);
static_assert(sizeof(BootParams) == 0x1000);

}  // namespace bulkhead::linux_boot
