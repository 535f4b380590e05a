// Unit tests for kernel/acpi: the firmware tables live in a fake physical
// memory (a map from physical base addresses to byte buffers) built here, with
// checksums computed by the test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "arch/x86_64/acpi_tables.hpp"
#include "kernel/acpi.hpp"

using namespace bulkhead;

namespace {

using Bytes = std::vector<uint8_t>;

// ------------------------------------------------------- fake memory

class FakePhysicalMemory {
public:
    // Regions may be replaced but must not overlap: a read never spans two.
    void place(uint64_t phys, Bytes bytes) {
        regions_.erase(phys);
        const auto next = regions_.upper_bound(phys);
        if (next != regions_.end()) REQUIRE(phys + bytes.size() <= next->first);
        if (next != regions_.begin()) {
            const auto& [base, previous] = *std::prev(next);
            REQUIRE(base + previous.size() <= phys);
        }
        regions_[phys] = std::move(bytes);
    }
    Bytes& at(uint64_t phys) { return regions_.at(phys); }

    bool refuse_all = false;
    size_t reads = 0;

    static bool read(void* context, uint64_t phys, void* out, size_t length) {
        return static_cast<FakePhysicalMemory*>(context)->read(phys, out, length);
    }

private:
    // A read succeeds only if one region holds the whole range.
    bool read(uint64_t phys, void* out, size_t length) {
        ++reads;
        if (refuse_all) return false;
        auto next = regions_.upper_bound(phys);
        if (next == regions_.begin()) return false;
        const auto& [base, bytes] = *std::prev(next);
        const uint64_t offset = phys - base;
        if (offset > bytes.size() || length > bytes.size() - offset) return false;
        memcpy(out, bytes.data() + offset, length);
        return true;
    }

    std::map<uint64_t, Bytes> regions_;
};

// --------------------------------------------------- table builders

template <typename T>
void put(Bytes& bytes, size_t offset, const T& value) {
    REQUIRE(offset + sizeof(T) <= bytes.size());
    memcpy(bytes.data() + offset, &value, sizeof(T));
}

template <typename T>
Bytes bytes_of(const T& value) {
    Bytes bytes(sizeof(T));
    memcpy(bytes.data(), &value, sizeof(T));
    return bytes;
}

// Sets bytes[checksum_offset] so that bytes[0, covered) sums to zero.
void set_checksum(Bytes& bytes, size_t checksum_offset, size_t covered) {
    bytes[checksum_offset] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < covered; ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
    bytes[checksum_offset] = static_cast<uint8_t>(0 - sum);
}

constexpr size_t kSdtChecksumOffset = offsetof(AcpiSdtHeader, checksum);
constexpr size_t kSdtLengthOffset = offsetof(AcpiSdtHeader, length);

// Header + body with a correct length and checksum.
Bytes make_table(const char* signature, const Bytes& body) {
    Bytes table(sizeof(AcpiSdtHeader));
    AcpiSdtHeader header{};
    memcpy(header.signature, signature, kAcpiSignatureLength);
    header.length = static_cast<uint32_t>(sizeof(AcpiSdtHeader) + body.size());
    header.revision = 1;
    memcpy(header.oem_id, "BLKHD ", sizeof(header.oem_id));
    put(table, 0, header);
    table.insert(table.end(), body.begin(), body.end());
    set_checksum(table, kSdtChecksumOffset, table.size());
    return table;
}

// Changes a table's length field (a lie, usually) and re-signs it so only
// the length is wrong.
void set_length_and_resign(Bytes& table, uint32_t length) {
    put(table, kSdtLengthOffset, length);
    set_checksum(table, kSdtChecksumOffset, std::min<size_t>(length, table.size()));
}

Bytes make_rsdt(std::initializer_list<uint32_t> entries) {
    Bytes body;
    for (uint32_t entry : entries) {
        const Bytes raw = bytes_of(entry);
        body.insert(body.end(), raw.begin(), raw.end());
    }
    return make_table(kAcpiRsdtSignature, body);
}

Bytes make_xsdt(std::initializer_list<uint64_t> entries) {
    Bytes body;
    for (uint64_t entry : entries) {
        const Bytes raw = bytes_of(entry);
        body.insert(body.end(), raw.begin(), raw.end());
    }
    return make_table(kAcpiXsdtSignature, body);
}

constexpr uint32_t kFadtAcpi1Length = 116;  // what Bochs and QEMU's i440fx ship
constexpr uint32_t kFadtAcpi5Length = 268;  // e.g. QEMU q35: has every X_ field

struct FadtSpec {
    uint32_t length = kFadtAcpi1Length;
    uint32_t dsdt = 0;
    uint64_t x_dsdt = 0;
    uint32_t pm1a_control = 0;
    uint32_t pm1b_control = 0;
    AcpiGenericAddress x_pm1a_control{};
    AcpiGenericAddress x_pm1b_control{};
};

Bytes make_fadt(const FadtSpec& spec) {
    AcpiFadt fadt{};
    fadt.dsdt = spec.dsdt;
    fadt.x_dsdt = spec.x_dsdt;
    fadt.pm1a_control_block = spec.pm1a_control;
    fadt.pm1b_control_block = spec.pm1b_control;
    fadt.x_pm1a_control_block = spec.x_pm1a_control;
    fadt.x_pm1b_control_block = spec.x_pm1b_control;
    Bytes body = bytes_of(fadt);
    body.erase(body.begin(), body.begin() + sizeof(AcpiSdtHeader));
    body.resize(spec.length - sizeof(AcpiSdtHeader), 0);
    return make_table(kAcpiFadtSignature, body);
}

AcpiGenericAddress io_register(uint64_t port) {
    AcpiGenericAddress address{};
    address.address_space = kAcpiAddressSpaceIo;
    address.bit_width = 16;
    address.address = port;
    return address;
}

Bytes make_rsdp_v1(uint32_t rsdt) {
    AcpiRsdpV1 rsdp{};
    memcpy(rsdp.signature, kAcpiRsdpSignature, kAcpiRsdpSignatureLength);
    memcpy(rsdp.oem_id, "BLKHD ", sizeof(rsdp.oem_id));
    rsdp.revision = 0;
    rsdp.rsdt_address = rsdt;
    Bytes bytes = bytes_of(rsdp);
    set_checksum(bytes, offsetof(AcpiRsdpV1, checksum), sizeof(AcpiRsdpV1));
    return bytes;
}

Bytes make_rsdp_v2(uint32_t rsdt, uint64_t xsdt) {
    AcpiRsdpV2 rsdp{};
    memcpy(rsdp.v1.signature, kAcpiRsdpSignature, kAcpiRsdpSignatureLength);
    memcpy(rsdp.v1.oem_id, "BLKHD ", sizeof(rsdp.v1.oem_id));
    rsdp.v1.revision = kAcpiRsdpRevisionWithXsdt;
    rsdp.v1.rsdt_address = rsdt;
    rsdp.length = sizeof(AcpiRsdpV2);
    rsdp.xsdt_address = xsdt;
    Bytes bytes = bytes_of(rsdp);
    set_checksum(bytes, offsetof(AcpiRsdpV1, checksum), sizeof(AcpiRsdpV1));
    set_checksum(bytes, offsetof(AcpiRsdpV2, extended_checksum), sizeof(AcpiRsdpV2));
    return bytes;
}

// ------------------------------------------------------ AML builders

constexpr uint8_t kNameOp = 0x08;
constexpr uint8_t kPackageOp = 0x12;
constexpr uint8_t kRootChar = '\\';

Bytes zero_op() { return {0x00}; }
Bytes one_op() { return {0x01}; }
Bytes byte_const(uint8_t value) { return {0x0A, value}; }
Bytes word_const(uint16_t value) {
    return {0x0B, static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8)};
}
Bytes dword_const(uint32_t value) {
    return {0x0C, static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
            static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 24)};
}

