# End-to-end tests of the control plane: the monitor on the console, driven
# through Bochs's serial input; the exit trace, with its dump when a
# partition is stopped for a fault; and (tests/e2e/linux.sh) bulkheadctl in
# a Linux control partition.

# Four partitions on two CPUs:
#   beat   (CPU 0) prints "beat: N" ten times a second, forever;
#   tracee (CPU 0) traced from the start, makes known exits and faults;
#   late   (CPU 0) hello64, configured start=manual;
#   spare  (CPU 1) the ticker, counting forever.
monitor_iso() {
  cat >"$E2E_DIR/monitor.cfg" <<'CONFIG'
partition name=beat image=beat64 memory=4M expect=any
partition name=tracee image=tracee64 memory=4M trace=yes expect=fault
partition name=late image=hello64 memory=4M start=manual expect=any
partition name=spare image=ticker64 memory=4M cpu=1 expect=any
CONFIG
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/monitor.iso" \
    --cmdline "on_exit=emulator run_limit_ms=120000" \
    --module "$E2E_DIR/monitor.cfg" bulkhead.cfg \
    --module "$GUESTS/beat64.elf" beat64 --module "$GUESTS/tracee64.elf" tracee64 \
    --module "$GUESTS/hello64.elf" hello64 --module "$GUESTS/ticker64.elf" ticker64
}

# The lines between the first line matching FROM and the next matching TO.
lines_between() {
  awk -v from="$1" -v to="$2" 'on && $0 ~ to { exit } on { print } !on && $0 ~ from { on = 1 }' "$(console_file)"
}

# The last "beat: N" before the first line matching REGEX.
last_beat_before() {
  awk -v until="$1" '$0 ~ until { exit } /^\[beat\] beat: [0-9]+$/ { n = $3 } END { print n }' "$(console_file)"
}

# The exit trace dumped when tracee64 is stopped shows the exits it is
# known to make, in its order (tests/guests/tracee64.c).
expect_tracee_trace() {
  local entry="^bulkhead: trace 'tracee': #[0-9]+ \+[0-9]+ rip=0x[0-9a-f]+"
  expect_line "^bulkhead: partition 'tracee': ELF64 image, .*, CPU 0, weight 1, traced$"
  expect_order "^bulkhead: partition 'tracee' stopped: write at guest-physical 0x3fe00000 outside its memory" \
    "^bulkhead: trace 'tracee' \(its last exits before the fault\): last [0-9]+ exits on CPU 0, oldest first" \
    "$entry CPUID leaf 0x40000000 subleaf 0x0 \([0-9]+ ticks\)$" \
    "$entry IN 1-byte port 0x2fd \([0-9]+ ticks\)$" \
    "$entry WRMSR 0x277 value 0x7040600070406 \([0-9]+ ticks\)$" \
    "$entry VMCALL abi_version \(call 0, arg 0x0\) \([0-9]+ ticks\)$" \
    "$entry EPT violation: write of guest-physical 0x3fe00000 \(linear 0x3fe00000\), EPT allows --- \([0-9]+ ticks\)$"
  # The handler's time is measured, not made up: every entry took some ticks.
  [ "$(grep -Ec "$entry .* \(0 ticks\)$" "$(console_file)")" = 0 ] || fail "a trace entry shows 0 handling ticks"
}

