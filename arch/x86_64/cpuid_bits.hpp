// CPUID leaves and feature bits Bulkhead checks or shapes for its guests
// (Intel SDM Vol. 2A, CPUID; the guest's view is vmm/cpuid_policy.cpp).
#pragma once

#include <stdint.h>

#include "arch/x86_64/asm_defs.h"

namespace bulkhead::x86::cpuid_bits {

// Basic leaves.
inline constexpr uint32_t kLeafVendor = 0x0;              // EAX: highest basic leaf; EBX-EDX-ECX: vendor string
inline constexpr uint32_t kLeafFeatures = 0x1;
inline constexpr uint32_t kLeafCacheParameters = 0x4;     // deterministic cache parameters, one subleaf per cache
inline constexpr uint32_t kLeafMonitor = 0x5;             // MONITOR/MWAIT
inline constexpr uint32_t kLeafThermalPower = 0x6;        // thermal and power management
inline constexpr uint32_t kLeafStructuredFeatures = 0x7;  // structured extended features (subleaf 0 EAX: last subleaf)
inline constexpr uint32_t kLeafPerfMonitoring = 0xa;      // architectural performance monitoring
inline constexpr uint32_t kLeafTopology = 0xb;            // extended topology enumeration
inline constexpr uint32_t kLeafXsave = 0xd;               // subleaf 0: XCR0 bits the CPU supports in EAX:EDX
inline constexpr uint32_t kLeafRdtMonitoring = 0xf;       // RDT monitoring (cache occupancy, memory bandwidth)
inline constexpr uint32_t kLeafRdtAllocation = 0x10;      // RDT allocation (CAT, MBA)
inline constexpr uint32_t kLeafSgx = 0x12;                // SGX capabilities and EPC sections
inline constexpr uint32_t kLeafProcessorTrace = 0x14;     // Intel PT capabilities
inline constexpr uint32_t kLeafTscCrystal = 0x15;         // TSC/crystal ratio and crystal Hz
inline constexpr uint32_t kLeafProcessorFrequency = 0x16; // base/max/bus MHz
inline constexpr uint32_t kLeafHybrid = 0x1a;             // hybrid core type
inline constexpr uint32_t kLeafPconfig = 0x1b;            // PCONFIG targets
inline constexpr uint32_t kLeafArchLbr = 0x1c;            // architectural LBRs
inline constexpr uint32_t kLeafTopologyV2 = 0x1f;         // V2 extended topology (same layout as 0xb)
// 0x40000000-0x4fffffff: reserved for hypervisors (include/bulkhead/hypercall.h).
inline constexpr uint32_t kLeafHypervisorFirst = 0x40000000;
inline constexpr uint32_t kLeafHypervisorLast = 0x4fffffff;
// Extended leaves.
inline constexpr uint32_t kLeafExtendedMax = CPUID_EXTENDED_MAX;
inline constexpr uint32_t kLeafExtendedFeatures = CPUID_EXTENDED_FEATURES;
inline constexpr uint32_t kLeafBrandFirst = 0x80000002;
inline constexpr uint32_t kLeafBrandLast = 0x80000004;
inline constexpr uint32_t kLeafPowerManagement = 0x80000007;   // EDX bit 8: invariant TSC

// Leaf 0: "GenuineIntel" in EBX, EDX, ECX.
inline constexpr uint32_t kVendorIntelEbx = 0x756e6547;   // "Genu"
inline constexpr uint32_t kVendorIntelEdx = 0x49656e69;   // "ineI"
inline constexpr uint32_t kVendorIntelEcx = 0x6c65746e;   // "ntel"

// Leaf 1, EBX: brand index (7:0) and CLFLUSH line size (15:8), then the
// logical processor count (23:16) and the initial APIC ID (31:24).
inline constexpr uint32_t kFeaturesEbxBrandAndClflush = 0xffff;
inline constexpr unsigned kFeaturesEbxLogicalCountShift = 16;
inline constexpr unsigned kFeaturesEbxApicIdShift = 24;
inline constexpr uint32_t kFeaturesEbxFieldMask = 0xff;   // each of the two fields above
// Leaf 1, ECX.
inline constexpr uint32_t kFeaturesEcxDtes64 = 1u << 2;
inline constexpr uint32_t kFeaturesEcxMonitor = 1u << 3;
inline constexpr uint32_t kFeaturesEcxDsCpl = 1u << 4;
inline constexpr uint32_t kFeaturesEcxVmx = 1u << 5;
inline constexpr uint32_t kFeaturesEcxSmx = 1u << 6;
inline constexpr uint32_t kFeaturesEcxEst = 1u << 7;      // Enhanced SpeedStep
inline constexpr uint32_t kFeaturesEcxTm2 = 1u << 8;      // Thermal Monitor 2
inline constexpr uint32_t kFeaturesEcxPdcm = 1u << 15;    // IA32_PERF_CAPABILITIES
inline constexpr uint32_t kFeaturesEcxX2apic = 1u << 21;
inline constexpr uint32_t kFeaturesEcxTscDeadline = 1u << 24;
inline constexpr uint32_t kFeaturesEcxXsave = 1u << 26;
inline constexpr uint32_t kFeaturesEcxOsxsave = 1u << 27;
inline constexpr uint32_t kFeaturesEcxHypervisor = 1u << 31;
// Leaf 1, EDX.
inline constexpr uint32_t kFeaturesEdxMce = 1u << 7;
inline constexpr uint32_t kFeaturesEdxApic = 1u << 9;
inline constexpr uint32_t kFeaturesEdxMtrr = 1u << 12;
inline constexpr uint32_t kFeaturesEdxMca = 1u << 14;
inline constexpr uint32_t kFeaturesEdxPat = 1u << 16;
inline constexpr uint32_t kFeaturesEdxDs = 1u << 21;      // debug store
inline constexpr uint32_t kFeaturesEdxAcpi = 1u << 22;    // thermal monitor and clock control MSRs
inline constexpr uint32_t kFeaturesEdxHtt = 1u << 28;
inline constexpr uint32_t kFeaturesEdxTm = 1u << 29;      // Thermal Monitor
inline constexpr uint32_t kFeaturesEdxPbe = 1u << 31;     // pending break enable

// Leaf 4, EAX: addressable core IDs in the package - 1 (31:26) and logical
// processors sharing this cache - 1 (25:14).
inline constexpr uint32_t kCacheEaxCoresPerPackage = 0x3fu << 26;
inline constexpr uint32_t kCacheEaxThreadsSharing = 0xfffu << 14;

// Leaf 6, EAX.
inline constexpr uint32_t kThermalEaxArat = 1u << 2;      // the APIC timer runs in every C-state

// Leaf 7 subleaf 0, EBX.
inline constexpr uint32_t kStructuredSubleafMain = 0;
inline constexpr uint32_t kStructuredEbxTscAdjust = 1u << 1;
inline constexpr uint32_t kStructuredEbxSgx = 1u << 2;
inline constexpr uint32_t kStructuredEbxInvpcid = 1u << 10;
inline constexpr uint32_t kStructuredEbxRdtMonitoring = 1u << 12;   // RDT-M (PQM)
inline constexpr uint32_t kStructuredEbxRdtAllocation = 1u << 15;   // RDT-A (PQE)
inline constexpr uint32_t kStructuredEbxProcessorTrace = 1u << 25;
// Leaf 7 subleaf 0, ECX.
inline constexpr uint32_t kStructuredEcxWaitpkg = 1u << 5;          // UMONITOR/UMWAIT/TPAUSE
inline constexpr uint32_t kStructuredEcxCetShadowStack = 1u << 7;
inline constexpr uint32_t kStructuredEcxRdpid = 1u << 22;
inline constexpr uint32_t kStructuredEcxSgxLaunchControl = 1u << 30;
inline constexpr uint32_t kStructuredEcxPks = 1u << 31;             // protection keys for supervisor pages
// Leaf 7 subleaf 0, EDX.
inline constexpr uint32_t kStructuredEdxSrbdsCtrl = 1u << 9;        // IA32_MCU_OPT_CTRL
inline constexpr uint32_t kStructuredEdxTsxForceAbort = 1u << 13;   // MSR_TSX_FORCE_ABORT
inline constexpr uint32_t kStructuredEdxHybrid = 1u << 15;
inline constexpr uint32_t kStructuredEdxPconfig = 1u << 18;
inline constexpr uint32_t kStructuredEdxArchLbr = 1u << 19;
inline constexpr uint32_t kStructuredEdxCetIbt = 1u << 20;
inline constexpr uint32_t kStructuredEdxIbrsIbpb = 1u << 26;        // IA32_SPEC_CTRL.IBRS and IA32_PRED_CMD
inline constexpr uint32_t kStructuredEdxStibp = 1u << 27;
inline constexpr uint32_t kStructuredEdxL1dFlush = 1u << 28;        // IA32_FLUSH_CMD
inline constexpr uint32_t kStructuredEdxArchCapabilities = 1u << 29;
inline constexpr uint32_t kStructuredEdxCoreCapabilities = 1u << 30;
inline constexpr uint32_t kStructuredEdxSsbd = 1u << 31;
// Leaf 7 subleaf 2, EDX: controls in IA32_SPEC_CTRL, IA32_UARCH_MISC_CTL and
// IA32_MEMORY_CTRL.
inline constexpr uint32_t kStructuredSubleafSpeculation = 2;
inline constexpr uint32_t kSpeculationEdxPsfd = 1u << 0;
inline constexpr uint32_t kSpeculationEdxIpredCtrl = 1u << 1;
inline constexpr uint32_t kSpeculationEdxRrsbaCtrl = 1u << 2;
inline constexpr uint32_t kSpeculationEdxDdpdU = 1u << 3;
inline constexpr uint32_t kSpeculationEdxBhiCtrl = 1u << 4;
inline constexpr uint32_t kSpeculationEdxUcLockDisable = 1u << 6;

// Leaves 0xb and 0x1f: EAX[4:0] the APIC ID shift to the next level, EBX[15:0]
// the logical processors at this level, ECX[7:0] the level number (the
// subleaf), ECX[15:8] its type, EDX the x2APIC ID.
inline constexpr uint32_t kTopologySubleafSmt = 0;
inline constexpr uint32_t kTopologySubleafCore = 1;
inline constexpr uint32_t kTopologyEcxLevelMask = 0xff;
inline constexpr unsigned kTopologyEcxTypeShift = 8;
inline constexpr uint32_t kTopologyTypeSmt = 1;
inline constexpr uint32_t kTopologyTypeCore = 2;

// Leaf 0xd subleaf 1, EAX.
inline constexpr uint32_t kXsaveSubleafExtensions = 1;
// Subleaf n >= 2 describes state component n: EAX its size, ECX bit 1 that
// the compacted format aligns it to 64 bytes. The legacy area (x87, SSE)
// and the XSAVE header come first: 512 + 64 bytes.
inline constexpr uint32_t kXsaveFirstExtendedComponent = 2;
inline constexpr uint32_t kXsaveComponentAligned = 1u << 1;
inline constexpr uint32_t kXsaveLegacyAndHeaderBytes = 512 + 64;
inline constexpr uint32_t kXsaveCompactedAlignment = 64;
inline constexpr uint32_t kXsaveEaxXsaves = 1u << 3;      // XSAVES/XRSTORS and IA32_XSS
inline constexpr uint32_t kXsaveEaxXfd = 1u << 4;         // extended feature disable (IA32_XFD)

// Leaf 0x15 (TSC = crystal * EBX / EAX) and 0x16 (EAX base, EBX max MHz, bits 15:0).
inline constexpr uint32_t kFrequencyMhzMask = 0xffff;

// Leaf 0x80000001, ECX/EDX.
inline constexpr uint32_t kExtEcxSvm = 1u << 2;
inline constexpr uint32_t kExtEdxNx = CPUID_EXT_EDX_NX;
inline constexpr uint32_t kExtEdxPage1G = 1u << 26;
inline constexpr uint32_t kExtEdxRdtscp = 1u << 27;
// Leaf 0x80000007, EDX.
inline constexpr uint32_t kPowerEdxInvariantTsc = 1u << 8;

// Leaf 1, EAX: family/model/stepping fields.
inline constexpr unsigned kSteppingShift = 0, kModelShift = 4, kFamilyShift = 8;
inline constexpr unsigned kExtModelShift = 16, kExtFamilyShift = 20;
inline constexpr uint32_t kNibble = 0xf, kExtFamilyMask = 0xff;
inline constexpr uint32_t kFamilyUsingExtensions = 0xf;
inline constexpr uint32_t kFamilyUsingExtendedModel = 0x6;

}  // namespace bulkhead::x86::cpuid_bits
