// Names of the architectural flag bits in CR0, CR4, EFER and RFLAGS (Intel
// SDM Vol. 3A, 2.5 and 2.2.1), for dumps that students and users read: the
// monitor's `vcpu` command prints "cr0=0x80000011 [PE ET PG]".
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead::x86 {

struct BitName {
    unsigned bit;
    const char* name;
};

struct BitNames {
    const BitName* bits;
    size_t count;
};

BitNames cr0_bit_names();
BitNames cr4_bit_names();
BitNames efer_bit_names();
BitNames rflags_bit_names();

// "PE ET PG": the set bits in bit order, each by its name, or as "bit3" if
// it has none. Returns the length the whole text needs (snprintf-like).
size_t format_flags(uint64_t value, BitNames names, char* out, size_t capacity);

}  // namespace bulkhead::x86
