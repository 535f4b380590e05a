#include "vmm/vmx_bitmaps.hpp"

#include "arch/x86_64/msr.hpp"
#include "kernel/lib/string.hpp"

namespace bulkhead {

namespace {

constexpr unsigned kBitsPerByte = 8;
constexpr uint8_t kAllBits = 0xff;
constexpr uint32_t kLowMsrFirst = 0x00000000, kLowMsrLast = 0x00001fff;
constexpr uint32_t kHighMsrFirst = 0xc0000000, kHighMsrLast = 0xc0001fff;
constexpr size_t kReadLowOffset = 0, kReadHighOffset = 1024, kWriteLowOffset = 2048, kWriteHighOffset = 3072;

constexpr x86::Msr kReadWriteAllowed[] = {
    x86::Msr::FsBase,     x86::Msr::GsBase, x86::Msr::KernelGsBase, x86::Msr::SysenterCs,
    x86::Msr::SysenterEsp, x86::Msr::SysenterEip, x86::Msr::Star, x86::Msr::Lstar,
    x86::Msr::Cstar,      x86::Msr::SyscallMask, x86::Msr::TscAux};
constexpr x86::Msr kReadAllowed[] = {x86::Msr::Tsc};

}  // namespace

void IoBitmap::intercept_all() { memset(bits_, kAllBits, kBytes); }

void IoBitmap::pass_through(uint16_t port) {
    bits_[port / kBitsPerByte] &= static_cast<uint8_t>(~(1u << (port % kBitsPerByte)));
}

bool IoBitmap::intercepts(uint16_t port) const {
    return (bits_[port / kBitsPerByte] >> (port % kBitsPerByte)) & 1;
}

bool MsrBitmap::locate(uint32_t msr, bool write, size_t& byte, uint8_t& bit) {
    uint32_t index = 0;
    size_t base = 0;
    if (msr <= kLowMsrLast) {
        index = msr - kLowMsrFirst;
        base = write ? kWriteLowOffset : kReadLowOffset;
    } else if (msr >= kHighMsrFirst && msr <= kHighMsrLast) {
        index = msr - kHighMsrFirst;
        base = write ? kWriteHighOffset : kReadHighOffset;
    } else {
        return false;
    }
    byte = base + index / kBitsPerByte;
    bit = static_cast<uint8_t>(1u << (index % kBitsPerByte));
    return true;
}

void MsrBitmap::intercept_all() { memset(bits_, kAllBits, kBytes); }

bool MsrBitmap::pass_through_read(uint32_t msr) {
    size_t byte;
    uint8_t bit;
    if (!locate(msr, false, byte, bit)) return false;
    bits_[byte] &= static_cast<uint8_t>(~bit);
    return true;
}

bool MsrBitmap::pass_through_write(uint32_t msr) {
    size_t byte;
    uint8_t bit;
    if (!locate(msr, true, byte, bit)) return false;
    bits_[byte] &= static_cast<uint8_t>(~bit);
    return true;
}

bool MsrBitmap::intercepts_read(uint32_t msr) const {
    size_t byte;
    uint8_t bit;
    return !locate(msr, false, byte, bit) || (bits_[byte] & bit) != 0;
}

bool MsrBitmap::intercepts_write(uint32_t msr) const {
    size_t byte;
    uint8_t bit;
    return !locate(msr, true, byte, bit) || (bits_[byte] & bit) != 0;
}

void apply_msr_allow_list(MsrBitmap& bitmap) {
    for (x86::Msr msr : kReadWriteAllowed) {
        bitmap.pass_through_read(static_cast<uint32_t>(msr));
        bitmap.pass_through_write(static_cast<uint32_t>(msr));
    }
    for (x86::Msr msr : kReadAllowed) bitmap.pass_through_read(static_cast<uint32_t>(msr));
}

}  // namespace bulkhead
