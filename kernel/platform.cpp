#include "kernel/platform.hpp"

#include "kernel/lib/string.hpp"
#include "kernel/memory.hpp"

namespace bulkhead {

namespace {
AcpiRoot g_root{};
AcpiError g_root_error = AcpiError::NoRsdp;
}  // namespace

// The hypervisor identity-maps physical memory, so a physical read is a copy
// from the same address, as long as that address is mapped.
bool read_physical(void*, uint64_t phys, void* out, size_t length) {
    if (!physical_range_readable(phys, length)) return false;
    memcpy(out, reinterpret_cast<const void*>(phys), length);
    return true;
}

void platform_init(const BootInfo& boot) {
    if (boot.rsdp != nullptr)
        g_root_error = acpi_root_from_rsdp(boot.rsdp, boot.rsdp_length, g_root);
    else
        g_root_error = acpi_scan_bios_for_rsdp(read_physical, nullptr, g_root);
}

const AcpiRoot* acpi_root(AcpiError& error) {
    error = g_root_error;
    return g_root_error == AcpiError::None ? &g_root : nullptr;
}

const MadtInfo* platform_madt(MadtError& error) {
    static MadtInfo madt;
    static MadtError madt_error = MadtError::NoMadt;
    static bool read = false;
    if (!read) {
        read = true;
        AcpiError acpi_error = AcpiError::None;
        const AcpiRoot* root = acpi_root(acpi_error);
        madt_error = root == nullptr ? MadtError::NoMadt : read_madt(read_physical, nullptr, *root, madt);
    }
    error = madt_error;
    return madt_error == MadtError::None ? &madt : nullptr;
}

}  // namespace bulkhead
