// The virtual-machine control structure (VMCS), typed: every field encoding,
// the VM-instruction error numbers, the basic exit reasons, and the decoders
// of the values a VM exit leaves behind (Intel SDM Vol. 3C, chapters 25 and
// 28; Vol. 3D, appendices B and C).
//
// Software never touches a VMCS as memory: its layout is the CPU's secret. It
// names a field by a 32-bit *encoding* and lets VMREAD/VMWRITE do the access
// (vmx_instructions.hpp). The encoding is not an offset but a small record
// that says how wide the field is and what kind it is (25.11.2):
//
//   31      15 14 13 12 11 10 9         1  0
//  | reserved | width |0| type | index    | A |
//
//   width: 0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural width
//   type:  0 = control, 1 = read-only VM-exit information, 2 = guest state,
//          3 = host state
//   A:     access type, 0 = full; 1 = the high 32 bits of a 64-bit field
//
// Everything here is plain data and constexpr decoding, so the host unit
// tests check it (tests/unit/test_vmcs_fields.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/descriptors.hpp"

namespace bulkhead::x86::vmx {

// ---- Field encodings (SDM Vol. 3D, Appendix B) -----------------------------

// Each enumerator is the "full" encoding (access type 0). Groups follow the
// appendix: by width, then by type. A field exists on a CPU only if the CPU
// supports the feature it belongs to; VMREAD/VMWRITE of a field the CPU lacks
// fails with VmInstructionError::UnsupportedVmcsComponent.
enum class VmcsField : uint32_t {
    // B.1.1 16-bit control fields
    VirtualProcessorId = 0x0000,
    PostedInterruptNotificationVector = 0x0002,
    EptpIndex = 0x0004,
    HlatPrefixSize = 0x0006,
    LastPidPointerIndex = 0x0008,

    // B.1.2 16-bit guest-state fields
    GuestEsSelector = 0x0800,
    GuestCsSelector = 0x0802,
    GuestSsSelector = 0x0804,
    GuestDsSelector = 0x0806,
    GuestFsSelector = 0x0808,
    GuestGsSelector = 0x080a,
    GuestLdtrSelector = 0x080c,
    GuestTrSelector = 0x080e,
    GuestInterruptStatus = 0x0810,
    PmlIndex = 0x0812,
    GuestUinv = 0x0814,

    // B.1.3 16-bit host-state fields
    HostEsSelector = 0x0c00,
    HostCsSelector = 0x0c02,
    HostSsSelector = 0x0c04,
    HostDsSelector = 0x0c06,
    HostFsSelector = 0x0c08,
    HostGsSelector = 0x0c0a,
    HostTrSelector = 0x0c0c,

    // B.2.1 64-bit control fields
    IoBitmapA = 0x2000,
    IoBitmapB = 0x2002,
    MsrBitmap = 0x2004,
    VmExitMsrStoreAddress = 0x2006,
    VmExitMsrLoadAddress = 0x2008,
    VmEntryMsrLoadAddress = 0x200a,
    ExecutiveVmcsPointer = 0x200c,
    PmlAddress = 0x200e,
    TscOffset = 0x2010,
    VirtualApicAddress = 0x2012,
    ApicAccessAddress = 0x2014,
    PostedInterruptDescriptorAddress = 0x2016,
    VmFunctionControls = 0x2018,
    EptPointer = 0x201a,
    EoiExitBitmap0 = 0x201c,
    EoiExitBitmap1 = 0x201e,
    EoiExitBitmap2 = 0x2020,
    EoiExitBitmap3 = 0x2022,
    EptpListAddress = 0x2024,
    VmreadBitmapAddress = 0x2026,
    VmwriteBitmapAddress = 0x2028,
    VirtualizationExceptionInfoAddress = 0x202a,
    XssExitingBitmap = 0x202c,
    EnclsExitingBitmap = 0x202e,
    SubPagePermissionTablePointer = 0x2030,
    TscMultiplier = 0x2032,
    TertiaryProcBasedControls = 0x2034,
    EnclvExitingBitmap = 0x2036,
    LowPasidDirectoryAddress = 0x2038,
    HighPasidDirectoryAddress = 0x203a,
    SharedEptPointer = 0x203c,
    PconfigExitingBitmap = 0x203e,
    HlatPointer = 0x2040,
    PidPointerTableAddress = 0x2042,
    SecondaryVmExitControls = 0x2044,
    Ia32SpecCtrlMask = 0x204a,
    Ia32SpecCtrlShadow = 0x204c,
    InjectedEventData = 0x2052,