// PkgLength for `contents` bytes after it, in `encoded_bytes` bytes (1-4).
Bytes pkg_length(size_t contents, size_t encoded_bytes) {
    const size_t total = contents + encoded_bytes;
    if (encoded_bytes == 1) {
        REQUIRE(total <= 0x3F);
        return {static_cast<uint8_t>(total)};
    }
    Bytes encoded{static_cast<uint8_t>(((encoded_bytes - 1) << 6) | (total & 0x0F))};
    for (size_t i = 1; i < encoded_bytes; ++i)
        encoded.push_back(static_cast<uint8_t>(total >> (4 + 8 * (i - 1))));
    return encoded;
}

struct S5Spec {
    std::vector<Bytes> elements;
    bool rooted = false;            // "\_S5_" instead of "_S5_"
    size_t pkg_length_bytes = 1;
    int element_count = -1;         // NumElements byte; -1: elements.size()
};

// Name(_S5_, Package(n) { elements... }) as iasl would emit it.
Bytes s5_object(const S5Spec& spec) {
    Bytes contents{static_cast<uint8_t>(spec.element_count >= 0 ? spec.element_count
                                                                : spec.elements.size())};
    for (const Bytes& element : spec.elements)
        contents.insert(contents.end(), element.begin(), element.end());
    Bytes aml{kNameOp};
    if (spec.rooted) aml.push_back(kRootChar);
    aml.insert(aml.end(), {'_', 'S', '5', '_', kPackageOp});
    const Bytes length = pkg_length(contents.size(), spec.pkg_length_bytes);
    aml.insert(aml.end(), length.begin(), length.end());
    aml.insert(aml.end(), contents.begin(), contents.end());
    return aml;
}

// Deterministic AML-ish filler that never contains '_' (0x5F).
Bytes filler(size_t length) {
    Bytes bytes(length);
    for (size_t i = 0; i < length; ++i) bytes[i] = static_cast<uint8_t>(0x10 + (i * 7) % 0x40);
    return bytes;
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes all;
    for (const Bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
    return all;
}

// Runs aml_find_s5 on an exactly-sized heap copy, so that any read past the
// end is caught by AddressSanitizer.
bool find_s5(const Bytes& aml, uint8_t& a, uint8_t& b) {
    std::vector<uint8_t> exact(aml);
    exact.shrink_to_fit();
    return aml_find_s5(exact.empty() ? nullptr : exact.data(), exact.size(), a, b);
}

// ------------------------------------------------------ a whole machine

// Far enough apart that no table (even the big test DSDT) runs into the next.
constexpr uint64_t kRsdtPhys = 0x7F10000;
constexpr uint64_t kXsdtPhys = 0x7F20000;
constexpr uint64_t kFadtPhys = 0x7F30000;
constexpr uint64_t kDsdtPhys = 0x7F40000;
constexpr uint64_t kMadtPhys = 0x7F50000;
constexpr uint64_t kHighTablePhys = 0x1'2000'0000;  // above 4 GiB: XSDT only

constexpr uint16_t kQemuPm1aControl = 0x604;
constexpr uint16_t kPm1bControl = 0x1004;

Bytes qemu_like_dsdt_aml() {
    return concat({filler(200), s5_object({{zero_op(), zero_op(), zero_op(), zero_op()}}),
                   filler(100)});
}

// RSDP v1 -> RSDT -> { FADT, MADT }, FADT -> DSDT, like QEMU with SeaBIOS.
struct Machine {
    FakePhysicalMemory memory;
    AcpiRoot root{kRsdtPhys, false, 0};

    explicit Machine(const Bytes& dsdt_aml = qemu_like_dsdt_aml()) {
        memory.place(kRsdtPhys, make_rsdt({static_cast<uint32_t>(kFadtPhys),
                                           static_cast<uint32_t>(kMadtPhys)}));
        FadtSpec fadt;
        fadt.dsdt = static_cast<uint32_t>(kDsdtPhys);
        fadt.pm1a_control = kQemuPm1aControl;
        memory.place(kFadtPhys, make_fadt(fadt));
        memory.place(kDsdtPhys, make_table(kAcpiDsdtSignature, dsdt_aml));
        memory.place(kMadtPhys, make_table(kAcpiMadtSignature, filler(44)));
    }

    AcpiError find_s5(SleepControl& out) {
        return acpi_find_s5(FakePhysicalMemory::read, &memory, root, out);
    }
    AcpiError find_table(const char* signature, uint64_t& phys, uint32_t& length) {
        return acpi_find_table(FakePhysicalMemory::read, &memory, root, signature, phys, length);
    }
};

}  // namespace

