# End-to-end tests of issue "Linux guests": an unmodified Debian cloud kernel
# boots to its /init in a partition, in Bochs, on the virtual platform of
# docs/linux-guests.md. The guest's /init (tests/guests/linux/init) proves it
# ran: marker lines, the CPU in /proc/cpuinfo, a timed "sleep 1", a file
# written and read back, then ACPI power-off. Each case is one Linux boot
# (about a minute of Bochs); scripts/test fetches the guest first
# (scripts/lib/linux_guest.sh).

LINUX_DIR="$BULKHEAD_BUILD/linux"
# Memory for the machine and its rate: Linux needs 128 MiB or more, and
# timer interrupts cost exits, so a higher emulated rate (fewer instructions
# between ticks) makes the boot cheaper under Bochs.
LINUX_BOCHS_MEGS=512
LINUX_BOCHS_IPS=20000000
LINUX_TIMEOUT=480

# The kernel and initramfs, or a failure saying why they are missing.
require_linux_guest() {
  if [ ! -s "$LINUX_DIR/vmlinuz" ] || [ ! -s "$LINUX_DIR/initramfs.cpio.gz" ]; then
    fail "no Linux test guest in $LINUX_DIR (scripts/test fetches it with apt-get download; see the linux-guest line above)"
    finish
  fi
}

# linux_iso NAME CONFIG_TEXT [extra mkiso --module arguments...]: an ISO with
# the given configuration, the kernel (module vmlinuz), the initramfs
# (initramfs) and the guests named.
linux_iso() {
  local name=$1 config=$2
  shift 2
  printf '%s\n' "$config" >"$E2E_DIR/$name.cfg"
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/$name.iso" --cmdline "on_exit=emulator" \
    --module "$E2E_DIR/$name.cfg" bulkhead.cfg \
    --module "$LINUX_DIR/vmlinuz" vmlinuz --module "$LINUX_DIR/initramfs.cpio.gz" initramfs "$@"
}

# What every Linux boot must show: the kernel found the platform, /init ran
# every check, and the partition powered off cleanly, a pass.
expect_linux_boot() {
  local name=$1
  expect_line "^\[$name\] \[ *[0-9.]+\] Linux version 6\.[0-9]+"
  # The clocks from CPUID: no calibration, and the TSC stays the clocksource.
  expect_line "^\[$name\] \[ *[0-9.]+\] tsc: Detected [0-9.]+ MHz processor$"
  expect_no_line "^\[$name\] .*(calibration using PIT|Refined TSC clocksource calibration|Unable to calibrate)"
  expect_line "^\[$name\] \[ *[0-9.]+\] TSC deadline timer available$"
  expect_line "^\[$name\] \[ *[0-9.]+\] clocksource: Switched to clocksource tsc$"
  expect_no_line "^\[$name\] .*(Marking TSC unstable|XSAVE consistency problem|unchecked MSR access)"
  # The ACPI tables: hardware-reduced, the I/O APIC, S5, and COM1 with its IRQ.
  expect_line "^\[$name\] \[ *[0-9.]+\] IOAPIC\[0\]: apic_id 1, version 32, address 0xfec00000, GSI 0-23$"
  expect_line "^\[$name\] \[ *[0-9.]+\] ACPI: PM: \(supports S0 S5\)$"
  expect_line "^\[$name\] \[ *[0-9.]+\] 00:00: ttyS0 at I/O 0x3f8 \(irq = [0-9]+, base_baud = 115200\) is a 16550A$"
  # The read-only RTC gave it a date (not 1970, not "Unable to read").
  expect_no_line "^\[$name\] .*Unable to read current time from RTC"
  # /init: userspace output needs the UART's transmit interrupt.
  expect_order "^\[$name\] bulkhead-linux: init started$" "^\[$name\] bulkhead-linux: cpus=1$" \
    "^\[$name\] bulkhead-linux: sleep ok$" "^\[$name\] bulkhead-linux: file ok$" \
    "^\[$name\] bulkhead-linux: all checks passed$"
  expect_line "^\[$name\] bulkhead-linux: sleep 1 took [0-9]+\.[0-9]{2} s$"
  expect_line "^bulkhead: partition '$name' powered off \(ACPI S5\): exited with status 0$"
  expect_line "^bulkhead: summary: partition '$name' \(Linux bzImage, [0-9]+ MiB\): exited with status 0; expected pass: ok$"
}

# Linux and a bare-metal guest (irq64) on one CPU, and console input: a line
# typed for Linux reaches its shell's read through the UART's receive
# interrupt; Ctrl-A three times moves the focus, and the next line reaches
# the bare-metal guest, through its own virtual I/O APIC.
case_bochs_linux_boots_and_takes_input() {
  require_linux_guest
  linux_iso input "$(cat <<'CONFIG'
partition name=linux image=vmlinuz initrd=initramfs memory=192M cmdline="console=ttyS0 bulkhead.input=1"
partition name=irq image=irq64 memory=4M
CONFIG
)" --module "$GUESTS/irq64.elf" irq64
  cat >"$E2E_DIR/input.txt" <<'INPUT'
