// The typed VMCS definitions: field encodings and their decoding, the name
// tables, and the exit-qualification and interruption-information decoders
// against values built by hand from the SDM's tables.
#include <catch2/catch.hpp>

#include <cstring>
#include <set>
#include <string>

#include "arch/x86_64/vmcs_fields.hpp"
#include "arch/x86_64/vmx_instructions.hpp"

using namespace bulkhead::x86::vmx;
using bulkhead::x86::Vector;

namespace {

struct FieldSample {
    VmcsField field;
    uint32_t encoding;
    FieldWidth width;
    FieldType type;
};

// Two fields of each of the appendix's fifteen groups, encodings as printed
// in SDM Vol. 3D, Appendix B.
const FieldSample kSamples[] = {
    {VmcsField::VirtualProcessorId, 0x0000, FieldWidth::Bits16, FieldType::Control},
    {VmcsField::EptpIndex, 0x0004, FieldWidth::Bits16, FieldType::Control},
    {VmcsField::GuestEsSelector, 0x0800, FieldWidth::Bits16, FieldType::GuestState},
    {VmcsField::PmlIndex, 0x0812, FieldWidth::Bits16, FieldType::GuestState},
    {VmcsField::HostEsSelector, 0x0c00, FieldWidth::Bits16, FieldType::HostState},
    {VmcsField::HostTrSelector, 0x0c0c, FieldWidth::Bits16, FieldType::HostState},
    {VmcsField::IoBitmapA, 0x2000, FieldWidth::Bits64, FieldType::Control},
    {VmcsField::MsrBitmap, 0x2004, FieldWidth::Bits64, FieldType::Control},
    {VmcsField::EptPointer, 0x201a, FieldWidth::Bits64, FieldType::Control},
    {VmcsField::GuestPhysicalAddress, 0x2400, FieldWidth::Bits64, FieldType::ReadOnlyData},
    {VmcsField::VmcsLinkPointer, 0x2800, FieldWidth::Bits64, FieldType::GuestState},
    {VmcsField::GuestIa32Pat, 0x2804, FieldWidth::Bits64, FieldType::GuestState},
    {VmcsField::GuestIa32Efer, 0x2806, FieldWidth::Bits64, FieldType::GuestState},
    {VmcsField::HostIa32Pat, 0x2c00, FieldWidth::Bits64, FieldType::HostState},
    {VmcsField::HostIa32Efer, 0x2c02, FieldWidth::Bits64, FieldType::HostState},
    {VmcsField::PinBasedControls, 0x4000, FieldWidth::Bits32, FieldType::Control},
    {VmcsField::ProcBasedControls, 0x4002, FieldWidth::Bits32, FieldType::Control},
    {VmcsField::ExceptionBitmap, 0x4004, FieldWidth::Bits32, FieldType::Control},
    {VmcsField::SecondaryProcBasedControls, 0x401e, FieldWidth::Bits32, FieldType::Control},
    {VmcsField::VmInstructionError, 0x4400, FieldWidth::Bits32, FieldType::ReadOnlyData},
    {VmcsField::VmExitReason, 0x4402, FieldWidth::Bits32, FieldType::ReadOnlyData},
    {VmcsField::GuestEsLimit, 0x4800, FieldWidth::Bits32, FieldType::GuestState},
    {VmcsField::PreemptionTimerValue, 0x482e, FieldWidth::Bits32, FieldType::GuestState},
    {VmcsField::HostIa32SysenterCs, 0x4c00, FieldWidth::Bits32, FieldType::HostState},
    {VmcsField::Cr0GuestHostMask, 0x6000, FieldWidth::Natural, FieldType::Control},
    {VmcsField::Cr0ReadShadow, 0x6004, FieldWidth::Natural, FieldType::Control},
    {VmcsField::ExitQualification, 0x6400, FieldWidth::Natural, FieldType::ReadOnlyData},
    {VmcsField::GuestLinearAddress, 0x640a, FieldWidth::Natural, FieldType::ReadOnlyData},
    {VmcsField::GuestCr0, 0x6800, FieldWidth::Natural, FieldType::GuestState},
    {VmcsField::GuestRsp, 0x681c, FieldWidth::Natural, FieldType::GuestState},
    {VmcsField::GuestRip, 0x681e, FieldWidth::Natural, FieldType::GuestState},
    {VmcsField::GuestRflags, 0x6820, FieldWidth::Natural, FieldType::GuestState},
    {VmcsField::HostCr0, 0x6c00, FieldWidth::Natural, FieldType::HostState},
    {VmcsField::HostRsp, 0x6c14, FieldWidth::Natural, FieldType::HostState},
    {VmcsField::HostRip, 0x6c16, FieldWidth::Natural, FieldType::HostState},
};

// The encodings of the SDM's list run in steps of 2 from index 0 in each
// group, so every candidate is below this bound (bits 14:0).
constexpr uint32_t kEncodingSpace = 1u << 15;

bool is_unknown(const char* name) { return std::strcmp(name, "unknown") == 0; }

}  // namespace

