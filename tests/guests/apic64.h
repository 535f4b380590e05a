/* The virtual interrupt controllers as a bare-metal test guest drives them
   (irq64.c, pacer64.c): the local APIC at 0xfee00000 and the I/O APIC at
   0xfec00000 mapped into the guest's page tables, an IDT with room for
   interrupt vectors, and the handlers' end-of-interrupt write - the MOVs the
   hypervisor decodes and emulates. */
#ifndef BULKHEAD_TEST_APIC64_H
#define BULKHEAD_TEST_APIC64_H

#include "guest.h"

#define LAPIC_BASE 0xfee00000ull
#define IOAPIC_BASE 0xfec00000ull
#define LAPIC_ID 0x20u
#define LAPIC_VERSION 0x30u
#define LAPIC_EOI 0xb0u
#define LAPIC_SPURIOUS 0xf0u
#define LAPIC_LVT_TIMER 0x320u
#define LAPIC_TIMER_INITIAL 0x380u
#define LAPIC_TIMER_DIVIDE 0x3e0u
#define LAPIC_SOFTWARE_ENABLE 0x100u
#define LAPIC_VERSION_MASK 0xffu
#define LAPIC_VERSION_INTEGRATED 0x14u
#define LAPIC_DIVIDE_BY_1 0xbu
#define LAPIC_TIMER_PERIODIC (1u << 17)
#define LAPIC_TIMER_MASKED (1u << 16)
#define IOAPIC_SELECT 0x00u
#define IOAPIC_WINDOW 0x10u
#define IOAPIC_REDIRECTION(pin) (0x10u + 2u * (pin))
#define UART_IRQ_PIN 4u
#define UART_IER 1u
#define UART_MCR 4u
#define UART_IER_RECEIVED_DATA 0x01u
#define UART_MCR_OUT2 0x08u
#define UART_LSR_DATA_READY 0x01u
#define VECTOR_TIMER 0x40u
#define VECTOR_UART 0x41u
#define SPURIOUS_VECTOR 0xffu
#define US_PER_SECOND 1000000u
#define CPUID_TSC_LEAF 0x15u

#define PTE_PRESENT_WRITABLE 0x03ull
#define PTE_LARGE 0x80ull
#define PTE_ADDRESS_MASK 0x000ffffffffff000ull
#define PAGE_1G_SHIFT 30
#define PAGE_2M_SHIFT 21
#define ENTRY_INDEX_MASK 0x1ffull

#define IDT64_ENTRIES 256
#include "idt64.h"

volatile int timer_interrupts;
volatile int uart_interrupts;

/* Interrupt handlers: note what happened, end the interrupt at the local
   APIC (the MOV the hypervisor decodes), return. */
void timer_stub(void);
void uart_stub(void);
__asm__(
    ".text\n"
    "timer_stub:\n"
    "  addl $1, timer_interrupts(%rip)\n"
    "  jmp send_eoi\n"
    "uart_stub:\n"
    "  addl $1, uart_interrupts(%rip)\n"
    "send_eoi:\n"
    "  push %rax\n"
    "  movabs $0xfee000b0, %rax\n"
    "  movl $0, (%rax)\n"
    "  pop %rax\n"
    "  iretq\n");

/* The boot page tables map only this partition's RAM: map the 2 MiB pages
   holding the two devices' registers, in a page directory of our own for
   the GiB they are in (MMIO must not be cached: PCD|PWT would say so; the
   hypervisor emulates every access anyway). */
static uint64_t device_directory[512] __attribute__((aligned(4096)));

static void map_devices(void) {
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    uint64_t* pml4 = (uint64_t*)(cr3 & PTE_ADDRESS_MASK);
    uint64_t* pdpt = (uint64_t*)(pml4[0] & PTE_ADDRESS_MASK);
    const uint64_t pages[] = {LAPIC_BASE, IOAPIC_BASE};
    for (unsigned i = 0; i < sizeof pages / sizeof pages[0]; ++i) {
        const uint64_t page = pages[i] & ~((1ull << PAGE_2M_SHIFT) - 1);
        device_directory[(page >> PAGE_2M_SHIFT) & ENTRY_INDEX_MASK] = page | PTE_PRESENT_WRITABLE | PTE_LARGE;
    }
    pdpt[(LAPIC_BASE >> PAGE_1G_SHIFT) & ENTRY_INDEX_MASK] = (uint64_t)device_directory | PTE_PRESENT_WRITABLE;
    __asm__ volatile("mov %0, %%cr3" ::"r"(cr3) : "memory");
}

__attribute__((unused)) static uint32_t lapic_read(uint32_t offset) { return *(volatile uint32_t*)(LAPIC_BASE + offset); }
static void lapic_write(uint32_t offset, uint32_t value) { *(volatile uint32_t*)(LAPIC_BASE + offset) = value; }

__attribute__((unused)) static void ioapic_write(uint32_t index, uint32_t value) {
    *(volatile uint32_t*)(IOAPIC_BASE + IOAPIC_SELECT) = index;
    *(volatile uint32_t*)(IOAPIC_BASE + IOAPIC_WINDOW) = value;
}

/* LFENCE first: the TSC is read after everything before it has finished. */
__attribute__((unused)) static uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence\n rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

/* The APIC timer's input clock (the crystal of CPUID leaf 0x15) and the
   TSC's rate (crystal * EBX / EAX): the hypervisor states both, so nothing
   needs calibrating. */
__attribute__((unused)) static uint64_t apic_timer_hz(void) {
    uint32_t r[4];
    cpuid(CPUID_TSC_LEAF, 0, r);
    return r[2];
}

__attribute__((unused)) static uint64_t tsc_hz(void) {
    uint32_t r[4];
    cpuid(CPUID_TSC_LEAF, 0, r);
    return (uint64_t)r[2] * r[1] / (r[0] ? r[0] : 1);
}

/* An IDT with the two interrupt handlers, the devices mapped, the local
   APIC software-enabled. */
static void apic_setup(void) {
    install_idt();
    set_gate(VECTOR_TIMER, timer_stub);
    set_gate(VECTOR_UART, uart_stub);
    map_devices();
    lapic_write(LAPIC_SPURIOUS, LAPIC_SOFTWARE_ENABLE | SPURIOUS_VECTOR);
}

/* Sleeps until an interrupt: STI's shadow covers the HLT, so an interrupt
   that is already pending wakes it rather than being taken before it. */
__attribute__((unused)) static void wait_for_interrupt(void) { __asm__ volatile("sti\n hlt\n cli" ::: "memory"); }

#endif
