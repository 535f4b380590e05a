// What the hypervisor learned from its bootloader, in a loader-neutral form.
//
// The multiboot2 parser (kernel/multiboot2.hpp) fills a BootInfo once, early
// in boot; everything after that reads this struct and never touches the raw
// boot information again. Keeping the raw format behind one parser means only
// one piece of code has to distrust the bootloader's bytes.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace bulkhead {

// Physical memory kinds as the firmware (E820 / UEFI via the loader) reports
// them. The numbering is the multiboot2 one, so the parser can store the raw
// value unchanged: a value not listed here survives as-is (so logs can show
// it) and must be treated like Reserved, which is what is_usable_ram does.
enum class MemoryType : uint32_t {
    Available = 1,
    Reserved = 2,
    AcpiReclaimable = 3,
    AcpiNvs = 4,
    Bad = 5,
};

// Only Available memory may be handed out. ACPI reclaimable memory becomes
// usable after the ACPI tables are consumed, which is the caller's decision.
constexpr bool is_usable_ram(MemoryType type) { return type == MemoryType::Available; }

constexpr const char* to_string(MemoryType type) {
    switch (type) {
        case MemoryType::Available: return "available";
        case MemoryType::Reserved: return "reserved";
        case MemoryType::AcpiReclaimable: return "acpi-reclaimable";
        case MemoryType::AcpiNvs: return "acpi-nvs";
        case MemoryType::Bad: return "bad";
    }
    return "unknown (treated as reserved)";
}

struct MemoryRegion {
    uint64_t base;
    uint64_t length;
    MemoryType type;
};

// A file the loader placed in memory for us (e.g. a partition image).
// [start, end) is physical; cmdline points into the boot information.
struct BootModule {
    uint64_t start;
    uint64_t end;
    const char* cmdline;  // never null; "" when the loader gave none
};

// Fixed capacities: there is no heap this early. Real firmware maps have a few
// dozen entries, so 128 leaves ample room; beyond that memory_map_truncated is
// set and the memory manager simply sees less RAM, which is safe.
inline constexpr size_t kMaxMemoryRegions = 128;
inline constexpr size_t kMaxModules = 32;

struct BootInfo {
    // Where the raw boot information lives, so the memory manager can keep it
    // (and every string pointing into it) from being overwritten.
    uint64_t mbi_address;
    uint64_t mbi_size;

    const char* cmdline;          // never null; "" when absent
    const char* bootloader_name;  // never null; "" when absent

    MemoryRegion memory[kMaxMemoryRegions];
    size_t memory_count;
    bool memory_map_truncated;  // the firmware reported more than fit

    BootModule modules[kMaxModules];
    size_t module_count;

    // A copy of the ACPI RSDP made by the loader (the original may sit in
    // memory UEFI no longer guarantees). Null when the loader gave none.
    const uint8_t* rsdp;
    size_t rsdp_length;
    bool rsdp_is_v2;  // from the "new" (ACPI 2.0+) tag, preferred over v1

    bool efi_system_table_present;
    // The loader left UEFI boot services running (multiboot2 tag 18): the
    // firmware still owns memory and timers, which we must not assume away.
    bool efi_boot_services_active;

    // Tags seen but not used (unknown, EFI, framebuffer...). Useful in logs
    // when a new loader behaves unexpectedly.
    uint32_t ignored_tag_count;
};

}  // namespace bulkhead
