// The CPUID a partition sees: which of the host CPU's leaves and bits pass
// through, which are hidden, and which Bulkhead makes up itself.
//
// A partition is one vCPU on a minimal platform: a virtual xAPIC (no x2APIC)
// whose timer runs on the TSC, no PMU, no machine-check banks, no MWAIT, no
// thermal or power MSRs. A guest OS, Linux above all, decides from CPUID
// which MSRs it touches and whether it calibrates its clocks; so the guest
// sees exactly what it can use, and learns both clock rates from CPUID
// (leaves 0x15/0x16) instead of timing them against a PIT it does not have.
//
// Pure code: no VMCS access and no hardware. The host's CPUID comes in as a
// function (x86::cpuid in the hypervisor, a table in the tests:
// tests/unit/test_cpuid_policy.cpp), and so does the one piece of guest state
// a leaf reflects (CR4.OSXSAVE). vmm/exit_cpuid.cpp is the caller.
//
// This header routes a leaf to where its answer comes from (cpuid_source):
// the host as it is, the host adjusted, or Bulkhead. It is inline because it
// is the exit path: a leaf that passes through costs a table lookup, a
// switch and one host CPUID. Which basic leaf comes from where, and the
// rules for the leaves Bulkhead adjusts or makes up, are in
// vmm/cpuid_policy.cpp, each with the reason for it.
#pragma once

#include <stdint.h>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"

