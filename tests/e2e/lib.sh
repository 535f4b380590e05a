# Shared helpers for the end-to-end tests: boot an ISO in an emulator with a
# timeout, keep its logs, and assert on what the hypervisor printed and on the
# emulator's exit status.
#
# Every run leaves its files in $E2E_DIR (build/e2e/<case>/): com1.txt (the
# serial console), emulator.log, emulator-stdout.txt, and the ISO; a run with
# an input script adds input-transcript.txt. They are kept after the run,
# pass or fail, and named in every failure message.

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

source "$SOURCE_DIR/scripts/lib/emulators.sh"

# run_qemu ISO FIRMWARE(bios|uefi) TIMEOUT [extra qemu args...]: sets STATUS.
run_qemu() {
  local iso=$1 firmware=$2 limit=$3
  shift 3
  qemu_boot "$E2E_DIR" "$iso" "$firmware" "$limit" "$@"
  STATUS=$?
}

# run_bochs ISO CPU_MODEL TIMEOUT [cpu count]: sets STATUS. BOCHS_MEGS and
# BOCHS_IPS in the environment change the machine (bochs_boot), e.g.
#   BOCHS_MEGS=1024 run_bochs "$E2E_DIR/linux.iso" corei7_skylake_x 600
run_bochs() {
  bochs_boot "$E2E_DIR" "$1" "$2" "${4:-1}" "$3"
  STATUS=$?
}

# run_bochs_with_input ISO CPU_MODEL TIMEOUT CPU_COUNT INPUT_SCRIPT: like
# run_bochs, with COM1 on a socket and INPUT_SCRIPT typing at it: lines of
# "expect REGEX", "send TEXT" (\r \n \t \\ \xNN), "sleep SECONDS",
# "quiet SECONDS", "timeout SECONDS" and "delay SECONDS" (serial_session in
# scripts/lib/emulators.sh has the details). com1.txt still gets the whole
# console, so every expect_* helper works as after run_bochs;
# input-transcript.txt says what was sent and matched, and when. Sets STATUS;
# a step that fails (its regex not seen in time, or the emulator gone first)
# is a test failure naming it, and the emulator is stopped. BOCHS_MEGS and
# BOCHS_IPS apply as for run_bochs.
run_bochs_with_input() {
  local iso=$1 model=$2 limit=$3 count=$4 script=$5 emulator message
  rm -f "$E2E_DIR/emulator.pid"
  BOCHS_SERIAL=socket bochs_boot "$E2E_DIR" "$iso" "$model" "$count" "$limit" &
  emulator=$!
  message=$(serial_session "$E2E_DIR" "$script") || fail "input script $(basename "$script"): $message"
  wait "$emulator"
  STATUS=$?
}

# The console with CR LF and GRUB's escape sequences removed, as a file
# (console.txt, next to com1.txt). Assertions grep the file itself: grep -q
# at the end of a pipe would stop reading early, and with pipefail the
# writer's SIGPIPE would turn a match into a failure.
console_file() {
  local file="$E2E_DIR/console.txt"
  if [ ! -f "$file" ] || [ "$E2E_DIR/com1.txt" -nt "$file" ]; then
    tr -d '\r' <"$E2E_DIR/com1.txt" 2>/dev/null | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' >"$file"
  fi
  echo "$file"
}
console() { cat "$(console_file)"; }

expect_line() {   # expect_line REGEX: some console line matches (grep -E)
  grep -Eq -- "$1" "$(console_file)" || fail "no console line matches: $1"
}
expect_no_line() {
  if grep -Eq -- "$1" "$(console_file)"; then
    fail "unexpected console line: $(grep -E -m1 -- "$1" "$(console_file)")"
  fi
}
expect_order() {  # expect_order REGEX_A REGEX_B...: the first A comes before the first B, and so on
  local previous=0 previous_regex="" at
  while [ $# -gt 0 ]; do
    at=$(grep -En -m1 -- "$1" "$(console_file)" | cut -d: -f1)
    if [ -z "$at" ]; then
      fail "expected a line matching '$1'"
      return
    fi
    if [ "$at" -le "$previous" ]; then
      fail "expected a line matching '$previous_regex' before one matching '$1'"
      return
    fi
    previous=$at previous_regex=$1
    shift
  done
}
count_lines() {   # count_lines REGEX: how many console lines match
  grep -Ec -- "$1" "$(console_file)"
}
expect_status() {  # expect_status N WHAT
  [ "$STATUS" = "$1" ] || fail "emulator exit status $STATUS, expected $1 ($2)"
}
expect_qemu_status() {  # expect_qemu_status HYPERVISOR_STATUS
  expect_status "$(qemu_status_for "$1")" "hypervisor status $1"
}

GUESTS="$BULKHEAD_BUILD/guests"

# partition_iso NAME CONFIG GUEST...: an ISO whose modules are the
# configuration (named bulkhead.cfg) and each guest image, named after its
# file without the extension.
partition_iso() {
  local name=$1 config=$2
  shift 2
  local modules=(--module "$SOURCE_DIR/tests/guests/configs/$config" bulkhead.cfg) guest
  for guest in "$@"; do
    modules+=(--module "$GUESTS/$guest" "${guest%.*}")
  done
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/$name.iso" --cmdline "on_exit=emulator" \
    "${modules[@]}"
}

# Called at the end of every case: prints the verdict and, on failure, where
# the logs are and the end of the console.
finish() {
  if [ "$FAILURES" -eq 0 ]; then
    echo "PASS [$CASE] (logs in $E2E_DIR)"
    exit 0
  fi
  echo "---- logs kept in $E2E_DIR: com1.txt emulator.log emulator-stdout.txt"
  if [ -s "$E2E_DIR/input-transcript.txt" ]; then
    echo "---- input transcript (input-transcript.txt):"
    tail -n 15 "$E2E_DIR/input-transcript.txt"
  fi
  echo "---- last console lines:"
  console | tail -n 25
  exit 1
}
