/* The exit-trace probe: with trace=yes it makes a known series of exits,
   back to back, and then one the hypervisor stops it for, so that the trace
   printed with the stop shows them in this order:
     CPUID leaf 0x40000000, IN from port 0x2fd (nobody's: all-ones),
     WRMSR IA32_PAT, VMCALL abi_version, and an EPT violation (a write
   outside its memory). tests/e2e/control_plane.sh checks the trace. */
#include "guest.h"
#include "map64.h"

#define LEAF_HYPERVISOR 0x40000000u
#define UNASSIGNED_PORT 0x2fdu
#define MSR_PAT 0x277u
#define PAT_DEFAULT 0x0007040600070406ull
#define OUTSIDE_ITS_MEMORY 0x3fe00000ull   /* 1022 MiB: beyond a 4 MiB partition */

int guest_main(void) {
    print("tracee: making the known exits\n");
    map_2m(OUTSIDE_ITS_MEMORY);
    uint32_t r[4];
    cpuid(LEAF_HYPERVISOR, 0, r);
    (void)inb(UNASSIGNED_PORT);
    __asm__ volatile("wrmsr" ::"c"(MSR_PAT), "a"((uint32_t)PAT_DEFAULT), "d"((uint32_t)(PAT_DEFAULT >> 32)));
    (void)bh_abi_version();
    *(volatile uint64_t*)OUTSIDE_ITS_MEMORY = 1;
    print("tracee: FAILED: the write outside my memory went through\n");
    return 1;
}
