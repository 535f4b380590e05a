/* A bare-metal guest that uses the virtual interrupt controllers the way an
   OS does, and checks from the inside that they work:
     1. the local APIC at 0xfee00000 answers (ID, version);
     2. its timer, one-shot, wakes the guest from HLT no sooner than asked;
     3. the UART's receive interrupt, routed through the I/O APIC at
        0xfec00000, wakes it for each keystroke typed on the hypervisor
        console while this partition has the input focus;
   then prints the line it read and exits with 0 (1 if a check failed). */
#include "apic64.h"

static int failures;
static void check(const char* what, int ok) {
    print(ok ? "irq: ok: " : "irq: FAILED: ");
    print(what);
    print("\n");
    failures += !ok;
}

#define TIMER_WAIT_US 20000u

static void timer_test(void) {
    const uint64_t tsc_per_second = tsc_hz();
    lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_BY_1);
    lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER);   /* one-shot, unmasked */
    const uint64_t start = rdtsc();
    lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)(apic_timer_hz() * TIMER_WAIT_US / US_PER_SECOND));
    while (timer_interrupts == 0) wait_for_interrupt();
    const uint64_t waited_us = (rdtsc() - start) * US_PER_SECOND / tsc_per_second;
    print("irq: the APIC timer woke me after ");
    print_dec(waited_us);
    print(" us (asked for 20000)\n");
    check("the timer did not fire early", waited_us >= TIMER_WAIT_US);
}

static int read_line(char* line, unsigned capacity) {
    unsigned length = 0;
    for (;;) {
        while (inb(COM1 + UART_LSR) & UART_LSR_DATA_READY) {
            const char c = (char)inb(COM1);
            if (c == '\r' || c == '\n') {
                line[length] = 0;
                return (int)length;
            }
            if (length + 1 < capacity) line[length++] = c;
        }
        wait_for_interrupt();
    }
}

int guest_main(void) {
    apic_setup();
    check("local APIC ID 0", lapic_read(LAPIC_ID) == 0);
    check("local APIC version 0x14", (lapic_read(LAPIC_VERSION) & LAPIC_VERSION_MASK) == LAPIC_VERSION_INTEGRATED);
    timer_test();

    ioapic_write(IOAPIC_REDIRECTION(UART_IRQ_PIN) + 1, 0);             /* to APIC ID 0 */
    ioapic_write(IOAPIC_REDIRECTION(UART_IRQ_PIN), VECTOR_UART);       /* fixed, edge, active high, unmasked */
    outb(COM1 + UART_MCR, UART_MCR_OUT2);
    outb(COM1 + UART_IER, UART_IER_RECEIVED_DATA);
    print("irq: waiting for a line of input\n");
    char line[64];
    read_line(line, sizeof line);
    print("irq: read '");
    print(line);
    print("'\n");
    check("the UART interrupt woke me", uart_interrupts > 0);
    return failures == 0 ? 0 : 1;
}
