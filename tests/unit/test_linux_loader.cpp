// Unit tests for the Linux bzImage loader (vmm/linux_loader.cpp).
//
// Each test builds a synthetic bzImage: a boot sector with the setup header
// at 0x1f1, setup sectors, and a patterned "protected-mode kernel". The
// checks use the boot protocol's own numbers (offsets from boot.rst and
// zero-page.rst, well-known descriptor values) rather than the loader's
// structs, so a wrong struct layout fails here even where its static_asserts
// were wrong too.
//
// Optionally, BULKHEAD_TEST_BZIMAGE=/path/to/vmlinuz also loads a real
// kernel; without it that test passes with a warning.
#include <catch2/catch.hpp>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/paging.hpp"
#include "kernel/lib/units.hpp"
#include "tests/unit/guest_memory_support.hpp"
#include "vmm/guest_layout.hpp"
#include "vmm/guest_loader.hpp"
#include "vmm/linux_boot.hpp"
#include "vmm/linux_loader.hpp"

using namespace bulkhead;
using namespace bulkhead::test;
namespace layout = bulkhead::guest_layout;
namespace lb = bulkhead::linux_boot;
namespace x86 = bulkhead::x86;

namespace {

constexpr uint64_t kMemory = 64 * kMiB;
constexpr uint64_t kPrefAddress = 16 * kMiB;
constexpr uint32_t kInitSize = 8 * kMiB;
constexpr size_t kPayloadSize = 0x3000;  // the "protected-mode kernel"

// ---- The protocol's numbers, written out independently of linux_boot.hpp ---------

namespace proto {
// Offsets in the file and in the zero page.
constexpr size_t kSentinel = 0x1ef;
constexpr size_t kSetupSects = 0x1f1;
constexpr size_t kSyssize = 0x1f4;
constexpr size_t kBootFlag = 0x1fe;
constexpr size_t kJump = 0x200;
constexpr size_t kHeader = 0x202;
constexpr size_t kVersion = 0x206;
constexpr size_t kTypeOfLoader = 0x210;
constexpr size_t kLoadflags = 0x211;
constexpr size_t kRamdiskImage = 0x218;
constexpr size_t kRamdiskSize = 0x21c;
constexpr size_t kHeapEndPtr = 0x224;
constexpr size_t kCmdLinePtr = 0x228;
constexpr size_t kInitrdAddrMax = 0x22c;
constexpr size_t kKernelAlignment = 0x230;
constexpr size_t kRelocatable = 0x234;
constexpr size_t kXloadflags = 0x236;
constexpr size_t kCmdlineSize = 0x238;
constexpr size_t kSetupData = 0x250;
constexpr size_t kPrefAddress = 0x258;
constexpr size_t kInitSize = 0x260;
constexpr size_t kHeaderEnd = 0x26c;  // after kernel_info_offset (protocol 2.15)
// Zero page only.
constexpr size_t kAcpiRsdpAddr = 0x070;
constexpr size_t kExtRamdiskImage = 0x0c0;
constexpr size_t kExtRamdiskSize = 0x0c4;
constexpr size_t kExtCmdLinePtr = 0x0c8;
constexpr size_t kE820Entries = 0x1e8;
constexpr size_t kE820Table = 0x2d0;
constexpr size_t kE820EntrySize = 20;

constexpr uint8_t kLoadedHigh = 0x01;
constexpr uint8_t kCanUseHeap = 0x80;
constexpr uint16_t kXlfKernel64 = 0x01;
constexpr uint16_t kXlfCanBeLoadedAbove4G = 0x02;
constexpr uint32_t kE820Ram = 1;
constexpr uint32_t kE820Reserved = 2;

// Flat 64-bit code (L=1, P, DPL 0, execute/read, accessed) and flat
// read/write data (D/B=1, G=1, accessed): the values every x86-64 GDT uses.
constexpr uint64_t kFlatCode64 = 0x00af9b000000ffffull;
constexpr uint64_t kFlatData = 0x00cf93000000ffffull;
}  // namespace proto

// ---- Building bzImages -------------------------------------------------------------

struct BzImageSpec {
    uint8_t setup_sects = 4;
    uint16_t version = 0x020f;  // Linux 5.x / 6.x
    uint16_t xloadflags = proto::kXlfKernel64 | proto::kXlfCanBeLoadedAbove4G;
    uint64_t pref_address = kPrefAddress;
    uint32_t init_size = kInitSize;
    uint32_t initrd_addr_max = 0x7fffffff;
    uint32_t cmdline_size = 2047;
    size_t header_end = proto::kHeaderEnd;
    size_t payload_size = kPayloadSize;
    // Values in fields that are the loader's to fill (a real image has
    // zeroes there), to see that the loader overwrites them.
    bool stray_loader_fields = false;
};

struct BzImage {
    Bytes bytes;
    Bytes payload;           // the protected-mode kernel
    size_t payload_offset;   // in the file
};

BzImage make_bzimage(const BzImageSpec& spec = {}) {
    const size_t setup_sectors = spec.setup_sects == 0 ? 4 : spec.setup_sects;
    BzImage image;
    image.payload_offset = (setup_sectors + 1) * 512;
    image.bytes = pattern(image.payload_offset, 0x5c);  // boot sector and setup code
    image.bytes[proto::kSentinel] = 0xff;  // header.S sets it; a loader must not copy it
    image.bytes[proto::kSetupSects] = spec.setup_sects;
    put(image.bytes, proto::kSyssize, static_cast<uint32_t>((spec.payload_size + 15) / 16));
    put(image.bytes, proto::kBootFlag, uint16_t{0xaa55});
    image.bytes[proto::kJump] = 0xeb;  // jmp short over the header
    image.bytes[proto::kJump + 1] = static_cast<uint8_t>(spec.header_end - proto::kHeader);
    memcpy(image.bytes.data() + proto::kHeader, "HdrS", 4);
    put(image.bytes, proto::kVersion, spec.version);
    image.bytes[proto::kTypeOfLoader] = 0;
    image.bytes[proto::kLoadflags] = proto::kLoadedHigh;
    put(image.bytes, proto::kRamdiskImage, uint32_t{0});
    put(image.bytes, proto::kRamdiskSize, uint32_t{0});
    put(image.bytes, proto::kHeapEndPtr, uint16_t{0});
    put(image.bytes, proto::kCmdLinePtr, uint32_t{0});
    put(image.bytes, proto::kInitrdAddrMax, spec.initrd_addr_max);
    put(image.bytes, proto::kKernelAlignment, static_cast<uint32_t>(2 * kMiB));
    image.bytes[proto::kRelocatable] = 1;
    put(image.bytes, proto::kXloadflags, spec.xloadflags);
    put(image.bytes, proto::kCmdlineSize, spec.cmdline_size);
    put(image.bytes, proto::kSetupData, uint64_t{0});
    put(image.bytes, proto::kPrefAddress, spec.pref_address);
    put(image.bytes, proto::kInitSize, spec.init_size);
    if (spec.stray_loader_fields) {
        image.bytes[proto::kLoadflags] |= proto::kCanUseHeap;
        put(image.bytes, proto::kHeapEndPtr, uint16_t{0x9dff});
        put(image.bytes, proto::kSetupData, uint64_t{0x123456789});
        put(image.bytes, proto::kRamdiskImage, uint32_t{0xdead000});
    }
    image.payload = pattern(spec.payload_size, 0x21);
    image.bytes = concat(image.bytes, image.payload);
    return image;
}

// ---- Running the loader ------------------------------------------------------------

struct Loaded {
    LinuxLoadResult result;
    GuestEntryState entry;
};

LinuxImages images_of(const Bytes& kernel, const Bytes& initrd = {}, const char* cmdline = "") {
    return LinuxImages{kernel.data(), kernel.size(), initrd.empty() ? nullptr : initrd.data(), initrd.size(),
                       cmdline};
}

Loaded load_ok(const LinuxImages& images, GuestBuffer& guest) {
    Loaded loaded{};
    loaded.result = load_linux(images, guest.memory(), loaded.entry);
    INFO("error: " << to_string(loaded.result.error) << ", detail " << loaded.result.detail);
    REQUIRE(loaded.result.error == LinuxLoadError::None);
    return loaded;
}

// Loads images that must be refused, and checks the refusal wrote nothing:
// guest memory still holds its garbage and entry is untouched.
LinuxLoadResult load_refused(const LinuxImages& images, GuestBuffer& guest) {
    const Bytes before = guest.snapshot();
    GuestEntryState entry{};
    entry.rip = 0x1234;
    const LinuxLoadResult result = load_linux(images, guest.memory(), entry);
    CHECK(result.error != LinuxLoadError::None);
    CHECK(std::string(to_string(result.error)).size() > 0);
    CHECK(entry.rip == 0x1234);
    CHECK(differences(guest.snapshot(), before) == "");
    return result;
}

uint64_t zero_page(uint64_t offset) { return layout::kLinuxZeroPage + offset; }

struct E820 {
    uint64_t addr, size;
    uint32_t type;
};

E820 e820_entry(GuestBuffer& guest, size_t index) {
    const uint64_t at = zero_page(proto::kE820Table + index * proto::kE820EntrySize);
    return E820{guest.read<uint64_t>(at), guest.read<uint64_t>(at + 8), guest.read<uint32_t>(at + 16)};
}

// The memory a load must produce, built from the inputs alone except for
// the zero page, the GDT and the page tables, which other tests check field
// by field; they are copied from `guest`.
Bytes expected_memory(GuestBuffer& guest, const BzImage& image, uint64_t initrd_at, const Bytes& initrd,
                      const std::string& cmdline) {
    Bytes expected(guest.size(), 0);
    memcpy(expected.data() + kPrefAddress, image.payload.data(), image.payload.size());
    if (!initrd.empty()) memcpy(expected.data() + initrd_at, initrd.data(), initrd.size());
    memcpy(expected.data() + layout::kLinuxCmdline, cmdline.data(), cmdline.size());
    const auto copy_from_guest = [&](uint64_t start, uint64_t end) {
        memcpy(expected.data() + start, guest.host() + start, end - start);
    };
    copy_from_guest(layout::kLinuxGdt, layout::kLinuxGdt + layout::kLinuxGdtSize);
    copy_from_guest(layout::kLinuxZeroPage, layout::kLinuxZeroPage + x86::kPageSize4K);
    copy_from_guest(layout::kPml4, layout::kBootAreaEnd);
    return expected;
}

}  // namespace

