// Unit tests for the physical frame allocator (kernel/frame_allocator.cpp).
//
// The allocator writes its bitmaps through a PhysToVirt function. Here that
// function hands out a host buffer and records which physical address the
// allocator asked for, so no real physical memory is needed.
#include <catch2/catch.hpp>

#include <stdint.h>

#include <set>
#include <vector>

#include "kernel/frame_allocator.hpp"

using bulkhead::FrameAllocator;
using bulkhead::kFrameSize;
using bulkhead::PhysRange;
using InitError = FrameAllocator::InitError;

namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kFramesPer2M = 2 * kMiB / kFrameSize;

// Large enough for the bitmaps of 16 GiB of address space.
constexpr size_t kBitmapWindowBytes = 1 * kMiB;

// Fills the window so that writes past the bitmaps can be detected.
constexpr uint64_t kUntouched = 0x5A5A5A5A5A5A5A5A;

struct BitmapWindow {
    std::vector<uint64_t> words =
        std::vector<uint64_t>(kBitmapWindowBytes / sizeof(uint64_t), kUntouched);
    uint64_t requested_phys = 0;
    int requests = 0;

    bool untouched_from(size_t byte) const {
        for (size_t i = (byte + sizeof(uint64_t) - 1) / sizeof(uint64_t); i < words.size(); ++i)
            if (words[i] != kUntouched) return false;
        return true;
    }
};

BitmapWindow* g_window = nullptr;

void* window_to_virt(uint64_t phys) {
    g_window->requested_phys = phys;
    ++g_window->requests;
    return g_window->words.data();
}

bool overlaps(PhysRange a, PhysRange b) { return a.base < b.end && b.base < a.end; }

bool frame_in(uint64_t frame_phys, PhysRange range) {
    return overlaps(PhysRange{frame_phys, frame_phys + kFrameSize}, range);
}

// Test fixture: a memory map plus an allocator initialised from it.
struct Machine {
    std::vector<PhysRange> available;
    std::vector<PhysRange> reserved;
    BitmapWindow window;
    FrameAllocator allocator{};

    InitError init() {
        g_window = &window;
        window.requests = 0;
        InitError error = allocator.init(available.data(), available.size(), reserved.data(),
                                         reserved.size(), window_to_virt);
        if (error == InitError::None) {
            REQUIRE(window.requests == 1);
            REQUIRE(window.requested_phys == allocator.bitmap_phys());
            REQUIRE(allocator.bitmap_bytes() <= kBitmapWindowBytes);
            REQUIRE(window.untouched_from(allocator.bitmap_bytes()));
        }
        return error;
    }

    PhysRange bitmap_frames() const {
        uint64_t bytes = (allocator.bitmap_bytes() + kFrameSize - 1) / kFrameSize * kFrameSize;
        return PhysRange{allocator.bitmap_phys(), allocator.bitmap_phys() + bytes};
    }

    // The specification, frame by frame: a frame may be handed out when one
    // available range covers it whole, no reserved range touches it, it is not
    // frame 0 and does not hold the bitmaps.
    bool may_hand_out(uint64_t frame_phys) const {
        if (frame_phys == 0 || frame_in(frame_phys, bitmap_frames())) return false;
        for (PhysRange r : reserved)
            if (frame_in(frame_phys, r)) return false;
        for (PhysRange r : available)
            if (r.base <= frame_phys && frame_phys + kFrameSize <= r.end) return true;
        return false;
    }

    std::set<uint64_t> expected_pool(uint64_t top) const {
        std::set<uint64_t> pool;
        for (uint64_t frame = 0; frame < top; frame += kFrameSize)
            if (may_hand_out(frame)) pool.insert(frame);
        return pool;
    }

    std::vector<uint64_t> allocate_all() {
        std::vector<uint64_t> frames;
        uint64_t phys = 0;
        while (allocator.allocate(phys)) frames.push_back(phys);
        return frames;
    }

