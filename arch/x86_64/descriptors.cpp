#include "arch/x86_64/descriptors.hpp"

namespace bulkhead::x86 {

namespace {

// Segment descriptor fields (SDM Vol. 3A, 3.4.5): only what long mode checks.
constexpr uint64_t kDescriptorTypeTssAvailable = 0x9ull << 40;
// Where a system descriptor keeps its base address (SDM Vol. 3A, 3.4.5, 8.2.3).
constexpr unsigned kBaseLowShift = 16, kBaseLowBits = 24;
constexpr unsigned kBaseHighShift = 56, kBaseHighBits = 8;
constexpr uint64_t kLimitLowMask = 0xffff;

constexpr uint8_t kGateInterruptPresent = 0x8E;   // present, DPL 0, 64-bit interrupt gate

struct [[gnu::packed]] TablePointer {
    uint16_t limit;
    uint64_t base;
};

alignas(16) IdtGate g_idt[kIdtVectors];
bool g_idt_built = false;

// A 64-bit TSS descriptor takes two GDT slots (SDM Vol. 3A, 8.2.3).
void set_tss_descriptor(uint64_t* slot, const TaskStateSegment* tss) {
    const uint64_t base = reinterpret_cast<uint64_t>(tss);
    const uint64_t limit = sizeof(TaskStateSegment) - 1;
    const uint64_t base_low = base & ((1ull << kBaseLowBits) - 1);
    const uint64_t base_high = (base >> kBaseLowBits) & ((1ull << kBaseHighBits) - 1);
    slot[0] = (limit & kLimitLowMask) | (base_low << kBaseLowShift) | kDescriptorTypeTssAvailable |
              kDescriptorPresent | (base_high << kBaseHighShift);
    slot[1] = base >> (kBaseLowBits + kBaseHighBits);   // bits 63:32 of the base
}

IstSlot ist_for_vector(unsigned vector) {
    switch (static_cast<Vector>(vector)) {
        case Vector::Nmi: return IstSlot::Nmi;
        case Vector::DoubleFault: return IstSlot::DoubleFault;
        case Vector::MachineCheck: return IstSlot::MachineCheck;
        default: return IstSlot::None;
    }
}

void set_gate(IdtGate& gate, uint64_t handler, IstSlot ist) {
    gate.offset_low = static_cast<uint16_t>(handler);
    gate.selector = kKernelCodeSelector;
    gate.ist = static_cast<uint8_t>(ist);
    gate.type_attributes = kGateInterruptPresent;
    gate.offset_mid = static_cast<uint16_t>(handler >> 16);
    gate.offset_high = static_cast<uint32_t>(handler >> 32);
    gate.reserved = 0;
}

TablePointer current_gdt() {
    TablePointer pointer;
    asm volatile("sgdt %0" : "=m"(pointer));
    return pointer;
}

void load_gdt_and_segments(const uint64_t (&gdt)[kGdtEntries]) {
    const TablePointer pointer{sizeof(gdt) - 1, reinterpret_cast<uint64_t>(gdt)};
    // Reload CS with a far return; the data segments with plain moves.
    asm volatile(
        "lgdt %0\n"
        "pushq %1\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        "mov %2, %%ds\n"
        "mov %2, %%es\n"
        "mov %2, %%ss\n"
        :
        : "m"(pointer), "i"(kKernelCodeSelector), "r"(kKernelDataSelector)
        : "rax", "memory");
}

}  // namespace

const char* exception_mnemonic(uint64_t vector) {
    static const char* const kNames[] = {
        "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
        "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
        "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
        "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check", "#MC machine check",
        "#XM SIMD error", "#VE virtualization exception", "#CP control protection"};
    if (vector < sizeof(kNames) / sizeof(kNames[0])) return kNames[vector];
    return vector < kFirstExternalVector ? "reserved exception" : "external interrupt";
}

void load_descriptor_tables(CpuDescriptorTables& tables, const IstStacks& stacks) {
    uint64_t* gdt = tables.gdt;
    gdt[0] = 0;
    gdt[kKernelCodeSelector / 8] = kFlatCode64Descriptor;
    gdt[kKernelDataSelector / 8] = kFlatDataDescriptor;
    for (unsigned i = 0; i < kIstStackCount; ++i) tables.tss.ist[i] = stacks.top[i];
    tables.tss.io_map_base = sizeof(TaskStateSegment);   // no I/O permission bitmap
    set_tss_descriptor(&gdt[kTssSelector / 8], &tables.tss);
    load_gdt_and_segments(tables.gdt);
    asm volatile("ltr %0" ::"r"(kTssSelector));

    // The boot CPU builds the shared IDT; the others only load it.
    if (!g_idt_built) {
        for (unsigned v = 0; v < kIdtVectors; ++v) set_gate(g_idt[v], isr_stub_table[v], ist_for_vector(v));
        g_idt_built = true;
    }
    const TablePointer idt_pointer{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
    asm volatile("lidt %0" ::"m"(idt_pointer));
}

uint64_t host_gdt_base() { return current_gdt().base; }
uint64_t host_idt_base() { return reinterpret_cast<uint64_t>(g_idt); }
uint64_t host_tss_base() {
    const auto* tables = reinterpret_cast<const CpuDescriptorTables*>(current_gdt().base);
    return reinterpret_cast<uint64_t>(&tables->tss);
}

}  // namespace bulkhead::x86
