// Unit tests for the partition configuration parser and validator
// (vmm/partition_config.cpp), and for the quoted values it relies on in the
// command-line tokenizer (kernel/cmdline.cpp).
#include <catch2/catch.hpp>

#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include "kernel/cmdline.hpp"
#include "kernel/lib/units.hpp"
#include "vmm/partition_config.hpp"

using namespace bulkhead;

namespace {

constexpr uint64_t kRamEnd = 2 * kGiB;
// The hypervisor image, the boot information and the modules, as the
// frame allocator would be told.
constexpr PhysRange kHypervisorImage{0x100000, 0x180000};
constexpr PhysRange kModules{0x400000, 0x600000};

struct Result {
    ParsedConfig config;
    std::vector<std::string> messages;
};

// A made-up machine: modules, CPUs and memory, all adjustable per test.
struct Machine {
    std::vector<std::string> modules{"hello64", "bulkhead.cfg", "hostile", "twice", "twice"};
    size_t config_module = 1;
    uint32_t cpu_count = 1;
    std::vector<PhysRange> ram{{0x1000, 0x9f000}, {0x100000, kRamEnd}};
    std::vector<PhysRange> reserved{kHypervisorImage, kModules};
    uint64_t free_bytes = 1 * kGiB;

    std::unique_ptr<Result> parse(const std::string& text) const {
        std::vector<const char*> names;
        for (const std::string& m : modules) names.push_back(m.c_str());
        const ConfigInputs inputs{text.data(),     text.size(),      names.data(), names.size(),
                                  config_module,   cpu_count,        ram.data(),   ram.size(),
                                  reserved.data(), reserved.size(),  free_bytes};
        auto result = std::make_unique<Result>();
        parse_partition_config(
            inputs, result->config,
            [](void* context, const char* message) {
                static_cast<Result*>(context)->messages.push_back(message);
            },
            result.get());
        return result;
    }
};

const PartitionConfig* find(const Result& r, const std::string& name) {
    for (size_t i = 0; i < r.config.count; ++i)
        if (name == r.config.partitions[i].name) return &r.config.partitions[i];
    return nullptr;
}

// One partition line on its own: the single diagnostic it produces, or ""
// when it is accepted.
std::string diagnostic_for(const std::string& line, const Machine& machine = Machine{}) {
    const auto r = machine.parse(line + "\n");
    if (r->config.count == 1 && r->messages.empty()) return "";
    REQUIRE(r->config.count == 0);
    REQUIRE(r->config.rejected == 1);
    REQUIRE(r->messages.size() == 1);
    return r->messages[0];
}

std::string numbered_partitions(int count) {
    std::string text;
    for (int i = 1; i <= count; ++i)
        text += "partition name=p" + std::to_string(i) + " image=hello64 memory=2M\n";
    return text;
}

}  // namespace

TEST_CASE("a good configuration with several partitions", "[partition_config]") {
    Machine machine;
    machine.cpu_count = 4;
    const auto r = machine.parse(
        "# Three partitions on a four-CPU machine.\n"
        "partition name=alpha image=hello64 memory=16M cpu=0 on_fault=stop expect=pass "
        "unassigned_io=stop cmdline=\"console=ttyS0 x=1\"\n"
        "partition name=beta image=hostile memory=32M@0x20000000 cpu=3 on_fault=restart "
        "expect=fault unassigned_io=ignore\n"
        "partition name=gamma_2-x image=hello64 memory=2M expect=any\n");
    CHECK(r->messages.empty());
    REQUIRE(r->config.count == 3);
    CHECK(r->config.rejected == 0);

    const PartitionConfig& a = r->config.partitions[0];
    CHECK(std::string(a.name) == "alpha");
    CHECK(a.image_module == 0);
    CHECK(a.memory_size == 16 * kMiB);
    CHECK_FALSE(a.fixed_placement);
    CHECK(a.host_physical_base == 0);
    CHECK(a.cpu == 0);
    CHECK(a.on_fault == OnFault::Stop);
    CHECK(a.expect == Expectation::Pass);
    CHECK(a.unassigned_io == UnassignedIo::Stop);
    CHECK(std::string(a.cmdline) == "console=ttyS0 x=1");

    const PartitionConfig& b = r->config.partitions[1];
    CHECK(std::string(b.name) == "beta");
    CHECK(b.image_module == 2);
    CHECK(b.memory_size == 32 * kMiB);
    CHECK(b.fixed_placement);
    CHECK(b.host_physical_base == 0x20000000);
    CHECK(b.cpu == 3);
    CHECK(b.on_fault == OnFault::Restart);
    CHECK(b.expect == Expectation::Fault);
    CHECK(b.unassigned_io == UnassignedIo::Ignore);
    CHECK(std::string(b.cmdline).empty());

    const PartitionConfig& g = r->config.partitions[2];
    CHECK(std::string(g.name) == "gamma_2-x");
    CHECK(g.expect == Expectation::Any);
}

