// probe_vmx() against the MSR values of CPUs that have, and lack, what
// Bulkhead needs. The fake CPU faults on MSRs it does not have, as real ones do.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "arch/x86_64/vmx_capabilities.hpp"

using namespace bulkhead::x86;

namespace {

constexpr uint64_t allowed(uint32_t must_be_one, uint32_t may_be_one) {
    return (uint64_t{may_be_one} << 32) | must_be_one;
}

struct FakeCpu {
    bool vmx = true;
    bool feature_control_writable = true;
    std::map<Msr, uint64_t> msrs;
    int feature_control_writes = 0;

    bool cpuid_has_vmx() { return vmx; }
    bool read_msr(Msr msr, uint64_t& value) {
        auto it = msrs.find(msr);
        if (it == msrs.end()) return false;
        value = it->second;
        return true;
    }
    bool write_msr(Msr msr, uint64_t value) {
        if (msr != Msr::FeatureControl || !feature_control_writable) return false;
        if (FeatureControl{msrs[msr]}.locked()) return false;   // a locked register faults
        ++feature_control_writes;
        msrs[msr] = value;
        return true;
    }
};

constexpr uint64_t kBasicSkylake = 1 | (uint64_t{4096} << 32) | (uint64_t{6} << 50) | (1ull << 55);
constexpr uint64_t kAllEptVpid = EptVpidCapability::kPageWalk4 | EptVpidCapability::kMemoryTypeWriteBack |
                                 EptVpidCapability::kLargePage2M | EptVpidCapability::kLargePage1G |
                                 EptVpidCapability::kInvept | EptVpidCapability::kAccessedDirty |
                                 EptVpidCapability::kInveptSingleContext | EptVpidCapability::kInveptAllContexts |
                                 EptVpidCapability::kInvvpid | EptVpidCapability::kInvvpidSingleContext |
                                 EptVpidCapability::kInvvpidAllContexts;
constexpr uint32_t kSecondaryAll = vmx::proc_based2::kEnableEpt | vmx::proc_based2::kEnableVpid |
                                   vmx::proc_based2::kUnrestrictedGuest;

FakeCpu skylake() {
    FakeCpu cpu;
    cpu.msrs[Msr::FeatureControl] = FeatureControl::kLock | FeatureControl::kVmxOutsideSmx;
    cpu.msrs[Msr::VmxBasic] = kBasicSkylake;
    cpu.msrs[Msr::VmxTruePinbasedCtls] = allowed(0x16, 0x7f);
    cpu.msrs[Msr::VmxTrueProcbasedCtls] = allowed(0x04006172, 0xfff9fffe);
    cpu.msrs[Msr::VmxTrueExitCtls] = allowed(0x00036dfb, 0x003fffff);
    cpu.msrs[Msr::VmxTrueEntryCtls] = allowed(0x000011fb, 0x0000ffff);
    cpu.msrs[Msr::VmxProcbasedCtls2] = allowed(0, kSecondaryAll | vmx::proc_based2::kEnableRdtscp);
    cpu.msrs[Msr::VmxEptVpidCap] = kAllEptVpid;
    cpu.msrs[Msr::VmxMisc] = 5;
    return cpu;
}

}  // namespace

TEST_CASE("a Skylake-like CPU is usable and fully described") {
    FakeCpu cpu = skylake();
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK(caps.usable);
    CHECK(std::string(caps.missing).empty());
    CHECK(caps.feature_control == FeatureControlState::LockedByFirmware);
    CHECK(caps.vmcs_revision == 1);
    CHECK(caps.vmcs_region_size == 4096);
    CHECK(caps.true_controls);
    CHECK((caps.ept && caps.ept_page_walk_4 && caps.ept_write_back && caps.ept_2m && caps.ept_1g));
    CHECK((caps.ept_accessed_dirty && caps.invept && caps.vpid && caps.invvpid && caps.unrestricted_guest));
    CHECK(caps.preemption_timer);
    CHECK(caps.preemption_timer_rate == 5);
    CHECK(cpu.feature_control_writes == 0);
}

TEST_CASE("no VMX in CPUID is named exactly") {
    FakeCpu cpu = skylake();
    cpu.vmx = false;
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK_FALSE(caps.usable);
    CHECK(std::string(caps.missing) == "CPUID.1:ECX.VMX=0");
}

TEST_CASE("an unlocked IA32_FEATURE_CONTROL is enabled and locked, as nested KVM needs") {
    FakeCpu cpu = skylake();
    cpu.msrs[Msr::FeatureControl] = 0;
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK(caps.usable);
    CHECK(caps.feature_control == FeatureControlState::LockedByBulkhead);
    CHECK(cpu.feature_control_writes == 1);
    CHECK(cpu.msrs[Msr::FeatureControl] == (FeatureControl::kLock | FeatureControl::kVmxOutsideSmx));
}

