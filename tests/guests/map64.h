/* For 64-bit test guests that reach past their own memory on purpose: the
   boot page tables Bulkhead gives a guest map only the partition's memory,
   but a guest is free to map any guest-physical address in its own page
   tables. map_2m identity-maps the 2 MiB page at `gpa` (below 1 GiB), so an
   access to it reaches the EPT, which the hypervisor then refuses. */
#ifndef BULKHEAD_TEST_MAP64_H
#define BULKHEAD_TEST_MAP64_H

#include <stdint.h>

#define PTE_PRESENT_WRITABLE_LARGE 0x83ull
#define PTE_ADDRESS_MASK 0x000ffffffffff000ull
#define PAGE_2M_SHIFT 21
#define ENTRY_INDEX_MASK 0x1ffull

__attribute__((unused)) static void map_2m(uint64_t gpa) {
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    uint64_t* pml4 = (uint64_t*)(cr3 & PTE_ADDRESS_MASK);
    uint64_t* pdpt = (uint64_t*)(pml4[0] & PTE_ADDRESS_MASK);
    uint64_t* pd = (uint64_t*)(pdpt[0] & PTE_ADDRESS_MASK);
    pd[(gpa >> PAGE_2M_SHIFT) & ENTRY_INDEX_MASK] = gpa | PTE_PRESENT_WRITABLE_LARGE;
    __asm__ volatile("invlpg (%0)" ::"r"(gpa) : "memory");
}

#endif