TEST_CASE("optional keys take their defaults", "[partition_config]") {
    const auto r = Machine{}.parse("partition memory=4M image=hello64 name=solo");
    REQUIRE(r->config.count == 1);
    const PartitionConfig& p = r->config.partitions[0];
    CHECK(std::string(p.name) == "solo");  // key order does not matter
    CHECK(p.cpu == 0);
    CHECK(p.on_fault == OnFault::Stop);
    CHECK(p.expect == Expectation::Pass);
    CHECK(p.unassigned_io == UnassignedIo::Stop);
    CHECK_FALSE(p.unassigned_io_given);
    CHECK_FALSE(p.fixed_placement);
    CHECK(p.cmdline[0] == '\0');
}

TEST_CASE("the diagnostics the design names, word for word", "[partition_config]") {
    Machine machine;
    machine.ram = {{0x100000, 8 * kGiB}};
    machine.free_bytes = 8 * kGiB;
    const auto r = machine.parse(
        "# line 1\n"
        "partition name=alpha image=hello64 memory=16M\n"
        "partition name=beta image=hello64 memory=3T\n"
        "partition name=gamma image=nothere memory=16M\n"
        "partition name=delta image=hello64 memory=16M cpu=3\n"
        "\n"
        "partition image=hello64 memory=16M colour=red\n"
        "partition name=alpha image=hello64 memory=16M\n");
    CHECK(r->config.count == 1);
    CHECK(r->config.rejected == 5);
    REQUIRE(r->messages.size() == 5);
    CHECK(r->messages[0] == "config: partition 'beta': key 'memory': 3T exceeds the 4 GiB partition limit");
    CHECK(r->messages[1] == "config: partition 'gamma': key 'image': no boot module named 'nothere'");
    CHECK(r->messages[2] == "config: partition 'delta': key 'cpu': CPU 3 does not exist (this machine has 1)");
    CHECK(r->messages[3] == "config: line 7: unknown key 'colour'");
    CHECK(r->messages[4] == "config: partition 'alpha': key 'name': duplicate of line 2");
}

TEST_CASE("word-level diagnostics", "[partition_config]") {
    CHECK(diagnostic_for("partiton name=a image=hello64 memory=2M") ==
          "config: partition 'a': expected 'partition' at the start of the line, found 'partiton'");
    CHECK(diagnostic_for("partition=x name=a image=hello64 memory=2M") ==
          "config: partition 'a': expected 'partition' at the start of the line, found 'partition=x'");
    // A valid name labels the diagnostic even when it comes after the problem.
    CHECK(diagnostic_for("partition colour=red name=a image=hello64 memory=2M") ==
          "config: partition 'a': unknown key 'colour'");
    CHECK(diagnostic_for("partition name=a image=hello64 memory=2M Name=b") ==
          "config: partition 'a': unknown key 'Name'");  // keys are case-sensitive
    CHECK(diagnostic_for("partition name=a image=hello64 memory") ==
          "config: partition 'a': key 'memory': needs a value (memory=...)");
    CHECK(diagnostic_for("partition name=a image=hello64 memory=2M cpu=0 cpu=0") ==
          "config: partition 'a': key 'cpu': given more than once");
    CHECK(diagnostic_for("partition name=a name=b image=hello64 memory=2M") ==
          "config: partition 'a': key 'name': given more than once");
    CHECK(diagnostic_for("partition name=a image=hello64 memory=2M cmdline=\"console=ttyS0") ==
          "config: partition 'a': key 'cmdline': a quoted value needs a closing quote followed by a blank "
          "or the end of the line");
    CHECK(diagnostic_for("partition name=a image=hello64 memory=2M cmdline=\"x\"y") ==
          "config: partition 'a': key 'cmdline': a quoted value needs a closing quote followed by a blank "
          "or the end of the line");
    // The first problem in word order is the one reported.
    CHECK(diagnostic_for("partition name=a size=1 colour=red image=hello64 memory=2M") ==
          "config: partition 'a': unknown key 'size'");
}

TEST_CASE("missing required keys", "[partition_config]") {
    CHECK(diagnostic_for("partition image=hello64 memory=2M") ==
          "config: line 1: key 'name': missing (every partition needs one)");
    CHECK(diagnostic_for("partition name=a memory=2M") ==
          "config: partition 'a': key 'image': missing (every partition needs one)");
    CHECK(diagnostic_for("partition name=a image=hello64 cpu=0") ==
          "config: partition 'a': key 'memory': missing (every partition needs one)");
    CHECK(diagnostic_for("partition") == "config: line 1: key 'name': missing (every partition needs one)");
}

TEST_CASE("name values", "[partition_config]") {
    CHECK(diagnostic_for("partition name=a image=hello64 memory=2M").empty());
    CHECK(diagnostic_for("partition name=abcdefghijklmno image=hello64 memory=2M").empty());  // 15
    CHECK(diagnostic_for("partition name=a-b_0 image=hello64 memory=2M").empty());
    const char* bad[] = {"Alpha", "al pha", "abcdefghijklmnop", "a.b", "a/b"};
    for (const char* name : bad) {
        INFO(name);
        CHECK(diagnostic_for(std::string("partition name=\"") + name + "\" image=hello64 memory=2M") ==
              std::string("config: line 1: key 'name': '") + name +
                  "' is not a valid name (1 to 15 of a-z, 0-9, '_', '-')");
    }
    CHECK(diagnostic_for("partition name= image=hello64 memory=2M") ==
          "config: line 1: key 'name': '' is not a valid name (1 to 15 of a-z, 0-9, '_', '-')");
}

