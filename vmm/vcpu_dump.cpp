// Printing a vCPU's state (vmm/vcpu_dump.hpp).
#include "vmm/vcpu_dump.hpp"

#include "arch/x86_64/register_names.hpp"
#include "arch/x86_64/vmx_instructions.hpp"
#include "kernel/format.hpp"
#include "kernel/log.hpp"
#include "vmm/partition.hpp"
#include "vmm/vmcs.hpp"

namespace bulkhead {

namespace {

using x86::vmx::FieldAccess;
using x86::vmx::FieldType;
using x86::vmx::VmcsField;

constexpr size_t kGprsPerLine = 4;
constexpr size_t kFieldsPerLine = 3;

void print_registers(const Partition& p) {
    const GuestRegisters& r = p.vcpu.registers;
    char line[160];
    for (size_t first = 0; first < kGprCount; first += kGprsPerLine) {
        size_t used = 0;
        for (size_t i = first; i < first + kGprsPerLine; ++i) {
            const auto gpr = static_cast<Gpr>(i);
            // RSP lives in the VMCS (GuestRsp below), not in the saved registers.
            const uint64_t value = gpr == Gpr::Rsp ? vmcs::read(VmcsField::GuestRsp) : r[gpr];
            used += format(line + used, sizeof line - used, "%s%-3s=%016lx", i == first ? "" : " ", x86::gpr_name(gpr),
                           value);
        }
        log_info("vcpu '%s': %s", p.config.name, line);
    }
}

// The flag registers get their set bits by name.
bool decoded_flags(VmcsField field, x86::BitNames& names) {
    switch (field) {
        case VmcsField::GuestCr0: names = x86::cr0_bit_names(); return true;
        case VmcsField::GuestCr4: names = x86::cr4_bit_names(); return true;
        case VmcsField::GuestIa32Efer: names = x86::efer_bit_names(); return true;
        case VmcsField::GuestRflags: names = x86::rflags_bit_names(); return true;
        default: return false;
    }
}

void print_flag_field(const Partition& p, VmcsField field, uint64_t value, x86::BitNames names) {
    char flags[192];
    x86::format_flags(value, names, flags, sizeof flags);
    log_info("vcpu '%s': %s=%#lx [%s]", p.config.name, x86::vmx::vmcs_field_name(field), value, flags);
}

// Every guest-state field this CPU has, in encoding order (16-bit, 64-bit,
// 32-bit, natural width), a few per line.
void print_guest_state_area(const Partition& p) {
    size_t count = 0;
    const VmcsField* fields = x86::vmx::all_vmcs_fields(count);
    char line[224];
    size_t used = 0, on_line = 0;
    auto flush = [&] {
        if (on_line != 0) log_info("vcpu '%s': %s", p.config.name, line);
        used = on_line = 0;
    };
    for (size_t i = 0; i < count; ++i) {
        const VmcsField field = fields[i];
        if (x86::vmx::type_of(field) != FieldType::GuestState || x86::vmx::access_of(field) == FieldAccess::High)
            continue;
        uint64_t value = 0;
        if (!vmcs::try_read(field, value)) continue;   // a field this CPU does not have
        x86::BitNames names{};
        if (decoded_flags(field, names)) {
            print_flag_field(p, field, value, names);
            continue;
        }
        used += format(line + used, sizeof line - used, "%s%s=%#lx", on_line ? "  " : "",
                       x86::vmx::vmcs_field_name(field), value);
        if (++on_line == kFieldsPerLine) flush();
    }
    flush();
}

}  // namespace

void print_vcpu_state(Partition& p) {
    if (x86::vmx::vmptrld(p.vmcs) != x86::vmx::VmxResult::Ok) {
        log_error("vcpu '%s': its VMCS cannot be loaded", p.config.name);
        return;
    }
    log_info("vcpu '%s': %s, CPU %u, %lu exits; registers, then the VMCS guest-state area:", p.config.name,
             to_string(p.state), p.config.cpu, p.counters.total);
    print_registers(p);
    print_guest_state_area(p);
    // What the guest reads from CR0 and CR4 (the bits the hypervisor owns are shadowed).
    log_info("vcpu '%s': cr0 read shadow=%#lx  cr4 read shadow=%#lx", p.config.name,
             vmcs::read(VmcsField::Cr0ReadShadow), vmcs::read(VmcsField::Cr4ReadShadow));
}

}  // namespace bulkhead
