// The Linux loader. See linux_loader.hpp for what it promises, linux_boot.hpp
// for the protocol's structures and guest_layout.hpp for where things go.
//
// Like the other loader it works in two phases so that a refused kernel
// changes nothing:
//   1. plan: read the setup header, decide where kernel, initrd and command
//      line go and check every range against the file and guest memory;
//   2. apply: zero guest memory, copy, build the zero page, GDT and page
//      tables, and compute the entry state. It cannot fail.
//
// The kernel, initrd and command line are untrusted input; every sum of two
// numbers taken from them is checked with fits_within() before it is formed.
#include "vmm/linux_loader.hpp"

#include "kernel/lib/string.hpp"
#include "kernel/lib/units.hpp"
#include "vmm/guest_boot.hpp"
#include "vmm/guest_layout.hpp"
#include "vmm/linux_boot.hpp"

namespace bulkhead {
namespace {

namespace layout = guest_layout;
namespace lb = linux_boot;
using guest_boot::fits_within;
using guest_boot::read_image;
using guest_boot::write_guest;

constexpr LinuxLoadResult kOk{LinuxLoadError::None, 0, 0, 0};

constexpr LinuxLoadResult failure(LinuxLoadError error, uint32_t detail = 0) {
    return LinuxLoadResult{error, detail, 0, 0};
}
constexpr bool failed(const LinuxLoadResult& result) { return result.error != LinuxLoadError::None; }

constexpr uint64_t smaller(uint64_t a, uint64_t b) { return a < b ? a : b; }
constexpr uint64_t larger(uint64_t a, uint64_t b) { return a > b ? a : b; }
constexpr uint64_t align_down(uint64_t value, uint64_t alignment) { return value / alignment * alignment; }

// A 64-bit quantity for a 32-bit detail field; anything larger reads as the
// largest value, which still tells the reader "far too much".
constexpr uint32_t saturate32(uint64_t value) { return value > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(value); }

// MiB of memory [0, start + length) spans, rounded up, without overflowing.
constexpr uint32_t mib_to_hold(uint64_t start, uint64_t length) {
    if (length > UINT64_MAX - kMiB || start > UINT64_MAX - kMiB - length) return UINT32_MAX;
    return saturate32((start + length + kMiB - 1) / kMiB);
}

// Everything phase 2 needs, found and checked by phase 1.
struct LinuxPlan {
    lb::SetupHeader header;    // read whole; past a short header's end it holds setup code
    size_t header_copy_size;   // bytes from 0x1f1 on that form the header
    uint64_t kernel_offset;    // file offset of the protected-mode kernel
    uint64_t kernel_size;      // its bytes in the file
    uint64_t kernel;           // guest-physical load address
    uint64_t kernel_end;       // end of the memory the kernel claims
    uint64_t initrd;           // guest-physical; 0 when there is none
    uint64_t initrd_size;
    size_t cmdline_length;
};

// ---- Partition memory ----------------------------------------------------------------

LinuxLoadResult check_memory(GuestMemory memory) {
    if (memory.host == nullptr || memory.size < layout::kLinuxMinMemory)
        return failure(LinuxLoadError::MemoryTooSmall);
    if (memory.size % layout::kMemoryGranularity != 0 || memory.size > layout::kMaxMemory)
        return failure(LinuxLoadError::MemorySizeUnsupported);
    // The e820 map says all of it is RAM: it must stay below the emulated
    // interrupt controllers' registers, as RAM does below a PC's MMIO hole.
    if (memory.size > layout::kLinuxMaxMemory) return failure(LinuxLoadError::MemoryOverlapsDevices);
    return kOk;
}

// ---- The setup header ------------------------------------------------------------------

constexpr size_t kBootFlagOffset = lb::header_offset(offsetof(lb::SetupHeader, boot_flag));
constexpr size_t kHeaderMagicOffset = lb::header_offset(offsetof(lb::SetupHeader, header));
constexpr size_t kSetupHeaderEnd = lb::kSetupHeaderOffset + sizeof(lb::SetupHeader);

// The version, the 64-bit entry and the header's own length: can this
// loader use this header at all?
LinuxLoadResult check_header(const lb::SetupHeader& header) {
    if (header.version < lb::kProtocol2_12) return failure(LinuxLoadError::ProtocolTooOld, header.version);
    // Fields past the header's stated end are setup code, not pref_address
    // or init_size: a 2.12 header must reach at least that far.
    if (lb::header_end(header.jump) < lb::kHeaderEnd2_12) return failure(LinuxLoadError::BadSetupHeader);
    if ((header.xloadflags & lb::xloadflags::kKernel64) == 0) return failure(LinuxLoadError::No64BitEntry);
    return kOk;
}

// The file is the boot sector, setup_sects sectors of setup code and then
// the protected-mode kernel up to the end of the file. Like GRUB and QEMU we
// load all of that rest: a signed kernel carries its signature at the very
// end, and loading it along is harmless. syssize (the code's own size) must
// lie within it, and so must the 64-bit entry point.
LinuxLoadResult locate_kernel(const lb::SetupHeader& header, size_t size, LinuxPlan& plan) {
    const uint64_t setup_sects = header.setup_sects == 0 ? lb::kDefaultSetupSects : header.setup_sects;
    plan.kernel_offset = (setup_sects + 1) * lb::kSectorSize;  // + 1: the boot sector
    if (plan.kernel_offset >= size) return failure(LinuxLoadError::Truncated);
    plan.kernel_size = size - plan.kernel_offset;
    if (uint64_t{header.syssize} * lb::kSyssizeUnit > plan.kernel_size) return failure(LinuxLoadError::Truncated);
    if (plan.kernel_size <= lb::kEntry64Offset) return failure(LinuxLoadError::Truncated);
    return kOk;
}

LinuxLoadResult parse_image(const uint8_t* image, size_t size, LinuxPlan& plan) {
    if (size < kSetupHeaderEnd || !is_bzimage(image, size)) return failure(LinuxLoadError::NotBzImage);
    plan.header = read_image<lb::SetupHeader>(image, lb::kSetupHeaderOffset);
    LinuxLoadResult result = check_header(plan.header);
    if (failed(result)) return result;
    // Copy the header as long as the image says it is, but never into the
    // zero page's fields after it (the end can say up to 0x301).
    plan.header_copy_size = smaller(lb::header_end(plan.header.jump), lb::kSetupHeaderRegionEnd) -
                            lb::kSetupHeaderOffset;
    return locate_kernel(plan.header, size, plan);
}

// ---- Where things go ---------------------------------------------------------------------

// At pref_address, always (linux_loader.hpp says why). The kernel claims
// init_size bytes from there: its decompressor copies itself to the end of
// that range and unpacks the kernel below it. The file's bytes must fit too
// (they do in any real kernel; a signature tail could make them the larger).
LinuxLoadResult place_kernel(GuestMemory memory, LinuxPlan& plan) {
    plan.kernel = plan.header.pref_address;
    const uint64_t footprint = larger(plan.header.init_size, plan.kernel_size);
    if (plan.kernel < layout::kLinuxKernelMinAddress) return failure(LinuxLoadError::KernelAddressTooLow);
    if (!fits_within(plan.kernel, footprint, memory.size))
        return failure(LinuxLoadError::KernelTooLarge, mib_to_hold(plan.kernel, footprint));
    plan.kernel_end = plan.kernel + footprint;
    return kOk;
}

// As high as possible: page-aligned, ending at or below both the end of
// memory and initrd_addr_max (the last byte the kernel can reach early on),
// and starting at or above the kernel's end. High is what boot loaders
// do: it leaves the largest free range below for the kernel to unpack into
// and allocate from.
LinuxLoadResult place_initrd(const LinuxImages& images, GuestMemory memory, LinuxPlan& plan) {
    plan.initrd = 0;
    plan.initrd_size = images.initrd == nullptr ? 0 : images.initrd_size;
    if (plan.initrd_size == 0) return kOk;
    const uint64_t limit = smaller(memory.size, uint64_t{plan.header.initrd_addr_max} + 1);
    const uint64_t room = limit > plan.kernel_end ? limit - plan.kernel_end : 0;
    const LinuxLoadResult too_large = failure(LinuxLoadError::InitrdTooLarge, saturate32(room / kMiB));
    if (plan.initrd_size > limit) return too_large;
    plan.initrd = align_down(limit - plan.initrd_size, layout::kLinuxInitrdAlignment);
    if (plan.initrd < plan.kernel_end) return too_large;
    return kOk;
}

// The kernel's limit (cmdline_size excludes the NUL) or ours, whichever is
// smaller.
LinuxLoadResult check_cmdline(const char* cmdline, const lb::SetupHeader& header, LinuxPlan& plan) {
    const size_t max_length = smaller(header.cmdline_size, layout::kLinuxCmdlineMaxLength);
    // Reading one byte past the limit is enough to see that it is exceeded.
    plan.cmdline_length = cmdline == nullptr ? 0 : bounded_strlen(cmdline, max_length + 1);
    if (plan.cmdline_length > max_length)
        return failure(LinuxLoadError::CmdlineTooLong, static_cast<uint32_t>(max_length));
    return kOk;
}

LinuxLoadResult plan_linux(const LinuxImages& images, GuestMemory memory, LinuxPlan& plan) {
    LinuxLoadResult result = parse_image(images.kernel, images.kernel_size, plan);
    if (failed(result)) return result;
    result = place_kernel(memory, plan);
    if (failed(result)) return result;
    result = place_initrd(images, memory, plan);
    if (failed(result)) return result;
    return check_cmdline(images.cmdline, plan.header, plan);
}

// ---- The zero page -----------------------------------------------------------------------

constexpr uint32_t low32(uint64_t value) { return static_cast<uint32_t>(value); }
constexpr uint32_t high32(uint64_t value) { return static_cast<uint32_t>(value >> 32); }

// Stores value in the zero page's field at `offset` (an offsetof(BootParams, ...)).
template <class T>
void write_boot_params(GuestMemory memory, size_t offset, const T& value) {
    write_guest(memory, layout::kLinuxZeroPage + offset, value);
}

// The setup header: first the image's bytes exactly as long as the header
// is (boot.rst: the loader copies the header, it does not build one), then
// the fields that are the loader's to fill, in a copy of the header.
void write_setup_header(const uint8_t* image, const LinuxPlan& plan, GuestMemory memory) {
    memcpy(memory.host + layout::kLinuxZeroPage + lb::kSetupHeaderOffset, image + lb::kSetupHeaderOffset,
           plan.header_copy_size);

    lb::SetupHeader header{};  // bytes past a short header stay zero, as in the page
    memcpy(&header, image + lb::kSetupHeaderOffset, smaller(plan.header_copy_size, sizeof(header)));
    header.type_of_loader = lb::kLoaderTypeUndefined;
    // No heap: it would be for the 16-bit setup code, which never runs.
    header.loadflags &= static_cast<uint8_t>(~lb::loadflags::kCanUseHeap);
    header.heap_end_ptr = 0;
    header.cmd_line_ptr = low32(layout::kLinuxCmdline);
    header.ramdisk_image = low32(plan.initrd);
    header.ramdisk_size = low32(plan.initrd_size);
    header.setup_data = 0;  // no extra data (an image could have left a pointer here)
    write_boot_params(memory, offsetof(lb::BootParams, hdr), header);

    // The high halves; zero as long as memory ends at 4 GiB, but the kernel
    // reads them, so they are set from the same numbers.
    write_boot_params(memory, offsetof(lb::BootParams, ext_cmd_line_ptr), high32(layout::kLinuxCmdline));
    write_boot_params(memory, offsetof(lb::BootParams, ext_ramdisk_image), high32(plan.initrd));
    write_boot_params(memory, offsetof(lb::BootParams, ext_ramdisk_size), high32(plan.initrd_size));
}

// Exactly the partition: RAM, the ACPI area, RAM. The boot structures at
// 0x1000-0x8fff are in the first RAM range on purpose: the kernel copies the
// zero page and command line before it reuses that memory, and replaces GDT
// and page tables.
void write_memory_map(GuestMemory memory) {
    const lb::E820Entry map[] = {
        {0, layout::kLinuxAcpiArea, lb::E820Type::Ram},
        {layout::kLinuxAcpiArea, layout::kLinuxAcpiAreaEnd - layout::kLinuxAcpiArea, lb::E820Type::Reserved},
        {layout::kLinuxAcpiAreaEnd, memory.size - layout::kLinuxAcpiAreaEnd, lb::E820Type::Ram},
    };
    constexpr uint8_t kEntries = sizeof(map) / sizeof(map[0]);
    static_assert(kEntries <= lb::kE820MaxEntries);
    write_boot_params(memory, offsetof(lb::BootParams, e820_table), map);
    write_boot_params(memory, offsetof(lb::BootParams, e820_entries), kEntries);
}

void build_zero_page(const uint8_t* image, const LinuxPlan& plan, GuestMemory memory) {
    write_setup_header(image, plan, memory);
    write_boot_params(memory, offsetof(lb::BootParams, acpi_rsdp_addr), layout::kLinuxAcpiRsdp);
    write_memory_map(memory);
}

// ---- Applying the plan -------------------------------------------------------------------

void apply_plan(const LinuxImages& images, const LinuxPlan& plan, GuestMemory memory) {
    // Everything the last run left behind goes, so a restart starts clean.
    memset(memory.host, 0, memory.size);
    memcpy(memory.host + plan.kernel, images.kernel + plan.kernel_offset, plan.kernel_size);
    if (plan.initrd_size != 0) memcpy(memory.host + plan.initrd, images.initrd, plan.initrd_size);
    if (plan.cmdline_length != 0) memcpy(memory.host + layout::kLinuxCmdline, images.cmdline, plan.cmdline_length);
    memory.host[layout::kLinuxCmdline + plan.cmdline_length] = '\0';
    build_zero_page(images.kernel, plan, memory);
    write_guest(memory, layout::kLinuxGdt, layout::kLinuxGdtEntries);
    guest_boot::build_identity_map(memory);
}

// 64-bit mode as the protocol asks for it. RFLAGS.IF is clear for every
// guest at entry (vmcs_setup.cpp), which is the "interrupts disabled" part.
GuestEntryState entry_state(const LinuxPlan& plan) {
    GuestEntryState state = guest_boot::long_mode_state(plan.kernel + lb::kEntry64Offset);
    state.rsp = layout::kLinuxStackTop;
    state.rsi = layout::kLinuxZeroPage;
    state.cs = lb::kBootCsSelector;
    state.ds_ss = lb::kBootDsSelector;
    state.gdt_base = layout::kLinuxGdt;
    state.gdt_limit = layout::kLinuxGdtLimit;
    return state;
}

}  // namespace

bool is_bzimage(const uint8_t* image, size_t size) {
    if (image == nullptr || size < kHeaderMagicOffset + sizeof(uint32_t)) return false;
    return read_image<uint16_t>(image, kBootFlagOffset) == lb::kBootFlag &&
           read_image<uint32_t>(image, kHeaderMagicOffset) == lb::kHeaderMagic;
}

// The reasons name these numbers.
static_assert(layout::kLinuxMinMemory == 64 * kMiB && layout::kLinuxKernelMinAddress == 1 * kMiB);
static_assert(lb::kProtocol2_12 == 0x020c);

const char* to_string(LinuxLoadError error) {
    switch (error) {
        case LinuxLoadError::None: return "no error";
        case LinuxLoadError::Empty: return "the kernel image is empty";
        case LinuxLoadError::MemoryTooSmall: return "partition memory is smaller than the 64 MiB Linux needs";
        case LinuxLoadError::MemorySizeUnsupported:
            return "partition memory is not a multiple of 2 MiB up to 4 GiB";
        case LinuxLoadError::MemoryOverlapsDevices:
            return "partition memory reaches the I/O APIC and local APIC at 0xfec00000 (4076 MiB at most)";
        case LinuxLoadError::NotBzImage: return "not a Linux bzImage (no boot flag or no \"HdrS\" setup header)";
        case LinuxLoadError::ProtocolTooOld: return "boot protocol older than 2.12 (kernel older than 3.8)";
        case LinuxLoadError::BadSetupHeader: return "the setup header is shorter than its protocol version requires";
        case LinuxLoadError::No64BitEntry: return "not a 64-bit kernel (no 64-bit entry point)";
        case LinuxLoadError::Truncated: return "the image ends before its setup code or kernel does";
        case LinuxLoadError::KernelAddressTooLow: return "the kernel's preferred load address is below 1 MiB";
        case LinuxLoadError::KernelTooLarge: return "the kernel does not fit in partition memory";
        case LinuxLoadError::InitrdTooLarge: return "the initrd does not fit between the kernel and its upper limit";
        case LinuxLoadError::CmdlineTooLong: return "the command line is too long";
    }
    return "unknown Linux load error";
}

LinuxLoadResult load_linux(const LinuxImages& images, GuestMemory memory, GuestEntryState& entry) {
    if (images.kernel == nullptr || images.kernel_size == 0) return failure(LinuxLoadError::Empty);
    LinuxLoadResult result = check_memory(memory);
    if (failed(result)) return result;

    LinuxPlan plan{};
    result = plan_linux(images, memory, plan);
    if (failed(result)) return result;

    apply_plan(images, plan, memory);
    entry = entry_state(plan);
    return LinuxLoadResult{LinuxLoadError::None, 0, plan.kernel, plan.initrd};
}

}  // namespace bulkhead