    // B.2.2 64-bit read-only data fields
    GuestPhysicalAddress = 0x2400,
    OriginalEventData = 0x2404,

    // B.2.3 64-bit guest-state fields
    VmcsLinkPointer = 0x2800,
    GuestIa32Debugctl = 0x2802,
    GuestIa32Pat = 0x2804,
    GuestIa32Efer = 0x2806,
    GuestIa32PerfGlobalCtrl = 0x2808,
    GuestPdpte0 = 0x280a,
    GuestPdpte1 = 0x280c,
    GuestPdpte2 = 0x280e,
    GuestPdpte3 = 0x2810,
    GuestIa32Bndcfgs = 0x2812,
    GuestIa32RtitCtl = 0x2814,
    GuestIa32LbrCtl = 0x2816,
    GuestIa32Pkrs = 0x2818,
    GuestIa32FredConfig = 0x281a,
    GuestIa32FredRsp1 = 0x281c,
    GuestIa32FredRsp2 = 0x281e,
    GuestIa32FredRsp3 = 0x2820,
    GuestIa32FredStklvls = 0x2822,
    GuestIa32FredSsp1 = 0x2824,
    GuestIa32FredSsp2 = 0x2826,
    GuestIa32FredSsp3 = 0x2828,

    // B.2.4 64-bit host-state fields
    HostIa32Pat = 0x2c00,
    HostIa32Efer = 0x2c02,
    HostIa32PerfGlobalCtrl = 0x2c04,
    HostIa32Pkrs = 0x2c06,
    HostIa32FredConfig = 0x2c08,
    HostIa32FredRsp1 = 0x2c0a,
    HostIa32FredRsp2 = 0x2c0c,
    HostIa32FredRsp3 = 0x2c0e,
    HostIa32FredStklvls = 0x2c10,
    HostIa32FredSsp1 = 0x2c12,
    HostIa32FredSsp2 = 0x2c14,
    HostIa32FredSsp3 = 0x2c16,

    // B.3.1 32-bit control fields
    PinBasedControls = 0x4000,
    ProcBasedControls = 0x4002,    // primary processor-based VM-execution controls
    ExceptionBitmap = 0x4004,
    PageFaultErrorCodeMask = 0x4006,
    PageFaultErrorCodeMatch = 0x4008,
    Cr3TargetCount = 0x400a,
    VmExitControls = 0x400c,       // primary VM-exit controls
    VmExitMsrStoreCount = 0x400e,
    VmExitMsrLoadCount = 0x4010,
    VmEntryControls = 0x4012,
    VmEntryMsrLoadCount = 0x4014,
    VmEntryInterruptionInfo = 0x4016,
    VmEntryExceptionErrorCode = 0x4018,
    VmEntryInstructionLength = 0x401a,
    TprThreshold = 0x401c,
    SecondaryProcBasedControls = 0x401e,
    PleGap = 0x4020,
    PleWindow = 0x4022,
    InstructionTimeoutControl = 0x4024,

    // B.3.2 32-bit read-only data fields
    VmInstructionError = 0x4400,
    VmExitReason = 0x4402,
    VmExitInterruptionInfo = 0x4404,
    VmExitInterruptionErrorCode = 0x4406,
    IdtVectoringInfo = 0x4408,
    IdtVectoringErrorCode = 0x440a,
    VmExitInstructionLength = 0x440c,
    VmExitInstructionInfo = 0x440e,

