// The flag bits of CR0, CR4, EFER and RFLAGS by name, as the monitor's
// `vcpu` command prints them: "cr0=0x80000011 [PE ET PG]".
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "arch/x86_64/register_names.hpp"

using namespace bulkhead::x86;

namespace {

std::string flags(uint64_t value, BitNames names) {
    char out[512];
    std::memset(out, 'z', sizeof out);
    const size_t n = format_flags(value, names, out, sizeof out);
    REQUIRE(n < sizeof out);
    REQUIRE(n == std::strlen(out));
    return out;
}

}  // namespace

TEST_CASE("CR0: the set bits by name, in bit order") {
    CHECK(flags(0x80000011, cr0_bit_names()) == "PE ET PG");
    CHECK(flags(0x11, cr0_bit_names()) == "PE ET");
    CHECK(flags(0x60000010, cr0_bit_names()) == "ET NW CD");   // the reset value
    CHECK(flags(0x8005003b, cr0_bit_names()) == "PE MP TS ET NE WP AM PG");
    CHECK(flags(0x1, cr0_bit_names()) == "PE");
}

TEST_CASE("CR4 and EFER") {
    CHECK(flags(0x2020, cr4_bit_names()) == "PAE VMXE");
    CHECK(flags(0x3406f0, cr4_bit_names()) == "PSE PAE MCE PGE OSFXSR OSXMMEXCPT OSXSAVE SMEP SMAP");
    CHECK(flags(1ull << 25, cr4_bit_names()) == "UINTR");
    CHECK(flags(0x500, efer_bit_names()) == "LME LMA");
    CHECK(flags(0xd01, efer_bit_names()) == "SCE LME LMA NXE");
}

TEST_CASE("RFLAGS: bit 1 and IOPL are not flags") {
    CHECK(flags(0x202, rflags_bit_names()) == "IF");
    CHECK(flags(0x2, rflags_bit_names()).empty());
    CHECK(flags(0x3202, rflags_bit_names()) == "IF");   // IOPL 3
    CHECK(flags(0x1000, rflags_bit_names()).empty());   // IOPL 1
    CHECK(flags(0x246, rflags_bit_names()) == "PF ZF IF");
    CHECK(flags(0x277fd5, rflags_bit_names()) == "CF PF AF ZF SF TF IF DF OF NT RF VM AC ID");
    CHECK(flags(0x180000, rflags_bit_names()) == "VIF VIP");
}

TEST_CASE("the RFLAGS exceptions apply to RFLAGS only") {
    // Bits 1, 12 and 13 of CR0 and CR4 are printed like any others.
    CHECK(flags(0x3002, cr0_bit_names()) == "MP bit12 bit13");
    CHECK(flags(0x3002, cr4_bit_names()) == "PVI LA57 VMXE");
}

TEST_CASE("set bits without a name print as bitN") {
    CHECK(flags(0x8, efer_bit_names()) == "bit3");
    CHECK(flags(1ull << 63, efer_bit_names()) == "bit63");
    CHECK(flags(1ull << 32, cr0_bit_names()) == "bit32");
    CHECK(flags(0x8, rflags_bit_names()) == "bit3");              // reserved in RFLAGS
    CHECK(flags(1ull << 22, rflags_bit_names()) == "bit22");
    CHECK(flags(1ull << 15, cr4_bit_names()) == "bit15");
    // Mixed with named bits, everything in bit order.
    CHECK(flags(0x509, efer_bit_names()) == "SCE bit3 LME LMA");
    CHECK(flags(0x80000021ull | (1ull << 40), cr0_bit_names()) == "PE NE PG bit40");
    // Every bit set.
    CHECK(flags(UINT64_MAX, efer_bit_names()).rfind("SCE bit1 bit2 bit3 bit4 bit5 bit6 bit7 LME bit9 LMA NXE bit12", 0) ==
          0);
}

TEST_CASE("no set bits: an empty string") {
    char out[8];
    std::memset(out, 'z', sizeof out);
    CHECK(format_flags(0, cr0_bit_names(), out, sizeof out) == 0);
    CHECK(out[0] == '\0');
    // RFLAGS with only the bits that are not flags.
    std::memset(out, 'z', sizeof out);
    CHECK(format_flags(0x3002, rflags_bit_names(), out, sizeof out) == 0);
    CHECK(out[0] == '\0');
}

TEST_CASE("a small buffer: cut short, NUL-terminated, and the full length returned") {
    const std::string full = "PE ET PG";
    for (size_t capacity = 1; capacity <= full.size() + 2; ++capacity) {
        INFO("capacity " << capacity);
        char out[16];
        std::memset(out, 'z', sizeof out);
        CHECK(format_flags(0x80000011, cr0_bit_names(), out, capacity) == full.size());
        CHECK(std::string(out) == full.substr(0, capacity - 1));
        // Nothing written past the capacity.
        for (size_t i = capacity; i < sizeof out; ++i) CHECK(out[i] == 'z');
    }

    // Unnamed bits are cut the same way.
    char out[6];
    CHECK(format_flags(0x509, efer_bit_names(), out, sizeof out) == std::strlen("SCE bit3 LME LMA"));
    CHECK(std::string(out) == "SCE b");

    // Capacity 0: nothing written at all, not even a NUL; out may be null.
    out[0] = 'z';
    CHECK(format_flags(0x80000011, cr0_bit_names(), out, 0) == full.size());
    CHECK(out[0] == 'z');
    CHECK(format_flags(0x80000011, cr0_bit_names(), nullptr, 0) == full.size());
    CHECK(format_flags(0, cr0_bit_names(), nullptr, 0) == 0);
}

TEST_CASE("the tables name the architectural bits") {
    const BitNames cr0 = cr0_bit_names();
    CHECK(cr0.count == 11);
    const BitNames efer = efer_bit_names();
    REQUIRE(efer.count == 4);
    CHECK(efer.bits[0].bit == 0);
    CHECK(std::string(efer.bits[0].name) == "SCE");
    CHECK(efer.bits[3].bit == 11);
    CHECK(std::string(efer.bits[3].name) == "NXE");
    // Each table in bit order, every bit below 64, no bit named twice.
    for (const BitNames names : {cr0_bit_names(), cr4_bit_names(), efer_bit_names(), rflags_bit_names()}) {
        for (size_t i = 0; i < names.count; ++i) {
            CHECK(names.bits[i].bit < 64);
            CHECK(std::strlen(names.bits[i].name) > 0);
            if (i > 0) CHECK(names.bits[i].bit > names.bits[i - 1].bit);
        }
    }
}
