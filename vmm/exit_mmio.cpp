// EPT violations (exit reason 48): either an access to one of the emulated
// devices' register pages, or an access outside the partition.
//
// A partition's EPT maps its memory and nothing else. The local APIC page
// (0xfee00000) and the I/O APIC page (0xfec00000) are deliberately left out,
// so each access to them exits here, as in Jailhouse and ACRN. The exit says
// where (the guest-physical address) and whether it was a read or a write,
// but not what was moved: that is in the instruction, so it is fetched from
// guest memory through the guest's own page tables, decoded
// (vmm/mmio_instruction.hpp), carried out on the device model, and stepped
// over. Any other violation is an access outside the partition: a bug or an
// attack, and the partition is stopped.
#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/segment_access.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/guest_acpi.hpp"
#include "vmm/guest_page_walk.hpp"
#include "vmm/mmio_instruction.hpp"
#include "vmm/partition.hpp"
#include "vmm/vmcs.hpp"

namespace bulkhead {

namespace {

using x86::vmx::VmcsField;

// The device registers are 32 bits wide; Linux (readl/writel) and every
// other driver access them that way.
constexpr unsigned kRegisterBytes = 4;

GuestPagingState guest_paging() {
    const bool paging = (vmcs::read(VmcsField::GuestCr0) & x86::cr0::kPaging) != 0;
    const bool long_mode = (vmcs::read(VmcsField::GuestIa32Efer) & x86::efer::kLongModeActive) != 0;
    return {paging, long_mode, vmcs::read(VmcsField::GuestCr3)};
}

// The instruction bytes at the guest's CS:RIP: up to the longest x86
// instruction, fewer if its page is the last one mapped (the decoder then
// says whether what it got is enough).
size_t fetch_instruction(const Partition& p, bool long_mode, uint8_t (&bytes)[kMaxInstructionLength]) {
    const uint64_t cs_base = long_mode ? 0 : vmcs::read(VmcsField::GuestCsBase);
    const uint64_t linear = cs_base + vmcs::read(VmcsField::GuestRip);
    const GuestPagingState paging = guest_paging();
    if (read_linear(p.memory(), paging, linear, bytes, kMaxInstructionLength) == WalkError::None)
        return kMaxInstructionLength;
    const WalkResult first = translate_linear(p.memory(), paging, linear);
    if (first.error != WalkError::None || first.bytes_left_in_page >= kMaxInstructionLength) return 0;
    const size_t length = static_cast<size_t>(first.bytes_left_in_page);
    return read_linear(p.memory(), paging, linear, bytes, length) == WalkError::None ? length : 0;
}

uint64_t read_gpr(const GuestRegisters& regs, unsigned index) {
    return index == static_cast<unsigned>(Gpr::Rsp) ? vmcs::read(VmcsField::GuestRsp) : regs.gpr[index];
}

void write_gpr(GuestRegisters& regs, unsigned index, uint64_t value) {
    if (index == static_cast<unsigned>(Gpr::Rsp))
        vmcs::write(VmcsField::GuestRsp, value);
    else
        regs.gpr[index] = value;
}

const char* device_name(uint64_t gpa) { return gpa >= kGuestLocalApicAddress ? "local APIC" : "I/O APIC"; }

// Carries out the decoded instruction on the device register at `gpa`.
ExitAction perform(ExitContext& exit, uint64_t gpa, const MmioInstruction& insn) {
    Partition& p = exit.partition;
    const uint64_t now = x86::read_tsc();
    uint32_t old_value = 0;
    const bool reads = insn.access == MmioAccess::Load || insn.access == MmioAccess::Exchange;
    if (reads) device_read(p, gpa, now, old_value);
    switch (insn.access) {
        case MmioAccess::Load: {
            const uint64_t merged = merge_loaded_value(read_gpr(exit.registers, insn.register_index), old_value, insn);
            write_gpr(exit.registers, insn.register_index, merged);
            break;
        }
        case MmioAccess::Store:
        case MmioAccess::StoreImmediate:
            device_write(p, gpa, static_cast<uint32_t>(stored_value(read_gpr(exit.registers, insn.register_index), insn)),
                         now);
            break;
        case MmioAccess::Exchange:
            device_write(p, gpa, static_cast<uint32_t>(stored_value(read_gpr(exit.registers, insn.register_index), insn)),
                         now);
            write_gpr(exit.registers, insn.register_index,
                      merge_loaded_value(read_gpr(exit.registers, insn.register_index), old_value, insn));
            break;
    }
    ++p.counters.emulated_mmio;
    // An EPT violation does not report the instruction's length: the decoder does.
    vmcs::write(VmcsField::GuestRip, vmcs::read(VmcsField::GuestRip) + insn.length);
    return ExitAction::Resume;
}

ExitAction emulate_device_access(ExitContext& exit, uint64_t gpa, const x86::vmx::EptViolationQualification& q) {
    Partition& p = exit.partition;
    const uint64_t rip = vmcs::read(VmcsField::GuestRip);
    if (q.caused_by_fetch())
        return stop_partition(p, "executed the %s registers at %#lx (rip %#lx)", device_name(gpa), gpa, rip);
    // The access came from delivering an event (the guest's IDT or stack on
    // a device page): nothing a working guest does, and not emulatable.
    if (x86::vmx::InterruptionInfo{static_cast<uint32_t>(vmcs::read(VmcsField::IdtVectoringInfo))}.valid())
        return stop_partition(p, "event delivery touched the %s registers at %#lx (rip %#lx)", device_name(gpa), gpa,
                              rip);
    const bool long_mode = (vmcs::read(VmcsField::GuestCsAccessRights) & x86::segment::kLongMode) != 0;
    uint8_t bytes[kMaxInstructionLength] = {};
    const size_t fetched = fetch_instruction(p, long_mode, bytes);
    MmioInstruction insn{};
    const DecodeError error = fetched == 0 ? DecodeError::Truncated : decode_mmio_instruction(bytes, fetched, long_mode, insn);
    if (error != DecodeError::None)
        return stop_partition(p,
                              "%s access at %#lx by an instruction Bulkhead does not emulate (%s; bytes %02x %02x %02x "
                              "%02x %02x %02x at rip %#lx)",
                              device_name(gpa), gpa, to_string(error), bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                              bytes[5], rip);
    if (insn.size != kRegisterBytes || (gpa % kRegisterBytes) != 0)
        return stop_partition(p, "%u-byte access to the %s at %#lx (rip %#lx): its registers are 32-bit, aligned",
                              insn.size, device_name(gpa), gpa, rip);
    return perform(exit, gpa, insn);
}

}  // namespace

ExitAction handle_ept_violation(ExitContext& exit) {
    const x86::vmx::EptViolationQualification q{vmcs::read(VmcsField::ExitQualification)};
    const uint64_t gpa = vmcs::read(VmcsField::GuestPhysicalAddress);
    if (is_device_page(gpa)) return emulate_device_access(exit, gpa, q);
    const char* access = q.caused_by_fetch() ? "instruction fetch" : q.caused_by_write() ? "write" : "read";
    return stop_partition(exit.partition, "%s at guest-physical %#lx outside its memory (rip %#lx)", access, gpa,
                          vmcs::read(VmcsField::GuestRip));
}

}  // namespace bulkhead
