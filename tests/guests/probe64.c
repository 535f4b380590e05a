/* Checks from inside a partition what Bulkhead promises a guest: CPUID
   (hypervisor bit, VMX hidden, signature and ABI leaves), MSR behaviour
   (#GP for VMX and unknown MSRs, feature control locked, pass-through MSRs
   work, PAT validated), unassigned ports reading all-ones, VMX instructions
   and CR4.VMXE refused, and every hypercall error code. Each check prints a
   line; the exit status is the number of failed checks. */
#include "guest.h"
#include "idt64.h"

#define CPUID_FEATURES_ECX_VMX (1u << 5)
#define CPUID_FEATURES_ECX_HYPERVISOR (1u << 31)
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_VMX_BASIC 0x480
#define MSR_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_LSTAR 0xc0000082
#define MSR_MADE_UP 0x4b564d00
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define CR4_VMXE (1u << 13)
#define CR4_OSXSAVE (1u << 18)
#define CPUID_FEATURES_ECX_XSAVE (1u << 26)
#define CPUID_FEATURES_ECX_OSXSAVE (1u << 27)
#define XCR0_X87 1u
#define XCR0_X87_SSE 3u
#define UNASSIGNED_PORT 0x2f8
#define PAT_DEFAULT 0x0007040600070406ull
#define PAT_WITH_RESERVED_TYPE 0x0007040600070402ull
#define OUTSIDE_ANY_PARTITION 0x7fff00000000ull

static int failures;

static void check(const char* name, int ok) {
    print("probe: ");
    print(name);
    print(ok ? ": ok\n" : ": FAILED\n");
    if (!ok) ++failures;
}

static void cpuid_checks(void) {
    uint32_t r[4];
    cpuid(1, 0, r);
    check("cpuid leaf 1 hides VMX", (r[2] & CPUID_FEATURES_ECX_VMX) == 0);
    check("cpuid leaf 1 sets the hypervisor bit", (r[2] & CPUID_FEATURES_ECX_HYPERVISOR) != 0);
    cpuid(BH_CPUID_LEAF_SIGNATURE, 0, r);
    check("cpuid 0x40000000 gives the highest leaf", r[0] == BH_CPUID_LEAF_TIMING);
    check("cpuid 0x40000000 spells BulkheadHV",
          r[1] == BH_CPUID_SIGNATURE_EBX && r[2] == BH_CPUID_SIGNATURE_ECX && r[3] == BH_CPUID_SIGNATURE_EDX);
    cpuid(BH_CPUID_LEAF_ABI, 0, r);
    check("cpuid 0x40000001 gives ABI 1.3", r[0] == BH_ABI_VERSION);
    cpuid(BH_CPUID_LEAF_TIMING, 0, r);
    print("probe: the TSC runs at ");
    print_dec(r[0]);
    print(" kHz\n");
    check("cpuid 0x40000010 gives the TSC frequency", r[0] != 0);
    const uint32_t tsc_khz = r[0];
    uint32_t leaf0[4];
    cpuid(0, 0, leaf0);
    if (leaf0[0] >= 0x15) {
        cpuid(0x15, 0, r);   /* TSC = crystal Hz (ECX) * EBX / EAX */
        const uint64_t khz = r[0] ? (uint64_t)r[2] * r[1] / r[0] / 1000 : 0;
        check("cpuid 0x15 gives the same TSC frequency", khz == tsc_khz);
    }
}