TEST_CASE("firmware that locked VMX off is reported, not overridden") {
    FakeCpu cpu = skylake();
    cpu.msrs[Msr::FeatureControl] = FeatureControl::kLock;
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK_FALSE(caps.usable);
    CHECK(caps.feature_control == FeatureControlState::Disabled);
    CHECK(std::string(caps.missing).find("IA32_FEATURE_CONTROL locked with VMX-outside-SMX=0") == 0);
    CHECK(cpu.feature_control_writes == 0);
}

TEST_CASE("a refused IA32_FEATURE_CONTROL write is reported") {
    FakeCpu cpu = skylake();
    cpu.msrs[Msr::FeatureControl] = 0;
    cpu.feature_control_writable = false;
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK_FALSE(caps.usable);
    CHECK(caps.feature_control == FeatureControlState::Unusable);
}

TEST_CASE("VMX without secondary controls (and so without EPT) is refused without touching absent MSRs") {
    FakeCpu cpu = skylake();
    cpu.msrs[Msr::VmxTrueProcbasedCtls] = allowed(0x04006172, 0x7ff9fffe);
    cpu.msrs.erase(Msr::VmxProcbasedCtls2);
    cpu.msrs.erase(Msr::VmxEptVpidCap);
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK_FALSE(caps.usable);
    CHECK(std::string(caps.missing) == "IA32_VMX_PROCBASED_CTLS.activate-secondary-controls=0 (no EPT)");
}

TEST_CASE("a CPU without EPT (IA32_VMX_EPT_VPID_CAP faulting) is refused naming EPT") {
    FakeCpu cpu = skylake();
    cpu.msrs[Msr::VmxProcbasedCtls2] = allowed(0, vmx::proc_based2::kEnableRdtscp);
    cpu.msrs.erase(Msr::VmxEptVpidCap);
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK_FALSE(caps.usable);
    const std::string missing = caps.missing;
    CHECK(missing.find("IA32_VMX_PROCBASED_CTLS2.EPT=0") != std::string::npos);
    CHECK(missing.find("IA32_VMX_PROCBASED_CTLS2.unrestricted-guest=0") != std::string::npos);
    CHECK(missing.find("IA32_VMX_PROCBASED_CTLS2.VPID=0") != std::string::npos);
}

TEST_CASE("a CPU with EPT but no unrestricted guest is refused naming only that") {
    FakeCpu cpu = skylake();
    cpu.msrs[Msr::VmxProcbasedCtls2] =
        allowed(0, vmx::proc_based2::kEnableEpt | vmx::proc_based2::kEnableVpid);
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK_FALSE(caps.usable);
    CHECK(std::string(caps.missing) == "IA32_VMX_PROCBASED_CTLS2.unrestricted-guest=0");
}

TEST_CASE("EPT without 4-level walks or write-back is refused") {
    FakeCpu cpu = skylake();
    cpu.msrs[Msr::VmxEptVpidCap] = kAllEptVpid & ~(EptVpidCapability::kPageWalk4 | EptVpidCapability::kMemoryTypeWriteBack);
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK_FALSE(caps.usable);
    CHECK(std::string(caps.missing) ==
          "IA32_VMX_EPT_VPID_CAP.page-walk-length-4=0, IA32_VMX_EPT_VPID_CAP.write-back=0");
}

TEST_CASE("without TRUE controls the legacy capability MSRs are read") {
    FakeCpu cpu = skylake();
    cpu.msrs[Msr::VmxBasic] = kBasicSkylake & ~VmxBasic::kTrueControls;
    for (auto [from, to] : {std::pair{Msr::VmxTruePinbasedCtls, Msr::VmxPinbasedCtls},
                            std::pair{Msr::VmxTrueProcbasedCtls, Msr::VmxProcbasedCtls},
                            std::pair{Msr::VmxTrueExitCtls, Msr::VmxExitCtls},
                            std::pair{Msr::VmxTrueEntryCtls, Msr::VmxEntryCtls}}) {
        cpu.msrs[to] = cpu.msrs[from];
        cpu.msrs.erase(from);
    }
    const VmxCapabilities caps = probe_vmx(cpu);
    CHECK(caps.usable);
    CHECK_FALSE(caps.true_controls);
}

TEST_CASE("the missing list never overflows its buffer") {
    VmxCapabilities caps;
    for (int i = 0; i < 100; ++i) note_missing(caps, "IA32_SOMETHING_LONG.requirement-name=0");
    CHECK(std::string(caps.missing).size() == VmxCapabilities::kMissingCapacity - 1);
}
