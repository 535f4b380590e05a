#include "kernel/power.hpp"

#include "arch/x86_64/cpu.hpp"
#include "kernel/acpi.hpp"
#include "kernel/lib/string.hpp"
#include "kernel/memory.hpp"

namespace bulkhead {

namespace {

struct PowerState {
    bool have_root = false;
    AcpiRoot root{};
    AcpiError error = AcpiError::NoRsdp;
};
PowerState g_power;

// The hypervisor identity-maps physical memory, so a physical read is a copy
// from the same address, as long as that address is mapped.
bool read_physical(void*, uint64_t phys, void* out, size_t length) {
    if (!physical_range_readable(phys, length)) return false;
    memcpy(out, reinterpret_cast<const void*>(phys), length);
    return true;
}

// Give the chipset time to act on the sleep request before calling it failed.
constexpr unsigned kPowerOffSettleSpins = 10'000'000;

}  // namespace

void power_init(const BootInfo& boot) {
    if (boot.rsdp != nullptr)
        g_power.error = acpi_root_from_rsdp(boot.rsdp, boot.rsdp_length, g_power.root);
    else
        g_power.error = acpi_scan_bios_for_rsdp(read_physical, nullptr, g_power.root);
    g_power.have_root = g_power.error == AcpiError::None;
}

const char* power_off() {
    if (!g_power.have_root) return to_string(g_power.error);
    SleepControl s5{};
    const AcpiError error = acpi_find_s5(read_physical, nullptr, g_power.root, s5);
    if (error != AcpiError::None) return to_string(error);
    x86::out16(s5.pm1a_control_port, s5_control_value(s5.slp_typ_a));
    if (s5.pm1b_control_port != 0) x86::out16(s5.pm1b_control_port, s5_control_value(s5.slp_typ_b));
    for (unsigned i = 0; i < kPowerOffSettleSpins; ++i) x86::pause();
    return "the machine ignored the ACPI S5 request";
}

}  // namespace bulkhead