// =================================================================== AML

TEST_CASE("aml_find_s5: QEMU encoding, ZeroOp elements", "[acpi][aml]") {
    uint8_t a = 9, b = 9;
    REQUIRE(find_s5(qemu_like_dsdt_aml(), a, b));
    CHECK(a == 0);
    CHECK(b == 0);
}

TEST_CASE("aml_find_s5: Bochs/VirtualBox encoding, \\_S5_ with BytePrefix", "[acpi][aml]") {
    // Name(\_S5_, Package(4) { 5, 5, 0, 0 }); PkgLength 8 counts itself too.
    const Bytes aml = s5_object(
        {{byte_const(5), byte_const(5), zero_op(), zero_op()}, /*rooted=*/true});
    const Bytes expected{0x08, 0x5C, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x08,
                         0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00};
    REQUIRE(aml == expected);  // the builder emits what iasl emits
    uint8_t a = 0, b = 0;
    REQUIRE(find_s5(concat({filler(33), aml, filler(5)}), a, b));
    CHECK(a == 5);
    CHECK(b == 5);
}

TEST_CASE("aml_find_s5: every supported element encoding", "[acpi][aml]") {
    struct Case {
        Bytes first, second;
        uint8_t a, b;
    };
    const Case cases[] = {
        {zero_op(), one_op(), 0, 1},
        {one_op(), zero_op(), 1, 0},
        {byte_const(7), byte_const(3), 7, 3},
        {word_const(6), word_const(0xFF), 6, 0xFF},
        {dword_const(2), dword_const(4), 2, 4},
        {byte_const(5), dword_const(0), 5, 0},
    };
    for (const Case& c : cases) {
        for (bool rooted : {false, true}) {
            uint8_t a = 99, b = 99;
            REQUIRE(find_s5(s5_object({{c.first, c.second}, rooted}), a, b));
            CHECK(a == c.a);
            CHECK(b == c.b);
        }
    }
}

TEST_CASE("aml_find_s5: PkgLength in 1 to 4 bytes", "[acpi][aml]") {
    for (size_t bytes = 1; bytes <= 4; ++bytes) {
        S5Spec spec{{byte_const(5), byte_const(6), zero_op(), zero_op()}};
        spec.pkg_length_bytes = bytes;
        uint8_t a = 0, b = 0;
        INFO("PkgLength bytes: " << bytes);
        REQUIRE(find_s5(s5_object(spec), a, b));
        CHECK(a == 5);
        CHECK(b == 6);
    }
}

TEST_CASE("aml_find_s5: skips decoys and finds the definition", "[acpi][aml]") {
    const Bytes string_decoy{0x0D, '_', 'S', '5', '_', 0x00};        // String "_S5_"
    const Bytes reference_decoy{0x70, '_', 'S', '5', '_', 0x60};      // Store(_S5_, Local0)
    const Bytes not_a_package{kNameOp, '_', 'S', '5', '_', 0x0A, 0x01};  // Name(_S5_, 1)
    const Bytes aml = concat({string_decoy, reference_decoy, not_a_package, filler(3),
                              s5_object({{byte_const(2), byte_const(3)}})});
    uint8_t a = 0, b = 0;
    REQUIRE(find_s5(aml, a, b));
    CHECK(a == 2);
    CHECK(b == 3);
}

TEST_CASE("aml_find_s5: a name at the very start has no NameOp", "[acpi][aml]") {
    const Bytes aml{'_', 'S', '5', '_', kPackageOp, 0x04, 0x02, 0x00, 0x00};
    uint8_t a = 0, b = 0;
    CHECK_FALSE(find_s5(aml, a, b));
    const Bytes rooted_only{'\\', '_', 'S', '5', '_', kPackageOp, 0x04, 0x02, 0x00, 0x00};
    CHECK_FALSE(find_s5(rooted_only, a, b));
}

TEST_CASE("aml_find_s5: truncated AML is refused at every cut", "[acpi][aml]") {
    for (bool rooted : {false, true}) {
        for (size_t pkg_bytes : {1, 2, 4}) {
            S5Spec spec{{dword_const(5), dword_const(5), zero_op(), zero_op()}, rooted};
            spec.pkg_length_bytes = pkg_bytes;
            const Bytes whole = concat({filler(10), s5_object(spec)});
            for (size_t cut = 0; cut < whole.size(); ++cut) {
                uint8_t a = 42, b = 43;
                INFO("cut at " << cut << " of " << whole.size());
                CHECK_FALSE(find_s5(Bytes(whole.begin(), whole.begin() + cut), a, b));
                CHECK(a == 42);  // outputs untouched on failure
                CHECK(b == 43);
            }
            uint8_t a = 0, b = 0;
            CHECK(find_s5(whole, a, b));
        }
    }
}

