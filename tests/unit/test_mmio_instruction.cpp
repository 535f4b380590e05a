// The decoder for instructions that touch memory-mapped device registers:
// the MOVs compilers emit for readl/writel, with their lengths, registers and
// immediates, and the refusals.
#include <catch2/catch.hpp>

#include <vector>

#include "vmm/mmio_instruction.hpp"

using namespace bulkhead;

namespace {

MmioInstruction decode(std::vector<uint8_t> bytes, bool long_mode = true) {
    MmioInstruction insn{};
    REQUIRE(decode_mmio_instruction(bytes.data(), bytes.size(), long_mode, insn) == DecodeError::None);
    return insn;
}

DecodeError refusal(std::vector<uint8_t> bytes, bool long_mode = true) {
    MmioInstruction insn{};
    return decode_mmio_instruction(bytes.data(), bytes.size(), long_mode, insn);
}

}  // namespace

TEST_CASE("Linux's apic_write: mov %eax to an absolute address") {
    // 89 04 25 b0 c0 5f ff   mov %eax, 0xffffffffff5fc0b0 (SIB, no base, disp32)
    const auto i = decode({0x89, 0x04, 0x25, 0xb0, 0xc0, 0x5f, 0xff});
    CHECK(i.access == MmioAccess::Store);
    CHECK(i.size == 4);
    CHECK(i.register_index == 0);
    CHECK(i.length == 7);
}

TEST_CASE("loads through a base register, with displacements") {
    // 8b 07         mov (%rdi), %eax
    auto i = decode({0x8b, 0x07});
    CHECK(i.access == MmioAccess::Load);
    CHECK(i.size == 4);
    CHECK(i.length == 2);
    // 8b 47 20      mov 0x20(%rdi), %eax
    CHECK(decode({0x8b, 0x47, 0x20}).length == 3);
    // 8b 87 00 03 00 00   mov 0x300(%rdi), %eax
    CHECK(decode({0x8b, 0x87, 0x00, 0x03, 0x00, 0x00}).length == 6);
    // 44 8b 44 24 08  mov 0x8(%rsp), %r8d (REX.R, SIB, disp8)
    i = decode({0x44, 0x8b, 0x44, 0x24, 0x08});
    CHECK(i.register_index == 8);
    CHECK(i.length == 5);
    // 8b 05 10 00 00 00  mov 0x10(%rip), %eax
    CHECK(decode({0x8b, 0x05, 0x10, 0x00, 0x00, 0x00}).length == 6);
}

TEST_CASE("operand sizes: 66 gives 16 bits, REX.W 64, 88/8a 8") {
    CHECK(decode({0x66, 0x89, 0x07}).size == 2);
    CHECK(decode({0x48, 0x8b, 0x07}).size == 8);
    CHECK(decode({0x88, 0x07}).size == 1);
    const auto i = decode({0x8a, 0x27});   // mov (%rdi), %ah
    CHECK(i.size == 1);
    CHECK(i.high_byte);
    CHECK(i.register_index == 0);
    const auto j = decode({0x40, 0x8a, 0x27});   // with REX: %spl, not %ah
    CHECK_FALSE(j.high_byte);
    CHECK(j.register_index == 4);
}

TEST_CASE("stores of immediates") {
    // c7 07 00 01 00 00   movl $0x100, (%rdi)
    auto i = decode({0xc7, 0x07, 0x00, 0x01, 0x00, 0x00});
    CHECK(i.access == MmioAccess::StoreImmediate);
    CHECK(i.immediate == 0x100);
    CHECK(i.size == 4);
    CHECK(i.length == 6);
    // c7 47 10 ff ff ff ff  movl $-1, 0x10(%rdi)
    CHECK(decode({0xc7, 0x47, 0x10, 0xff, 0xff, 0xff, 0xff}).immediate == 0xffffffff);
    // 48 c7 07 ff ff ff ff  movq $-1, (%rdi): sign-extended
    CHECK(decode({0x48, 0xc7, 0x07, 0xff, 0xff, 0xff, 0xff}).immediate == ~0ull);
    // 66 c7 07 34 12  movw $0x1234, (%rdi)
    i = decode({0x66, 0xc7, 0x07, 0x34, 0x12});
    CHECK(i.immediate == 0x1234);
    CHECK(i.length == 5);
    // c6 07 7f  movb $0x7f, (%rdi)
    CHECK(decode({0xc6, 0x07, 0x7f}).immediate == 0x7f);
}

