#include "vmm/vmcs_setup.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/descriptors.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/segment_access.hpp"
#include "arch/x86_64/vmx_controls.hpp"
#include "arch/x86_64/vmx_instructions.hpp"
#include "kernel/log.hpp"
#include "kernel/panic.hpp"
#include "vmm/partition.hpp"
#include "vmm/vmcs.hpp"

extern "C" char vmx_exit[];   // vmm/vmx_entry.S: where every VM exit lands

namespace bulkhead {

namespace {

using x86::vmx::VmcsField;
namespace ctl = x86::vmx;
namespace seg = x86::segment;

static_assert(x86::vmx::encoding_of(VmcsField::HostRsp) == VMCS_HOST_RSP, "vmm/vmx_entry.S writes HOST_RSP by number");

VmxControls g_controls;

// What Bulkhead needs from each control field, and what it takes if offered.
constexpr uint32_t kPinRequired = ctl::pin_based::kExternalInterruptExiting | ctl::pin_based::kNmiExiting;
// The VMX-preemption timer ends a partition's time slice even if the guest
// never exits on its own (a spin loop with interrupts off).
constexpr uint32_t kPinOptional = ctl::pin_based::kVirtualNmis | ctl::pin_based::kPreemptionTimer;
constexpr uint32_t kProcRequired = ctl::proc_based::kHltExiting | ctl::proc_based::kMwaitExiting |
                                   ctl::proc_based::kMonitorExiting | ctl::proc_based::kUseIoBitmaps |
                                   ctl::proc_based::kUseMsrBitmaps | ctl::proc_based::kActivateSecondaryControls;
// Turned on and off while partitions run (vmm/vcpu_events.cpp), so it is
// checked to be available but not part of the standing value.
constexpr uint32_t kProcAvailable = ctl::proc_based::kInterruptWindowExiting;
constexpr uint32_t kProc2Required =
    ctl::proc_based2::kEnableEpt | ctl::proc_based2::kEnableVpid | ctl::proc_based2::kUnrestrictedGuest;
// Without these enabled, the instructions #UD in the guest; the CPUID handler
// hides whatever this CPU cannot enable.
constexpr uint32_t kProc2Optional =
    ctl::proc_based2::kEnableRdtscp | ctl::proc_based2::kEnableInvpcid | ctl::proc_based2::kEnableXsaves;
constexpr uint32_t kExitRequired = ctl::exit_ctl::kHostAddressSpaceSize | ctl::exit_ctl::kSaveEfer |
                                   ctl::exit_ctl::kLoadEfer | ctl::exit_ctl::kSavePat | ctl::exit_ctl::kLoadPat |
                                   ctl::exit_ctl::kAcknowledgeInterruptOnExit;
constexpr uint32_t kEntryRequired = ctl::entry_ctl::kLoadEfer | ctl::entry_ctl::kLoadPat;

// Architectural reset values (SDM Vol. 3A, 9.1.1 and 11.12.4).
constexpr uint64_t kRflagsReserved1 = 1ull << 1;
constexpr uint64_t kDr7Reset = 0x400;
constexpr uint64_t kPatReset = 0x0007040600070406ull;
constexpr uint64_t kVmcsLinkNone = ~0ull;
constexpr uint32_t kRealModeIdtLimit = 0x3ff;

uint32_t adjust(ctl::ControlField field, x86::VmxControlCapability cap, uint32_t required, uint32_t optional,
                bool& ok) {
    const ctl::ControlValue v = ctl::adjust_controls(cap.must_be_one(), cap.may_be_one(), required, optional);
    if (v.missing != 0) {
        char names[256];
        ctl::describe_missing_controls(field, v.missing, names, sizeof names);
        log_error("VT-x unavailable: %s controls missing: %s", ctl::to_string(field), names);
        ok = false;
    }
    return v.value;
}

struct SegmentState {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;
    uint32_t access_rights;
};

struct SegmentFields {
    VmcsField selector, base, limit, access_rights;
};

constexpr SegmentFields kEs{VmcsField::GuestEsSelector, VmcsField::GuestEsBase, VmcsField::GuestEsLimit,
                            VmcsField::GuestEsAccessRights};
constexpr SegmentFields kCs{VmcsField::GuestCsSelector, VmcsField::GuestCsBase, VmcsField::GuestCsLimit,
                            VmcsField::GuestCsAccessRights};
constexpr SegmentFields kSs{VmcsField::GuestSsSelector, VmcsField::GuestSsBase, VmcsField::GuestSsLimit,
                            VmcsField::GuestSsAccessRights};
constexpr SegmentFields kDs{VmcsField::GuestDsSelector, VmcsField::GuestDsBase, VmcsField::GuestDsLimit,
                            VmcsField::GuestDsAccessRights};
constexpr SegmentFields kFs{VmcsField::GuestFsSelector, VmcsField::GuestFsBase, VmcsField::GuestFsLimit,
                            VmcsField::GuestFsAccessRights};
constexpr SegmentFields kGs{VmcsField::GuestGsSelector, VmcsField::GuestGsBase, VmcsField::GuestGsLimit,
                            VmcsField::GuestGsAccessRights};
constexpr SegmentFields kLdtr{VmcsField::GuestLdtrSelector, VmcsField::GuestLdtrBase, VmcsField::GuestLdtrLimit,
                              VmcsField::GuestLdtrAccessRights};
constexpr SegmentFields kTr{VmcsField::GuestTrSelector, VmcsField::GuestTrBase, VmcsField::GuestTrLimit,
                            VmcsField::GuestTrAccessRights};

void write_segment(const SegmentFields& f, const SegmentState& s) {
    vmcs::write(f.selector, s.selector);
    vmcs::write(f.base, s.base);
    vmcs::write(f.limit, s.limit);
    vmcs::write(f.access_rights, s.access_rights);
}

// The code and data segments a guest starts with, for each entry mode.
void write_guest_segments(const GuestEntryState& e) {
    SegmentState code{}, data{};
    switch (e.mode) {
        case EntryMode::Long64:
            code = {e.cs, 0, seg::kFlatLimit, seg::kCode64};
            data = {e.ds_ss, 0, seg::kFlatLimit, seg::kData32};
            break;
        case EntryMode::Protected32:
            code = {e.cs, 0, seg::kFlatLimit, seg::kCode32};
            data = {e.ds_ss, 0, seg::kFlatLimit, seg::kData32};
            break;
        case EntryMode::Real16:
            code = {e.cs, uint64_t{e.cs} << seg::kRealModeBaseShift, seg::kRealModeLimit, seg::kCode16};
            data = {e.ds_ss, uint64_t{e.ds_ss} << seg::kRealModeBaseShift, seg::kRealModeLimit, seg::kData16};
            break;
    }
    write_segment(kCs, code);
    const SegmentFields* data_segments[] = {&kDs, &kEs, &kSs, &kFs, &kGs};
    for (const SegmentFields* f : data_segments) write_segment(*f, data);
    write_segment(kLdtr, {0, 0, 0, seg::kLdtUnusable});
    // VM entry insists on a busy TSS in TR even for a guest that never uses one.
    write_segment(kTr, {0, 0, seg::kRealModeLimit, seg::kBusyTss});
}

void write_controls(const Partition& p, const GuestEntryState& e) {
    const VmxControls& c = g_controls;
    vmcs::write(VmcsField::PinBasedControls, c.pin_based);
    vmcs::write(VmcsField::ProcBasedControls, c.proc_based);
    vmcs::write(VmcsField::SecondaryProcBasedControls, c.proc_based2);
    vmcs::write(VmcsField::VmExitControls, c.exit);
    const bool long_mode = e.mode == EntryMode::Long64;
    vmcs::write(VmcsField::VmEntryControls, c.entry | (long_mode ? ctl::entry_ctl::kIa32eModeGuest : 0));
    vmcs::write(VmcsField::ExceptionBitmap, 0);   // the guest handles its own exceptions
    vmcs::write(VmcsField::IoBitmapA, p.io_bitmaps);
    vmcs::write(VmcsField::IoBitmapB, p.io_bitmaps + x86::kPageSize4K);
    vmcs::write(VmcsField::MsrBitmap, p.msr_bitmap);
    vmcs::write(VmcsField::EptPointer, p.eptp);
    vmcs::write(VmcsField::VirtualProcessorId, p.vpid);
    vmcs::write(VmcsField::VmcsLinkPointer, kVmcsLinkNone);

    // Bits VMX fixes are owned by the hypervisor: the guest reads its own
    // value from the shadow, and a write that changes them exits.
    const uint64_t cr0_owned = (c.cr0_fixed0 & ~(x86::cr0::kProtectionEnable | x86::cr0::kPaging)) | ~c.cr0_fixed1;
    const uint64_t cr4_owned = c.cr4_fixed0 | ~c.cr4_fixed1;
    vmcs::write(VmcsField::Cr0GuestHostMask, cr0_owned);
    vmcs::write(VmcsField::Cr4GuestHostMask, cr4_owned);
    vmcs::write(VmcsField::Cr0ReadShadow, e.cr0);
    vmcs::write(VmcsField::Cr4ReadShadow, e.cr4);
}

}  // namespace

void write_host_state() {
    vmcs::write(VmcsField::HostCr0, x86::read_cr0());
    vmcs::write(VmcsField::HostCr3, x86::read_cr3());
    vmcs::write(VmcsField::HostCr4, x86::read_cr4());
    vmcs::write(VmcsField::HostCsSelector, x86::kKernelCodeSelector);
    const VmcsField data_selectors[] = {VmcsField::HostSsSelector, VmcsField::HostDsSelector,
                                        VmcsField::HostEsSelector, VmcsField::HostFsSelector,
                                        VmcsField::HostGsSelector};
    for (VmcsField f : data_selectors) vmcs::write(f, x86::kKernelDataSelector);
    vmcs::write(VmcsField::HostTrSelector, x86::kTssSelector);
    vmcs::write(VmcsField::HostFsBase, 0);
    vmcs::write(VmcsField::HostGsBase, 0);
    vmcs::write(VmcsField::HostTrBase, x86::host_tss_base());
    vmcs::write(VmcsField::HostGdtrBase, x86::host_gdt_base());
    vmcs::write(VmcsField::HostIdtrBase, x86::host_idt_base());
    vmcs::write(VmcsField::HostIa32SysenterCs, 0);
    vmcs::write(VmcsField::HostIa32SysenterEsp, 0);
    vmcs::write(VmcsField::HostIa32SysenterEip, 0);
    vmcs::write(VmcsField::HostIa32Efer, x86::read_msr(x86::Msr::Efer));
    vmcs::write(VmcsField::HostIa32Pat, x86::read_msr(x86::Msr::Pat));
    vmcs::write(VmcsField::HostRip, reinterpret_cast<uint64_t>(vmx_exit));
}

namespace {

void write_guest_state(const GuestEntryState& e) {
    write_guest_segments(e);
    vmcs::write(VmcsField::GuestCr0, real_guest_cr0(e.cr0));
    vmcs::write(VmcsField::GuestCr3, e.cr3);
    vmcs::write(VmcsField::GuestCr4, real_guest_cr4(e.cr4));
    vmcs::write(VmcsField::GuestDr7, kDr7Reset);
    vmcs::write(VmcsField::GuestRsp, e.rsp);
    vmcs::write(VmcsField::GuestRip, e.rip);
    vmcs::write(VmcsField::GuestRflags, kRflagsReserved1);
    vmcs::write(VmcsField::GuestGdtrBase, e.gdt_base);
    vmcs::write(VmcsField::GuestGdtrLimit, e.gdt_limit);
    vmcs::write(VmcsField::GuestIdtrBase, 0);
    vmcs::write(VmcsField::GuestIdtrLimit, e.mode == EntryMode::Real16 ? kRealModeIdtLimit : 0);
    vmcs::write(VmcsField::GuestIa32Debugctl, 0);
    vmcs::write(VmcsField::GuestIa32Efer, e.efer);
    vmcs::write(VmcsField::GuestIa32Pat, kPatReset);
    vmcs::write(VmcsField::GuestIa32SysenterCs, 0);
    vmcs::write(VmcsField::GuestIa32SysenterEsp, 0);
    vmcs::write(VmcsField::GuestIa32SysenterEip, 0);
    vmcs::write(VmcsField::GuestActivityState, 0);
    vmcs::write(VmcsField::GuestInterruptibilityState, 0);
    vmcs::write(VmcsField::GuestPendingDebugExceptions, 0);
}

}  // namespace

const VmxControls& compute_vmx_controls(const x86::VmxCapabilities& caps) {
    bool ok = true;
    g_controls.pin_based = adjust(ctl::ControlField::PinBased, caps.pin_based, kPinRequired, kPinOptional, ok);
    g_controls.proc_based = adjust(ctl::ControlField::ProcBased, caps.proc_based, kProcRequired, 0, ok);
    adjust(ctl::ControlField::ProcBased, caps.proc_based, kProcAvailable, 0, ok);
    g_controls.proc_based2 =
        adjust(ctl::ControlField::ProcBased2, caps.proc_based2, kProc2Required, kProc2Optional, ok);
    // Saving the timer on exit lets a slice continue across exits instead of
    // starting again at every VM entry.
    g_controls.exit = adjust(ctl::ControlField::Exit, caps.exit, kExitRequired, ctl::exit_ctl::kSavePreemptionTimer, ok);
    g_controls.entry = adjust(ctl::ControlField::Entry, caps.entry, kEntryRequired, 0, ok);
    g_controls.cr0_fixed0 = x86::read_msr(x86::Msr::VmxCr0Fixed0);
    g_controls.cr0_fixed1 = x86::read_msr(x86::Msr::VmxCr0Fixed1);
    g_controls.cr4_fixed0 = x86::read_msr(x86::Msr::VmxCr4Fixed0);
    g_controls.cr4_fixed1 = x86::read_msr(x86::Msr::VmxCr4Fixed1);
    if (!ok) end_run(RunStatus::VmxUnavailable);
    log_info("vmx: controls pin %#x, primary %#x, secondary %#x, exit %#x, entry %#x", g_controls.pin_based,
             g_controls.proc_based, g_controls.proc_based2, g_controls.exit, g_controls.entry);
    return g_controls;
}

const VmxControls& vmx_controls() { return g_controls; }

bool preemption_timer_enabled() { return (g_controls.pin_based & ctl::pin_based::kPreemptionTimer) != 0; }
bool preemption_timer_saved_on_exit() { return (g_controls.exit & ctl::exit_ctl::kSavePreemptionTimer) != 0; }

uint64_t real_guest_cr0(uint64_t guest_value) {
    const uint64_t guest_chooses = x86::cr0::kProtectionEnable | x86::cr0::kPaging;
    return (guest_value | (g_controls.cr0_fixed0 & ~guest_chooses)) & g_controls.cr0_fixed1;
}

uint64_t real_guest_cr4(uint64_t guest_value) {
    return (guest_value | g_controls.cr4_fixed0) & g_controls.cr4_fixed1;
}

void setup_vmcs(Partition& p, const GuestEntryState& entry) {
    if (x86::vmx::vmclear(p.vmcs) != x86::vmx::VmxResult::Ok || x86::vmx::vmptrld(p.vmcs) != x86::vmx::VmxResult::Ok)
        panic("VMCLEAR/VMPTRLD of a partition's VMCS failed");
    write_controls(p, entry);
    write_host_state();
    write_guest_state(entry);
    p.vcpu.launched = false;
}

}  // namespace bulkhead
