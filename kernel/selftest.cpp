#include "kernel/selftest.hpp"

#include "arch/x86_64/cpu.hpp"
#include "kernel/log.hpp"
#include "kernel/run_end.hpp"
#include "kernel/smp.hpp"

namespace bulkhead {

namespace {

// A RET instruction placed in writable data: executing it must fault (NX).
constexpr uint8_t kRetOpcode = 0xc3;
uint8_t g_data_with_code[1] = {kRetOpcode};

[[gnu::noinline]] void write_to_text() {
    auto* code = reinterpret_cast<volatile uint8_t*>(&write_to_text);
    *code = kRetOpcode;   // text is mapped read+execute: #PF (write, present)
}

[[gnu::noinline]] void execute_data() {
    auto* function = reinterpret_cast<void (*)()>(g_data_with_code);
    function();   // data is mapped no-execute: #PF (instruction fetch)
}

// Recurses until the stack runs into its guard page. The #PF cannot be
// delivered on the same stack, so the CPU raises #DF, which runs on its own
// interrupt stack and reports.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
[[gnu::noinline]] uint64_t overflow_stack(uint64_t depth) {
    volatile uint8_t frame[512];
    frame[0] = static_cast<uint8_t>(depth);
    return overflow_stack(depth + 1) + frame[0];
}
#pragma GCC diagnostic pop

// An empty IDT: the next exception cannot be delivered at all (#DF cannot be
// either), which is a triple fault. Emulators must not report that as a pass.
void triple_fault() {
    struct [[gnu::packed]] {
        uint16_t limit;
        uint64_t base;
    } empty_idt{0, 0};
    asm volatile("lidt %0\n ud2" ::"m"(empty_idt));
}

// Runs on every CPU; the second one overflows its own stack.
void overflow_on_second_cpu(size_t cpu) {
    if (cpu == 1) log_info("selftest reached depth %lu on cpu 1", overflow_stack(0));
}

}  // namespace

void run_selftest_on_other_cpus(SelfTest test) {
    if (test != SelfTest::ApStackGuard) return;
    if (online_cpu_count() < 2) {
        log_error("selftest %s needs a second CPU (Bochs: cpu: count=2)", to_string(test));
        end_run(RunStatus::Failure);
    }
    run_on_all_cpus(overflow_on_second_cpu);
    log_error("selftest %s did not fault: protection missing", to_string(test));
    end_run(RunStatus::Failure);
}

void run_selftest(SelfTest test) {
    if (test == SelfTest::None) return;
    log_info("selftest %s: this run must end with a fault", to_string(test));
    log_flush();
    switch (test) {
        case SelfTest::None: return;
        case SelfTest::WriteText: write_to_text(); break;
        case SelfTest::ExecData: execute_data(); break;
        case SelfTest::StackGuard: log_info("selftest reached depth %lu", overflow_stack(0)); break;
        case SelfTest::ApStackGuard: return;   // needs the other CPUs: run_selftest_on_other_cpus
        case SelfTest::TripleFault: triple_fault(); break;
    }
    log_error("selftest %s did not fault: protection missing", to_string(test));
    end_run(RunStatus::Failure);
}

}  // namespace bulkhead