TEST_CASE("duplicate names are checked against every earlier line", "[partition_config]") {
    // Line 1 is rejected (bad memory) but still owns its name: the log would
    // otherwise have two different partitions called 'a'.
    const auto r = Machine{}.parse(
        "partition name=a image=hello64 memory=3M\n"
        "partition name=b image=hello64 memory=2M\n"
        "partition name=a image=hello64 memory=2M\n"
        "partition name=a image=hello64 memory=2M\n");
    REQUIRE(r->messages.size() == 3);
    CHECK(r->messages[0] == "config: partition 'a': key 'memory': 3M is not a multiple of 2 MiB");
    CHECK(r->messages[1] == "config: partition 'a': key 'name': duplicate of line 1");
    CHECK(r->messages[2] == "config: partition 'a': key 'name': duplicate of line 1");
    REQUIRE(r->config.count == 1);
    CHECK(std::string(r->config.partitions[0].name) == "b");
}

TEST_CASE("image values", "[partition_config]") {
    CHECK(diagnostic_for("partition name=a image=bulkhead.cfg memory=2M") ==
          "config: partition 'a': key 'image': 'bulkhead.cfg' is the configuration, not a guest image");
    CHECK(diagnostic_for("partition name=a image=twice memory=2M") ==
          "config: partition 'a': key 'image': 2 boot modules are named 'twice'");
    CHECK(diagnostic_for("partition name=a image=Hello64 memory=2M") ==
          "config: partition 'a': key 'image': no boot module named 'Hello64'");
    CHECK(diagnostic_for("partition name=a image= memory=2M") ==
          "config: partition 'a': key 'image': no boot module named ''");

    Machine machine;
    machine.modules = {"bulkhead.cfg", "", "hello64"};
    machine.config_module = 0;
    const auto r = machine.parse("partition name=a image=hello64 memory=2M");
    REQUIRE(r->config.count == 1);
    CHECK(r->config.partitions[0].image_module == 2);
    // An unnamed module matches nothing, not even an empty image name.
    CHECK(diagnostic_for("partition name=a image=\"\" memory=2M", machine) ==
          "config: partition 'a': key 'image': no boot module named ''");
}

TEST_CASE("memory sizes", "[partition_config]") {
    Machine machine;
    machine.ram = {{0x100000, 16 * kGiB}};
    machine.free_bytes = 16 * kGiB;
    auto memory = [&](const std::string& value) {
        return diagnostic_for("partition name=m image=hello64 memory=" + value, machine);
    };
    CHECK(memory("2M").empty());
    CHECK(memory("2048K").empty());
    CHECK(memory("4G").empty());
    CHECK(memory("0x200000").empty());
    CHECK(memory("4096m").empty());
    CHECK(memory("3T") == "config: partition 'm': key 'memory': 3T exceeds the 4 GiB partition limit");
    CHECK(memory("4098M") == "config: partition 'm': key 'memory': 4098M exceeds the 4 GiB partition limit");
    CHECK(memory("5G") == "config: partition 'm': key 'memory': 5G exceeds the 4 GiB partition limit");
    CHECK(memory("1M") == "config: partition 'm': key 'memory': 1M is below the 2 MiB minimum");
    CHECK(memory("0") == "config: partition 'm': key 'memory': 0 is below the 2 MiB minimum");
    CHECK(memory("0T") == "config: partition 'm': key 'memory': 0T is below the 2 MiB minimum");
    CHECK(memory("3M") == "config: partition 'm': key 'memory': 3M is not a multiple of 2 MiB");
    CHECK(memory("2049K") == "config: partition 'm': key 'memory': 2049K is not a multiple of 2 MiB");
    const char* not_sizes[] = {"16MB", "-2M", "lots", "2 M", "99999999T", "18446744073709551616"};
    for (const char* text : not_sizes) {
        INFO(text);
        CHECK(memory(std::string("\"") + text + "\"") ==
              std::string("config: partition 'm': key 'memory': '") + text +
                  "' is not a size (a number with an optional K, M or G suffix)");
    }
    CHECK(memory("") ==
          "config: partition 'm': key 'memory': '' is not a size (a number with an optional K, M or G suffix)");
    const auto r = machine.parse("partition name=m image=hello64 memory=4G");
    REQUIRE(r->config.count == 1);
    CHECK(r->config.partitions[0].memory_size == 4 * kGiB);
}

