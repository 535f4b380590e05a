// Unit tests for the guest image loader (vmm/guest_loader.cpp).
//
// Each test synthesizes an image byte by byte (ELF64, ELF32, multiboot v1 as
// ELF or with the a.out kludge, raw), loads it into a GuestBuffer
// (guest_memory_support.hpp) and checks the entry state and guest memory.
#include <catch2/catch.hpp>

#include <stdint.h>
#include <string.h>

#include <sstream>
#include <string>
#include <vector>

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/paging.hpp"
#include "kernel/lib/units.hpp"
#include "vmm/guest_layout.hpp"
#include "vmm/guest_loader.hpp"
#include "vmm/image_formats.hpp"
#include "tests/unit/guest_memory_support.hpp"

using namespace bulkhead;
using namespace bulkhead::test;
namespace layout = bulkhead::guest_layout;
namespace x86 = bulkhead::x86;

namespace {

constexpr uint64_t kCr0Et = 1ull << 4;
constexpr uint64_t kKernelBase = 1 * kMiB;  // where the test kernels load

// ---- Image builders -------------------------------------------------------------------

struct SegmentSpec {
    uint64_t paddr;
    Bytes data;
    uint64_t memsz;
    uint32_t type = kElfSegmentLoad;
};

constexpr size_t kSegmentDataAlignment = 16;

size_t align_up(size_t value, size_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// ELF header, then the program headers, then each segment's data at a
// 16-byte aligned offset. vaddr = paddr.
template <class Header, class ProgramHeader>
Bytes make_elf(uint8_t elf_class, uint16_t machine, uint64_t entry, const std::vector<SegmentSpec>& segments) {
    using Entry = decltype(Header::e_entry);
    using Offset = decltype(ProgramHeader::p_offset);
    using Address = decltype(ProgramHeader::p_paddr);
    using Size = decltype(ProgramHeader::p_memsz);

    Header header{};
    memcpy(header.e_ident, kElfMagic, kElfMagicSize);
    header.e_ident[kElfIdentClass] = elf_class;
    header.e_ident[kElfIdentData] = kElfDataLsb;
    header.e_ident[kElfIdentVersion] = kElfVersionCurrent;
    header.e_type = kElfTypeExec;
    header.e_machine = machine;
    header.e_version = kElfVersionCurrent;
    header.e_entry = static_cast<Entry>(entry);
    header.e_phoff = sizeof(Header);
    header.e_ehsize = sizeof(Header);
    header.e_phentsize = sizeof(ProgramHeader);
    header.e_phnum = static_cast<uint16_t>(segments.size());

    Bytes bytes;
    put(bytes, 0, header);
    size_t data_offset = align_up(sizeof(Header) + segments.size() * sizeof(ProgramHeader), kSegmentDataAlignment);
    for (size_t i = 0; i < segments.size(); ++i) {
        const SegmentSpec& spec = segments[i];
        ProgramHeader ph{};
        ph.p_type = spec.type;
        ph.p_offset = static_cast<Offset>(data_offset);
        ph.p_vaddr = static_cast<Address>(spec.paddr);
        ph.p_paddr = static_cast<Address>(spec.paddr);
        ph.p_filesz = static_cast<Size>(spec.data.size());
        ph.p_memsz = static_cast<Size>(spec.memsz);
        put(bytes, sizeof(Header) + i * sizeof(ProgramHeader), ph);
        if (bytes.size() < data_offset) bytes.resize(data_offset, 0);
        bytes.insert(bytes.end(), spec.data.begin(), spec.data.end());
        data_offset = align_up(bytes.size(), kSegmentDataAlignment);
    }
    return bytes;
}

Bytes make_elf64(uint64_t entry, const std::vector<SegmentSpec>& segments) {
    return make_elf<Elf64Header, Elf64ProgramHeader>(kElfClass64, kElfMachineX86_64, entry, segments);
}

Bytes make_elf32(uint64_t entry, const std::vector<SegmentSpec>& segments) {
    return make_elf<Elf32Header, Elf32ProgramHeader>(kElfClass32, kElfMachineI386, entry, segments);
}

constexpr size_t elf64_ph_offset(size_t index) { return sizeof(Elf64Header) + index * sizeof(Elf64ProgramHeader); }
constexpr size_t elf32_ph_offset(size_t index) { return sizeof(Elf32Header) + index * sizeof(Elf32ProgramHeader); }

uint32_t mb1_checksum(uint32_t flags) { return 0u - (kMb1HeaderMagic + flags); }

Bytes mb1_header(uint32_t flags) {
    Bytes bytes;
    put(bytes, 0, Mb1HeaderCore{kMb1HeaderMagic, flags, mb1_checksum(flags)});
    return bytes;
}

// A multiboot kernel in an ELF32 file: the header opens the text segment,
// as a `.multiboot` section placed first by a linker script would.
struct Mb1ElfImage {
    Bytes bytes;
    Bytes text;
    size_t header_offset;  // in the file
};

constexpr uint64_t kMb1ElfTextSize = 0x300;
constexpr uint64_t kMb1ElfMemorySize = 0x2000;

Mb1ElfImage make_mb1_elf32(uint32_t flags = kMb1FlagPageAlign | kMb1FlagMemoryInfo) {
    Mb1ElfImage image;
    image.text = concat(mb1_header(flags), pattern(kMb1ElfTextSize, 0x31));
    image.bytes = make_elf32(kKernelBase + sizeof(Mb1HeaderCore), {{kKernelBase, image.text, kMb1ElfMemorySize}});
    image.header_offset = get<Elf32ProgramHeader>(image.bytes.data() + elf32_ph_offset(0)).p_offset;
    return image;
}

// A multiboot kernel with the a.out kludge: a flat file whose header, 16
// bytes in, says the file loads at load_addr, followed by bss_size zero bytes.
struct AoutImage {
    Bytes bytes;
    size_t header_offset;
    uint64_t load_addr, load_end, bss_end, entry;
};

constexpr size_t kAoutHeaderOffset = 16;

AoutImage make_aout(uint64_t load_addr = kKernelBase, size_t payload_size = 0x500, uint64_t bss_size = 0x1000) {
    AoutImage image;
    image.header_offset = kAoutHeaderOffset;
    const uint32_t flags = kMb1FlagMemoryInfo | kMb1FlagAddressFields;
    const Bytes prefix(kAoutHeaderOffset, 0x90);
    const Bytes payload = pattern(payload_size, 0x47);
    const uint64_t file_size = prefix.size() + sizeof(Mb1Header) + payload.size();
    image.load_addr = load_addr;
    image.load_end = load_addr + file_size;
    image.bss_end = image.load_end + bss_size;
    image.entry = load_addr + kAoutHeaderOffset + sizeof(Mb1Header);
    const Mb1Header header{kMb1HeaderMagic,
                           flags,
                           mb1_checksum(flags),
                           static_cast<uint32_t>(load_addr + kAoutHeaderOffset),
                           static_cast<uint32_t>(load_addr),
                           static_cast<uint32_t>(image.load_end),
                           static_cast<uint32_t>(image.bss_end),
                           static_cast<uint32_t>(image.entry)};
    image.bytes = prefix;
    put(image.bytes, kAoutHeaderOffset, header);
    image.bytes = concat(image.bytes, payload);
    return image;
}

Bytes boot_sector() {
    Bytes bytes = pattern(512, 0x11);
    bytes[0] = 0xfa;  // cli: something that is not a magic number
    bytes[510] = 0x55;
    bytes[511] = 0xaa;
    return bytes;
}

// ---- Running the loader ------------------------------------------------------------

struct Loaded {
    LoadResult result;
    GuestEntryState entry;
    std::string kind;
};

Loaded load(const Bytes& image, GuestBuffer& guest, const char* cmdline = "") {
    Loaded loaded{};
    const char* kind = nullptr;
    loaded.result = load_guest_image(image.data(), image.size(), guest.memory(), cmdline, loaded.entry, kind);
    REQUIRE(kind != nullptr);
    loaded.kind = kind;
    return loaded;
}

Loaded load_ok(const Bytes& image, GuestBuffer& guest, const char* cmdline = "") {
    Loaded loaded = load(image, guest, cmdline);
    INFO("error: " << to_string(loaded.result.error) << ", detail " << loaded.result.detail);
    REQUIRE(loaded.result.error == LoadError::None);
    return loaded;
}

// Loads an image that must be refused; also checks that the refusal wrote
// nothing at all (guest memory still holds its garbage, entry is untouched).
LoadResult load_refused(const Bytes& image, GuestBuffer& guest, const char* cmdline = "") {
    const Bytes before = guest.snapshot();
    GuestEntryState entry{};
    entry.rip = 0x1234;
    const char* kind = nullptr;
    const LoadResult result = load_guest_image(image.data(), image.size(), guest.memory(), cmdline, entry, kind);
    CHECK(result.error != LoadError::None);
    CHECK(kind != nullptr);
    CHECK(entry.rip == 0x1234);
    CHECK(differences(guest.snapshot(), before) == "");
    return result;
}

void check_gdt(GuestBuffer& guest, const GuestEntryState& entry) {
    CHECK(entry.gdt_base == layout::kGdt);
    CHECK(entry.gdt_limit == layout::kGdtSize - 1);
    const auto* gdt = reinterpret_cast<const uint8_t*>(layout::kGdtEntries);
    CHECK(differences(guest.bytes_at(layout::kGdt, layout::kGdtSize), Bytes(gdt, gdt + layout::kGdtSize)) == "");
}

}  // namespace

// =====================================================================================
// Each kind of image loads
// =====================================================================================

TEST_CASE("ELF64 loads in long mode with its bytes at p_paddr and .bss zeroed", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes text = pattern(0x345, 0x10);
    const Bytes data = pattern(0x80, 0x99);
    const uint64_t entry_point = kKernelBase + 0x20;
    const Bytes image = make_elf64(entry_point, {{kKernelBase, text, text.size()},
                                                 {kKernelBase + 0x10000, data, 0x3000}});
    const Loaded loaded = load_ok(image, guest);

    CHECK(loaded.kind == "ELF64");
    const GuestEntryState& e = loaded.entry;
    CHECK(e.mode == EntryMode::Long64);
    CHECK(e.rip == entry_point);
    CHECK(e.rsp == guest.size() - 16);
    CHECK(e.rsp % 16 == 0);
    CHECK(e.cr0 == (x86::cr0::kProtectionEnable | x86::cr0::kPaging | kCr0Et | x86::cr0::kNumericError));
    CHECK(e.cr3 == layout::kPml4);
    CHECK(e.cr4 == x86::cr4::kPae);
    CHECK(e.efer == (x86::efer::kLongModeEnable | x86::efer::kLongModeActive));
    CHECK(e.cs == layout::kCode64Selector);
    CHECK(e.ds_ss == layout::kDataSelector);
    CHECK(e.rax == 0);
    CHECK(e.rbx == 0);
    check_gdt(guest, e);

    CHECK(differences(guest.bytes_at(kKernelBase, text.size()), text) == "");
    CHECK(differences(guest.bytes_at(kKernelBase + 0x10000, data.size()), data) == "");
    // .bss of the second segment, the gap between segments, and everything
    // else the loader did not write: zero, although it held garbage before.
    CHECK(guest.all_zero(kKernelBase + 0x10000 + data.size(), 0x3000 - data.size()));
    CHECK(guest.all_zero(kKernelBase + text.size(), 0x10000 - text.size()));
    CHECK(guest.all_zero(0, layout::kBootAreaStart));
    CHECK(guest.all_zero(layout::kBootAreaEnd, kKernelBase - layout::kBootAreaEnd));
    CHECK(guest.all_zero(kKernelBase + 0x13000, guest.size() - kKernelBase - 0x13000));
}

TEST_CASE("ELF64 page tables identity-map all guest memory with 2 MiB pages", "[guest_loader]") {
    for (uint64_t size : {2 * kMiB, 6 * kMiB, 64 * kMiB}) {
        INFO("memory " << size);
        GuestBuffer guest(size);
        const Loaded loaded = load_ok(make_elf64(kKernelBase, {{kKernelBase, pattern(64, 1), 64}}), guest);
        check_identity_map(guest, loaded.entry.cr3);
    }
}

TEST_CASE("ELF64 page tables span several page directories above 1 GiB", "[guest_loader][large]") {
    GuestBuffer guest(kGiB + 2 * kMiB);  // needs the second page directory for one 2 MiB page
    const uint64_t high = kGiB + 0x1000;  // a segment in the second GiB
    const Bytes data = pattern(0x100, 0x77);
    const Loaded loaded = load_ok(make_elf64(high, {{high, data, data.size()}}), guest);
    check_identity_map(guest, loaded.entry.cr3);
    CHECK(translate(guest, loaded.entry.cr3, kGiB - 1).phys == kGiB - 1);
    CHECK(translate(guest, loaded.entry.cr3, kGiB).phys == kGiB);
    CHECK(differences(guest.bytes_at(high, data.size()), data) == "");
    CHECK(loaded.entry.rsp == kGiB + 2 * kMiB - 16);
    // The third PDPT entry (a third GiB) is not there.
    CHECK(guest.read<uint64_t>(layout::kPdpt + 2 * sizeof(uint64_t)) == 0);
}

TEST_CASE("ELF32 without a multiboot header loads in flat protected mode", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes text = pattern(0x200, 0x23);
    const Loaded loaded = load_ok(make_elf32(kKernelBase + 4, {{kKernelBase, text, 0x800}}), guest);

    CHECK(loaded.kind == "ELF32");
    const GuestEntryState& e = loaded.entry;
    CHECK(e.mode == EntryMode::Protected32);
    CHECK(e.rip == kKernelBase + 4);
    CHECK(e.rsp == guest.size() - 16);
    CHECK(e.cr0 == (x86::cr0::kProtectionEnable | kCr0Et | x86::cr0::kNumericError));
    CHECK(e.cr3 == 0);
    CHECK(e.cr4 == 0);
    CHECK(e.efer == 0);
    CHECK(e.cs == layout::kCode32Selector);
    CHECK(e.ds_ss == layout::kDataSelector);
    CHECK(e.rax == 0);  // no multiboot magic: this is not a multiboot guest
    CHECK(e.rbx == 0);
    check_gdt(guest, e);
    CHECK(differences(guest.bytes_at(kKernelBase, text.size()), text) == "");
    CHECK(guest.all_zero(kKernelBase + text.size(), 0x800 - text.size()));
    // No page tables and no multiboot information for a 32-bit ELF.
    CHECK(guest.all_zero(layout::kMultibootInfo, layout::kBootAreaEnd - layout::kMultibootInfo));
}

TEST_CASE("multiboot v1 ELF32 gets EAX, EBX and the boot information", "[guest_loader]") {
    GuestBuffer guest(8 * kMiB);
    const Mb1ElfImage image = make_mb1_elf32();
    const Loaded loaded = load_ok(image.bytes, guest, "console=com1 verbose");

    CHECK(loaded.kind == "multiboot");
    const GuestEntryState& e = loaded.entry;
    CHECK(e.mode == EntryMode::Protected32);
    CHECK(e.rip == kKernelBase + sizeof(Mb1HeaderCore));
    CHECK(e.rax == kMb1BootloaderMagic);
    CHECK(e.rbx == layout::kMultibootInfo);
    CHECK(e.cs == layout::kCode32Selector);
    CHECK(e.ds_ss == layout::kDataSelector);
    CHECK(e.cr0 == (x86::cr0::kProtectionEnable | kCr0Et | x86::cr0::kNumericError));
    check_gdt(guest, e);
    CHECK(differences(guest.bytes_at(kKernelBase, image.text.size()), image.text) == "");
    CHECK(guest.all_zero(kKernelBase + image.text.size(), kMb1ElfMemorySize - image.text.size()));

    const auto info = guest.read<Mb1Info>(e.rbx);
    CHECK(info.flags == (kMb1InfoMemory | kMb1InfoCmdline | kMb1InfoMemoryMap));
    CHECK(info.mem_lower == 639);
    CHECK(info.mem_upper == (8 * kMiB - kMiB) / kKiB);
    CHECK(info.mods_count == 0);
    CHECK(guest.string_at(info.cmdline) == "console=com1 verbose");

    REQUIRE(info.mmap_length == 2 * sizeof(Mb1MmapEntry));
    const auto low = guest.read<Mb1MmapEntry>(info.mmap_addr);
    // A guest steps through the map by size + 4, not by sizeof.
    const auto high = guest.read<Mb1MmapEntry>(info.mmap_addr + low.size + sizeof(uint32_t));
    CHECK(low.size == 20);
    CHECK(low.base_addr == 0);
    CHECK(low.length == 0x9fc00);
    CHECK(low.type == kMb1MemoryAvailable);
    CHECK(high.size == 20);
    CHECK(high.base_addr == kMiB);
    CHECK(high.length == 8 * kMiB - kMiB);
    CHECK(high.type == kMb1MemoryAvailable);
}

TEST_CASE("multiboot v1: a null command line is an empty one", "[guest_loader]") {
    GuestBuffer guest;
    const Loaded loaded = load_ok(make_mb1_elf32().bytes, guest, nullptr);
    const auto info = guest.read<Mb1Info>(loaded.entry.rbx);
    CHECK((info.flags & kMb1InfoCmdline) != 0);
    CHECK(guest.string_at(info.cmdline).empty());
}

TEST_CASE("multiboot v1: the longest command line fits, one more byte is refused", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes image = make_mb1_elf32().bytes;
    const std::string longest(layout::kCmdlineMaxLength, 'x');
    const Loaded loaded = load_ok(image, guest, longest.c_str());
    CHECK(guest.string_at(guest.read<Mb1Info>(loaded.entry.rbx).cmdline) == longest);
    CHECK(guest.read<uint8_t>(layout::kCmdline + layout::kCmdlineMaxLength) == 0);

    const std::string too_long = longest + "y";
    const LoadResult result = load_refused(image, guest, too_long.c_str());
    CHECK(result.error == LoadError::CmdlineTooLong);
    CHECK(result.detail == layout::kCmdlineMaxLength);
}

TEST_CASE("multiboot v1 with the a.out kludge loads by the header's addresses", "[guest_loader]") {
    GuestBuffer guest;
    const AoutImage image = make_aout();
    const Loaded loaded = load_ok(image.bytes, guest, "aout");

    CHECK(loaded.kind == "multiboot");
    CHECK(loaded.entry.mode == EntryMode::Protected32);
    CHECK(loaded.entry.rip == image.entry);
    CHECK(loaded.entry.rax == kMb1BootloaderMagic);
    CHECK(loaded.entry.rbx == layout::kMultibootInfo);
    // The whole file, from its first byte (16 bytes before the header).
    CHECK(differences(guest.bytes_at(image.load_addr, image.bytes.size()), image.bytes) == "");
    CHECK(image.load_end - image.load_addr == image.bytes.size());
    CHECK(guest.all_zero(image.load_end, image.bss_end - image.load_end));
    CHECK(guest.string_at(guest.read<Mb1Info>(loaded.entry.rbx).cmdline) == "aout");
}

TEST_CASE("multiboot v1 a.out kludge: load_end_addr 0 loads to the end of the file", "[guest_loader]") {
    GuestBuffer guest;
    AoutImage image = make_aout();
    patch<Mb1Header>(image.bytes, image.header_offset, [](Mb1Header& h) { h.load_end_addr = 0; h.bss_end_addr = 0; });
    load_ok(image.bytes, guest);
    CHECK(differences(guest.bytes_at(image.load_addr, image.bytes.size()), image.bytes) == "");
    CHECK(guest.all_zero(image.load_end, 0x1000));
}

TEST_CASE("multiboot v1 a.out kludge: the header may start the text", "[guest_loader]") {
    // header_addr == load_addr: loading starts at the header's own offset.
    GuestBuffer guest;
    AoutImage image = make_aout();
    patch<Mb1Header>(image.bytes, image.header_offset,
                     [&](Mb1Header& h) { h.load_addr = h.header_addr; h.load_end_addr = 0; });
    load_ok(image.bytes, guest);
    const uint64_t header_gpa = image.load_addr + kAoutHeaderOffset;
    const Bytes from_header(image.bytes.begin() + kAoutHeaderOffset, image.bytes.end());
    CHECK(differences(guest.bytes_at(header_gpa, from_header.size()), from_header) == "");
}

TEST_CASE("an ELF64 with a multiboot header is a multiboot guest", "[guest_loader]") {
    // A 64-bit kernel with a 32-bit trampoline, as GRUB's `multiboot` loads it.
    GuestBuffer guest;
    const Bytes text = concat(mb1_header(kMb1FlagMemoryInfo), pattern(0x40, 3));
    const Loaded loaded = load_ok(make_elf64(kKernelBase + 12, {{kKernelBase, text, text.size()}}), guest);
    CHECK(loaded.kind == "multiboot");
    CHECK(loaded.entry.mode == EntryMode::Protected32);
    CHECK(loaded.entry.rax == kMb1BootloaderMagic);
    CHECK(loaded.entry.rip == kKernelBase + 12);
    CHECK(differences(guest.bytes_at(kKernelBase, text.size()), text) == "");
}

TEST_CASE("a bad multiboot magic followed by a good header: the good one counts", "[guest_loader]") {
    GuestBuffer guest;
    Bytes bad;
    put(bad, 0, Mb1HeaderCore{kMb1HeaderMagic, 0, 0});  // checksum wrong
    const Bytes text = concat(concat(bad, mb1_header(kMb1FlagMemoryInfo)), pattern(0x40, 3));
    const Loaded loaded = load_ok(make_elf32(kKernelBase, {{kKernelBase, text, text.size()}}), guest);
    CHECK(loaded.kind == "multiboot");
    CHECK(loaded.entry.rax == kMb1BootloaderMagic);
}

TEST_CASE("anything else is a raw 16-bit image at 0x7c00", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes image = boot_sector();
    const Loaded loaded = load_ok(image, guest, "ignored");

    CHECK(loaded.kind == "raw 16-bit");
    const GuestEntryState& e = loaded.entry;
    CHECK(e.mode == EntryMode::Real16);
    CHECK(e.cs == 0);
    CHECK(e.ds_ss == 0);
    CHECK(e.rip == 0x7c00);
    CHECK(e.rsp == 0x7c00);
    CHECK((e.rdx & 0xff) == 0x80);
    CHECK(e.cr0 == kCr0Et);
    CHECK(e.cr3 == 0);
    CHECK(e.cr4 == 0);
    CHECK(e.efer == 0);
    CHECK(e.gdt_base == 0);
    CHECK(e.gdt_limit == 0xffff);
    CHECK(differences(guest.bytes_at(0x7c00, image.size()), image) == "");
    // Real mode gets no boot structures: everything else is zero.
    CHECK(guest.all_zero(0, 0x7c00));
    CHECK(guest.all_zero(0x7c00 + image.size(), guest.size() - 0x7c00 - image.size()));
}

TEST_CASE("raw images: up to the end of memory fits, one byte more does not", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes fits = pattern(guest.size() - 0x7c00, 9);
    load_ok(fits, guest);
    CHECK(differences(guest.bytes_at(0x7c00, fits.size()), fits) == "");

    const Bytes too_big = pattern(guest.size() - 0x7c00 + 1, 9);
    CHECK(load_refused(too_big, guest).error == LoadError::TooLargeForMemory);
}

TEST_CASE("tiny images that start like nothing known are raw", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes one{0xf4};  // hlt
    const Loaded loaded = load_ok(one, guest);
    CHECK(loaded.kind == "raw 16-bit");
    CHECK(guest.read<uint8_t>(0x7c00) == 0xf4);
}

// =====================================================================================
// Segment placement
// =====================================================================================

TEST_CASE("segments may touch but not enter the boot area, and may end at the end of memory", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes below = pattern(0x800, 1);
    const Bytes above = pattern(0x100, 2);
    const Bytes top = pattern(0x1000, 3);
    const Loaded loaded = load_ok(make_elf32(layout::kBootAreaEnd, {{0x800, below, below.size()},
                                                                     {layout::kBootAreaEnd, above, above.size()},
                                                                     {guest.size() - top.size(), top, top.size()}}),
                                  guest);
    CHECK(differences(guest.bytes_at(0x800, below.size()), below) == "");
    CHECK(differences(guest.bytes_at(layout::kBootAreaEnd, above.size()), above) == "");
    CHECK(differences(guest.bytes_at(guest.size() - top.size(), top.size()), top) == "");
    check_gdt(guest, loaded.entry);  // not overwritten
}

TEST_CASE("program headers that load nothing are ignored", "[guest_loader]") {
    GuestBuffer guest;
    Bytes image = make_elf64(kKernelBase, {{kKernelBase, pattern(16, 1), 16},
                                           {0x2000, {}, 0},                      // PT_LOAD, empty
                                           {0, {}, 0, /*PT_NOTE*/ 4}});          // not PT_LOAD
    // The note claims absurd offsets; nobody reads it.
    patch<Elf64ProgramHeader>(image, elf64_ph_offset(2), [](Elf64ProgramHeader& ph) {
        ph.p_offset = ~0ull;
        ph.p_filesz = 0x1000;
        ph.p_paddr = ~0ull;
    });
    load_ok(image, guest);
}

// =====================================================================================
// Refusals: memory
// =====================================================================================

TEST_CASE("partition memory must be 2 MiB to 4 GiB in 2 MiB steps", "[guest_loader]") {
    const Bytes image = make_elf64(kKernelBase, {{kKernelBase, pattern(16, 1), 16}});
    {
        GuestBuffer guest(kMiB);
        CHECK(load_refused(image, guest).error == LoadError::MemoryTooSmall);
    }
    {
        GuestBuffer guest(2 * kMiB - 4096);
        CHECK(load_refused(image, guest).error == LoadError::MemoryTooSmall);
    }
    {
        GuestBuffer guest(3 * kMiB);
        CHECK(load_refused(image, guest).error == LoadError::MemorySizeUnsupported);
    }
    {
        // Refused before the first access, so a small buffer can claim to be big.
        GuestBuffer guest;
        GuestEntryState entry{};
        const char* kind = nullptr;
        const GuestMemory huge{guest.host(), 4 * kGiB + 2 * kMiB};
        CHECK(load_guest_image(image.data(), image.size(), huge, "", entry, kind).error ==
              LoadError::MemorySizeUnsupported);
        const GuestMemory none{nullptr, 2 * kMiB};
        CHECK(load_guest_image(image.data(), image.size(), none, "", entry, kind).error ==
              LoadError::MemoryTooSmall);
        CHECK(std::string(kind) == "unknown");
    }
}

TEST_CASE("an empty image is refused", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes empty;
    CHECK(load_refused(empty, guest).error == LoadError::Empty);
    GuestEntryState entry{};
    const char* kind = nullptr;
    const uint8_t byte = 0;
    CHECK(load_guest_image(nullptr, 10, guest.memory(), "", entry, kind).error == LoadError::Empty);
    CHECK(load_guest_image(&byte, 0, guest.memory(), "", entry, kind).error == LoadError::Empty);
}

// =====================================================================================
// Refusals: ELF
// =====================================================================================

TEST_CASE("malformed ELF headers are refused", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes good = make_elf64(kKernelBase, {{kKernelBase, pattern(64, 1), 64}});

    SECTION("truncated in e_ident") {
        const Bytes image(good.begin(), good.begin() + 10);
        CHECK(load_refused(image, guest).error == LoadError::BadElfHeader);
    }
    SECTION("truncated header") {
        const Bytes image(good.begin(), good.begin() + 40);
        CHECK(load_refused(image, guest).error == LoadError::BadElfHeader);
    }
    SECTION("truncated ELF32 header") {
        const Bytes elf32 = make_elf32(kKernelBase, {{kKernelBase, pattern(64, 1), 64}});
        const Bytes image(elf32.begin(), elf32.begin() + sizeof(Elf32Header) - 1);
        CHECK(load_refused(image, guest).error == LoadError::BadElfHeader);
    }
    SECTION("wrong e_version") {
        Bytes image = good;
        patch<Elf64Header>(image, 0, [](Elf64Header& h) { h.e_version = 2; });
        CHECK(load_refused(image, guest).error == LoadError::BadElfHeader);
    }
    SECTION("wrong program header size") {
        Bytes image = good;
        patch<Elf64Header>(image, 0, [](Elf64Header& h) { h.e_phentsize = sizeof(Elf32ProgramHeader); });
        CHECK(load_refused(image, guest).error == LoadError::BadElfHeader);
    }
    SECTION("program header table beyond the file") {
        Bytes image = good;
        patch<Elf64Header>(image, 0, [&](Elf64Header& h) { h.e_phoff = image.size() - 10; });
        CHECK(load_refused(image, guest).error == LoadError::BadElfHeader);
    }
    SECTION("program header table offset that wraps around") {
        Bytes image = good;
        patch<Elf64Header>(image, 0, [](Elf64Header& h) { h.e_phoff = ~0ull - 8; });
        CHECK(load_refused(image, guest).error == LoadError::BadElfHeader);
    }
    SECTION("too many program headers for the file") {
        Bytes image = good;
        patch<Elf64Header>(image, 0, [](Elf64Header& h) { h.e_phnum = 0xffff; });
        CHECK(load_refused(image, guest).error == LoadError::BadElfHeader);
    }
}

TEST_CASE("ELF files this machine cannot run are refused", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes good = make_elf64(kKernelBase, {{kKernelBase, pattern(64, 1), 64}});
    Bytes image = good;
    const char* kind = nullptr;
    SECTION("ELF64 for i386") {
        patch<Elf64Header>(image, 0, [](Elf64Header& h) { h.e_machine = kElfMachineI386; });
        kind = "ELF64";
    }
    SECTION("ELF32 for x86_64") {
        image = make_elf32(kKernelBase, {{kKernelBase, pattern(64, 1), 64}});
        patch<Elf32Header>(image, 0, [](Elf32Header& h) { h.e_machine = kElfMachineX86_64; });
        kind = "ELF32";
    }
    SECTION("a shared object") {
        patch<Elf64Header>(image, 0, [](Elf64Header& h) { h.e_type = 3; });  // ET_DYN
        kind = "ELF64";
    }
    SECTION("big endian") {
        image[kElfIdentData] = 2;  // ELFDATA2MSB
        kind = "ELF64";
    }
    SECTION("unknown class") {
        image[kElfIdentClass] = 3;
        kind = "ELF";
    }
    CHECK(load_refused(image, guest).error == LoadError::UnsupportedElf);
    CHECK(load(image, guest).kind == kind);
}

TEST_CASE("malformed or misplaced ELF segments are refused with their index", "[guest_loader]") {
    GuestBuffer guest;
    Bytes image = make_elf64(kKernelBase, {{kKernelBase, pattern(64, 1), 64}, {kKernelBase + 0x1000, pattern(64, 2), 64}});
    constexpr size_t kSecond = 1;
    const auto change = [&](auto edit) { patch<Elf64ProgramHeader>(image, elf64_ph_offset(kSecond), edit); };
    LoadError expected = LoadError::None;

    SECTION("offset + filesz beyond the file") {
        change([&](Elf64ProgramHeader& ph) { ph.p_offset = image.size() - 10; });
        expected = LoadError::SegmentBeyondFile;
    }
    SECTION("offset + filesz wraps around") {
        change([](Elf64ProgramHeader& ph) { ph.p_offset = 0xffffffffffffff00; ph.p_filesz = 0x200; ph.p_memsz = 0x200; });
        expected = LoadError::SegmentBeyondFile;
    }
    SECTION("p_memsz < p_filesz") {
        change([](Elf64ProgramHeader& ph) { ph.p_memsz = ph.p_filesz - 1; });
        expected = LoadError::BadElfHeader;
    }
    SECTION("p_filesz with p_memsz 0") {
        change([](Elf64ProgramHeader& ph) { ph.p_memsz = 0; });
        expected = LoadError::BadElfHeader;
    }
    SECTION("beyond the end of memory") {
        change([&](Elf64ProgramHeader& ph) { ph.p_paddr = guest.size() - 63; });
        expected = LoadError::SegmentOutsideMemory;
    }
    SECTION("paddr + memsz wraps around") {
        change([](Elf64ProgramHeader& ph) { ph.p_paddr = 0xffffffffffff0000; ph.p_memsz = 0x20000; });
        expected = LoadError::SegmentOutsideMemory;
    }
    SECTION("huge memsz") {
        change([](Elf64ProgramHeader& ph) { ph.p_memsz = ~0ull; });
        expected = LoadError::SegmentOutsideMemory;
    }
    SECTION("inside the boot area") {
        change([](Elf64ProgramHeader& ph) { ph.p_paddr = layout::kPml4; });
        expected = LoadError::SegmentOverlapsBootArea;
    }
    SECTION("reaching into the boot area from below") {
        change([](Elf64ProgramHeader& ph) { ph.p_paddr = layout::kBootAreaStart - 32; });
        expected = LoadError::SegmentOverlapsBootArea;
    }
    SECTION(".bss reaching into the boot area") {
        change([](Elf64ProgramHeader& ph) { ph.p_paddr = 0; ph.p_memsz = layout::kBootAreaStart + 1; });
        expected = LoadError::SegmentOverlapsBootArea;
    }
    SECTION("spanning the whole boot area") {
        change([](Elf64ProgramHeader& ph) { ph.p_paddr = 0; ph.p_memsz = layout::kBootAreaEnd + 0x1000; });
        expected = LoadError::SegmentOverlapsBootArea;
    }
    const LoadResult result = load_refused(image, guest);
    CHECK(result.error == expected);
    CHECK(result.detail == kSecond);
}

TEST_CASE("a segment past the end of a 32-bit address space is outside memory", "[guest_loader]") {
    GuestBuffer guest;
    Bytes image = make_elf32(kKernelBase, {{kKernelBase, pattern(64, 1), 64}});
    patch<Elf32ProgramHeader>(image, elf32_ph_offset(0), [](Elf32ProgramHeader& ph) {
        ph.p_paddr = 0xffffff00;
        ph.p_memsz = 0x1000;  // 32-bit sum would wrap to 0xf00
    });
    const LoadResult result = load_refused(image, guest);
    CHECK(result.error == LoadError::SegmentOutsideMemory);
    CHECK(result.detail == 0);
}

TEST_CASE("an ELF with nothing to load is refused", "[guest_loader]") {
    GuestBuffer guest;
    CHECK(load_refused(make_elf64(kKernelBase, {}), guest).error == LoadError::NoLoadableSegments);
    CHECK(load_refused(make_elf64(kKernelBase, {{kKernelBase, {}, 0}, {0, {}, 0, 4}}), guest).error ==
          LoadError::NoLoadableSegments);
}

TEST_CASE("an entry point outside memory is refused", "[guest_loader]") {
    GuestBuffer guest;
    const std::vector<SegmentSpec> segments{{kKernelBase, pattern(64, 1), 64}};
    CHECK(load_refused(make_elf64(guest.size(), segments), guest).error == LoadError::EntryOutsideMemory);
    CHECK(load_refused(make_elf64(0xffffffff80000000, segments), guest).error == LoadError::EntryOutsideMemory);
    CHECK(load_refused(make_elf32(0xfffffff0, segments), guest).error == LoadError::EntryOutsideMemory);
    load_ok(make_elf64(guest.size() - 1, segments), guest);
}

// =====================================================================================
// Refusals: multiboot
// =====================================================================================

TEST_CASE("malformed multiboot headers are refused with the header's offset", "[guest_loader]") {
    GuestBuffer guest;
    Mb1ElfImage image = make_mb1_elf32();
    const auto change = [&](auto edit) { patch<Mb1HeaderCore>(image.bytes, image.header_offset, edit); };

    SECTION("bad checksum") { change([](Mb1HeaderCore& h) { h.checksum += 1; }); }
    SECTION("asks for a video mode") {
        change([](Mb1HeaderCore& h) { h.flags |= kMb1FlagVideoMode; h.checksum = mb1_checksum(h.flags); });
    }
    SECTION("an unknown required flag") {
        change([](Mb1HeaderCore& h) { h.flags |= 1u << 9; h.checksum = mb1_checksum(h.flags); });
    }
    const LoadResult result = load_refused(image.bytes, guest);
    CHECK(result.error == LoadError::BadMultibootHeader);
    CHECK(result.detail == image.header_offset);
    CHECK(load(image.bytes, guest).kind == "multiboot");
}

TEST_CASE("unknown optional multiboot flags are fine", "[guest_loader]") {
    GuestBuffer guest;
    const Mb1ElfImage image = make_mb1_elf32(kMb1FlagMemoryInfo | (1u << 20));
    load_ok(image.bytes, guest);
}

TEST_CASE("a multiboot header beyond the first 8 KiB does not count", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes text = concat(pattern(kMb1SearchLimit, 5), mb1_header(kMb1FlagMemoryInfo));
    // Make sure the filler holds no magic by accident.
    const Loaded loaded = load_ok(make_elf32(kKernelBase, {{kKernelBase, text, text.size()}}), guest);
    CHECK(loaded.kind == "ELF32");
    CHECK(loaded.entry.rax == 0);
}

TEST_CASE("a multiboot image that is neither ELF nor a.out kludge is refused", "[guest_loader]") {
    GuestBuffer guest;
    const Bytes image = concat(mb1_header(kMb1FlagMemoryInfo), pattern(0x100, 1));
    const LoadResult result = load_refused(image, guest);
    CHECK(result.error == LoadError::BadMultibootHeader);
    CHECK(result.detail == 0);
}

TEST_CASE("malformed a.out kludge address fields are refused", "[guest_loader]") {
    GuestBuffer guest;
    AoutImage image = make_aout();
    const auto change = [&](auto edit) { patch<Mb1Header>(image.bytes, image.header_offset, edit); };
    LoadError expected = LoadError::BadMultibootHeader;
    uint32_t detail = kAoutHeaderOffset;

    SECTION("load_addr above header_addr") {
        change([](Mb1Header& h) { h.load_addr = h.header_addr + 4; });
    }
    SECTION("loading would start before the file") {
        change([](Mb1Header& h) { h.load_addr = h.header_addr - kAoutHeaderOffset - 4; });
    }
    SECTION("load_end_addr below load_addr") {
        change([](Mb1Header& h) { h.load_end_addr = h.load_addr - 1; });
    }
    SECTION("bss_end_addr below load_end_addr") {
        change([](Mb1Header& h) { h.bss_end_addr = h.load_end_addr - 1; });
    }
    SECTION("address fields cut off by the end of the file") {
        image.bytes.resize(image.header_offset + sizeof(Mb1HeaderCore) + 4);
    }
    SECTION("load_end_addr beyond the file") {
        change([](Mb1Header& h) { h.load_end_addr += 1; h.bss_end_addr += 1; });
        expected = LoadError::SegmentBeyondFile;
        detail = 0;
    }
    SECTION("bss beyond memory") {
        change([](Mb1Header& h) { h.bss_end_addr = 0xfffffff0; });
        expected = LoadError::SegmentOutsideMemory;
        detail = 0;
    }
    SECTION("in the boot area") {
        change([](Mb1Header& h) {
            h.header_addr = static_cast<uint32_t>(layout::kMultibootInfo + kAoutHeaderOffset);
            h.load_end_addr = h.bss_end_addr = 0;
            h.load_addr = static_cast<uint32_t>(layout::kMultibootInfo);
        });
        expected = LoadError::SegmentOverlapsBootArea;
        detail = 0;
    }
    SECTION("entry outside memory") {
        change([](Mb1Header& h) { h.entry_addr = 0xfffffff0; });
        expected = LoadError::EntryOutsideMemory;
        detail = 0;
    }
    const LoadResult result = load_refused(image.bytes, guest);
    CHECK(result.error == expected);
    CHECK(result.detail == detail);
}

// =====================================================================================
// Restarts
// =====================================================================================

TEST_CASE("reloading the same bytes after the guest ran gives identical memory", "[guest_loader]") {
    const Bytes elf64 = make_elf64(kKernelBase, {{kKernelBase, pattern(0x1000, 1), 0x4000}});
    const Bytes elf32 = make_elf32(kKernelBase, {{kKernelBase, pattern(0x1000, 2), 0x4000}});
    const Bytes mb1 = make_mb1_elf32().bytes;
    const Bytes aout = make_aout().bytes;
    const Bytes raw = boot_sector();
    for (const Bytes* image : {&elf64, &elf32, &mb1, &aout, &raw}) {
        GuestBuffer guest;
        const Loaded first = load_ok(*image, guest, "restart=1");
        const Bytes pristine = guest.snapshot();
        INFO("kind " << first.kind);

        // The guest scribbles everywhere: its .bss, the page tables, the
        // multiboot information, its own code.
        for (uint64_t gpa = 0; gpa < guest.size(); gpa += 97) guest.host()[gpa] = static_cast<uint8_t>(gpa ^ 0x5a);
        memset(guest.host() + layout::kBootAreaStart, 0xff, layout::kBootAreaEnd - layout::kBootAreaStart);

        const Loaded second = load_ok(*image, guest, "restart=1");
        CHECK(second.kind == first.kind);
        CHECK(same_state(first.entry, second.entry));
        CHECK(differences(guest.snapshot(), pristine) == "");
    }
}

// =====================================================================================
// Reasons
// =====================================================================================

TEST_CASE("every load error has its own reason", "[guest_loader]") {
    std::vector<std::string> seen;
    for (unsigned e = 0; e <= static_cast<unsigned>(LoadError::EntryOutsideMemory); ++e) {
        const char* reason = to_string(static_cast<LoadError>(e));
        REQUIRE(reason != nullptr);
        CHECK(std::string(reason).size() > 0);
        for (const std::string& other : seen) CHECK(other != reason);
        seen.push_back(reason);
    }
    CHECK(std::string(to_string(LoadError::None)) == "no error");
}
