// bulkheadctl: the control partition's command-line tool. Run inside a Linux
// partition that the configuration grants control=yes and
// user_hypercalls=yes, it does what the hypervisor console's monitor does,
// through the control hypercalls (docs/hypercalls.md):
//
//   bulkheadctl list
//   bulkheadctl stats NAME
//   bulkheadctl pause|resume|stop|restart|start NAME
//   bulkheadctl trace NAME on|off
//   bulkheadctl trace NAME [COUNT]
//
// NAME is a partition's name or id. The words are parsed by the monitor's
// own parser (vmm/monitor_commands.cpp), `list` and `stats` are printed by
// its own formatter (vmm/control_report.cpp) and the trace is decoded by the
// hypervisor's own decoder (vmm/exit_trace.cpp), so both say the same.
//
// Hypercall buffers are guest-physical addresses. A Linux program knows
// only its virtual addresses, so it locks one page in memory and looks up
// its physical frame in /proc/self/pagemap, which shows frames to root
// only (CAP_SYS_ADMIN): run it as root, as an initramfs's programs are.
//
// A static program (no libraries to put in the initramfs), built by the
// project's CMake for the build machine's x86-64 Linux.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "include/bulkhead/hypercall.h"
#include "vmm/control_report.hpp"
#include "vmm/exit_trace.hpp"
#include "vmm/monitor_commands.hpp"

namespace {

using namespace bulkhead;

constexpr size_t kPageSize = 4096;
constexpr uint64_t kPagemapPresent = 1ull << 63;
constexpr uint64_t kPagemapFrameMask = (1ull << 55) - 1;
constexpr int kUsageError = 2;

bool in_bulkhead_partition() {
    unsigned int a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(BH_CPUID_LEAF_SIGNATURE), "c"(0));
    return b == BH_CPUID_SIGNATURE_EBX && c == BH_CPUID_SIGNATURE_ECX && d == BH_CPUID_SIGNATURE_EDX;
}

const char* error_text(long e) {
    switch (e) {
        case BH_E_UNKNOWN_CALL: return "the hypervisor does not know this call (an older ABI?)";
        case BH_E_BAD_ADDRESS: return "bad buffer address";
        case BH_E_TOO_LARGE: return "buffer too large";
        case BH_E_BAD_ARGUMENT: return "bad argument";
        case BH_E_NOT_PERMITTED:
            return "not permitted: this partition needs control=yes and user_hypercalls=yes in the configuration";
        case BH_E_NO_SUCH_PARTITION: return "no such partition";
        case BH_E_WRONG_STATE: return "its state does not allow that";
        case BH_E_BUSY: return "busy with an earlier request; try again";
        default: return "unknown error";
    }
}

// One locked page and its guest-physical address: the buffer every call uses.
struct Buffer {
    uint8_t* page = nullptr;
    uint64_t gpa = 0;
};

bool map_buffer(Buffer& b) {
    void* p = mmap(nullptr, kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
                   -1, 0);
    if (p == MAP_FAILED) {
        std::perror("bulkheadctl: mmap");
        return false;
    }
    b.page = static_cast<uint8_t*>(p);
    std::memset(b.page, 0, kPageSize);
    const int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t entry = 0;
    const off_t offset = static_cast<off_t>(reinterpret_cast<uintptr_t>(p) / kPageSize * sizeof entry);
    const bool read_ok = fd >= 0 && pread(fd, &entry, sizeof entry, offset) == static_cast<ssize_t>(sizeof entry);
    if (fd >= 0) close(fd);
    const uint64_t frame = entry & kPagemapFrameMask;
    if (!read_ok || (entry & kPagemapPresent) == 0 || frame == 0) {
        std::fprintf(stderr, "bulkheadctl: cannot find my buffer's physical address in /proc/self/pagemap (run as root)\n");
        return false;
    }
    b.gpa = frame * kPageSize;
    return true;
}

struct Partitions {
    bh_partition_status entries[BH_MAX_TRANSFER / sizeof(bh_partition_status)];
    const char* names[BH_MAX_TRANSFER / sizeof(bh_partition_status)];
    size_t count = 0;
};

bool fetch_list(const Buffer& b, Partitions& out) {
    constexpr size_t kCapacity = BH_MAX_TRANSFER / sizeof(bh_partition_status);
    const long n = bh_control_list(reinterpret_cast<bh_partition_status*>(b.gpa), kCapacity);
    if (n < 0) {
        std::fprintf(stderr, "bulkheadctl: list: %s\n", error_text(n));
        return false;
    }
    out.count = static_cast<size_t>(n) < kCapacity ? static_cast<size_t>(n) : kCapacity;
    std::memcpy(out.entries, b.page, out.count * sizeof(bh_partition_status));
    for (size_t i = 0; i < out.count; ++i) {
        out.entries[i].name[BH_PARTITION_NAME_CAPACITY - 1] = '\0';
        out.names[i] = out.entries[i].name;
    }
    return true;
}


void print_line(void*, const char* line) { std::printf("%s\n", line); }