// =====================================================================================
// Recognising a bzImage
// =====================================================================================

TEST_CASE("is_bzimage wants the boot flag and \"HdrS\"", "[linux_loader]") {
    const Bytes image = make_bzimage().bytes;
    CHECK(is_bzimage(image.data(), image.size()));
    CHECK(is_bzimage(image.data(), proto::kHeader + 4));
    CHECK_FALSE(is_bzimage(image.data(), proto::kHeader + 3));
    CHECK_FALSE(is_bzimage(nullptr, 0));

    Bytes boot_sector = image;  // a boot sector has the flag but no setup header
    memcpy(boot_sector.data() + proto::kHeader, "\0\0\0\0", 4);
    CHECK_FALSE(is_bzimage(boot_sector.data(), boot_sector.size()));
    Bytes no_flag = image;
    put(no_flag, proto::kBootFlag, uint16_t{0x55aa});
    CHECK_FALSE(is_bzimage(no_flag.data(), no_flag.size()));
}

// =====================================================================================
// A kernel that loads
// =====================================================================================

TEST_CASE("a bzImage loads at pref_address, and nothing else but the boot structures is written",
          "[linux_loader]") {
    GuestBuffer guest(kMemory);
    const BzImage image = make_bzimage();
    const Bytes initrd = pattern(0x12345, 0x77);
    const std::string cmdline = "console=ttyS0 root=/dev/ram0";
    const Loaded loaded = load_ok(images_of(image.bytes, initrd, cmdline.c_str()), guest);

    CHECK(loaded.result.kernel == kPrefAddress);
    // As high as it goes: the page boundary at or below 64 MiB - size.
    const uint64_t initrd_at = (kMemory - initrd.size()) / x86::kPageSize4K * x86::kPageSize4K;
    CHECK(loaded.result.initrd == initrd_at);
    CHECK(differences(guest.snapshot(), expected_memory(guest, image, initrd_at, initrd, cmdline)) == "");
    CHECK(guest.string_at(layout::kLinuxCmdline) == cmdline);
}

