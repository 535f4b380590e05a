# End-to-end tests of issue "VT-x core": partitions in every entry mode, the
# guest-side probe, fault containment with hostile guests, restarts, and the
# configuration's refusals. Each case boots one ISO in Bochs with a VT-x CPU.

case_bochs_partitions_in_every_mode() {
  partition_iso modes hello.cfg hello64.elf hello32.elf hello16.bin probe64.elf
  run_bochs "$E2E_DIR/modes.iso" corei7_skylake_x 180
  expect_line '^bulkhead: 4 partitions ready, 0 refused$'
  expect_line '^\[hello64\] hello from a 64-bit ELF guest$'
  expect_line '^\[hello64\] partition hello64 has id 0$'
  # The yield hypercall: hello64 gives the CPU away, the others run, and it
  # carries on when its turn comes round again.
  expect_order '^\[hello64\] yielding the CPU$' '^\[hello32\] hello from a 32-bit multiboot guest$'
  expect_order '^\[hello16\] hello from a 16-bit real-mode guest$' '^\[hello64\] back after yielding$'
  expect_line '^\[hello64\] this line came through the console_write hypercall$'
  expect_line '^\[hello32\] hello from a 32-bit multiboot guest$'
  expect_line '^\[hello32\] cmdline: console=ttyS0 greeting=multiboot$'
  expect_line '^\[hello32\] mem_upper: 15360 KiB$'
  expect_line '^\[hello16\] hello from a 16-bit real-mode guest$'
  expect_line '^\[probe\] probe: 0 failed$'
  expect_no_line 'FAILED'
  for p in hello64 hello32 hello16 probe; do
    expect_line "^bulkhead: partition '$p' exited with status 0$"
    expect_line "^bulkhead: summary: partition '$p' .*: exited with status 0; expected pass: ok$"
  done
  expect_line "^bulkhead: summary: partition 'hello64' \(ELF64, 16 MiB\)"
  expect_line "^bulkhead: summary: partition 'hello32' \(multiboot, 16 MiB\)"
  expect_line "^bulkhead: summary: partition 'hello16' \(raw 16-bit, 2 MiB\)"
  # Exit counters: the probe's three unassigned reads, its refused MSRs and
  # injected exceptions, counted per partition.
  expect_line '^bulkhead: summary:   [0-9]+ exits \(CPUID 8, VMCALL 7, VMXON 1, .*RDMSR 5, WRMSR 3, .*XSETBV 3\); unassigned port reads 3, writes 1; refused MSR accesses 4; injected exceptions 8; hypercalls 7$'
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}

case_bochs_fault_containment() {
  partition_iso containment containment.cfg hello64.elf hostile-read-other.elf hostile-write-hypervisor.elf \
    hostile-uart-neighbour.elf hostile-vmxon.elf hostile-triple-fault.elf hostile-jump-garbage.elf hostile-invd.elf \
    hostile-halt.elf
  run_bochs "$E2E_DIR/containment.iso" corei7_skylake_x 180
  expect_line "^bulkhead: partition 'reader' stopped: read at guest-physical 0x3fe00000 outside its memory \(rip 0x[0-9a-f]+\)$"
  expect_line "^\[scribbler\] hostile: that was my own memory; now past its end$"
  expect_line "^bulkhead: partition 'scribbler' stopped: write at guest-physical 0x3fe00000 outside its memory"
  expect_line "^bulkhead: partition 'neighbour' stopped: wrote 0x80 to unassigned I/O port 0x2fb \(1 byte\)$"
  expect_line "^bulkhead: partition 'nested' stopped: triple fault \(after Bulkhead injected vector 6; rip"
  expect_line "^bulkhead: partition 'crasher' stopped: triple fault \(rip"
  expect_line "^bulkhead: partition 'jumper' stopped: triple fault"
  expect_line "^\[reader\] hostile: no other partition's memory is visible in mine$"
  # An exit with no handler: fail-stop with reason, qualification, RIP and a register dump.
  expect_line "^bulkhead: partition 'invd' stopped: unhandled VM exit INVD \(reason 13\), qualification 0x0, guest rip 0x[0-9a-f]+$"
  expect_line "^bulkhead:   invd: rax=[0-9a-f]{16} rbx="
  expect_line "^bulkhead:   invd: cs=0008 rflags="
  # HLT with interrupts off: the partition leaves the CPU and never comes back.
  expect_line "^bulkhead: summary: partition 'sleeper' .*: halted without reporting a status; expected any: ok$"
  for n in 1 2 3; do
    expect_line "^bulkhead: partition 'crasher': restarting from its pristine image \(restart $n of 3\)$"
  done
  expect_line "^bulkhead: partition 'crasher': restart limit \(3\) reached; it stays stopped$"
  [ "$(count_lines '^\[crasher\] hostile: triple-faulting on purpose$')" = 4 ] ||
    fail "the crasher should have run 4 times (1 + 3 restarts)"
  expect_no_line 'the attack did not stop me'
  # The well-behaved partitions on either side ran to completion.
  for p in before after; do
    expect_line "^\[$p\] this line came through the console_write hypercall$"
    expect_line "^bulkhead: summary: partition '$p' .*: exited with status 0; expected pass: ok$"
  done
  expect_no_line 'NOT MET'
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}

