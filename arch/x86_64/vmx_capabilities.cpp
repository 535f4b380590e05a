#include "arch/x86_64/vmx_capabilities.hpp"

#include "kernel/lib/string.hpp"

namespace bulkhead::x86 {

const char* to_string(FeatureControlState state) {
    switch (state) {
        case FeatureControlState::NotChecked: return "not checked";
        case FeatureControlState::LockedByFirmware: return "locked by firmware, VMX enabled";
        case FeatureControlState::LockedByBulkhead: return "was unlocked, enabled and locked by Bulkhead";
        case FeatureControlState::Disabled: return "locked by firmware, VMX disabled";
        case FeatureControlState::Unusable: return "unusable";
    }
    return "?";
}

namespace {
void append(char* buffer, size_t capacity, const char* text) {
    size_t at = bounded_strlen(buffer, capacity);
    for (; *text != '\0' && at + 1 < capacity; ++text) buffer[at++] = *text;
    buffer[at] = '\0';
}
}  // namespace

void note_missing(VmxCapabilities& caps, const char* requirement) {
    if (caps.missing[0] != '\0') append(caps.missing, VmxCapabilities::kMissingCapacity, ", ");
    append(caps.missing, VmxCapabilities::kMissingCapacity, requirement);
}

FeatureControlState feature_control_needs(FeatureControl value, bool& must_write) {
    must_write = false;
    if (value.locked())
        return value.vmx_outside_smx() ? FeatureControlState::LockedByFirmware : FeatureControlState::Disabled;
    // Unlocked: firmware left the decision to us (nested KVM does this). We
    // enable VMX outside SMX and lock, as firmware would have.
    must_write = true;
    return FeatureControlState::LockedByBulkhead;
}

void decode_basic(VmxCapabilities& caps, VmxBasic basic) {
    caps.vmcs_revision = basic.revision_id();
    caps.vmcs_region_size = basic.region_size();
    caps.true_controls = basic.has_true_controls();
    if (basic.memory_type() != VmxBasic::kMemoryTypeWriteBack)
        note_missing(caps, "IA32_VMX_BASIC.memory-type is not write-back");
}

void decode_secondary(VmxCapabilities& caps) {
    caps.ept = caps.proc_based2.allows(vmx::proc_based2::kEnableEpt);
    caps.vpid = caps.proc_based2.allows(vmx::proc_based2::kEnableVpid);
    caps.unrestricted_guest = caps.proc_based2.allows(vmx::proc_based2::kUnrestrictedGuest);
}

void decode_ept_vpid(VmxCapabilities& caps, bool readable) {
    const EptVpidCapability c = caps.ept_vpid;
    if (caps.ept && readable) {
        caps.ept_page_walk_4 = c.has(EptVpidCapability::kPageWalk4);
        caps.ept_write_back = c.has(EptVpidCapability::kMemoryTypeWriteBack);
        caps.ept_2m = c.has(EptVpidCapability::kLargePage2M);
        caps.ept_1g = c.has(EptVpidCapability::kLargePage1G);
        caps.ept_accessed_dirty = c.has(EptVpidCapability::kAccessedDirty);
        caps.invept = c.has(EptVpidCapability::kInvept) &&
                      (c.has(EptVpidCapability::kInveptSingleContext) || c.has(EptVpidCapability::kInveptAllContexts));
    }
    if (caps.vpid && readable)
        caps.invvpid = c.has(EptVpidCapability::kInvvpid) &&
                       (c.has(EptVpidCapability::kInvvpidSingleContext) || c.has(EptVpidCapability::kInvvpidAllContexts));
}

// Names every requirement the next layers (VMCS set-up, EPT, VPID) rely on.
void finish_probe(VmxCapabilities& caps) {
    caps.preemption_timer = caps.pin_based.allows(vmx::pin_based::kPreemptionTimer);
    if (!caps.exit.allows(vmx::exit_ctl::kHostAddressSpaceSize))
        note_missing(caps, "IA32_VMX_EXIT_CTLS.host-address-space-size=0");
    if (!caps.proc_based.allows(vmx::proc_based::kActivateSecondaryControls)) {
        note_missing(caps, "IA32_VMX_PROCBASED_CTLS.activate-secondary-controls=0 (no EPT)");
    } else {
        if (!caps.ept) note_missing(caps, "IA32_VMX_PROCBASED_CTLS2.EPT=0");
        if (!caps.unrestricted_guest) note_missing(caps, "IA32_VMX_PROCBASED_CTLS2.unrestricted-guest=0");
        if (!caps.vpid) note_missing(caps, "IA32_VMX_PROCBASED_CTLS2.VPID=0");
    }
    if (caps.ept) {
        if (!caps.ept_page_walk_4) note_missing(caps, "IA32_VMX_EPT_VPID_CAP.page-walk-length-4=0");
        if (!caps.ept_write_back) note_missing(caps, "IA32_VMX_EPT_VPID_CAP.write-back=0");
        if (!caps.invept) note_missing(caps, "IA32_VMX_EPT_VPID_CAP.INVEPT=0");
    }
    if (caps.vpid && !caps.invvpid) note_missing(caps, "IA32_VMX_EPT_VPID_CAP.INVVPID=0");
    caps.usable = caps.missing[0] == '\0';
}

}  // namespace bulkhead::x86
