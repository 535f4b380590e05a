#include "kernel/cpu_check.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"
#include "arch/x86_64/msr.hpp"
#include "kernel/lib/string.hpp"
#include "kernel/log.hpp"
#include "kernel/run_end.hpp"

namespace bulkhead {

namespace {

namespace bits = x86::cpuid_bits;

x86::VmxCapabilities g_caps;

// The real CPU as a source for probe_vmx().
struct HardwareVmxSource {
    bool cpuid_has_vmx() { return (x86::cpuid(bits::kLeafFeatures).ecx & bits::kFeaturesEcxVmx) != 0; }
    bool read_msr(x86::Msr msr, uint64_t& value) { return x86::read_msr_safe(msr, value); }
    bool write_msr(x86::Msr msr, uint64_t value) { return x86::write_msr_safe(msr, value); }
};

struct CpuIdentity {
    char vendor[13];
    char brand[49];
    uint32_t family, model, stepping;
};

CpuIdentity identify_cpu() {
    CpuIdentity id{};
    const x86::CpuidResult v = x86::cpuid(bits::kLeafVendor);
    memcpy(id.vendor + 0, &v.ebx, 4);
    memcpy(id.vendor + 4, &v.edx, 4);
    memcpy(id.vendor + 8, &v.ecx, 4);

    const uint32_t eax = x86::cpuid(bits::kLeafFeatures).eax;
    id.stepping = (eax >> bits::kSteppingShift) & bits::kNibble;
    id.model = (eax >> bits::kModelShift) & bits::kNibble;
    id.family = (eax >> bits::kFamilyShift) & bits::kNibble;
    if (id.family == bits::kFamilyUsingExtensions || id.family == bits::kFamilyUsingExtendedModel)
        id.model |= ((eax >> bits::kExtModelShift) & bits::kNibble) << 4;
    if (id.family == bits::kFamilyUsingExtensions) id.family += (eax >> bits::kExtFamilyShift) & bits::kExtFamilyMask;

    if (x86::cpuid(bits::kLeafExtendedMax).eax >= bits::kLeafBrandLast) {
        for (uint32_t leaf = bits::kLeafBrandFirst; leaf <= bits::kLeafBrandLast; ++leaf) {
            const x86::CpuidResult r = x86::cpuid(leaf);
            memcpy(id.brand + (leaf - bits::kLeafBrandFirst) * 16, &r, 16);
        }
    }
    return id;
}

const char* yes_no(bool value) { return value ? "yes" : "no"; }

void print_summary(const x86::VmxCapabilities& c) {
    log_info("vmx: IA32_FEATURE_CONTROL %s; VMCS revision %#x, %u-byte regions, %s controls",
             x86::to_string(c.feature_control), c.vmcs_revision, c.vmcs_region_size,
             c.true_controls ? "TRUE" : "legacy");
    log_info("vmx: EPT %s (4-level %s, write-back %s, 2M %s, 1G %s, A/D %s, INVEPT %s)", yes_no(c.ept),
             yes_no(c.ept_page_walk_4), yes_no(c.ept_write_back), yes_no(c.ept_2m), yes_no(c.ept_1g),
             yes_no(c.ept_accessed_dirty), yes_no(c.invept));
    log_info("vmx: VPID %s (INVVPID %s), unrestricted guest %s, preemption timer %s (rate 2^%u)", yes_no(c.vpid),
             yes_no(c.invvpid), yes_no(c.unrestricted_guest), yes_no(c.preemption_timer), c.preemption_timer_rate);
}

}  // namespace

const x86::VmxCapabilities& check_cpu() {
    const CpuIdentity id = identify_cpu();
    log_info("cpu: %s family %#x model %#x stepping %u \"%s\"", id.vendor, id.family, id.model, id.stepping,
             id.brand);

    HardwareVmxSource source;
    g_caps = x86::probe_vmx(source);
    if (g_caps.vmcs_revision != 0) print_summary(g_caps);
    if (!g_caps.usable) {
        log_error("VT-x unavailable: %s", g_caps.missing);
        end_run(RunStatus::VmxUnavailable);
    }
    log_info("VT-x ready: EPT, VPID and unrestricted guest available");
    return g_caps;
}

}  // namespace bulkhead
