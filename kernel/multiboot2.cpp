// Multiboot2 boot information parser. See multiboot2.hpp for the format.
//
// Rule followed throughout: a byte is read only after an earlier check proved
// it lies inside [mbi, mbi + limit), where limit = min(total_size, readable).
// Every tag handler receives a TagView whose whole extent is already proven
// in bounds, so handlers only need to check sizes *within* their tag.
#include "kernel/multiboot2.hpp"

#include "kernel/lib/string.hpp"

namespace bulkhead {
namespace {

constexpr size_t round_up_to_tag_alignment(size_t n) {
    return (n + kMb2TagAlignment - 1) & ~(kMb2TagAlignment - 1);
}

// Copies a raw structure out of the MBI. memcpy instead of a pointer cast
// avoids both unaligned access and strict-aliasing trouble.
template <typename T>
T read_raw(const uint8_t* bytes) {
    T value;
    memcpy(&value, bytes, sizeof(T));
    return value;
}

// One tag whose bytes [bytes, bytes + size) are known to be inside the MBI.
struct TagView {
    const uint8_t* bytes;
    uint32_t type;
    uint32_t size;  // header included

    const uint8_t* payload() const { return bytes + sizeof(Mb2TagHeader); }
    size_t payload_size() const { return size - sizeof(Mb2TagHeader); }
};

void reset(BootInfo& out) {
    memset(&out, 0, sizeof(out));
    out.cmdline = "";
    out.bootloader_name = "";
}

// A string field must end with a NUL inside its tag; otherwise later code
// calling strlen would walk off into whatever follows the MBI.
Mb2Error read_tag_string(const uint8_t* start, size_t room, const char*& out) {
    const char* text = reinterpret_cast<const char*>(start);
    if (bounded_strlen(text, room) == room) return Mb2Error::UnterminatedString;
    out = text;
    return Mb2Error::None;
}

Mb2Error parse_module_tag(const TagView& tag, BootInfo& out) {
    if (tag.size < sizeof(Mb2ModuleTag)) return Mb2Error::TagTooSmall;
    const auto raw = read_raw<Mb2ModuleTag>(tag.bytes);
    if (raw.mod_start > raw.mod_end) return Mb2Error::BadModule;

    const char* cmdline = "";
    const Mb2Error error = read_tag_string(tag.bytes + sizeof(Mb2ModuleTag),
                                           tag.size - sizeof(Mb2ModuleTag), cmdline);
    if (error != Mb2Error::None) return error;

    // Dropping a module silently could boot a partition without its image,
    // so running out of slots is an error, unlike the memory map below.
    if (out.module_count == kMaxModules) return Mb2Error::TooManyModules;
    out.modules[out.module_count++] = BootModule{raw.mod_start, raw.mod_end, cmdline};
    return Mb2Error::None;
}

void append_memory_region(const Mb2MmapEntry& entry, BootInfo& out) {
    // Losing the tail of the map only hides some RAM from us, which is safe.
    if (out.memory_count == kMaxMemoryRegions) {
        out.memory_map_truncated = true;
        return;
    }
    // The raw type is kept even when unknown; see MemoryType.
    out.memory[out.memory_count++] =
        MemoryRegion{entry.base_addr, entry.length, static_cast<MemoryType>(entry.type)};
}

Mb2Error parse_mmap_tag(const TagView& tag, BootInfo& out) {
    if (tag.size < sizeof(Mb2MmapTag)) return Mb2Error::TagTooSmall;
    const auto raw = read_raw<Mb2MmapTag>(tag.bytes);

    // entry_size may grow in future versions, but never below today's entry;
    // checking it first also rules out a division by zero just below.
    if (raw.entry_size < sizeof(Mb2MmapEntry)) return Mb2Error::BadMemoryMap;
    if (raw.entry_size % kMb2MmapEntryAlignment != 0) return Mb2Error::BadMemoryMap;
    const size_t entries_bytes = tag.size - sizeof(Mb2MmapTag);
    if (entries_bytes % raw.entry_size != 0) return Mb2Error::BadMemoryMap;

    for (size_t at = sizeof(Mb2MmapTag); at < tag.size; at += raw.entry_size)
        append_memory_region(read_raw<Mb2MmapEntry>(tag.bytes + at), out);
    return Mb2Error::None;
}

Mb2Error parse_rsdp_tag(const TagView& tag, bool is_v2, BootInfo& out) {
    const size_t minimum = is_v2 ? kRsdpV2Length : kRsdpV1Length;
    if (tag.payload_size() < minimum) return Mb2Error::BadRsdp;
    if (memcmp(tag.payload(), kRsdpSignature, kRsdpSignatureLength) != 0)
        return Mb2Error::BadRsdp;

    // The v2 RSDP leads to the 64-bit XSDT, so keep it whichever tag came first.
    if (out.rsdp_is_v2 && !is_v2) return Mb2Error::None;
    out.rsdp = tag.payload();
    out.rsdp_length = tag.payload_size();
    out.rsdp_is_v2 = is_v2;
    return Mb2Error::None;
}

// Dispatches one in-bounds, non-end tag to its handler.
Mb2Error apply_tag(const TagView& tag, BootInfo& out) {
    switch (tag.type) {
        case kMb2TagCmdline:
            return read_tag_string(tag.payload(), tag.payload_size(), out.cmdline);
        case kMb2TagBootloaderName:
            return read_tag_string(tag.payload(), tag.payload_size(), out.bootloader_name);
        case kMb2TagModule:
            return parse_module_tag(tag, out);
        case kMb2TagMmap:
            return parse_mmap_tag(tag, out);
        case kMb2TagAcpiOld:
            return parse_rsdp_tag(tag, false, out);
        case kMb2TagAcpiNew:
            return parse_rsdp_tag(tag, true, out);
        case kMb2TagEfi32:
        case kMb2TagEfi64:
            out.efi_system_table_present = true;
            break;
        case kMb2TagEfiBootServicesNotTerminated:
            out.efi_boot_services_active = true;
            break;
        default:
            break;
    }
    ++out.ignored_tag_count;
    return Mb2Error::None;
}

// Reads the tag header at `offset` and proves the whole tag ends by `limit`.
Mb2Error read_tag(const uint8_t* mbi, size_t offset, size_t limit, TagView& tag) {
    if (limit - offset < sizeof(Mb2TagHeader)) return Mb2Error::TagOverrun;
    const auto header = read_raw<Mb2TagHeader>(mbi + offset);
    if (header.size < sizeof(Mb2TagHeader)) return Mb2Error::TagTooSmall;
    if (header.size > limit - offset) return Mb2Error::TagOverrun;
    tag = TagView{mbi + offset, header.type, header.size};
    return Mb2Error::None;
}

Mb2Result walk_tags(const uint8_t* mbi, size_t limit, BootInfo& out) {
    size_t offset = sizeof(Mb2InfoHeader);
    // offset < limit <= UINT32_MAX, so every offset reported fits in uint32_t.
    while (offset < limit) {
        const uint32_t tag_offset = static_cast<uint32_t>(offset);
        TagView tag{};
        Mb2Error error = read_tag(mbi, offset, limit, tag);
        if (error != Mb2Error::None) return {error, tag_offset};

        if (tag.type == kMb2TagEnd) {
            if (tag.size != kMb2EndTagSize) return {Mb2Error::MissingEndTag, tag_offset};
            return {Mb2Error::None, 0};
        }
        error = apply_tag(tag, out);
        if (error != Mb2Error::None) return {error, tag_offset};
        offset += round_up_to_tag_alignment(tag.size);
    }
    return {Mb2Error::MissingEndTag, static_cast<uint32_t>(limit)};
}

Mb2Result parse_into(const void* mbi, size_t readable_bytes, BootInfo& out) {
    if (mbi == nullptr) return {Mb2Error::NullPointer, 0};
    if (reinterpret_cast<uintptr_t>(mbi) % kMb2TagAlignment != 0)
        return {Mb2Error::Misaligned, 0};
    if (readable_bytes < sizeof(Mb2InfoHeader)) return {Mb2Error::HeaderTooSmall, 0};

    const auto* bytes = static_cast<const uint8_t*>(mbi);
    const auto header = read_raw<Mb2InfoHeader>(bytes);
    if (header.total_size < sizeof(Mb2InfoHeader)) return {Mb2Error::HeaderTooSmall, 0};
    if (header.total_size > readable_bytes) return {Mb2Error::TotalSizeTooLarge, 0};

    out.mbi_address = reinterpret_cast<uintptr_t>(mbi);
    out.mbi_size = header.total_size;
    return walk_tags(bytes, header.total_size, out);
}

}  // namespace

const char* to_string(Mb2Error error) {
    switch (error) {
        case Mb2Error::None: return "no error";
        case Mb2Error::NullPointer: return "null boot information pointer";
        case Mb2Error::Misaligned: return "boot information not 8-byte aligned";
        case Mb2Error::HeaderTooSmall: return "boot information header too small";
        case Mb2Error::TotalSizeTooLarge: return "total_size larger than readable memory";
        case Mb2Error::TagTooSmall: return "tag too small";
        case Mb2Error::TagOverrun: return "tag extends past end of boot information";
        case Mb2Error::MissingEndTag: return "missing or malformed end tag";
        case Mb2Error::UnterminatedString: return "string not terminated inside its tag";
        case Mb2Error::BadMemoryMap: return "malformed memory map";
        case Mb2Error::BadModule: return "module start after end";
        case Mb2Error::TooManyModules: return "too many modules";
        case Mb2Error::BadRsdp: return "malformed ACPI RSDP tag";
    }
    return "unknown multiboot2 error";
}

Mb2Result parse_multiboot2(const void* mbi, size_t readable_bytes, BootInfo& out) {
    reset(out);
    const Mb2Result result = parse_into(mbi, readable_bytes, out);
    // Never leave a half-filled BootInfo behind for a caller that forgets to
    // check the result.
    if (result.error != Mb2Error::None) reset(out);
    return result;
}

}  // namespace bulkhead