TEST_CASE("the entry state is the 64-bit boot protocol's", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    const Loaded loaded = load_ok(images_of(make_bzimage().bytes), guest);
    const GuestEntryState& e = loaded.entry;

    CHECK(e.mode == EntryMode::Long64);
    CHECK(e.rip == kPrefAddress + 0x200);
    CHECK(e.rsi == layout::kLinuxZeroPage);
    CHECK(e.cs == 0x10);
    CHECK(e.ds_ss == 0x18);
    CHECK(e.cr3 == layout::kPml4);
    CHECK(e.cr0 == (x86::cr0::kProtectionEnable | x86::cr0::kExtensionType | x86::cr0::kNumericError |
                    x86::cr0::kPaging));
    CHECK(e.cr4 == x86::cr4::kPae);
    CHECK(e.efer == (x86::efer::kLongModeEnable | x86::efer::kLongModeActive));
    CHECK(e.rsp == layout::kLinuxStackTop);
    CHECK(e.rax == 0);
    CHECK(e.rbx == 0);
    CHECK(e.rdx == 0);

    // GDT: __BOOT_CS (0x10) flat 64-bit code, __BOOT_DS (0x18) flat data.
    CHECK(e.gdt_base == 0x1000);
    CHECK(e.gdt_limit == 4 * 8 - 1);
    CHECK(guest.read<uint64_t>(0x1000) == 0);
    CHECK(guest.read<uint64_t>(0x1008) == 0);
    CHECK(guest.read<uint64_t>(0x1000 + 0x10) == proto::kFlatCode64);
    CHECK(guest.read<uint64_t>(0x1000 + 0x18) == proto::kFlatData);

    // Paging: everything the protocol wants identity-mapped is, and so is
    // the rest of memory.
    check_identity_map(guest, e.cr3);
    for (uint64_t va : {uint64_t{layout::kLinuxZeroPage}, uint64_t{layout::kLinuxCmdline}, kPrefAddress,
                        kPrefAddress + kInitSize - 1}) {
        const Walk walk = translate(guest, e.cr3, va);
        CHECK(walk.present);
        CHECK(walk.phys == va);
    }
}