    std::vector<PhysRange> free_ranges() const {
        std::vector<PhysRange> ranges;
        allocator.for_each_free_range([&](PhysRange r) { ranges.push_back(r); });
        return ranges;
    }
};

// A PC-like map: low memory, a hole for the VGA/BIOS area, RAM above 1 MiB
// reported in two overlapping pieces with unaligned edges.
Machine pc_like_machine() {
    Machine m;
    m.available = {
        {0x0, 0x9FC00},                      // conventional memory, unaligned end
        {32 * kMiB + 0x200, 64 * kMiB},      // unaligned start
        {1 * kMiB, 40 * kMiB},               // overlaps the previous one
        {64 * kMiB, 96 * kMiB - 0x800},      // touches it, unaligned end
    };
    m.reserved = {
        {0x0, 1 * kMiB},                     // everything below 1 MiB
        {1 * kMiB, 3 * kMiB + 0x123},        // hypervisor image, unaligned end
        {0x500123, 0x500ABC},                // multiboot information, inside one frame
        {8 * kMiB, 12 * kMiB + 1},           // a boot module, one byte into a frame
        {90 * kMiB, 200 * kMiB},             // firmware area reaching past the RAM
    };
    return m;
}

}  // namespace

TEST_CASE("reserved ranges are never handed out, even when the pool is exhausted",
          "[frame_allocator]") {
    Machine m = pc_like_machine();
    REQUIRE(m.init() == InitError::None);
    const std::set<uint64_t> expected = m.expected_pool(256 * kMiB);
    REQUIRE(m.allocator.usable_frames() == expected.size());
    REQUIRE(m.allocator.free_frames() == expected.size());

    const std::vector<uint64_t> frames = m.allocate_all();
    std::set<uint64_t> handed_out;
    for (uint64_t frame : frames) {
        INFO("frame " << std::hex << frame);
        REQUIRE(frame % kFrameSize == 0);
        REQUIRE(m.may_hand_out(frame));
        REQUIRE(handed_out.insert(frame).second);  // never twice
    }
    // Every allocatable frame, and nothing else, was handed out.
    REQUIRE(handed_out == expected);
    REQUIRE(m.allocator.free_frames() == 0);
    REQUIRE(m.free_ranges().empty());
    REQUIRE(m.window.untouched_from(m.allocator.bitmap_bytes()));
    uint64_t phys = 0;
    REQUIRE_FALSE(m.allocator.allocate(phys));
    REQUIRE_FALSE(m.allocator.allocate_contiguous(1, 1, phys));

    for (uint64_t frame : frames) REQUIRE(m.allocator.free(frame));
    REQUIRE(m.allocator.free_frames() == expected.size());
    // After freeing everything the pool is whole again, lowest frame first.
    REQUIRE(m.allocator.allocate(phys));
    REQUIRE(phys == *expected.begin());
}