TEST_CASE("fixed placement syntax", "[partition_config]") {
    auto memory = [](const std::string& value) {
        return diagnostic_for("partition name=f image=hello64 memory=" + value);
    };
    CHECK(memory("16M@0x20000000").empty());
    CHECK(memory("16M@536870912").empty());  // decimal works too
    CHECK(memory("16M@0x20100000") == "config: partition 'f': key 'memory': placement 0x20100000 is not 2 MiB-aligned");
    CHECK(memory("16M@0xzz") == "config: partition 'f': key 'memory': '0xzz' is not an address");
    CHECK(memory("16M@") == "config: partition 'f': key 'memory': '' is not an address");
    CHECK(memory("16M@0x200000@0x200000") ==
          "config: partition 'f': key 'memory': '0x200000@0x200000' is not an address");
    // The size is checked before the address.
    CHECK(memory("3M@0xzz") == "config: partition 'f': key 'memory': 3M is not a multiple of 2 MiB");
    CHECK(memory("@0x200000") ==
          "config: partition 'f': key 'memory': '' is not a size (a number with an optional K, M or G suffix)");
}

TEST_CASE("fixed placements against RAM and reserved ranges", "[partition_config]") {
    Machine machine;
    // Two RAM ranges that touch, one that overlaps them, and a hole at 3 GiB.
    machine.ram = {{0x100000, 0x40000000}, {0x40000000, 0x80000000}, {0x60000000, 0xa0000000},
                   {0xc0000000, 0x100000000}};
    machine.free_bytes = 4 * kGiB;
    auto memory = [&](const std::string& value) {
        return diagnostic_for("partition name=f image=hello64 memory=" + value, machine);
    };
    CHECK(memory("64M@0x3fe00000").empty());   // across two touching ranges
    CHECK(memory("1G@0x60000000").empty());    // across two overlapping ranges
    CHECK(memory("2M@0xfe00000").empty());
    CHECK(memory("2M@0x200000").empty());      // between the image and the modules
    CHECK(memory("16M@0x9f000000").empty());   // ends exactly where RAM does
    CHECK(memory("32M@0x9f000000") ==
          "config: partition 'f': key 'memory': 32M@0x9f000000 is not entirely inside available RAM");
    CHECK(memory("2M@0xb0000000") ==
          "config: partition 'f': key 'memory': 2M@0xb0000000 is not entirely inside available RAM");
    CHECK(memory("2M@0x0") ==
          "config: partition 'f': key 'memory': 2M@0x0 is not entirely inside available RAM");
    CHECK(memory("2M@0x100000000") ==
          "config: partition 'f': key 'memory': 2M@0x100000000 is not entirely inside available RAM");
    CHECK(memory("4M@0xffffffffffe00000") ==
          "config: partition 'f': key 'memory': 4M@0xffffffffffe00000 runs past the end of the physical "
          "address space");
    machine.ram.push_back({0x100000, 0x200000});  // the image's range: RAM, but reserved
    CHECK(memory("4M@0x0") ==
          "config: partition 'f': key 'memory': 4M@0x0 is not entirely inside available RAM");
    machine.ram.push_back({0x0, 0x100000});
    CHECK(memory("4M@0x0") ==
          "config: partition 'f': key 'memory': 4M@0x0 overlaps reserved memory 0x100000-0x180000");
    CHECK(memory("2M@0x400000") ==
          "config: partition 'f': key 'memory': 2M@0x400000 overlaps reserved memory 0x400000-0x600000");
    CHECK(memory("8M@0x200000") ==
          "config: partition 'f': key 'memory': 8M@0x200000 overlaps reserved memory 0x400000-0x600000");
    machine.reserved.push_back({0x800000, 0x800000});  // empty: ignored
    CHECK(memory("2M@0x800000").empty());
}

TEST_CASE("fixed placements that overlap each other", "[partition_config]") {
    const auto r = Machine{}.parse(
        "partition name=first image=hello64 memory=16M@0x20000000\n"
        "partition name=second image=hello64 memory=16M@0x20800000\n"
        "partition name=third image=hello64 memory=16M@0x21000000\n"
        "partition name=fourth image=hello64 memory=32M@0x1f000000\n"
        "partition name=rejected image=nothere memory=16M@0x30000000\n"
        "partition name=fifth image=hello64 memory=16M@0x30000000\n");
    REQUIRE(r->messages.size() == 3);
    CHECK(r->messages[0] ==
          "config: partition 'second': key 'memory': 16M@0x20800000 overlaps partition 'first' "
          "(0x20000000-0x21000000)");
    CHECK(r->messages[1] ==
          "config: partition 'fourth': key 'memory': 32M@0x1f000000 overlaps partition 'first' "
          "(0x20000000-0x21000000)");
    // A rejected partition holds no memory, so 'fifth' may take its place.
    CHECK(r->messages[2] == "config: partition 'rejected': key 'image': no boot module named 'nothere'");
    REQUIRE(r->config.count == 3);
    CHECK(find(*r, "first") != nullptr);
    CHECK(find(*r, "third") != nullptr);  // touches 'first' but does not overlap
    CHECK(find(*r, "fifth") != nullptr);
}

