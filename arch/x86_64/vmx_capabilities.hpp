// What this CPU's VT-x can do, read from CPUID and the VMX capability MSRs
// (Intel SDM Vol. 3D, Appendix A), and whether it is enough for Bulkhead.
//
// probe_vmx() is a template over where the values come from, so the host unit
// tests can feed it the MSR values of CPUs that lack a feature (and MSRs that
// fault when read, as IA32_VMX_EPT_VPID_CAP does on a CPU without EPT).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/vmx_controls.hpp"

namespace bulkhead::x86 {

enum class FeatureControlState : uint8_t {
    NotChecked,
    LockedByFirmware,   // firmware enabled VMX and locked the register
    LockedByBulkhead,   // it was unlocked (nested KVM, some firmware): we enabled and locked it
    Disabled,           // locked with VMX outside SMX off: only firmware setup can change it
    Unusable,           // unreadable, or our write did not take
};
const char* to_string(FeatureControlState state);

struct VmxCapabilities {
    static constexpr size_t kMissingCapacity = 384;
    bool usable = false;
    char missing[kMissingCapacity] = {};   // every missing requirement, comma separated
    FeatureControlState feature_control = FeatureControlState::NotChecked;
    uint32_t vmcs_revision = 0;
    uint32_t vmcs_region_size = 0;
    bool true_controls = false;
    VmxControlCapability pin_based{}, proc_based{}, exit{}, entry{}, proc_based2{};
    EptVpidCapability ept_vpid{};
    bool ept = false, ept_page_walk_4 = false, ept_write_back = false;
    bool ept_2m = false, ept_1g = false, ept_accessed_dirty = false, invept = false;
    bool vpid = false, invvpid = false;
    bool unrestricted_guest = false;
    bool preemption_timer = false;
    unsigned preemption_timer_rate = 0;
};

// Appends one missing requirement to caps.missing (never overflows).
void note_missing(VmxCapabilities& caps, const char* requirement);

// Decoding steps that need no hardware access.
FeatureControlState feature_control_needs(FeatureControl value, bool& must_write);
void decode_basic(VmxCapabilities& caps, VmxBasic basic);
void decode_secondary(VmxCapabilities& caps);
void decode_ept_vpid(VmxCapabilities& caps, bool readable);
void finish_probe(VmxCapabilities& caps);

// Source must provide:
//   bool cpuid_has_vmx();
//   bool read_msr(Msr, uint64_t&);   // false if the MSR faults
//   bool write_msr(Msr, uint64_t);   // false if the write faults
template <class Source>
VmxCapabilities probe_vmx(Source& cpu) {
    VmxCapabilities caps;
    if (!cpu.cpuid_has_vmx()) {
        note_missing(caps, "CPUID.1:ECX.VMX=0");
        return caps;
    }

    uint64_t raw = 0;
    if (!cpu.read_msr(Msr::FeatureControl, raw)) {
        caps.feature_control = FeatureControlState::Unusable;
        note_missing(caps, "IA32_FEATURE_CONTROL unreadable");
        return caps;
    }
    bool must_write = false;
    caps.feature_control = feature_control_needs(FeatureControl{raw}, must_write);
    if (must_write) {
        uint64_t wanted = raw | FeatureControl::kVmxOutsideSmx | FeatureControl::kLock;
        uint64_t after = 0;
        if (!cpu.write_msr(Msr::FeatureControl, wanted) || !cpu.read_msr(Msr::FeatureControl, after) ||
            !FeatureControl{after}.locked() || !FeatureControl{after}.vmx_outside_smx())
            caps.feature_control = FeatureControlState::Unusable;
    }
    if (caps.feature_control == FeatureControlState::Disabled) {
        note_missing(caps, "IA32_FEATURE_CONTROL locked with VMX-outside-SMX=0 (enable VT-x in firmware setup)");
        return caps;
    }
    if (caps.feature_control == FeatureControlState::Unusable) {
        note_missing(caps, "IA32_FEATURE_CONTROL could not be set to enable VMX");
        return caps;
    }

    if (!cpu.read_msr(Msr::VmxBasic, raw)) {
        note_missing(caps, "IA32_VMX_BASIC unreadable");
        return caps;
    }
    decode_basic(caps, VmxBasic{raw});

    const bool t = caps.true_controls;
    uint64_t pin = 0, proc = 0, exit = 0, entry = 0;
    if (!cpu.read_msr(t ? Msr::VmxTruePinbasedCtls : Msr::VmxPinbasedCtls, pin) ||
        !cpu.read_msr(t ? Msr::VmxTrueProcbasedCtls : Msr::VmxProcbasedCtls, proc) ||
        !cpu.read_msr(t ? Msr::VmxTrueExitCtls : Msr::VmxExitCtls, exit) ||
        !cpu.read_msr(t ? Msr::VmxTrueEntryCtls : Msr::VmxEntryCtls, entry)) {
        note_missing(caps, "VMX control capability MSRs unreadable");
        return caps;
    }
    caps.pin_based = {pin};
    caps.proc_based = {proc};
    caps.exit = {exit};
    caps.entry = {entry};

    // IA32_VMX_PROCBASED_CTLS2 exists only when secondary controls may be on.
    if (caps.proc_based.allows(vmx::proc_based::kActivateSecondaryControls) &&
        cpu.read_msr(Msr::VmxProcbasedCtls2, raw)) {
        caps.proc_based2 = {raw};
        decode_secondary(caps);
    }
    // IA32_VMX_EPT_VPID_CAP exists only when EPT or VPID may be on.
    bool cap_readable = false;
    if (caps.ept || caps.vpid) {
        cap_readable = cpu.read_msr(Msr::VmxEptVpidCap, raw);
        caps.ept_vpid = {cap_readable ? raw : 0};
    }
    decode_ept_vpid(caps, cap_readable);

    uint64_t misc = 0;
    if (cpu.read_msr(Msr::VmxMisc, misc))
        caps.preemption_timer_rate = VmxMisc{misc}.preemption_timer_rate();
    finish_probe(caps);
    return caps;
}

}  // namespace bulkhead::x86
