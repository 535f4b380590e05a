// Physical frame allocator: hands out 4 KiB frames of RAM.
//
// init() builds the pool from the firmware memory map minus everything that
// must stay untouched, then keeps two bitmaps of one bit per frame, covering
// frame 0 up to the highest usable address:
//
//   free map: 1 = the frame is free right now.
//   pool map: 1 = the frame belongs to the pool at all (usable RAM, not
//                 reserved, not the bitmaps themselves, not frame 0).
//
// The pool map is what lets free() refuse a frame that was never ours (a
// reserved or firmware frame, or a stray address). A second bitmap was chosen
// over a list of ranges because the allocator has no heap: a list would need a
// fixed capacity, which a fragmented firmware map (minus the reserved ranges
// cutting holes into it) could exceed, while the bitmap's size follows from
// the highest address alone and answers "is this frame ours?" in O(1). It
// costs one more bit per frame (32 KiB per GiB of address space).
//
// Frame 0 is never handed out: physical address 0 means "no frame" to the
// page-table code, and the real-mode IVT lives there anyway.
//
// Not thread-safe; the caller serializes.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/paging.hpp"

namespace bulkhead {

// Physical address range [base, end).
struct PhysRange {
    uint64_t base;
    uint64_t end;
};

// Turns a physical address into a pointer the kernel can use (the identity
// map at boot). The allocator reaches its own bitmaps through it.
using PhysToVirt = void* (*)(uint64_t phys);

inline constexpr uint64_t kFrameSize = x86::kPageSize4K;

class FrameAllocator {
  public:
    enum class InitError { None, NoUsableMemory, NoRoomForBitmap };

    // available: usable RAM as the firmware reported it; unsorted, possibly
    //     overlapping, unaligned (only whole frames inside count).
    // reserved: never handed out: the hypervisor image, boot information,
    //     boot modules, low memory, firmware areas (partly covered frames
    //     count as reserved).
    // The bitmaps go into the lowest run of free frames that is large enough
    // (low memory is the most likely to be mapped early); those frames leave
    // the pool. Both arrays are read after the bitmaps are written, so they
    // must not live in free RAM. May be called again to start over.
    InitError init(const PhysRange* available, size_t available_count, const PhysRange* reserved,
                   size_t reserved_count, PhysToVirt to_virt);

    // One frame, lowest address first.
    bool allocate(uint64_t& phys);
    // `frames` consecutive frames starting at a multiple of `align_frames`
    // frames (a power of two; 0 counts as 1), e.g. 512 aligned to 512 for a
    // 2 MiB page.
    bool allocate_contiguous(size_t frames, size_t align_frames, uint64_t& phys);

    // Exactly the frames [phys, phys + frames * 4 KiB), for memory whose
    // place is given (a partition's fixed placement). All or nothing: false,
    // and nothing taken, if any of them is not free.
    bool allocate_at(uint64_t phys, size_t frames);

    // Returns a frame to the pool. False, and nothing changes, for a frame
    // that is unaligned, out of range, not part of the pool, or already free.
    bool free(uint64_t phys);
    // All or nothing: false, and nothing freed, if any frame would be refused.
    bool free_contiguous(uint64_t phys, size_t frames);

    size_t free_frames() const { return free_count_; }
    // Frames in the pool, allocated or not (excludes the bitmap's frames).
    size_t usable_frames() const { return pool_count_; }
    uint64_t bitmap_phys() const { return bitmap_phys_; }
    // Both bitmaps together; they occupy whole frames from bitmap_phys().
    size_t bitmap_bytes() const { return bitmap_bytes_; }
    // Whether the frame containing phys is free.
    bool is_free(uint64_t phys) const;

    // Calls fn(PhysRange) for each maximal run of free frames, lowest first.
    template <class Fn>
    void for_each_free_range(Fn fn) const {
        size_t frame = next_free_frame(0);
        while (frame < frame_count_) {
            size_t run_end = next_taken_frame(frame, frame_count_);
            fn(PhysRange{frame * kFrameSize, run_end * kFrameSize});
            frame = next_free_frame(run_end);
        }
    }

  private:
    void reset();
    bool is_allocated_pool_frame(size_t frame) const;
    // First free frame at or after `frame`, or frame_count_ if none.
    size_t next_free_frame(size_t frame) const;
    // First frame in [frame, limit) that is not free, or limit if none.
    size_t next_taken_frame(size_t frame, size_t limit) const;

    uint64_t* free_map_ = nullptr;
    uint64_t* pool_map_ = nullptr;
    size_t frame_count_ = 0;  // frames covered by the maps
    size_t word_count_ = 0;   // 64-bit words per map
    size_t free_count_ = 0;
    size_t pool_count_ = 0;
    // Every map word below this index is known to have no free frame, so
    // searches start here instead of at frame 0.
    size_t first_free_word_hint_ = 0;
    uint64_t bitmap_phys_ = 0;
    size_t bitmap_bytes_ = 0;
};

}  // namespace bulkhead
