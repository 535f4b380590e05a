# Shared helpers for the end-to-end tests: boot an ISO in an emulator with a
# timeout, keep its logs, and assert on what the hypervisor printed and on the
# emulator's exit status.
#
# Every run leaves its files in $E2E_DIR (build/e2e/<case>/): com1.txt (the
# serial console), emulator.log, emulator-stdout.txt, and the ISO. They are
# kept after the run, pass or fail, and named in every failure message.

set -uo pipefail

: "${BULKHEAD_BUILD:?BULKHEAD_BUILD must name the build directory}"
SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KERNEL="$BULKHEAD_BUILD/bulkhead.elf"

# QEMU's isa-debug-exit turns the hypervisor's status code c into (c << 1) | 1.
qemu_status_for() { echo $(( ($1 << 1) | 1 )); }
STATUS_PASS=0x10
STATUS_VMX_UNAVAILABLE=0x12
STATUS_CPU_EXCEPTION=0x13
TIMEOUT_STATUS=124

FAILURES=0
fail() {
  echo "FAIL [$CASE]: $*"
  FAILURES=$((FAILURES + 1))
}

# make_iso NAME CMDLINE: an ISO with that hypervisor command line.
make_iso() {
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/$1.iso" --cmdline "$2"
}

# run_qemu ISO FIRMWARE(bios|uefi) TIMEOUT [extra qemu args...]: sets STATUS.
run_qemu() {
  local iso=$1 firmware=$2 limit=$3
  shift 3
  local fw=()
  if [ "$firmware" = uefi ]; then
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$E2E_DIR/ovmf-vars.fd"
    fw=(-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
        -drive if=pflash,format=raw,unit=1,file="$E2E_DIR/ovmf-vars.fd")
  fi
  timeout --kill-after=5 "$limit" qemu-system-x86_64 -machine q35 -cpu max -m 256 "${fw[@]}" \
    -cdrom "$iso" -display none -no-reboot -monitor none \
    -serial "file:$E2E_DIR/com1.txt" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -d guest_errors -D "$E2E_DIR/emulator.log" "$@" \
    >"$E2E_DIR/emulator-stdout.txt" 2>&1 </dev/null
  STATUS=$?
}

# run_bochs ISO CPU_MODEL TIMEOUT [cpu count]: sets STATUS. Bochs exits 0 only
# through the debugger's quit (a pass), 1 for Shutdown, power-off or a triple
# fault (reset_on_triple_fault=0: a reset would quit with 0, a false pass).
run_bochs() {
  local iso=$1 model=$2 limit=$3 count=${4:-1}
  cat >"$E2E_DIR/bochsrc" <<BOCHSRC
megs: 256
cpu: model=$model, count=$count, ips=4000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
display_library: term
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path="$iso", status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$E2E_DIR/com1.txt
log: $E2E_DIR/emulator.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
port_e9_hack: enabled=1
speaker: enabled=0
sound: driver=dummy
BOCHSRC
  printf 'c\nquit\n' >"$E2E_DIR/dbg.rc"
  TERM=xterm timeout --kill-after=5 "$limit" bochs-bin -q -f "$E2E_DIR/bochsrc" -rc "$E2E_DIR/dbg.rc" \
    >"$E2E_DIR/emulator-stdout.txt" 2>&1 </dev/null
  STATUS=$?
}

# The console with CR LF and GRUB's escape sequences removed.
console() { tr -d '\r' <"$E2E_DIR/com1.txt" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g'; }

expect_line() {   # expect_line REGEX: some console line matches (grep -E)
  console | grep -Eq -- "$1" || fail "no console line matches: $1"
}
expect_no_line() {
  ! console | grep -Eq -- "$1" || fail "unexpected console line: $(console | grep -E -- "$1" | head -1)"
}
expect_status() {  # expect_status N WHAT
  [ "$STATUS" = "$1" ] || fail "emulator exit status $STATUS, expected $1 ($2)"
}
expect_qemu_status() {  # expect_qemu_status HYPERVISOR_STATUS
  expect_status "$(qemu_status_for "$1")" "hypervisor status $1"
}

# Called at the end of every case: prints the verdict and, on failure, where
# the logs are and the end of the console.
finish() {
  if [ "$FAILURES" -eq 0 ]; then
    echo "PASS [$CASE] (logs in $E2E_DIR)"
    exit 0
  fi
  echo "---- logs kept in $E2E_DIR: com1.txt emulator.log emulator-stdout.txt"
  echo "---- last console lines:"
  console | tail -n 25
  exit 1
}
