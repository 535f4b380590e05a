#include "vmm/vmx_root.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpuid_bits.hpp"
#include "arch/x86_64/paging.hpp"
#include "arch/x86_64/msr.hpp"
#include "arch/x86_64/vmx_instructions.hpp"
#include "kernel/lib/string.hpp"
#include "kernel/memory.hpp"
#include "kernel/panic.hpp"

namespace bulkhead {

namespace {

// In VMX operation some CR0/CR4 bits must be 1 and some 0 (SDM Vol. 3D,
// A.7-A.8): FIXED0 lists the ones, FIXED1 the bits allowed to be 1.
uint64_t apply_fixed_bits(uint64_t value, x86::Msr fixed0, x86::Msr fixed1) {
    return (value | x86::read_msr(fixed0)) & x86::read_msr(fixed1);
}

}  // namespace

uint64_t allocate_vmx_region(const x86::VmxCapabilities& caps) {
    uint64_t phys = 0;
    if (!frame_allocator().allocate(phys)) panic("out of memory for a VMX region");
    memset(reinterpret_cast<void*>(phys), 0, x86::kPageSize4K);
    *reinterpret_cast<uint32_t*>(phys) = caps.vmcs_revision;
    return phys;
}

bool enter_vmx_root(uint64_t region) {
    // CR4.OSXSAVE lets the hypervisor load a guest's XCR0 (XSETBV exits and
    // partition switches); the hypervisor itself never uses extended state.
    const bool xsave = (x86::cpuid(x86::cpuid_bits::kLeafFeatures).ecx & x86::cpuid_bits::kFeaturesEcxXsave) != 0;
    const uint64_t cr4 = x86::read_cr4() | x86::cr4::kVmxEnable | (xsave ? x86::cr4::kOsxsave : 0);
    x86::write_cr0(apply_fixed_bits(x86::read_cr0(), x86::Msr::VmxCr0Fixed0, x86::Msr::VmxCr0Fixed1));
    x86::write_cr4(apply_fixed_bits(cr4, x86::Msr::VmxCr4Fixed0, x86::Msr::VmxCr4Fixed1));
    return x86::vmx::vmxon(region) == x86::vmx::VmxResult::Ok;
}

}  // namespace bulkhead
