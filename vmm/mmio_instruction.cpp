#include "vmm/mmio_instruction.hpp"

namespace bulkhead {

namespace {

// Prefixes (Intel SDM Vol. 2A, 2.1.1).
constexpr uint8_t kOperandSizePrefix = 0x66;
constexpr uint8_t kAddressSizePrefix = 0x67;
constexpr uint8_t kSegmentPrefixes[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65};
constexpr uint8_t kRexMask = 0xf0;
constexpr uint8_t kRex = 0x40;
constexpr uint8_t kRexW = 0x08;   // 64-bit operand
constexpr uint8_t kRexR = 0x04;   // extends ModRM.reg
constexpr uint8_t kTwoByteEscape = 0x0f;

// Opcodes.
constexpr uint8_t kMovStore8 = 0x88, kMovStore = 0x89, kMovLoad8 = 0x8a, kMovLoad = 0x8b;
constexpr uint8_t kMovImm8 = 0xc6, kMovImm = 0xc7, kXchg = 0x87;
constexpr uint8_t kMovzx8 = 0xb6, kMovzx16 = 0xb7;
// MOV between AL/eAX and an absolute address in the instruction ("moffs"):
// A0 load 8-bit, A1 load, A2 store 8-bit, A3 store. No ModRM.
constexpr uint8_t kMovMoffsLoad8 = 0xa0, kMovMoffsLoad = 0xa1, kMovMoffsStore8 = 0xa2, kMovMoffsStore = 0xa3;
// The moffs is as wide as the address size: 64 or 32 bits in 64-bit mode
// (0x67), 32 or 16 bits in 32-bit mode.
constexpr unsigned kMoffsLong = 8, kMoffsLongShort = 4, kMoffsProtected = 4, kMoffsProtectedShort = 2;

// ModRM (Vol. 2A, 2.1.5): mod in 7:6, reg in 5:3, r/m in 2:0.
constexpr unsigned kModShift = 6, kRegShift = 3;
constexpr uint8_t kFieldMask = 0x7;
constexpr uint8_t kModRegister = 3;        // mod 11: the operand is a register, not memory
constexpr uint8_t kModDisp8 = 1, kModDisp32 = 2;
constexpr uint8_t kRmSib = 4;              // r/m 100: a SIB byte follows
constexpr uint8_t kRmDisp32 = 5;           // mod 00, r/m 101: disp32 (RIP-relative in 64-bit mode)
constexpr uint8_t kSibBaseNone = 5;        // SIB base 101 with mod 00: disp32, no base
constexpr unsigned kRegisterExtension = 8;

constexpr unsigned kHighByteRegisters = 4;   // without REX, 8-bit registers 4-7 are AH, CH, DH, BH
constexpr unsigned kBitsPerByte = 8;

bool is_segment_prefix(uint8_t byte) {
    for (uint8_t p : kSegmentPrefixes)
        if (byte == p) return true;
    return false;
}

struct Prefixes {
    bool operand_size;
    bool address_size;
    uint8_t rex;
    size_t count;
};

// Legacy prefixes first, then at most one REX (64-bit mode only), which must
// come right before the opcode.
Prefixes read_prefixes(const uint8_t* bytes, size_t available, bool long_mode) {
    Prefixes p{};
    while (p.count < available) {
        const uint8_t b = bytes[p.count];
        if (b == kOperandSizePrefix) {
            p.operand_size = true;
        } else if (b == kAddressSizePrefix) {
            p.address_size = true;
        } else if (is_segment_prefix(b)) {
        } else {
            break;
        }
        ++p.count;
    }
    if (long_mode && p.count < available && (bytes[p.count] & kRexMask) == kRex) p.rex = bytes[p.count++];
    return p;
}

// Bytes that follow ModRM: the SIB byte and the displacement.
DecodeError modrm_tail_length(const uint8_t* bytes, size_t available, size_t at, unsigned& tail) {
    if (at >= available) return DecodeError::Truncated;
    const uint8_t modrm = bytes[at];
    const uint8_t mod = modrm >> kModShift;
    const uint8_t rm = modrm & kFieldMask;
    if (mod == kModRegister) return DecodeError::RegisterOperand;
    tail = 0;
    uint8_t base = rm;
    if (rm == kRmSib) {
        if (at + 1 >= available) return DecodeError::Truncated;
        tail = 1;
        base = bytes[at + 1] & kFieldMask;
    }
    if (mod == kModDisp8) tail += 1;
    else if (mod == kModDisp32) tail += 4;
    else if (rm == kRmDisp32 || (rm == kRmSib && base == kSibBaseNone)) tail += 4;
    return DecodeError::None;
}

unsigned operand_size(const Prefixes& p) {
    if (p.rex & kRexW) return 8;
    return p.operand_size ? 2 : 4;
}

uint64_t read_immediate(const uint8_t* bytes, unsigned size) {
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) value |= uint64_t{bytes[i]} << (i * kBitsPerByte);
    return value;
}

uint64_t size_mask(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * kBitsPerByte)) - 1; }

