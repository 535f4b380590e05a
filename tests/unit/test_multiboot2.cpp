// Unit tests for the multiboot2 boot information parser.
//
// Each test builds an MBI byte image with MbiBuilder, exactly as a loader
// would lay it out, then feeds it (or a damaged copy) to parse_multiboot2.
// Buffers handed to the parser are allocated at their exact size, so running
// these tests under AddressSanitizer catches any read past the end.
#include <catch2/catch.hpp>

#include <stdint.h>
#include <string.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "kernel/multiboot2.hpp"

using namespace bulkhead;

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t kUnknownTagType = 0x1234;
constexpr uint32_t kMmapEntrySize = sizeof(Mb2MmapEntry);
constexpr uint32_t kUnknownMemoryType = 7;

// Builds an MBI: header, tags padded to 8 bytes, optional end tag.
class MbiBuilder {
public:
    MbiBuilder() { bytes_.resize(sizeof(Mb2InfoHeader), 0); }

    // Appends a tag with an explicit size field (which may lie) and returns
    // its offset. The bytes actually written are exactly `payload`.
    size_t raw_tag(uint32_t type, uint32_t size_field, const Bytes& payload) {
        const size_t offset = bytes_.size();
        put32(type);
        put32(size_field);
        bytes_.insert(bytes_.end(), payload.begin(), payload.end());
        pad();
        return offset;
    }

    size_t tag(uint32_t type, const Bytes& payload) {
        return raw_tag(type, static_cast<uint32_t>(sizeof(Mb2TagHeader) + payload.size()), payload);
    }

    size_t string_tag(uint32_t type, const std::string& text) {
        Bytes payload(text.begin(), text.end());
        payload.push_back('\0');
        return tag(type, payload);
    }

    size_t module(uint32_t start, uint32_t end, const std::string& cmdline) {
        Bytes payload;
        append32(payload, start);
        append32(payload, end);
        payload.insert(payload.end(), cmdline.begin(), cmdline.end());
        payload.push_back('\0');
        return tag(kMb2TagModule, payload);
    }

    struct Region {
        uint64_t base;
        uint64_t length;
        uint32_t type;
    };

    // entry_size larger than 24 pads each entry with 0xee bytes.
    size_t mmap(const std::vector<Region>& regions, uint32_t entry_size = kMmapEntrySize) {
        Bytes payload;
        append32(payload, entry_size);
        append32(payload, 0);  // entry_version
        for (const Region& r : regions) {
            Bytes entry;
            append64(entry, r.base);
            append64(entry, r.length);
            append32(entry, r.type);
            append32(entry, 0);
            entry.resize(entry_size, 0xee);
            payload.insert(payload.end(), entry.begin(), entry.end());
        }
        return tag(kMb2TagMmap, payload);
    }

    // An RSDP copy of `length` bytes starting with the given signature.
    size_t rsdp(uint32_t type, size_t length, const char* signature = kRsdpSignature) {
        Bytes payload(length, 0);
        memcpy(payload.data(), signature, length < kRsdpSignatureLength ? length : kRsdpSignatureLength);
        return tag(type, payload);
    }

    size_t end() { return raw_tag(kMb2TagEnd, kMb2EndTagSize, {}); }

    // The finished image with total_size filled in, allocated at exact size.
    Bytes finish() {
        Bytes out = bytes_;
        set_total_size(out, static_cast<uint32_t>(out.size()));
        return out;
    }

