#include "arch/x86_64/vmcs_fields.hpp"

namespace bulkhead::x86::vmx {

namespace {

// Every VmcsField enumerator, once. The name table and the field list below
// are both generated from this one list, and vmcs_field_name() switches over
// it with no default: the compiler (-Wswitch, an error here) then reports an
// enumerator missing from the list, and a duplicate case label reports two
// enumerators with the same encoding.
#define BULKHEAD_VMCS_FIELDS(X) \
    /* B.1.1 16-bit control fields */ \
    X(VirtualProcessorId) X(PostedInterruptNotificationVector) X(EptpIndex) X(HlatPrefixSize) \
    X(LastPidPointerIndex) \
    /* B.1.2 16-bit guest-state fields */ \
    X(GuestEsSelector) X(GuestCsSelector) X(GuestSsSelector) X(GuestDsSelector) X(GuestFsSelector) \
    X(GuestGsSelector) X(GuestLdtrSelector) X(GuestTrSelector) X(GuestInterruptStatus) X(PmlIndex) \
    X(GuestUinv) \
    /* B.1.3 16-bit host-state fields */ \
    X(HostEsSelector) X(HostCsSelector) X(HostSsSelector) X(HostDsSelector) X(HostFsSelector) \
    X(HostGsSelector) X(HostTrSelector) \
    /* B.2.1 64-bit control fields */ \
    X(IoBitmapA) X(IoBitmapB) X(MsrBitmap) X(VmExitMsrStoreAddress) X(VmExitMsrLoadAddress) \
    X(VmEntryMsrLoadAddress) X(ExecutiveVmcsPointer) X(PmlAddress) X(TscOffset) X(VirtualApicAddress) \
    X(ApicAccessAddress) X(PostedInterruptDescriptorAddress) X(VmFunctionControls) X(EptPointer) \
    X(EoiExitBitmap0) X(EoiExitBitmap1) X(EoiExitBitmap2) X(EoiExitBitmap3) X(EptpListAddress) \
    X(VmreadBitmapAddress) X(VmwriteBitmapAddress) X(VirtualizationExceptionInfoAddress) \
    X(XssExitingBitmap) X(EnclsExitingBitmap) X(SubPagePermissionTablePointer) X(TscMultiplier) \
    X(TertiaryProcBasedControls) X(EnclvExitingBitmap) X(LowPasidDirectoryAddress) \
    X(HighPasidDirectoryAddress) X(SharedEptPointer) X(PconfigExitingBitmap) X(HlatPointer) \
    X(PidPointerTableAddress) X(SecondaryVmExitControls) X(Ia32SpecCtrlMask) X(Ia32SpecCtrlShadow) \
    X(InjectedEventData) \
    /* B.2.2 64-bit read-only data fields */ \
    X(GuestPhysicalAddress) X(OriginalEventData) \
    /* B.2.3 64-bit guest-state fields */ \
    X(VmcsLinkPointer) X(GuestIa32Debugctl) X(GuestIa32Pat) X(GuestIa32Efer) X(GuestIa32PerfGlobalCtrl) \
    X(GuestPdpte0) X(GuestPdpte1) X(GuestPdpte2) X(GuestPdpte3) X(GuestIa32Bndcfgs) X(GuestIa32RtitCtl) \
    X(GuestIa32LbrCtl) X(GuestIa32Pkrs) X(GuestIa32FredConfig) X(GuestIa32FredRsp1) X(GuestIa32FredRsp2) \
    X(GuestIa32FredRsp3) X(GuestIa32FredStklvls) X(GuestIa32FredSsp1) X(GuestIa32FredSsp2) \
    X(GuestIa32FredSsp3) \
    /* B.2.4 64-bit host-state fields */ \
    X(HostIa32Pat) X(HostIa32Efer) X(HostIa32PerfGlobalCtrl) X(HostIa32Pkrs) X(HostIa32FredConfig) \
    X(HostIa32FredRsp1) X(HostIa32FredRsp2) X(HostIa32FredRsp3) X(HostIa32FredStklvls) X(HostIa32FredSsp1) \
    X(HostIa32FredSsp2) X(HostIa32FredSsp3) \
    /* B.3.1 32-bit control fields */ \
    X(PinBasedControls) X(ProcBasedControls) X(ExceptionBitmap) X(PageFaultErrorCodeMask) \
    X(PageFaultErrorCodeMatch) X(Cr3TargetCount) X(VmExitControls) X(VmExitMsrStoreCount) \
    X(VmExitMsrLoadCount) X(VmEntryControls) X(VmEntryMsrLoadCount) X(VmEntryInterruptionInfo) \
    X(VmEntryExceptionErrorCode) X(VmEntryInstructionLength) X(TprThreshold) X(SecondaryProcBasedControls) \
    X(PleGap) X(PleWindow) X(InstructionTimeoutControl) \
    /* B.3.2 32-bit read-only data fields */ \
    X(VmInstructionError) X(VmExitReason) X(VmExitInterruptionInfo) X(VmExitInterruptionErrorCode) \
    X(IdtVectoringInfo) X(IdtVectoringErrorCode) X(VmExitInstructionLength) X(VmExitInstructionInfo) \
    /* B.3.3 32-bit guest-state fields */ \
    X(GuestEsLimit) X(GuestCsLimit) X(GuestSsLimit) X(GuestDsLimit) X(GuestFsLimit) X(GuestGsLimit) \
    X(GuestLdtrLimit) X(GuestTrLimit) X(GuestGdtrLimit) X(GuestIdtrLimit) X(GuestEsAccessRights) \
    X(GuestCsAccessRights) X(GuestSsAccessRights) X(GuestDsAccessRights) X(GuestFsAccessRights) \
    X(GuestGsAccessRights) X(GuestLdtrAccessRights) X(GuestTrAccessRights) X(GuestInterruptibilityState) \
    X(GuestActivityState) X(GuestSmbase) X(GuestIa32SysenterCs) X(PreemptionTimerValue) \
    /* B.3.4 32-bit host-state field */ \
    X(HostIa32SysenterCs) \
    /* B.4.1 natural-width control fields */ \
    X(Cr0GuestHostMask) X(Cr4GuestHostMask) X(Cr0ReadShadow) X(Cr4ReadShadow) X(Cr3TargetValue0) \
    X(Cr3TargetValue1) X(Cr3TargetValue2) X(Cr3TargetValue3) \
    /* B.4.2 natural-width read-only data fields */ \
    X(ExitQualification) X(IoRcx) X(IoRsi) X(IoRdi) X(IoRip) X(GuestLinearAddress) \
    /* B.4.3 natural-width guest-state fields */ \
    X(GuestCr0) X(GuestCr3) X(GuestCr4) X(GuestEsBase) X(GuestCsBase) X(GuestSsBase) X(GuestDsBase) \
    X(GuestFsBase) X(GuestGsBase) X(GuestLdtrBase) X(GuestTrBase) X(GuestGdtrBase) X(GuestIdtrBase) \
    X(GuestDr7) X(GuestRsp) X(GuestRip) X(GuestRflags) X(GuestPendingDebugExceptions) \
    X(GuestIa32SysenterEsp) X(GuestIa32SysenterEip) X(GuestIa32SCet) X(GuestSsp) \
    X(GuestIa32InterruptSspTableAddr) \
    /* B.4.4 natural-width host-state fields */ \
    X(HostCr0) X(HostCr3) X(HostCr4) X(HostFsBase) X(HostGsBase) X(HostTrBase) X(HostGdtrBase) \
    X(HostIdtrBase) X(HostIa32SysenterEsp) X(HostIa32SysenterEip) X(HostRsp) X(HostRip) X(HostIa32SCet) \
    X(HostSsp) X(HostIa32InterruptSspTableAddr)

#define BULKHEAD_VMCS_FIELD_ENTRY(field) VmcsField::field,
constexpr VmcsField kAllFields[] = {BULKHEAD_VMCS_FIELDS(BULKHEAD_VMCS_FIELD_ENTRY)};
#undef BULKHEAD_VMCS_FIELD_ENTRY

}  // namespace

const VmcsField* all_vmcs_fields(size_t& count) {
    count = sizeof(kAllFields) / sizeof(kAllFields[0]);
    return kAllFields;
}

const char* vmcs_field_name(VmcsField field) {
#define BULKHEAD_VMCS_FIELD_CASE(name) \
    case VmcsField::name: return #name;
    switch (field) { BULKHEAD_VMCS_FIELDS(BULKHEAD_VMCS_FIELD_CASE) }
#undef BULKHEAD_VMCS_FIELD_CASE
    return "unknown";
}

#undef BULKHEAD_VMCS_FIELDS

const char* to_string(VmInstructionError error) {
    using E = VmInstructionError;
    switch (error) {
        case E::VmcallInVmxRoot: return "VMCALL executed in VMX root operation";
        case E::VmclearInvalidAddress: return "VMCLEAR with invalid physical address";
        case E::VmclearVmxonPointer: return "VMCLEAR with VMXON pointer";
        case E::VmlaunchNonClearVmcs: return "VMLAUNCH with non-clear VMCS";
        case E::VmresumeNonLaunchedVmcs: return "VMRESUME with non-launched VMCS";
        case E::VmresumeAfterVmxoff: return "VMRESUME after VMXOFF";
        case E::EntryInvalidControlFields: return "VM entry with invalid control field(s)";
        case E::EntryInvalidHostStateFields: return "VM entry with invalid host-state field(s)";
        case E::VmptrldInvalidAddress: return "VMPTRLD with invalid physical address";
        case E::VmptrldVmxonPointer: return "VMPTRLD with VMXON pointer";
        case E::VmptrldIncorrectRevision: return "VMPTRLD with incorrect VMCS revision identifier";
        case E::UnsupportedVmcsComponent: return "VMREAD/VMWRITE from/to unsupported VMCS component";
        case E::VmwriteReadOnlyComponent: return "VMWRITE to read-only VMCS component";
        case E::VmxonInVmxRoot: return "VMXON executed in VMX root operation";
        case E::EntryInvalidExecutiveVmcsPointer: return "VM entry with invalid executive-VMCS pointer";
        case E::EntryNonLaunchedExecutiveVmcs: return "VM entry with non-launched executive VMCS";
        case E::EntryExecutiveVmcsPointerNotVmxon: return "VM entry with executive-VMCS pointer not VMXON pointer";
        case E::VmcallNonClearVmcs: return "VMCALL with non-clear VMCS";
        case E::VmcallInvalidExitControls: return "VMCALL with invalid VM-exit control fields";
        case E::VmcallIncorrectMsegRevision: return "VMCALL with incorrect MSEG revision identifier";
        case E::VmxoffUnderDualMonitor: return "VMXOFF under dual-monitor treatment of SMIs and SMM";
        case E::VmcallInvalidSmmMonitorFeatures: return "VMCALL with invalid SMM-monitor features";
        case E::EntryInvalidExecutiveControls:
            return "VM entry with invalid VM-execution control fields in executive VMCS";
        case E::EntryEventsBlockedByMovSs: return "VM entry with events blocked by MOV SS";
        case E::InvalidInveptInvvpidOperand: return "invalid operand to INVEPT/INVVPID";
    }
    return "unknown";
}

const char* to_string(ExitReason reason) {
    using R = ExitReason;
    switch (reason) {
        case R::ExceptionOrNmi: return "exception or NMI";
        case R::ExternalInterrupt: return "external interrupt";
        case R::TripleFault: return "triple fault";
        case R::InitSignal: return "INIT signal";
        case R::Sipi: return "start-up IPI (SIPI)";
        case R::IoSmi: return "I/O SMI";
        case R::OtherSmi: return "other SMI";
        case R::InterruptWindow: return "interrupt window";
        case R::NmiWindow: return "NMI window";
        case R::TaskSwitch: return "task switch";
        case R::Cpuid: return "CPUID";
        case R::Getsec: return "GETSEC";
        case R::Hlt: return "HLT";
        case R::Invd: return "INVD";
        case R::Invlpg: return "INVLPG";
        case R::Rdpmc: return "RDPMC";
        case R::Rdtsc: return "RDTSC";
        case R::Rsm: return "RSM";
        case R::Vmcall: return "VMCALL";
        case R::Vmclear: return "VMCLEAR";
        case R::Vmlaunch: return "VMLAUNCH";
        case R::Vmptrld: return "VMPTRLD";
        case R::Vmptrst: return "VMPTRST";
        case R::Vmread: return "VMREAD";
        case R::Vmresume: return "VMRESUME";
        case R::Vmwrite: return "VMWRITE";
        case R::Vmxoff: return "VMXOFF";
        case R::Vmxon: return "VMXON";
        case R::CrAccess: return "control-register access";
        case R::DrAccess: return "MOV DR";
        case R::IoInstruction: return "I/O instruction";
        case R::Rdmsr: return "RDMSR";
        case R::Wrmsr: return "WRMSR";
        case R::EntryFailInvalidGuestState: return "VM-entry failure due to invalid guest state";
        case R::EntryFailMsrLoading: return "VM-entry failure due to MSR loading";
        case R::Mwait: return "MWAIT";
        case R::MonitorTrapFlag: return "monitor trap flag";
        case R::Monitor: return "MONITOR";
        case R::Pause: return "PAUSE";
        case R::EntryFailMachineCheck: return "VM-entry failure due to machine-check event";
        case R::TprBelowThreshold: return "TPR below threshold";
        case R::ApicAccess: return "APIC access";
        case R::VirtualizedEoi: return "virtualized EOI";
        case R::GdtrIdtrAccess: return "access to GDTR or IDTR";
        case R::LdtrTrAccess: return "access to LDTR or TR";
        case R::EptViolation: return "EPT violation";
        case R::EptMisconfig: return "EPT misconfiguration";
        case R::Invept: return "INVEPT";
        case R::Rdtscp: return "RDTSCP";
        case R::PreemptionTimer: return "VMX-preemption timer expired";
        case R::Invvpid: return "INVVPID";
        case R::Wbinvd: return "WBINVD or WBNOINVD";
        case R::Xsetbv: return "XSETBV";
        case R::ApicWrite: return "APIC write";
        case R::Rdrand: return "RDRAND";
        case R::Invpcid: return "INVPCID";
        case R::Vmfunc: return "VMFUNC";
        case R::Encls: return "ENCLS";
        case R::Rdseed: return "RDSEED";
        case R::PmlFull: return "page-modification log full";
        case R::Xsaves: return "XSAVES";
        case R::Xrstors: return "XRSTORS";
        case R::Pconfig: return "PCONFIG";
        case R::SppEvent: return "SPP-related event";
        case R::Umwait: return "UMWAIT";
        case R::Tpause: return "TPAUSE";
        case R::Loadiwkey: return "LOADIWKEY";
        case R::Enclv: return "ENCLV";
        case R::EnqcmdPasidFailure: return "ENQCMD PASID translation failure";
        case R::EnqcmdsPasidFailure: return "ENQCMDS PASID translation failure";
        case R::BusLock: return "bus lock";
        case R::InstructionTimeout: return "instruction timeout";
        case R::Seamcall: return "SEAMCALL";
        case R::Tdcall: return "TDCALL";
        case R::Rdmsrlist: return "RDMSRLIST";
        case R::Wrmsrlist: return "WRMSRLIST";
        case R::Urdmsr: return "URDMSR";
        case R::Uwrmsr: return "UWRMSR";
        case R::RdmsrImmediate: return "RDMSR with immediate operand";
        case R::WrmsrnsImmediate: return "WRMSRNS with immediate operand";
    }
    return "unknown";
}

}  // namespace bulkhead::x86::vmx
