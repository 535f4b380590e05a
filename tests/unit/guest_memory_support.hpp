// Test support for the guest loaders' unit tests (test_guest_loader.cpp,
// test_linux_loader.cpp): building images byte by byte, guest memory with
// canaries, and walking the page tables a loader built.
//
// GuestBuffer surrounds guest memory with canary bytes and fills guest memory
// with garbage first, so a test sees both a write outside guest memory
// (canaries, and AddressSanitizer beyond them) and a byte the loader forgot
// to zero.
#pragma once

#include <catch2/catch.hpp>

#include <stdint.h>
#include <string.h>

#include <sstream>
#include <string>
#include <vector>

#include "arch/x86_64/paging.hpp"
#include "vmm/guest_layout.hpp"
#include "vmm/guest_loader.hpp"

namespace bulkhead::test {

using Bytes = std::vector<uint8_t>;

inline constexpr uint8_t kGarbage = 0xee;  // what guest memory holds before a load

// ---- Byte helpers ---------------------------------------------------------------

template <class T>
T get(const uint8_t* p) {
    T value;
    memcpy(&value, p, sizeof(T));
    return value;
}

template <class T>
void put(Bytes& bytes, size_t offset, const T& value) {
    if (bytes.size() < offset + sizeof(T)) bytes.resize(offset + sizeof(T), 0);
    memcpy(bytes.data() + offset, &value, sizeof(T));
}

// Reads the T at offset, lets `change` edit it, writes it back.
template <class T, class Change>
void patch(Bytes& bytes, size_t offset, Change change) {
    T value = get<T>(bytes.data() + offset);
    change(value);
    put(bytes, offset, value);
}

inline Bytes pattern(size_t n, uint8_t seed) {
    Bytes bytes(n);
    for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(seed + i * 7);
    return bytes;
}

inline Bytes concat(Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// "" when equal, else where they first differ. Comparing the vectors
// directly would make Catch print megabytes of bytes on a failure.
inline std::string differences(const Bytes& actual, const Bytes& expected) {
    std::ostringstream out;
    if (actual.size() != expected.size()) {
        out << "size " << actual.size() << ", expected " << expected.size();
        return out.str();
    }
    for (size_t i = 0; i < actual.size(); ++i) {
        if (actual[i] == expected[i]) continue;
        out << std::hex << "first difference at byte 0x" << i << ": 0x" << unsigned{actual[i]} << ", expected 0x"
            << unsigned{expected[i]};
        return out.str();
    }
    return "";
}

// ---- Guest memory with canaries ------------------------------------------------------

class GuestBuffer {
  public:
    static constexpr size_t kCanarySize = 4096;
    static constexpr uint8_t kCanaryByte = 0xc3;

    explicit GuestBuffer(uint64_t size = guest_layout::kMinMemory) : bytes_(size + 2 * kCanarySize, kCanaryByte), size_(size) {
        memset(host(), kGarbage, size_);
    }
    ~GuestBuffer() { CHECK(canaries_intact()); }

    GuestMemory memory() { return GuestMemory{host(), size_}; }
    uint8_t* host() { return bytes_.data() + kCanarySize; }
    uint64_t size() const { return size_; }

    template <class T>
    T read(uint64_t gpa) {
        REQUIRE(gpa <= size_);
        REQUIRE(sizeof(T) <= size_ - gpa);
        return get<T>(host() + gpa);
    }
    Bytes bytes_at(uint64_t gpa, size_t n) {
        REQUIRE(gpa + n <= size_);
        return Bytes(host() + gpa, host() + gpa + n);
    }
    bool all_zero(uint64_t gpa, size_t n) {
        for (uint8_t b : bytes_at(gpa, n))
            if (b != 0) return false;
        return true;
    }
    std::string string_at(uint64_t gpa) {
        REQUIRE(gpa < size_);
        const char* s = reinterpret_cast<const char*>(host() + gpa);
        return std::string(s, strnlen(s, size_ - gpa));
    }
    Bytes snapshot() { return bytes_at(0, size_); }

    bool canaries_intact() const {
        for (size_t i = 0; i < kCanarySize; ++i)
            if (bytes_[i] != kCanaryByte || bytes_[kCanarySize + size_ + i] != kCanaryByte) return false;
        return true;
    }

  private:
    Bytes bytes_;
    uint64_t size_;
};

// Field by field: comparing the bytes would compare padding too.
inline bool same_state(const GuestEntryState& a, const GuestEntryState& b) {
    return a.mode == b.mode && a.rip == b.rip && a.rsp == b.rsp && a.rax == b.rax && a.rbx == b.rbx &&
           a.rdx == b.rdx && a.rsi == b.rsi && a.cr0 == b.cr0 && a.cr3 == b.cr3 && a.cr4 == b.cr4 &&
           a.efer == b.efer && a.cs == b.cs && a.ds_ss == b.ds_ss && a.gdt_base == b.gdt_base &&
           a.gdt_limit == b.gdt_limit;
}

// ---- Walking the guest's page tables ---------------------------------------------------

struct Walk {
    bool present;
    uint64_t phys;
};

// Translates va the way the CPU would with CR3 = cr3, expecting 2 MiB pages.
inline Walk translate(GuestBuffer& guest, uint64_t cr3, uint64_t va) {
    const auto entry_at = [&](uint64_t table, uint64_t index) {
        return x86::PageTableEntry{guest.read<uint64_t>(table + index * sizeof(uint64_t))};
    };
    const auto pml4e = entry_at(cr3 & x86::kEntryAddressMask, x86::pml4_index(va));
    if (!pml4e.present()) return Walk{false, 0};
    const auto pdpte = entry_at(pml4e.address(), x86::pdpt_index(va));
    if (!pdpte.present()) return Walk{false, 0};
    REQUIRE_FALSE(pdpte.large());
    const auto pde = entry_at(pdpte.address(), x86::pd_index(va));
    if (!pde.present()) return Walk{false, 0};
    REQUIRE(pde.large());
    CHECK(pde.writable());
    CHECK(pde.executable());
    const uint64_t page = pde.address() & ~(x86::kPageSize2M - 1);
    return Walk{true, page | (va & (x86::kPageSize2M - 1))};
}

inline void check_identity_map(GuestBuffer& guest, uint64_t cr3) {
    const uint64_t size = guest.size();
    for (uint64_t va : {uint64_t{0}, uint64_t{0x7c00}, x86::kPageSize2M - 1, x86::kPageSize2M, size / 2 + 0x123,
                        size - x86::kPageSize2M, size - 1}) {
        if (va >= size) continue;  // 2 MiB memory has no second page
        INFO("va " << std::hex << va);
        const Walk walk = translate(guest, cr3, va);
        CHECK(walk.present);
        CHECK(walk.phys == va);
    }
    CHECK_FALSE(translate(guest, cr3, size).present);
    CHECK_FALSE(translate(guest, cr3, size + 5 * x86::kPageSize2M).present);
    CHECK_FALSE(translate(guest, cr3, 512 * x86::kPageSize1G).present);  // PML4 entry 1
}

}  // namespace bulkhead::test
