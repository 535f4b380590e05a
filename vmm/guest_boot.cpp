// What the guest loaders share; see guest_boot.hpp.
#include "vmm/guest_boot.hpp"

#include "arch/x86_64/control_registers.hpp"
#include "arch/x86_64/paging.hpp"
#include "vmm/guest_layout.hpp"

namespace bulkhead::guest_boot {

namespace layout = guest_layout;

// Writable and executable: these are the guest's own tables, which it is
// free to replace. (The hypervisor's W^X rule is about its own mappings;
// EPT is what protects it.)
void build_identity_map(GuestMemory memory) {
    using x86::PageTableEntry;
    // One PML4 entry covers 512 GiB, one PDPT entry 1 GiB.
    write_guest(memory, layout::kPml4, PageTableEntry::table(layout::kPdpt));
    const uint64_t directories = (memory.size + x86::kPageSize1G - 1) / x86::kPageSize1G;
    for (uint64_t i = 0; i < directories; ++i)
        write_guest(memory, layout::kPdpt + i * sizeof(PageTableEntry),
                    PageTableEntry::table(layout::kPageDirectories + i * x86::kTableSize));
    for (uint64_t gpa = 0; gpa < memory.size; gpa += x86::kPageSize2M)
        write_guest(memory, layout::kPageDirectories + (gpa / x86::kPageSize2M) * sizeof(PageTableEntry),
                    PageTableEntry::page(gpa, /*writable=*/true, /*executable=*/true, /*large=*/true));
}

uint64_t protected_mode_cr0() {
    return x86::cr0::kProtectionEnable | x86::cr0::kExtensionType | x86::cr0::kNumericError;
}

GuestEntryState long_mode_state(uint64_t rip) {
    GuestEntryState state{};
    state.mode = EntryMode::Long64;
    state.rip = rip;
    state.cr0 = protected_mode_cr0() | x86::cr0::kPaging;
    state.cr3 = layout::kPml4;
    state.cr4 = x86::cr4::kPae;
    state.efer = x86::efer::kLongModeEnable | x86::efer::kLongModeActive;
    return state;
}

}  // namespace bulkhead::guest_boot