    static void set_total_size(Bytes& image, uint32_t total) { memcpy(image.data(), &total, sizeof(total)); }

private:
    static void append32(Bytes& b, uint32_t v) {
        for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    static void append64(Bytes& b, uint64_t v) {
        for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    void put32(uint32_t v) { append32(bytes_, v); }
    void pad() {
        while (bytes_.size() % kMb2TagAlignment != 0) bytes_.push_back(0);
    }

    Bytes bytes_;
};

// Copies the first n bytes into a fresh exact-size heap buffer, so that any
// read beyond n is a heap overflow ASan reports.
Bytes prefix(const Bytes& image, size_t n) { return Bytes(image.begin(), image.begin() + static_cast<long>(n)); }

Mb2Result parse(const Bytes& image, BootInfo& info) {
    REQUIRE(reinterpret_cast<uintptr_t>(image.data()) % kMb2TagAlignment == 0);
    return parse_multiboot2(image.data(), image.size(), info);
}

// BootInfo is ~4 KiB; keep it off the test's stack frame.
struct InfoHolder {
    BootInfo info;
};

bool is_empty(const BootInfo& info) {
    return info.memory_count == 0 && info.module_count == 0 && info.rsdp == nullptr &&
           std::string(info.cmdline).empty() && std::string(info.bootloader_name).empty() &&
           info.ignored_tag_count == 0 && !info.memory_map_truncated;
}

bool points_into(const void* p, const Bytes& image) {
    const auto* b = static_cast<const uint8_t*>(p);
    return b >= image.data() && b < image.data() + image.size();
}

// A realistic MBI using every tag kind the parser handles.
struct FullImage {
    Bytes bytes;
};

FullImage build_full_image() {
    MbiBuilder b;
    b.string_tag(kMb2TagCmdline, "/boot/bulkhead.elf serial=com1 loglevel=debug");
    b.string_tag(kMb2TagBootloaderName, "GRUB 2.06");
    b.tag(kMb2TagBasicMeminfo, Bytes(8, 0));
    b.mmap({{0x0, 0x9fc00, kMb2MemoryAvailable},
            {0x9fc00, 0x400, kMb2MemoryReserved},
            {0x100000, 0x7ee0000, kMb2MemoryAvailable},
            {0x7fe0000, 0x20000, kMb2MemoryAcpiReclaimable},
            {0xfffc0000, 0x40000, kUnknownMemoryType}});
    b.module(0x200000, 0x300000, "partition name=alpha");
    b.module(0x300000, 0x300000, "");
    b.rsdp(kMb2TagAcpiNew, kRsdpV2Length);
    b.rsdp(kMb2TagAcpiOld, kRsdpV1Length);  // after the v2 one: must not replace it
    b.tag(kMb2TagEfi64, Bytes(8, 0));
    b.tag(kMb2TagEfiMmap, Bytes(16, 0));
    b.tag(kMb2TagEfiBootServicesNotTerminated, {});
    b.tag(kMb2TagEfi64ImageHandle, Bytes(8, 0));
    b.tag(kUnknownTagType, Bytes(13, 0xab));  // odd size: exercises padding
    b.end();
    return {b.finish()};
}

constexpr uint32_t kFullImageIgnoredTags = 6;  // meminfo, 4 EFI tags, unknown

}  // namespace

TEST_CASE("full boot information is parsed", "[multiboot2]") {
    const FullImage image = build_full_image();
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;

    const Mb2Result result = parse(image.bytes, info);
    REQUIRE(result.error == Mb2Error::None);
    CHECK(result.offset == 0);

    CHECK(info.mbi_address == reinterpret_cast<uintptr_t>(image.bytes.data()));
    CHECK(info.mbi_size == image.bytes.size());
    CHECK(std::string(info.cmdline) == "/boot/bulkhead.elf serial=com1 loglevel=debug");
    CHECK(std::string(info.bootloader_name) == "GRUB 2.06");
    CHECK(points_into(info.cmdline, image.bytes));

    REQUIRE(info.memory_count == 5);
    CHECK_FALSE(info.memory_map_truncated);
    CHECK(info.memory[0].base == 0);
    CHECK(info.memory[0].length == 0x9fc00);
    CHECK(info.memory[0].type == MemoryType::Available);
    CHECK(info.memory[1].type == MemoryType::Reserved);
    CHECK(info.memory[2].base == 0x100000);
    CHECK(info.memory[2].length == 0x7ee0000);
    CHECK(info.memory[3].type == MemoryType::AcpiReclaimable);
    // Unknown types keep their raw value and are not usable RAM.
    CHECK(static_cast<uint32_t>(info.memory[4].type) == kUnknownMemoryType);
    CHECK_FALSE(is_usable_ram(info.memory[4].type));
    CHECK(is_usable_ram(info.memory[2].type));

    REQUIRE(info.module_count == 2);
    CHECK(info.modules[0].start == 0x200000);
    CHECK(info.modules[0].end == 0x300000);
    CHECK(std::string(info.modules[0].cmdline) == "partition name=alpha");
    CHECK(info.modules[1].start == info.modules[1].end);
    CHECK(std::string(info.modules[1].cmdline).empty());

    REQUIRE(info.rsdp != nullptr);
    CHECK(info.rsdp_is_v2);
    CHECK(info.rsdp_length == kRsdpV2Length);
    CHECK(points_into(info.rsdp, image.bytes));
    CHECK(memcmp(info.rsdp, kRsdpSignature, kRsdpSignatureLength) == 0);

    CHECK(info.efi_system_table_present);
    CHECK(info.efi_boot_services_active);
    CHECK(info.ignored_tag_count == kFullImageIgnoredTags);
}

TEST_CASE("minimal boot information gives empty defaults", "[multiboot2]") {
    MbiBuilder b;
    b.end();
    const Bytes image = b.finish();
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;
    memset(&info, 0x5a, sizeof(info));  // garbage from a previous life

    REQUIRE(parse(image, info).error == Mb2Error::None);
    CHECK(is_empty(info));
    CHECK(info.cmdline != nullptr);
    CHECK(info.bootloader_name != nullptr);
    CHECK_FALSE(info.efi_system_table_present);
    CHECK_FALSE(info.efi_boot_services_active);
    CHECK(info.rsdp_length == 0);
    CHECK(info.mbi_size == 16);
}

TEST_CASE("bad pointers and headers are rejected", "[multiboot2]") {
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;
    const FullImage full = build_full_image();

    SECTION("null pointer") {
        CHECK(parse_multiboot2(nullptr, 4096, info).error == Mb2Error::NullPointer);
    }
    SECTION("misaligned pointer") {
        // Same content shifted by 4 bytes: still fully readable, but the
        // spec promises 8-byte alignment so this cannot be a real MBI.
        Bytes shifted(full.bytes.size() + 4, 0);
        memcpy(shifted.data() + 4, full.bytes.data(), full.bytes.size());
        for (size_t shift = 1; shift < kMb2TagAlignment; ++shift)
            CHECK(parse_multiboot2(shifted.data() + shift, full.bytes.size(), info).error ==
                  Mb2Error::Misaligned);
    }
    SECTION("fewer than 8 readable bytes") {
        CHECK(parse_multiboot2(full.bytes.data(), 0, info).error == Mb2Error::HeaderTooSmall);
        CHECK(parse_multiboot2(full.bytes.data(), 7, info).error == Mb2Error::HeaderTooSmall);
    }
    SECTION("total_size below the header size") {
        Bytes image = full.bytes;
        for (uint32_t total = 0; total < sizeof(Mb2InfoHeader); ++total) {
            MbiBuilder::set_total_size(image, total);
            CHECK(parse(image, info).error == Mb2Error::HeaderTooSmall);
        }
    }
    SECTION("total_size larger than readable") {
        CHECK(parse_multiboot2(full.bytes.data(), full.bytes.size() - 1, info).error ==
              Mb2Error::TotalSizeTooLarge);
        Bytes image = full.bytes;
        MbiBuilder::set_total_size(image, 0xffffffff);
        CHECK(parse(image, info).error == Mb2Error::TotalSizeTooLarge);
    }
    CHECK(is_empty(info));
}

TEST_CASE("truncated readable_bytes at every offset is an error", "[multiboot2]") {
    const FullImage full = build_full_image();
    auto holder = std::make_unique<InfoHolder>();
    for (size_t cut = 0; cut < full.bytes.size(); ++cut) {
        const Bytes image = prefix(full.bytes, cut);  // exact size: ASan sees overreads
        // An empty vector has no storage; use a real pointer with 0 readable bytes.
        const uint8_t* start = cut == 0 ? full.bytes.data() : image.data();
        const Mb2Result result = parse_multiboot2(start, cut, holder->info);
        INFO("cut at " << cut);
        REQUIRE(result.error != Mb2Error::None);
        CHECK((result.error == Mb2Error::HeaderTooSmall ||
               result.error == Mb2Error::TotalSizeTooLarge));
        CHECK(is_empty(holder->info));
    }
}

TEST_CASE("total_size shrunk to every offset is an error, never an overread", "[multiboot2]") {
    // Same cuts, but total_size agrees with the cut, so the parser has to find
    // the damage by walking the tags: a tag cut in half or a missing end tag.
    const FullImage full = build_full_image();
    auto holder = std::make_unique<InfoHolder>();
    std::set<Mb2Error> seen;
    for (size_t cut = sizeof(Mb2InfoHeader); cut < full.bytes.size(); ++cut) {
        Bytes image = prefix(full.bytes, cut);
        MbiBuilder::set_total_size(image, static_cast<uint32_t>(cut));
        const Mb2Result result = parse(image, holder->info);
        INFO("cut at " << cut);
        REQUIRE(result.error != Mb2Error::None);
        CHECK(result.offset <= cut);
        CHECK(is_empty(holder->info));
        seen.insert(result.error);
    }
    CHECK(seen.count(Mb2Error::TagOverrun) == 1);
    CHECK(seen.count(Mb2Error::MissingEndTag) == 1);
}

TEST_CASE("tag sizes are validated", "[multiboot2]") {
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;

    SECTION("size field points past the end") {
        for (uint32_t bogus : {64u, 4096u, 0x7fffffffu, 0xfffffff8u, 0xffffffffu}) {
            MbiBuilder b;
            b.string_tag(kMb2TagCmdline, "ok");
            const size_t bad = b.raw_tag(kUnknownTagType, bogus, Bytes(8, 0));
            b.end();
            const Mb2Result result = parse(b.finish(), info);
            INFO("size " << bogus);
            CHECK(result.error == Mb2Error::TagOverrun);
            CHECK(result.offset == bad);
        }
    }
    SECTION("size smaller than a tag header") {
        // Size 0 is the classic infinite loop for a naive walker.
        for (uint32_t tiny = 0; tiny < sizeof(Mb2TagHeader); ++tiny) {
            MbiBuilder b;
            const size_t bad = b.raw_tag(kUnknownTagType, tiny, Bytes(8, 0));
            b.end();
            const Mb2Result result = parse(b.finish(), info);
            INFO("size " << tiny);
            CHECK(result.error == Mb2Error::TagTooSmall);
            CHECK(result.offset == bad);
        }
    }
    SECTION("tag header itself cut by total_size") {
        MbiBuilder b;
        b.string_tag(kMb2TagCmdline, "ok");
        Bytes image = b.finish();
        image.resize(image.size() + 4, 0);  // half a tag header
        MbiBuilder::set_total_size(image, static_cast<uint32_t>(image.size()));
        const Mb2Result result = parse(image, info);
        CHECK(result.error == Mb2Error::TagOverrun);
        CHECK(result.offset == image.size() - 4);
    }
    CHECK(is_empty(info));
}

TEST_CASE("the end tag is required", "[multiboot2]") {
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;

    SECTION("no end tag at all") {
        MbiBuilder b;
        b.string_tag(kMb2TagCmdline, "x");
        const Bytes image = b.finish();
        const Mb2Result result = parse(image, info);
        CHECK(result.error == Mb2Error::MissingEndTag);
        CHECK(result.offset == image.size());
    }
    SECTION("header only") {
        MbiBuilder b;
        CHECK(parse(b.finish(), info).error == Mb2Error::MissingEndTag);
    }
    SECTION("end tag with a wrong size") {
        MbiBuilder b;
        const size_t bad = b.raw_tag(kMb2TagEnd, 16, Bytes(8, 0));
        const Mb2Result result = parse(b.finish(), info);
        CHECK(result.error == Mb2Error::MissingEndTag);
        CHECK(result.offset == bad);
    }
    SECTION("last tag's padding runs past total_size") {
        MbiBuilder b;
        b.tag(kUnknownTagType, Bytes(3, 0));  // 11 bytes, padded to 16
        Bytes image = b.finish();
        MbiBuilder::set_total_size(image, static_cast<uint32_t>(image.size() - 5));
        CHECK(parse(image, info).error == Mb2Error::MissingEndTag);
    }
    SECTION("tags after the end tag are not read") {
        MbiBuilder b;
        b.end();
        b.raw_tag(kUnknownTagType, 0, {});  // would be TagTooSmall if walked
        CHECK(parse(b.finish(), info).error == Mb2Error::None);
    }
}

TEST_CASE("strings must be terminated inside their tag", "[multiboot2]") {
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;
    // "abcdefgh" without NUL fills the tag exactly, so the next tag's bytes
    // follow immediately: a strlen would run into them.
    const Bytes unterminated = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};

