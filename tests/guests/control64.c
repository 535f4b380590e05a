/* The control partition's test: it drives the control hypercalls against
   the other partitions of tests/guests/configs/control.cfg and checks what
   each did, from the status the hypervisor reports:
     - errors: an id that does not exist, a state that does not allow it;
     - pause stops the target's CPU time, resume lets it run again;
     - restart runs the target again from its image (starts becomes 2);
     - start runs a partition configured start=manual;
     - stop ends the target.
   Run in a partition without control=yes, the same image checks that every
   control call is refused with BH_E_NOT_PERMITTED. Exits with the number of
   failed checks. */
#include "guest.h"

#define MAX_PARTITIONS 16
#define NOT_FOUND 0xffffffffu

static struct bh_partition_status g_list[MAX_PARTITIONS];
static unsigned g_failures;
static uint64_t g_tsc_per_ms;

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static void print_signed(long v) {
    if (v < 0) {
        print("-");
        print_dec((uint64_t)-v);
    } else {
        print_dec((uint64_t)v);
    }
}

static void check(const char* what, int ok, long got) {
    print("control: ");
    print(what);
    print(ok ? ": ok" : ": FAILED");
    print(" (");
    print_signed(got);
    print(")\n");
    if (!ok) ++g_failures;
}

static int same(const char* a, const char* b) {
    while (*a && *a == *b) ++a, ++b;
    return *a == *b;
}

static unsigned refresh(void) {
    long n = bh_control_list(g_list, MAX_PARTITIONS);
    return n < 0 ? 0 : (unsigned)n;
}

static unsigned find(const char* name) {
    unsigned n = refresh();
    for (unsigned i = 0; i < n && i < MAX_PARTITIONS; ++i)
        if (same(g_list[i].name, name)) return i;
    return NOT_FOUND;
}

static const char* state_name(unsigned s) {
    static const char* const names[] = {"not-started", "ready", "paused", "halted", "exited", "stopped"};
    return s <= BH_STATE_STOPPED ? names[s] : "?";
}

static void print_list(void) {
    unsigned n = refresh();
    for (unsigned i = 0; i < n && i < MAX_PARTITIONS; ++i) {
        const struct bh_partition_status* s = &g_list[i];
        print("control: list: ");
        print_dec(s->id);
        print(" ");
        print(s->name);
        print(" cpu=");
        print_dec(s->cpu);
        print(" state=");
        print(state_name(s->state));
        print(" starts=");
        print_dec(s->starts);
        print(s->flags & BH_PARTITION_CONTROL ? " control" : "");
        print("\n");
    }
}

/* Polls the target's status until `done` holds or `ms` pass. */
typedef int (*condition)(const struct bh_partition_status*);
static int wait_until(unsigned id, condition done, unsigned ms) {
    const uint64_t end = rdtsc() + ms * g_tsc_per_ms;
    do {
        refresh();
        if (done(&g_list[id])) return 1;
    } while (rdtsc() < end);
    return 0;
}

static int has_run(const struct bh_partition_status* s) { return s->state == BH_STATE_READY && s->cpu_time_us > 0; }
static int is_paused(const struct bh_partition_status* s) { return s->state == BH_STATE_PAUSED; }
static int is_ready(const struct bh_partition_status* s) { return s->state == BH_STATE_READY; }
static int restarted(const struct bh_partition_status* s) { return s->starts == 2 && s->state == BH_STATE_READY; }
static int has_exited(const struct bh_partition_status* s) { return s->state == BH_STATE_EXITED; }
static int is_stopped(const struct bh_partition_status* s) { return s->state == BH_STATE_STOPPED; }

static void spin_ms(unsigned ms) {
    const uint64_t end = rdtsc() + ms * g_tsc_per_ms;
    while (rdtsc() < end) __asm__ volatile("pause");
}

