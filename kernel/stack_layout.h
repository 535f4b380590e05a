/*
 * Sizes of the hypervisor's stacks, shared by boot/entry32.S and C++.
 * Every stack sits directly above a guard page that the hypervisor's page
 * tables leave unmapped, so an overflow faults instead of corrupting memory.
 */
#pragma once

#define STACK_GUARD_SIZE 0x1000
#define BOOT_STACK_SIZE 0x4000      /* 16 KiB: the boot CPU's kernel stack */
#define IST_STACK_SIZE 0x2000       /* 8 KiB each: NMI, double fault, machine check */
