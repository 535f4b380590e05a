// The C library routines the compiler may emit calls to (GCC requires memcpy,
// memmove, memset and memcmp even in freestanding code), plus strlen.
#include "kernel/lib/string.hpp"

#include <stdint.h>

extern "C" {

// memcpy and memset move 8 bytes per step with REP MOVSQ / REP STOSQ, then
// the last few bytes one at a time. Partition images and whole partition
// memories (zeroed at every start and restart) go through them, so a byte
// loop would cost seconds under an instruction-counting emulator.
void* memcpy(void* dst, const void* src, size_t n) {
    size_t quads = n / 8, bytes = n % 8;
    void* d = dst;
    const void* s = src;
    asm volatile("rep movsq\n\t movq %[bytes], %%rcx\n\t rep movsb"
                 : "+D"(d), "+S"(s), "+c"(quads)
                 : [bytes] "r"(bytes)
                 : "memory");
    return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
    auto* d = static_cast<uint8_t*>(dst);
    auto* s = static_cast<const uint8_t*>(src);
    if (d < s || d >= s + n) return memcpy(dst, src, n);
    while (n--) d[n] = s[n];   // overlapping with dst above src: copy backwards
    return dst;
}

void* memset(void* dst, int value, size_t n) {
    const uint64_t pattern = 0x0101010101010101ull * static_cast<uint8_t>(value);
    void* d = dst;
    size_t quads = n / 8, bytes = n % 8;
    asm volatile("rep stosq\n\t movq %[bytes], %%rcx\n\t rep stosb"
                 : "+D"(d), "+c"(quads)
                 : "a"(pattern), [bytes] "r"(bytes)
                 : "memory");
    return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
    auto* x = static_cast<const uint8_t*>(a);
    auto* y = static_cast<const uint8_t*>(b);
    for (; n--; ++x, ++y)
        if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n] != '\0') ++n;
    return n;
}

}  // extern "C"
