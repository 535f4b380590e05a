// The CPUID a partition sees (vmm/cpuid_policy.cpp), against fake hosts: a
// Skylake-like CPU (highest basic leaf 0x16), a Haswell-like one (0xd), a
// newer one that has leaf 0x1f and the enumeration leaves of hidden features,
// and a non-Intel one. The fake hosts answer out-of-range leaves as Intel
// CPUs do, with their highest basic leaf, so a policy that passed such a
// leaf through would be caught.
#include <catch2/catch.hpp>

#include <utility>
#include <vector>

#include "arch/x86_64/cpuid_bits.hpp"
#include "include/bulkhead/hypercall.h"
#include "vmm/cpuid_policy.hpp"
#include "vmm/guest_timing.hpp"

using namespace bulkhead;
namespace bits = bulkhead::x86::cpuid_bits;
using x86::CpuidResult;

namespace {

struct Entry {
    uint32_t leaf, subleaf;
    CpuidResult r;
};

struct FakeHost {
    std::vector<Entry> entries;
    uint32_t max_basic() const { return find(0, 0).eax; }
    uint32_t max_extended() const { return find(0x80000000, 0).eax; }
    CpuidResult find(uint32_t leaf, uint32_t subleaf) const {
        for (const Entry& e : entries)
            if (e.leaf == leaf && e.subleaf == subleaf) return e.r;
        for (const Entry& e : entries)   // a leaf without subleaves answers them all alike
            if (e.leaf == leaf && e.subleaf == kAnySubleaf) return e.r;
        return {0, 0, 0, 0};
    }
    static constexpr uint32_t kAnySubleaf = 0xffffffff;
};

const FakeHost* g_host = nullptr;

// The CPUID instruction of the fake host, Intel behaviour included.
CpuidResult fake_cpuid(uint32_t leaf, uint32_t subleaf) {
    const bool basic = leaf <= g_host->max_basic();
    const bool hypervisor = leaf >= 0x40000000 && leaf <= 0x4fffffff;
    const bool extended = leaf >= 0x80000000 && leaf <= g_host->max_extended();
    if (!basic && !hypervisor && !extended) return g_host->find(g_host->max_basic(), subleaf);
    return g_host->find(leaf, subleaf);
}

constexpr uint32_t kAny = FakeHost::kAnySubleaf;
constexpr uint32_t kGenu = 0x756e6547, kIneI = 0x49656e69, kNtel = 0x6c65746e;

// Leaf 1 and 7 carry every bit the policy touches, so that each rule shows.
// ECX: VMX, SMX, EST, TM2, MONITOR, PDCM, x2APIC, TSC-deadline, XSAVE, OSXSAVE, ...
constexpr uint32_t kSkylakeLeaf1Ecx = 0x7ffafbff;
// EDX: MCE, MCA, MTRR, PAT, DS, ACPI, HTT, TM, PBE, ...
constexpr uint32_t kSkylakeLeaf1Edx = 0xbfebfbff;
constexpr uint32_t kLeaf7Ebx = 0xffffffff;
constexpr uint32_t kLeaf7Ecx = 0xffffffff;
constexpr uint32_t kLeaf7Edx = 0xffffffff;

FakeHost skylake() {
    return FakeHost{{
        {0x0, kAny, {0x16, kGenu, kNtel, kIneI}},
        {0x1, kAny, {0x000506e3, 0x02100800, kSkylakeLeaf1Ecx, kSkylakeLeaf1Edx}},
        {0x2, kAny, {0x76036301, 0x00f0b5ff, 0, 0x00c30000}},
        {0x4, 0, {0x1c004121, 0x01c0003f, 0x3f, 0}},
        {0x4, 1, {0x1c004122, 0x01c0003f, 0x3f, 0}},
        {0x4, 2, {0x1c004143, 0x00c0003f, 0x3ff, 0}},
        {0x4, 3, {0x1c03c163, 0x03c0003f, 0x1fff, 0x6}},
        {0x5, kAny, {0x40, 0x40, 0x3, 0x11142120}},
        {0x6, kAny, {0x27f7, 0x2, 0x9, 0}},
        {0x7, 0, {2, kLeaf7Ebx, kLeaf7Ecx, kLeaf7Edx}},
        {0x7, 1, {0x00000030, 0x1, 0, 0}},
        {0x7, 2, {0, 0, 0, 0x7f}},
        {0x8, kAny, {0, 0, 0, 0}},
        {0xa, kAny, {0x07300404, 0, 0, 0x603}},
        {0xb, 0, {1, 2, 0x100, 2}},
        {0xb, 1, {4, 8, 0x201, 2}},
        {0xb, 2, {0, 0, 2, 2}},
        {0xd, 0, {0x1f, 0x440, 0x440, 0}},
        {0xd, 1, {0x1f, 0x3c0, 0x100, 0x1}},
        {0xd, 2, {0x100, 0x240, 0, 0}},
        {0xf, 0, {0, 0x3f, 0, 0x2}},
        {0x10, 0, {0, 0xa, 0, 0}},
        {0x12, 0, {0x3, 0, 0, 0x241f}},
        {0x14, 0, {1, 0xf, 0x7, 0}},
        {0x15, kAny, {2, 284, 0, 0}},
        {0x16, kAny, {4000, 4200, 100, 0}},
        {0x40000000, kAny, {0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d}},   // as if nested under KVM
        {0x80000000, kAny, {0x80000008, 0, 0, 0}},
        {0x80000001, kAny, {0, 0, 0x121 | bits::kExtEcxSvm, 0x2c100800}},
        {0x80000006, kAny, {0, 0, 0x01006040, 0}},
        {0x80000007, kAny, {0, 0, 0, 0x1ff}},
        {0x80000008, kAny, {0x3027, 0, 0, 0}},
    }};
}

// A Haswell-like host: highest basic leaf 0xd, no TSC-deadline timer in its
// leaf 1 (to show the virtual APIC's is offered anyway).
FakeHost haswell() {
    return FakeHost{{
        {0x0, kAny, {0xd, kGenu, kNtel, kIneI}},
        {0x1, kAny, {0x000306c3, 0x03100800, kSkylakeLeaf1Ecx & ~bits::kFeaturesEcxTscDeadline, kSkylakeLeaf1Edx}},
        {0x4, 0, {0x1c004121, 0x01c0003f, 0x3f, 0}},
        {0x6, kAny, {0x77, 0x2, 0x9, 0}},
        {0x7, 0, {0, 0x27ab, 0, 0x9c000400}},
        {0xb, 0, {1, 2, 0x100, 3}},
        {0xb, 1, {4, 8, 0x201, 3}},
        {0xd, 0, {0x7, 0x340, 0x340, 0}},
        {0xd, 1, {0x1, 0, 0, 0}},
        {0x80000000, kAny, {0x80000008, 0, 0, 0}},
        {0x80000001, kAny, {0, 0, 0x21, 0x2c100800}},
        {0x80000007, kAny, {0, 0, 0, 0x100}},
        {0x80000008, kAny, {0x3027, 0, 0, 0}},
    }};
}

// A newer host that reaches leaf 0x1f and has the enumeration leaves of
// features the policy hides.
FakeHost newer() {
    FakeHost h = skylake();
    h.entries[0].r.eax = 0x1f;
    h.entries.push_back({0x1a, kAny, {0x40000001, 0, 0, 0}});
    h.entries.push_back({0x1b, kAny, {0x1, 0x1, 0, 0}});
    h.entries.push_back({0x1c, kAny, {0x4000000f, 0x7, 0x7, 0}});
    h.entries.push_back({0x1f, 0, {1, 2, 0x100, 8}});
    h.entries.push_back({0x1f, 1, {7, 24, 0x201, 8}});
    h.entries.push_back({0x1f, 2, {0, 0, 2, 8}});
    return h;
}

FakeHost non_intel() {
    FakeHost h = haswell();
    h.entries[0].r = {0xd, 0x746e6543, 0x736c7561, 0x48727561};   // "CentaurHauls"
    return h;
}

constexpr uint64_t kTscHz = 2'100'000'000;

CpuidPolicyInputs inputs(uint32_t apic_id = 0, bool rdtscp = true, bool invpcid = true) {
    CpuidPolicyInputs in{};
    in.tsc_hz = kTscHz;
    in.apic_id = apic_id;
    in.rdtscp_enabled = rdtscp;
    in.invpcid_enabled = invpcid;
    return in;
}

// Runs the policy against one fake host.
struct Guest {
    FakeHost host;
    CpuidPolicy policy;
    explicit Guest(FakeHost h, const CpuidPolicyInputs& in = inputs()) : host(std::move(h)) {
        g_host = &host;
        policy = make_cpuid_policy(fake_cpuid, in);
    }
    CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0, bool osxsave = false) const {
        g_host = &host;
        return guest_cpuid<fake_cpuid>(leaf, subleaf, policy, osxsave);
    }
    CpuidResult host_cpuid(uint32_t leaf, uint32_t subleaf = 0) const {
        g_host = &host;
        return fake_cpuid(leaf, subleaf);
    }
};