static void msr_checks(void) {
    uint64_t v = 0;
    check("IA32_FEATURE_CONTROL reads locked with VMX off", try_rdmsr(MSR_FEATURE_CONTROL, &v) == -1 && v == 1);
    check("IA32_FEATURE_CONTROL write raises #GP", try_wrmsr(MSR_FEATURE_CONTROL, 5) == VECTOR_GP);
    check("IA32_VMX_BASIC read raises #GP", try_rdmsr(MSR_VMX_BASIC, &v) == VECTOR_GP);
    check("an unknown MSR raises #GP", try_rdmsr(MSR_MADE_UP, &v) == VECTOR_GP);
    check("EFER shows long mode active", try_rdmsr(MSR_EFER, &v) == -1 && (v & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA));
    uint64_t back = 0;
    check("LSTAR passes through", try_wrmsr(MSR_LSTAR, 0xffffffff81234560ull) == -1 &&
                                       try_rdmsr(MSR_LSTAR, &back) == -1 && back == 0xffffffff81234560ull);
    check("a PAT with a reserved memory type raises #GP", try_wrmsr(MSR_PAT, PAT_WITH_RESERVED_TYPE) == VECTOR_GP);
    check("a valid PAT is kept", try_wrmsr(MSR_PAT, PAT_DEFAULT) == -1 && try_rdmsr(MSR_PAT, &back) == -1 &&
                                     back == PAT_DEFAULT);
}

static void port_checks(void) {
    /* This partition is configured with unassigned_io=ignore: the write is
       dropped and counted, and the partition carries on. */
    outb(UNASSIGNED_PORT + 7, 0x55);
    check("an unassigned port reads 0xff", inb(UNASSIGNED_PORT) == 0xff);
    check("an unassigned port reads 0xffff", inw(UNASSIGNED_PORT) == 0xffff);
    check("an unassigned port reads 0xffffffff", inl(UNASSIGNED_PORT) == 0xffffffffu);
}

static uint64_t read_cr4(void) {
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static void vmx_checks(void) {
    check("VMXON raises #UD", try_vmxon() == VECTOR_UD);
    check("CR4 reads without VMXE (read shadow)", (read_cr4() & CR4_VMXE) == 0);
    check("setting CR4.VMXE raises #GP", try_set_cr4(CR4_VMXE) == VECTOR_GP);
}

/* XSETBV exits; Bulkhead checks the value as the CPU would. */
static void xsetbv_checks(void) {
    uint32_t r[4];
    cpuid(1, 0, r);
    if ((r[2] & CPUID_FEATURES_ECX_XSAVE) == 0) {
        print("probe: no XSAVE on this CPU, XSETBV checks skipped\n");
        return;
    }
    check("setting CR4.OSXSAVE works", try_set_cr4(CR4_OSXSAVE) == -1);
    cpuid(1, 0, r);
    check("cpuid leaf 1 mirrors the guest's OSXSAVE", (r[2] & CPUID_FEATURES_ECX_OSXSAVE) != 0);
    check("XSETBV without x87 state raises #GP", try_xsetbv(0, 0) == VECTOR_GP);
    check("XSETBV of XCR1 raises #GP", try_xsetbv(1, XCR0_X87) == VECTOR_GP);
    uint32_t lo, hi;
    int ok = try_xsetbv(0, XCR0_X87_SSE) == -1;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    check("XSETBV of x87+SSE is kept", ok && lo == XCR0_X87_SSE && hi == 0);
}

static void hypercall_checks(void) {
    char name[16];
    check("abi_version is 1.3", bh_abi_version() == (long)BH_ABI_VERSION);
    check("an unknown call returns BH_E_UNKNOWN_CALL", bh_hypercall3(99, 0, 0, 0) == BH_E_UNKNOWN_CALL);
    check("a buffer outside the partition returns BH_E_BAD_ADDRESS",
          bh_console_write((const void*)OUTSIDE_ANY_PARTITION, 8) == BH_E_BAD_ADDRESS);
    check("a huge length returns BH_E_TOO_LARGE", bh_console_write(name, 1ul << 40) == BH_E_TOO_LARGE);
    check("a zero capacity returns BH_E_BAD_ARGUMENT", bh_partition_info(name, 0) == BH_E_BAD_ARGUMENT);
    check("partition_info names this partition", bh_partition_info(name, sizeof name) >= 0 && name[0] != 0);
}

int guest_main(void) {
    install_idt();
    cpuid_checks();
    msr_checks();
    port_checks();
    vmx_checks();
    xsetbv_checks();
    hypercall_checks();
    print("probe: ");
    print_dec((uint64_t)failures);
    print(" failed\n");
    return failures;
}
