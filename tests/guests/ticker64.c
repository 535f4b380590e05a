/* A partition that never ends by itself: it says it started, then counts
   forever. The control test restarts, pauses and stops it from another CPU;
   every start prints the "started" line again. */
#include "guest.h"

int guest_main(void) {
    print("ticker: started\n");
    volatile uint64_t ticks = 0;
    for (;;) ++ticks;
    return 0;
}
