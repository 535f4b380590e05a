// Thin, typed wrappers around the x86-64 instructions the hypervisor uses.
// Each is a single instruction; keeping them here keeps inline assembly out of
// the rest of the code.
#pragma once

#include <stdint.h>

// An instruction at local label 1 that may fault on purpose, resumed at
// local label 2: the entry the exception handler looks up (kernel/trap.cpp,
// the .exception_fixups section). Used by the *_safe wrappers.
#define BULKHEAD_FIXUP_1B_TO_2B \
    ".pushsection .exception_fixups, \"a\"\n" \
    ".quad 1b, 2b\n"                            \
    ".popsection\n"

namespace bulkhead::x86 {

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};

inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid"
                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                 : "a"(leaf), "c"(subleaf));
    return r;
}

// I/O ports. The port number type is a plain uint16_t because the hardware
// has exactly 65536 of them; the named port numbers live with their devices.
inline void out8(uint16_t port, uint8_t value) { asm volatile("outb %0, %1" ::"a"(value), "Nd"(port)); }
inline void out16(uint16_t port, uint16_t value) { asm volatile("outw %0, %1" ::"a"(value), "Nd"(port)); }
inline void out32(uint16_t port, uint32_t value) { asm volatile("outl %0, %1" ::"a"(value), "Nd"(port)); }
inline uint8_t in8(uint16_t port) {
    uint8_t value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

inline void halt() { asm volatile("hlt"); }
inline void disable_interrupts() { asm volatile("cli" ::: "memory"); }
inline void pause() { asm volatile("pause"); }

inline uint64_t read_tsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t{hi} << 32) | lo;
}

// XCR0, the enabled XSAVE state components (needs CR4.OSXSAVE).
inline uint64_t read_xcr0() {
    uint32_t lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t{hi} << 32) | lo;
}
inline void write_xcr0(uint64_t value) {
    asm volatile("xsetbv" ::"c"(0), "a"(static_cast<uint32_t>(value)), "d"(static_cast<uint32_t>(value >> 32)));
}

// XSETBV that survives the #GP a value the CPU refuses raises (the
// exception handler resumes after it through the fixup table, as for
// read_msr_safe): for values that come from a guest.
inline bool write_xcr0_safe(uint64_t value) {
    uint32_t ok;
    asm volatile(
        "xor %k[ok], %k[ok]\n"
        "1: xsetbv\n"
        "mov $1, %k[ok]\n"
        "2:\n"
        BULKHEAD_FIXUP_1B_TO_2B
        : [ok] "=&r"(ok)
        : "c"(0), "a"(static_cast<uint32_t>(value)), "d"(static_cast<uint32_t>(value >> 32))
        : "memory");
    return ok != 0;
}

inline uint64_t read_cr0() { uint64_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
inline uint64_t read_cr2() { uint64_t v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
inline uint64_t read_cr3() { uint64_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
inline uint64_t read_cr4() { uint64_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
inline void write_cr0(uint64_t v) { asm volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
inline void write_cr3(uint64_t v) { asm volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
inline void write_cr4(uint64_t v) { asm volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }

// Stop this CPU for good: interrupts off, then HLT in a loop because an NMI
// or SMI can still wake a halted CPU.
[[noreturn]] inline void halt_forever() {
    disable_interrupts();
    for (;;) halt();
}

}  // namespace bulkhead::x86