timeout 400
expect ^bulkhead: console: input goes to partition 'linux'
expect ^\[irq\] irq: waiting for a line of input$
expect ^\[linux\] bulkhead-linux: waiting for a line of input$
send hello linux\r
expect ^\[linux\] bulkhead-linux: read 'hello linux'$
send \x01\x01\x01
expect ^bulkhead: console: input goes to partition 'irq'
send hello irq\r
expect ^\[irq\] irq: read 'hello irq'$
expect ^bulkhead: run ended:
INPUT
  BOCHS_MEGS=$LINUX_BOCHS_MEGS BOCHS_IPS=$LINUX_BOCHS_IPS \
    run_bochs_with_input "$E2E_DIR/input.iso" corei7_skylake_x $LINUX_TIMEOUT 1 "$E2E_DIR/input.txt"
  expect_linux_boot linux
  expect_line "^\[linux\] bulkhead-linux: read 'hello linux'$"
  # The guest-side checks of the bare-metal partition: its APIC, its timer,
  # and its UART interrupt through its I/O APIC.
  expect_no_line '^\[irq\] irq: FAILED'
  expect_line "^\[irq\] irq: ok: the timer did not fire early$"
  expect_line "^\[irq\] irq: ok: the UART interrupt woke me$"
  expect_line "^bulkhead: partition 'irq' exited with status 0$"
  # The Linux partition took its interrupts from the virtual APIC.
  expect_line "^bulkhead: summary:   interrupts injected [1-9][0-9]+; local APIC and I/O APIC accesses emulated [1-9][0-9]+$"
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}

