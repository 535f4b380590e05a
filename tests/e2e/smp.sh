# End-to-end tests of the scheduling issue: all CPUs brought up, partitions
# spread over them.
# SMP bring-up: every CPU of the MADT starts through the trampoline, gets its
# own stacks and tables and enters VMX root operation; the partitions still
# run (on the boot CPU) and pass.
bochs_smp_case() {
  local count=$1
  partition_iso smp hello.cfg hello64.elf hello32.elf hello16.bin probe64.elf
  run_bochs "$E2E_DIR/smp.iso" corei7_skylake_x 180 "$count"
  local i
  for ((i = 1; i < count; i++)); do
    expect_line "^bulkhead: smp: cpu $i \(APIC id [0-9]+\) online in VMX root operation$"
  done
  expect_line "^bulkhead: smp: $count of $count CPUs online \(boot CPU APIC id 0, x?APIC mode\)$"
  expect_no_line 'did not start'
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}
case_bochs_smp_two_cpus() { bochs_smp_case 2; }
case_bochs_smp_four_cpus() { bochs_smp_case 4; }