namespace bulkhead {

// CPUID on the host: EAX = leaf, ECX = subleaf.
using HostCpuid = x86::CpuidResult (*)(uint32_t leaf, uint32_t subleaf);

// What the policy depends on besides the host CPU, all fixed for a run.
struct CpuidPolicyInputs {
    uint64_t tsc_hz;         // the measured TSC frequency (kernel/tsc.hpp)
    uint32_t apic_id;        // the vCPU's APIC ID
    // The secondary VMX controls in effect: without them RDTSCP and RDPID,
    // or INVPCID, raise #UD in the guest, so CPUID must not offer them.
    // (XSAVES is hidden whatever its control says: IA32_XSS is not switched
    // per partition.)
    bool rdtscp_enabled;
    bool invpcid_enabled;
};

enum class CpuidSource : uint8_t {
    Host,             // the host's answer, as it is
    HostMaxLeaf,      // leaf 0: the host's vendor, with the highest basic leaf Bulkhead reports
    HostAdjusted,     // the host's answer less what the partition may not use (cpuid_adjust_host_leaf)
    Bulkhead,         // made up, the host is not asked (cpuid_bulkhead_leaf)
};

// Basic leaves 0..0x1f have their source looked up in a table; above them
// every basic leaf is the host's.
inline constexpr uint32_t kCpuidSourceTableLeaves = 0x20;

// The inputs plus what the policy derives once from the host's leaves 0 and
// 0x80000000, so that the exit path is a table lookup, a switch and at most
// one host CPUID.
// XSAVE state components 2..kXsaveComponents-1 (user components: AVX,
// AVX-512, PKRU, AMX ...), as leaf 0xd describes them.
inline constexpr unsigned kXsaveComponents = 32;
struct XsaveComponent {
    uint32_t size;
    bool aligned;   // 64-byte aligned in the compacted format
};

struct CpuidPolicy {
    CpuidPolicyInputs in;
    uint32_t host_max_basic;      // the host's highest basic leaf
    uint32_t max_basic;           // the highest basic leaf the guest is told about (leaf 0's EAX)
    uint32_t host_max_extended;   // the host's highest extended leaf
    CpuidSource basic_source[kCpuidSourceTableLeaves];   // where basic leaf n's answer comes from
    XsaveComponent xsave[kXsaveComponents];
};

CpuidPolicy make_cpuid_policy(HostCpuid host, const CpuidPolicyInputs& inputs);

// Leaf 0xd subleaf 1 EBX: the size of an XSAVEC (compacted) area for the
// components enabled in `xcr0` (no supervisor components: XSAVES is hidden).
// Computed from the component sizes rather than passed through because an
// emulator (Bochs 2.7) reports the standard format's size there, and Linux
// then turns XSAVE off ("XSAVE consistency problem"); on hardware the two
// agree.
uint32_t xsave_compacted_size(const CpuidPolicy& policy, uint64_t xcr0);

// The leaf whose data CPUID returns for `leaf`. A leaf in no range (above the
// highest basic leaf, above the highest extended one, between the ranges)
// returns the highest basic leaf's data on Intel CPUs: so it does in the
// guest, with that leaf as the guest sees it. 0x40000000-0x4fffffff are
// Bulkhead's (include/bulkhead/hypercall.h).
constexpr uint32_t cpuid_answered_leaf(uint32_t leaf, const CpuidPolicy& p) {
    namespace bits = x86::cpuid_bits;
    if (leaf <= p.max_basic) return leaf;
    if (leaf >= bits::kLeafHypervisorFirst && leaf <= bits::kLeafHypervisorLast) return leaf;
    if (leaf >= bits::kLeafExtendedMax && leaf <= p.host_max_extended) return leaf;
    return p.max_basic;
}

// Where the answer to an answered leaf (cpuid_answered_leaf) comes from:
// basic leaves from the table make_cpuid_policy fills in, the hypervisor
// leaves from Bulkhead, extended leaves from the host (two of them adjusted).
constexpr CpuidSource cpuid_source(uint32_t leaf, const CpuidPolicy& p) {
    namespace bits = x86::cpuid_bits;
    if (leaf < kCpuidSourceTableLeaves) return p.basic_source[leaf];
    if (leaf < bits::kLeafHypervisorFirst) return CpuidSource::Host;
    if (leaf <= bits::kLeafHypervisorLast) return CpuidSource::Bulkhead;
    if (leaf == bits::kLeafExtendedFeatures || leaf == bits::kLeafPowerManagement) return CpuidSource::HostAdjusted;
    return CpuidSource::Host;
}

// The rules (vmm/cpuid_policy.cpp): a host answer adjusted, and the leaves
// Bulkhead makes up. `guest_osxsave` is the guest's CR4.OSXSAVE.
x86::CpuidResult cpuid_adjust_host_leaf(uint32_t leaf, uint32_t subleaf, x86::CpuidResult host, const CpuidPolicy& p,
                                        bool guest_osxsave);
x86::CpuidResult cpuid_bulkhead_leaf(uint32_t leaf, uint32_t subleaf, const CpuidPolicy& p);

// What CPUID with EAX = `leaf`, ECX = `subleaf` returns in the guest, the
// host's CPUID being `Host`. Only leaf 1 looks at `guest_osxsave`
// (cpuid_leaf_needs_guest_cr4), so a caller may pass false for the others.
// Always inlined: the host CPUID then is the instruction itself, and the
// result stays in registers.
template <HostCpuid Host>
[[gnu::always_inline]] inline x86::CpuidResult guest_cpuid(uint32_t leaf, uint32_t subleaf, const CpuidPolicy& p,
                                                           bool guest_osxsave) {
    leaf = cpuid_answered_leaf(leaf, p);
    switch (cpuid_source(leaf, p)) {
        case CpuidSource::Host: break;
        case CpuidSource::HostMaxLeaf: {
            x86::CpuidResult r = Host(leaf, subleaf);
            r.eax = p.max_basic;
            return r;
        }
        case CpuidSource::HostAdjusted:
            return cpuid_adjust_host_leaf(leaf, subleaf, Host(leaf, subleaf), p, guest_osxsave);
        case CpuidSource::Bulkhead: return cpuid_bulkhead_leaf(leaf, subleaf, p);
    }
    return Host(leaf, subleaf);
}

// Whether guest_cpuid looks at `guest_osxsave` for this leaf: the caller then
// reads the guest's CR4 for that leaf only. (An out-of-range leaf answers like
// the highest basic leaf, which is never leaf 1 on a CPU with VT-x.)
constexpr bool cpuid_leaf_needs_guest_cr4(uint32_t leaf) { return leaf == x86::cpuid_bits::kLeafFeatures; }

}  // namespace bulkhead