TEST_CASE("aml_find_s5: malformed packages are refused", "[acpi][aml]") {
    uint8_t a = 0, b = 0;

    SECTION("fewer than two elements") {
        CHECK_FALSE(find_s5(s5_object({{byte_const(5)}}), a, b));
        S5Spec lying{{byte_const(5), byte_const(5)}};
        lying.element_count = 1;
        CHECK_FALSE(find_s5(s5_object(lying), a, b));
    }
    SECTION("PkgLength runs past the end of the AML") {
        Bytes aml = s5_object({{byte_const(5), byte_const(5)}});
        aml[6] = 0x3F;  // the one-byte PkgLength after PackageOp
        CHECK_FALSE(find_s5(aml, a, b));
    }
    SECTION("PkgLength too short to hold the elements") {
        Bytes aml = concat({s5_object({{byte_const(5), byte_const(5)}}), filler(8)});
        aml[6] = 0x04;  // covers PkgLength, count and one element's prefix only
        CHECK_FALSE(find_s5(aml, a, b));
    }
    SECTION("reserved PkgLength bits set") {
        S5Spec spec{{byte_const(5), byte_const(5)}};
        spec.pkg_length_bytes = 2;
        Bytes aml = s5_object(spec);
        aml[6] |= 0x30;
        CHECK_FALSE(find_s5(aml, a, b));
    }
    SECTION("an element that is not a small constant") {
        const Bytes qword{0x0E, 5, 0, 0, 0, 0, 0, 0, 0};
        CHECK_FALSE(find_s5(s5_object({{qword, byte_const(5)}}), a, b));
        const Bytes name_string{'S', 'L', 'P', '5'};
        CHECK_FALSE(find_s5(s5_object({{byte_const(5), name_string}}), a, b));
    }
    SECTION("a value too large for a sleep type") {
        CHECK_FALSE(find_s5(s5_object({{word_const(0x100), byte_const(5)}}), a, b));
        CHECK_FALSE(find_s5(s5_object({{byte_const(5), dword_const(0x10000)}}), a, b));
    }
    SECTION("empty or null input") {
        CHECK_FALSE(find_s5(Bytes{}, a, b));
        CHECK_FALSE(aml_find_s5(nullptr, 100, a, b));
    }
}

// ================================================================== RSDP

TEST_CASE("acpi_root_from_rsdp: v1 points at the RSDT", "[acpi][rsdp]") {
    const Bytes rsdp = make_rsdp_v1(0x7FE1000);
    AcpiRoot root{};
    REQUIRE(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) == AcpiError::None);
    CHECK(root.root_table_phys == 0x7FE1000);
    CHECK_FALSE(root.is_xsdt);
    CHECK(root.revision == 0);
}

TEST_CASE("acpi_root_from_rsdp: v2 prefers the XSDT", "[acpi][rsdp]") {
    const Bytes rsdp = make_rsdp_v2(0x7FE1000, 0x1'0000'2000);
    AcpiRoot root{};
    REQUIRE(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) == AcpiError::None);
    CHECK(root.root_table_phys == 0x1'0000'2000);
    CHECK(root.is_xsdt);
    CHECK(root.revision == 2);
}

TEST_CASE("acpi_root_from_rsdp: v2 without an XSDT uses the RSDT", "[acpi][rsdp]") {
    const Bytes rsdp = make_rsdp_v2(0x7FE1000, 0);
    AcpiRoot root{};
    REQUIRE(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) == AcpiError::None);
    CHECK(root.root_table_phys == 0x7FE1000);
    CHECK_FALSE(root.is_xsdt);
}

TEST_CASE("acpi_root_from_rsdp: v2 given as only its first 20 bytes", "[acpi][rsdp]") {
    const Bytes rsdp = make_rsdp_v2(0x7FE1000, 0x1'0000'2000);
    AcpiRoot root{};
    REQUIRE(acpi_root_from_rsdp(rsdp.data(), sizeof(AcpiRsdpV1), root) == AcpiError::None);
    CHECK(root.root_table_phys == 0x7FE1000);
    CHECK_FALSE(root.is_xsdt);
}

TEST_CASE("acpi_root_from_rsdp: refuses bad input", "[acpi][rsdp]") {
    AcpiRoot root{0x1234, true, 7};
    const AcpiRoot untouched = root;

    SECTION("null and short") {
        const Bytes rsdp = make_rsdp_v1(0x1000);
        CHECK(acpi_root_from_rsdp(nullptr, 36, root) == AcpiError::NoRsdp);
        CHECK(acpi_root_from_rsdp(rsdp.data(), sizeof(AcpiRsdpV1) - 1, root) == AcpiError::NoRsdp);
    }
    SECTION("wrong signature") {
        Bytes rsdp = make_rsdp_v1(0x1000);
        rsdp[7] = 'X';  // "RSD PTRX"
        set_checksum(rsdp, offsetof(AcpiRsdpV1, checksum), sizeof(AcpiRsdpV1));
        CHECK(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) == AcpiError::NoRsdp);
    }
    SECTION("bad v1 checksum") {
        Bytes rsdp = make_rsdp_v1(0x1000);
        rsdp[offsetof(AcpiRsdpV1, rsdt_address)] ^= 0x10;
        CHECK(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) ==
              AcpiError::BadRsdpChecksum);
    }
    SECTION("bad extended checksum") {
        Bytes rsdp = make_rsdp_v2(0x1000, 0x2000);
        rsdp[offsetof(AcpiRsdpV2, xsdt_address)] ^= 0x10;
        CHECK(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) ==
              AcpiError::BadRsdpChecksum);
    }
    SECTION("extended length larger than what we were given") {
        Bytes rsdp = make_rsdp_v2(0x1000, 0x2000);
        put(rsdp, offsetof(AcpiRsdpV2, length), uint32_t{4096});
        set_checksum(rsdp, offsetof(AcpiRsdpV2, extended_checksum), sizeof(AcpiRsdpV2));
        CHECK(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) ==
              AcpiError::BadRsdpChecksum);
    }
    SECTION("extended length smaller than a v2 RSDP") {
        Bytes rsdp = make_rsdp_v2(0x1000, 0x2000);
        put(rsdp, offsetof(AcpiRsdpV2, length), uint32_t{20});
        set_checksum(rsdp, offsetof(AcpiRsdpV2, extended_checksum), sizeof(AcpiRsdpV2));
        CHECK(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) ==
              AcpiError::BadRsdpChecksum);
    }
    SECTION("no root table at all") {
        const Bytes rsdp = make_rsdp_v1(0);
        CHECK(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) == AcpiError::BadRootTable);
    }
    CHECK(root.root_table_phys == untouched.root_table_phys);
    CHECK(root.is_xsdt == untouched.is_xsdt);
    CHECK(root.revision == untouched.revision);
}

// ============================================================= BIOS scan