case_bochs_monitor_and_trace() {
  monitor_iso
  cat >"$E2E_DIR/input.txt" <<'INPUT'
timeout 120
expect ^bulkhead: console: input goes to partition 'beat'
expect ^\[beat\] beat: 3$
# Ctrl-A three times, four times over: past the four partitions to the monitor.
send \x01\x01\x01
expect input goes to partition 'tracee'
send \x01\x01\x01
expect input goes to partition 'late'
send \x01\x01\x01
expect input goes to partition 'spare'
send \x01\x01\x01
expect ^bulkhead: monitor: Bulkhead monitor: 'help' lists the commands
send help\r
expect ^bulkhead: monitor:   console \[NAME\]
send list\r
expect ^bulkhead: monitor:  3 spare +ready +1 +4M
# Bad commands and arguments get a usage line, and nothing else happens.
send frobnicate now\r
expect ^bulkhead: monitor: unknown command 'frobnicate' \(help lists the commands\)$
send pause\r
expect ^bulkhead: monitor: usage: pause NAME
send trace beat sideways\r
expect ^bulkhead: monitor: usage: trace NAME \[on\|off\|COUNT\]
send pause nosuch\r
expect ^bulkhead: monitor: no partition 'nosuch'
# Line noise: an arrow key, stray erases, a huge id, a count out of range.
send \x1b[A\x7f\x7fstats 99999999999\r
expect ^bulkhead: monitor: no partition '99999999999'
send trace beat 0\r
expect ^bulkhead: monitor: usage: trace NAME
send xx\x15list\r
expect ^bulkhead: monitor:  3 spare
send resume beat\r
expect ^bulkhead: monitor: cannot resume 'beat': it is (ready|waiting)$
send pause beat\r
expect ^bulkhead: partition 'beat': pause by the monitor \(took effect after [0-9]+ us\); now paused$
send list\r
expect ^bulkhead: monitor:  0 beat +paused
sleep 3
send resume beat\r
expect ^bulkhead: partition 'beat': resume by the monitor .*; now ready$
expect ^\[beat\] beat: [0-9]+$
send stats beat\r
expect ^bulkhead: monitor: stats 'beat': [1-9][0-9]* exits in [1-9][0-9]* ticks of CPU time$
expect ^bulkhead: monitor:   handling times are measured while it is traced
expect ^bulkhead: monitor:   port 0x3f8
send trace beat on\r
expect ^bulkhead: monitor: trace 'beat' on
expect ^\[beat\] beat: [0-9]+$
expect ^\[beat\] beat: [0-9]+$
send stats beat\r
expect ^bulkhead: monitor:   while traced: [1-9][0-9]* ticks of CPU time, [1-9][0-9]* \([0-9.]+%\) of them handling its exits$
expect ^bulkhead: monitor:   port 0x3f8 +0 reads +[1-9][0-9]* writes +[1-9][0-9]* ticks
send trace beat 4\r
expect ^bulkhead: trace 'beat': #[0-9]+ .*\(([0-9]+) ticks\)$
send trace beat off\r
expect ^bulkhead: monitor: trace 'beat' off
send vcpu spare\r
expect ^bulkhead: vcpu 'spare': .*GuestRip=0x
expect ^bulkhead: vcpu 'spare': cr0 read shadow
# Beat is on CPU 0 with the monitor: its CPU prints it between turns.
send vcpu beat\r
expect ^bulkhead: vcpu 'beat': .*GuestRip=0x
send start late\r
expect ^\[late\] hello from a 64-bit ELF guest$
send start late\r
expect ^bulkhead: monitor: cannot start 'late': it is exited$
send restart beat\r
expect ^bulkhead: partition 'beat': restarted from its pristine image by the monitor
expect ^\[beat\] beat: 2$
send stop spare\r
expect ^bulkhead: partition 'spare' stopped: stop requested by the monitor
send console\r
expect ^bulkhead: console: input goes to partition 'spare'
send \x01\x01\x01
expect ^bulkhead: monitor: Bulkhead monitor
send stop 0\r
expect ^bulkhead: run ended: pass
INPUT
  run_bochs_with_input "$E2E_DIR/monitor.iso" corei7_skylake_x 240 2 "$E2E_DIR/input.txt"
  expect_status 0 "Bochs pass"
  expect_tracee_trace
  # While paused, beat got no CPU: not one beat between the pause taking
  # effect and the resume; after it, the count went on where it was.
  local paused resumed_at before after
  paused=$(lines_between "^bulkhead: partition 'beat': pause by the monitor" "^bulkhead: partition 'beat': resume by" |
    grep -c '^\[beat\] beat:')
  [ "$paused" = 0 ] || fail "beat printed $paused beats while paused"
  before=$(last_beat_before "^bulkhead: partition 'beat': resume by the monitor")
  after=$(awk '/^bulkhead: partition .beat.: resume by the monitor/ { on = 1 } on && /^\[beat\] beat: [0-9]+$/ { print $3; exit }' "$(console_file)")
  [ -n "$before" ] && [ -n "$after" ] && [ "$after" -eq $((before + 1)) ] ||
    fail "after the resume beat should go on from $before, it printed '$after'"
  # The restart started it from its image: "started" twice, counting from 1 again.
  [ "$(count_lines '^\[beat\] beat: started$')" = 2 ] || fail "beat should have started twice"
  expect_line "^bulkhead: summary: partition 'late' .*: exited with status 0"
  expect_line "^bulkhead: partition 'beat' stopped: stop requested by the monitor"
  expect_line '^bulkhead: vcpu .spare.: GuestCr0=0x[0-9a-f]+ \[PE .*PG\]$'
  expect_line '^bulkhead: vcpu .spare.: GuestIa32Efer=0x[0-9a-f]+ \[.*LME LMA.*\]$'
  expect_line '^bulkhead: vcpu .spare.: rax=[0-9a-f]{16} rcx=[0-9a-f]{16}'
  # The monitor's stats are the hypervisor's own counts: beat's UART output
  # and timer are what its exits were for.
  expect_line "^bulkhead: monitor:   (I/O instruction|HLT) +[1-9][0-9]* +[1-9][0-9]* +[0-9]+\.[0-9]%$"
}
