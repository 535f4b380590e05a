// Names of the general-purpose registers and of the architectural flag bits
// in CR0, CR4, EFER and RFLAGS (Intel SDM Vol. 3A, 2.5 and 2.2.1), for dumps
// that students and users read: the monitor's `vcpu` command prints
// "GuestCr0=0x80000011 [PE ET PG]", the exit trace "MOV to CR3 from rax".
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/vmcs_fields.hpp"

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

// "rax", "rcx", ... "r15": a general-purpose register by its x86 number.
const char* gpr_name(vmx::Gpr gpr);

// "PE ET PG": the set bits in bit order, each by its name, or as "bit3" if
// it has none. Returns the length the whole text needs (snprintf-like).
size_t format_flags(uint64_t value, BitNames names, char* out, size_t capacity);

}  // namespace bulkhead::x86
