// The I/O and MSR bitmaps (Intel SDM Vol. 3C, 25.6.4 and 25.6.9): one bit per
// port or MSR; a set bit makes the guest's access exit, a clear bit lets it
// reach the hardware. A partition starts with every bit set and passes
// through only what its configuration (or the MSR allow-list) grants.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

// Two 4 KiB pages: A covers ports 0x0000-0x7fff, B 0x8000-0xffff.
class IoBitmap {
public:
    static constexpr size_t kBytes = 2 * 4096;
    explicit IoBitmap(uint8_t* bits) : bits_(bits) {}
    void intercept_all();
    void pass_through(uint16_t port);
    bool intercepts(uint16_t port) const;

private:
    uint8_t* bits_;
};

// One 4 KiB page: read bitmap for MSRs 0-0x1fff, read bitmap for
// 0xc0000000-0xc0001fff, then the two write bitmaps. MSRs outside both
// ranges always exit.
class MsrBitmap {
public:
    static constexpr size_t kBytes = 4096;
    explicit MsrBitmap(uint8_t* bits) : bits_(bits) {}
    void intercept_all();
    bool pass_through_read(uint32_t msr);
    bool pass_through_write(uint32_t msr);
    bool intercepts_read(uint32_t msr) const;
    bool intercepts_write(uint32_t msr) const;

private:
    // Byte offset and bit of `msr` in the read (write=false) or write bitmap;
    // false for an MSR no bitmap covers.
    static bool locate(uint32_t msr, bool write, size_t& byte, uint8_t& bit);
    uint8_t* bits_;
};

// The MSRs every partition may read and write without an exit: their state
// lives in the VMCS (FS/GS base, SYSENTER) or is switched by the hypervisor
// when partitions change (the SYSCALL MSRs, KERNEL_GS_BASE).
void apply_msr_allow_list(MsrBitmap& bitmap);

}  // namespace bulkhead