TEST_CASE("VMCS field encodings decode to their width and type", "[vmcs]") {
    for (const FieldSample& s : kSamples) {
        INFO(vmcs_field_name(s.field));
        CHECK(encoding_of(s.field) == s.encoding);
        CHECK(width_of(s.field) == s.width);
        CHECK(type_of(s.field) == s.type);
        CHECK(access_of(s.field) == FieldAccess::Full);
    }
    CHECK(index_of(VmcsField::GuestRip) == 0x0f);
    CHECK(index_of(VmcsField::HostRip) == 0x0b);
    CHECK(width_bytes(width_of(VmcsField::GuestCsSelector)) == 2);
    CHECK(width_bytes(width_of(VmcsField::GuestCsLimit)) == 4);
    CHECK(width_bytes(width_of(VmcsField::TscOffset)) == 8);
    CHECK(width_bytes(width_of(VmcsField::GuestRip)) == 8);
    CHECK(is_read_only(VmcsField::ExitQualification));
    CHECK_FALSE(is_read_only(VmcsField::GuestRip));
}

TEST_CASE("The high half of a 64-bit field is its encoding plus one", "[vmcs]") {
    constexpr VmcsField high = high_half<VmcsField::EptPointer>();
    STATIC_REQUIRE(encoding_of(high) == 0x201b);
    STATIC_REQUIRE(access_of(high) == FieldAccess::High);
    STATIC_REQUIRE(width_of(high) == FieldWidth::Bits64);
    STATIC_REQUIRE(index_of(high) == index_of(VmcsField::EptPointer));
}

TEST_CASE("Every VMCS field is listed once, named, and well formed", "[vmcs]") {
    size_t count = 0;
    const VmcsField* fields = all_vmcs_fields(count);
    REQUIRE(fields != nullptr);
    CHECK(count == 199);

    std::set<uint32_t> encodings;
    std::set<std::string> names;
    for (size_t i = 0; i < count; ++i) {
        const VmcsField f = fields[i];
        const std::string name = vmcs_field_name(f);
        INFO(name);
        CHECK_FALSE(is_unknown(name.c_str()));
        CHECK(encodings.insert(encoding_of(f)).second);   // no two fields share an encoding
        CHECK(names.insert(name).second);
        CHECK((encoding_of(f) & encoding::kReservedMask) == 0);
        CHECK(access_of(f) == FieldAccess::Full);
        // Host-state fields are exactly the ones named Host*.
        CHECK((type_of(f) == FieldType::HostState) == (name.rfind("Host", 0) == 0));
    }

    // The list is complete: no encoding has a name unless the list has it.
    size_t named = 0;
    for (uint32_t e = 0; e < kEncodingSpace; ++e) {
        if (is_unknown(vmcs_field_name(static_cast<VmcsField>(e)))) continue;
        ++named;
        CHECK(encodings.count(e) == 1);
    }
    CHECK(named == count);
}