namespace {

constexpr uint64_t kBdaPhys = 0x400;
constexpr uint64_t kEbdaSegmentPointer = 0x40E;
constexpr uint16_t kEbdaSegment = 0x9FC0;
constexpr uint64_t kEbdaPhys = uint64_t{kEbdaSegment} << 4;
constexpr uint64_t kEbdaSize = 0x400 * 2;  // 2 KiB mapped, only the first is searched
constexpr uint64_t kBiosAreaPhys = 0xE0000;
constexpr uint64_t kBiosAreaSize = 0x20000;

// Low memory of a legacy BIOS machine: BDA, EBDA, and the BIOS ROM area.
struct LegacyLowMemory {
    FakePhysicalMemory memory;

    explicit LegacyLowMemory(uint16_t ebda_segment = kEbdaSegment) {
        Bytes bda(0x100, 0);
        put(bda, kEbdaSegmentPointer - kBdaPhys, ebda_segment);
        memory.place(kBdaPhys, bda);
        memory.place(kEbdaPhys, Bytes(kEbdaSize, 0));
        memory.place(kBiosAreaPhys, Bytes(kBiosAreaSize, 0));
    }

    void write(uint64_t phys, const Bytes& bytes) {
        const uint64_t base = phys >= kBiosAreaPhys ? kBiosAreaPhys : kEbdaPhys;
        Bytes& region = memory.at(base);
        std::copy(bytes.begin(), bytes.end(), region.begin() + (phys - base));
    }

    AcpiError scan(AcpiRoot& root) {
        return acpi_scan_bios_for_rsdp(FakePhysicalMemory::read, &memory, root);
    }
};

}  // namespace

TEST_CASE("BIOS scan: finds an RSDP on a 16-byte boundary", "[acpi][scan]") {
    for (uint64_t phys : {kBiosAreaPhys, kBiosAreaPhys + 0xF6A0, uint64_t{0xFFFE0}}) {
        LegacyLowMemory low;
        low.write(phys, make_rsdp_v1(0x7FE1000));
        AcpiRoot root{};
        INFO("RSDP at " << std::hex << phys);
        REQUIRE(low.scan(root) == AcpiError::None);
        CHECK(root.root_table_phys == 0x7FE1000);
        CHECK_FALSE(root.is_xsdt);
    }
}

TEST_CASE("BIOS scan: a v2 RSDP yields the XSDT", "[acpi][scan]") {
    LegacyLowMemory low;
    low.write(0xF5B10, make_rsdp_v2(0x7FE1000, 0x7FE2000));
    AcpiRoot root{};
    REQUIRE(low.scan(root) == AcpiError::None);
    CHECK(root.root_table_phys == 0x7FE2000);
    CHECK(root.is_xsdt);
    CHECK(root.revision == 2);
}

TEST_CASE("BIOS scan: ignores an RSDP off the 16-byte grid", "[acpi][scan]") {
    LegacyLowMemory low;
    low.write(0xF0008, make_rsdp_v1(0x7FE1000));
    AcpiRoot root{};
    CHECK(low.scan(root) == AcpiError::NoRsdp);
}

TEST_CASE("BIOS scan: the EBDA is searched first, and only its first KiB", "[acpi][scan]") {
    AcpiRoot root{};
    SECTION("EBDA wins over the BIOS area") {
        LegacyLowMemory low;
        low.write(kEbdaPhys + 0x40, make_rsdp_v1(0x1111000));
        low.write(0xF0000, make_rsdp_v1(0x2222000));
        REQUIRE(low.scan(root) == AcpiError::None);
        CHECK(root.root_table_phys == 0x1111000);
    }
    SECTION("last slot of the first KiB") {
        LegacyLowMemory low;
        low.write(kEbdaPhys + 0x400 - 0x20, make_rsdp_v1(0x1111000));
        REQUIRE(low.scan(root) == AcpiError::None);
        CHECK(root.root_table_phys == 0x1111000);
    }
    SECTION("beyond the first KiB is not looked at") {
        LegacyLowMemory low;
        low.write(kEbdaPhys + 0x400, make_rsdp_v1(0x1111000));
        CHECK(low.scan(root) == AcpiError::NoRsdp);
    }
    SECTION("no EBDA: segment 0") {
        LegacyLowMemory low(0);
        low.write(0xE4000, make_rsdp_v1(0x2222000));
        REQUIRE(low.scan(root) == AcpiError::None);
        CHECK(root.root_table_phys == 0x2222000);
    }
}

TEST_CASE("BIOS scan: bad checksums", "[acpi][scan]") {
    AcpiRoot root{};
    Bytes broken = make_rsdp_v1(0x3333000);
    broken[offsetof(AcpiRsdpV1, checksum)] ^= 1;

    SECTION("only a broken RSDP") {
        LegacyLowMemory low;
        low.write(0xE0100, broken);
        CHECK(low.scan(root) == AcpiError::BadRsdpChecksum);
    }
    SECTION("a broken one before a good one") {
        LegacyLowMemory low;
        low.write(kEbdaPhys, broken);
        low.write(0xE0100, broken);
        low.write(0xE0200, make_rsdp_v1(0x4444000));
        REQUIRE(low.scan(root) == AcpiError::None);
        CHECK(root.root_table_phys == 0x4444000);
    }
}

TEST_CASE("BIOS scan: a reader that refuses everything", "[acpi][scan]") {
    LegacyLowMemory low;
    low.write(0xE0000, make_rsdp_v1(0x7FE1000));
    low.memory.refuse_all = true;
    AcpiRoot root{};
    CHECK(low.scan(root) == AcpiError::NoRsdp);
    CHECK(acpi_scan_bios_for_rsdp(nullptr, nullptr, root) == AcpiError::NoRsdp);
}