TEST_CASE("memory exhaustion rejects only the partitions that do not fit", "[partition_config]") {
    Machine machine;
    machine.free_bytes = 100 * kMiB - 512 * kKiB;  // left-overs round down
    const auto r = machine.parse(
        "partition name=a image=hello64 memory=64M\n"
        "partition name=b image=hello64 memory=64M\n"
        "partition name=c image=hello64 memory=32M@0x20000000\n"
        "partition name=d image=hello64 memory=4M\n"
        "partition name=e image=hello64 memory=2M\n");
    REQUIRE(r->messages.size() == 2);
    CHECK(r->messages[0] ==
          "config: partition 'b': key 'memory': not enough free memory (64 MiB requested, 35 MiB left)");
    // Fixed placements come out of the same free memory.
    CHECK(r->messages[1] ==
          "config: partition 'd': key 'memory': not enough free memory (4 MiB requested, 3 MiB left)");
    REQUIRE(r->config.count == 3);
    CHECK(std::string(r->config.partitions[0].name) == "a");
    CHECK(std::string(r->config.partitions[1].name) == "c");
    CHECK(std::string(r->config.partitions[2].name) == "e");
    CHECK(r->config.rejected == 2);

    machine.free_bytes = 0;
    CHECK(diagnostic_for("partition name=z image=hello64 memory=2M", machine) ==
          "config: partition 'z': key 'memory': not enough free memory (2 MiB requested, 0 MiB left)");
}

TEST_CASE("cpu values", "[partition_config]") {
    Machine machine;
    machine.cpu_count = 4;
    auto cpu = [&](const std::string& value) {
        return diagnostic_for("partition name=c image=hello64 memory=2M cpu=" + value, machine);
    };
    CHECK(cpu("3").empty());
    CHECK(cpu("0x2").empty());
    CHECK(cpu("4") == "config: partition 'c': key 'cpu': CPU 4 does not exist (this machine has 4)");
    CHECK(cpu("4294967296") ==
          "config: partition 'c': key 'cpu': CPU 4294967296 does not exist (this machine has 4)");
    CHECK(cpu("one") == "config: partition 'c': key 'cpu': 'one' is not a CPU number");
    CHECK(cpu("-1") == "config: partition 'c': key 'cpu': '-1' is not a CPU number");
    CHECK(cpu("") == "config: partition 'c': key 'cpu': '' is not a CPU number");
    // Partitions may share a CPU.
    const auto r = machine.parse(
        "partition name=a image=hello64 memory=2M cpu=1\npartition name=b image=hello64 memory=2M cpu=1\n");
    CHECK(r->config.count == 2);
}

TEST_CASE("choice values", "[partition_config]") {
    auto line = [](const std::string& extra) {
        return diagnostic_for("partition name=c image=hello64 memory=2M " + extra);
    };
    CHECK(line("on_fault=reboot") ==
          "config: partition 'c': key 'on_fault': 'reboot' is not one of: stop, restart");
    CHECK(line("expect=PASS") == "config: partition 'c': key 'expect': 'PASS' is not one of: pass, fault, any");
    CHECK(line("unassigned_io=") ==
          "config: partition 'c': key 'unassigned_io': '' is not one of: stop, ignore");
    for (OnFault v : {OnFault::Stop, OnFault::Restart}) {
        const auto r = Machine{}.parse("partition name=c image=hello64 memory=2M on_fault=" + std::string(to_string(v)));
        REQUIRE(r->config.count == 1);
        CHECK(r->config.partitions[0].on_fault == v);
    }
    for (Expectation v : {Expectation::Pass, Expectation::Fault, Expectation::Any}) {
        const auto r = Machine{}.parse("partition name=c image=hello64 memory=2M expect=" + std::string(to_string(v)));
        REQUIRE(r->config.count == 1);
        CHECK(r->config.partitions[0].expect == v);
    }
    for (UnassignedIo v : {UnassignedIo::Stop, UnassignedIo::Ignore}) {
        const auto r =
            Machine{}.parse("partition name=c image=hello64 memory=2M unassigned_io=" + std::string(to_string(v)));
        REQUIRE(r->config.count == 1);
        CHECK(r->config.partitions[0].unassigned_io == v);
        CHECK(r->config.partitions[0].unassigned_io_given);
    }
    CHECK(std::string(to_string(static_cast<OnFault>(9))) == "unknown");
}

TEST_CASE("guest command lines", "[partition_config]") {
    const auto r = Machine{}.parse(
        "partition name=a image=hello64 memory=2M cmdline=\"console=ttyS0  x=1\tdebug\"\n"
        "partition name=b image=hello64 memory=2M cmdline=quiet\n"
        "partition name=c image=hello64 memory=2M cmdline=\"\"\n"
        "partition name=d image=hello64 memory=2M cmdline=\"a#b # c=d\" # a real comment\n");
    REQUIRE(r->config.count == 4);
    CHECK(std::string(r->config.partitions[0].cmdline) == "console=ttyS0  x=1\tdebug");
    CHECK(std::string(r->config.partitions[1].cmdline) == "quiet");
    CHECK(std::string(r->config.partitions[2].cmdline).empty());
    CHECK(std::string(r->config.partitions[3].cmdline) == "a#b # c=d");

    const std::string longest(255, 'x');
    const auto ok = Machine{}.parse("partition name=a image=hello64 memory=2M cmdline=\"" + longest + "\"");
    REQUIRE(ok->config.count == 1);
    CHECK(std::string(ok->config.partitions[0].cmdline) == longest);
    CHECK(diagnostic_for("partition name=a image=hello64 memory=2M cmdline=\"" + longest + "y\"") ==
          "config: partition 'a': key 'cmdline': 256 characters, at most 255 fit");
}