bool same(const CpuidResult& a, const CpuidResult& b) {
    return a.eax == b.eax && a.ebx == b.ebx && a.ecx == b.ecx && a.edx == b.edx;
}

bool zeros(const CpuidResult& r) { return same(r, {0, 0, 0, 0}); }

}  // namespace

TEST_CASE("cpuid policy: leaf 0 reports 0x16 or more on Intel hosts, the host's maximum elsewhere") {
    const Guest sky(skylake());
    CHECK(same(sky.cpuid(0), {0x16, kGenu, kNtel, kIneI}));
    const Guest old(haswell());
    CHECK(same(old.cpuid(0), {0x16, kGenu, kNtel, kIneI}));
    CHECK(old.policy.host_max_basic == 0xd);
    const Guest recent(newer());
    CHECK(recent.cpuid(0).eax == 0x1f);
    const Guest other(non_intel());
    CHECK(same(other.cpuid(0), other.host_cpuid(0)));
    CHECK(other.cpuid(0).eax == 0xd);
}

TEST_CASE("cpuid policy: on an older host, the leaves up to 0x16 it lacks are zeros but 0x15 and 0x16 are made up") {
    const Guest old(haswell());
    for (uint32_t leaf = 0xe; leaf <= 0x14; ++leaf) {
        INFO("leaf " << leaf);
        CHECK(zeros(old.cpuid(leaf)));
        CHECK(zeros(old.cpuid(leaf, 1)));
    }
    // The host itself would have answered with its leaf 0xd.
    CHECK(same(old.host_cpuid(0x15), old.host_cpuid(0xd)));
    CHECK(same(old.cpuid(0x15), {1, crystal_ratio(kTscHz), crystal_hz(kTscHz), 0}));
    CHECK(same(old.cpuid(0x15), {1, 1, 2'100'000'000, 0}));
    CHECK(same(old.cpuid(0x16), {2100, 2100, 0, 0}));
    // The non-Intel host reports only its own leaves: 0x15 is out of range there.
    const Guest other(non_intel());
    CHECK(same(other.cpuid(0x15), other.cpuid(0xd)));
}

TEST_CASE("cpuid policy: a host limited to leaf 2 (firmware's \"limit CPUID maxval\") is not passed through above it") {
    FakeHost h = haswell();
    h.entries[0].r.eax = 2;
    const Guest limited(h);
    CHECK(limited.cpuid(0).eax == 0x16);
    // The host answers leaf 7 with its leaf 2: the guest sees zeros instead.
    for (uint32_t leaf : {0x3u, 0x4u, 0x7u, 0xdu}) {
        INFO("leaf " << leaf);
        CHECK(zeros(limited.cpuid(leaf)));
    }
    // What Bulkhead makes up is there all the same.
    CHECK(same(limited.cpuid(6), {bits::kThermalEaxArat, 0, 0, 0}));
    CHECK(same(limited.cpuid(0xb, 0), {0, 1, 0x100, 0}));
    CHECK(same(limited.cpuid(0x16), {2100, 2100, 0, 0}));
    CHECK(same(limited.cpuid(2), limited.host_cpuid(2)));
}

TEST_CASE("cpuid policy: where each answer comes from") {
    const Guest sky(skylake());
    const CpuidPolicy& p = sky.policy;
    CHECK(cpuid_source(0x0, p) == CpuidSource::HostMaxLeaf);
    CHECK(cpuid_source(0x2, p) == CpuidSource::Host);
    CHECK(cpuid_source(0x1, p) == CpuidSource::HostAdjusted);
    CHECK(cpuid_source(0x15, p) == CpuidSource::Bulkhead);
    CHECK(cpuid_source(0x40000000, p) == CpuidSource::Bulkhead);
    CHECK(cpuid_source(0x80000008, p) == CpuidSource::Host);
    CHECK(cpuid_source(0x80000001, p) == CpuidSource::HostAdjusted);
    CHECK(cpuid_answered_leaf(0x17, p) == 0x16);
    CHECK(cpuid_answered_leaf(0x4fffffff, p) == 0x4fffffff);
    CHECK(cpuid_answered_leaf(0x80000008, p) == 0x80000008);
    CHECK(cpuid_answered_leaf(0x80000009, p) == 0x16);
}

TEST_CASE("cpuid policy: a leaf above the reported maximum answers like the highest basic leaf") {
    const Guest sky(skylake());
    const CpuidResult top = sky.cpuid(0x16);
    CHECK(same(top, {2100, 2100, 0, 0}));
    for (uint32_t leaf : {0x17u, 0x1fu, 0x20u, 0x3fffffffu}) {
        INFO("leaf " << leaf);
        CHECK(same(sky.cpuid(leaf), top));
    }
    // Outside every range too: above the extended maximum, between the ranges.
    for (uint32_t leaf : {0x80000009u, 0x8fffffffu, 0x50000000u, 0x7fffffffu, 0xc0000000u, 0xffffffffu}) {
        INFO("leaf " << leaf);
        CHECK(same(sky.cpuid(leaf), top));
    }
    // The old host's highest leaf is the made-up 0x16, not its own 0xd.
    const Guest old(haswell());
    CHECK(same(old.cpuid(0x17), {2100, 2100, 0, 0}));
    CHECK(same(old.cpuid(0x80000009), {2100, 2100, 0, 0}));
    // On the newer host, the highest basic leaf is the topology leaf 0x1f,
    // which has subleaves: they follow ECX.
    const Guest recent(newer());
    CHECK(same(recent.cpuid(0x20, 1), recent.cpuid(0x1f, 1)));
    CHECK(same(recent.cpuid(0x20, 0), recent.cpuid(0x1f, 0)));
}

TEST_CASE("cpuid policy: leaf 1 describes one logical processor with the vCPU's APIC ID") {
    const Guest sky(skylake(), inputs(0));
    const CpuidResult host = sky.host_cpuid(1);
    const CpuidResult r = sky.cpuid(1);
    CHECK(r.eax == host.eax);
    CHECK(r.ebx == 0x00010800);   // APIC ID 0, 1 logical processor, CLFLUSH 8 x 8 bytes, brand 0
    const Guest three(skylake(), inputs(3));
    CHECK(three.cpuid(1).ebx == 0x03010800);
}

TEST_CASE("cpuid policy: leaf 1 ECX hides what the platform lacks and adds HYPERVISOR and TSC-deadline") {
    const Guest sky(skylake());
    const CpuidResult host = sky.host_cpuid(1);
    const uint32_t ecx = sky.cpuid(1).ecx;
    for (uint32_t bit : {bits::kFeaturesEcxVmx, bits::kFeaturesEcxSmx, bits::kFeaturesEcxEst, bits::kFeaturesEcxTm2,
                         bits::kFeaturesEcxDtes64, bits::kFeaturesEcxDsCpl, bits::kFeaturesEcxMonitor,
                         bits::kFeaturesEcxPdcm, bits::kFeaturesEcxX2apic}) {
        INFO("bit " << bit);
        CHECK((host.ecx & bit) != 0);
        CHECK((ecx & bit) == 0);
    }
    CHECK((ecx & bits::kFeaturesEcxHypervisor) != 0);
    CHECK((ecx & bits::kFeaturesEcxTscDeadline) != 0);
    CHECK((ecx & bits::kFeaturesEcxXsave) != 0);
    // Everything else is the host's: SSE3 ... AVX, RDRAND.
    const uint32_t touched = bits::kFeaturesEcxVmx | bits::kFeaturesEcxSmx | bits::kFeaturesEcxEst |
                             bits::kFeaturesEcxTm2 | bits::kFeaturesEcxDtes64 | bits::kFeaturesEcxDsCpl |
                             bits::kFeaturesEcxMonitor | bits::kFeaturesEcxPdcm | bits::kFeaturesEcxX2apic |
                             bits::kFeaturesEcxHypervisor | bits::kFeaturesEcxTscDeadline | bits::kFeaturesEcxOsxsave;
    CHECK((ecx & ~touched) == (host.ecx & ~touched));
    // A host without a TSC-deadline APIC timer: the virtual APIC has one.
    const Guest old(haswell());
    CHECK((old.host_cpuid(1).ecx & bits::kFeaturesEcxTscDeadline) == 0);
    CHECK((old.cpuid(1).ecx & bits::kFeaturesEcxTscDeadline) != 0);
}

TEST_CASE("cpuid policy: OSXSAVE mirrors the guest's CR4, whatever the host's says") {
    const Guest sky(skylake());
    CHECK((sky.host_cpuid(1).ecx & bits::kFeaturesEcxOsxsave) != 0);
    CHECK((sky.cpuid(1, 0, false).ecx & bits::kFeaturesEcxOsxsave) == 0);
    CHECK((sky.cpuid(1, 0, true).ecx & bits::kFeaturesEcxOsxsave) != 0);
    CHECK(cpuid_leaf_needs_guest_cr4(1));
    CHECK_FALSE(cpuid_leaf_needs_guest_cr4(0));
    CHECK_FALSE(cpuid_leaf_needs_guest_cr4(7));
}

TEST_CASE("cpuid policy: leaf 1 EDX hides machine checks, debug store, thermal control and HTT; keeps MTRR and PAT") {
    const Guest sky(skylake());
    const CpuidResult host = sky.host_cpuid(1);
    const uint32_t edx = sky.cpuid(1).edx;
    const uint32_t hidden = bits::kFeaturesEdxMce | bits::kFeaturesEdxMca | bits::kFeaturesEdxDs |
                            bits::kFeaturesEdxAcpi | bits::kFeaturesEdxHtt | bits::kFeaturesEdxTm |
                            bits::kFeaturesEdxPbe;
    CHECK((host.edx & hidden) == hidden);
    CHECK((edx & hidden) == 0);
    CHECK((edx & ~hidden) == (host.edx & ~hidden));
    CHECK((edx & bits::kFeaturesEdxMtrr) != 0);
    CHECK((edx & bits::kFeaturesEdxPat) != 0);
    CHECK((edx & bits::kFeaturesEdxApic) != 0);
}

TEST_CASE("cpuid policy: leaf 4 says every cache belongs to one core and one thread") {
    const Guest sky(skylake());
    const uint32_t fields = bits::kCacheEaxCoresPerPackage | bits::kCacheEaxThreadsSharing;
    for (uint32_t subleaf = 0; subleaf <= 4; ++subleaf) {
        INFO("subleaf " << subleaf);
        const CpuidResult host = sky.host_cpuid(4, subleaf);
        const CpuidResult r = sky.cpuid(4, subleaf);
        CHECK((r.eax & fields) == 0);
        CHECK((r.eax & ~fields) == (host.eax & ~fields));
        CHECK(r.ebx == host.ebx);
        CHECK(r.ecx == host.ecx);
        CHECK(r.edx == host.edx);
    }
    CHECK(sky.cpuid(4, 0).eax == 0x00000121);
    CHECK(sky.cpuid(4, 3).eax == 0x00000163);
    CHECK(zeros(sky.cpuid(4, 4)));   // the end of the list stays the end
}

TEST_CASE("cpuid policy: no MONITOR/MWAIT leaf, and only ARAT in the thermal and power leaf") {
    const Guest sky(skylake());
    CHECK(zeros(sky.cpuid(5)));
    CHECK(same(sky.cpuid(6), {bits::kThermalEaxArat, 0, 0, 0}));
    const Guest old(haswell());
    CHECK(same(old.cpuid(6), {bits::kThermalEaxArat, 0, 0, 0}));
}

TEST_CASE("cpuid policy: leaf 7 subleaf 0 hides the features whose MSRs or resources are not the partition's") {
    const Guest sky(skylake());
    const CpuidResult r = sky.cpuid(7, 0);
    CHECK(r.eax == 2);   // the highest subleaf stays the host's
    const uint32_t ebx_hidden = bits::kStructuredEbxSgx | bits::kStructuredEbxRdtMonitoring |
                                bits::kStructuredEbxRdtAllocation | bits::kStructuredEbxProcessorTrace;
    CHECK(r.ebx == ((kLeaf7Ebx & ~ebx_hidden) | bits::kStructuredEbxTscAdjust));
    CHECK((r.ebx & bits::kStructuredEbxInvpcid) != 0);
    const uint32_t ecx_hidden = bits::kStructuredEcxWaitpkg | bits::kStructuredEcxSgxLaunchControl |
                                bits::kStructuredEcxPks | bits::kStructuredEcxCetShadowStack;
    CHECK(r.ecx == (kLeaf7Ecx & ~ecx_hidden));
    CHECK((r.ecx & bits::kStructuredEcxRdpid) != 0);
    const uint32_t edx_hidden =
        bits::kStructuredEdxHybrid | bits::kStructuredEdxPconfig | bits::kStructuredEdxIbrsIbpb |
        bits::kStructuredEdxStibp | bits::kStructuredEdxL1dFlush | bits::kStructuredEdxArchCapabilities |
        bits::kStructuredEdxCoreCapabilities | bits::kStructuredEdxSsbd | bits::kStructuredEdxSrbdsCtrl |
        bits::kStructuredEdxTsxForceAbort | bits::kStructuredEdxCetIbt | bits::kStructuredEdxArchLbr;
    CHECK(r.edx == (kLeaf7Edx & ~edx_hidden));
    // The spelled-out bits, against the SDM.
    CHECK((r.ebx & ((1u << 2) | (1u << 12) | (1u << 15) | (1u << 25))) == 0);
    CHECK((r.ebx & (1u << 1)) != 0);   // TSC_ADJUST, emulated
    CHECK((r.ecx & ((1u << 5) | (1u << 30) | (1u << 31))) == 0);
    CHECK((r.edx & ((1u << 15) | (1u << 18) | (0x3fu << 26))) == 0);
}

TEST_CASE("cpuid policy: INVPCID, RDTSCP and RDPID only when their VMX controls are on") {
    const Guest off(skylake(), inputs(0, false, false));
    CHECK((off.cpuid(7, 0).ebx & bits::kStructuredEbxInvpcid) == 0);
    CHECK((off.cpuid(7, 0).ecx & bits::kStructuredEcxRdpid) == 0);
    CHECK((off.cpuid(0x80000001).edx & bits::kExtEdxRdtscp) == 0);
    const Guest on(skylake(), inputs(0, true, true));
    CHECK((on.cpuid(7, 0).ebx & bits::kStructuredEbxInvpcid) != 0);
    CHECK((on.cpuid(7, 0).ecx & bits::kStructuredEcxRdpid) != 0);
    CHECK((on.cpuid(0x80000001).edx & bits::kExtEdxRdtscp) != 0);
    const Guest rdtscp_only(skylake(), inputs(0, true, false));
    CHECK((rdtscp_only.cpuid(7, 0).ebx & bits::kStructuredEbxInvpcid) == 0);
    CHECK((rdtscp_only.cpuid(0x80000001).edx & bits::kExtEdxRdtscp) != 0);
}

TEST_CASE("cpuid policy: leaf 7's other subleaves pass through, less subleaf 2's MSR controls") {
    const Guest sky(skylake());
    CHECK(same(sky.cpuid(7, 1), sky.host_cpuid(7, 1)));
    const CpuidResult r2 = sky.cpuid(7, 2);
    CHECK(r2.edx == 0x20);   // only MCDT_NO (bit 5) of the host's 0x7f
    CHECK(zeros(sky.cpuid(7, 3)));   // beyond the highest subleaf, as the host
}

TEST_CASE("cpuid policy: no architectural PMU, and no leaves for hidden features") {
    const Guest recent(newer());
    CHECK(!zeros(recent.host_cpuid(0xa)));
    CHECK(zeros(recent.cpuid(0xa)));
    for (uint32_t leaf : {0xfu, 0x10u, 0x12u, 0x14u, 0x1au, 0x1bu, 0x1cu}) {
        INFO("leaf " << leaf);
        CHECK(!zeros(recent.host_cpuid(leaf)));
        CHECK(zeros(recent.cpuid(leaf, 0)));
        CHECK(zeros(recent.cpuid(leaf, 1)));
    }
}

TEST_CASE("cpuid policy: leaf 0xb is a topology of one logical processor") {
    const Guest sky(skylake(), inputs(5));
    CHECK(same(sky.cpuid(0xb, 0), {0, 1, 0x100, 5}));
    CHECK(same(sky.cpuid(0xb, 1), {0, 1, 0x201, 5}));
    CHECK(same(sky.cpuid(0xb, 2), {0, 0, 2, 5}));
    CHECK(same(sky.cpuid(0xb, 7), {0, 0, 7, 5}));
    CHECK(same(sky.cpuid(0xb, 0x12c), {0, 0, 0x2c, 5}));   // ECX[7:0] is the level number
    const Guest zero(skylake(), inputs(0));
    CHECK(same(zero.cpuid(0xb, 0), {0, 1, 0x100, 0}));
    // Haswell has leaf 0xb too.
    const Guest old(haswell());
    CHECK(same(old.cpuid(0xb, 1), {0, 1, 0x201, 0}));
}

TEST_CASE("cpuid policy: leaf 0x1f is the same topology where the host has it") {
    const Guest recent(newer(), inputs(2));
    CHECK(same(recent.cpuid(0x1f, 0), {0, 1, 0x100, 2}));
    CHECK(same(recent.cpuid(0x1f, 1), {0, 1, 0x201, 2}));
    CHECK(same(recent.cpuid(0x1f, 2), {0, 0, 2, 2}));
    // Skylake stops at 0x16: 0x1f is out of range there.
    const Guest sky(skylake());
    CHECK(same(sky.cpuid(0x1f, 0), sky.cpuid(0x16)));
}

TEST_CASE("cpuid policy: leaf 0xd passes the XCR0 bits through and hides XSAVES and supervisor state") {
    const Guest sky(skylake());
    CHECK(same(sky.cpuid(0xd, 0), sky.host_cpuid(0xd, 0)));
    const CpuidResult host = sky.host_cpuid(0xd, 1);
    const CpuidResult r = sky.cpuid(0xd, 1);
    CHECK((host.eax & bits::kXsaveEaxXsaves) != 0);
    CHECK(r.eax == (host.eax & ~(bits::kXsaveEaxXsaves | bits::kXsaveEaxXfd)));
    CHECK(r.eax == 0x7);   // XSAVEOPT, XSAVEC, XGETBV with ECX = 1
    CHECK(r.ebx == host.ebx);
    CHECK(r.ecx == 0);
    CHECK(r.edx == 0);
    CHECK(same(sky.cpuid(0xd, 2), sky.host_cpuid(0xd, 2)));
}

TEST_CASE("cpuid policy: leaves 0x15 and 0x16 state the measured TSC rate") {
    const Guest sky(skylake());
    CHECK(same(sky.cpuid(0x15), {1, 1, 2'100'000'000, 0}));
    CHECK(same(sky.cpuid(0x16), {2100, 2100, 0, 0}));
    // Above 4.29 GHz the crystal is described with a ratio.
    CpuidPolicyInputs fast = inputs();
    fast.tsc_hz = 5'000'000'000;
    const Guest quick(skylake(), fast);
    CHECK(same(quick.cpuid(0x15), {1, 2, 2'500'000'000, 0}));
    CHECK(same(quick.cpuid(0x16), {5000, 5000, 0, 0}));
    // Bochs' 4 MHz TSC, and MHz rounded to the nearest.
    CpuidPolicyInputs bochs = inputs();
    bochs.tsc_hz = 4'000'000;
    CHECK(same(Guest(skylake(), bochs).cpuid(0x16), {4, 4, 0, 0}));
    CpuidPolicyInputs odd = inputs();
    odd.tsc_hz = 2'099'600'000;
    CHECK(Guest(skylake(), odd).cpuid(0x16).eax == 2100);
    odd.tsc_hz = 2'099'400'000;
    CHECK(Guest(skylake(), odd).cpuid(0x16).eax == 2099);
    // Linux's arithmetic: crystal kHz * EBX / EAX is the TSC in kHz.
    const CpuidResult c = sky.cpuid(0x15);
    CHECK(uint64_t{c.ecx / 1000} * c.ebx / c.eax == kTscHz / 1000);
}

TEST_CASE("cpuid policy: the hypervisor leaves are Bulkhead's, not the host's") {
    const Guest sky(skylake());
    CHECK(same(sky.cpuid(BH_CPUID_LEAF_SIGNATURE),
               {BH_CPUID_LEAF_TIMING, BH_CPUID_SIGNATURE_EBX, BH_CPUID_SIGNATURE_ECX, BH_CPUID_SIGNATURE_EDX}));
    CHECK(same(sky.cpuid(BH_CPUID_LEAF_ABI), {BH_ABI_VERSION, 0, 0, 0}));
    CHECK(same(sky.cpuid(BH_CPUID_LEAF_TIMING), {static_cast<uint32_t>(kTscHz / 1000), 0, 0, 0}));
    for (uint32_t leaf : {0x40000002u, 0x4000000fu, 0x40000011u, 0x4fffffffu}) {
        INFO("leaf " << leaf);
        CHECK(zeros(sky.cpuid(leaf)));
    }
}

TEST_CASE("cpuid policy: extended leaves: no SVM, only the invariant TSC in 0x80000007, the rest passes") {
    const Guest sky(skylake());
    CHECK(same(sky.cpuid(0x80000000), sky.host_cpuid(0x80000000)));
    const CpuidResult host = sky.host_cpuid(0x80000001);
    const CpuidResult r = sky.cpuid(0x80000001);
    CHECK(r.ecx == (host.ecx & ~bits::kExtEcxSvm));
    CHECK(r.edx == host.edx);
    CHECK((r.edx & (bits::kExtEdxNx | bits::kExtEdxPage1G)) == (bits::kExtEdxNx | bits::kExtEdxPage1G));
    CHECK(same(sky.cpuid(0x80000007), {0, 0, 0, bits::kPowerEdxInvariantTsc}));
    CHECK(same(sky.cpuid(0x80000006), sky.host_cpuid(0x80000006)));
    CHECK(same(sky.cpuid(0x80000008), sky.host_cpuid(0x80000008)));
    // A host without the invariant TSC does not get one.
    FakeHost h = haswell();
    for (Entry& e : h.entries)
        if (e.leaf == 0x80000007) e.r.edx = 0;
    CHECK(zeros(Guest(h).cpuid(0x80000007)));
}

TEST_CASE("cpuid policy: leaves with nothing to change pass through") {
    const Guest sky(skylake());
    CHECK(same(sky.cpuid(2), sky.host_cpuid(2)));
    CHECK(same(sky.cpuid(8), sky.host_cpuid(8)));
    const Guest old(haswell());
    CHECK(same(old.cpuid(0xd, 0), old.host_cpuid(0xd, 0)));
    // Haswell's leaf 7 loses only its speculation-control bits; it keeps
    // TSC_ADJUST (emulated, shown on every host).
    CHECK(same(old.cpuid(7, 0), {0, 0x27ab | bits::kStructuredEbxTscAdjust, 0, 0x00000400}));
}

TEST_CASE("cpuid policy: the compacted XSAVE size is summed from the components XCR0 enables") {
    // The Bochs Skylake-X components: AVX 256 bytes, opmask 64, ZMM_Hi256
    // 512, Hi16_ZMM 1024 (the AVX-512 ones 64-byte aligned), PKRU 8.
    FakeHost h = skylake();
    h.entries.push_back({0xd, 2, {0x100, 0x240, 0, 0}});
    h.entries.push_back({0xd, 5, {0x40, 0x440, bits::kXsaveComponentAligned, 0}});
    h.entries.push_back({0xd, 6, {0x200, 0x480, bits::kXsaveComponentAligned, 0}});
    h.entries.push_back({0xd, 7, {0x400, 0x680, bits::kXsaveComponentAligned, 0}});
    h.entries.push_back({0xd, 9, {0x8, 0xa80, 0, 0}});
    const Guest g(h);
    // x87 and SSE only: the legacy area and the header.
    CHECK(xsave_compacted_size(g.policy, 0x3) == 576);
    // + AVX: 832.
    CHECK(xsave_compacted_size(g.policy, 0x7) == 832);
    // + AVX-512 (0xe7): 832 -> 896 (opmask, aligned at 832) -> 1408 -> 2432,
    // what Linux computes, where the standard format needs 2688.
    CHECK(xsave_compacted_size(g.policy, 0xe7) == 2432);
    // + PKRU, unaligned, right after: 2440.
    CHECK(xsave_compacted_size(g.policy, 0x2e7) == 2440);
    // Only enabled components count: AVX, opmask, PKRU = 832 + 64 + 8.
    CHECK(xsave_compacted_size(g.policy, 0x227) == 904);
    // An aligned component after an unaligned one starts at the next 64
    // bytes: PKRU at 832 (8 bytes), then a 64-byte aligned 16-byte one at 896.
    h.entries.push_back({0xd, 10, {0x10, 0, bits::kXsaveComponentAligned, 0}});
    const Guest g2(h);
    CHECK(xsave_compacted_size(g2.policy, 0x607) == 896 + 16);
}
