// I/O and MSR bitmaps: the bit for a port or MSR is where the SDM says, and
// nothing beyond the allow-list is ever passed through.
#include <catch2/catch.hpp>

#include <vector>

#include "arch/x86_64/msr.hpp"
#include "vmm/vmx_bitmaps.hpp"

using namespace bulkhead;

TEST_CASE("an I/O bitmap intercepts every port until one is passed through") {
    std::vector<uint8_t> bits(IoBitmap::kBytes, 0);
    IoBitmap io(bits.data());
    io.intercept_all();
    for (uint32_t port = 0; port <= 0xffff; ++port) REQUIRE(io.intercepts(static_cast<uint16_t>(port)));
    io.pass_through(0x3f8);
    io.pass_through(0x8001);
    CHECK_FALSE(io.intercepts(0x3f8));
    CHECK(io.intercepts(0x3f9));
    CHECK_FALSE(io.intercepts(0x8001));
    CHECK(bits[0x3f8 / 8] == static_cast<uint8_t>(~(1u << 0)));
    CHECK(bits[4096 + 1 / 8] == static_cast<uint8_t>(~(1u << 1)));   // 0x8001 lives in bitmap B
}

TEST_CASE("the MSR bitmap layout follows the SDM: read-low, read-high, write-low, write-high") {
    std::vector<uint8_t> bits(MsrBitmap::kBytes, 0);
    MsrBitmap msrs(bits.data());
    msrs.intercept_all();
    CHECK(msrs.pass_through_read(0x10));
    CHECK(bits[0x10 / 8] == static_cast<uint8_t>(~(1u << 0)));
    CHECK(msrs.pass_through_write(0xc0000082));
    CHECK(bits[3072 + 0x82 / 8] == static_cast<uint8_t>(~(1u << 2)));
    CHECK(msrs.pass_through_read(0xc0000100));
    CHECK(bits[1024 + 0x100 / 8] == static_cast<uint8_t>(~(1u << 0)));
    CHECK_FALSE(msrs.pass_through_read(0x40000000));   // outside both ranges: always exits
    CHECK(msrs.intercepts_read(0x40000000));
}

TEST_CASE("the allow-list passes exactly the VMCS-held and switched MSRs") {
    std::vector<uint8_t> bits(MsrBitmap::kBytes, 0);
    MsrBitmap msrs(bits.data());
    msrs.intercept_all();
    apply_msr_allow_list(msrs);
    for (x86::Msr m : {x86::Msr::FsBase, x86::Msr::GsBase, x86::Msr::KernelGsBase, x86::Msr::Star,
                       x86::Msr::Lstar, x86::Msr::Cstar, x86::Msr::SyscallMask, x86::Msr::SysenterCs,
                       x86::Msr::SysenterEsp, x86::Msr::SysenterEip, x86::Msr::TscAux}) {
        CHECK_FALSE(msrs.intercepts_read(static_cast<uint32_t>(m)));
        CHECK_FALSE(msrs.intercepts_write(static_cast<uint32_t>(m)));
    }
    CHECK_FALSE(msrs.intercepts_read(static_cast<uint32_t>(x86::Msr::Tsc)));
    CHECK(msrs.intercepts_write(static_cast<uint32_t>(x86::Msr::Tsc)));
    // Everything isolation depends on still exits.
    for (x86::Msr m : {x86::Msr::Efer, x86::Msr::Pat, x86::Msr::FeatureControl, x86::Msr::VmxBasic,
                       x86::Msr::VmxEptVpidCap}) {
        CHECK(msrs.intercepts_read(static_cast<uint32_t>(m)));
        CHECK(msrs.intercepts_write(static_cast<uint32_t>(m)));
    }
    CHECK(msrs.intercepts_write(0x79));   // microcode update trigger
    size_t cleared = 0;
    for (uint8_t b : bits)
        for (int i = 0; i < 8; ++i) cleared += !((b >> i) & 1);
    CHECK(cleared == 2 * 11 + 1);
}