TEST_CASE("comments, blank lines and line endings", "[partition_config]") {
    const auto r = Machine{}.parse(
        "# The whole line is a comment, partition name=x image=hello64 memory=2M\r\n"
        "\r\n"
        "   \t  \r\n"
        "   # indented comment\n"
        "partition name=a image=hello64 memory=2M   # trailing comment\r\n"
        "partition name=b image=hello64 memory=2M #colour=red\r\n"
        "\n"
        "partition name=c image=hello64 memory=2M cpu=0\r\n"
        "partition name=d\timage=hello64\tmemory=2M");  // tabs, no final newline
    CHECK(r->messages.empty());
    REQUIRE(r->config.count == 4);
    CHECK(std::string(r->config.partitions[3].name) == "d");

    // Line numbers count every line, blank and comment lines included.
    const auto numbered = Machine{}.parse("#\r\n\r\n\r\npartition image=hello64 memory=2M\r\n");
    REQUIRE(numbered->messages.size() == 1);
    CHECK(numbered->messages[0] == "config: line 4: key 'name': missing (every partition needs one)");

    // An empty file, or only comments: nothing to run, nothing wrong.
    for (const char* text : {"", "\n\n", "# nothing\n", "\r\n"}) {
        const auto empty = Machine{}.parse(text);
        CHECK(empty->config.count == 0);
        CHECK(empty->config.rejected == 0);
        CHECK(empty->messages.empty());
    }
}

TEST_CASE("control characters are rejected", "[partition_config]") {
    CHECK(diagnostic_for("partition name=a image=hello64\rmemory=2M") ==
          "config: line 1: control character 0xd (only printable text and tabs belong in the file)");
    CHECK(diagnostic_for(std::string("partition name=a image=hello64 memory=2M\0", 41)) ==
          "config: line 1: control character 0x0 (only printable text and tabs belong in the file)");
    CHECK(diagnostic_for("partition name=a image=hello64 memory=2M\x7f") ==
          "config: line 1: control character 0x7f (only printable text and tabs belong in the file)");
}

TEST_CASE("over-long lines", "[partition_config]") {
    const std::string start = "partition name=a image=hello64 memory=2M # ";
    const std::string exactly_512 = start + std::string(512 - start.size(), 'x');
    REQUIRE(exactly_512.size() == 512);
    CHECK(diagnostic_for(exactly_512 + "\r").empty());  // the CR does not count
    CHECK(diagnostic_for(exactly_512 + "y") == "config: line 1: longer than 512 characters");

    // A long line does not disturb the lines around it; long comments are fine.
    const auto r = Machine{}.parse("#" + std::string(2000, '-') + "\n" + exactly_512 + "yy\n" +
                                   "partition name=b image=hello64 memory=2M\n");
    REQUIRE(r->messages.size() == 1);
    CHECK(r->messages[0] == "config: line 2: longer than 512 characters");
    REQUIRE(r->config.count == 1);
    CHECK(std::string(r->config.partitions[0].name) == "b");
}

TEST_CASE("echoed text is clipped", "[partition_config]") {
    const std::string key(100, 'k');
    CHECK(diagnostic_for("partition name=a image=hello64 memory=2M " + key + "=1") ==
          "config: partition 'a': unknown key '" + std::string(40, 'k') + "...'");
}

TEST_CASE("at most 16 partitions", "[partition_config]") {
    const auto sixteen = Machine{}.parse(numbered_partitions(16));
    CHECK(sixteen->config.count == 16);
    CHECK(sixteen->messages.empty());

    const auto r = Machine{}.parse(numbered_partitions(18));
    CHECK(r->config.count == 16);
    CHECK(r->config.rejected == 2);
    REQUIRE(r->messages.size() == 2);
    CHECK(r->messages[0] == "config: partition 'p17': too many partitions (at most 16)");
    CHECK(r->messages[1] == "config: partition 'p18': too many partitions (at most 16)");
    CHECK(std::string(r->config.partitions[15].name) == "p16");

    // Rejected lines count too: the limit is on lines, so fixing an early
    // line never changes what happens to a late one.
    const auto with_bad = Machine{}.parse("partition name=bad image=nothere memory=2M\n" + numbered_partitions(16));
    CHECK(with_bad->config.count == 15);
    REQUIRE(with_bad->messages.size() == 2);
    CHECK(with_bad->messages[1] == "config: partition 'p16': too many partitions (at most 16)");
}

TEST_CASE("a bad partition between two good ones", "[partition_config]") {
    const char* bad_lines[] = {
        "partition name=bad image=hello64 memory=3T",
        "partition name=bad image=hello64 memory=2M colour=red",
        "partition name=bad",
        "garbage",
        "partition name=bad image=hello64 memory=2M cmdline=\"open",
        "partition name=good1 image=hello64 memory=2M",  // duplicate name
        "partition name=bad image=hello64 memory=2M@0x20000000",  // overlaps good1
    };
    for (const char* bad : bad_lines) {
        INFO(bad);
        const auto r = Machine{}.parse(std::string("partition name=good1 image=hello64 memory=2M@0x20000000\n") +
                                       bad + "\npartition name=good2 image=hostile memory=4M cpu=0\n");
        CHECK(r->config.count == 2);
        CHECK(r->config.rejected == 1);
        CHECK(r->messages.size() == 1);
        CHECK(find(*r, "good1") != nullptr);
        CHECK(find(*r, "good2") != nullptr);
    }
}