TEST_CASE("unaligned, overlapping and unsorted available ranges", "[frame_allocator]") {
    Machine m;
    m.available = {
        {0x180000, 0x280400},  // ends 1 KiB into a frame
        {0x100800, 0x200000},  // starts 2 KiB into a frame, overlaps the first
        {0x280400, 0x300000},  // completes the frame at 0x280000, but no single
                               // range covers it whole, so it is not trusted
        {0x180000, 0x280400},  // reported twice
        {0x400000, 0x400FFF},  // less than one frame
    };
    m.reserved = {{0, 1 * kMiB}};
    REQUIRE(m.init() == InitError::None);

    CHECK_FALSE(m.allocator.is_free(0x100000));  // partial frame at the start
    CHECK_FALSE(m.allocator.is_free(0x280000));  // partial in both ranges
    CHECK_FALSE(m.allocator.is_free(0x400000));
    CHECK(m.allocator.is_free(0x2FF000));
    const std::set<uint64_t> expected = m.expected_pool(8 * kMiB);
    CHECK(m.allocator.usable_frames() == expected.size());

    // The first whole frame is 0x101000; it holds the (single-frame) bitmaps.
    CHECK(m.allocator.bitmap_phys() == 0x101000);
    const std::vector<PhysRange> ranges = m.free_ranges();
    REQUIRE(ranges.size() == 2);
    CHECK(ranges[0].base == 0x102000);
    CHECK(ranges[0].end == 0x280000);
    CHECK(ranges[1].base == 0x281000);
    CHECK(ranges[1].end == 0x300000);

    // The order of the list does not matter.
    Machine reversed = m;
    reversed.available.assign(m.available.rbegin(), m.available.rend());
    REQUIRE(reversed.init() == InitError::None);
    const std::vector<PhysRange> reversed_ranges = reversed.free_ranges();
    REQUIRE(reversed_ranges.size() == ranges.size());
    for (size_t i = 0; i < ranges.size(); ++i) {
        CHECK(reversed_ranges[i].base == ranges[i].base);
        CHECK(reversed_ranges[i].end == ranges[i].end);
    }
}

TEST_CASE("the bitmap goes into the first large enough free run and is never handed out",
          "[frame_allocator]") {
    Machine m;
    m.available = {{0, 1 * kGiB}};
    m.reserved = {
        {0, 1 * kMiB},
        {1 * kMiB, 2 * kMiB},                // image
        {2 * kMiB + kFrameSize, 3 * kMiB},   // leaves a one-frame hole at 2 MiB
    };
    REQUIRE(m.init() == InitError::None);

    // 1 GiB = 262144 frames: two maps of 32 KiB, 16 frames, too big for the hole.
    CHECK(m.allocator.bitmap_bytes() == 2 * 32 * kKiB);
    CHECK(m.allocator.bitmap_phys() == 3 * kMiB);
    const PhysRange bitmap = m.bitmap_frames();
    for (PhysRange r : m.reserved) CHECK_FALSE(overlaps(bitmap, r));
    for (uint64_t frame = bitmap.base; frame < bitmap.end; frame += kFrameSize) {
        CHECK_FALSE(m.allocator.is_free(frame));
        CHECK_FALSE(m.allocator.free(frame));  // not ours to free either
    }

    // The hole is still usable, and the lowest frame comes first.
    uint64_t phys = 0;
    REQUIRE(m.allocator.allocate(phys));
    CHECK(phys == 2 * kMiB);

    for (uint64_t frame : m.allocate_all()) {
        INFO("frame " << std::hex << frame);
        REQUIRE_FALSE(frame_in(frame, bitmap));
    }
    CHECK(m.allocator.free_frames() == 0);
}