TEST_CASE("BIOS scan: nothing mapped but the BIOS area", "[acpi][scan]") {
    FakePhysicalMemory memory;
    Bytes area(kBiosAreaSize, 0);
    const Bytes rsdp = make_rsdp_v1(0x7FE1000);
    std::copy(rsdp.begin(), rsdp.end(), area.begin() + 0x1F0);
    memory.place(kBiosAreaPhys, area);
    AcpiRoot root{};
    REQUIRE(acpi_scan_bios_for_rsdp(FakePhysicalMemory::read, &memory, root) == AcpiError::None);
    CHECK(root.root_table_phys == 0x7FE1000);
}

// ============================================================ find_table

TEST_CASE("acpi_find_table: through the RSDT", "[acpi][tables]") {
    Machine machine;
    uint64_t phys = 0;
    uint32_t length = 0;
    REQUIRE(machine.find_table(kAcpiMadtSignature, phys, length) == AcpiError::None);
    CHECK(phys == kMadtPhys);
    CHECK(length == sizeof(AcpiSdtHeader) + 44);
    REQUIRE(machine.find_table(kAcpiFadtSignature, phys, length) == AcpiError::None);
    CHECK(phys == kFadtPhys);
    CHECK(length == kFadtAcpi1Length);
}

TEST_CASE("acpi_find_table: through the XSDT, above 4 GiB", "[acpi][tables]") {
    Machine machine;
    machine.memory.place(kXsdtPhys, make_xsdt({kFadtPhys, kHighTablePhys}));
    machine.memory.place(kHighTablePhys, make_table("HPET", filler(20)));
    machine.root = AcpiRoot{kXsdtPhys, true, 2};
    uint64_t phys = 0;
    uint32_t length = 0;
    REQUIRE(machine.find_table("HPET", phys, length) == AcpiError::None);
    CHECK(phys == kHighTablePhys);
    CHECK(length == sizeof(AcpiSdtHeader) + 20);
}

TEST_CASE("acpi_find_table: a missing table", "[acpi][tables]") {
    Machine machine;
    uint64_t phys = 77;
    uint32_t length = 88;
    CHECK(machine.find_table("SRAT", phys, length) == AcpiError::NoTable);
    CHECK(phys == 77);
    CHECK(length == 88);
}

TEST_CASE("acpi_find_table: corrupt copies are skipped", "[acpi][tables]") {
    Machine machine;
    constexpr uint64_t kSecondMadt = 0x7F60000;
    constexpr uint64_t kUnmapped = 0x7FF0000;  // nothing placed there
    machine.memory.place(kRsdtPhys, make_rsdt({static_cast<uint32_t>(kUnmapped),
                                               static_cast<uint32_t>(kMadtPhys),
                                               static_cast<uint32_t>(kSecondMadt)}));
    machine.memory.at(kMadtPhys)[50] ^= 0xFF;  // breaks the first MADT's checksum
    machine.memory.place(kSecondMadt, make_table(kAcpiMadtSignature, filler(8)));
    uint64_t phys = 0;
    uint32_t length = 0;
    REQUIRE(machine.find_table(kAcpiMadtSignature, phys, length) == AcpiError::None);
    CHECK(phys == kSecondMadt);
}

TEST_CASE("acpi_find_table: table length lies", "[acpi][tables]") {
    uint64_t phys = 0;
    uint32_t length = 0;
    for (uint32_t lie : {uint32_t{0}, uint32_t{35}, uint32_t{0x1000}, uint32_t{0xFFFFFFFF}}) {
        Machine machine;
        set_length_and_resign(machine.memory.at(kMadtPhys), lie);
        INFO("claimed length " << lie);
        CHECK(machine.find_table(kAcpiMadtSignature, phys, length) == AcpiError::NoTable);
        // A 4 GiB claim is refused from the header alone, not by reading 4 GiB.
        CHECK(machine.memory.reads < 100);
    }
}

TEST_CASE("acpi_find_table: a torn last root entry is ignored", "[acpi][tables]") {
    Machine machine;
    Bytes rsdt = make_rsdt({static_cast<uint32_t>(kMadtPhys)});
    rsdt.push_back(0x12);
    rsdt.push_back(0x34);
    set_length_and_resign(rsdt, static_cast<uint32_t>(rsdt.size()));
    machine.memory.place(kRsdtPhys, rsdt);
    uint64_t phys = 0;
    uint32_t length = 0;
    REQUIRE(machine.find_table(kAcpiMadtSignature, phys, length) == AcpiError::None);
    CHECK(phys == kMadtPhys);
}

TEST_CASE("acpi_find_table: bad root tables", "[acpi][tables]") {
    Machine machine;
    uint64_t phys = 0;
    uint32_t length = 0;
    SECTION("bad checksum") {
        machine.memory.at(kRsdtPhys)[40] ^= 1;
    }
    SECTION("XSDT expected, RSDT found") {
        machine.root.is_xsdt = true;
    }
    SECTION("unmapped") {
        machine.root.root_table_phys = 0x9000'0000;
    }
    SECTION("null") {
        machine.root.root_table_phys = 0;
    }
    SECTION("length claims 4 GiB") {
        set_length_and_resign(machine.memory.at(kRsdtPhys), 0xFFFFFFFF);
    }
    SECTION("length claims more than is there") {
        set_length_and_resign(machine.memory.at(kRsdtPhys), 0x800);
    }
    SECTION("length shorter than a header") {
        set_length_and_resign(machine.memory.at(kRsdtPhys), 20);
    }
    SECTION("address range wraps around") {
        machine.root = AcpiRoot{UINT64_MAX - 8, true, 2};
    }
    SECTION("the reader refuses") {
        machine.memory.refuse_all = true;
    }
    CHECK(machine.find_table(kAcpiMadtSignature, phys, length) == AcpiError::BadRootTable);
}

// ================================================================ find_s5

TEST_CASE("acpi_find_s5: QEMU-like ACPI 1.0 tables", "[acpi][s5]") {
    Machine machine;
    SleepControl control{};
    REQUIRE(machine.find_s5(control) == AcpiError::None);
    CHECK(control.pm1a_control_port == kQemuPm1aControl);
    CHECK(control.pm1b_control_port == 0);
    CHECK(control.slp_typ_a == 0);
    CHECK(control.slp_typ_b == 0);
}