    for (uint32_t type : {kMb2TagCmdline, kMb2TagBootloaderName}) {
        INFO("tag type " << type);
        MbiBuilder b;
        const size_t bad = b.tag(type, unterminated);
        b.end();
        const Mb2Result result = parse(b.finish(), info);
        CHECK(result.error == Mb2Error::UnterminatedString);
        CHECK(result.offset == bad);

        MbiBuilder empty;
        empty.tag(type, {});  // no room even for the NUL
        empty.end();
        CHECK(parse(empty.finish(), info).error == Mb2Error::UnterminatedString);
    }

    SECTION("module command line") {
        Bytes payload = {0, 0, 0x10, 0, 0, 0, 0x20, 0};  // start 0x100000, end 0x200000
        payload.insert(payload.end(), unterminated.begin(), unterminated.end());
        MbiBuilder b;
        const size_t bad = b.tag(kMb2TagModule, payload);
        b.end();
        const Mb2Result result = parse(b.finish(), info);
        CHECK(result.error == Mb2Error::UnterminatedString);
        CHECK(result.offset == bad);
    }
    SECTION("module without any string") {
        MbiBuilder b;
        b.tag(kMb2TagModule, Bytes(8, 0));
        b.end();
        CHECK(parse(b.finish(), info).error == Mb2Error::UnterminatedString);
    }
    SECTION("module too small for its addresses") {
        MbiBuilder b;
        b.tag(kMb2TagModule, Bytes(4, 0));
        b.end();
        CHECK(parse(b.finish(), info).error == Mb2Error::TagTooSmall);
    }
}

