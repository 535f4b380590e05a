/* Resets itself through the ACPI reset register of its partition's FADT
   (port 0x602, value 1: what Linux's "reboot" writes), and checks from the
   inside that it came back as a fresh start: the control list (it has the
   control capability) counts its starts. First start: reset. Second: exit 0. */
#include "guest.h"

#define ACPI_RESET_PORT 0x602u
#define ACPI_RESET_VALUE 1u
#define MAX_PARTITIONS 16

static struct bh_partition_status g_list[MAX_PARTITIONS];

int guest_main(void) {
    char name[32];
    const long id = bh_partition_info(name, sizeof name);
    const long count = bh_control_list(g_list, MAX_PARTITIONS);
    if (id < 0 || count <= id) {
        print("reset: FAILED: no control list entry for myself\n");
        return 1;
    }
    const unsigned starts = g_list[id].starts;
    print("reset: start ");
    print_dec(starts);
    print("\n");
    if (starts == 1) {
        print("reset: resetting through the ACPI reset register\n");
        outb(ACPI_RESET_PORT, ACPI_RESET_VALUE);
        print("reset: FAILED: still running after the reset\n");
        return 1;
    }
    print("reset: came back from the reset as a fresh start\n");
    return starts == 2 ? 0 : 1;
}