TEST_CASE("acpi_find_s5: from an RSDP, as the kernel will do it", "[acpi][s5]") {
    Machine machine(concat({filler(50), s5_object({{byte_const(5), byte_const(5)}, true})}));
    const Bytes rsdp = make_rsdp_v1(static_cast<uint32_t>(kRsdtPhys));
    AcpiRoot root{};
    REQUIRE(acpi_root_from_rsdp(rsdp.data(), rsdp.size(), root) == AcpiError::None);
    SleepControl control{};
    REQUIRE(acpi_find_s5(FakePhysicalMemory::read, &machine.memory, root, control) ==
            AcpiError::None);
    CHECK(control.slp_typ_a == 5);
    CHECK(control.slp_typ_b == 5);
    CHECK(s5_control_value(control.slp_typ_a) == 0x3400);
}

TEST_CASE("acpi_find_s5: ACPI 2.0+ tables use the X_ fields", "[acpi][s5]") {
    Machine machine;
    constexpr uint64_t kOldDsdt = 0x7F70000;  // what the 32-bit field says; must lose
    machine.memory.place(kXsdtPhys, make_xsdt({kMadtPhys, kFadtPhys}));
    machine.memory.place(kHighTablePhys,
                         make_table(kAcpiDsdtSignature,
                                    s5_object({{byte_const(7), byte_const(6)}})));
    machine.memory.place(kOldDsdt, make_table(kAcpiDsdtSignature,
                                              s5_object({{byte_const(1), byte_const(1)}})));
    FadtSpec fadt;
    fadt.length = kFadtAcpi5Length;
    fadt.dsdt = static_cast<uint32_t>(kOldDsdt);
    fadt.x_dsdt = kHighTablePhys;
    fadt.pm1a_control = 0x1111;
    fadt.pm1b_control = 0x2222;
    fadt.x_pm1a_control = io_register(kQemuPm1aControl);
    fadt.x_pm1b_control = io_register(kPm1bControl);
    machine.memory.place(kFadtPhys, make_fadt(fadt));
    machine.root = AcpiRoot{kXsdtPhys, true, 2};

    SleepControl control{};
    REQUIRE(machine.find_s5(control) == AcpiError::None);
    CHECK(control.pm1a_control_port == kQemuPm1aControl);
    CHECK(control.pm1b_control_port == kPm1bControl);
    CHECK(control.slp_typ_a == 7);
    CHECK(control.slp_typ_b == 6);
}

