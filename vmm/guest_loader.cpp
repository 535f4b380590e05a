// The guest image loader. See guest_loader.hpp for what it promises and
// guest_layout.hpp for where it puts things.
//
// It works in two phases so that a refused image changes nothing:
//   1. plan: recognise the image and check every range it names against the
//      file and against guest memory, writing nothing;
//   2. apply: zero guest memory, copy the image, build the boot structures,
//      and compute the initial vCPU state.
// Phase 2 cannot fail: everything it does was proven in-bounds in phase 1 or,
// for the boot structures at fixed addresses, by the static_asserts of
// guest_layout.hpp (they all lie below the smallest allowed memory size).
//
// The image is untrusted input (a boot module anyone can put on the GRUB
// command line), so all offset + size arithmetic is written so that it cannot
// wrap around: see fits_within() in guest_boot.hpp.
#include "vmm/guest_loader.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "kernel/lib/string.hpp"
#include "kernel/lib/units.hpp"
#include "vmm/guest_boot.hpp"
#include "vmm/guest_layout.hpp"
#include "vmm/image_formats.hpp"

namespace bulkhead {
namespace {

namespace layout = guest_layout;
using guest_boot::fits_within;
using guest_boot::overlaps;
using guest_boot::read_image;
using guest_boot::write_guest;

// Multiboot header flags this loader honours. Bit 0 asks for page-aligned
// modules and we load none; bit 1 asks for the memory information, which we
// always give. Any other required bit (e.g. a video mode) means refusing.
constexpr uint32_t kMb1SupportedRequiredFlags = kMb1FlagPageAlign | kMb1FlagMemoryInfo;

constexpr const char* kKindUnknown = "unknown";
constexpr const char* kKindElf = "ELF";  // the ELF class itself is unusable
constexpr const char* kKindElf32 = "ELF32";
constexpr const char* kKindElf64 = "ELF64";
constexpr const char* kKindMultiboot = "multiboot";
constexpr const char* kKindRaw = "raw 16-bit";

constexpr LoadResult kOk{LoadError::None, 0};

constexpr LoadResult failure(LoadError error, uint32_t detail = 0) { return LoadResult{error, detail}; }
constexpr bool failed(LoadResult result) { return result.error != LoadError::None; }

constexpr size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

// ---- What to load, and how to start it --------------------------------------------

// One run of bytes to copy: file_size bytes from the image, then zeroes up to
// memory_size (.bss). ELF program headers of both classes, the multiboot
// address fields and raw images all become this.
struct Segment {
    uint64_t file_offset;
    uint64_t file_size;
    uint64_t gpa;
    uint64_t memory_size;
};

struct ElfImage {
    uint8_t elf_class;
    uint64_t entry;
    uint64_t phoff;
    uint16_t phnum;
};

// Everything phase 2 needs, found and checked by phase 1.
struct LoadPlan {
    EntryMode mode;
    bool multiboot;  // give the guest the multiboot information in EAX/EBX
    bool from_elf;   // copy elf's PT_LOAD segments...
    ElfImage elf;
    Segment single;  // ...or else this one segment
    uint64_t entry;
};

// ---- Partition memory ---------------------------------------------------------------

LoadResult check_memory(GuestMemory memory) {
    if (memory.host == nullptr || memory.size < layout::kMinMemory) return failure(LoadError::MemoryTooSmall);
    if (memory.size % layout::kMemoryGranularity != 0 || memory.size > layout::kMaxMemory)
        return failure(LoadError::MemorySizeUnsupported);
    return kOk;
}

// ---- Segments ---------------------------------------------------------------------

// The checks every segment of an ELF or multiboot image passes; index is
// reported as the detail.
LoadResult check_segment(const Segment& segment, uint32_t index, size_t image_size, GuestMemory memory) {
    if (!fits_within(segment.file_offset, segment.file_size, image_size))
        return failure(LoadError::SegmentBeyondFile, index);
    if (!fits_within(segment.gpa, segment.memory_size, memory.size))
        return failure(LoadError::SegmentOutsideMemory, index);
    if (overlaps(segment.gpa, segment.memory_size, layout::kBootAreaStart, layout::kBootAreaEnd))
        return failure(LoadError::SegmentOverlapsBootArea, index);
    return kOk;
}

// The bytes from file_size to memory_size (.bss) need no work: all of guest
// memory was zeroed just before.
void copy_segment(const Segment& segment, const uint8_t* image, GuestMemory memory) {
    memcpy(memory.host + segment.gpa, image + segment.file_offset, segment.file_size);
}

// ---- ELF ----------------------------------------------------------------------------

bool has_elf_magic(const uint8_t* image, size_t size) {
    return size >= kElfMagicSize && memcmp(image, kElfMagic, kElfMagicSize) == 0;
}

// The kind name for an image with the ELF magic, from its class byte.
const char* elf_kind_name(const uint8_t* image, size_t size) {
    if (size <= kElfIdentClass) return kKindElf;
    if (image[kElfIdentClass] == kElfClass64) return kKindElf64;
    if (image[kElfIdentClass] == kElfClass32) return kKindElf32;
    return kKindElf;
}

// e_ident: the part both classes share, which says how to read the rest.
LoadResult check_elf_ident(const uint8_t* image, size_t size) {
    if (size < kElfIdentSize) return failure(LoadError::BadElfHeader);
    const uint8_t elf_class = image[kElfIdentClass];
    if (elf_class != kElfClass32 && elf_class != kElfClass64) return failure(LoadError::UnsupportedElf);
    if (image[kElfIdentData] != kElfDataLsb) return failure(LoadError::UnsupportedElf);
    if (image[kElfIdentVersion] != kElfVersionCurrent) return failure(LoadError::BadElfHeader);
    return kOk;
}

// The class-specific header: Header is Elf32Header or Elf64Header, with the
// machine and program header size that go with it.
template <class Header>
LoadResult check_elf_header(const uint8_t* image, size_t size, uint16_t machine, size_t phentsize, ElfImage& elf) {
    if (size < sizeof(Header)) return failure(LoadError::BadElfHeader);
    const Header header = read_image<Header>(image, 0);
    if (header.e_version != kElfVersionCurrent) return failure(LoadError::BadElfHeader);
    // Only fixed-address executables: a relocatable or shared object would
    // need relocation, and another machine's code cannot run at all.
    if (header.e_type != kElfTypeExec || header.e_machine != machine) return failure(LoadError::UnsupportedElf);
    if (header.e_phnum != 0 && header.e_phentsize != phentsize) return failure(LoadError::BadElfHeader);
    // e_phnum * phentsize < 2^16 * 2^6: no overflow; e_phoff is checked by fits_within.
    if (!fits_within(header.e_phoff, uint64_t{header.e_phnum} * phentsize, size))
        return failure(LoadError::BadElfHeader);
    elf.entry = header.e_entry;
    elf.phoff = header.e_phoff;
    elf.phnum = header.e_phnum;
    return kOk;
}

LoadResult parse_elf(const uint8_t* image, size_t size, ElfImage& elf) {
    const LoadResult ident = check_elf_ident(image, size);
    if (failed(ident)) return ident;
    elf.elf_class = image[kElfIdentClass];
    if (elf.elf_class == kElfClass64)
        return check_elf_header<Elf64Header>(image, size, kElfMachineX86_64, sizeof(Elf64ProgramHeader), elf);
    return check_elf_header<Elf32Header>(image, size, kElfMachineI386, sizeof(Elf32ProgramHeader), elf);
}

struct ProgramHeader {
    uint32_t type;
    Segment segment;
};

// Program header `index`, either class, widened to 64 bits. parse_elf has
// checked that the whole table is inside the image.
ProgramHeader program_header(const uint8_t* image, const ElfImage& elf, uint16_t index) {
    if (elf.elf_class == kElfClass64) {
        const auto ph = read_image<Elf64ProgramHeader>(image, elf.phoff + index * sizeof(Elf64ProgramHeader));
        return ProgramHeader{ph.p_type, Segment{ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz}};
    }
    const auto ph = read_image<Elf32ProgramHeader>(image, elf.phoff + index * sizeof(Elf32ProgramHeader));
    return ProgramHeader{ph.p_type, Segment{ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz}};
}

// A segment that occupies no memory has nothing to load; neither has any
// type but PT_LOAD (notes, GNU_STACK, ...).
bool is_loadable(const ProgramHeader& ph) {
    return ph.type == kElfSegmentLoad && ph.segment.memory_size != 0;
}

LoadResult check_elf_segments(const uint8_t* image, size_t size, const ElfImage& elf, GuestMemory memory) {
    uint32_t loadable = 0;
    for (uint16_t i = 0; i < elf.phnum; ++i) {
        const ProgramHeader ph = program_header(image, elf, i);
        if (ph.type != kElfSegmentLoad) continue;
        // More file bytes than memory for them: the header contradicts itself.
        if (ph.segment.file_size > ph.segment.memory_size) return failure(LoadError::BadElfHeader, i);
        if (!is_loadable(ph)) continue;
        const LoadResult result = check_segment(ph.segment, i, size, memory);
        if (failed(result)) return result;
        ++loadable;
    }
    return loadable == 0 ? failure(LoadError::NoLoadableSegments) : kOk;
}

void copy_elf_segments(const uint8_t* image, const ElfImage& elf, GuestMemory memory) {
    for (uint16_t i = 0; i < elf.phnum; ++i) {
        const ProgramHeader ph = program_header(image, elf, i);
        if (is_loadable(ph)) copy_segment(ph.segment, image, memory);
    }
}

// Plans loading by the program headers; the caller sets the mode.
LoadResult plan_elf(const uint8_t* image, size_t size, GuestMemory memory, LoadPlan& plan) {
    LoadResult result = parse_elf(image, size, plan.elf);
    if (failed(result)) return result;
    result = check_elf_segments(image, size, plan.elf, memory);
    if (failed(result)) return result;
    plan.from_elf = true;
    plan.entry = plan.elf.entry;
    return kOk;
}

// ---- Multiboot v1 ---------------------------------------------------------------------

enum class Mb1Search : uint8_t { NotFound, Found, BadChecksum };

struct Mb1Location {
    Mb1Search result;
    size_t offset;
};

// Looks for the header where the specification puts it: 4-byte aligned,
// entirely within the first 8 KiB. Like GRUB, a magic number with a wrong
// checksum is skipped (the bytes may be a coincidence); unlike GRUB, if no
// valid header follows, that bad one is reported instead of silently
// treating the image as something else.
Mb1Location find_multiboot_header(const uint8_t* image, size_t size) {
    const size_t limit = smaller(size, kMb1SearchLimit);
    Mb1Location first_bad{Mb1Search::NotFound, 0};
    for (size_t offset = 0; fits_within(offset, sizeof(Mb1HeaderCore), limit); offset += kMb1HeaderAlignment) {
        const auto core = read_image<Mb1HeaderCore>(image, offset);
        if (core.magic != kMb1HeaderMagic) continue;
        const uint32_t sum = core.magic + core.flags + core.checksum;  // wraps mod 2^32 by design
        if (sum == 0) return Mb1Location{Mb1Search::Found, offset};
        if (first_bad.result == Mb1Search::NotFound) first_bad = Mb1Location{Mb1Search::BadChecksum, offset};
    }
    return first_bad;
}

// The "a.out kludge": the header names where the file goes. The header sits
// header_addr - load_addr bytes into the loaded text, so loading starts that
// many bytes before the header in the file.
LoadResult plan_multiboot_addresses(const uint8_t* image, size_t size, size_t offset, GuestMemory memory,
                                    LoadPlan& plan) {
    const LoadResult bad = failure(LoadError::BadMultibootHeader, static_cast<uint32_t>(offset));
    // The address fields belong to the header, so they too must be within 8 KiB.
    if (!fits_within(offset, sizeof(Mb1Header), smaller(size, kMb1SearchLimit))) return bad;
    const auto header = read_image<Mb1Header>(image, offset);
    if (header.load_addr > header.header_addr) return bad;
    const uint64_t header_into_text = header.header_addr - header.load_addr;
    if (header_into_text > offset) return bad;  // loading would start before the file does
    const uint64_t file_offset = offset - header_into_text;

    uint64_t file_size = size - file_offset;  // load_end_addr 0: up to the end of the file
    if (header.load_end_addr != 0) {
        if (header.load_end_addr < header.load_addr) return bad;
        file_size = header.load_end_addr - header.load_addr;
    }
    uint64_t memory_size = file_size;  // bss_end_addr 0: no .bss
    if (header.bss_end_addr != 0) {
        if (header.bss_end_addr < header.load_addr + file_size) return bad;
        memory_size = header.bss_end_addr - header.load_addr;
    }
    if (memory_size == 0) return failure(LoadError::NoLoadableSegments);

    plan.single = Segment{file_offset, file_size, header.load_addr, memory_size};
    plan.entry = header.entry_addr;
    return check_segment(plan.single, 0, size, memory);
}

LoadResult plan_multiboot(const uint8_t* image, size_t size, size_t offset, GuestMemory memory, LoadPlan& plan) {
    plan.mode = EntryMode::Protected32;
    plan.multiboot = true;
    const auto core = read_image<Mb1HeaderCore>(image, offset);
    if ((core.flags & kMb1RequiredFlagsMask & ~kMb1SupportedRequiredFlags) != 0)
        return failure(LoadError::BadMultibootHeader, static_cast<uint32_t>(offset));
    if ((core.flags & kMb1FlagAddressFields) != 0) return plan_multiboot_addresses(image, size, offset, memory, plan);
    // Without address fields the image must say where it goes some other
    // way, and ELF is the only other way a multiboot loader understands.
    if (!has_elf_magic(image, size)) return failure(LoadError::BadMultibootHeader, static_cast<uint32_t>(offset));
    return plan_elf(image, size, memory, plan);
}

// The command line must fit the area reserved for it, NUL included.
LoadResult check_cmdline(const char* cmdline, size_t& length) {
    length = cmdline == nullptr ? 0 : bounded_strlen(cmdline, layout::kCmdlineCapacity);
    if (length > layout::kCmdlineMaxLength)
        return failure(LoadError::CmdlineTooLong, static_cast<uint32_t>(layout::kCmdlineMaxLength));
    return kOk;
}

// The information structure, its memory map and the command line
// (multiboot spec 3.3), at the addresses of guest_layout.hpp.
void write_multiboot_info(GuestMemory memory, const char* cmdline, size_t cmdline_length) {
    Mb1Info info{};
    info.flags = kMb1InfoMemory | kMb1InfoCmdline | kMb1InfoMemoryMap;
    info.mem_lower = static_cast<uint32_t>(layout::kConventionalMemoryEnd / kKiB);
    info.mem_upper = static_cast<uint32_t>((memory.size - layout::kHighMemoryStart) / kKiB);
    info.cmdline = static_cast<uint32_t>(layout::kCmdline);
    info.mmap_length = static_cast<uint32_t>(layout::kMultibootMmapEntries * sizeof(Mb1MmapEntry));
    info.mmap_addr = static_cast<uint32_t>(layout::kMultibootMmap);
    write_guest(memory, layout::kMultibootInfo, info);

    const Mb1MmapEntry map[] = {
        {kMb1MmapEntrySizeField, 0, layout::kConventionalMemoryEnd, kMb1MemoryAvailable},
        {kMb1MmapEntrySizeField, layout::kHighMemoryStart, memory.size - layout::kHighMemoryStart,
         kMb1MemoryAvailable},
    };
    static_assert(sizeof(map) == layout::kMultibootMmapEntries * sizeof(Mb1MmapEntry));
    write_guest(memory, layout::kMultibootMmap, map);

    if (cmdline_length != 0) memcpy(memory.host + layout::kCmdline, cmdline, cmdline_length);
    memory.host[layout::kCmdline + cmdline_length] = '\0';
}

// ---- Raw images ------------------------------------------------------------------------

// Anything else is a boot sector (or bigger real-mode program): it goes to
// 0x7c00 whole. No boot area check: real mode gets no boot structures.
LoadResult plan_raw(size_t size, GuestMemory memory, LoadPlan& plan) {
    plan.mode = EntryMode::Real16;
    plan.single = Segment{0, size, layout::kRawLoadAddress, size};
    plan.entry = layout::kRawLoadAddress;
    if (!fits_within(plan.single.gpa, plan.single.memory_size, memory.size))
        return failure(LoadError::TooLargeForMemory);
    return kOk;
}

// ---- Recognising the image -------------------------------------------------------------

LoadResult plan_image(const uint8_t* image, size_t size, GuestMemory memory, LoadPlan& plan,
                      const char*& kind_name) {
    const Mb1Location mb1 = find_multiboot_header(image, size);
    if (mb1.result != Mb1Search::NotFound) {
        kind_name = kKindMultiboot;
        if (mb1.result == Mb1Search::BadChecksum)
            return failure(LoadError::BadMultibootHeader, static_cast<uint32_t>(mb1.offset));
        return plan_multiboot(image, size, mb1.offset, memory, plan);
    }
    if (has_elf_magic(image, size)) {
        kind_name = elf_kind_name(image, size);
        const LoadResult result = plan_elf(image, size, memory, plan);
        plan.mode = plan.elf.elf_class == kElfClass64 ? EntryMode::Long64 : EntryMode::Protected32;
        return result;
    }
    kind_name = kKindRaw;
    return plan_raw(size, memory, plan);
}

// ---- Boot structures ----------------------------------------------------------------------

void write_gdt(GuestMemory memory) { write_guest(memory, layout::kGdt, layout::kGdtEntries); }

void apply_plan(const uint8_t* image, const LoadPlan& plan, GuestMemory memory, const char* cmdline,
                size_t cmdline_length) {
    // Everything the last run left behind goes, so a restart starts clean.
    memset(memory.host, 0, memory.size);
    if (plan.from_elf)
        copy_elf_segments(image, plan.elf, memory);
    else
        copy_segment(plan.single, image, memory);
    if (plan.mode != EntryMode::Real16) write_gdt(memory);
    if (plan.mode == EntryMode::Long64) guest_boot::build_identity_map(memory);
    if (plan.multiboot) write_multiboot_info(memory, cmdline, cmdline_length);
}

// ---- Initial vCPU state -----------------------------------------------------------------

GuestEntryState real16_state() {
    GuestEntryState state{};
    state.mode = EntryMode::Real16;
    state.rip = layout::kRawLoadAddress;  // CS = 0, so CS:IP = 0000:7c00
    state.rsp = layout::kRealModeStackTop;
    state.rdx = layout::kBiosBootDrive;
    state.cr0 = x86::cr0::kExtensionType;
    state.cs = 0;
    state.ds_ss = 0;
    // GDTR's reset value; a boot sector loads its own GDT before using one.
    state.gdt_base = 0;
    state.gdt_limit = 0xffff;
    return state;
}

// Flat 32-bit protected mode, paging off, as multiboot specifies it.
GuestEntryState protected32_state(uint64_t entry, GuestMemory memory) {
    GuestEntryState state{};
    state.mode = EntryMode::Protected32;
    state.rip = entry;
    state.rsp = memory.size - layout::kStackTopGap;
    state.cr0 = guest_boot::protected_mode_cr0();
    state.cs = layout::kCode32Selector;
    state.ds_ss = layout::kDataSelector;
    state.gdt_base = layout::kGdt;
    state.gdt_limit = layout::kGdtLimit;
    return state;
}

GuestEntryState long64_state(uint64_t entry, GuestMemory memory) {
    GuestEntryState state = guest_boot::long_mode_state(entry);
    state.rsp = memory.size - layout::kStackTopGap;
    state.cs = layout::kCode64Selector;
    state.ds_ss = layout::kDataSelector;
    state.gdt_base = layout::kGdt;
    state.gdt_limit = layout::kGdtLimit;
    return state;
}

GuestEntryState entry_state(const LoadPlan& plan, GuestMemory memory) {
    if (plan.mode == EntryMode::Real16) return real16_state();
    if (plan.mode == EntryMode::Long64) return long64_state(plan.entry, memory);
    GuestEntryState state = protected32_state(plan.entry, memory);
    if (plan.multiboot) {
        state.rax = kMb1BootloaderMagic;
        state.rbx = layout::kMultibootInfo;
    }
    return state;
}

}  // namespace

const char* to_string(LoadError error) {
    switch (error) {
        case LoadError::None: return "no error";
        case LoadError::Empty: return "the image is empty";
        case LoadError::TooLargeForMemory: return "the image does not fit in partition memory";
        case LoadError::MemoryTooSmall: return "partition memory is smaller than 2 MiB";
        case LoadError::MemorySizeUnsupported: return "partition memory is not a multiple of 2 MiB up to 4 GiB";
        case LoadError::BadElfHeader: return "malformed ELF header or program header";
        case LoadError::UnsupportedElf: return "not an x86 ELF executable (class, byte order, type or machine)";
        case LoadError::NoLoadableSegments: return "the image has nothing to load";
        case LoadError::SegmentOutsideMemory: return "a segment lies outside partition memory";
        case LoadError::SegmentOverlapsBootArea: return "a segment overlaps the boot structures at 0x1000-0x8fff";
        case LoadError::SegmentBeyondFile: return "a segment's bytes go past the end of the image";
        case LoadError::BadMultibootHeader: return "malformed or unsupported multiboot header";
        case LoadError::CmdlineTooLong: return "the command line is too long";
        case LoadError::EntryOutsideMemory: return "the entry point lies outside partition memory";
    }
    return "unknown load error";
}

LoadResult load_guest_image(const uint8_t* image, size_t image_size, GuestMemory memory, const char* cmdline,
                            GuestEntryState& entry, const char*& kind_name) {
    kind_name = kKindUnknown;
    LoadResult result = check_memory(memory);
    if (failed(result)) return result;
    if (image == nullptr || image_size == 0) return failure(LoadError::Empty);

    LoadPlan plan{};
    result = plan_image(image, image_size, memory, plan, kind_name);
    if (failed(result)) return result;
    size_t cmdline_length = 0;
    if (plan.multiboot) {
        result = check_cmdline(cmdline, cmdline_length);
        if (failed(result)) return result;
    }
    // The identity map (64-bit) and physical addressing (32-bit, 16-bit)
    // both mean: the entry point must be a byte of guest memory.
    if (plan.entry >= memory.size) return failure(LoadError::EntryOutsideMemory);

    apply_plan(image, plan, memory, cmdline, cmdline_length);
    entry = entry_state(plan, memory);
    return kOk;
}

}  // namespace bulkhead