TEST_CASE("memory map validation", "[multiboot2]") {
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;
    const std::vector<MbiBuilder::Region> two = {{0, 0x1000, kMb2MemoryAvailable},
                                                 {0x1000, 0x1000, kMb2MemoryBad}};

    SECTION("entry_size 0 and 16 are rejected") {
        for (uint32_t entry_size : {0u, 16u}) {
            MbiBuilder b;
            Bytes payload = {static_cast<uint8_t>(entry_size), 0, 0, 0, 0, 0, 0, 0};
            payload.resize(payload.size() + 48, 0);
            const size_t bad = b.tag(kMb2TagMmap, payload);
            b.end();
            const Mb2Result result = parse(b.finish(), info);
            INFO("entry_size " << entry_size);
            CHECK(result.error == Mb2Error::BadMemoryMap);
            CHECK(result.offset == bad);
        }
    }
    SECTION("entry_size not a multiple of 8 is rejected") {
        MbiBuilder b;
        b.mmap(two, 28);
        b.end();
        CHECK(parse(b.finish(), info).error == Mb2Error::BadMemoryMap);
    }
    SECTION("a partial trailing entry is rejected") {
        MbiBuilder b;
        Bytes payload = {24, 0, 0, 0, 0, 0, 0, 0};
        payload.resize(payload.size() + 24 + 16, 0);  // one and two-thirds entries
        b.tag(kMb2TagMmap, payload);
        b.end();
        CHECK(parse(b.finish(), info).error == Mb2Error::BadMemoryMap);
    }
    SECTION("tag too small for entry_size/version") {
        MbiBuilder b;
        b.tag(kMb2TagMmap, Bytes(4, 24));
        b.end();
        CHECK(parse(b.finish(), info).error == Mb2Error::TagTooSmall);
    }
    SECTION("larger entries from a future version are read by entry_size") {
        MbiBuilder b;
        b.mmap(two, 32);
        b.end();
        REQUIRE(parse(b.finish(), info).error == Mb2Error::None);
        REQUIRE(info.memory_count == 2);
        CHECK(info.memory[1].base == 0x1000);
        CHECK(info.memory[1].type == MemoryType::Bad);
    }
    SECTION("an empty map is fine") {
        MbiBuilder b;
        b.mmap({});
        b.end();
        REQUIRE(parse(b.finish(), info).error == Mb2Error::None);
        CHECK(info.memory_count == 0);
    }
}