TEST_CASE("acpi_find_s5: X_ fields that cannot be used fall back", "[acpi][s5]") {
    Machine machine;
    FadtSpec fadt;
    fadt.length = kFadtAcpi5Length;
    fadt.dsdt = static_cast<uint32_t>(kDsdtPhys);
    fadt.x_dsdt = 0;  // 0 means "use DSDT"
    fadt.pm1a_control = kQemuPm1aControl;
    fadt.pm1b_control = kPm1bControl;
    fadt.x_pm1a_control = io_register(0xFEE0'0000);  // no such I/O port
    fadt.x_pm1a_control.address_space = kAcpiAddressSpaceMemory;
    fadt.x_pm1b_control = io_register(0x1'0000);
    machine.memory.place(kFadtPhys, make_fadt(fadt));
    SleepControl control{};
    REQUIRE(machine.find_s5(control) == AcpiError::None);
    CHECK(control.pm1a_control_port == kQemuPm1aControl);
    CHECK(control.pm1b_control_port == kPm1bControl);
}

TEST_CASE("acpi_find_s5: fields past the FADT's length are not used", "[acpi][s5]") {
    Machine machine;
    // An ACPI 1.0 FADT followed by bytes that look like X_DSDT and X_PM1a.
    FadtSpec fadt;
    fadt.length = sizeof(AcpiFadt);
    fadt.dsdt = static_cast<uint32_t>(kDsdtPhys);
    fadt.x_dsdt = 0xBAD0'0000;
    fadt.pm1a_control = kQemuPm1aControl;
    fadt.x_pm1a_control = io_register(0xBAD);
    Bytes table = make_fadt(fadt);
    set_length_and_resign(table, kFadtAcpi1Length);
    machine.memory.place(kFadtPhys, table);
    SleepControl control{};
    REQUIRE(machine.find_s5(control) == AcpiError::None);
    CHECK(control.pm1a_control_port == kQemuPm1aControl);
}

TEST_CASE("acpi_find_s5: FADT problems", "[acpi][s5]") {
    Machine machine;
    SleepControl control{};
    SECTION("no FADT in the root table") {
        machine.memory.place(kRsdtPhys, make_rsdt({static_cast<uint32_t>(kMadtPhys)}));
        CHECK(machine.find_s5(control) == AcpiError::NoFadt);
    }
    SECTION("FADT listed but unmapped") {
        machine.memory.place(kRsdtPhys, make_rsdt({0x7FF0000}));
        CHECK(machine.find_s5(control) == AcpiError::NoFadt);
    }
    SECTION("bad checksum") {
        machine.memory.at(kFadtPhys)[64] ^= 0x01;
        CHECK(machine.find_s5(control) == AcpiError::BadFadt);
    }
    SECTION("claims 4 GiB") {
        set_length_and_resign(machine.memory.at(kFadtPhys), 0xFFFFFFFF);
        CHECK(machine.find_s5(control) == AcpiError::BadFadt);
    }
    SECTION("too short to hold PM1b_CNT_BLK") {
        FadtSpec fadt;
        fadt.length = kAcpiFadtMinimumLength - 1;
        fadt.dsdt = static_cast<uint32_t>(kDsdtPhys);
        fadt.pm1a_control = kQemuPm1aControl;
        machine.memory.place(kFadtPhys, make_fadt(fadt));
        CHECK(machine.find_s5(control) == AcpiError::BadFadt);
    }
    SECTION("no PM1a control port") {
        FadtSpec fadt;
        fadt.dsdt = static_cast<uint32_t>(kDsdtPhys);
        machine.memory.place(kFadtPhys, make_fadt(fadt));
        CHECK(machine.find_s5(control) == AcpiError::BadFadt);
    }
    SECTION("PM1a beyond the I/O port space") {
        FadtSpec fadt;
        fadt.dsdt = static_cast<uint32_t>(kDsdtPhys);
        fadt.pm1a_control = 0x10000;
        machine.memory.place(kFadtPhys, make_fadt(fadt));
        CHECK(machine.find_s5(control) == AcpiError::BadFadt);
    }
}

TEST_CASE("acpi_find_s5: exactly the minimum FADT is enough", "[acpi][s5]") {
    Machine machine;
    FadtSpec fadt;
    fadt.length = kAcpiFadtMinimumLength;
    fadt.dsdt = static_cast<uint32_t>(kDsdtPhys);
    fadt.pm1a_control = kQemuPm1aControl;
    fadt.pm1b_control = kPm1bControl;
    machine.memory.place(kFadtPhys, make_fadt(fadt));
    SleepControl control{};
    REQUIRE(machine.find_s5(control) == AcpiError::None);
    CHECK(control.pm1b_control_port == kPm1bControl);
}

TEST_CASE("acpi_find_s5: DSDT problems", "[acpi][s5]") {
    Machine machine;
    SleepControl control{};
    SECTION("DSDT address 0") {
        FadtSpec fadt;
        fadt.pm1a_control = kQemuPm1aControl;
        machine.memory.place(kFadtPhys, make_fadt(fadt));
    }
    SECTION("bad checksum") {
        machine.memory.at(kDsdtPhys)[100] ^= 0x40;
    }
    SECTION("wrong signature") {
        machine.memory.place(kDsdtPhys, make_table("SSDT", qemu_like_dsdt_aml()));
    }
    SECTION("length claims more than is there") {
        Bytes& dsdt = machine.memory.at(kDsdtPhys);
        set_length_and_resign(dsdt, static_cast<uint32_t>(dsdt.size() + 1));
    }
    SECTION("length claims 4 GiB") {
        set_length_and_resign(machine.memory.at(kDsdtPhys), 0xFFFFFFFF);
    }
    SECTION("unmapped") {
        machine.memory.place(kDsdtPhys, {});
    }
    CHECK(machine.find_s5(control) == AcpiError::NoDsdt);
}

TEST_CASE("acpi_find_s5: DSDT without a usable _S5_", "[acpi][s5]") {
    SleepControl control{};
    SECTION("no _S5_ at all") {
        Machine machine(filler(300));
        CHECK(machine.find_s5(control) == AcpiError::NoS5);
    }
    SECTION("empty AML") {
        Machine machine(Bytes{});
        CHECK(machine.find_s5(control) == AcpiError::NoS5);
    }
    SECTION("AML truncated inside the _S5_ package") {
        const Bytes s5 = s5_object({{byte_const(5), byte_const(5), zero_op(), zero_op()}});
        for (size_t cut = 1; cut < s5.size(); ++cut) {
            Machine machine(concat({filler(100), Bytes(s5.begin(), s5.begin() + cut)}));
            INFO("cut at " << cut);
            CHECK(machine.find_s5(control) == AcpiError::NoS5);
        }
    }
}

TEST_CASE("acpi_find_s5: _S5_ anywhere in a large DSDT", "[acpi][s5]") {
    // The DSDT is searched in overlapping windows; put _S5_ across every
    // position around the first window boundaries (and at the very end).
    const Bytes s5 = s5_object({{byte_const(5), byte_const(3), zero_op(), zero_op()}, true});
    std::vector<size_t> offsets;
    for (size_t offset = 380; offset < 1100; ++offset) offsets.push_back(offset);
    offsets.push_back(6000);
    for (size_t offset : offsets) {
        Machine machine(concat({filler(offset), s5, filler(offset == 6000 ? 0 : 1000)}));
        SleepControl control{};
        INFO("_S5_ at AML offset " << offset);
        REQUIRE(machine.find_s5(control) == AcpiError::None);
        CHECK(control.slp_typ_a == 5);
        CHECK(control.slp_typ_b == 3);
    }
}

TEST_CASE("acpi_find_s5: root table problems and a refusing reader", "[acpi][s5]") {
    Machine machine;
    SleepControl control{};
    control.pm1a_control_port = 0xABCD;
    SECTION("reader refuses") {
        machine.memory.refuse_all = true;
        CHECK(machine.find_s5(control) == AcpiError::BadRootTable);
    }
    SECTION("root checksum") {
        machine.memory.at(kRsdtPhys)[36] ^= 0x02;
        CHECK(machine.find_s5(control) == AcpiError::BadRootTable);
    }
    SECTION("no reader") {
        CHECK(acpi_find_s5(nullptr, nullptr, machine.root, control) == AcpiError::BadRootTable);
    }
    CHECK(control.pm1a_control_port == 0xABCD);  // untouched on failure
}

// ============================================================== helpers

TEST_CASE("s5_control_value", "[acpi]") {
    CHECK(s5_control_value(0) == 0x2000);
    CHECK(s5_control_value(5) == ((5 << 10) | (1 << 13)));
    CHECK(s5_control_value(7) == 0x3C00);
    // Only SLP_TYP's 3 bits are used: nothing else in PM1_CNT gets set.
    CHECK(s5_control_value(0xFF) == 0x3C00);
    CHECK(s5_control_value(0x0D) == s5_control_value(5));
}

TEST_CASE("to_string covers every AcpiError", "[acpi]") {
    const AcpiError errors[] = {
        AcpiError::None,    AcpiError::NoRsdp, AcpiError::BadRsdpChecksum,
        AcpiError::BadRootTable, AcpiError::NoFadt, AcpiError::BadFadt,
        AcpiError::NoDsdt,  AcpiError::NoS5,   AcpiError::NoTable,
    };
    std::set<std::string> texts;
    for (AcpiError error : errors) {
        REQUIRE(to_string(error) != nullptr);
        texts.insert(to_string(error));
    }
    CHECK(texts.size() == std::size(errors));
}