TEST_CASE("Field names match the enumerators", "[vmcs]") {
    CHECK(std::string(vmcs_field_name(VmcsField::GuestRip)) == "GuestRip");
    CHECK(std::string(vmcs_field_name(VmcsField::VmInstructionError)) == "VmInstructionError");
    CHECK(std::string(vmcs_field_name(VmcsField::HostIa32InterruptSspTableAddr)) == "HostIa32InterruptSspTableAddr");
    CHECK(is_unknown(vmcs_field_name(static_cast<VmcsField>(0x482c))));    // the gap before the preemption timer
    CHECK(is_unknown(vmcs_field_name(high_half<VmcsField::IoBitmapA>())));
    CHECK(is_unknown(vmcs_field_name(static_cast<VmcsField>(0xffffffff))));
}

TEST_CASE("Typed VMCS values have the field's width", "[vmcs]") {
    STATIC_REQUIRE(sizeof(FieldValue<VmcsField::VirtualProcessorId>) == 2);
    STATIC_REQUIRE(sizeof(FieldValue<VmcsField::VmExitReason>) == 4);
    STATIC_REQUIRE(sizeof(FieldValue<VmcsField::VmcsLinkPointer>) == 8);
    STATIC_REQUIRE(sizeof(FieldValue<VmcsField::HostRip>) == 8);
}

TEST_CASE("RFLAGS after a VMX instruction map to its result", "[vmx]") {
    CHECK(vmx_result(false, false) == VmxResult::Ok);
    CHECK(vmx_result(true, false) == VmxResult::FailInvalid);
    CHECK(vmx_result(false, true) == VmxResult::FailValid);
    CHECK(std::string(to_string(VmxResult::FailValid)) == "VMfailValid");
    STATIC_REQUIRE(sizeof(InveptDescriptor) == 16);
    STATIC_REQUIRE(sizeof(InvvpidDescriptor) == 16);
}

TEST_CASE("VM-instruction errors have the SDM's names", "[vmcs]") {
    CHECK(std::string(to_string(VmInstructionError::EntryInvalidControlFields)) ==
          "VM entry with invalid control field(s)");
    CHECK(std::string(to_string(VmInstructionError::EntryInvalidHostStateFields)) ==
          "VM entry with invalid host-state field(s)");
    CHECK(static_cast<uint32_t>(VmInstructionError::EntryInvalidControlFields) == 7);
    CHECK(static_cast<uint32_t>(VmInstructionError::InvalidInveptInvvpidOperand) == 28);

    const std::set<uint32_t> unused = {0, 14, 21, 27, 29};
    for (uint32_t n = 0; n <= 29; ++n) {
        INFO(n);
        CHECK(is_unknown(to_string(static_cast<VmInstructionError>(n))) == (unused.count(n) == 1));
    }
}

TEST_CASE("Exit reasons have names and a table size", "[vmcs]") {
    CHECK(kExitReasonCount == 86);
    CHECK(static_cast<unsigned>(ExitReason::Cpuid) == 10);
    CHECK(static_cast<unsigned>(ExitReason::IoInstruction) == 30);
    CHECK(static_cast<unsigned>(ExitReason::EptViolation) == 48);
    CHECK(static_cast<unsigned>(ExitReason::Xrstors) == 64);
    CHECK(static_cast<unsigned>(ExitReason::Tdcall) == 77);
    CHECK(std::string(to_string(ExitReason::Cpuid)) == "CPUID");
    CHECK(std::string(to_string(ExitReason::EptMisconfig)) == "EPT misconfiguration");
    CHECK(std::string(to_string(ExitReason::EntryFailInvalidGuestState)) ==
          "VM-entry failure due to invalid guest state");

    const std::set<unsigned> unused = {35, 38, 42, 71, 82, 83};
    for (unsigned n = 0; n < kExitReasonCount; ++n) {
        INFO(n);
        CHECK(is_unknown(to_string(static_cast<ExitReason>(n))) == (unused.count(n) == 1));
    }
    CHECK(is_unknown(to_string(static_cast<ExitReason>(kExitReasonCount))));
}