static int check_refused(void) {
    long r = bh_control_list(g_list, MAX_PARTITIONS);
    check("list refused without the control capability", r == BH_E_NOT_PERMITTED, r);
    r = bh_control(BH_HC_CONTROL_RESTART, 0);
    check("restart refused without the control capability", r == BH_E_NOT_PERMITTED, r);
    r = bh_control(BH_HC_CONTROL_STOP, 0);
    check("stop refused without the control capability", r == BH_E_NOT_PERMITTED, r);
    return (int)g_failures;
}

static void check_errors(unsigned target, unsigned late) {
    long r = bh_control(BH_HC_CONTROL_RESTART, 99);
    check("restart of partition 99 refused: no such partition", r == BH_E_NO_SUCH_PARTITION, r);
    r = bh_control(BH_HC_CONTROL_RESUME, target);
    check("resume of a running partition refused: wrong state", r == BH_E_WRONG_STATE, r);
    r = bh_control(BH_HC_CONTROL_START, target);
    check("start of a started partition refused: wrong state", r == BH_E_WRONG_STATE, r);
    r = bh_control(BH_HC_CONTROL_RESTART, late);
    check("restart of a never-started partition refused: wrong state", r == BH_E_WRONG_STATE, r);
}

static void check_pause_resume(unsigned target) {
    long r = bh_control(BH_HC_CONTROL_PAUSE, target);
    check("pause target accepted", r == 0, r);
    check("target paused", wait_until(target, is_paused, 1000), g_list[target].state);
    const uint64_t before = g_list[target].cpu_time_us;
    spin_ms(50);
    refresh();
    check("paused target got no CPU time in 50 ms", g_list[target].cpu_time_us == before,
          (long)(g_list[target].cpu_time_us - before));
    r = bh_control(BH_HC_CONTROL_RESUME, target);
    check("resume target accepted", r == 0, r);
    check("target ready again", wait_until(target, is_ready, 1000), g_list[target].state);
    spin_ms(50);
    refresh();
    check("resumed target runs again", g_list[target].cpu_time_us > before, (long)(g_list[target].cpu_time_us - before));
}

int guest_main(void) {
    uint32_t timing[4];
    cpuid(BH_CPUID_LEAF_TIMING, 0, timing);
    g_tsc_per_ms = timing[0] ? timing[0] : 1000000;

    if (bh_control_list(g_list, 0) == BH_E_NOT_PERMITTED) return check_refused();

    print_list();
    const unsigned target = find("target"), late = find("late"), self = find("control");
    if (target == NOT_FOUND || late == NOT_FOUND || self == NOT_FOUND) {
        print("control: the configuration lacks target, late or control\n");
        return 1;
    }
    check("this partition has the control flag", (g_list[self].flags & BH_PARTITION_CONTROL) != 0, g_list[self].flags);
    check("late has not started", g_list[late].state == BH_STATE_NOT_STARTED, g_list[late].state);
    check("target runs on CPU 1", wait_until(target, has_run, 2000), (long)g_list[target].cpu_time_us);
    check_errors(target, late);
    check_pause_resume(target);

    long r = bh_control(BH_HC_CONTROL_RESTART, target);
    check("restart target accepted", r == 0, r);
    check("target restarted from its image", wait_until(target, restarted, 2000), g_list[target].starts);

    r = bh_control(BH_HC_CONTROL_START, late);
    check("start late accepted", r == 0, r);
    check("late ran and exited", wait_until(late, has_exited, 5000), g_list[late].state);
    check("late exited with status 0", g_list[late].exit_status == 0, (long)g_list[late].exit_status);

    r = bh_control(BH_HC_CONTROL_STOP, target);
    check("stop target accepted", r == 0, r);
    check("target stopped", wait_until(target, is_stopped, 2000), g_list[target].state);
    r = bh_control(BH_HC_CONTROL_STOP, target);
    check("stop of a stopped partition refused: wrong state", r == BH_E_WRONG_STATE, r);

    print_list();
    print(g_failures == 0 ? "control: all checks passed\n" : "control: some checks FAILED\n");
    return (int)g_failures;
}
