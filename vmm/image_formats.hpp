// On-disk and in-memory formats of the guest images the loader understands:
// ELF executables (32- and 64-bit, System V ABI) and multiboot v1 (the
// multiboot 0.6.96 specification: the header in the image and the boot
// information the loader hands the guest).
//
// The structures are packed so that sizeof matches the specification byte for
// byte. The loader never casts image bytes to these types (a boot module has
// no alignment guarantee); it memcpy()s bytes into a local copy after checking
// that the bytes are there.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

// ---- ELF ---------------------------------------------------------------------

// e_ident: the first 16 bytes, identical in both classes, say which class
// (32/64-bit) and byte order the rest of the file uses.
inline constexpr size_t kElfIdentSize = 16;
inline constexpr size_t kElfMagicSize = 4;
inline constexpr uint8_t kElfMagic[kElfMagicSize] = {0x7f, 'E', 'L', 'F'};
inline constexpr size_t kElfIdentClass = 4;    // EI_CLASS
inline constexpr size_t kElfIdentData = 5;     // EI_DATA
inline constexpr size_t kElfIdentVersion = 6;  // EI_VERSION

inline constexpr uint8_t kElfClass32 = 1;  // ELFCLASS32
inline constexpr uint8_t kElfClass64 = 2;  // ELFCLASS64
inline constexpr uint8_t kElfDataLsb = 1;  // ELFDATA2LSB: little endian, like x86
inline constexpr uint32_t kElfVersionCurrent = 1;  // EV_CURRENT, in e_ident and e_version

inline constexpr uint16_t kElfTypeExec = 2;        // ET_EXEC: fixed load addresses
inline constexpr uint16_t kElfMachineI386 = 3;     // EM_386
inline constexpr uint16_t kElfMachineX86_64 = 62;  // EM_X86_64

inline constexpr uint32_t kElfSegmentLoad = 1;  // PT_LOAD: copy into memory

struct [[gnu::packed]] Elf32Header {
    uint8_t e_ident[kElfIdentSize];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint32_t e_entry;
    uint32_t e_phoff;  // file offset of the program header table
    uint32_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;  // size of one program header
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct [[gnu::packed]] Elf32ProgramHeader {
    uint32_t p_type;
    uint32_t p_offset;  // where the segment's bytes start in the file
    uint32_t p_vaddr;
    uint32_t p_paddr;   // where they go in (guest-)physical memory
    uint32_t p_filesz;  // bytes taken from the file
    uint32_t p_memsz;   // bytes in memory; the rest after p_filesz is zero (.bss)
    uint32_t p_flags;
    uint32_t p_align;
};

// Same fields as the 32-bit header, but addresses and offsets are 64-bit and
// p_flags moved up in the program header (so the 64-bit fields stay aligned).
struct [[gnu::packed]] Elf64Header {
    uint8_t e_ident[kElfIdentSize];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct [[gnu::packed]] Elf64ProgramHeader {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

static_assert(sizeof(Elf32Header) == 52);
static_assert(sizeof(Elf32ProgramHeader) == 32);
static_assert(sizeof(Elf64Header) == 64);
static_assert(sizeof(Elf64ProgramHeader) == 56);

// ---- Multiboot v1: the header inside the image (spec 3.1) ---------------------

inline constexpr uint32_t kMb1HeaderMagic = 0x1BADB002;
// The header must lie completely within the image's first 8192 bytes, at a
// 4-byte aligned offset.
inline constexpr size_t kMb1SearchLimit = 8192;
inline constexpr size_t kMb1HeaderAlignment = 4;

// Header flags. Bits 0-15 are requirements: a loader that does not understand
// one of them that is set must refuse the image. Bits 16-31 are optional.
inline constexpr uint32_t kMb1FlagPageAlign = 1u << 0;    // modules page aligned (we load none)
inline constexpr uint32_t kMb1FlagMemoryInfo = 1u << 1;   // wants mem_* and the memory map
inline constexpr uint32_t kMb1FlagVideoMode = 1u << 2;    // wants a video mode (we have none)
inline constexpr uint32_t kMb1FlagAddressFields = 1u << 16;  // "a.out kludge": load by the address fields
inline constexpr uint32_t kMb1RequiredFlagsMask = 0xffff;

// magic + flags + checksum must be 0 (mod 2^32).
struct [[gnu::packed]] Mb1HeaderCore {
    uint32_t magic;
    uint32_t flags;
    uint32_t checksum;
};

// The header with the address fields, valid when kMb1FlagAddressFields is
// set. All addresses are physical.
struct [[gnu::packed]] Mb1Header {
    uint32_t magic;
    uint32_t flags;
    uint32_t checksum;
    uint32_t header_addr;    // where this header itself ends up in memory
    uint32_t load_addr;      // where the text segment (the file from some offset on) starts
    uint32_t load_end_addr;  // end of the data segment; 0: the file's end
    uint32_t bss_end_addr;   // end of the zeroed .bss; 0: no .bss
    uint32_t entry_addr;
};

static_assert(sizeof(Mb1HeaderCore) == 12);
static_assert(sizeof(Mb1Header) == 32);

// ---- Multiboot v1: what the loader passes to the guest (spec 3.2, 3.3) --------

// Left in EAX at the entry point; EBX holds the address of Mb1Info.
inline constexpr uint32_t kMb1BootloaderMagic = 0x2BADB002;

// Mb1Info::flags: which fields are valid.
inline constexpr uint32_t kMb1InfoMemory = 1u << 0;      // mem_lower, mem_upper
inline constexpr uint32_t kMb1InfoBootDevice = 1u << 1;  // boot_device
inline constexpr uint32_t kMb1InfoCmdline = 1u << 2;     // cmdline
inline constexpr uint32_t kMb1InfoModules = 1u << 3;     // mods_count, mods_addr
inline constexpr uint32_t kMb1InfoMemoryMap = 1u << 6;   // mmap_length, mmap_addr

struct [[gnu::packed]] Mb1Info {
    uint32_t flags;
    uint32_t mem_lower;    // KiB of memory from 0 (at most 640)
    uint32_t mem_upper;    // KiB of memory from 1 MiB up to the first hole
    uint32_t boot_device;
    uint32_t cmdline;      // physical address of a NUL-terminated string
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];      // a.out symbol table or ELF section headers
    uint32_t mmap_length;  // bytes of memory map
    uint32_t mmap_addr;    // physical address of the first Mb1MmapEntry
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe_control_info;
    uint32_t vbe_mode_info;
    uint16_t vbe_mode;
    uint16_t vbe_interface_seg;
    uint16_t vbe_interface_off;
    uint16_t vbe_interface_len;
    uint64_t framebuffer_addr;
    uint32_t framebuffer_pitch;
    uint32_t framebuffer_width;
    uint32_t framebuffer_height;
    uint8_t framebuffer_bpp;
    uint8_t framebuffer_type;
    uint8_t color_info[6];
};

// One memory map entry. `size` counts the bytes after itself (20 here), so a
// guest steps to the next entry with `entry + size + 4`.
struct [[gnu::packed]] Mb1MmapEntry {
    uint32_t size;
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;
};

inline constexpr uint32_t kMb1MmapEntrySizeField = sizeof(Mb1MmapEntry) - sizeof(uint32_t);
inline constexpr uint32_t kMb1MemoryAvailable = 1;
inline constexpr uint32_t kMb1MemoryReserved = 2;

static_assert(sizeof(Mb1Info) == 116);
static_assert(sizeof(Mb1MmapEntry) == 24);

}  // namespace bulkhead
