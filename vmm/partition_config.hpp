// The partition configuration: parsing and validating `bulkhead.cfg`.
//
// GRUB loads every guest image as a `module2` line whose command line starts
// with the module's name, and one more module named exactly `bulkhead.cfg`:
// a text file with one `partition key=value ...` line per partition
// (docs/configuration.md has the format and the reasons for it).
//
// parse_partition_config checks the whole file against the machine (boot
// modules, CPUs, RAM) before any guest runs. Each partition line is either
// accepted into ParsedConfig or rejected with exactly one diagnostic naming
// the partition (or its line) and the key at fault; a rejected line never
// stops the lines after it. What to do with rejections (run the rest, or
// refuse to start) is the caller's decision.
//
// Pure code over plain arrays: no hardware access and no heap, so the host
// unit tests run it unchanged (tests/unit/test_partition_config.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/frame_allocator.hpp"  // PhysRange
#include "kernel/lib/units.hpp"

namespace bulkhead {

inline constexpr size_t kMaxPartitions = 16;
inline constexpr size_t kMaxPartitionNameLength = 15;
inline constexpr size_t kMaxGuestCmdlineLength = 255;
// Longer lines are rejected rather than cut: a cut line could silently lose
// its last keys and still look valid.
inline constexpr size_t kMaxConfigLineLength = 512;

// Partition memory is mapped with 2 MiB EPT pages, so sizes and fixed
// addresses come in whole 2 MiB pages.
inline constexpr uint32_t kDefaultWeight = 1;
inline constexpr uint32_t kMinWeight = 1;
inline constexpr uint32_t kMaxWeight = 100;

inline constexpr uint64_t kPartitionMemoryGranule = 2 * kMiB;
inline constexpr uint64_t kMinPartitionMemory = kPartitionMemoryGranule;
inline constexpr uint64_t kMaxPartitionMemory = 4 * kGiB;

inline constexpr size_t kNoModule = static_cast<size_t>(-1);

// The boot module that holds the configuration is the one with this name.
inline constexpr const char* kConfigModuleName = "bulkhead.cfg";
// Room for a module name plus its NUL, for callers of module_name().
inline constexpr size_t kModuleNameCapacity = 64;

// What happens when containment stops the partition.
enum class OnFault : uint8_t { Stop, Restart };
// What the partition is expected to do, for the run's verdict.
//   Pass:  exit with status 0.
//   Fault: be stopped by containment (hostile test guests).
//   Any:   either; the partition does not affect the verdict.
enum class Expectation : uint8_t { Pass, Fault, Any };
// A write to an I/O port the partition was not given. Reads of such a port
// always return all-ones, like an empty bus.
enum class UnassignedIo : uint8_t { Stop, Ignore };
// When the partition starts: with the others at boot, or only when the
// control partition (or the monitor) starts it.
enum class StartMode : uint8_t { Boot, Manual };

struct PartitionConfig {
    char name[kMaxPartitionNameLength + 1];  // NUL-terminated, [a-z0-9_-]
    size_t image_module;                     // index into the boot modules
    uint64_t memory_size;                    // bytes, a multiple of 2 MiB
    bool fixed_placement;                    // memory=SIZE@ADDR was given
    uint64_t host_physical_base;             // ADDR when fixed_placement, else 0
    uint32_t cpu;
    uint32_t weight;        // time slices per turn on its CPU (1 to 100)
    OnFault on_fault;
    Expectation expect;
    UnassignedIo unassigned_io;
    bool unassigned_io_given;   // false: the builder picks (ignore for Linux guests, which probe ports)
    char cmdline[kMaxGuestCmdlineLength + 1];  // NUL-terminated, "" by default
    StartMode start;
    bool control;           // may use the control hypercalls (one partition at most)
    size_t initrd_module;   // a Linux guest's initial ramdisk: a boot module index, or kNoModule
    bool trace;             // its exits go to the exit trace from the start (docs/monitor.md)
    // Hypercalls from the guest's user mode (CPL 3) are accepted: what lets
    // bulkheadctl run as a Linux program. Off, they get BH_E_NOT_PERMITTED.
    bool user_hypercalls;
};

struct ConfigInputs {
    const char* text;    // the configuration file; need not be NUL-terminated
    size_t text_length;  // bytes of text
    // Name of each boot module (module_name() of its command line), index =
    // module index. A null entry is a module without a name.
    const char* const* module_names;
    size_t module_count;
    size_t config_module;  // index of the configuration module itself
    uint32_t cpu_count;    // CPUs that exist; `cpu=` must be below this
    // Usable RAM and the ranges inside it that must stay untouched (the
    // hypervisor image, the boot information, the modules). Both [base, end),
    // unsorted, possibly overlapping or adjacent.
    const PhysRange* available_ram;
    size_t available_count;
    const PhysRange* reserved;
    size_t reserved_count;
    uint64_t free_bytes;  // memory left for partitions (the frame allocator's free memory)
};

// Receives one diagnostic: a single line without a trailing newline, valid
// only during the call.
using ConfigDiagnosticSink = void (*)(void* context, const char* message);

struct ParsedConfig {
    PartitionConfig partitions[kMaxPartitions];  // the accepted ones, in file order
    size_t count;                                // accepted partitions
    size_t rejected;                             // lines rejected (one diagnostic each)
};

// Parses and validates the whole configuration; `out` is overwritten. `sink`
// may be null to drop diagnostics; `context` is passed to it untouched.
void parse_partition_config(const ConfigInputs& inputs, ParsedConfig& out, ConfigDiagnosticSink sink,
                            void* context);

// Copies the first word of a module command line (the module's name) into
// `out` with a NUL and returns its length. Returns 0, with `out` empty when
// capacity > 0, when there is no first word or it does not fit: a cut name
// could match another module. `module_cmdline` may be null.
size_t module_name(const char* module_cmdline, char* out, size_t capacity);

// Finds the module named kConfigModuleName. If several are, the first one
// counts (GRUB loads modules in grub.cfg order). False when there is none.
bool find_config_module(const char* const* module_cmdlines, size_t count, size_t& index);

// The configuration file's spelling of each value, for logs.
const char* to_string(OnFault on_fault);
const char* to_string(Expectation expect);
const char* to_string(UnassignedIo unassigned_io);
const char* to_string(StartMode start);

}  // namespace bulkhead