TEST_CASE("contiguous and aligned allocation", "[frame_allocator]") {
    Machine m;
    m.available = {{0, 64 * kMiB}};
    m.reserved = {{0, 1 * kMiB}};
    REQUIRE(m.init() == InitError::None);
    const size_t usable = m.allocator.usable_frames();

    uint64_t single = 0;
    REQUIRE(m.allocator.allocate(single));

    SECTION("a 2 MiB block: 512 frames aligned to 512") {
        uint64_t block = 0;
        REQUIRE(m.allocator.allocate_contiguous(kFramesPer2M, kFramesPer2M, block));
        CHECK(block % (2 * kMiB) == 0);
        CHECK_FALSE(overlaps(PhysRange{block, block + 2 * kMiB},
                             PhysRange{single, single + kFrameSize}));
        for (uint64_t frame = block; frame < block + 2 * kMiB; frame += kFrameSize)
            REQUIRE_FALSE(m.allocator.is_free(frame));
        CHECK(m.allocator.free_frames() == usable - 1 - kFramesPer2M);

        REQUIRE(m.allocator.free_contiguous(block, kFramesPer2M));
        CHECK(m.allocator.free_frames() == usable - 1);
        CHECK_FALSE(m.allocator.free_contiguous(block, kFramesPer2M));  // double free
    }

    SECTION("alignment 0 means 1; other alignments must be powers of two") {
        uint64_t phys = 0;
        REQUIRE(m.allocator.allocate_contiguous(3, 0, phys));
        CHECK(phys == single + kFrameSize);
        CHECK_FALSE(m.allocator.allocate_contiguous(4, 3, phys));
        CHECK_FALSE(m.allocator.allocate_contiguous(0, 1, phys));
        CHECK_FALSE(m.allocator.allocate_contiguous(usable, 1, phys));  // more than free
        CHECK_FALSE(m.allocator.allocate_contiguous(1, 16 * kMiB, phys));
    }

    SECTION("a run is found only where enough neighbours are free") {
        std::vector<uint64_t> frames = m.allocate_all();
        // Free every other frame: plenty of free frames, but no two adjacent.
        for (size_t i = 0; i < frames.size(); i += 2) REQUIRE(m.allocator.free(frames[i]));
        uint64_t phys = 0;
        CHECK_FALSE(m.allocator.allocate_contiguous(2, 1, phys));
        REQUIRE(m.allocator.free(frames[101]));
        REQUIRE(m.allocator.allocate_contiguous(3, 1, phys));
        CHECK(phys == frames[100]);
        // All or nothing: a run containing a free frame is refused whole.
        const size_t free_before = m.allocator.free_frames();
        CHECK_FALSE(m.allocator.free_contiguous(frames[200], 4));
        CHECK(m.allocator.free_frames() == free_before);
        CHECK_FALSE(m.allocator.is_free(frames[201]));
    }
}

TEST_CASE("free refuses double frees, reserved frames and stray addresses", "[frame_allocator]") {
    Machine m = pc_like_machine();
    REQUIRE(m.init() == InitError::None);
    const size_t usable = m.allocator.usable_frames();

    uint64_t a = 0;
    uint64_t b = 0;
    REQUIRE(m.allocator.allocate(a));
    REQUIRE(m.allocator.allocate(b));
    CHECK(a != b);
    CHECK(m.allocator.free_frames() == usable - 2);

    CHECK(m.allocator.free(a));
    CHECK(m.allocator.free_frames() == usable - 1);
    CHECK_FALSE(m.allocator.free(a));  // double free
    CHECK(m.allocator.free_frames() == usable - 1);

    CHECK_FALSE(m.allocator.free(b + 1));                  // not frame aligned
    CHECK_FALSE(m.allocator.free(0));                      // frame 0
    CHECK_FALSE(m.allocator.free(2 * kMiB));               // hypervisor image
    CHECK_FALSE(m.allocator.free(0x500000));               // multiboot information
    CHECK_FALSE(m.allocator.free(12 * kMiB));              // last frame of the module
    CHECK_FALSE(m.allocator.free(0x9F000));                // RAM, but below 1 MiB
    CHECK_FALSE(m.allocator.free(0xA0000));                // not RAM at all
    CHECK_FALSE(m.allocator.free(91 * kMiB));              // firmware area
    CHECK_FALSE(m.allocator.free(4 * kGiB));               // beyond the map
    CHECK_FALSE(m.allocator.free(~uint64_t{0} & ~(kFrameSize - 1)));
    CHECK_FALSE(m.allocator.free_contiguous(b, 0));
    CHECK_FALSE(m.allocator.free_contiguous(b, SIZE_MAX));  // no overflow
    CHECK(m.allocator.free_frames() == usable - 1);

    CHECK(m.allocator.free(b));
    CHECK(m.allocator.free_frames() == usable);
}