# The control partition: Linux, granted control=yes and user_hypercalls=yes,
# runs bulkheadctl from its initramfs (tools/bulkheadctl; the base
# initramfs followed by a second archive with the tool, which the kernel
# unpacks after the first). It lists the partitions, is refused a partition that
# does not exist, restarts the bare-metal one (hello64, which printed and
# exited at boot) with its exit trace on, sees it start a second time, and
# reads its statistics and trace.
case_bochs_linux_control_partition() {
  require_linux_guest
  source "$SOURCE_DIR/scripts/lib/linux_guest.sh"
  initramfs_with_programs "$LINUX_DIR/initramfs.cpio.gz" "$E2E_DIR/initramfs-ctl.cpio.gz" "$BULKHEAD_BUILD/bulkheadctl" ||
    { fail "cannot add bulkheadctl to the initramfs"; finish; }
  printf '%s\n' \
    'partition name=linux image=vmlinuz initrd=initramfs memory=192M control=yes user_hypercalls=yes cmdline="console=ttyS0 quiet bulkhead.ctl=hello"' \
    'partition name=hello image=hello64 memory=4M expect=any' >"$E2E_DIR/ctl.cfg"
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/ctl.iso" --cmdline "on_exit=emulator" \
    --module "$E2E_DIR/ctl.cfg" bulkhead.cfg --module "$LINUX_DIR/vmlinuz" vmlinuz \
    --module "$E2E_DIR/initramfs-ctl.cpio.gz" initramfs --module "$GUESTS/hello64.elf" hello64
  BOCHS_MEGS=$LINUX_BOCHS_MEGS BOCHS_IPS=$LINUX_BOCHS_IPS run_bochs "$E2E_DIR/ctl.iso" corei7_skylake_x $LINUX_TIMEOUT 1
  expect_line "^bulkhead: partition 'linux': Linux bzImage image, .*, control, user hypercalls$"
  # The first list: both partitions, from inside Linux; hello has exited.
  expect_line '^\[linux\]  0 linux +ready +0 +192M .* 1 control$'
  expect_line '^\[linux\]  1 hello +exited +0 +4M .* 1$'
  expect_line "^\[linux\] bulkheadctl: no partition 'no-such-partition' \('bulkheadctl list' shows them\)$"
  expect_line "^\[linux\] bulkhead-linux: ctl: a missing partition was refused$"
  expect_line "^\[linux\] restart of 'hello' requested$"
  expect_order "^\[hello\] hello from a 64-bit ELF guest$" \
    "^bulkhead: partition 'hello': restarted from its pristine image by partition 'linux' \(took effect after [0-9]+ us\)$"
  [ "$(count_lines '^\[hello\] hello from a 64-bit ELF guest$')" = 2 ] || fail "hello should have run twice"
  expect_line '^\[linux\]  1 hello +exited +0 +4M .* 2$'
  # Linux's own uptime goes on between the two lists (it is live while it waits in HLT).
  local uptimes
  uptimes=$(awk '/^\[linux\]  0 linux / { printf "%s ", $7 }' "$(console_file)")
  set -- $uptimes
  [ $# -eq 2 ] && [ "$2" -gt "$1" ] || fail "Linux's uptime should grow between the lists: $uptimes"
  expect_no_line '^\[linux\] bulkhead-linux: ctl: .*FAILED'
  # Its stats, from the hypervisor's counters: hello's exits went to the UART.
  # Its stats and trace, from the hypervisor's counters and ring: traced
  # since before the restart, hello's exits went to the UART and ended with
  # its exit hypercall.
  expect_line "^\[linux\] trace 'hello' on$"
  expect_line "^\[linux\] stats 'hello': [1-9][0-9]* exits in [1-9][0-9]* ticks of CPU time$"
  expect_line "^\[linux\]   while traced: [1-9][0-9]* ticks of CPU time, [1-9][0-9]* \([0-9.]+%\) of them handling its exits$"
  expect_line '^\[linux\]   port 0x3f8 +0 reads +[1-9][0-9]* writes +[1-9][0-9]* ticks'
  expect_line "^\[linux\] trace 'hello': #[0-9]+ \+[0-9]+ rip=0x[0-9a-f]+ VMCALL exit \(call 4, arg 0x0\) \([1-9][0-9]* ticks\)$"
  expect_line "^bulkhead: partition 'linux' powered off \(ACPI S5\): exited with status 0$"
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_status 0 "Bochs pass"
}

# The demo, as scripts/run boots it on a terminal (scripts/lib/demo.sh):
# Linux on CPU 1 while, on CPU 0, the bare-metal guests run, pacer64 keeps
# time with its own APIC timer (its lines come out during the kernel's boot:
# both CPUs run at once) and a hostile partition is stopped; plus one more
# line, a corrupted (truncated) kernel, refused with its reason. Linux ends
# in its shell: a command typed there runs, and "poweroff" ends it with a
# pass. The run as a whole fails, as it must with a refused partition.
case_bochs_linux_beside_others() {
  require_linux_guest
  source "$SOURCE_DIR/scripts/lib/demo.sh"
  head -c 4194304 "$LINUX_DIR/vmlinuz" >"$E2E_DIR/vmlinuz-truncated"   # the setup header says there is more
  echo "partition name=broken image=vmlinuz-truncated initrd=initramfs memory=128M cpu=0" >"$E2E_DIR/broken.cfg"
  DEMO_EXTRA_MODULES=(--module "$E2E_DIR/vmlinuz-truncated" vmlinuz-truncated)
  demo_iso "$E2E_DIR" "$BULKHEAD_BUILD" "on_exit=emulator" yes "$E2E_DIR/broken.cfg"
  cat >"$E2E_DIR/input.txt" <<'INPUT'
timeout 400
expect ^\[linux\] bulkhead-linux: shell
quiet 2
send uname -r; echo typed-$((6 * 7))\r
expect ^\[linux\] typed-42$
send bulkheadctl list\r
expect ^\[linux\]  6 intruder +stopped
send poweroff\r
expect ^bulkhead: run ended:
INPUT
  BOCHS_MEGS=$DEMO_BOCHS_MEGS BOCHS_IPS=$DEMO_BOCHS_IPS \
    run_bochs_with_input "$E2E_DIR/bulkhead.iso" corei7_skylake_x $LINUX_TIMEOUT $DEMO_CPUS "$E2E_DIR/input.txt"
  expect_line "^bulkhead: partition 'broken': kernel refused: the image ends before its setup code or kernel does"
  expect_line '^bulkhead: 7 partitions ready, 1 refused$'
  expect_linux_boot linux
  expect_line "^\[linux\] 6\.[0-9]+\.[0-9]+-[0-9]+-cloud-amd64$"
  # The control partition's tool, typed in its shell: every partition, as the hypervisor sees it.
  expect_line '^\[linux\]  0 linux +ready +1 +192M .* 1 control$'
  expect_line '^\[linux\]  6 intruder +stopped +0 +4M ' 
  # Both CPUs at once: the pacer's seconds come out between the kernel's
  # first line and its /init.
  expect_order "^\[linux\] \[ *[0-9.]+\] Linux version" '^\[pacer\] pacer: second 10$' \
    "^\[linux\] bulkhead-linux: init started$"
  local guest
  for guest in hello64 hello32 hello16 probe pacer; do
    expect_line "^bulkhead: summary: partition '$guest' .*: exited with status 0; expected pass: ok$"
  done
  expect_line "^bulkhead: partition 'intruder' stopped: read at guest-physical 0x3fe00000 outside its memory"
  expect_line "^bulkhead: summary: partition 'intruder' .*expected fault: ok$"
  expect_line '^bulkhead: summary: 1 configured partition was refused \(see above\)$'
  expect_line '^bulkhead: run ended: FAIL'
  expect_status 1 "Bochs: the run failed (a partition was refused), not a timeout"
}
