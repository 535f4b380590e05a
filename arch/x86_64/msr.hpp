// Model-specific registers: their numbers, their bit fields, and typed access.
//
// Each register type carries its own MSR number, so reading one is
// `read_msr<FeatureControl>()` and the result has named accessors instead of
// shifts and masks at the call site (the idea comes from hvpp's ia32 types).
#pragma once

#include <stdint.h>

#include "arch/x86_64/asm_defs.h"
#include "arch/x86_64/cpu.hpp"

namespace bulkhead::x86 {

enum class Msr : uint32_t {
    Tsc = 0x10,                   // IA32_TIME_STAMP_COUNTER
    ApicBase = 0x1B,              // IA32_APIC_BASE
    FeatureControl = 0x3A,        // IA32_FEATURE_CONTROL
    TscAdjust = 0x3B,             // IA32_TSC_ADJUST: what was added to the TSC by writes to it
    MicrocodeRevision = 0x8B,     // IA32_BIOS_SIGN_ID: the loaded microcode's revision in the high half
    MtrrCapabilities = 0xFE,      // IA32_MTRRCAP
    MtrrPhysBase0 = 0x200,        // IA32_MTRR_PHYSBASE0; PHYSMASKn/BASEn pairs follow
    MtrrFixed64K = 0x250,         // IA32_MTRR_FIX64K_00000
    MtrrFixed16K80000 = 0x258,    // IA32_MTRR_FIX16K_80000
    MtrrFixed16KA0000 = 0x259,
    MtrrFixed4KC0000 = 0x268,     // IA32_MTRR_FIX4K_C0000 ... _F8000 (0x268-0x26F)
    MtrrFixed4KF8000 = 0x26F,
    MtrrDefaultType = 0x2FF,      // IA32_MTRR_DEF_TYPE
    SysenterCs = 0x174,           // IA32_SYSENTER_CS/ESP/EIP
    SysenterEsp = 0x175,
    SysenterEip = 0x176,
    MiscEnable = 0x1A0,           // IA32_MISC_ENABLE
    Pat = 0x277,                  // IA32_PAT
    TscDeadline = 0x6E0,          // IA32_TSC_DEADLINE: the local APIC timer's TSC-deadline target
    VmxBasic = 0x480,             // IA32_VMX_BASIC
    VmxPinbasedCtls = 0x481,
    VmxProcbasedCtls = 0x482,
    VmxExitCtls = 0x483,
    VmxEntryCtls = 0x484,
    VmxMisc = 0x485,
    VmxCr0Fixed0 = 0x486,
    VmxCr0Fixed1 = 0x487,
    VmxCr4Fixed0 = 0x488,
    VmxCr4Fixed1 = 0x489,
    VmxVmcsEnum = 0x48A,
    VmxProcbasedCtls2 = 0x48B,    // exists only if secondary controls may be 1
    VmxEptVpidCap = 0x48C,        // exists only if EPT or VPID may be 1
    VmxTruePinbasedCtls = 0x48D,  // the TRUE_* MSRs exist only if VmxBasic bit 55
    VmxTrueProcbasedCtls = 0x48E,
    VmxTrueExitCtls = 0x48F,
    VmxTrueEntryCtls = 0x490,
    Efer = 0xC0000080,            // IA32_EFER
    Star = 0xC0000081,            // SYSCALL target segments
    Lstar = 0xC0000082,           // SYSCALL target RIP, 64-bit
    Cstar = 0xC0000083,           // SYSCALL target RIP, compatibility mode
    SyscallMask = 0xC0000084,     // IA32_FMASK
    FsBase = 0xC0000100,
    GsBase = 0xC0000101,
    KernelGsBase = 0xC0000102,    // swapped in by SWAPGS
    TscAux = 0xC0000103,          // IA32_TSC_AUX: what RDTSCP and RDPID return (Linux: the CPU number)
};
static_assert(static_cast<uint32_t>(Msr::Efer) == MSR_EFER);

inline uint64_t read_msr(Msr msr) {
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(static_cast<uint32_t>(msr)));
    return (uint64_t{hi} << 32) | lo;
}