    // B.3.3 32-bit guest-state fields
    GuestEsLimit = 0x4800,
    GuestCsLimit = 0x4802,
    GuestSsLimit = 0x4804,
    GuestDsLimit = 0x4806,
    GuestFsLimit = 0x4808,
    GuestGsLimit = 0x480a,
    GuestLdtrLimit = 0x480c,
    GuestTrLimit = 0x480e,
    GuestGdtrLimit = 0x4810,
    GuestIdtrLimit = 0x4812,
    GuestEsAccessRights = 0x4814,
    GuestCsAccessRights = 0x4816,
    GuestSsAccessRights = 0x4818,
    GuestDsAccessRights = 0x481a,
    GuestFsAccessRights = 0x481c,
    GuestGsAccessRights = 0x481e,
    GuestLdtrAccessRights = 0x4820,
    GuestTrAccessRights = 0x4822,
    GuestInterruptibilityState = 0x4824,
    GuestActivityState = 0x4826,
    GuestSmbase = 0x4828,
    GuestIa32SysenterCs = 0x482a,
    PreemptionTimerValue = 0x482e,  // 0x482c is not assigned

    // B.3.4 32-bit host-state field
    HostIa32SysenterCs = 0x4c00,

    // B.4.1 natural-width control fields
    Cr0GuestHostMask = 0x6000,
    Cr4GuestHostMask = 0x6002,
    Cr0ReadShadow = 0x6004,
    Cr4ReadShadow = 0x6006,
    Cr3TargetValue0 = 0x6008,
    Cr3TargetValue1 = 0x600a,
    Cr3TargetValue2 = 0x600c,
    Cr3TargetValue3 = 0x600e,

    // B.4.2 natural-width read-only data fields
    ExitQualification = 0x6400,
    IoRcx = 0x6402,
    IoRsi = 0x6404,
    IoRdi = 0x6406,
    IoRip = 0x6408,
    GuestLinearAddress = 0x640a,

    // B.4.3 natural-width guest-state fields
    GuestCr0 = 0x6800,
    GuestCr3 = 0x6802,
    GuestCr4 = 0x6804,
    GuestEsBase = 0x6806,
    GuestCsBase = 0x6808,
    GuestSsBase = 0x680a,
    GuestDsBase = 0x680c,
    GuestFsBase = 0x680e,
    GuestGsBase = 0x6810,
    GuestLdtrBase = 0x6812,
    GuestTrBase = 0x6814,
    GuestGdtrBase = 0x6816,
    GuestIdtrBase = 0x6818,
    GuestDr7 = 0x681a,
    GuestRsp = 0x681c,
    GuestRip = 0x681e,
    GuestRflags = 0x6820,
    GuestPendingDebugExceptions = 0x6822,
    GuestIa32SysenterEsp = 0x6824,
    GuestIa32SysenterEip = 0x6826,
    GuestIa32SCet = 0x6828,
    GuestSsp = 0x682a,
    GuestIa32InterruptSspTableAddr = 0x682c,

