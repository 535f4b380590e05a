#include "kernel/wall_clock.hpp"

#include "arch/x86_64/cpu.hpp"
#include "drivers/cmos_rtc.hpp"
#include "kernel/log.hpp"
#include "kernel/tsc.hpp"
#include "vmm/virtual_rtc.hpp"

namespace bulkhead {

namespace {
uint64_t g_boot_unix_seconds = 0;
uint64_t g_boot_tsc = 0;
}  // namespace

void wall_clock_init() {
    g_boot_tsc = x86::read_tsc();
    if (!read_host_rtc(g_boot_unix_seconds)) {
        g_boot_unix_seconds = 0;
        log_warn("clock: no usable RTC; partitions' clocks start at 1970-01-01 00:00:00");
        return;
    }
    const rtc::DateTime t = rtc::date_time_from_unix(g_boot_unix_seconds);
    log_info("clock: %04u-%02u-%02u %02u:%02u:%02u UTC from the RTC", t.year, t.month, t.day, t.hour, t.minute,
             t.second);
}

uint64_t wall_clock_unix_seconds() {
    const uint64_t hz = tsc_hz();
    return g_boot_unix_seconds + (hz == 0 ? 0 : (x86::read_tsc() - g_boot_tsc) / hz);
}

}  // namespace bulkhead