inline void write_msr(Msr msr, uint64_t value) {
    asm volatile("wrmsr" ::"c"(static_cast<uint32_t>(msr)), "a"(static_cast<uint32_t>(value)),
                 "d"(static_cast<uint32_t>(value >> 32))
                 : "memory");
}

// RDMSR/WRMSR that survive a #GP: a CPU without the register faults, and the
// exception handler resumes after the instruction through the fixup table
// (kernel/trap.cpp) instead of stopping the machine. Used while probing.
inline bool read_msr_safe(Msr msr, uint64_t& value) {
    uint32_t lo = 0, hi = 0, ok;
    asm volatile(
        "xor %k[ok], %k[ok]\n"
        "1: rdmsr\n"
        "mov $1, %k[ok]\n"
        "2:\n"
        BULKHEAD_FIXUP_1B_TO_2B
        : "+a"(lo), "+d"(hi), [ok] "=&r"(ok)
        : "c"(static_cast<uint32_t>(msr)));
    value = (uint64_t{hi} << 32) | lo;
    return ok != 0;
}

inline bool write_msr_safe(Msr msr, uint64_t value) {
    uint32_t ok;
    asm volatile(
        "xor %k[ok], %k[ok]\n"
        "1: wrmsr\n"
        "mov $1, %k[ok]\n"
        "2:\n"
        BULKHEAD_FIXUP_1B_TO_2B
        : [ok] "=&r"(ok)
        : "c"(static_cast<uint32_t>(msr)), "a"(static_cast<uint32_t>(value)),
          "d"(static_cast<uint32_t>(value >> 32))
        : "memory");
    return ok != 0;
}

template <class Register>
Register read_msr() {
    return Register{read_msr(Register::kMsr)};
}

// IA32_FEATURE_CONTROL (SDM Vol. 3C, 23.7): firmware's permission to use VMX.
struct FeatureControl {
    static constexpr Msr kMsr = Msr::FeatureControl;
    static constexpr uint64_t kLock = 1ull << 0;
    static constexpr uint64_t kVmxInsideSmx = 1ull << 1;
    static constexpr uint64_t kVmxOutsideSmx = 1ull << 2;
    uint64_t raw;
    bool locked() const { return raw & kLock; }
    bool vmx_outside_smx() const { return raw & kVmxOutsideSmx; }
};

// IA32_APIC_BASE (SDM Vol. 3A, 11.4.4).
struct ApicBase {
    static constexpr uint64_t kBootstrapProcessor = 1ull << 8;
    static constexpr uint64_t kGlobalEnable = 1ull << 11;
    static constexpr uint64_t kDefaultAddress = 0xfee00000;
};

// The MTRRs (SDM Vol. 3A, 11.11): IA32_MTRRCAP says how many variable
// ranges exist and whether the fixed ones do; IA32_MTRR_DEF_TYPE enables them
// and gives the type of memory no range covers.
struct Mtrr {
    static constexpr uint64_t kCapVariableCountMask = 0xff;   // MTRRCAP: VCNT
    static constexpr uint64_t kCapFixed = 1ull << 8;           // MTRRCAP: FIX
    static constexpr uint64_t kCapWriteCombining = 1ull << 10; // MTRRCAP: WC
    static constexpr uint64_t kTypeMask = 0xff;                // DEF_TYPE: the default memory type
    static constexpr uint64_t kTypeWriteBack = 6;
    static constexpr uint64_t kFixedEnable = 1ull << 10;       // DEF_TYPE: FE
    static constexpr uint64_t kEnable = 1ull << 11;            // DEF_TYPE: E
    static constexpr uint64_t kDefaultTypeWritable = kTypeMask | kFixedEnable | kEnable;
    // PHYSBASEn/PHYSMASKn pairs at 0x200-0x213: the most any CPU has (the
    // MSRs after them are other registers).
    static constexpr uint32_t kVariablePairsMax = 10;
};

// IA32_MISC_ENABLE (SDM Vol. 4, table 2-2).
struct MiscEnable {
    static constexpr uint64_t kFastStrings = 1ull << 0;
};

