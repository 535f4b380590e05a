// Turning wanted VMX controls into a value the CPU accepts, and naming the
// ones it cannot give.
#include <catch2/catch.hpp>

#include <string>

#include "arch/x86_64/vmx_controls.hpp"

using namespace bulkhead::x86::vmx;

TEST_CASE("must-be-one bits are added, optional bits only where allowed") {
    const uint32_t must = 0x16, may = 0x7f;
    const ControlValue v = adjust_controls(must, may, pin_based::kExternalInterruptExiting, 1u << 7);
    CHECK(v.value == (0x16 | pin_based::kExternalInterruptExiting));
    CHECK(v.missing == 0);
}

TEST_CASE("a required control the CPU cannot set is reported by name") {
    const ControlValue v = adjust_controls(0, 0x7fffffff, proc_based::kActivateSecondaryControls | proc_based::kHltExiting, 0);
    CHECK(v.missing == proc_based::kActivateSecondaryControls);
    char names[128];
    describe_missing_controls(ControlField::ProcBased, v.missing, names, sizeof names);
    CHECK(std::string(names) == "activate secondary controls");
    describe_missing_controls(ControlField::ProcBased2, proc_based2::kEnableEpt | proc_based2::kUnrestrictedGuest,
                              names, sizeof names);
    CHECK(std::string(names) == "enable EPT, unrestricted guest");
    describe_missing_controls(ControlField::ProcBased2, 1u << 30, names, 8);
    CHECK(std::string(names).size() == 7);
}
