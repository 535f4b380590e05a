// Powering the machine off the machine-independent way: ACPI sleep state S5,
// with the PM1 control ports from the FADT and SLP_TYP from the DSDT's \_S5.
#pragma once

#include "kernel/boot_info.hpp"

namespace bulkhead {

// Returns only on failure, with the reason.
const char* power_off();

}  // namespace bulkhead
