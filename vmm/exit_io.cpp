// I/O instructions (exit reason 30). Every port exits (the partition's I/O
// bitmaps are all ones: no port is passed through yet), and lands in one of
// three places:
//   - COM1 (0x3f8-0x3ff): the partition's virtual UART;
//   - port 0xf4, 32-bit OUT: the test-exit device, the partition stops with
//     that status (QEMU's isa-debug-exit convention);
//   - anything else is unassigned: IN reads all-ones, OUT is counted and,
//     unless the partition's configuration says unassigned_io=ignore, stops it.
#include "include/bulkhead/hypercall.h"
#include "kernel/log.hpp"
#include "vmm/exit_handlers.hpp"
#include "vmm/partition.hpp"
#include "vmm/partitions.hpp"
#include "vmm/vmcs.hpp"

namespace bulkhead {

namespace {

constexpr unsigned kTestExitSize = 4;

uint64_t size_mask(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

// IN writes AL, AX or EAX; a 32-bit write clears RAX's upper half.
void set_in_result(GuestRegisters& regs, unsigned size, uint64_t value) {
    const uint64_t mask = size_mask(size);
    if (size == kTestExitSize)
        regs[Gpr::Rax] = value & mask;
    else
        regs[Gpr::Rax] = (regs[Gpr::Rax] & ~mask) | (value & mask);
}

ExitAction port_in(ExitContext& exit, uint16_t port, unsigned size) {
    Partition& p = exit.partition;
    uint64_t value = size_mask(size);   // an unassigned port floats high
    if (VirtualUart::owns(port) && size == 1)
        value = p.uart.read(port);
    else
        ++p.counters.unassigned_port_reads;
    set_in_result(exit.registers, size, value);
    skip_instruction();
    return ExitAction::Resume;
}

ExitAction port_out(ExitContext& exit, uint16_t port, unsigned size) {
    Partition& p = exit.partition;
    const uint64_t value = exit.registers[Gpr::Rax] & size_mask(size);
    if (VirtualUart::owns(port) && size == 1) {
        p.uart.write(port, static_cast<uint8_t>(value), print_partition_line, &p);
    } else if (port == BH_TEST_EXIT_PORT && size == kTestExitSize) {
        return partition_exited(p, value);
    } else {
        ++p.counters.unassigned_port_writes;
        if (p.config.unassigned_io == UnassignedIo::Stop)
            return stop_partition(p, "wrote %#lx to unassigned I/O port %#x (%u byte%s)", value, port, size,
                                  size == 1 ? "" : "s");
    }
    skip_instruction();
    return ExitAction::Resume;
}

}  // namespace

ExitAction handle_io(ExitContext& exit) {
    const x86::vmx::IoQualification q{vmcs::read(x86::vmx::VmcsField::ExitQualification)};
    if (q.string() || q.rep())
        return stop_partition(exit.partition, "string I/O (INS/OUTS) on port %#x is not emulated", q.port());
    return q.is_in() ? port_in(exit, q.port(), q.size()) : port_out(exit, q.port(), q.size());
}

}  // namespace bulkhead