TEST_CASE("memory map larger than the table is truncated, not an error", "[multiboot2]") {
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;
    for (size_t count : {kMaxMemoryRegions, kMaxMemoryRegions + 1, kMaxMemoryRegions + 50}) {
        std::vector<MbiBuilder::Region> regions;
        for (size_t i = 0; i < count; ++i)
            regions.push_back({i * 0x1000, 0x1000, kMb2MemoryAvailable});
        MbiBuilder b;
        b.mmap(regions);
        b.end();
        INFO("entries " << count);
        REQUIRE(parse(b.finish(), info).error == Mb2Error::None);
        CHECK(info.memory_count == kMaxMemoryRegions);
        CHECK(info.memory_map_truncated == (count > kMaxMemoryRegions));
        CHECK(info.memory[kMaxMemoryRegions - 1].base == (kMaxMemoryRegions - 1) * 0x1000);
    }
}

TEST_CASE("module validation", "[multiboot2]") {
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;

    SECTION("start after end") {
        MbiBuilder b;
        b.module(0x1000, 0x2000, "good");
        const size_t bad = b.module(0x3000, 0x2fff, "bad");
        b.end();
        const Mb2Result result = parse(b.finish(), info);
        CHECK(result.error == Mb2Error::BadModule);
        CHECK(result.offset == bad);
    }
    SECTION("exactly kMaxModules is fine, one more is an error") {
        MbiBuilder b;
        for (size_t i = 0; i < kMaxModules; ++i)
            b.module(static_cast<uint32_t>(i * 0x1000), static_cast<uint32_t>(i * 0x1000 + 0x800),
                     "m" + std::to_string(i));
        MbiBuilder exact = b;
        exact.end();
        const Bytes exact_image = exact.finish();  // must outlive the cmdline pointers
        REQUIRE(parse(exact_image, info).error == Mb2Error::None);
        CHECK(info.module_count == kMaxModules);
        CHECK(std::string(info.modules[kMaxModules - 1].cmdline) == "m31");

        const size_t extra = b.module(0x100000, 0x100100, "one too many");
        b.end();
        const Mb2Result result = parse(b.finish(), info);
        CHECK(result.error == Mb2Error::TooManyModules);
        CHECK(result.offset == extra);
        CHECK(info.module_count == 0);  // reset on error
    }
}