TEST_CASE("The exit-reason field splits into basic reason and flags", "[vmcs]") {
    const ExitReasonInfo hlt{12};
    CHECK(hlt.basic() == ExitReason::Hlt);
    CHECK_FALSE(hlt.entry_failed());

    // VMLAUNCH with a bad guest state: bit 31 set, basic reason 33.
    const ExitReasonInfo failed{0x80000021};
    CHECK(failed.entry_failed());
    CHECK((failed.raw & kExitReasonEntryFailure) != 0);
    CHECK((failed.raw & kExitReasonBasicMask) == 33);
    CHECK(failed.basic() == ExitReason::EntryFailInvalidGuestState);

    const ExitReasonInfo enclave{0x08000000 | 10};
    CHECK(enclave.enclave_mode());
    CHECK(enclave.basic() == ExitReason::Cpuid);
}

TEST_CASE("I/O qualifications decode", "[vmcs]") {
    // OUT DX, AL with DX = 0x3f8: port in bits 31:16, size 1 (encoded 0), out.
    const IoQualification out{0x03f80000};
    CHECK(out.port() == 0x3f8);
    CHECK(out.size() == 1);
    CHECK(out.direction() == IoDirection::Out);
    CHECK_FALSE(out.is_in());
    CHECK_FALSE(out.string());
    CHECK_FALSE(out.rep());
    CHECK_FALSE(out.immediate_operand());

    // IN AL, 0x60: in (bit 3), immediate operand (bit 6).
    const IoQualification in{0x00600048};
    CHECK(in.port() == 0x60);
    CHECK(in.size() == 1);
    CHECK(in.direction() == IoDirection::In);
    CHECK(in.is_in());
    CHECK(in.immediate_operand());

    // REP OUTSW to 0x1f0: size 2 (encoded 1), string (bit 4), REP (bit 5).
    const IoQualification outsw{0x01f00031};
    CHECK(outsw.port() == 0x1f0);
    CHECK(outsw.size() == 2);
    CHECK(outsw.direction() == IoDirection::Out);
    CHECK(outsw.string());
    CHECK(outsw.rep());

    // IN EAX, DX: size 4 (encoded 3).
    CHECK(IoQualification{0x0cfc000b}.size() == 4);
    CHECK(IoQualification{0x0cfc000b}.port() == 0xcfc);
}

TEST_CASE("Control-register access qualifications decode", "[vmcs]") {
    // MOV CR3, RAX: CR 3, MOV to CR (0), register 0.
    const CrAccessQualification to_cr3{0x3};
    CHECK(to_cr3.cr() == 3);
    CHECK(to_cr3.access_type() == CrAccessType::MovToCr);
    CHECK(to_cr3.gpr() == Gpr::Rax);

    // MOV RBX, CR4: CR 4, MOV from CR (1 in bits 5:4), register 3 in bits 11:8.
    const CrAccessQualification from_cr4{0x314};
    CHECK(from_cr4.cr() == 4);
    CHECK(from_cr4.access_type() == CrAccessType::MovFromCr);
    CHECK(from_cr4.gpr() == Gpr::Rbx);

    // MOV CR8, R12.
    CHECK(CrAccessQualification{0xc08}.cr() == 8);
    CHECK(CrAccessQualification{0xc08}.gpr() == Gpr::R12);

    CHECK(CrAccessQualification{0x20}.access_type() == CrAccessType::Clts);

    // LMSW from memory with source data 0x0001 (sets CR0.PE).
    const CrAccessQualification lmsw{0x00010070};
    CHECK(lmsw.access_type() == CrAccessType::Lmsw);
    CHECK(lmsw.lmsw_memory_operand());
    CHECK(lmsw.lmsw_source() == 0x0001);
    CHECK(lmsw.cr() == 0);
}

