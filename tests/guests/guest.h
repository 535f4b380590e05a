/*
 * The little runtime every test guest shares: port I/O, a polled serial
 * driver for the partition's virtual UART at COM1, number printing, and the
 * two ways to report a result (the exit hypercall and the test-exit port).
 * Header-only so the 64-bit and 32-bit guests build from the same text.
 */
#ifndef BULKHEAD_TEST_GUEST_H
#define BULKHEAD_TEST_GUEST_H

#include <stdint.h>

#include "bulkhead/hypercall.h"

#define COM1 0x3f8u
#define UART_LSR 5u
#define UART_LSR_THRE 0x20u

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port) {
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port) {
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline void serial_putc(char c) {
    while ((inb(COM1 + UART_LSR) & UART_LSR_THRE) == 0) {
    }
    outb(COM1, (uint8_t)c);
}

static inline void print(const char* s) {
    while (*s) serial_putc(*s++);
}

static inline void print_hex(uint64_t v) {
    static const char digits[] = "0123456789abcdef";
    char buf[19];
    int i = 18;
    buf[i] = 0;
    do {
        buf[--i] = digits[v & 0xf];
        v >>= 4;
    } while (v != 0 && i > 2);
    buf[--i] = 'x';
    buf[--i] = '0';
    print(&buf[i]);
}

static inline void print_dec(uint64_t v) {
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    print(&buf[i]);
}

static inline unsigned long str_len(const char* s) {
    unsigned long n = 0;
    while (s[n]) ++n;
    return n;
}

/* Report through QEMU's isa-debug-exit convention, which Bulkhead honours. */
static inline void test_exit_port(uint32_t status) {
    outl(BH_TEST_EXIT_PORT, status);
    for (;;) __asm__ volatile("hlt");
}

#endif