TEST_CASE("inputs without text, modules or sink", "[partition_config]") {
    ConfigInputs inputs{};
    ParsedConfig out;
    out.count = 99;
    parse_partition_config(inputs, out, nullptr, nullptr);
    CHECK(out.count == 0);
    CHECK(out.rejected == 0);

    const char text[] = "partition name=a image=hello64 memory=2M\npartition name=b\n";
    inputs.text = text;
    inputs.text_length = sizeof text - 1;
    inputs.cpu_count = 1;
    parse_partition_config(inputs, out, nullptr, nullptr);  // no modules, no sink
    CHECK(out.count == 0);
    CHECK(out.rejected == 2);
}

TEST_CASE("text_length bounds the text", "[partition_config]") {
    Machine machine;
    const std::string text = "partition name=a image=hello64 memory=2M\npartition name=b image=hello64 memory=2M\n";
    std::vector<const char*> names;
    for (const std::string& m : machine.modules) names.push_back(m.c_str());
    const ConfigInputs inputs{text.data(), text.find('\n') + 1, names.data(), names.size(), 1, 1,
                              machine.ram.data(), machine.ram.size(), nullptr, 0, kGiB};
    ParsedConfig out;
    parse_partition_config(inputs, out, nullptr, nullptr);
    CHECK(out.count == 1);
}

TEST_CASE("module names", "[partition_config]") {
    char name[kModuleNameCapacity];
    CHECK(module_name("hello64", name, sizeof name) == 7);
    CHECK(std::string(name) == "hello64");
    CHECK(module_name("  bulkhead.cfg  extra words", name, sizeof name) == 12);
    CHECK(std::string(name) == "bulkhead.cfg");
    CHECK(module_name("\tname=alpha memory=16M", name, sizeof name) == 10);
    CHECK(std::string(name) == "name=alpha");

    for (const char* none : {"", "   ", static_cast<const char*>(nullptr)}) {
        name[0] = 'x';
        CHECK(module_name(none, name, sizeof name) == 0);
        CHECK(name[0] == '\0');
    }
    // Too long for the buffer: no name rather than a cut one.
    char small[4] = {'x', 'x', 'x', 'x'};
    CHECK(module_name("abcd", small, sizeof small) == 0);
    CHECK(small[0] == '\0');
    CHECK(module_name("abc", small, sizeof small) == 3);
    CHECK(std::string(small) == "abc");
    CHECK(module_name("abc", nullptr, 0) == 0);
}

TEST_CASE("finding the configuration module", "[partition_config]") {
    const char* modules[] = {"hello64", "bulkhead.cfg.bak", "  bulkhead.cfg", "bulkhead.cfg"};
    size_t index = 99;
    REQUIRE(find_config_module(modules, 4, index));
    CHECK(index == 2);  // the first one wins

    const char* none[] = {"hello64", "", nullptr, "Bulkhead.cfg", "bulkhead.cf"};
    index = 99;
    CHECK_FALSE(find_config_module(none, 5, index));
    CHECK(index == 99);
    CHECK_FALSE(find_config_module(nullptr, 0, index));
}

TEST_CASE("quoted values in the command-line tokenizer", "[cmdline]") {
    const char* line = "a=\"x y\"\tb=\"\" c=\"q\"r d=e\" f=\"open end";
    const char* cursor = line;
    CmdlineWord w{};

    REQUIRE(next_cmdline_word(cursor, w));
    CHECK(std::string(w.key, w.key_length) == "a");
    CHECK(std::string(w.value, w.value_length) == "x y");
    CHECK(w.quoted);
    CHECK_FALSE(w.bad_quote);

    REQUIRE(next_cmdline_word(cursor, w));
    CHECK(std::string(w.key, w.key_length) == "b");
    CHECK(w.has_value);
    CHECK(w.value_length == 0);
    CHECK(w.quoted);
    CHECK_FALSE(w.bad_quote);

    REQUIRE(next_cmdline_word(cursor, w));  // text after the closing quote
    CHECK(std::string(w.key, w.key_length) == "c");
    CHECK(std::string(w.value, w.value_length) == "q");
    CHECK(w.bad_quote);

    REQUIRE(next_cmdline_word(cursor, w));  // a quote inside a value is just a character
    CHECK(std::string(w.key, w.key_length) == "d");
    CHECK(std::string(w.value, w.value_length) == "e\"");
    CHECK_FALSE(w.quoted);
    CHECK_FALSE(w.bad_quote);

    REQUIRE(next_cmdline_word(cursor, w));  // never closed: runs to the end
    CHECK(std::string(w.key, w.key_length) == "f");
    CHECK(std::string(w.value, w.value_length) == "open end");
    CHECK_FALSE(w.quoted);
    CHECK(w.bad_quote);
    CHECK(*cursor == '\0');
    CHECK_FALSE(next_cmdline_word(cursor, w));
}

