# End-to-end tests of the scheduling issue: every CPU brought up, partitions
# placed on them (cpu=), running at the same time, sharing a CPU fairly.

# work_field PARTITION FIELD: start, end or elapsed from a worker's report.
work_field() {
  sed -n "s/^\[$1\] work: start=\([0-9]*\) end=\([0-9]*\) elapsed=\([0-9]*\)$/\1 \2 \3/p" "$(console_file)" |
    awk -v f="$2" '{ if (f == "start") print $1; else if (f == "end") print $2; else print $3 }'
}

expect_cpus_online() {
  local count=$1 i
  for ((i = 1; i < count; i++)); do
    expect_line "^bulkhead: smp: cpu $i \(APIC id [0-9]+\) online in VMX root operation$"
  done
  expect_line "^bulkhead: smp: $count of $count CPUs online \(boot CPU APIC id 0, x?APIC mode\)$"
  expect_no_line 'did not start'
}

# Two CPUs: two workers share CPU 0 while a third has CPU 1 to itself. The
# lone worker runs at the same time as the others (the intervals overlap) and
# takes about half as long; the two sharing CPU 0 get equal shares (within 5%).
case_bochs_smp_two_cpus() {
  partition_iso parallel parallel.cfg worker64.elf
  run_bochs "$E2E_DIR/parallel.iso" corei7_skylake_x 180 2
  expect_cpus_online 2
  expect_line "^bulkhead: partition 'alone': ELF64 image, .*, CPU 1, weight 1$"
  local a_start a_end a_el b_el alone_start alone_end alone_el
  a_start=$(work_field shared-a start) a_end=$(work_field shared-a end) a_el=$(work_field shared-a elapsed)
  b_el=$(work_field shared-b elapsed)
  alone_start=$(work_field alone start) alone_end=$(work_field alone end) alone_el=$(work_field alone elapsed)
  if [ -z "$a_el" ] || [ -z "$b_el" ] || [ -z "$alone_el" ]; then
    fail "a worker did not report"
  else
    [ "$alone_start" -lt "$a_end" ] && [ "$a_start" -lt "$alone_end" ] ||
      fail "CPU 1's partition did not run at the same time as CPU 0's"
    [ $((a_el * 10)) -gt $((alone_el * 16)) ] && [ $((b_el * 10)) -gt $((alone_el * 16)) ] ||
      fail "sharing CPU 0 should take well over the lone worker's time ($a_el, $b_el vs $alone_el)"
    local diff=$((a_el > b_el ? a_el - b_el : b_el - a_el))
    [ $((diff * 100)) -le $((a_el * 5)) ] || fail "unequal shares of CPU 0: $a_el vs $b_el ticks"
  fi
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}

# Four CPUs, a worker on each; a fifth partition names a CPU that does not
# exist and is refused by name, so the run's verdict is a failure (0x16).
case_bochs_smp_four_cpus() {
  partition_iso four four_cpus.cfg worker64.elf
  run_bochs "$E2E_DIR/four.iso" corei7_skylake_x 180 4
  expect_cpus_online 4
  expect_line "^bulkhead: config: partition 'w4': key 'cpu': CPU 4 does not exist \(this machine has 4\)$"
  local i
  for i in 0 1 2 3; do
    expect_line "^bulkhead: partition 'w$i': ELF64 image, .*, CPU $i, weight 1$"
    expect_line "^bulkhead: partition 'w$i' exited with status 0$"
  done
  expect_line '^bulkhead: run ended: FAIL: a partition did not meet its expectation \(status 0x16\)$'
  expect_status 1 "Bochs failure"
}

# units PARTITION: the work a share64 guest counted in its window.
units() { sed -n "s/^\[$1\] share: units=\([0-9]*\)$/\1/p" "$(console_file)"; }

# expect_share A B EXPECTED_PERCENT: A's part of A+B is within 5% of EXPECTED.
expect_share() {
  local a b
  a=$(units "$1") b=$(units "$2")
  if [ -z "$a" ] || [ -z "$b" ]; then
    fail "no share report from $1 or $2"
    return
  fi
  awk -v a="$a" -v b="$b" -v want="$3" 'BEGIN {
    got = 100 * a / (a + b); dev = (got - want) / want; if (dev < 0) dev = -dev
    printf "share of %s: %.2f%% (configured %s%%)\n", "'"$1"'", got, want
    exit !(dev <= 0.05) }' || fail "$1's share of its CPU is not within 5% of $3%"
}

# Four partitions share two CPUs by weight: on CPU 0 weights 1 and 3, on
# CPU 1 weights 1 and 1. Each partition counts the work it gets done in a
# fixed time window; the counts must split as configured, within 5%.
case_bochs_weighted_shares() {
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/shares.iso" \
    --cmdline "on_exit=emulator slice_us=2000" \
    --module "$SOURCE_DIR/tests/guests/configs/shares.cfg" bulkhead.cfg --module "$GUESTS/share64.elf" share64
  run_bochs "$E2E_DIR/shares.iso" corei7_skylake_x 180 2
  expect_line "^bulkhead: partition 'heavy': ELF64 image, .*, CPU 0, weight 3$"
  expect_share light heavy 25
  expect_share heavy light 75
  expect_share left right 50
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}

