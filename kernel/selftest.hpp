// Deliberate faults, chosen with selftest= on the command line, that show the
// hypervisor's protections are real: each must end the run with a CPU
// exception report (or, for triple-fault, with the emulator's reset), never a
// pass. The end-to-end tests use them.
#pragma once

#include "kernel/cmdline.hpp"

namespace bulkhead {

// Does nothing for SelfTest::None; otherwise never returns normally. The
// tests that need the other CPUs only announce themselves here and run in
// run_selftest_on_other_cpus(), once those are up.
void run_selftest(SelfTest test);
void run_selftest_on_other_cpus(SelfTest test);

}  // namespace bulkhead
