// Decoding the instruction that touched an emulated device's memory-mapped
// registers (the local APIC at 0xfee00000, the IOAPIC at 0xfec00000).
//
// Such an access exits with an EPT violation that gives the guest-physical
// address and whether it was a read or a write, but not the data, the size
// or the register involved: those are in the instruction, which the
// hypervisor must decode. Drivers reach these registers with plain MOVs
// (Linux's readl/writel, apic_read/apic_write), so a small decoder is enough,
// as in Jailhouse (hypervisor/arch/x86/mmio.c) and ACRN's instruction
// emulator. Accepted, in 32-bit or 64-bit mode:
//
//   88 /r  MOV r/m8, r8        8A /r  MOV r8, r/m8        C6 /0 ib  MOV r/m8, imm8
//   89 /r  MOV r/m, r          8B /r  MOV r, r/m          C7 /0 id  MOV r/m, imm32
//   87 /r  XCHG r/m, r (Linux writes the APIC with XCHG on CPUs with erratum 11AP)
//   0F B6 / 0F B7  MOVZX r, r/m8 / r/m16
//   A0-A3  MOV AL/eAX <-> an absolute address (compilers use it for a
//          constant address such as a bare-metal guest's APIC registers)
//
// with the operand-size prefix 66, the address-size prefix 67, REX, and
// segment-override prefixes (the exit already gives the address, so the
// segment does not matter). Anything
// else - string instructions, arithmetic on memory, LOCK - is refused, and
// the hypervisor stops the partition with the instruction bytes in the log.
//
// Pure code: tests/unit/test_mmio_instruction.cpp.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

// The longest x86 instruction.
inline constexpr size_t kMaxInstructionLength = 15;

enum class MmioAccess : uint8_t {
    Load,       // register <- memory (zero-extended for MOVZX)
    Store,      // memory <- register
    StoreImmediate,  // memory <- immediate
    Exchange,   // memory <-> register
};

struct MmioInstruction {
    MmioAccess access;
    unsigned size;          // bytes of memory accessed: 1, 2, 4 or 8
    unsigned register_index;  // x86 numbering (RAX = 0 ... R15 = 15), for Load/Store/Exchange
    bool high_byte;         // AH/CH/DH/BH (register_index 0-3, no REX) for 8-bit operands
    unsigned destination_size;  // Load: bytes written to the register (MOVZX: 2, 4 or 8)
    uint64_t immediate;     // StoreImmediate
    unsigned length;        // bytes of the instruction, to step RIP over it
};

enum class DecodeError : uint8_t { None, Truncated, UnsupportedOpcode, RegisterOperand, TooLong };
const char* to_string(DecodeError error);

// `bytes` holds up to `available` instruction bytes read at RIP; `long_mode`
// is true for 64-bit code (REX prefixes and 64-bit operands exist there).
DecodeError decode_mmio_instruction(const uint8_t* bytes, size_t available, bool long_mode, MmioInstruction& out);

// What a load leaves in the full 64-bit register: x86 rules (a 32-bit result
// clears the upper half; 8- and 16-bit results merge into the old value).
uint64_t merge_loaded_value(uint64_t old_register, uint64_t value, const MmioInstruction& insn);

// The value a store writes, taken from the register (or the immediate).
uint64_t stored_value(uint64_t register_value, const MmioInstruction& insn);

}  // namespace bulkhead