TEST_CASE("the zero page holds the setup header, the loader's fields and the memory map", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    BzImageSpec spec;
    spec.stray_loader_fields = true;
    const BzImage image = make_bzimage(spec);
    const Bytes initrd = pattern(3 * kMiB + 5, 0x42);
    const Loaded loaded = load_ok(images_of(image.bytes, initrd, "quiet"), guest);
    const uint64_t initrd_at = loaded.result.initrd;

    // The page as the protocol describes it: zero, but for the header and
    // the fields below.
    Bytes page(x86::kPageSize4K, 0);
    memcpy(page.data() + proto::kSetupSects, image.bytes.data() + proto::kSetupSects,
           proto::kHeaderEnd - proto::kSetupSects);
    const auto set = [&](size_t offset, auto value) { memcpy(page.data() + offset, &value, sizeof(value)); };
    set(proto::kTypeOfLoader, uint8_t{0xff});
    set(proto::kLoadflags, proto::kLoadedHigh);
    set(proto::kHeapEndPtr, uint16_t{0});
    set(proto::kSetupData, uint64_t{0});
    set(proto::kCmdLinePtr, static_cast<uint32_t>(layout::kLinuxCmdline));
    set(proto::kRamdiskImage, static_cast<uint32_t>(initrd_at));
    set(proto::kRamdiskSize, static_cast<uint32_t>(initrd.size()));
    set(proto::kAcpiRsdpAddr, uint64_t{0xe0000});
    set(proto::kE820Entries, uint8_t{3});
    const E820 map[] = {{0, 0xe0000, proto::kE820Ram},
                        {0xe0000, 0x20000, proto::kE820Reserved},
                        {0x100000, kMemory - 0x100000, proto::kE820Ram}};
    for (size_t i = 0; i < 3; ++i) {
        set(proto::kE820Table + i * proto::kE820EntrySize, map[i].addr);
        set(proto::kE820Table + i * proto::kE820EntrySize + 8, map[i].size);
        set(proto::kE820Table + i * proto::kE820EntrySize + 16, map[i].type);
    }

    SECTION("the loader's fields") {
        CHECK(guest.read<uint8_t>(zero_page(proto::kTypeOfLoader)) == 0xff);
        CHECK(guest.read<uint32_t>(zero_page(proto::kCmdLinePtr)) == layout::kLinuxCmdline);
        CHECK(guest.read<uint32_t>(zero_page(proto::kExtCmdLinePtr)) == 0);
        CHECK(guest.read<uint32_t>(zero_page(proto::kRamdiskImage)) == initrd_at);
        CHECK(guest.read<uint32_t>(zero_page(proto::kRamdiskSize)) == initrd.size());
        CHECK(guest.read<uint32_t>(zero_page(proto::kExtRamdiskImage)) == 0);
        CHECK(guest.read<uint32_t>(zero_page(proto::kExtRamdiskSize)) == 0);
        CHECK(guest.read<uint64_t>(zero_page(proto::kAcpiRsdpAddr)) == 0xe0000);
        CHECK(guest.read<uint64_t>(zero_page(proto::kSetupData)) == 0);
        // No heap for the 16-bit setup code that never runs; LOADED_HIGH kept.
        CHECK(guest.read<uint8_t>(zero_page(proto::kLoadflags)) == proto::kLoadedHigh);
        CHECK((guest.read<uint8_t>(zero_page(proto::kLoadflags)) & proto::kCanUseHeap) == 0);
        CHECK(guest.read<uint16_t>(zero_page(proto::kHeapEndPtr)) == 0);
        CHECK(guest.read<uint8_t>(zero_page(proto::kSentinel)) == 0);
    }
    SECTION("the rest of the header is the image's, byte for byte, and nothing after it") {
        CHECK(differences(guest.bytes_at(zero_page(proto::kSetupSects), proto::kHeaderEnd - proto::kSetupSects),
                          Bytes(page.begin() + proto::kSetupSects, page.begin() + proto::kHeaderEnd)) == "");
        // init_size in particular: startup_64 reads it from the zero page.
        CHECK(guest.read<uint32_t>(zero_page(proto::kInitSize)) == kInitSize);
        CHECK(guest.all_zero(zero_page(proto::kHeaderEnd), 0x290 - proto::kHeaderEnd));
    }
    SECTION("the memory map is exactly the partition") {
        REQUIRE(guest.read<uint8_t>(zero_page(proto::kE820Entries)) == 3);
        const E820 low = e820_entry(guest, 0), acpi = e820_entry(guest, 1), high = e820_entry(guest, 2);
        CHECK((low.addr == 0 && low.size == 0xe0000 && low.type == proto::kE820Ram));
        CHECK((acpi.addr == 0xe0000 && acpi.size == 0x20000 && acpi.type == proto::kE820Reserved));
        CHECK((high.addr == 0x100000 && high.size == kMemory - 0x100000 && high.type == proto::kE820Ram));
        CHECK(guest.all_zero(zero_page(proto::kE820Table + 3 * proto::kE820EntrySize), proto::kE820EntrySize));
    }
    SECTION("and nothing else") {
        CHECK(differences(guest.bytes_at(layout::kLinuxZeroPage, page.size()), page) == "");
    }
}

