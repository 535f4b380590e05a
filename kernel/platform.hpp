// The machine's ACPI tables as the rest of the kernel reaches them: found
// once at boot (from the multiboot2 ACPI tags, or a scan of the BIOS area),
// read through the hypervisor's identity map with bounds checks.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/acpi.hpp"
#include "kernel/boot_info.hpp"
#include "kernel/madt.hpp"

namespace bulkhead {

void platform_init(const BootInfo& boot);

// The ACPI root, or null with the reason in `error`.
const AcpiRoot* acpi_root(AcpiError& error);

// A PhysReader over the identity map: false for unmapped ranges.
bool read_physical(void* context, uint64_t phys, void* out, size_t length);

// The machine's MADT (processors, I/O APICs, interrupt overrides), read once
// on first use; null with the reason in `error` when there is none. First
// called by the boot CPU before the others start.
const MadtInfo* platform_madt(MadtError& error);

}  // namespace bulkhead