TEST_CASE("ACPI RSDP tags", "[multiboot2]") {
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;

    SECTION("old tag alone gives a v1 RSDP") {
        MbiBuilder b;
        b.rsdp(kMb2TagAcpiOld, kRsdpV1Length);
        b.end();
        REQUIRE(parse(b.finish(), info).error == Mb2Error::None);
        REQUIRE(info.rsdp != nullptr);
        CHECK_FALSE(info.rsdp_is_v2);
        CHECK(info.rsdp_length == kRsdpV1Length);
    }
    SECTION("new tag wins over old in either order") {
        MbiBuilder b;
        b.rsdp(kMb2TagAcpiOld, kRsdpV1Length);
        b.rsdp(kMb2TagAcpiNew, kRsdpV2Length);
        b.end();
        const Bytes image = b.finish();
        REQUIRE(parse(image, info).error == Mb2Error::None);
        CHECK(info.rsdp_is_v2);
        CHECK(info.rsdp_length == kRsdpV2Length);
        // MBI header, old tag (8 + 20 bytes padded to 32), then the new tag's header.
        CHECK(info.rsdp == image.data() + sizeof(Mb2InfoHeader) + 32 + sizeof(Mb2TagHeader));
    }
    SECTION("too short for its version") {
        MbiBuilder old_short;
        const size_t bad = old_short.rsdp(kMb2TagAcpiOld, kRsdpV1Length - 1);
        old_short.end();
        const Mb2Result result = parse(old_short.finish(), info);
        CHECK(result.error == Mb2Error::BadRsdp);
        CHECK(result.offset == bad);

        MbiBuilder new_short;
        new_short.rsdp(kMb2TagAcpiNew, kRsdpV1Length);  // a v1-sized RSDP in the v2 tag
        new_short.end();
        CHECK(parse(new_short.finish(), info).error == Mb2Error::BadRsdp);

        MbiBuilder empty;
        empty.tag(kMb2TagAcpiOld, {});
        empty.end();
        CHECK(parse(empty.finish(), info).error == Mb2Error::BadRsdp);
    }
    SECTION("wrong signature") {
        MbiBuilder b;
        b.rsdp(kMb2TagAcpiNew, kRsdpV2Length, "RSD PTX ");
        b.end();
        CHECK(parse(b.finish(), info).error == Mb2Error::BadRsdp);
    }
}