TEST_CASE("a kernel with a shorter (protocol 2.12) header gets exactly that header copied", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    BzImageSpec spec;
    spec.version = 0x020c;
    spec.header_end = 0x268;  // up to handover_offset; 0x268 on is setup code
    const BzImage image = make_bzimage(spec);
    load_ok(images_of(image.bytes), guest);
    CHECK(guest.read<uint32_t>(zero_page(0x264)) == get<uint32_t>(image.bytes.data() + 0x264));
    CHECK(guest.all_zero(zero_page(0x268), 0x290 - 0x268));
}

TEST_CASE("setup_sects 0 means 4", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    BzImageSpec spec;
    spec.setup_sects = 0;
    const BzImage image = make_bzimage(spec);
    REQUIRE(image.payload_offset == 5 * 512);
    load_ok(images_of(image.bytes), guest);
    CHECK(differences(guest.bytes_at(kPrefAddress, kPayloadSize), image.payload) == "");
}

TEST_CASE("more setup sectors move the protected-mode kernel in the file, not in memory", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    BzImageSpec spec;
    spec.setup_sects = 39;  // what a Debian 6.1 kernel has
    const BzImage image = make_bzimage(spec);
    load_ok(images_of(image.bytes), guest);
    CHECK(differences(guest.bytes_at(kPrefAddress, kPayloadSize), image.payload) == "");
}

TEST_CASE("without an initrd the ramdisk fields are zero; a null command line is an empty one", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    const Bytes kernel = make_bzimage().bytes;
    const Loaded loaded = load_ok(LinuxImages{kernel.data(), kernel.size(), nullptr, 1234, nullptr}, guest);
    CHECK(loaded.result.initrd == 0);
    CHECK(guest.read<uint32_t>(zero_page(proto::kRamdiskImage)) == 0);
    CHECK(guest.read<uint32_t>(zero_page(proto::kRamdiskSize)) == 0);
    CHECK(guest.read<uint32_t>(zero_page(proto::kCmdLinePtr)) == layout::kLinuxCmdline);
    CHECK(guest.string_at(layout::kLinuxCmdline) == "");
}