TEST_CASE("free ranges and counts stay consistent", "[frame_allocator]") {
    Machine m = pc_like_machine();
    REQUIRE(m.init() == InitError::None);

    std::vector<uint64_t> taken;
    uint64_t phys = 0;
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(m.allocator.allocate(phys));
        taken.push_back(phys);
    }
    REQUIRE(m.allocator.allocate_contiguous(kFramesPer2M, kFramesPer2M, phys));
    for (size_t i = 0; i < taken.size(); i += 3) REQUIRE(m.allocator.free(taken[i]));

    size_t listed = 0;
    uint64_t previous_end = 0;
    for (PhysRange r : m.free_ranges()) {
        REQUIRE(r.base < r.end);
        REQUIRE(r.base > previous_end);  // sorted and maximal: never touching
        for (uint64_t frame = r.base; frame < r.end; frame += kFrameSize)
            REQUIRE(m.allocator.is_free(frame));
        listed += (r.end - r.base) / kFrameSize;
        previous_end = r.end;
    }
    CHECK(listed == m.allocator.free_frames());
    CHECK(m.allocator.free_frames() ==
          m.allocator.usable_frames() - (1000 - 334) - kFramesPer2M);
}

TEST_CASE("no usable memory", "[frame_allocator]") {
    Machine m;
    m.reserved = {{0, 1 * kMiB}};

    SECTION("empty map") { CHECK(m.init() == InitError::NoUsableMemory); }
    SECTION("all RAM reserved") {
        m.available = {{0, 0x9FC00}, {1 * kMiB, 2 * kMiB}};
        m.reserved.push_back({1 * kMiB, 2 * kMiB});
        CHECK(m.init() == InitError::NoUsableMemory);
    }
    SECTION("no range holds a whole frame") {
        m.available = {{1 * kMiB + 1, 1 * kMiB + kFrameSize}, {5 * kMiB, 5 * kMiB}};
        CHECK(m.init() == InitError::NoUsableMemory);
    }
    SECTION("the bitmaps take the only free frame") {
        m.available = {{1 * kMiB, 1 * kMiB + kFrameSize}};
        CHECK(m.init() == InitError::NoUsableMemory);
    }
    SECTION("free frames, but no run large enough for the bitmaps") {
        // 4 GiB of address space needs 64 frames of bitmaps.
        m.available = {{1 * kMiB, 1 * kMiB + kFrameSize}, {4 * kGiB - kFrameSize, 4 * kGiB}};
        CHECK(m.init() == InitError::NoRoomForBitmap);
    }

    // A failed init leaves an empty allocator behind.
    uint64_t phys = 0;
    CHECK_FALSE(m.allocator.allocate(phys));
    CHECK_FALSE(m.allocator.allocate_contiguous(1, 1, phys));
    CHECK_FALSE(m.allocator.free(1 * kMiB));
    CHECK_FALSE(m.allocator.is_free(1 * kMiB));
    CHECK(m.allocator.free_frames() == 0);
    CHECK(m.allocator.usable_frames() == 0);
    CHECK(m.free_ranges().empty());
}

TEST_CASE("memory above 4 GiB", "[frame_allocator]") {
    Machine m;
    m.available = {{4 * kGiB, 6 * kGiB}, {1 * kMiB, 2 * kGiB}};  // the PCI hole in between
    m.reserved = {{0, 1 * kMiB}, {1 * kMiB, 4 * kMiB}};
    REQUIRE(m.init() == InitError::None);

    // 6 GiB of address space: 1572864 frames, 24576 words per map.
    CHECK(m.allocator.bitmap_bytes() == 2 * 24576 * sizeof(uint64_t));
    CHECK(m.allocator.bitmap_phys() == 4 * kMiB);  // low memory first
    const size_t bitmap_frames = 2 * 24576 * sizeof(uint64_t) / kFrameSize;
    const size_t expected = (2 * kGiB - 4 * kMiB) / kFrameSize + 2 * kGiB / kFrameSize -
                            bitmap_frames;
    CHECK(m.allocator.usable_frames() == expected);
    CHECK(m.allocator.is_free(5 * kGiB));
    CHECK_FALSE(m.allocator.is_free(3 * kGiB));

    // A 2 MiB block above 4 GiB, once everything below is taken.
    std::vector<uint64_t> frames = m.allocate_all();
    REQUIRE(frames.size() == expected);
    CHECK(frames.back() == 6 * kGiB - kFrameSize);
    for (uint64_t frame : frames) REQUIRE_FALSE(frame_in(frame, {2 * kGiB, 4 * kGiB}));
    for (uint64_t frame = 5 * kGiB; frame < 5 * kGiB + 4 * kMiB; frame += kFrameSize)
        REQUIRE(m.allocator.free(frame));
    uint64_t block = 0;
    REQUIRE(m.allocator.allocate_contiguous(kFramesPer2M, kFramesPer2M, block));
    CHECK(block == 5 * kGiB);
    CHECK(m.allocator.free_frames() == kFramesPer2M);
}

