// The CPUID a partition sees (vmm/cpuid_policy.hpp). Each rule says why; the
// leaf and bit numbers are in arch/x86_64/cpuid_bits.hpp.
#include "vmm/cpuid_policy.hpp"

#include "arch/x86_64/cpuid_bits.hpp"
#include "include/bulkhead/hypercall.h"
#include "vmm/guest_timing.hpp"

namespace bulkhead {

namespace {

namespace bits = x86::cpuid_bits;
using x86::CpuidResult;

static_assert(BH_CPUID_LEAF_SIGNATURE == bits::kLeafHypervisorFirst,
              "Bulkhead's leaves start where the range reserved for hypervisors does");

constexpr CpuidResult kZeros{0, 0, 0, 0};
constexpr uint32_t kLogicalProcessors = 1;   // one vCPU per partition
constexpr uint32_t kApicIdShiftNone = 0;     // topology: no APIC ID bits below the next level
constexpr uint32_t kCrystalDenominator = 1;  // leaf 0x15 EAX: TSC = crystal * ratio / 1
constexpr uint64_t kHzPerKhz = 1'000;
constexpr uint64_t kHzPerMhz = 1'000'000;

// Leaf 1 ECX, hidden:
// - VMX: nested virtualization is not offered (VMXON and CR4.VMXE are refused);
// - SMX: GETSEC and TXT belong to the host's platform;
// - EST, TM2: the performance-state and thermal MSRs are refused;
// - DTES64, DS-CPL, PDCM: the debug store and IA32_PERF_CAPABILITIES are part
//   of the PMU, which the platform does not have;
// - MONITOR: MONITOR/MWAIT are not offered; an idle guest uses HLT;
// - x2APIC: the virtual APIC is an xAPIC only (MMIO, no x2APIC MSRs).
constexpr uint32_t kFeaturesEcxHidden = bits::kFeaturesEcxVmx | bits::kFeaturesEcxSmx | bits::kFeaturesEcxEst |
                                        bits::kFeaturesEcxTm2 | bits::kFeaturesEcxDtes64 | bits::kFeaturesEcxDsCpl |
                                        bits::kFeaturesEcxPdcm | bits::kFeaturesEcxMonitor |
                                        bits::kFeaturesEcxX2apic;
// Leaf 1 ECX, always set: HYPERVISOR (a guest may look for leaf 0x40000000),
// and TSC-deadline, which the virtual APIC implements on the TSC whatever the
// host's own APIC has.
constexpr uint32_t kFeaturesEcxAdded = bits::kFeaturesEcxHypervisor | bits::kFeaturesEcxTscDeadline;
// Leaf 1 EDX, hidden:
// - MCE, MCA: there are no machine-check banks (IA32_MCG_* is refused);
// - DS: the debug store is part of the absent PMU;
// - ACPI, TM, PBE: thermal monitoring and clock modulation MSRs are refused;
// - HTT: one logical processor (EBX[23:16] = 1).
// MTRR and PAT stay: the hypervisor emulates IA32_MTRRCAP (no variable
// ranges) and IA32_MTRR_DEF_TYPE (write-back), and PAT lives in the VMCS.
constexpr uint32_t kFeaturesEdxHidden = bits::kFeaturesEdxMce | bits::kFeaturesEdxMca | bits::kFeaturesEdxDs |
                                        bits::kFeaturesEdxAcpi | bits::kFeaturesEdxHtt | bits::kFeaturesEdxTm |
                                        bits::kFeaturesEdxPbe;

// Leaf 7 subleaf 0 EBX, hidden: SGX, RDT monitoring and allocation
// (IA32_PQR_ASSOC, IA32_QM_*) and Intel PT (IA32_RTIT_*) are host resources
// that are not switched per partition. INVPCID is hidden separately when its
// VMX control is off (vmx_controls).
constexpr uint32_t kStructuredEbxHidden = bits::kStructuredEbxSgx | bits::kStructuredEbxRdtMonitoring |
                                          bits::kStructuredEbxRdtAllocation | bits::kStructuredEbxProcessorTrace;
// Leaf 7 subleaf 0 EBX, always shown: IA32_TSC_ADJUST, emulated (it reads 0:
// the TSC is the host's, never moved; vmm/exit_msr.cpp). With an invariant
// TSC it is what tells Linux the TSC needs no clocksource watchdog - whose
// only reference on this platform would be jiffies, which lose ticks while
// the guest prints to its serial console with interrupts off.
constexpr uint32_t kStructuredEbxShown = bits::kStructuredEbxTscAdjust;
// Leaf 7 subleaf 0 ECX, hidden: WAITPKG (UMWAIT would need its VMX control and
// IA32_UMWAIT_CONTROL), CET shadow stacks (IA32_S_CET/U_CET/PL*_SSP are not
// switched), SGX launch control, PKS (IA32_PKRS is not switched). RDPID is
// hidden separately: it raises #UD unless "enable RDTSCP" is on.
constexpr uint32_t kStructuredEcxHidden = bits::kStructuredEcxWaitpkg | bits::kStructuredEcxCetShadowStack |
                                          bits::kStructuredEcxSgxLaunchControl | bits::kStructuredEcxPks;
// Leaf 7 subleaf 0 EDX, hidden: every bit that announces an MSR the partition
// does not get, because it is not switched per partition or not emulated:
// IA32_SPEC_CTRL/IA32_PRED_CMD (IBRS/IBPB, STIBP, SSBD), IA32_FLUSH_CMD,
// IA32_ARCH_CAPABILITIES, IA32_CORE_CAPABILITIES, IA32_MCU_OPT_CTRL (SRBDS),
// MSR_TSX_FORCE_ABORT (Linux writes it when RTM_ALWAYS_ABORT is also set),
// IA32_S_CET (CET-IBT), the architectural LBR MSRs (part of the absent PMU),
// PCONFIG, and the hybrid flag (leaf 0x1a is not offered).
constexpr uint32_t kStructuredEdxHidden =
    bits::kStructuredEdxHybrid | bits::kStructuredEdxPconfig | bits::kStructuredEdxIbrsIbpb |
    bits::kStructuredEdxStibp | bits::kStructuredEdxL1dFlush | bits::kStructuredEdxArchCapabilities |
    bits::kStructuredEdxCoreCapabilities | bits::kStructuredEdxSsbd | bits::kStructuredEdxSrbdsCtrl |
    bits::kStructuredEdxTsxForceAbort | bits::kStructuredEdxCetIbt | bits::kStructuredEdxArchLbr;
// Leaf 7 subleaf 2 EDX, hidden: the same reason, for the newer controls in
// IA32_SPEC_CTRL (PSFD, IPRED, RRSBA, BHI: Linux sets BHI_DIS_S when it sees
// BHI_CTRL), IA32_UARCH_MISC_CTL (DDPD_U) and IA32_MEMORY_CTRL (UC-lock).
constexpr uint32_t kSpeculationEdxHidden = bits::kSpeculationEdxPsfd | bits::kSpeculationEdxIpredCtrl |
                                           bits::kSpeculationEdxRrsbaCtrl | bits::kSpeculationEdxDdpdU |
                                           bits::kSpeculationEdxBhiCtrl | bits::kSpeculationEdxUcLockDisable;

// Leaf 0xd subleaf 1 EAX, hidden: XSAVES (its supervisor state components
// live in IA32_XSS, which is not switched per partition; a guest without it
// uses XSAVEOPT/XSAVEC) and XFD (IA32_XFD is not switched either; Linux then
// leaves AMX's dynamic state off).
constexpr uint32_t kXsaveEaxHidden = bits::kXsaveEaxXsaves | bits::kXsaveEaxXfd;

bool is_intel(const CpuidResult& vendor) {
    return vendor.ebx == bits::kVendorIntelEbx && vendor.edx == bits::kVendorIntelEdx &&
           vendor.ecx == bits::kVendorIntelEcx;
}

// Leaf 1: the vCPU is one logical processor with its own APIC ID (brand index
// and CLFLUSH line size stay the host's). OSXSAVE is not the hypervisor's to
// decide: it mirrors the guest's own CR4.
CpuidResult features_leaf(CpuidResult r, const CpuidPolicy& p, bool guest_osxsave) {
    r.ebx = (r.ebx & bits::kFeaturesEbxBrandAndClflush) |
            ((kLogicalProcessors & bits::kFeaturesEbxFieldMask) << bits::kFeaturesEbxLogicalCountShift) |
            ((p.in.apic_id & bits::kFeaturesEbxFieldMask) << bits::kFeaturesEbxApicIdShift);
    r.ecx = (r.ecx & ~kFeaturesEcxHidden) | kFeaturesEcxAdded;
    r.ecx = guest_osxsave ? (r.ecx | bits::kFeaturesEcxOsxsave) : (r.ecx & ~bits::kFeaturesEcxOsxsave);
    r.edx &= ~kFeaturesEdxHidden;
    return r;
}

// Leaf 7. Subleaf 0's EAX (the highest subleaf) stays the host's: subleaf 1
// (AVX-VNNI, BF16, PPIN, ...) passes through as it is, subleaf 2 loses its
// MSR controls, and the host answers zeros beyond the highest.
CpuidResult structured_leaf(CpuidResult r, uint32_t subleaf, const CpuidPolicy& p) {
    if (subleaf == bits::kStructuredSubleafMain) {
        r.ebx = (r.ebx & ~kStructuredEbxHidden) | kStructuredEbxShown;
        if (!p.in.invpcid_enabled) r.ebx &= ~bits::kStructuredEbxInvpcid;
        r.ecx &= ~kStructuredEcxHidden;
        if (!p.in.rdtscp_enabled) r.ecx &= ~bits::kStructuredEcxRdpid;
        r.edx &= ~kStructuredEdxHidden;
    } else if (subleaf == bits::kStructuredSubleafSpeculation) {
        r.edx &= ~kSpeculationEdxHidden;
    }
    return r;
}

// Leaves 0xb and 0x1f: one logical processor, which is one core: an SMT
// level and a core level of one each, no APIC ID bits for either, then the
// invalid level that ends the enumeration. EDX is the APIC ID in every subleaf.
CpuidResult topology_leaf(uint32_t subleaf, uint32_t apic_id) {
    const uint32_t level = subleaf & bits::kTopologyEcxLevelMask;
    switch (subleaf) {
        case bits::kTopologySubleafSmt:
            return {kApicIdShiftNone, kLogicalProcessors,
                    level | (bits::kTopologyTypeSmt << bits::kTopologyEcxTypeShift), apic_id};
        case bits::kTopologySubleafCore:
            return {kApicIdShiftNone, kLogicalProcessors,
                    level | (bits::kTopologyTypeCore << bits::kTopologyEcxTypeShift), apic_id};
        default: return {0, 0, level, apic_id};
    }
}

// Leaf 0x15: the measured TSC rate as crystal Hz times a ratio
// (vmm/guest_timing.hpp); the virtual APIC timer runs on that crystal.
CpuidResult crystal_leaf(uint64_t tsc_hz) {
    return {kCrystalDenominator, crystal_ratio(tsc_hz), crystal_hz(tsc_hz), 0};
}

// Leaf 0x16: base = max = the TSC rate in MHz (the TSC is what the guest's
// clocks run on), bus frequency not stated. Linux takes its CPU frequency
// from here instead of timing a loop against the PIT.
CpuidResult frequency_leaf(uint64_t tsc_hz) {
    uint64_t mhz = (tsc_hz + kHzPerMhz / 2) / kHzPerMhz;
    if (mhz > bits::kFrequencyMhzMask) mhz = bits::kFrequencyMhzMask;
    const auto field = static_cast<uint32_t>(mhz);
    return {field, field, 0, 0};
}

// 0x40000000: the highest hypervisor leaf and the "BulkheadHV" signature;
// 0x40000001: the hypercall ABI version; 0x40000010: the TSC in kHz.
CpuidResult hypervisor_leaf(uint32_t leaf, uint64_t tsc_hz) {
    switch (leaf) {
        case BH_CPUID_LEAF_SIGNATURE:
            return {BH_CPUID_LEAF_TIMING, BH_CPUID_SIGNATURE_EBX, BH_CPUID_SIGNATURE_ECX, BH_CPUID_SIGNATURE_EDX};
        case BH_CPUID_LEAF_ABI: return {BH_ABI_VERSION, 0, 0, 0};
        case BH_CPUID_LEAF_TIMING: return {static_cast<uint32_t>(tsc_hz / kHzPerKhz), 0, 0, 0};
        default: return kZeros;
    }
}

// Where a basic leaf's answer comes from, on a host that has the leaf.
CpuidSource basic_leaf_source(uint32_t leaf) {
    switch (leaf) {
        case bits::kLeafVendor: return CpuidSource::HostMaxLeaf;
        // The host's, less what the partition may not use (cpuid_adjust_host_leaf).
        case bits::kLeafFeatures:
        case bits::kLeafCacheParameters:
        case bits::kLeafStructuredFeatures:
        case bits::kLeafXsave: return CpuidSource::HostAdjusted;
        // Bulkhead's own (cpuid_bulkhead_leaf): what the platform does not
        // have, its topology and its clocks.
        case bits::kLeafMonitor:
        case bits::kLeafThermalPower:
        case bits::kLeafPerfMonitoring:
        case bits::kLeafTopology:
        case bits::kLeafRdtMonitoring:
        case bits::kLeafRdtAllocation:
        case bits::kLeafSgx:
        case bits::kLeafProcessorTrace:
        case bits::kLeafTscCrystal:
        case bits::kLeafProcessorFrequency:
        case bits::kLeafHybrid:
        case bits::kLeafPconfig:
        case bits::kLeafArchLbr:
        case bits::kLeafTopologyV2: return CpuidSource::Bulkhead;
        // Everything else as the host has it: cache and TLB descriptors (2),
        // Key Locker (0x19), AMX tiles (0x1d, 0x1e), ...
        default: return CpuidSource::Host;
    }
}

}  // namespace

CpuidPolicy make_cpuid_policy(HostCpuid host, const CpuidPolicyInputs& inputs) {
    const CpuidResult vendor = host(bits::kLeafVendor, 0);
    CpuidPolicy p{inputs, vendor.eax, vendor.eax, host(bits::kLeafExtendedMax, 0).eax, {}, {}};
    // Leaves 0x15 and 0x16 tell the guest its clocks (crystal_leaf,
    // frequency_leaf): on an Intel CPU (Linux reads them only there) they
    // exist even where the host stops earlier.
    if (is_intel(vendor) && p.max_basic < bits::kLeafProcessorFrequency)
        p.max_basic = bits::kLeafProcessorFrequency;
    // A basic leaf the host does not have, below the maximum Bulkhead reports
    // (0xe-0x14 on a host that stops at 0xd), is Bulkhead's: zeros unless
    // Bulkhead makes it up anyway. Never pass it to the host, which would
    // answer with its own highest leaf.
    for (uint32_t leaf = 0; leaf < kCpuidSourceTableLeaves; ++leaf)
        p.basic_source[leaf] = leaf <= p.host_max_basic ? basic_leaf_source(leaf) : CpuidSource::Bulkhead;
    if (p.host_max_basic >= bits::kLeafXsave) {
        for (unsigned c = bits::kXsaveFirstExtendedComponent; c < kXsaveComponents; ++c) {
            const CpuidResult r = host(bits::kLeafXsave, c);
            p.xsave[c] = {r.eax, (r.ecx & bits::kXsaveComponentAligned) != 0};
        }
    }
    return p;
}

uint32_t xsave_compacted_size(const CpuidPolicy& p, uint64_t xcr0) {
    uint32_t size = bits::kXsaveLegacyAndHeaderBytes;
    for (unsigned c = bits::kXsaveFirstExtendedComponent; c < kXsaveComponents; ++c) {
        if ((xcr0 & (uint64_t{1} << c)) == 0) continue;
        if (p.xsave[c].aligned)
            size = (size + bits::kXsaveCompactedAlignment - 1) & ~(bits::kXsaveCompactedAlignment - 1);
        size += p.xsave[c].size;
    }
    return size;
}

CpuidResult cpuid_adjust_host_leaf(uint32_t leaf, uint32_t subleaf, CpuidResult r, const CpuidPolicy& p,
                                   bool guest_osxsave) {
    switch (leaf) {
        case bits::kLeafFeatures: return features_leaf(r, p, guest_osxsave);
        // Every cache is private to the one vCPU of its one-core package.
        case bits::kLeafCacheParameters:
            r.eax &= ~(bits::kCacheEaxCoresPerPackage | bits::kCacheEaxThreadsSharing);
            return r;
        case bits::kLeafStructuredFeatures: return structured_leaf(r, subleaf, p);
        // Subleaf 0 (the XCR0 bits) passes through: the XSETBV handler checks
        // XCR0 against the host's. Subleaf 1 states no supervisor components.
        case bits::kLeafXsave:
            if (subleaf == bits::kXsaveSubleafExtensions) {
                r.eax &= ~kXsaveEaxHidden;
                r.ecx = 0;
                r.edx = 0;
            }
            return r;
        // No nested virtualization; RDTSCP raises #UD unless its control is on.
        case bits::kLeafExtendedFeatures:
            r.ecx &= ~bits::kExtEcxSvm;
            if (!p.in.rdtscp_enabled) r.edx &= ~bits::kExtEdxRdtscp;
            return r;
        // Only the invariant TSC: the TSC is passed through, so it is exactly
        // as invariant as the host's.
        case bits::kLeafPowerManagement: return {0, 0, 0, r.edx & bits::kPowerEdxInvariantTsc};
        default: return r;
    }
}

CpuidResult cpuid_bulkhead_leaf(uint32_t leaf, uint32_t subleaf, const CpuidPolicy& p) {
    if (leaf >= bits::kLeafHypervisorFirst) return hypervisor_leaf(leaf, p.in.tsc_hz);
    switch (leaf) {
        // Thermal and power: none of it (no digital sensors, turbo, HWP,
        // APERF/MPERF or EPB), except ARAT: the virtual APIC timer never
        // stops, so Linux needs no broadcast timer.
        case bits::kLeafThermalPower: return {bits::kThermalEaxArat, 0, 0, 0};
        // Leaf 0x1f only where the host's maximum reaches it (else it is out
        // of range and answered like the highest basic leaf).
        case bits::kLeafTopology:
        case bits::kLeafTopologyV2: return topology_leaf(subleaf, p.in.apic_id);
        case bits::kLeafTscCrystal: return crystal_leaf(p.in.tsc_hz);
        case bits::kLeafProcessorFrequency: return frequency_leaf(p.in.tsc_hz);
        // Zeros for the features the platform does not have: MONITOR/MWAIT
        // (5), the architectural PMU (0xa), and the enumeration leaves of the
        // features hidden in leaf 7: RDT (0xf, 0x10), SGX (0x12), PT (0x14),
        // hybrid cores (0x1a), PCONFIG (0x1b), arch LBRs (0x1c). Linux reads
        // 0xf, 0x10 and 0x12 even when leaf 7 says no.
        // Zeros too for a basic leaf the host lacks below the maximum
        // Bulkhead reports (the host would answer with its highest leaf).
        default: return kZeros;
    }
}

}  // namespace bulkhead