// =====================================================================================
// Limits: exactly at the limit fits, one more is refused
// =====================================================================================

TEST_CASE("the kernel's init_size may reach the end of memory, not beyond", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    BzImageSpec spec;
    spec.init_size = static_cast<uint32_t>(kMemory - kPrefAddress);
    load_ok(images_of(make_bzimage(spec).bytes), guest);

    spec.init_size += 1;
    const LinuxLoadResult result = load_refused(images_of(make_bzimage(spec).bytes), guest);
    CHECK(result.error == LinuxLoadError::KernelTooLarge);
    CHECK(result.detail == 65);  // MiB of memory it needs
}

TEST_CASE("the initrd may fill all memory between the kernel and the top, not more", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    const Bytes kernel = make_bzimage().bytes;
    const uint64_t room = kMemory - (kPrefAddress + kInitSize);
    const Bytes fits = pattern(room, 0x13);
    const Loaded loaded = load_ok(images_of(kernel, fits), guest);
    CHECK(loaded.result.initrd == kPrefAddress + kInitSize);
    CHECK(differences(guest.bytes_at(loaded.result.initrd, fits.size()), fits) == "");

    const Bytes too_big = pattern(room + 1, 0x13);
    const LinuxLoadResult result = load_refused(images_of(kernel, too_big), guest);
    CHECK(result.error == LinuxLoadError::InitrdTooLarge);
    CHECK(result.detail == room / kMiB);
}

TEST_CASE("the initrd stays at or below initrd_addr_max", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    BzImageSpec spec;
    spec.initrd_addr_max = 48 * kMiB - 1;  // the last byte it may occupy
    const Bytes kernel = make_bzimage(spec).bytes;
    const Bytes initrd = pattern(2 * kMiB + 100, 0x99);
    const Loaded loaded = load_ok(images_of(kernel, initrd), guest);
    CHECK(loaded.result.initrd % x86::kPageSize4K == 0);
    CHECK(loaded.result.initrd + initrd.size() <= 48 * kMiB);
    CHECK(loaded.result.initrd + initrd.size() > 48 * kMiB - x86::kPageSize4K);
    CHECK(differences(guest.bytes_at(loaded.result.initrd, initrd.size()), initrd) == "");

    spec.initrd_addr_max = kPrefAddress + kInitSize + kMiB - 1;  // 1 MiB of room above the kernel
    const Bytes kernel2 = make_bzimage(spec).bytes;
    CHECK(load_refused(images_of(kernel2, initrd), guest).error == LinuxLoadError::InitrdTooLarge);
    CHECK(load_refused(images_of(kernel2, initrd), guest).detail == 1);
}

TEST_CASE("the command line may be as long as the kernel's cmdline_size and our 2 KiB allow", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    BzImageSpec spec;
    SECTION("the kernel's limit is the smaller") {
        spec.cmdline_size = 100;
    }
    SECTION("ours is the smaller") {
        spec.cmdline_size = 4095;
    }
    const size_t limit = spec.cmdline_size < 2047 ? spec.cmdline_size : 2047;
    const Bytes kernel = make_bzimage(spec).bytes;
    const std::string longest(limit, 'x');
    load_ok(images_of(kernel, {}, longest.c_str()), guest);
    CHECK(guest.string_at(layout::kLinuxCmdline) == longest);

    const std::string too_long(limit + 1, 'x');
    const LinuxLoadResult result = load_refused(images_of(kernel, {}, too_long.c_str()), guest);
    CHECK(result.error == LinuxLoadError::CmdlineTooLong);
    CHECK(result.detail == limit);
}

// =====================================================================================
// Refusals: each one writes nothing
// =====================================================================================