bool is_moffs_move(uint8_t opcode) { return opcode >= kMovMoffsLoad8 && opcode <= kMovMoffsStore; }

// A0-A3: the register is always AL/AX/EAX/RAX and the address follows the
// opcode; the exit already gave the address, so only its width matters.
DecodeError decode_moffs_move(uint8_t opcode, const Prefixes& prefixes, size_t at, size_t available, bool long_mode,
                              MmioInstruction& out) {
    const bool store = opcode == kMovMoffsStore8 || opcode == kMovMoffsStore;
    const bool byte = opcode == kMovMoffsLoad8 || opcode == kMovMoffsStore8;
    const unsigned size = byte ? 1 : operand_size(prefixes);
    const unsigned address_bytes = long_mode ? (prefixes.address_size ? kMoffsLongShort : kMoffsLong)
                                             : (prefixes.address_size ? kMoffsProtectedShort : kMoffsProtected);
    if (at + address_bytes > available) return DecodeError::Truncated;
    MmioInstruction insn{};
    insn.access = store ? MmioAccess::Store : MmioAccess::Load;
    insn.size = size;
    insn.register_index = 0;   // RAX
    insn.destination_size = store ? 0 : size;
    insn.length = static_cast<unsigned>(at + address_bytes);
    out = insn;
    return DecodeError::None;
}

}  // namespace

const char* to_string(DecodeError error) {
    switch (error) {
        case DecodeError::None: return "no error";
        case DecodeError::Truncated: return "instruction bytes cut short";
        case DecodeError::UnsupportedOpcode: return "not a MOV, MOVZX or XCHG";
        case DecodeError::RegisterOperand: return "no memory operand";
        case DecodeError::TooLong: return "longer than 15 bytes";
    }
    return "?";
}

