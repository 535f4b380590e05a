#include "kernel/power.hpp"

#include "arch/x86_64/cpu.hpp"
#include "kernel/acpi.hpp"
#include "kernel/platform.hpp"

namespace bulkhead {

namespace {
// Give the chipset time to act on the sleep request before calling it failed.
constexpr unsigned kPowerOffSettleSpins = 10'000'000;
}  // namespace

const char* power_off() {
    AcpiError error = AcpiError::None;
    const AcpiRoot* root = acpi_root(error);
    if (root == nullptr) return to_string(error);
    SleepControl s5{};
    error = acpi_find_s5(read_physical, nullptr, *root, s5);
    if (error != AcpiError::None) return to_string(error);
    x86::out16(s5.pm1a_control_port, s5_control_value(s5.slp_typ_a));
    if (s5.pm1b_control_port != 0) x86::out16(s5.pm1b_control_port, s5_control_value(s5.slp_typ_b));
    for (unsigned i = 0; i < kPowerOffSettleSpins; ++i) x86::pause();
    return "the machine ignored the ACPI S5 request";
}

}  // namespace bulkhead