TEST_CASE("EPT-violation qualifications decode", "[vmcs]") {
    // A read of a guest-physical page with no EPT entry, through a linear
    // address: read (bit 0), nothing allowed, linear address valid and the
    // access was to the translated address (bits 7, 8).
    const EptViolationQualification unmapped{0x181};
    CHECK(unmapped.caused_by_read());
    CHECK_FALSE(unmapped.caused_by_write());
    CHECK_FALSE(unmapped.caused_by_fetch());
    CHECK_FALSE(unmapped.readable());
    CHECK_FALSE(unmapped.writable());
    CHECK_FALSE(unmapped.executable());
    CHECK(unmapped.guest_linear_address_valid());
    CHECK(unmapped.translated_access());

    // A write to a page mapped read+execute.
    const EptViolationQualification write_ro{0x1aa};
    CHECK(write_ro.caused_by_write());
    CHECK(write_ro.readable());
    CHECK_FALSE(write_ro.writable());
    CHECK(write_ro.executable());

    // An instruction fetch from a read+write page during a guest page walk.
    const EptViolationQualification fetch{0x09c};
    CHECK(fetch.caused_by_fetch());
    CHECK(fetch.readable());
    CHECK(fetch.writable());
    CHECK(fetch.guest_linear_address_valid());
    CHECK_FALSE(fetch.translated_access());

    CHECK(EptViolationQualification{0x1000}.nmi_unblocking_due_to_iret());
    CHECK_FALSE(EptViolationQualification{0x0fff}.nmi_unblocking_due_to_iret());
}

TEST_CASE("Interruption information encodes events to inject", "[vmcs]") {
    // #GP (13) with an error code: valid, deliver error code, type 3.
    constexpr InterruptionInfo gp = make_hardware_exception(Vector::GeneralProtection, true);
    STATIC_REQUIRE(gp.raw == 0x80000b0d);
    // #UD (6) has no error code.
    constexpr InterruptionInfo ud = make_hardware_exception(Vector::InvalidOpcode, false);
    STATIC_REQUIRE(ud.raw == 0x80000306);

    CHECK(gp.vector() == 13);
    CHECK(gp.type() == InterruptionType::HardwareException);
    CHECK(gp.error_code_valid());
    CHECK(gp.valid());

    CHECK(make_hardware_exception(uint8_t{13}, true).raw == gp.raw);
    CHECK(make_interruption_info(InterruptionType::SoftwareInterrupt, 0x80, false).raw == 0x80000480);
    CHECK(make_interruption_info(InterruptionType::Nmi, 2, false).raw == 0x80000202);
}

TEST_CASE("Interruption information decodes exit events", "[vmcs]") {
    // An external interrupt, vector 0x20.
    const InterruptionInfo timer{0x80000020};
    CHECK(timer.valid());
    CHECK(timer.type() == InterruptionType::ExternalInterrupt);
    CHECK(timer.vector() == 0x20);
    CHECK_FALSE(timer.error_code_valid());

    // A #PF (14) with error code, on an IRET that unblocked NMIs (bit 12).
    const InterruptionInfo pf{0x80001b0e};
    CHECK(pf.type() == InterruptionType::HardwareException);
    CHECK(pf.vector() == 14);
    CHECK(pf.error_code_valid());
    CHECK(pf.nmi_unblocking_due_to_iret());

    CHECK_FALSE(InterruptionInfo{0x00000b0d}.valid());
    CHECK(InterruptionInfo{0x80000603}.type() == InterruptionType::SoftwareException);   // INT3
    CHECK(InterruptionInfo{0x80000501}.type() == InterruptionType::PrivilegedSoftwareException);   // INT1
}