TEST_CASE("frame 0 is never handed out, even when nothing reserves it", "[frame_allocator]") {
    Machine m;
    m.available = {{0, 1 * kMiB}};
    REQUIRE(m.init() == InitError::None);
    CHECK(m.allocator.bitmap_phys() == kFrameSize);  // the lowest free run starts at frame 1
    CHECK(m.allocator.usable_frames() == 1 * kMiB / kFrameSize - 2);
    CHECK_FALSE(m.allocator.is_free(0));
    for (uint64_t frame : m.allocate_all()) REQUIRE(frame != 0);
    CHECK_FALSE(m.allocator.free(0));
}

TEST_CASE("init can be repeated", "[frame_allocator]") {
    Machine m = pc_like_machine();
    REQUIRE(m.init() == InitError::None);
    const size_t usable = m.allocator.usable_frames();
    uint64_t phys = 0;
    REQUIRE(m.allocator.allocate(phys));
    REQUIRE(m.init() == InitError::None);
    CHECK(m.allocator.free_frames() == usable);
    CHECK(m.allocator.is_free(phys));
}

TEST_CASE("allocate_at takes exactly the frames asked for, all or nothing") {
    std::vector<uint8_t> ram(64 * 1024 * 1024 + 2 * 4096);
    static uint8_t* base;
    base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(ram.data()) + 4095) & ~uintptr_t{4095});
    const uint64_t start = 0x1000000;   // RAM at 16 MiB..80 MiB
    static uint64_t s_start;
    s_start = start;
    bulkhead::PhysToVirt to_virt = [](uint64_t phys) -> void* { return base + (phys - s_start); };
    const PhysRange available[] = {{start, start + 64 * 1024 * 1024}};
    bulkhead::FrameAllocator fa;
    REQUIRE(fa.init(available, 1, nullptr, 0, to_virt) == bulkhead::FrameAllocator::InitError::None);
    const size_t before = fa.free_frames();
    const uint64_t fixed = start + 32 * 1024 * 1024;
    REQUIRE(fa.allocate_at(fixed, 512));
    CHECK(fa.free_frames() == before - 512);
    CHECK_FALSE(fa.is_free(fixed));
    CHECK_FALSE(fa.is_free(fixed + 511 * 4096));
    CHECK(fa.is_free(fixed + 512 * 4096));
    // Overlapping the taken block by one frame: refused, nothing taken.
    CHECK_FALSE(fa.allocate_at(fixed + 511 * 4096, 2));
    CHECK(fa.is_free(fixed + 512 * 4096));
    CHECK(fa.free_frames() == before - 512);
    // Outside RAM, unaligned, zero frames: refused.
    CHECK_FALSE(fa.allocate_at(start + 64 * 1024 * 1024, 1));
    CHECK_FALSE(fa.allocate_at(fixed + 0x800 + 512 * 4096, 1));
    CHECK_FALSE(fa.allocate_at(fixed + 1024 * 4096, 0));
    CHECK(fa.free_contiguous(fixed, 512));
    CHECK(fa.free_frames() == before);
}