TEST_CASE("xchg and movzx") {
    auto i = decode({0x87, 0x07});
    CHECK(i.access == MmioAccess::Exchange);
    i = decode({0x0f, 0xb6, 0x07});   // movzbl (%rdi), %eax
    CHECK(i.access == MmioAccess::Load);
    CHECK(i.size == 1);
    CHECK(i.destination_size == 4);
    CHECK(i.length == 3);
    CHECK(decode({0x0f, 0xb7, 0x07}).size == 2);
}

TEST_CASE("segment prefixes are skipped; 32-bit code has no REX") {
    CHECK(decode({0x64, 0x8b, 0x07}).length == 3);
    // In 32-bit code 0x48 is DEC EAX, not REX.W.
    CHECK(refusal({0x48, 0x8b, 0x07}, false) == DecodeError::UnsupportedOpcode);
    CHECK(decode({0x8b, 0x05, 0x00, 0x00, 0xe0, 0xfe}, false).length == 6);   // mov 0xfee00000, %eax
}

TEST_CASE("refusals") {
    CHECK(refusal({0x01, 0x07}) == DecodeError::UnsupportedOpcode);        // add %eax, (%rdi)
    CHECK(refusal({0xa5}) == DecodeError::UnsupportedOpcode);              // movs
    CHECK(refusal({0xf0, 0x89, 0x07}) == DecodeError::UnsupportedOpcode);  // lock
    CHECK(refusal({0x89, 0xc0}) == DecodeError::RegisterOperand);          // mov %eax, %eax
    CHECK(refusal({0xc7, 0x0f, 0, 0, 0, 0}) == DecodeError::UnsupportedOpcode);   // c7 /1 is not MOV
    CHECK(refusal({0x89, 0x04}) == DecodeError::Truncated);
    CHECK(refusal({0x89, 0x87, 0x00}) == DecodeError::Truncated);
    CHECK(refusal({0xc7, 0x07, 0x00}) == DecodeError::Truncated);
    CHECK(refusal({}) == DecodeError::Truncated);
    CHECK(refusal(std::vector<uint8_t>(15, 0x66)) == DecodeError::Truncated);
}

TEST_CASE("register results follow x86 rules") {
    const auto load32 = decode({0x8b, 0x07});
    CHECK(merge_loaded_value(0xffffffff'ffffffff, 0x12345678, load32) == 0x12345678);
    const auto load16 = decode({0x66, 0x8b, 0x07});
    CHECK(merge_loaded_value(0xaaaaaaaa'aaaaaaaa, 0x1234, load16) == 0xaaaaaaaa'aaaa1234);
    const auto load_ah = decode({0x8a, 0x27});
    CHECK(merge_loaded_value(0x1111, 0xab, load_ah) == 0xab11);
    const auto movzx = decode({0x0f, 0xb6, 0x07});
    CHECK(merge_loaded_value(~0ull, 0x1ff, movzx) == 0xff);
    const auto store_ah = decode({0x88, 0x27});
    CHECK(stored_value(0xab11, store_ah) == 0xab);
    CHECK(stored_value(0x1122334455667788, decode({0x89, 0x07})) == 0x55667788);
}

TEST_CASE("moves between eAX and an absolute address (A0-A3)") {
    // a1 20 00 e0 fe 00 00 00 00   movabs 0xfee00020, %eax (64-bit mode: 8-byte address)
    auto i = decode({0xa1, 0x20, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00});
    CHECK(i.access == MmioAccess::Load);
    CHECK(i.size == 4);
    CHECK(i.destination_size == 4);
    CHECK(i.register_index == 0);
    CHECK(i.length == 9);
    // a3 ...: store eAX; 48 a3: RAX; a2: AL.
    i = decode({0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00});
    CHECK(i.access == MmioAccess::Store);
    CHECK(i.size == 4);
    CHECK(i.length == 9);
    i = decode({0x48, 0xa3, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00});
    CHECK(i.size == 8);
    CHECK(i.length == 10);
    i = decode({0xa2, 0xb0, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00});
    CHECK(i.size == 1);
    CHECK_FALSE(i.high_byte);
    // 67: a 4-byte address in 64-bit mode; 32-bit mode has 4, or 2 with 67.
    CHECK(decode({0x67, 0xa1, 0x20, 0x00, 0xe0, 0xfe}).length == 6);
    CHECK(decode({0xa1, 0x20, 0x00, 0xe0, 0xfe}, false).length == 5);
    CHECK(decode({0x67, 0xa1, 0x20, 0x00}, false).length == 4);
    // Cut short: the address is missing bytes.
    CHECK(refusal({0xa1, 0x20, 0x00, 0xe0, 0xfe}) == DecodeError::Truncated);
}
