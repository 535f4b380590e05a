// The few C string routines the hypervisor needs. The kernel implements them
// itself (kernel/lib/string.cpp); host unit tests get them from the C library.
// We declare them here instead of including <string.h> because a bare
// x86_64-elf cross compiler ships no C library headers.
#pragma once

#include <stddef.h>

#if __STDC_HOSTED__
#include <string.h>   // host unit tests: the C library's own declarations
#else
extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int value, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
}
#endif

namespace bulkhead {

// Length of s, reading at most max bytes (s need not be NUL-terminated).
inline size_t bounded_strlen(const char* s, size_t max) {
    size_t n = 0;
    while (n < max && s[n] != '\0') ++n;
    return n;
}

// True when the first n bytes of a and b match and b is exactly n long.
inline bool equals(const char* a, size_t n, const char* b) {
    size_t i = 0;
    for (; i < n; ++i)
        if (b[i] == '\0' || a[i] != b[i]) return false;
    return b[i] == '\0';
}

}  // namespace bulkhead
