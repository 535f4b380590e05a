/*
 * Offsets that vmm/vmx_entry.S uses and the C++ side checks with
 * static_asserts (vmm/exit_dispatch.cpp): where the vCPU's attention flag
 * sits, counted from the start of its saved guest registers.
 */
#ifndef BULKHEAD_VMX_ENTRY_LAYOUT_H
#define BULKHEAD_VMX_ENTRY_LAYOUT_H

/* 16 general-purpose registers of 8 bytes, then the Partition pointer. */
#define VCPU_ATTENTION_OFFSET 136

#endif
