# End-to-end tests of typing into the machine: Bochs's COM1 on a TCP socket
# (BOCHS_SERIAL=socket, scripts/lib/emulators.sh) with an input script that
# waits for console text and sends keystrokes (serial_session there). These
# prove the harness: a run on the socket passes and prints exactly what the
# same run prints with COM1 as a file (the keystrokes go to the first
# partition, which never reads them), no byte typed is left unread, and a script
# step that cannot succeed fails fast, naming itself. Input reaching guests
# is tested with them: tests/e2e/linux.sh.

now_ms() { echo $(( ${EPOCHREALTIME//[!0-9]/} / 1000 )); }

# The hello guests (hello.cfg) and a ticker that counts until the run limit:
# the machine stays up, silent, about two seconds after the hello guests have
# printed, so the script types at a running machine, and the run still ends
# with a pass (the ticker expects nothing).
console_iso() {
  { cat "$SOURCE_DIR/tests/guests/configs/hello.cfg"
    echo "partition name=ticker image=ticker64 memory=4M expect=any"
  } >"$E2E_DIR/console.cfg"
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/console.iso" \
    --cmdline "on_exit=emulator run_limit_ms=30000" \
    --module "$E2E_DIR/console.cfg" bulkhead.cfg \
    --module "$GUESTS/hello64.elf" hello64 --module "$GUESTS/hello32.elf" hello32 \
    --module "$GUESTS/hello16.bin" hello16 --module "$GUESTS/probe64.elf" probe64 \
    --module "$GUESTS/ticker64.elf" ticker64
}

case_bochs_console_input() {
  console_iso
  local reference="$E2E_DIR/file-mode" start file_ms socket_ms status
  mkdir -p "$reference"

  # The reference: the same machine with COM1 as a file, as run_bochs does.
  start=$(now_ms)
  bochs_boot "$reference" "$E2E_DIR/console.iso" corei7_skylake_x 1 180
  status=$?
  file_ms=$(( $(now_ms) - start ))
  [ $status -eq 0 ] || fail "the file-mode reference run ended with status $status (logs in $reference)"

  # The hypervisor reads its console (the UART's receive interrupt), so no
  # input is left in the socket when Bochs exits. Were it left there, Bochs
  # would reset the connection at exit and the kernel would drop whatever
  # output Bochs still held back (bochs_boot has the details): the script
  # types once the machine has fallen quiet (the ticker counting), and
  # Bochs must not have reset the connection.
  cat >"$E2E_DIR/input.txt" <<'INPUT'
expect ^bulkhead: Bulkhead [0-9.]+, x86_64 microhypervisor$
expect ^\[hello64\] hello from a 64-bit ELF guest$
expect ^\[ticker\] ticker: started$
quiet 0.3
send hello\r
# Control bytes: Ctrl-A, Ctrl-C, a tab and a backslash.
send \x01\x03\t\\
expect ^bulkhead: run ended: pass \(status 0x10\)$
INPUT
  start=$(now_ms)
  run_bochs_with_input "$E2E_DIR/console.iso" corei7_skylake_x 180 1 "$E2E_DIR/input.txt"
  socket_ms=$(( $(now_ms) - start ))

  expect_status 0 "Bochs pass"
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_line "^bulkhead: partition 'ticker' stopped: stop requested by the run limit \(30000 ms\)"
  local transcript="$E2E_DIR/input-transcript.txt"
  grep -q "send 'hello\\\\r' (6 bytes" "$transcript" || fail "the transcript does not show the first send"
  grep -q "send '\\\\x01\\\\x03\\\\t\\\\\\\\' (4 bytes" "$transcript" || fail "the transcript does not show the control bytes"
  [ "$(grep -c ': matched ' "$transcript")" -eq 4 ] || fail "the transcript should show 4 matched expects"
  grep -q 'reset the connection' "$transcript" && fail "Bochs reset the connection at exit: typed bytes were left unread"

  # The whole console, byte for byte as mode=file writes it: same lines,
  # but for the date and time the hypervisor read from the RTC.
  local not_clock='/^bulkhead: clock: /d'
  tr -d '\r' <"$reference/com1.txt" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' | sed "$not_clock" >"$reference/console.txt"
  sed "$not_clock" "$(console_file)" >"$E2E_DIR/console-without-clock.txt"
  if ! diff "$reference/console.txt" "$E2E_DIR/console-without-clock.txt" >"$E2E_DIR/console-diff.txt"; then
    fail "the socket run's console differs from the file-mode run's (console-diff.txt: $(wc -l <"$E2E_DIR/console-diff.txt") lines)"
  fi
  cmp -s <(sed "$not_clock" "$reference/com1.txt") <(sed "$not_clock" "$E2E_DIR/com1.txt") ||
    fail "com1.txt differs from the file-mode run's byte for byte"
  printf 'wall time: file mode %d.%03d s, socket with the input script %d.%03d s\n' \
    $((file_ms / 1000)) $((file_ms % 1000)) $((socket_ms / 1000)) $((socket_ms % 1000)) | tee "$E2E_DIR/timing.txt"
}

# session_in NAME ISO TIMEOUT SCRIPT_TEXT: boots ISO with COM1 on a socket in
# $E2E_DIR/NAME and plays the script; sets STATUS (Bochs's), SESSION (the
# driver's), MESSAGE (its output) and TOOK_MS.
session_in() {
  local dir="$E2E_DIR/$1" iso=$2 limit=$3 emulator start
  mkdir -p "$dir"
  printf '%s\n' "$4" >"$dir/input.txt"
  start=$(now_ms)
  BOCHS_SERIAL=socket bochs_boot "$dir" "$iso" corei7_skylake_x 1 "$limit" &
  emulator=$!
  MESSAGE=$(serial_session "$dir" "$dir/input.txt")
  SESSION=$?
  wait $emulator
  STATUS=$?
  TOOK_MS=$(( $(now_ms) - start ))
}

# A step that cannot succeed fails with a message naming it, and never waits
# longer than it must: the machine here halts after its run and would wait
# for the emulator's timeout (on_exit=stay).
case_bochs_console_input_failures() {
  make_iso stay "on_exit=stay"

  # A regex that never matches, with a 2 s step limit: the driver gives up
  # and stops the emulator long before its 120 s timeout.
  session_in step-timeout "$E2E_DIR/stay.iso" 120 $'expect ^bulkhead: Bulkhead\ntimeout 2\nexpect ^never printed$'
  [ $SESSION -eq 1 ] || fail "step timeout: the driver returned $SESSION, expected 1"
  [ "$MESSAGE" = "line 3: expect '^never printed\$': no match within 2 s" ] || fail "step timeout: message '$MESSAGE'"
  [ $STATUS -eq 1 ] || fail "step timeout: Bochs ended with $STATUS, expected 1 (stopped with SIGHUP)"
  [ $TOOK_MS -lt 30000 ] || fail "step timeout: took $TOOK_MS ms"
  grep -q 'stopped the emulator' "$E2E_DIR/step-timeout/input-transcript.txt" ||
    fail "step timeout: the transcript does not say the emulator was stopped"
  grep -q 'PANIC.*SIGHUP' "$E2E_DIR/step-timeout/emulator.log" || fail "step timeout: Bochs's log does not show the SIGHUP"

  # The emulator's own timeout ends the run while an expect still waits: the
  # driver says so, and ends with it.
  session_in emulator-ended "$E2E_DIR/stay.iso" 6 'expect ^never printed$'
  [ $SESSION -eq 1 ] || fail "emulator ended: the driver returned $SESSION, expected 1"
  [ "$MESSAGE" = "line 1: expect '^never printed\$': the emulator ended before the console matched" ] ||
    fail "emulator ended: message '$MESSAGE'"
  expect_status $TIMEOUT_STATUS "the emulator's timeout"
  [ $TOOK_MS -lt 20000 ] || fail "emulator ended: took $TOOK_MS ms for a 6 s timeout"

  # A malformed step fails at once, before anything is sent.
  session_in bad-escape "$E2E_DIR/stay.iso" 120 'send oops\q'
  [ "$MESSAGE" = "line 1: send: unknown escape '\\q' in 'oops\\q' (use \\r \\n \\t \\\\ or \\xNN)" ] ||
    fail "bad escape: message '$MESSAGE'"
  [ $TOOK_MS -lt 30000 ] || fail "bad escape: took $TOOK_MS ms"
}