case_bochs_configuration_refusals() {
  partition_iso errors errors.cfg hello64.elf
  run_bochs "$E2E_DIR/errors.iso" corei7_skylake_x 180
  expect_line "^bulkhead: config: .*'colour'"
  expect_line "^bulkhead: config: partition 'ghost': key 'image': no boot module named 'nothere'$"
  expect_line "^bulkhead: config: partition 'greedy': key 'memory': 3T exceeds the 4 GiB partition limit$"
  expect_line "^bulkhead: config: partition 'good1': key 'name': duplicate of line 5$"
  expect_line "^bulkhead: config: partition 'elsewhere': key 'cpu': CPU 3 does not exist \(this machine has 1\)$"
  expect_line "^bulkhead: config: partition 'fixed-b': key 'memory': .*fixed-a"
  expect_line "^bulkhead: partition 'badlinux': kernel refused: .*bzImage.* \(detail 0\)$"
  expect_line '^bulkhead: 3 partitions ready, 7 refused$'
  for p in good1 fixed-a good2; do
    expect_line "^bulkhead: partition '$p' exited with status 0$"
  done
  expect_line "^bulkhead: partition 'fixed-a': ELF64 image, 4 MiB at host 0x8000000,"
  expect_line '^bulkhead: summary: 7 configured partitions were refused \(see above\)$'
  expect_line '^bulkhead: run ended: FAIL: a partition did not meet its expectation \(status 0x16\)$'
  expect_status 1 "Bochs failure"
}

# The exit-cost benchmark (scripts/bench's measurement guest): every figure is
# printed, and a CPUID round trip stays under the 150-tick target with the
# exit trace off. With it on (a second boot, bench_traced.cfg), every exit
# is recorded and timed: dearer.
bench_ticks() {  # bench_ticks EXIT: the round trip's ticks from this run's console
  sed -n "s/^\[bench\] bench: $1 rounds=10000 ticks\/round-trip=\([0-9]*\) .*/\1/p" "$(console_file)"
}

case_bochs_exit_cost_benchmark() {
  partition_iso bench bench.cfg bench64.elf
  run_bochs "$E2E_DIR/bench.iso" corei7_skylake_x 300
  local exit ticks traced
  for exit in cpuid vmcall io-in rdmsr apic-eoi tsc-deadline self-ipi; do
    expect_line "^\[bench\] bench: $exit rounds=10000 ticks/round-trip=[0-9]+ "
  done
  ticks=$(bench_ticks cpuid)
  [ -n "$ticks" ] && [ "$ticks" -lt 150 ] || fail "CPUID round trip is '${ticks}' ticks, target under 150"
  expect_status 0 "Bochs pass"

  mv "$E2E_DIR/com1.txt" "$E2E_DIR/com1-untraced.txt"
  partition_iso bench-traced bench_traced.cfg bench64.elf
  run_bochs "$E2E_DIR/bench-traced.iso" corei7_skylake_x 300
  expect_status 0 "Bochs pass (traced)"
  traced=$(bench_ticks cpuid)
  [ -n "$traced" ] && [ "$traced" -gt "$ticks" ] || fail "a traced CPUID ($traced ticks) should cost more than an untraced one ($ticks)"
  echo "CPUID round trip: $ticks ticks with the trace off, $traced with it on"
}

# Time slices (the first piece of preemptive scheduling): a partition spinning
# with interrupts off shares the boot CPU with a well-behaved one, which still
# runs to completion; the run limit then stops the spinner.
case_bochs_spinner_does_not_starve() {
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/spin.iso" \
    --cmdline "on_exit=emulator run_limit_ms=200 slice_us=5000" \
    --module "$SOURCE_DIR/tests/guests/configs/spinner.cfg" bulkhead.cfg \
    --module "$GUESTS/hostile-spin.elf" hostile-spin --module "$GUESTS/hello64.elf" hello64
  run_bochs "$E2E_DIR/spin.iso" corei7_skylake_x 180
  expect_line '^bulkhead: tsc: [0-9]+\.[0-9]{3} MHz \(from '
  expect_line '^bulkhead: scheduler: round robin on each CPU, 5000 us slices \([0-9]+ TSC ticks, VMX-preemption timer kept across exits\)$'
  expect_order '^\[spinner\] hostile: spinning forever with interrupts off$' '^\[worker\] hello from a 64-bit ELF guest$'
  expect_line "^bulkhead: partition 'worker' exited with status 0$"
  expect_line "^bulkhead: partition 'spinner' stopped: stop requested by the run limit \(200 ms\) \(took effect after [0-9]+ us\)$"
  # The spinner never exits by itself: every return of the CPU was the timer.
  expect_line '^bulkhead: summary:   [0-9]+ exits \(I/O instruction [0-9]+, VMX-preemption timer expired [0-9]+\)'
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}


# The ACPI reset register of a partition's FADT (what Linux's reboot writes)
# restarts that partition from its pristine image; the guest sees a fresh
# start (its start count, from the control list) and exits with 0.
case_bochs_acpi_reset_restarts() {
  echo "partition name=resetter image=reset64 memory=4M control=yes" >"$E2E_DIR/reset.cfg"
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/reset.iso" --cmdline "on_exit=emulator" \
    --module "$E2E_DIR/reset.cfg" bulkhead.cfg --module "$GUESTS/reset64.elf" reset64
  run_bochs "$E2E_DIR/reset.iso" corei7_skylake_x 120
  expect_order '^\[resetter\] reset: start 1$' '^\[resetter\] reset: resetting through the ACPI reset register$' \
    "^bulkhead: partition 'resetter': restarted from its pristine image by its own reset \(ACPI reset register\)" \
    '^\[resetter\] reset: start 2$' '^\[resetter\] reset: came back from the reset as a fresh start$'
  expect_no_line 'reset: FAILED'
  expect_line "^bulkhead: partition 'resetter' exited with status 0$"
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}