TEST_CASE("the hypervisor command line accepts quoted values and rejects bad quotes", "[cmdline]") {
    struct Count {
        int bad_values = 0;
    } count;
    const CmdlineSink sink = [](void* context, const CmdlineDiagnostic& d) {
        if (d.problem == CmdlineProblem::BadValue) ++static_cast<Count*>(context)->bad_values;
    };
    const HypervisorOptions good = parse_hypervisor_cmdline("loglevel=\"debug\" on_exit=\"poweroff\"", sink, &count);
    CHECK(good.log_level == LogLevel::Debug);
    CHECK(good.on_exit == OnExit::PowerOff);
    CHECK(count.bad_values == 0);

    const HypervisorOptions bad = parse_hypervisor_cmdline("loglevel=\"debug on_exit=\"poweroff\"x", sink, &count);
    CHECK(bad.log_level == LogLevel::Info);
    CHECK(bad.on_exit == OnExit::Stay);
    CHECK(count.bad_values == 1);  // the unclosed quote swallowed the rest
}

TEST_CASE("weight= takes 1 to 100 and defaults to 1") {
    const auto r = Machine{}.parse("partition name=a image=hello64 memory=2M weight=3\n"
                                   "partition name=b image=hello64 memory=2M\n");
    REQUIRE(r->config.count == 2);
    CHECK(find(*r, "a")->weight == 3);
    CHECK(find(*r, "b")->weight == kDefaultWeight);
    CHECK(diagnostic_for("partition name=c image=hello64 memory=2M weight=0") ==
          "config: partition 'c': key 'weight': '0' is not a weight from 1 to 100");
    CHECK(diagnostic_for("partition name=d image=hello64 memory=2M weight=101") ==
          "config: partition 'd': key 'weight': '101' is not a weight from 1 to 100");
}

TEST_CASE("start= says whether a partition starts at boot", "[partition_config]") {
    const auto r = Machine{}.parse(
        "partition name=a image=hello64 memory=2M\n"
        "partition name=b image=hello64 memory=2M start=manual\n"
        "partition name=c image=hello64 memory=2M start=boot\n");
    REQUIRE(r->config.count == 3);
    CHECK(r->config.partitions[0].start == StartMode::Boot);
    CHECK(r->config.partitions[1].start == StartMode::Manual);
    CHECK(r->config.partitions[2].start == StartMode::Boot);
    CHECK(diagnostic_for("partition name=d image=hello64 memory=2M start=later") ==
          "config: partition 'd': key 'start': 'later' is not one of: boot, manual");
    CHECK(std::string(to_string(StartMode::Manual)) == "manual");
}

TEST_CASE("control= grants the control capability to one partition at most", "[partition_config]") {
    const auto r = Machine{}.parse(
        "partition name=a image=hello64 memory=2M\n"
        "partition name=ctl image=hello64 memory=2M control=yes\n"
        "partition name=second image=hello64 memory=2M control=yes\n"
        "partition name=off image=hello64 memory=2M control=no\n");
    REQUIRE(r->config.count == 3);
    CHECK_FALSE(find(*r, "a")->control);
    CHECK(find(*r, "ctl")->control);
    CHECK(find(*r, "second") == nullptr);
    CHECK_FALSE(find(*r, "off")->control);
    REQUIRE(r->messages.size() == 1);
    CHECK(r->messages[0] ==
          "config: partition 'second': key 'control': partition 'ctl' already has the control capability "
          "(one partition at most)");
    CHECK(diagnostic_for("partition name=d image=hello64 memory=2M control=true") ==
          "config: partition 'd': key 'control': 'true' is not one of: yes, no");
}

TEST_CASE("a rejected control partition does not take the capability from a later one", "[partition_config]") {
    const auto r = Machine{}.parse(
        "partition name=bad image=nothere memory=2M control=yes\n"
        "partition name=good image=hello64 memory=2M control=yes\n");
    REQUIRE(r->config.count == 1);
    CHECK(find(*r, "good")->control);
}

TEST_CASE("initrd= names a boot module like image= does", "[partition_config]") {
    const auto r = Machine{}.parse(
        "partition name=linux image=hello64 memory=64M initrd=hostile\n"
        "partition name=plain image=hello64 memory=2M\n");
    REQUIRE(r->config.count == 2);
    CHECK(find(*r, "linux")->initrd_module == 2);
    CHECK(find(*r, "plain")->initrd_module == kNoModule);
    CHECK(diagnostic_for("partition name=x image=hello64 memory=2M initrd=nothere") ==
          "config: partition 'x': key 'initrd': no boot module named 'nothere'");
    CHECK(diagnostic_for("partition name=x image=hello64 memory=2M initrd=twice") ==
          "config: partition 'x': key 'initrd': 2 boot modules are named 'twice'");
    CHECK(diagnostic_for("partition name=x image=hello64 memory=2M initrd=bulkhead.cfg") ==
          "config: partition 'x': key 'initrd': 'bulkhead.cfg' is the configuration, not a guest image");
}
