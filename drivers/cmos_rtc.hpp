// The host's CMOS real-time clock (ports 0x70/0x71, arch/x86_64/cmos_rtc.hpp),
// read once at boot for the wall-clock time the partitions' virtual RTCs
// show (vmm/virtual_rtc.hpp). The hypervisor never sets it.
#pragma once

#include <stdint.h>

namespace bulkhead {

// Reads the machine's RTC and returns its time as Unix seconds, taking the
// RTC to keep UTC (as Linux and most hypervisor hosts set it; a machine set
// up for Windows keeps local time, which cannot be told from here).
//
// Waits (bounded) until no update is in progress, reads all the clock
// registers, and reads them again until two readings agree, so no reading
// straddles a second boundary. Decodes BCD or binary and 12- or 24-hour
// hours as status B says, and the century from register 0x32 when it holds
// 19, 20 or 21 (else 20xx) -- rtc::decode_clock, tested in the unit tests.
//
// False, leaving `unix_seconds` untouched, when there is no RTC (every
// register reads 0xff, so the update-in-progress bit never clears), when the
// registers never settle, or when they hold an impossible date or one
// outside 1970-2199. Never hangs.
//
// The index/data pair is one shared piece of hardware state: call it on one
// CPU, before anything else (a partition cannot: its ports 0x70/0x71 are
// virtual) touches the ports.
bool read_host_rtc(uint64_t& unix_seconds);

}  // namespace bulkhead
