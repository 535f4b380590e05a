// The GDT, TSS and IDT of the hypervisor (Intel SDM Vol. 3A, chapters 3, 6, 8).
//
// Long mode barely uses segmentation, but VM exits need a valid host TR
// (a TSS) and the TSS holds the interrupt stack table: NMI, double fault and
// machine check switch to their own known-good stacks, so a kernel stack
// overflow still ends in a readable report rather than a triple fault.
#pragma once

#include <stdint.h>

#include "arch/x86_64/asm_defs.h"

namespace bulkhead::x86 {

inline constexpr uint16_t kKernelCodeSelector = SELECTOR_CODE64;
inline constexpr uint16_t kKernelDataSelector = SELECTOR_DATA;
inline constexpr uint16_t kTssSelector = 0x18;

// Segment descriptor fields (SDM Vol. 3A, 3.4.5): only what long mode and
// the APs' way into it check.
inline constexpr uint64_t kDescriptorAccessed = 1ull << 40;
inline constexpr uint64_t kDescriptorWritableOrReadable = 1ull << 41;
inline constexpr uint64_t kDescriptorExecutable = 1ull << 43;
inline constexpr uint64_t kDescriptorCodeOrData = 1ull << 44;
inline constexpr uint64_t kDescriptorPresent = 1ull << 47;
inline constexpr uint64_t kDescriptorLongMode = 1ull << 53;
inline constexpr uint64_t kDescriptorDefaultSize32 = 1ull << 54;
inline constexpr uint64_t kDescriptorGranularity4K = 1ull << 55;
inline constexpr uint64_t kDescriptorLimitLow = 0xffff;
inline constexpr uint64_t kDescriptorLimitHigh = 0xfull << 48;

inline constexpr uint64_t kFlatCode64Descriptor = kDescriptorAccessed | kDescriptorWritableOrReadable |
                                                  kDescriptorExecutable | kDescriptorCodeOrData | kDescriptorPresent |
                                                  kDescriptorLongMode | kDescriptorGranularity4K |
                                                  kDescriptorLimitLow | kDescriptorLimitHigh;
inline constexpr uint64_t kFlatDataDescriptor = kDescriptorAccessed | kDescriptorWritableOrReadable |
                                                kDescriptorCodeOrData | kDescriptorPresent | kDescriptorDefaultSize32 |
                                                kDescriptorGranularity4K | kDescriptorLimitLow | kDescriptorLimitHigh;
inline constexpr uint64_t kFlatCode32Descriptor = kDescriptorAccessed | kDescriptorWritableOrReadable |
                                                  kDescriptorExecutable | kDescriptorCodeOrData | kDescriptorPresent |
                                                  kDescriptorDefaultSize32 | kDescriptorGranularity4K |
                                                  kDescriptorLimitLow | kDescriptorLimitHigh;

inline constexpr unsigned kIdtVectors = 256;
inline constexpr unsigned kFirstExternalVector = 32;

// Exception vectors (SDM Vol. 3A, 6.3.1).
enum class Vector : uint8_t {
    DivideError = 0, Debug = 1, Nmi = 2, Breakpoint = 3, Overflow = 4, BoundRange = 5,
    InvalidOpcode = 6, DeviceNotAvailable = 7, DoubleFault = 8, CoprocessorOverrun = 9,
    InvalidTss = 10, SegmentNotPresent = 11, StackFault = 12, GeneralProtection = 13,
    PageFault = 14, FpuError = 16, AlignmentCheck = 17, MachineCheck = 18, SimdError = 19,
    VirtualizationException = 20, ControlProtection = 21,
};
const char* exception_mnemonic(uint64_t vector);

// Interrupt stack table slots (1-based in the IDT gate, as the hardware counts).
enum class IstSlot : uint8_t { None = 0, Nmi = 1, DoubleFault = 2, MachineCheck = 3 };
inline constexpr unsigned kIstStackCount = 3;

struct [[gnu::packed]] TaskStateSegment {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t io_map_base;
};
static_assert(sizeof(TaskStateSegment) == 104);

struct [[gnu::packed]] IdtGate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attributes;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(IdtGate) == 16);

// Stack tops for the IST slots, indexed by IstSlot - 1.
struct IstStacks {
    uint64_t top[kIstStackCount];
};

inline constexpr unsigned kGdtEntries = 5;   // null, code, data, TSS (two slots)

// Each CPU has its own GDT and TSS (the TSS holds that CPU's interrupt
// stacks); the IDT is shared. Keeping the two in one struct lets the VMCS
// host-state set-up find this CPU's TSS from its GDTR alone.
struct CpuDescriptorTables {
    alignas(16) uint64_t gdt[kGdtEntries];
    alignas(16) TaskStateSegment tss;
};

// Builds `tables` for the calling CPU and loads the GDT, TSS and (shared) IDT.
void load_descriptor_tables(CpuDescriptorTables& tables, const IstStacks& stacks);

// Where the calling CPU's tables are: a VM exit reloads them from the VMCS
// host state.
uint64_t host_gdt_base();
uint64_t host_idt_base();
uint64_t host_tss_base();

// The stub addresses of isr.S, one per vector.
extern "C" const uint64_t isr_stub_table[kIdtVectors];

}  // namespace bulkhead::x86