DecodeError decode_mmio_instruction(const uint8_t* bytes, size_t available, bool long_mode, MmioInstruction& out) {
    if (available > kMaxInstructionLength) available = kMaxInstructionLength;
    const Prefixes prefixes = read_prefixes(bytes, available, long_mode);
    size_t at = prefixes.count;
    if (at >= available) return DecodeError::Truncated;

    MmioInstruction insn{};
    const unsigned full = operand_size(prefixes);
    unsigned immediate_size = 0;
    uint8_t opcode = bytes[at++];
    if (is_moffs_move(opcode)) return decode_moffs_move(opcode, prefixes, at, available, long_mode, out);
    if (opcode == kTwoByteEscape) {
        if (at >= available) return DecodeError::Truncated;
        opcode = bytes[at++];
        if (opcode != kMovzx8 && opcode != kMovzx16) return DecodeError::UnsupportedOpcode;
        insn.access = MmioAccess::Load;
        insn.size = opcode == kMovzx8 ? 1 : 2;
        insn.destination_size = full;
    } else {
        switch (opcode) {
            case kMovStore8: insn = {MmioAccess::Store, 1, 0, false, 0, 0, 0}; break;
            case kMovStore: insn = {MmioAccess::Store, full, 0, false, 0, 0, 0}; break;
            case kMovLoad8: insn = {MmioAccess::Load, 1, 0, false, 1, 0, 0}; break;
            case kMovLoad: insn = {MmioAccess::Load, full, 0, false, full, 0, 0}; break;
            case kXchg: insn = {MmioAccess::Exchange, full, 0, false, full, 0, 0}; break;
            case kMovImm8: insn = {MmioAccess::StoreImmediate, 1, 0, false, 0, 0, 0}; immediate_size = 1; break;
            case kMovImm:
                // The immediate is 16 bits with 66, else 32 bits (sign-extended to 64 with REX.W).
                insn = {MmioAccess::StoreImmediate, full, 0, false, 0, 0, 0};
                immediate_size = full == 2 ? 2 : 4;
                break;
            default: return DecodeError::UnsupportedOpcode;
        }
    }

    if (at >= available) return DecodeError::Truncated;
    const uint8_t modrm = bytes[at];
    const unsigned reg = (modrm >> kRegShift) & kFieldMask;
    // C6 /0 and C7 /0 only: other reg values are different instructions.
    if (insn.access == MmioAccess::StoreImmediate && reg != 0) return DecodeError::UnsupportedOpcode;
    unsigned tail = 0;
    if (const DecodeError e = modrm_tail_length(bytes, available, at, tail); e != DecodeError::None) return e;
    at += 1 + tail;
    if (at + immediate_size > available) return DecodeError::Truncated;
    if (immediate_size != 0) {
        uint64_t imm = read_immediate(bytes + at, immediate_size);
        if (immediate_size == 4 && insn.size == 8 && (imm & (1ull << 31))) imm |= ~0ull << 32;   // sign-extend
        insn.immediate = imm;
        at += immediate_size;
    }
    insn.register_index = reg + ((prefixes.rex & kRexR) ? kRegisterExtension : 0);
    // Without a REX prefix, 8-bit register numbers 4-7 mean AH, CH, DH, BH.
    const bool byte_register = (insn.access == MmioAccess::Load && insn.destination_size == 1) ||
                               (insn.access != MmioAccess::Load && insn.size == 1);
    if (byte_register && prefixes.rex == 0 && reg >= kHighByteRegisters) {
        insn.high_byte = true;
        insn.register_index = reg - kHighByteRegisters;
    }
    insn.length = static_cast<unsigned>(at);
    if (insn.length > kMaxInstructionLength) return DecodeError::TooLong;
    out = insn;
    return DecodeError::None;
}

uint64_t merge_loaded_value(uint64_t old_register, uint64_t value, const MmioInstruction& insn) {
    const unsigned size = insn.access == MmioAccess::Load ? insn.destination_size : insn.size;
    value &= size_mask(insn.size);   // MOVZX: the memory operand's width, zero-extended
    if (insn.high_byte) {
        constexpr unsigned kHighByteShift = 8;
        constexpr uint64_t kHighByteMask = 0xff00;
        return (old_register & ~kHighByteMask) | ((value << kHighByteShift) & kHighByteMask);
    }
    if (size == 4 || size == 8) return value;   // 32-bit results zero the upper half
    return (old_register & ~size_mask(size)) | (value & size_mask(size));
}

uint64_t stored_value(uint64_t register_value, const MmioInstruction& insn) {
    if (insn.access == MmioAccess::StoreImmediate) return insn.immediate & size_mask(insn.size);
    if (insn.high_byte) return (register_value >> kBitsPerByte) & size_mask(1);
    return register_value & size_mask(insn.size);
}

}  // namespace bulkhead
