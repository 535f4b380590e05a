#include "kernel/frame_allocator.hpp"

#include "kernel/lib/string.hpp"

namespace bulkhead {

namespace {

constexpr size_t kBitsPerWord = 64;
constexpr uint64_t kAllBits = ~uint64_t{0};
constexpr size_t kBitmapCount = 2;  // free map and pool map
constexpr uint64_t kHighestFrameAddress = ~(kFrameSize - 1);

// Frame 0 is kept out of the pool (see the header).
constexpr PhysRange kFrameZero{0, kFrameSize};

constexpr uint64_t align_down(uint64_t value, uint64_t alignment) {
    return value & ~(alignment - 1);
}

// Rounds up to a frame boundary; stops at the last frame instead of wrapping
// to 0 when value is within a frame of 2^64.
constexpr uint64_t frame_align_up(uint64_t value) {
    if (value > kHighestFrameAddress) return kHighestFrameAddress;
    return align_down(value + kFrameSize - 1, kFrameSize);
}

constexpr bool is_empty(PhysRange range) { return range.end <= range.base; }

constexpr bool overlaps(PhysRange a, PhysRange b) { return a.base < b.end && b.base < a.end; }

// Whole frames inside a usable range: only those can be trusted to be RAM.
constexpr PhysRange whole_frames_inside(PhysRange range) {
    return PhysRange{frame_align_up(range.base), align_down(range.end, kFrameSize)};
}

// Every frame a reserved range touches: a partly reserved frame is reserved.
constexpr PhysRange frames_touching(PhysRange range) {
    return PhysRange{align_down(range.base, kFrameSize), frame_align_up(range.end)};
}

constexpr size_t frame_of(uint64_t phys) { return static_cast<size_t>(phys / kFrameSize); }

bool bit(const uint64_t* map, size_t frame) {
    return (map[frame / kBitsPerWord] >> (frame % kBitsPerWord)) & 1;
}

void set_bit(uint64_t* map, size_t frame, bool value) {
    uint64_t mask = uint64_t{1} << (frame % kBitsPerWord);
    if (value)
        map[frame / kBitsPerWord] |= mask;
    else
        map[frame / kBitsPerWord] &= ~mask;
}

// Sets `count` bits from `first` to `value`: bit by bit up to a word
// boundary, then whole words (init marks gigabytes at a time).
void fill_bits(uint64_t* map, size_t first, size_t count, bool value) {
    size_t frame = first;
    const size_t end = first + count;
    while (frame < end && frame % kBitsPerWord != 0) set_bit(map, frame++, value);
    while (end - frame >= kBitsPerWord) {
        map[frame / kBitsPerWord] = value ? kAllBits : 0;
        frame += kBitsPerWord;
    }
    while (frame < end) set_bit(map, frame++, value);
}

// Clears or sets the bits of the frames of `range` that the map covers.
void fill_range(uint64_t* map, size_t frame_count, PhysRange range, bool value) {
    size_t first = frame_of(range.base);
    size_t end = frame_of(range.end);
    if (end > frame_count) end = frame_count;
    if (first < end) fill_bits(map, first, end - first, value);
}

// Counted by hand: __builtin_popcountll becomes a libgcc call without the
// POPCNT instruction enabled. Full words (most of RAM) cost one comparison;
// otherwise each step clears the lowest set bit.
size_t count_bits(const uint64_t* map, size_t words) {
    size_t count = 0;
    for (size_t i = 0; i < words; ++i) {
        if (map[i] == kAllBits) {
            count += kBitsPerWord;
            continue;
        }
        for (uint64_t bits = map[i]; bits != 0; bits &= bits - 1) ++count;
    }
    return count;
}

// The firmware's view, before the bitmaps exist.
struct MemoryMap {
    const PhysRange* available;
    size_t available_count;
    const PhysRange* reserved;
    size_t reserved_count;
};

uint64_t highest_usable_end(const MemoryMap& map) {
    uint64_t highest = 0;
    for (size_t i = 0; i < map.available_count; ++i) {
        PhysRange usable = whole_frames_inside(map.available[i]);
        if (!is_empty(usable) && usable.end > highest) highest = usable.end;
    }
    return highest;
}

// Whether the usable ranges together cover all of `run`. They may overlap or
// merely touch, so keep extending the covered prefix until no range helps.
bool is_usable_ram(const MemoryMap& map, PhysRange run) {
    uint64_t covered_to = run.base;
    bool extended = true;
    while (covered_to < run.end && extended) {
        extended = false;
        for (size_t i = 0; i < map.available_count; ++i) {
            PhysRange usable = whole_frames_inside(map.available[i]);
            if (usable.base <= covered_to && covered_to < usable.end) {
                covered_to = usable.end;
                extended = true;
            }
        }
    }
    return covered_to >= run.end;
}

// Frame 0 needs no check here: find_free_run() never tries address 0.
bool touches_reserved(const MemoryMap& map, PhysRange run) {
    for (size_t i = 0; i < map.reserved_count; ++i)
        if (overlaps(run, frames_touching(map.reserved[i]))) return true;
    return false;
}

bool is_free_run(const MemoryMap& map, uint64_t base, uint64_t bytes) {
    if (bytes > kHighestFrameAddress || base > kHighestFrameAddress - bytes) return false;
    PhysRange run{base, base + bytes};
    return is_usable_ram(map, run) && !touches_reserved(map, run);
}

// Lowest address where `bytes` (whole frames) of free RAM begin, or 0 if
// none (0 is never free). The lowest such run can only start where a usable
// range starts or where a reserved range (or frame 0) ends: at any other
// address the frame below would be free too, and the run could start lower.
// So only those candidates are tried; no sorting or copying needed.
uint64_t find_free_run(const MemoryMap& map, uint64_t bytes) {
    uint64_t lowest = 0;
    auto consider = [&](uint64_t candidate) {
        bool lower = lowest == 0 || candidate < lowest;
        if (candidate != 0 && lower && is_free_run(map, candidate, bytes)) lowest = candidate;
    };
    consider(kFrameZero.end);
    for (size_t i = 0; i < map.available_count; ++i)
        consider(whole_frames_inside(map.available[i]).base);
    for (size_t i = 0; i < map.reserved_count; ++i) consider(frames_touching(map.reserved[i]).end);
    return lowest;
}

}  // namespace

void FrameAllocator::reset() {
    free_map_ = nullptr;
    pool_map_ = nullptr;
    frame_count_ = 0;
    word_count_ = 0;
    free_count_ = 0;
    pool_count_ = 0;
    first_free_word_hint_ = 0;
    bitmap_phys_ = 0;
    bitmap_bytes_ = 0;
}

FrameAllocator::InitError FrameAllocator::init(const PhysRange* available, size_t available_count,
                                               const PhysRange* reserved, size_t reserved_count,
                                               PhysToVirt to_virt) {
    reset();
    const MemoryMap map{available, available_count, reserved, reserved_count};
    if (find_free_run(map, kFrameSize) == 0) return InitError::NoUsableMemory;

    // One bit per frame from frame 0 to the top of usable RAM, per map.
    const size_t frame_count = frame_of(highest_usable_end(map));
    const size_t word_count = (frame_count + kBitsPerWord - 1) / kBitsPerWord;
    const size_t bitmap_bytes = kBitmapCount * word_count * sizeof(uint64_t);
    const uint64_t bitmap_phys = find_free_run(map, frame_align_up(bitmap_bytes));
    if (bitmap_phys == 0) return InitError::NoRoomForBitmap;

    uint64_t* maps = static_cast<uint64_t*>(to_virt(bitmap_phys));
    memset(maps, 0, bitmap_bytes);
    uint64_t* pool_map = maps + word_count;

    // The pool: usable frames, minus reserved ones, frame 0 and the bitmaps.
    // Marking all usable ranges first and then removing the reserved ones
    // makes the order and overlaps of the firmware's list irrelevant.
    for (size_t i = 0; i < available_count; ++i)
        fill_range(pool_map, frame_count, whole_frames_inside(available[i]), true);
    for (size_t i = 0; i < reserved_count; ++i)
        fill_range(pool_map, frame_count, frames_touching(reserved[i]), false);
    fill_range(pool_map, frame_count, kFrameZero, false);
    const PhysRange bitmap_frames{bitmap_phys, bitmap_phys + frame_align_up(bitmap_bytes)};
    fill_range(pool_map, frame_count, bitmap_frames, false);

    const size_t pool_count = count_bits(pool_map, word_count);
    if (pool_count == 0) return InitError::NoUsableMemory;  // the bitmaps took it all

    // Every pool frame starts out free.
    memcpy(maps, pool_map, word_count * sizeof(uint64_t));
    free_map_ = maps;
    pool_map_ = pool_map;
    frame_count_ = frame_count;
    word_count_ = word_count;
    free_count_ = pool_count;
    pool_count_ = pool_count;
    bitmap_phys_ = bitmap_phys;
    bitmap_bytes_ = bitmap_bytes;
    return InitError::None;
}

size_t FrameAllocator::next_free_frame(size_t frame) const {
    if (frame >= frame_count_) return frame_count_;
    size_t word = frame / kBitsPerWord;
    // Ignore the bits below `frame` in its word.
    uint64_t bits = free_map_[word] & (kAllBits << (frame % kBitsPerWord));
    while (bits == 0) {
        if (++word >= word_count_) return frame_count_;
        bits = free_map_[word];
    }
    return word * kBitsPerWord + static_cast<size_t>(__builtin_ctzll(bits));
}

size_t FrameAllocator::next_taken_frame(size_t frame, size_t limit) const {
    if (frame >= limit) return limit;
    size_t word = frame / kBitsPerWord;
    // Inverted: a set bit is a frame that is not free.
    uint64_t bits = ~free_map_[word] & (kAllBits << (frame % kBitsPerWord));
    while (bits == 0) {
        ++word;
        if (word * kBitsPerWord >= limit) return limit;
        bits = ~free_map_[word];
    }
    size_t taken = word * kBitsPerWord + static_cast<size_t>(__builtin_ctzll(bits));
    return taken < limit ? taken : limit;
}

bool FrameAllocator::allocate(uint64_t& phys) {
    size_t frame = next_free_frame(first_free_word_hint_ * kBitsPerWord);
    if (frame >= frame_count_) {
        first_free_word_hint_ = word_count_;
        return false;
    }
    set_bit(free_map_, frame, false);
    --free_count_;
    // Everything below this word was full before, and still is.
    first_free_word_hint_ = frame / kBitsPerWord;
    phys = frame * kFrameSize;
    return true;
}

bool FrameAllocator::allocate_contiguous(size_t frames, size_t align_frames, uint64_t& phys) {
    if (align_frames == 0) align_frames = 1;
    if ((align_frames & (align_frames - 1)) != 0) return false;  // not a power of two
    if (frames == 0 || frames > free_count_) return false;
    // The only aligned frame below frame_count_ would be frame 0, never free.
    if (align_frames >= frame_count_) return false;

    size_t start = next_free_frame(first_free_word_hint_ * kBitsPerWord);
    for (;;) {
        start = static_cast<size_t>(align_down(start + align_frames - 1, align_frames));
        if (start >= frame_count_ || frame_count_ - start < frames) return false;
        size_t taken = next_taken_frame(start, start + frames);
        if (taken == start + frames) break;
        // No run can start at or below a taken frame and include it.
        start = next_free_frame(taken + 1);
    }
    fill_bits(free_map_, start, frames, false);
    free_count_ -= frames;
    phys = start * kFrameSize;
    return true;
}

bool FrameAllocator::allocate_at(uint64_t phys, size_t frames) {
    if (phys % kFrameSize != 0 || frames == 0) return false;
    const size_t first = frame_of(phys);
    if (first >= frame_count_ || frames > frame_count_ - first) return false;
    if (next_taken_frame(first, first + frames) != first + frames) return false;
    fill_bits(free_map_, first, frames, false);
    free_count_ -= frames;
    return true;
}

bool FrameAllocator::is_allocated_pool_frame(size_t frame) const {
    return frame < frame_count_ && bit(pool_map_, frame) && !bit(free_map_, frame);
}

bool FrameAllocator::free(uint64_t phys) { return free_contiguous(phys, 1); }

bool FrameAllocator::free_contiguous(uint64_t phys, size_t frames) {
    if (phys % kFrameSize != 0 || frames == 0) return false;
    const size_t first = frame_of(phys);
    if (first >= frame_count_ || frames > frame_count_ - first) return false;
    // Check everything before changing anything.
    for (size_t frame = first; frame < first + frames; ++frame)
        if (!is_allocated_pool_frame(frame)) return false;
    fill_bits(free_map_, first, frames, true);
    free_count_ += frames;
    size_t word = first / kBitsPerWord;
    if (word < first_free_word_hint_) first_free_word_hint_ = word;
    return true;
}

bool FrameAllocator::is_free(uint64_t phys) const {
    size_t frame = frame_of(phys);
    return frame < frame_count_ && bit(free_map_, frame);
}

}  // namespace bulkhead