TEST_CASE("malformed or unsuitable kernels are refused", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    BzImageSpec spec;
    Bytes image;
    LinuxLoadError expected = LinuxLoadError::None;
    uint32_t expected_detail = 0;

    SECTION("no boot flag") {
        image = make_bzimage().bytes;
        put(image, proto::kBootFlag, uint16_t{0});
        expected = LinuxLoadError::NotBzImage;
    }
    SECTION("no HdrS") {
        image = make_bzimage().bytes;
        memcpy(image.data() + proto::kHeader, "HdrT", 4);
        expected = LinuxLoadError::NotBzImage;
    }
    SECTION("too short to hold a whole setup header") {
        image = make_bzimage().bytes;
        image.resize(proto::kHeaderEnd - 1);
        expected = LinuxLoadError::NotBzImage;
    }
    SECTION("boot protocol 2.11") {
        spec.version = 0x020b;
        image = make_bzimage(spec).bytes;
        expected = LinuxLoadError::ProtocolTooOld;
        expected_detail = 0x020b;
    }
    SECTION("a header that ends before init_size") {
        spec.header_end = 0x264;
        image = make_bzimage(spec).bytes;
        expected = LinuxLoadError::BadSetupHeader;
    }
    SECTION("a 32-bit kernel (no XLF_KERNEL_64)") {
        spec.xloadflags = proto::kXlfCanBeLoadedAbove4G;
        image = make_bzimage(spec).bytes;
        expected = LinuxLoadError::No64BitEntry;
    }
    SECTION("the file ends inside the setup sectors") {
        image = make_bzimage().bytes;
        image.resize(5 * 512);
        expected = LinuxLoadError::Truncated;
    }
    SECTION("the file ends before syssize says") {
        image = make_bzimage().bytes;
        image.pop_back();
        expected = LinuxLoadError::Truncated;
    }
    SECTION("the file ends before the 64-bit entry point") {
        spec.payload_size = 0x200;
        image = make_bzimage(spec).bytes;
        expected = LinuxLoadError::Truncated;
    }
    SECTION("pref_address below 1 MiB") {
        spec.pref_address = 0x90000;
        image = make_bzimage(spec).bytes;
        expected = LinuxLoadError::KernelAddressTooLow;
    }
    SECTION("pref_address beyond memory") {
        spec.pref_address = kMemory;
        image = make_bzimage(spec).bytes;
        expected = LinuxLoadError::KernelTooLarge;
        expected_detail = (kMemory + kInitSize) / kMiB;
    }
    SECTION("pref_address + init_size wraps around") {
        spec.pref_address = ~uint64_t{0} - 0x1000;
        image = make_bzimage(spec).bytes;
        expected = LinuxLoadError::KernelTooLarge;
        expected_detail = UINT32_MAX;
    }
    INFO("expected: " << to_string(expected));
    const LinuxLoadResult result = load_refused(images_of(image), guest);
    CHECK(result.error == expected);
    CHECK(result.detail == expected_detail);
}

TEST_CASE("an empty kernel is refused", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    CHECK(load_refused(LinuxImages{nullptr, 0, nullptr, 0, nullptr}, guest).error == LinuxLoadError::Empty);
    const Bytes kernel = make_bzimage().bytes;
    CHECK(load_refused(LinuxImages{kernel.data(), 0, nullptr, 0, nullptr}, guest).error == LinuxLoadError::Empty);
}

TEST_CASE("Linux partitions have 64 MiB to 4 GiB of memory in 2 MiB steps", "[linux_loader]") {
    const Bytes kernel = make_bzimage().bytes;
    {
        GuestBuffer guest(62 * kMiB);
        CHECK(load_refused(images_of(kernel), guest).error == LinuxLoadError::MemoryTooSmall);
    }
    {
        GuestBuffer guest(kMemory + kMiB);
        CHECK(load_refused(images_of(kernel), guest).error == LinuxLoadError::MemorySizeUnsupported);
    }
    {
        // Refused before the first access, so a small buffer can claim to be big.
        GuestBuffer guest;
        GuestEntryState entry{};
        const GuestMemory huge{guest.host(), 4 * kGiB + 2 * kMiB};
        CHECK(load_linux(images_of(kernel), huge, entry).error == LinuxLoadError::MemorySizeUnsupported);
        const GuestMemory none{nullptr, kMemory};
        CHECK(load_linux(images_of(kernel), none, entry).error == LinuxLoadError::MemoryTooSmall);
        // RAM may not reach the interrupt controllers' registers at 0xfec00000.
        const GuestMemory covers_apic{guest.host(), 4 * kGiB};
        CHECK(load_linux(images_of(kernel), covers_apic, entry).error == LinuxLoadError::MemoryOverlapsDevices);
        const GuestMemory below_apic{guest.host(), 0xfec00000 + 2 * kMiB};
        CHECK(load_linux(images_of(kernel), below_apic, entry).error == LinuxLoadError::MemoryOverlapsDevices);
    }
}