int show_list(const Partitions& list) {
    report_list_header(print_line, nullptr);
    for (size_t i = 0; i < list.count; ++i) report_list_row(list.entries[i], "", print_line, nullptr);
    return 0;
}

int show_stats(const Buffer& b, const bh_partition_status& p) {
    const long r = bh_hypercall3(BH_HC_CONTROL_STATS, p.id, b.gpa, kPageSize);
    if (r < 0) {
        std::fprintf(stderr, "bulkheadctl: stats %s: %s\n", p.name, error_text(r));
        return 1;
    }
    bh_partition_stats s;
    std::memcpy(&s, b.page, sizeof s);
    report_stats(p.name, s, "bulkheadctl trace", print_line, nullptr);
    return 0;
}

int show_trace(const Buffer& b, const bh_partition_status& p, uint64_t count) {
    constexpr uint64_t kCapacity = BH_MAX_TRANSFER / sizeof(bh_trace_entry);
    if (count > kCapacity) count = kCapacity;
    const long n = bh_hypercall3(BH_HC_CONTROL_TRACE_READ, p.id, b.gpa, count);
    if (n < 0) {
        std::fprintf(stderr, "bulkheadctl: trace %s: %s\n", p.name, error_text(n));
        return 1;
    }
    if (n == 0) std::printf("trace '%s': no exits recorded ('bulkheadctl trace %s on' starts tracing)\n", p.name, p.name);
    TraceEntry entries[kCapacity];
    std::memcpy(entries, b.page, static_cast<size_t>(n) * sizeof(TraceEntry));
    for (long i = 0; i < n; ++i) {
        char line[256];
        describe_trace_entry(entries[i], entries[0].tsc, line, sizeof line);
        std::printf("trace '%s': %s\n", p.name, line);
    }
    return 0;
}

int request(unsigned long call, const bh_partition_status& p, const char* what) {
    const long r = bh_control(call, p.id);
    if (r < 0) {
        std::fprintf(stderr, "bulkheadctl: %s %s: %s\n", what, p.name, error_text(r));
        return 1;
    }
    std::printf("%s of '%s' requested\n", what, p.name);
    return 0;
}

int usage() {
    std::fprintf(stderr,
                 "usage: bulkheadctl list | stats NAME | pause|resume|stop|restart|start NAME |\n"
                 "       trace NAME on|off | trace NAME [COUNT]\n");
    return kUsageError;
}

int run(const MonitorCommand& c, const Buffer& b, const Partitions& list) {
    switch (c.verb) {
        case MonitorVerb::List: return show_list(list);
        case MonitorVerb::Empty:
        case MonitorVerb::Help: return usage();
        case MonitorVerb::Invalid: std::fprintf(stderr, "bulkheadctl: %s\n", c.error); return kUsageError;
        case MonitorVerb::Vcpu:
        case MonitorVerb::Console:
            std::fprintf(stderr, "bulkheadctl: that is a command of the console's monitor only\n");
            return kUsageError;
        default: break;
    }
    const long index = find_partition(c.target, list.names, list.count);
    if (index < 0) {
        std::fprintf(stderr, "bulkheadctl: no partition '%s' ('bulkheadctl list' shows them)\n", c.target);
        return 1;
    }
    const bh_partition_status& p = list.entries[index];
    switch (c.verb) {
        case MonitorVerb::Stats: return show_stats(b, p);
        case MonitorVerb::Pause: return request(BH_HC_CONTROL_PAUSE, p, "pause");
        case MonitorVerb::Resume: return request(BH_HC_CONTROL_RESUME, p, "resume");
        case MonitorVerb::Stop: return request(BH_HC_CONTROL_STOP, p, "stop");
        case MonitorVerb::Restart: return request(BH_HC_CONTROL_RESTART, p, "restart");
        case MonitorVerb::Start: return request(BH_HC_CONTROL_START, p, "start");
        case MonitorVerb::TraceOn:
        case MonitorVerb::TraceOff: {
            const bool on = c.verb == MonitorVerb::TraceOn;
            const long r = bh_hypercall3(BH_HC_CONTROL_TRACE, p.id, on ? 1 : 0, 0);
            if (r < 0) {
                std::fprintf(stderr, "bulkheadctl: trace %s: %s\n", p.name, error_text(r));
                return 1;
            }
            std::printf("trace '%s' %s\n", p.name, on ? "on" : "off");
            return 0;
        }
        case MonitorVerb::TraceShow: return show_trace(b, p, c.count);
        default: return usage();
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage();
    std::string line;
    for (int i = 1; i < argc; ++i) line += std::string(i > 1 ? " " : "") + argv[i];
    const MonitorCommand command = parse_monitor_line(line.c_str(), line.size());
    if (command.verb == MonitorVerb::Invalid) return run(command, Buffer{}, Partitions{});
    if (!in_bulkhead_partition()) {
        std::fprintf(stderr, "bulkheadctl: not running in a Bulkhead partition (CPUID 0x40000000 has no BulkheadHV)\n");
        return 1;
    }
    Buffer buffer;
    static Partitions list;
    if (!map_buffer(buffer) || !fetch_list(buffer, list)) return 1;
    return run(command, buffer, list);
}
