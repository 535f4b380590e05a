// The VMX instructions, one inline wrapper each, and typed VMCS access on top
// (Intel SDM Vol. 3C, chapter 31).
//
// Every VMX instruction reports its outcome in RFLAGS (31.2):
//   VMsucceed      CF = 0, ZF = 0
//   VMfailInvalid  CF = 1: there is no current VMCS to hold an error number
//   VMfailValid    ZF = 1: the current VMCS's VM-instruction error field says
//                  why (VmcsField::VmInstructionError, vmcs_fields.hpp)
// GCC's flag output operands ("=@ccc", "=@ccz") hand CF and ZF straight to
// C++, so no SETcc or branch is written by hand.
//
// VMLAUNCH and VMRESUME are not here: entering a guest saves and restores the
// whole register file, so it is written in assembly (vmm/vmx_entry.S).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/vmcs_fields.hpp"

namespace bulkhead::x86::vmx {

enum class VmxResult : uint8_t { Ok, FailInvalid, FailValid };

constexpr const char* to_string(VmxResult result) {
    switch (result) {
        case VmxResult::Ok: return "VMsucceed";
        case VmxResult::FailInvalid: return "VMfailInvalid";
        case VmxResult::FailValid: return "VMfailValid";
    }
    return "unknown";
}

constexpr VmxResult vmx_result(bool carry, bool zero) {
    if (carry) return VmxResult::FailInvalid;
    if (zero) return VmxResult::FailValid;
    return VmxResult::Ok;
}

// ---- The instructions ------------------------------------------------------

// VMXON, VMCLEAR and VMPTRLD take the physical address of a 4 KiB region as a
// memory operand: the 64-bit value in memory is the address (31.3).
inline VmxResult vmxon(uint64_t vmxon_region_phys) {
    bool carry, zero;
    asm volatile("vmxon %[region]"
                 : "=@ccc"(carry), "=@ccz"(zero)
                 : [region] "m"(vmxon_region_phys)
                 : "memory");
    return vmx_result(carry, zero);
}

inline VmxResult vmxoff() {
    bool carry, zero;
    asm volatile("vmxoff" : "=@ccc"(carry), "=@ccz"(zero) : : "memory");
    return vmx_result(carry, zero);
}

// Writes the VMCS's cached state back to its region and marks it clear (not
// launched); the first VMLAUNCH needs a clear VMCS.
inline VmxResult vmclear(uint64_t vmcs_phys) {
    bool carry, zero;
    asm volatile("vmclear %[vmcs]" : "=@ccc"(carry), "=@ccz"(zero) : [vmcs] "m"(vmcs_phys) : "memory");
    return vmx_result(carry, zero);
}

// Makes a VMCS current: VMREAD, VMWRITE and VM entry act on it.
inline VmxResult vmptrld(uint64_t vmcs_phys) {
    bool carry, zero;
    asm volatile("vmptrld %[vmcs]" : "=@ccc"(carry), "=@ccz"(zero) : [vmcs] "m"(vmcs_phys) : "memory");
    return vmx_result(carry, zero);
}

// In 64-bit mode the encoding travels in a 64-bit register and VMREAD
// zero-extends a narrower field into the destination. On failure value is 0.
inline VmxResult vmread(VmcsField field, uint64_t& value) {
    bool carry, zero;
    uint64_t result;
    asm volatile("vmread %[field], %[result]"
                 : [result] "=r"(result), "=@ccc"(carry), "=@ccz"(zero)
                 : [field] "r"(uint64_t{encoding_of(field)})
                 : "memory");
    const VmxResult outcome = vmx_result(carry, zero);
    value = outcome == VmxResult::Ok ? result : 0;
    return outcome;
}

// VMWRITE ignores the bits of value above a narrower field's width.
inline VmxResult vmwrite(VmcsField field, uint64_t value) {
    bool carry, zero;
    asm volatile("vmwrite %[value], %[field]"
                 : "=@ccc"(carry), "=@ccz"(zero)
                 : [field] "r"(uint64_t{encoding_of(field)}), [value] "rm"(value)
                 : "memory");
    return vmx_result(carry, zero);
}

// INVEPT drops the CPU's cached EPT translations (31.3, INVEPT). Single
// context: those derived from one EPT pointer; all contexts: every one.
enum class InveptType : uint64_t { SingleContext = 1, AllContexts = 2 };

struct InveptDescriptor {
    uint64_t eptp;
    uint64_t reserved;     // must be 0
};
static_assert(sizeof(InveptDescriptor) == 16);

inline VmxResult invept(InveptType type, uint64_t eptp) {
    const InveptDescriptor descriptor{eptp, 0};
    bool carry, zero;
    asm volatile("invept %[descriptor], %[type]"
                 : "=@ccc"(carry), "=@ccz"(zero)
                 : [descriptor] "m"(descriptor), [type] "r"(static_cast<uint64_t>(type))
                 : "memory");
    return vmx_result(carry, zero);
}

// After changing a partition's EPT (or reusing it for a restarted guest).
inline VmxResult invept_single_context(uint64_t eptp) { return invept(InveptType::SingleContext, eptp); }

// INVVPID drops the CPU's cached linear translations tagged with a VPID
// (31.3, INVVPID). VPID 0 is the host's: naming it fails (error 28).
enum class InvvpidType : uint64_t {
    IndividualAddress = 0,               // one linear address of one VPID
    SingleContext = 1,                   // everything of one VPID
    AllContexts = 2,                     // everything of every VPID but 0
    SingleContextRetainingGlobals = 3,   // one VPID, except global translations
};

struct InvvpidDescriptor {
    uint16_t vpid;
    uint16_t reserved0;    // bits 63:16 must be 0
    uint32_t reserved1;
    uint64_t linear_address;   // used by IndividualAddress only
};
static_assert(sizeof(InvvpidDescriptor) == 16);
static_assert(offsetof(InvvpidDescriptor, linear_address) == sizeof(uint64_t));

inline VmxResult invvpid(InvvpidType type, uint16_t vpid, uint64_t linear_address = 0) {
    const InvvpidDescriptor descriptor{vpid, 0, 0, linear_address};
    bool carry, zero;
    asm volatile("invvpid %[descriptor], %[type]"
                 : "=@ccc"(carry), "=@ccz"(zero)
                 : [descriptor] "m"(descriptor), [type] "r"(static_cast<uint64_t>(type))
                 : "memory");
    return vmx_result(carry, zero);
}

inline VmxResult invvpid_single_context(uint16_t vpid) { return invvpid(InvvpidType::SingleContext, vpid); }

// ---- Typed VMCS access -----------------------------------------------------

// Called when a typed VMREAD/VMWRITE below fails. The kernel implements it:
// it reads VmcsField::VmInstructionError (for VMfailValid), reports it by
// name and stops the partition. If it returns, a failed read yields 0.
void vmcs_access_failed(const char* operation, VmcsField field, VmxResult result);

namespace detail {

template <class T> inline constexpr bool kIsUnsignedInteger = false;
template <> inline constexpr bool kIsUnsignedInteger<unsigned char> = true;
template <> inline constexpr bool kIsUnsignedInteger<unsigned short> = true;
template <> inline constexpr bool kIsUnsignedInteger<unsigned int> = true;
template <> inline constexpr bool kIsUnsignedInteger<unsigned long> = true;
template <> inline constexpr bool kIsUnsignedInteger<unsigned long long> = true;

template <unsigned Bytes> struct UnsignedOfSize;
template <> struct UnsignedOfSize<sizeof(uint16_t)> { using Type = uint16_t; };
template <> struct UnsignedOfSize<sizeof(uint32_t)> { using Type = uint32_t; };
template <> struct UnsignedOfSize<sizeof(uint64_t)> { using Type = uint64_t; };

}  // namespace detail

// The C++ type that holds a field exactly: uint16_t, uint32_t or uint64_t.
template <VmcsField Field>
using FieldValue = typename detail::UnsignedOfSize<width_bytes(width_of(Field))>::Type;

static_assert(sizeof(FieldValue<VmcsField::GuestCsSelector>) == sizeof(uint16_t));
static_assert(sizeof(FieldValue<VmcsField::ExceptionBitmap>) == sizeof(uint32_t));
static_assert(sizeof(FieldValue<VmcsField::GuestRip>) == sizeof(uint64_t));

namespace vmcs {

// vmcs::read<VmcsField::GuestRip>() returns a uint64_t,
// vmcs::read<VmcsField::VmExitReason>() a uint32_t.
template <VmcsField Field>
FieldValue<Field> read() {
    uint64_t value = 0;
    const VmxResult result = vmread(Field, value);
    if (result != VmxResult::Ok) vmcs_access_failed("VMREAD", Field, result);
    return static_cast<FieldValue<Field>>(value);
}

// vmcs::write<VmcsField::GuestRip>(rip). The value must be an unsigned
// integer no wider than the field, so a 64-bit value cannot be cut down to a
// 16-bit selector unnoticed (write uint16_t{0}, not 0, for a constant).
template <VmcsField Field, class T>
void write(T value) {
    static_assert(detail::kIsUnsignedInteger<T>, "VMCS values are unsigned integers");
    static_assert(sizeof(T) <= width_bytes(width_of(Field)), "value is wider than the VMCS field");
    static_assert(!is_read_only(Field), "VM-exit information fields are read-only");
    const VmxResult result = vmwrite(Field, value);
    if (result != VmxResult::Ok) vmcs_access_failed("VMWRITE", Field, result);
}

}  // namespace vmcs

// For a field known only at run time (a table of fields to dump or copy).
// The width cannot be checked at compile time here: prefer vmcs::read/write.
template <class T>
T vmcs_read(VmcsField field) {
    static_assert(detail::kIsUnsignedInteger<T> && sizeof(T) <= sizeof(uint64_t), "VMCS values are unsigned integers");
    uint64_t value = 0;
    const VmxResult result = vmread(field, value);
    if (result != VmxResult::Ok) vmcs_access_failed("VMREAD", field, result);
    return static_cast<T>(value);
}

template <class T>
void vmcs_write(VmcsField field, T value) {
    static_assert(detail::kIsUnsignedInteger<T> && sizeof(T) <= sizeof(uint64_t), "VMCS values are unsigned integers");
    const VmxResult result = vmwrite(field, value);
    if (result != VmxResult::Ok) vmcs_access_failed("VMWRITE", field, result);
}

}  // namespace bulkhead::x86::vmx