TEST_CASE("a failed parse resets a previously filled BootInfo", "[multiboot2]") {
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;
    const FullImage full = build_full_image();  // must outlive the string pointers
    REQUIRE(parse(full.bytes, info).error == Mb2Error::None);
    REQUIRE_FALSE(is_empty(info));

    MbiBuilder b;
    b.string_tag(kMb2TagCmdline, "parsed before the error");
    b.raw_tag(kUnknownTagType, 0, {});
    b.end();
    CHECK(parse(b.finish(), info).error == Mb2Error::TagTooSmall);
    CHECK(is_empty(info));
    CHECK_FALSE(info.efi_boot_services_active);
    CHECK(info.mbi_address == 0);
}

TEST_CASE("random corruption never crashes the parser", "[multiboot2]") {
    // Deterministic xorshift so failures reproduce. Success is allowed (the
    // corruption may hit padding); the point is ASan/UBSan staying quiet and
    // the invariants holding.
    const FullImage full = build_full_image();
    auto holder = std::make_unique<InfoHolder>();
    BootInfo& info = holder->info;
    uint64_t state = 0x9e3779b97f4a7c15ull;
    auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int round = 0; round < 20000; ++round) {
        Bytes image = full.bytes;
        const int flips = 1 + static_cast<int>(next() % 4);
        for (int i = 0; i < flips; ++i)
            image[next() % image.size()] = static_cast<uint8_t>(next());
        const Mb2Result result = parse(image, info);
        if (result.error != Mb2Error::None) {
            CHECK(is_empty(info));
            continue;
        }
        REQUIRE(info.memory_count <= kMaxMemoryRegions);
        REQUIRE(info.module_count <= kMaxModules);
        if (info.cmdline[0] != '\0') {
            REQUIRE(points_into(info.cmdline, image));
            REQUIRE(strlen(info.cmdline) < image.size());
        }
        for (size_t m = 0; m < info.module_count; ++m)
            REQUIRE(info.modules[m].start <= info.modules[m].end);
    }
}

TEST_CASE("every Mb2Error has a distinct description", "[multiboot2]") {
    const Mb2Error all[] = {Mb2Error::None,          Mb2Error::NullPointer,
                            Mb2Error::Misaligned,    Mb2Error::HeaderTooSmall,
                            Mb2Error::TotalSizeTooLarge, Mb2Error::TagTooSmall,
                            Mb2Error::TagOverrun,    Mb2Error::MissingEndTag,
                            Mb2Error::UnterminatedString, Mb2Error::BadMemoryMap,
                            Mb2Error::BadModule,     Mb2Error::TooManyModules,
                            Mb2Error::BadRsdp};
    std::set<std::string> names;
    for (Mb2Error e : all) {
        REQUIRE(to_string(e) != nullptr);
        names.insert(to_string(e));
    }
    CHECK(names.size() == sizeof(all) / sizeof(all[0]));
}

TEST_CASE("memory type names", "[multiboot2]") {
    CHECK(std::string(to_string(MemoryType::Available)) == "available");
    CHECK(std::string(to_string(MemoryType::AcpiNvs)) == "acpi-nvs");
    CHECK(std::string(to_string(static_cast<MemoryType>(kUnknownMemoryType))) ==
          "unknown (treated as reserved)");
}
