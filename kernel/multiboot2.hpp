// Multiboot2 boot information (MBI) parser.
//
// The bootloader hands us a pointer to a block of tags describing memory,
// modules, the command line and firmware tables. That block is input from
// outside our trust boundary, so the parser validates every size and offset
// before reading and never reads past what the caller says is readable.
//
// Layout (multiboot2 specification, section 3.6):
//   u32 total_size, u32 reserved, then tags, each 8-byte aligned:
//   u32 type, u32 size (header included, padding excluded), payload...
//   The list ends with a tag of type 0 and size 8.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot_info.hpp"

namespace bulkhead {

// Value the loader leaves in EAX to say "this is multiboot2".
inline constexpr uint32_t kMultiboot2BootloaderMagic = 0x36d76289;

// Tags start on 8-byte boundaries; the MBI itself is 8-byte aligned.
inline constexpr size_t kMb2TagAlignment = 8;

// Tag type numbers.
inline constexpr uint32_t kMb2TagEnd = 0;
inline constexpr uint32_t kMb2TagCmdline = 1;
inline constexpr uint32_t kMb2TagBootloaderName = 2;
inline constexpr uint32_t kMb2TagModule = 3;
inline constexpr uint32_t kMb2TagBasicMeminfo = 4;
inline constexpr uint32_t kMb2TagBootdev = 5;
inline constexpr uint32_t kMb2TagMmap = 6;
inline constexpr uint32_t kMb2TagVbe = 7;
inline constexpr uint32_t kMb2TagFramebuffer = 8;
inline constexpr uint32_t kMb2TagElfSections = 9;
inline constexpr uint32_t kMb2TagApm = 10;
inline constexpr uint32_t kMb2TagEfi32 = 11;
inline constexpr uint32_t kMb2TagEfi64 = 12;
inline constexpr uint32_t kMb2TagSmbios = 13;
inline constexpr uint32_t kMb2TagAcpiOld = 14;
inline constexpr uint32_t kMb2TagAcpiNew = 15;
inline constexpr uint32_t kMb2TagNetwork = 16;
inline constexpr uint32_t kMb2TagEfiMmap = 17;
inline constexpr uint32_t kMb2TagEfiBootServicesNotTerminated = 18;
inline constexpr uint32_t kMb2TagEfi32ImageHandle = 19;
inline constexpr uint32_t kMb2TagEfi64ImageHandle = 20;
inline constexpr uint32_t kMb2TagLoadBaseAddr = 21;

// Memory map entry types (same numbering as MemoryType in boot_info.hpp).
inline constexpr uint32_t kMb2MemoryAvailable = 1;
inline constexpr uint32_t kMb2MemoryReserved = 2;
inline constexpr uint32_t kMb2MemoryAcpiReclaimable = 3;
inline constexpr uint32_t kMb2MemoryNvs = 4;
inline constexpr uint32_t kMb2MemoryBad = 5;

// Raw on-the-wire structures. They are packed so sizeof matches the
// specification exactly; the parser copies bytes into them with memcpy rather
// than casting pointers, so alignment of the source never matters.
struct [[gnu::packed]] Mb2InfoHeader {
    uint32_t total_size;  // whole MBI in bytes, this header included
    uint32_t reserved;
};

struct [[gnu::packed]] Mb2TagHeader {
    uint32_t type;
    uint32_t size;  // header + payload, without the padding to 8
};

// Tags 1 and 2: header followed by a NUL-terminated string.
struct [[gnu::packed]] Mb2StringTag {
    Mb2TagHeader header;
    // char string[]; follows
};

// Tag 3: module bounds (32-bit physical) then a NUL-terminated string.
struct [[gnu::packed]] Mb2ModuleTag {
    Mb2TagHeader header;
    uint32_t mod_start;
    uint32_t mod_end;
    // char cmdline[]; follows
};

// Tag 6: memory map. entry_size lets future versions grow the entry.
struct [[gnu::packed]] Mb2MmapTag {
    Mb2TagHeader header;
    uint32_t entry_size;
    uint32_t entry_version;
    // Mb2MmapEntry entries[]; follow, each entry_size bytes
};

struct [[gnu::packed]] Mb2MmapEntry {
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;
    uint32_t reserved;
};

// The multiboot2 spec describes the end tag as exactly a bare header.
inline constexpr uint32_t kMb2EndTagSize = sizeof(Mb2TagHeader);
// Entry size must keep 8-byte alignment of the 64-bit fields that follow.
inline constexpr uint32_t kMb2MmapEntryAlignment = 8;

// ACPI RSDP as copied into tags 14/15. Only what the parser checks is named;
// the ACPI code validates checksums and reads the rest.
inline constexpr size_t kRsdpSignatureLength = 8;
inline constexpr char kRsdpSignature[kRsdpSignatureLength + 1] = "RSD PTR ";
inline constexpr size_t kRsdpV1Length = 20;  // ACPI 1.0 structure
inline constexpr size_t kRsdpV2Length = 36;  // ACPI 2.0+ extended structure

static_assert(sizeof(Mb2InfoHeader) == 8);
static_assert(sizeof(Mb2TagHeader) == 8);
static_assert(sizeof(Mb2ModuleTag) == 16);
static_assert(sizeof(Mb2MmapTag) == 16);
static_assert(sizeof(Mb2MmapEntry) == 24);

enum class Mb2Error {
    None,
    NullPointer,
    Misaligned,          // MBI not 8-byte aligned
    HeaderTooSmall,      // fewer than 8 readable bytes, or total_size < 8
    TotalSizeTooLarge,   // total_size > readable_bytes
    TagTooSmall,         // size < 8, or too small for the tag's fixed fields
    TagOverrun,          // tag extends past the end of the MBI
    MissingEndTag,       // ran out of bytes, or malformed end tag
    UnterminatedString,  // no NUL inside the tag
    BadMemoryMap,        // entry_size < 24, not a multiple of 8, or ragged
    BadModule,           // mod_start > mod_end
    TooManyModules,      // more than kMaxModules
    BadRsdp,             // too short for its version or wrong signature
};

const char* to_string(Mb2Error error);

struct Mb2Result {
    Mb2Error error;
    uint32_t offset;  // byte offset (from the MBI start) of the offending tag
};

// Parses the MBI at `mbi`, reading at most `readable_bytes` bytes (and at most
// the header's total_size). On success fills `out` completely; strings and the
// RSDP point into the MBI, which must therefore stay mapped and untouched.
// On error `out` is reset to an empty BootInfo (no regions, "" strings).
Mb2Result parse_multiboot2(const void* mbi, size_t readable_bytes, BootInfo& out);

}  // namespace bulkhead