// =====================================================================================
// Restarts
// =====================================================================================

TEST_CASE("reloading Linux after it ran gives identical memory and state", "[linux_loader]") {
    GuestBuffer guest(kMemory);
    const Bytes kernel = make_bzimage().bytes;
    const Bytes initrd = pattern(0x5000, 0x61);
    const LinuxImages images = images_of(kernel, initrd, "init=/bin/sh");
    const Loaded first = load_ok(images, guest);
    const Bytes pristine = guest.snapshot();

    // The guest scribbles everywhere: the decompressed kernel, page tables,
    // the zero page.
    for (uint64_t gpa = 0; gpa < guest.size(); gpa += 97) guest.host()[gpa] = static_cast<uint8_t>(gpa ^ 0x5a);
    memset(guest.host() + layout::kBootAreaStart, 0xff, layout::kBootAreaEnd - layout::kBootAreaStart);

    const Loaded second = load_ok(images, guest);
    CHECK(differences(guest.snapshot(), pristine) == "");
    CHECK(same_state(first.entry, second.entry));
    CHECK(first.result.initrd == second.result.initrd);
}

// =====================================================================================
// Reasons
// =====================================================================================

TEST_CASE("every Linux load error has its own reason", "[linux_loader]") {
    std::vector<std::string> seen;
    for (unsigned e = 0; e <= static_cast<unsigned>(LinuxLoadError::CmdlineTooLong); ++e) {
        const char* reason = to_string(static_cast<LinuxLoadError>(e));
        REQUIRE(reason != nullptr);
        CHECK(std::string(reason).size() > 0);
        CHECK(std::string(reason) != "unknown Linux load error");
        for (const std::string& other : seen) CHECK(other != reason);
        seen.push_back(reason);
    }
    CHECK(std::string(to_string(LinuxLoadError::None)) == "no error");
}

// =====================================================================================
// A real kernel (optional)
// =====================================================================================

TEST_CASE("a real bzImage, when BULKHEAD_TEST_BZIMAGE names one", "[linux_loader]") {
    const char* path = getenv("BULKHEAD_TEST_BZIMAGE");
    if (path == nullptr || *path == '\0') {
        WARN("BULKHEAD_TEST_BZIMAGE not set: no real kernel checked");
        return;
    }
    std::ifstream file(path, std::ios::binary);
    REQUIRE(file.good());
    const Bytes kernel{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    REQUIRE(is_bzimage(kernel.data(), kernel.size()));

    const uint8_t* k = kernel.data();
    const uint64_t pref_address = get<uint64_t>(k + proto::kPrefAddress);
    const uint32_t init_size = get<uint32_t>(k + proto::kInitSize);
    const size_t setup_sects = k[proto::kSetupSects] == 0 ? 4 : k[proto::kSetupSects];
    const size_t payload_offset = (setup_sects + 1) * 512;
    INFO("protocol " << std::hex << get<uint16_t>(k + proto::kVersion) << ", pref_address " << pref_address
                     << ", init_size " << init_size);

    GuestBuffer guest(256 * kMiB);
    const Bytes initrd = pattern(3 * kMiB, 0x0d);
    const Loaded loaded = load_ok(images_of(kernel, initrd, "console=ttyS0 nokaslr"), guest);
    CHECK(loaded.result.kernel == pref_address);
    CHECK(loaded.entry.rip == pref_address + 0x200);
    CHECK(loaded.result.initrd >= pref_address + init_size);
    CHECK(differences(guest.bytes_at(pref_address, kernel.size() - payload_offset),
                      Bytes(kernel.begin() + payload_offset, kernel.end())) == "");
    // startup_64 has opened with cld; cli; xor %eax,%eax since 2.6.
    CHECK(differences(guest.bytes_at(loaded.entry.rip, 4), Bytes{0xfc, 0xfa, 0x31, 0xc0}) == "");
    CHECK(guest.read<uint32_t>(zero_page(proto::kInitSize)) == init_size);

    // A distribution kernel needs more than 64 MiB; the reason says how much.
    if (pref_address + init_size > kMemory) {
        GuestBuffer small(kMemory);
        const LinuxLoadResult result = load_refused(images_of(kernel), small);
        CHECK(result.error == LinuxLoadError::KernelTooLarge);
        CHECK(result.detail == (pref_address + init_size + kMiB - 1) / kMiB);
    }
}