    // B.4.4 natural-width host-state fields
    HostCr0 = 0x6c00,
    HostCr3 = 0x6c02,
    HostCr4 = 0x6c04,
    HostFsBase = 0x6c06,
    HostGsBase = 0x6c08,
    HostTrBase = 0x6c0a,
    HostGdtrBase = 0x6c0c,
    HostIdtrBase = 0x6c0e,
    HostIa32SysenterEsp = 0x6c10,
    HostIa32SysenterEip = 0x6c12,
    HostRsp = 0x6c14,
    HostRip = 0x6c16,
    HostIa32SCet = 0x6c18,
    HostSsp = 0x6c1a,
    HostIa32InterruptSspTableAddr = 0x6c1c,
};

// Every field above, in the order listed (arch/x86_64/vmcs_fields.cpp). For
// register dumps and for the unit test that checks the list is complete.
const VmcsField* all_vmcs_fields(size_t& count);

// The enumerator's name, e.g. "GuestRip"; "unknown" for any other encoding.
const char* vmcs_field_name(VmcsField field);

// ---- Decoding an encoding (SDM Vol. 3C, 25.11.2) ---------------------------

enum class FieldWidth : uint8_t { Bits16 = 0, Bits64 = 1, Bits32 = 2, Natural = 3 };
enum class FieldType : uint8_t { Control = 0, ReadOnlyData = 1, GuestState = 2, HostState = 3 };
enum class FieldAccess : uint8_t { Full = 0, High = 1 };

namespace encoding {
inline constexpr uint32_t kAccessHigh = 1u << 0;
inline constexpr unsigned kIndexShift = 1;
inline constexpr uint32_t kIndexMask = 0x1ff;      // bits 9:1
inline constexpr unsigned kTypeShift = 10;
inline constexpr uint32_t kTypeMask = 0x3;         // bits 11:10
inline constexpr unsigned kWidthShift = 13;
inline constexpr uint32_t kWidthMask = 0x3;        // bits 14:13
// Bit 12 and bits 31:15 are reserved: an encoding with any of them set makes
// VMREAD/VMWRITE fail.
inline constexpr uint32_t kReservedMask = (1u << 12) | ~((1u << 15) - 1);
}  // namespace encoding

constexpr uint32_t encoding_of(VmcsField field) { return static_cast<uint32_t>(field); }

constexpr FieldWidth width_of(VmcsField field) {
    return static_cast<FieldWidth>((encoding_of(field) >> encoding::kWidthShift) & encoding::kWidthMask);
}

constexpr FieldType type_of(VmcsField field) {
    return static_cast<FieldType>((encoding_of(field) >> encoding::kTypeShift) & encoding::kTypeMask);
}

constexpr FieldAccess access_of(VmcsField field) {
    return (encoding_of(field) & encoding::kAccessHigh) ? FieldAccess::High : FieldAccess::Full;
}

constexpr unsigned index_of(VmcsField field) {
    return (encoding_of(field) >> encoding::kIndexShift) & encoding::kIndexMask;
}

// Bytes a field holds. Natural-width fields are as wide as the CPU's
// registers: 8 bytes, since Bulkhead runs only in 64-bit mode.
inline constexpr unsigned kNaturalWidthBytes = 8;
constexpr unsigned width_bytes(FieldWidth width) {
    switch (width) {
        case FieldWidth::Bits16: return sizeof(uint16_t);
        case FieldWidth::Bits32: return sizeof(uint32_t);
        case FieldWidth::Bits64: return sizeof(uint64_t);
        case FieldWidth::Natural: return kNaturalWidthBytes;
    }
    return 0;
}

// The VM-exit information fields; a VMWRITE to them fails unless the CPU
// reports IA32_VMX_MISC bit 29 (SDM Vol. 3C, 25.9; Vol. 3D, A.6).
constexpr bool is_read_only(VmcsField field) { return type_of(field) == FieldType::ReadOnlyData; }

// The "high" encoding of a 64-bit field: its upper 32 bits as a field of its
// own. Only 32-bit code needs it (a VMREAD in 64-bit mode moves all 64 bits),
// so it takes the field at compile time and rejects anything but a 64-bit one.
template <VmcsField Field>
constexpr VmcsField high_half() {
    static_assert(width_of(Field) == FieldWidth::Bits64, "only 64-bit fields have a high half");
    static_assert(access_of(Field) == FieldAccess::Full, "already the high half");
    return static_cast<VmcsField>(encoding_of(Field) | encoding::kAccessHigh);
}

static_assert(width_of(VmcsField::VirtualProcessorId) == FieldWidth::Bits16);
static_assert(type_of(VmcsField::HostEsSelector) == FieldType::HostState);
static_assert(width_of(VmcsField::EptPointer) == FieldWidth::Bits64);
static_assert(type_of(VmcsField::GuestPhysicalAddress) == FieldType::ReadOnlyData);
static_assert(width_of(VmcsField::VmExitReason) == FieldWidth::Bits32);
static_assert(type_of(VmcsField::VmExitReason) == FieldType::ReadOnlyData);
static_assert(width_of(VmcsField::GuestRip) == FieldWidth::Natural);
static_assert(type_of(VmcsField::GuestRip) == FieldType::GuestState);
static_assert(type_of(VmcsField::PinBasedControls) == FieldType::Control);
static_assert(index_of(VmcsField::GuestRip) == 0xf);
static_assert(encoding_of(high_half<VmcsField::IoBitmapA>()) == 0x2001);

// ---- VM-instruction errors (SDM Vol. 3C, 31.4) -----------------------------

// When a VMX instruction fails with VMfailValid, the VM-instruction error
// field (VmcsField::VmInstructionError) says why. 14, 21 and 27 are unused.
enum class VmInstructionError : uint32_t {
    VmcallInVmxRoot = 1,
    VmclearInvalidAddress = 2,
    VmclearVmxonPointer = 3,
    VmlaunchNonClearVmcs = 4,
    VmresumeNonLaunchedVmcs = 5,
    VmresumeAfterVmxoff = 6,
    EntryInvalidControlFields = 7,
    EntryInvalidHostStateFields = 8,
    VmptrldInvalidAddress = 9,
    VmptrldVmxonPointer = 10,
    VmptrldIncorrectRevision = 11,
    UnsupportedVmcsComponent = 12,
    VmwriteReadOnlyComponent = 13,
    VmxonInVmxRoot = 15,
    EntryInvalidExecutiveVmcsPointer = 16,
    EntryNonLaunchedExecutiveVmcs = 17,
    EntryExecutiveVmcsPointerNotVmxon = 18,
    VmcallNonClearVmcs = 19,
    VmcallInvalidExitControls = 20,
    VmcallIncorrectMsegRevision = 22,
    VmxoffUnderDualMonitor = 23,
    VmcallInvalidSmmMonitorFeatures = 24,
    EntryInvalidExecutiveControls = 25,
    EntryEventsBlockedByMovSs = 26,
    InvalidInveptInvvpidOperand = 28,
};

// The SDM's description, shortened; "unknown" for unused numbers.
const char* to_string(VmInstructionError error);

// ---- Basic exit reasons (SDM Vol. 3D, Appendix C) --------------------------

// Numbers 35, 38, 42, 71, 82 and 83 are unused. The reasons from 78 on belong
// to the newest instructions (MSR lists, user MSRs, MSR immediates); a CPU
// without those instructions never reports them.
enum class ExitReason : uint16_t {
    ExceptionOrNmi = 0,
    ExternalInterrupt = 1,
    TripleFault = 2,
    InitSignal = 3,
    Sipi = 4,
    IoSmi = 5,
    OtherSmi = 6,
    InterruptWindow = 7,
    NmiWindow = 8,
    TaskSwitch = 9,
    Cpuid = 10,
    Getsec = 11,
    Hlt = 12,
    Invd = 13,
    Invlpg = 14,
    Rdpmc = 15,
    Rdtsc = 16,
    Rsm = 17,
    Vmcall = 18,
    Vmclear = 19,
    Vmlaunch = 20,
    Vmptrld = 21,
    Vmptrst = 22,
    Vmread = 23,
    Vmresume = 24,
    Vmwrite = 25,
    Vmxoff = 26,
    Vmxon = 27,
    CrAccess = 28,
    DrAccess = 29,
    IoInstruction = 30,
    Rdmsr = 31,
    Wrmsr = 32,
    EntryFailInvalidGuestState = 33,
    EntryFailMsrLoading = 34,
    Mwait = 36,
    MonitorTrapFlag = 37,
    Monitor = 39,
    Pause = 40,
    EntryFailMachineCheck = 41,
    TprBelowThreshold = 43,
    ApicAccess = 44,
    VirtualizedEoi = 45,
    GdtrIdtrAccess = 46,
    LdtrTrAccess = 47,
    EptViolation = 48,
    EptMisconfig = 49,
    Invept = 50,
    Rdtscp = 51,
    PreemptionTimer = 52,
    Invvpid = 53,
    Wbinvd = 54,         // WBINVD or WBNOINVD
    Xsetbv = 55,
    ApicWrite = 56,
    Rdrand = 57,
    Invpcid = 58,
    Vmfunc = 59,
    Encls = 60,
    Rdseed = 61,
    PmlFull = 62,
    Xsaves = 63,
    Xrstors = 64,
    Pconfig = 65,
    SppEvent = 66,
    Umwait = 67,
    Tpause = 68,
    Loadiwkey = 69,
    Enclv = 70,
    EnqcmdPasidFailure = 72,
    EnqcmdsPasidFailure = 73,
    BusLock = 74,
    InstructionTimeout = 75,
    Seamcall = 76,
    Tdcall = 77,
    Rdmsrlist = 78,
    Wrmsrlist = 79,
    Urdmsr = 80,
    Uwrmsr = 81,
    RdmsrImmediate = 84,
    WrmsrnsImmediate = 85,
};

inline constexpr ExitReason kLastExitReason = ExitReason::WrmsrnsImmediate;
// Size of a handler table indexed by basic exit reason.
inline constexpr unsigned kExitReasonCount = static_cast<unsigned>(kLastExitReason) + 1;

// The SDM's name, shortened; "unknown" for unused numbers.
const char* to_string(ExitReason reason);

// The exit-reason field (VmcsField::VmExitReason; SDM Vol. 3C, 25.9.1):
// the basic reason in bits 15:0, flags about the exit above.
inline constexpr uint32_t kExitReasonBasicMask = 0xffff;
inline constexpr uint32_t kExitReasonEntryFailure = 1u << 31;   // VMLAUNCH/VMRESUME failed late (27.8)

struct ExitReasonInfo {
    static constexpr uint32_t kBasicReasonMask = kExitReasonBasicMask;
    static constexpr uint32_t kBusLockAsserted = 1u << 26;
    static constexpr uint32_t kEnclaveMode = 1u << 27;
    static constexpr uint32_t kPendingMtf = 1u << 28;      // an SMM exit with an MTF exit pending
    static constexpr uint32_t kFromVmxRoot = 1u << 29;     // an SMM exit from VMX root operation
    static constexpr uint32_t kEntryFailure = kExitReasonEntryFailure;
    uint32_t raw;
    constexpr ExitReason basic() const { return static_cast<ExitReason>(raw & kBasicReasonMask); }
    constexpr bool entry_failed() const { return (raw & kEntryFailure) != 0; }
    constexpr bool enclave_mode() const { return (raw & kEnclaveMode) != 0; }
};

// ---- Exit qualifications (SDM Vol. 3C, 28.2.1) -----------------------------

// General-purpose registers in the numbering exit qualifications and the
// VM-exit instruction-information field use (the x86 register encoding).
enum class Gpr : uint8_t { Rax, Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8, R9, R10, R11, R12, R13, R14, R15 };

enum class CrAccessType : uint8_t { MovToCr = 0, MovFromCr = 1, Clts = 2, Lmsw = 3 };

// Control-register accesses (exit reason CrAccess; "Exit Qualification for
// Control-Register Accesses" table).
struct CrAccessQualification {
    static constexpr uint64_t kCrNumberMask = 0xf;         // bits 3:0; 0 for CLTS and LMSW
    static constexpr unsigned kAccessTypeShift = 4;
    static constexpr uint64_t kAccessTypeMask = 0x3;       // bits 5:4
    static constexpr uint64_t kLmswMemoryOperand = 1ull << 6;
    static constexpr unsigned kGprShift = 8;
    static constexpr uint64_t kGprMask = 0xf;              // bits 11:8, MOV CR only
    static constexpr unsigned kLmswSourceShift = 16;
    static constexpr uint64_t kLmswSourceMask = 0xffff;    // bits 31:16, LMSW only
    uint64_t raw;
    constexpr unsigned cr() const { return static_cast<unsigned>(raw & kCrNumberMask); }
    constexpr CrAccessType access_type() const {
        return static_cast<CrAccessType>((raw >> kAccessTypeShift) & kAccessTypeMask);
    }
    constexpr bool lmsw_memory_operand() const { return (raw & kLmswMemoryOperand) != 0; }
    constexpr Gpr gpr() const { return static_cast<Gpr>((raw >> kGprShift) & kGprMask); }
    constexpr uint16_t lmsw_source() const {
        return static_cast<uint16_t>((raw >> kLmswSourceShift) & kLmswSourceMask);
    }
};

enum class IoDirection : uint8_t { Out = 0, In = 1 };

// I/O instructions (exit reason IoInstruction; "Exit Qualification for I/O
// Instructions" table).
struct IoQualification {
    // Bits 2:0 hold the access size minus one: 0, 1 or 3 for 1, 2 or 4 bytes.
    static constexpr uint64_t kSizeMinusOneMask = 0x7;
    static constexpr uint64_t kDirectionIn = 1ull << 3;
    static constexpr uint64_t kString = 1ull << 4;         // INS/OUTS
    static constexpr uint64_t kRep = 1ull << 5;
    static constexpr uint64_t kImmediateOperand = 1ull << 6;   // port in the instruction, not DX
    static constexpr unsigned kPortShift = 16;
    static constexpr uint64_t kPortMask = 0xffff;          // bits 31:16
    uint64_t raw;
    constexpr unsigned size() const { return static_cast<unsigned>(raw & kSizeMinusOneMask) + 1; }
    constexpr IoDirection direction() const { return (raw & kDirectionIn) ? IoDirection::In : IoDirection::Out; }
    constexpr bool is_in() const { return direction() == IoDirection::In; }
    constexpr bool string() const { return (raw & kString) != 0; }
    constexpr bool rep() const { return (raw & kRep) != 0; }
    constexpr bool immediate_operand() const { return (raw & kImmediateOperand) != 0; }
    constexpr uint16_t port() const { return static_cast<uint16_t>((raw >> kPortShift) & kPortMask); }
};

// EPT violations (exit reason EptViolation; "Exit Qualification for EPT
// Violations" table). Bits 0-2 say what the access was, bits 3-6 what the
// EPT entries allowed (the AND over the walk).
struct EptViolationQualification {
    static constexpr uint64_t kCausedByRead = 1ull << 0;
    static constexpr uint64_t kCausedByWrite = 1ull << 1;
    static constexpr uint64_t kCausedByFetch = 1ull << 2;    // instruction fetch
    static constexpr uint64_t kReadable = 1ull << 3;
    static constexpr uint64_t kWritable = 1ull << 4;
    // Executable (for supervisor-mode linear addresses, when mode-based
    // execute control is on).
    static constexpr uint64_t kExecutable = 1ull << 5;
    static constexpr uint64_t kUserExecutable = 1ull << 6;   // mode-based execute control only
    static constexpr uint64_t kGuestLinearAddressValid = 1ull << 7;
    // With bit 7: 1 = the access was to the translated address, 0 = to a
    // guest paging-structure entry during the walk.
    static constexpr uint64_t kTranslatedAccess = 1ull << 8;
    static constexpr uint64_t kNmiUnblockingDueToIret = 1ull << 12;
    static constexpr uint64_t kShadowStackAccess = 1ull << 13;
    uint64_t raw;
    constexpr bool caused_by_read() const { return (raw & kCausedByRead) != 0; }
    constexpr bool caused_by_write() const { return (raw & kCausedByWrite) != 0; }
    constexpr bool caused_by_fetch() const { return (raw & kCausedByFetch) != 0; }
    constexpr bool readable() const { return (raw & kReadable) != 0; }
    constexpr bool writable() const { return (raw & kWritable) != 0; }
    constexpr bool executable() const { return (raw & kExecutable) != 0; }
    constexpr bool user_executable() const { return (raw & kUserExecutable) != 0; }
    constexpr bool guest_linear_address_valid() const { return (raw & kGuestLinearAddressValid) != 0; }
    constexpr bool translated_access() const { return (raw & kTranslatedAccess) != 0; }
    // The fault hit an IRET that unblocked NMIs; the handler must re-block
    // them before resuming the guest (28.2.3).
    constexpr bool nmi_unblocking_due_to_iret() const { return (raw & kNmiUnblockingDueToIret) != 0; }
    constexpr bool shadow_stack_access() const { return (raw & kShadowStackAccess) != 0; }
};

// ---- Interruption information (SDM Vol. 3C, 25.8.3 and 25.9.2) -------------

// One format for three fields: VM-entry interruption information (what to
// inject), VM-exit interruption information (what caused the exit) and
// IDT-vectoring information (what was being delivered when the exit hit).
enum class InterruptionType : uint8_t {
    ExternalInterrupt = 0,
    Nmi = 2,
    HardwareException = 3,
    SoftwareInterrupt = 4,               // INT n
    PrivilegedSoftwareException = 5,     // INT1
    SoftwareException = 6,               // INT3, INTO
    OtherEvent = 7,                      // entry only: a pending MTF VM exit
};

struct InterruptionInfo {
    static constexpr uint32_t kVectorMask = 0xff;          // bits 7:0
    static constexpr unsigned kTypeShift = 8;
    static constexpr uint32_t kTypeMask = 0x7;             // bits 10:8
    static constexpr uint32_t kErrorCodeValid = 1u << 11;  // "deliver error code" on entry
    static constexpr uint32_t kNmiUnblockingDueToIret = 1u << 12;   // exit information only
    static constexpr uint32_t kValid = 1u << 31;
    uint32_t raw;
    constexpr uint8_t vector() const { return static_cast<uint8_t>(raw & kVectorMask); }
    constexpr InterruptionType type() const { return static_cast<InterruptionType>((raw >> kTypeShift) & kTypeMask); }
    constexpr bool error_code_valid() const { return (raw & kErrorCodeValid) != 0; }
    constexpr bool nmi_unblocking_due_to_iret() const { return (raw & kNmiUnblockingDueToIret) != 0; }
    constexpr bool valid() const { return (raw & kValid) != 0; }
};

// A valid event for VmcsField::VmEntryInterruptionInfo. With
// deliver_error_code, the CPU pushes VmcsField::VmEntryExceptionErrorCode.
constexpr InterruptionInfo make_interruption_info(InterruptionType type, uint8_t vector, bool deliver_error_code) {
    return InterruptionInfo{InterruptionInfo::kValid | (deliver_error_code ? InterruptionInfo::kErrorCodeValid : 0) |
                            (static_cast<uint32_t>(type) << InterruptionInfo::kTypeShift) | vector};
}

// A hardware exception to inject, e.g. #GP with its error code. Whether the
// exception has an error code is architectural (SDM Vol. 3A, 6.15); a VM
// entry that disagrees fails (27.2.1.3).
constexpr InterruptionInfo make_hardware_exception(uint8_t vector, bool has_error_code) {
    return make_interruption_info(InterruptionType::HardwareException, vector, has_error_code);
}

constexpr InterruptionInfo make_hardware_exception(Vector vector, bool has_error_code) {
    return make_hardware_exception(static_cast<uint8_t>(vector), has_error_code);
}

// An external interrupt (a vector from the guest's virtual APIC) to inject.
constexpr InterruptionInfo make_external_interrupt(uint8_t vector) {
    return make_interruption_info(InterruptionType::ExternalInterrupt, vector, false);
}

// ---- Guest non-register state (SDM Vol. 3C, 25.4.2) ------------------------

// GuestInterruptibilityState: what keeps the guest from taking an interrupt
// right now even with RFLAGS.IF set. STI and MOV SS block interrupts for one
// instruction after them (the "shadow"); an injected interrupt must wait.
namespace interruptibility {
inline constexpr uint32_t kBlockingBySti = 1u << 0;
inline constexpr uint32_t kBlockingByMovSs = 1u << 1;
inline constexpr uint32_t kBlockingBySmi = 1u << 2;
inline constexpr uint32_t kBlockingByNmi = 1u << 3;
inline constexpr uint32_t kShadow = kBlockingBySti | kBlockingByMovSs;
}  // namespace interruptibility

// GuestActivityState.
enum class ActivityState : uint32_t { Active = 0, Hlt = 1, Shutdown = 2, WaitForSipi = 3 };

}  // namespace bulkhead::x86::vmx