# Cross-CPU control: CPU 0 stops a partition spinning on CPU 1 when the run
# limit is reached. The slice (1 s) is far longer than the run, so only the
# IPI that forces the spinner's exit can stop it quickly.
case_bochs_stop_from_another_cpu() {
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/remote.iso" \
    --cmdline "on_exit=emulator run_limit_ms=100 slice_us=1000000" \
    --module "$SOURCE_DIR/tests/guests/configs/remote_stop.cfg" bulkhead.cfg \
    --module "$GUESTS/hostile-spin.elf" hostile-spin --module "$GUESTS/hello64.elf" hello64
  run_bochs "$E2E_DIR/remote.iso" corei7_skylake_x 180 2
  expect_line "^bulkhead: partition 'worker' exited with status 0$"
  expect_line "^bulkhead: partition 'spinner' stopped: stop requested by the run limit \(100 ms\) \(took effect after [0-9]+ us\)$"
  local us
  us=$(sed -n "s/^bulkhead: partition 'spinner' stopped: .*took effect after \([0-9]*\) us).*/\1/p" "$(console_file)" | head -1)
  [ -n "$us" ] && [ "$us" -lt 10000 ] || fail "the remote stop took ${us:-?} us; the kick should end the guest at once"
  expect_line '^bulkhead: summary:   [0-9]+ exits \(external interrupt 1, I/O instruction [0-9]+\)'
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}

# Cross-CPU control from a partition: 'control' on CPU 0, granted the control
# capability, pauses, resumes, restarts and stops the endless 'target' on
# CPU 1 and starts 'late' there; it checks each step from the status the
# hypervisor reports and exits with its failure count. 'snoop' runs the same
# image without the capability and must be refused every call.
case_bochs_control_from_another_cpu() {
  partition_iso control control.cfg control64.elf ticker64.elf hello64.elf
  run_bochs "$E2E_DIR/control.iso" corei7_skylake_x 240 2
  expect_line "^bulkhead: partition 'control': ELF64 image, .*, CPU 0, weight 1, control$"
  expect_line "^bulkhead: partition 'late': ELF64 image, .*, CPU 1, weight 1, started on request$"
  expect_line '^\[control\] control: list: 2 late cpu=1 state=not-started starts=0$'
  expect_line '^\[control\] control: list: 0 control cpu=0 state=ready starts=1 control$'
  expect_line '^\[control\] control: restart of partition 99 refused: no such partition: ok \(-6\)$'
  expect_line '^\[control\] control: paused target got no CPU time in 50 ms: ok \(0\)$'
  expect_line '^\[control\] control: all checks passed$'
  expect_no_line 'FAILED'
  # What the hypervisor did, on CPU 1, in this order.
  expect_order "^bulkhead: partition 'target': pause by partition 'control' \(took effect after [0-9]+ us\); now paused$" \
    "^bulkhead: partition 'target': resume by partition 'control' \(took effect after [0-9]+ us\); now ready$" \
    "^bulkhead: partition 'target': restarted from its pristine image by partition 'control' \(took effect after [0-9]+ us\)$" \
    "^bulkhead: partition 'late': start by partition 'control' \(took effect after [0-9]+ us\); now ready$" \
    "^bulkhead: partition 'late' exited with status 0$" \
    "^bulkhead: partition 'target' stopped: stop requested by partition 'control' \(took effect after [0-9]+ us\)$"
  [ "$(count_lines '^\[target\] ticker: started$')" -eq 2 ] || fail "the target should have started twice (boot, restart)"
  expect_line '^\[snoop\] control: list refused without the control capability: ok \(-5\)$'
  expect_line '^\[snoop\] control: restart refused without the control capability: ok \(-5\)$'
  expect_line "^bulkhead: partition 'snoop' exited with status 0$"
  expect_line "^bulkhead: partition 'control' exited with status 0$"
  expect_line "^bulkhead: summary: partition 'target' \(ELF64, 4 MiB\): stopped: stop requested by partition 'control' .*; expected any: ok$"
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}

# Every application processor's stacks sit above unmapped guard pages: CPU 1
# overflowing its own stack faults at once, #DF reports on CPU 1's own
# interrupt stack, and the report names the stack that overflowed.
case_bochs_ap_stack_guard() {
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/apstack.iso" \
    --cmdline "on_exit=emulator selftest=ap-stack-guard"
  run_bochs "$E2E_DIR/apstack.iso" corei7_skylake_x 120 2
  expect_cpus_online 2
  expect_line '^bulkhead: EXCEPTION #DF double fault \(vector 8\)'
  expect_line "^bulkhead:   the fault address is in the guard page of cpu 1's kernel stack: stack overflow$"
  expect_no_line 'did not fault'
  expect_line '^bulkhead: run ended: FAIL: hypervisor exception'
  expect_status 1 "Bochs failure"
}