// IA32_PAT: eight 8-bit entries, each a memory type (SDM Vol. 3A, 11.12.2).
struct Pat {
    static constexpr unsigned kEntries = 8;
    static constexpr unsigned kEntryBits = 8;
    static constexpr uint64_t kEntryMask = 0xff;
    // UC (0), WC (1), WT (4), WP (5), WB (6), UC- (7); 2, 3 and above 7 are reserved.
    static constexpr uint64_t kValidTypes = (1u << 0) | (1u << 1) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7);
    static constexpr unsigned kTypeLimit = 8;
    static constexpr bool valid_type(uint64_t type) { return type < kTypeLimit && ((kValidTypes >> type) & 1) != 0; }
};

// IA32_VMX_BASIC (SDM Vol. 3D, A.1).
struct VmxBasic {
    static constexpr Msr kMsr = Msr::VmxBasic;
    static constexpr uint64_t kRevisionMask = 0x7fffffffull;
    static constexpr unsigned kRegionSizeShift = 32;
    static constexpr uint64_t kRegionSizeMask = 0x1fff;
    static constexpr unsigned kMemoryTypeShift = 50;
    static constexpr uint64_t kMemoryTypeMask = 0xf;
    static constexpr uint64_t kMemoryTypeWriteBack = 6;
    static constexpr uint64_t kTrueControls = 1ull << 55;
    uint64_t raw;
    uint32_t revision_id() const { return static_cast<uint32_t>(raw & kRevisionMask); }
    uint32_t region_size() const { return static_cast<uint32_t>((raw >> kRegionSizeShift) & kRegionSizeMask); }
    uint64_t memory_type() const { return (raw >> kMemoryTypeShift) & kMemoryTypeMask; }
    bool has_true_controls() const { return raw & kTrueControls; }
};

// The VM-execution/exit/entry control capability MSRs (SDM Vol. 3D, A.3-A.5):
// the low half gives the bits that must be 1, the high half the bits that may
// be 1.
struct VmxControlCapability {
    uint64_t raw;
    uint32_t must_be_one() const { return static_cast<uint32_t>(raw); }
    uint32_t may_be_one() const { return static_cast<uint32_t>(raw >> 32); }
    bool allows(uint32_t bits) const { return (may_be_one() & bits) == bits; }
};

// IA32_VMX_MISC (SDM Vol. 3D, A.6).
struct VmxMisc {
    static constexpr Msr kMsr = Msr::VmxMisc;
    static constexpr uint64_t kPreemptionTimerRateMask = 0x1f;
    static constexpr uint64_t kUnrestrictedGuestLma = 1ull << 5;
    uint64_t raw;
    unsigned preemption_timer_rate() const { return raw & kPreemptionTimerRateMask; }
};

// IA32_VMX_EPT_VPID_CAP (SDM Vol. 3D, A.10).
struct EptVpidCapability {
    static constexpr Msr kMsr = Msr::VmxEptVpidCap;
    static constexpr uint64_t kExecuteOnly = 1ull << 0;
    static constexpr uint64_t kPageWalk4 = 1ull << 6;
    static constexpr uint64_t kMemoryTypeUncacheable = 1ull << 8;
    static constexpr uint64_t kMemoryTypeWriteBack = 1ull << 14;
    static constexpr uint64_t kLargePage2M = 1ull << 16;
    static constexpr uint64_t kLargePage1G = 1ull << 17;
    static constexpr uint64_t kInvept = 1ull << 20;
    static constexpr uint64_t kAccessedDirty = 1ull << 21;
    static constexpr uint64_t kInveptSingleContext = 1ull << 25;
    static constexpr uint64_t kInveptAllContexts = 1ull << 26;
    static constexpr uint64_t kInvvpid = 1ull << 32;
    static constexpr uint64_t kInvvpidIndividualAddress = 1ull << 40;
    static constexpr uint64_t kInvvpidSingleContext = 1ull << 41;
    static constexpr uint64_t kInvvpidAllContexts = 1ull << 42;
    uint64_t raw;
    bool has(uint64_t bit) const { return (raw & bit) == bit; }
};

}  // namespace bulkhead::x86
