# How Bulkhead boots in each emulator: one place for scripts/run, scripts/bench
# and the end-to-end tests. Sourced, not run.
#
# Both boot functions write into DIR: com1.txt (the serial console), emulator.log
# and emulator-stdout.txt, and return the emulator's exit status (124 when
# the timeout stopped it). Bochs's COM1 can also be a TCP socket, to type into
# the machine: serial_session plays a script of keystrokes at it (the tests),
# bochs_interactive connects the user's terminal to it (the demo).

# bochs_boot DIR ISO CPU_MODEL CPU_COUNT TIMEOUT
#
# Optional settings come from the environment, so that every five-argument
# call stays as it is (for example BOCHS_MEGS=1024 bochs_boot ...):
#   BOCHS_MEGS    guest RAM in MiB (default 256)
#   BOCHS_CLOCK   "none" (default): emulated time is the instruction count, so
#                 runs are deterministic and an idle machine's time flies;
#                 "slowdown": emulated time never runs ahead of the wall
#                 clock (Bochs waits instead), for a person typing at a guest:
#                 a shell's escape-sequence timeouts then see keys as fast as
#                 they were typed. ("realtime" would also speed the clock up
#                 when emulation is slow: Linux then sees soft lockups.)
#   BOCHS_IPS     emulated instructions per second (default 4000000)
#   BOCHS_SERIAL  "file" (default): the machine's COM1 output goes to
#                 DIR/com1.txt. "socket": COM1 is a TCP server on 127.0.0.1,
#                 both ways, and Bochs waits for its client before the first
#                 instruction. Run bochs_boot in the background and connect
#                 with serial_session or bochs_interactive, which copy the
#                 console into DIR/com1.txt.
# Bochs's own process id goes to DIR/emulator.pid.
#
# Bochs exits 0 only through its debugger's quit (which the hypervisor reaches
# on a pass, writing 'D' to port 0x8900), and 1 for Shutdown, power-off or a
# triple fault. reset_on_triple_fault must stay 0: a reset would end in the
# debugger's quit too, a false pass. ips is kept low: the guest TSC advances one
# tick per instruction whatever ips is, and emulated-time waits cost less.
#
# COM1 on a socket, as Bochs 2.7 does it (its iodev/serial.cc, and measured):
# - mode=socket-server binds and listens on dev=HOST:PORT, then blocks in
#   accept() before the simulation starts (its stderr says "com1: waiting for
#   client to connect"); the timeout below still runs meanwhile. It takes one
#   client and closes the listener: nobody can connect after that one leaves.
# - Port 0 lets the kernel pick a free port at bind(), so runs in parallel
#   never collide and nothing guesses a free port: bochs_serial_port reads
#   the chosen port back from /proc.
# - When the client disconnects, the guest's next byte of output kills Bochs
#   with SIGPIPE (exit status 141, nothing in its log): the client must stay
#   connected until Bochs exits.
# - Bochs takes a byte from the socket only when the UART's receive buffer
#   has room (the guest read the last one; with the FIFO at trigger level 1,
#   as Bulkhead sets it, that is one byte too); the rest waits in the socket.
#   Input still waiting there when Bochs exits makes its close reset the
#   connection, and the kernel then drops the output Bochs wrote but had not
#   sent yet. Bochs writes a byte per write() with Nagle on, and once the
#   client has sent something within about 40 ms of receiving, Linux delays
#   the client's ACKs (until output comes and 40 ms pass with nothing sent):
#   if the guest falls silent after that send and later ends with a burst
#   and the exit, the burst can be lost whole (measured: 3 runs in 10 lost
#   the 1.5 KiB summary). A guest that reads its console never leaves input
#   behind; against one that does not, type after serial_session's "quiet"
#   (no ACK delay then). serial_session's transcript counts the bytes not
#   taken after each send and notes every reset.
# - mode=socket-client connects once at start; when nothing listens, Bochs
#   logs an error and COM1 silently becomes mode null (output lost). Bash
#   cannot listen on a socket, so that mode is not used.
bochs_boot() {
  local dir=$1 iso=$2 model=$3 count=$4 limit=$5 com1
  case "${BOCHS_SERIAL:-file}" in
    file) com1="mode=file, dev=$dir/com1.txt" ;;
    socket) com1="mode=socket-server, dev=127.0.0.1:0"; : >"$dir/com1.txt" ;;
    *) echo "bochs_boot: BOCHS_SERIAL must be file or socket, not '$BOCHS_SERIAL'" >&2; return 2 ;;
  esac
  rm -f "$dir/emulator.pid"
  cat >"$dir/bochsrc" <<BOCHSRC
megs: ${BOCHS_MEGS:-256}
clock: sync=${BOCHS_CLOCK:-none}, time0=utc
cpu: model=$model, count=$count, ips=${BOCHS_IPS:-4000000}, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
display_library: term
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path="$iso", status=inserted
boot: cdrom
com1: enabled=1, $com1
log: $dir/emulator.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
port_e9_hack: enabled=1
speaker: enabled=0
sound: driver=dummy
BOCHSRC
  printf 'c\nquit\n' >"$dir/dbg.rc"
  # SIGHUP, because Bochs's term display only logs "sig 15 caught" at a
  # SIGTERM and runs on (timeout would end it with SIGKILL 5 s later, status
  # 137); at SIGHUP it quits at once, logging a panic. The inner bash writes
  # its pid and then becomes Bochs (exec): the pid file names Bochs itself.
  TERM=xterm timeout --signal=HUP --kill-after=5 "$limit" \
    bash -c 'echo $$ >"$0" && exec "$@"' "$dir/emulator.pid" \
    bochs-bin -q -f "$dir/bochsrc" -rc "$dir/dbg.rc" \
    >"$dir/emulator-stdout.txt" 2>&1 </dev/null
}

# bochs_serial_port DIR [WAIT_SECONDS]: prints the TCP port on which the
# Bochs run in DIR (BOCHS_SERIAL=socket) listens for COM1's client, as soon as
# it listens. Fails, printing nothing, when that Bochs ends first or
# WAIT_SECONDS (default 30) pass. The port is read from Bochs's own listening
# socket, so a run can never connect to another's.
bochs_serial_port() {
  local dir=$1 wait_s=${2:-30} pid="" socket
  local deadline=$((SECONDS + wait_s))
  while :; do
    [[ $pid =~ ^[0-9]+$ ]] || pid=$(cat "$dir/emulator.pid" 2>/dev/null)
    if [[ $pid =~ ^[0-9]+$ ]]; then
      [ -d "/proc/$pid" ] || return 1
      if socket=$(_bochs_tcp_socket "$pid" 0A); then
        socket=${socket%% *}
        echo $((16#${socket#*:}))
        return 0
      fi
    fi
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}

# _bochs_tcp_socket PID STATE: "LOCAL_ADDRESS TX_QUEUE:RX_QUEUE" (hex, as
# /proc/net/tcp has them) of the TCP socket in STATE (0A listening, 01
# connected) that process PID holds, found by the inode of one of its
# descriptors.
_bochs_tcp_socket() {
  local pid=$1 want=$2 fd link inodes=" " sl local_address remote state queues inode rest
  for fd in "/proc/$pid/fd/"*; do
    link=$(readlink "$fd" 2>/dev/null) && [[ $link == socket:\[*\] ]] && inodes+="${link:8:-1} "
  done
  # Fields: sl, local address (IP:port), remote address, state, queues, four
  # others, inode.
  while read -r sl local_address remote state queues _ _ _ _ inode rest; do
    if [ "$state" = "$want" ] && [[ $inodes == *" $inode "* ]]; then
      echo "$local_address $queues"
      return 0
    fi
  done 2>/dev/null <"/proc/$pid/net/tcp"
  return 1
}

# serial_session DIR SCRIPT: the tests' driver for a Bochs run started in the
# background with BOCHS_SERIAL=socket in DIR. It connects to COM1, copies
# everything the machine sends into DIR/com1.txt (byte for byte, as mode=file
# would), and plays SCRIPT, one command a line:
#   expect REGEX     wait until the console, with CR and escape sequences
#                    removed (as the tests see it), has a line matching the
#                    extended regex after the end of the previous expect's
#                    match (so the same prompt can be expected twice); REGEX
#                    must match at least one character
#   send TEXT        send the rest of the line, spaces included, with the
#                    escapes \r \n \t \\ and \xNN, one byte at a time with a
#                    pause between bytes so that a slow guest keeps up
#   sleep SECONDS    wait
#   quiet SECONDS    wait until nothing has come from the machine for SECONDS:
#                    type at an idle machine (see "Input still waiting" in
#                    bochs_boot's notes for why that matters when the guest
#                    will not read what it is sent)
#   timeout SECONDS  the limit of each following expect or quiet (default 60,
#                    or $SERIAL_STEP_TIMEOUT), whole seconds
#   delay SECONDS    the pause after each byte sent (default 0.02)
# Blank lines and lines starting with # are skipped.
#
# It returns once the emulator has ended (the emulator's own timeout bounds
# that): 0 when every step passed, 1 when one failed, printing which (line,
# regex, why) on stdout. After a failed step it stops the emulator, which
# would otherwise wait for input until its timeout. DIR/input-transcript.txt
# records each step, what was sent and matched, and when.
serial_session() (
  # Bytes, not characters: offsets, lengths and printf's 'c all count bytes.
  LC_ALL=C
  # A write to a Bochs that has gone must fail, not kill the driver. A trap
  # rather than an ignore: children (grep, tail) keep the default SIGPIPE.
  trap : PIPE
  local dir=$1 script=$2 port pid sock reader line="" verb arg lineno=0 status=0
  local transcript="$dir/input-transcript.txt" clean="$dir/.input-console.txt"
  local start_us=${EPOCHREALTIME//[!0-9]/} step_timeout=${SERIAL_STEP_TIMEOUT:-60} delay=0.02
  local consumed=0 line_start=0 message="" found nap
  : >"$transcript"
  # A pipe nobody writes to: reading it with a timeout is a sleep without a
  # fork, for the pauses between bytes and between polls.
  exec {nap}<> <(:)
  # (The braces keep 2>/dev/null, for bash's connect error, from applying to
  # everything after the exec.)
  if ! port=$(bochs_serial_port "$dir" 60) || ! { exec {sock}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
    message="could not connect to Bochs's COM1 (it ended, or did not listen within 60 s; see $dir/emulator-stdout.txt)"
    _serial_note "FAIL $message"
    echo "$message"
    # A Bochs still waiting for its client would wait until its timeout.
    pid=$(cat "$dir/emulator.pid" 2>/dev/null) && kill -HUP "$pid" 2>/dev/null
    return 1
  fi
  pid=$(<"$dir/emulator.pid")
  cat <&$sock >>"$dir/com1.txt" 2>"$dir/.input-reader.txt" &
  reader=$!
  _serial_note "connected to COM1 on 127.0.0.1:$port (Bochs pid $pid); playing $script"
  local input=$script
  [ -r "$script" ] || { message="input script '$script' not found"; input=/dev/null; }
  while [ -z "$message" ] && { IFS= read -r line || [ -n "$line" ]; }; do
    lineno=$((lineno + 1))
    line=${line%$'\r'}
    case "$line" in ''|'#'*) continue ;; esac
    verb=${line%% *}
    arg=${line#"$verb"}
    arg=${arg# }
    case "$verb" in
      expect) _serial_expect "$arg" ;;
      send) _serial_send "$arg" ;;
      sleep|quiet|delay)
        if ! [[ $arg =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
          message="line $lineno: $verb needs a number of seconds, not '$arg'"
        elif [ "$verb" = sleep ]; then
          _serial_note "sleep $arg"
          _serial_nap "$arg"
        elif [ "$verb" = quiet ]; then
          _serial_quiet "$arg"
        else
          delay=$arg
        fi ;;
      timeout)
        if [[ $arg =~ ^[0-9]+$ ]]; then
          step_timeout=$arg
        else
          message="line $lineno: timeout needs a whole number of seconds, not '$arg'"
        fi ;;
      *) message="line $lineno: unknown command '$verb' (expect, send, sleep, quiet, timeout, delay)" ;;
    esac
  done <"$input"
  [ -z "$message" ] || status=1
  if [ $status -ne 0 ]; then
    _serial_note "FAIL $message"
    echo "$message"
    # A Bochs still running would wait for input until its timeout: stop it
    # (SIGHUP: see bochs_boot). One that has closed the socket is already
    # exiting, and a signal then can crash it.
    if kill -0 "$reader" 2>/dev/null && kill -HUP "$pid" 2>/dev/null; then
      _serial_note "stopped the emulator (SIGHUP to pid $pid)"
    fi
  else
    _serial_note "script done ($(_serial_unread)); copying the console until the emulator ends"
  fi
  wait "$reader" 2>/dev/null
  if [ -s "$dir/.input-reader.txt" ]; then
    _serial_note "reader: $(cat "$dir/.input-reader.txt")"
    if grep -q 'reset by peer' "$dir/.input-reader.txt"; then
      # See bochs_boot: the guest left input unread, and the kernel may have
      # dropped the last output along with the connection.
      _serial_note "note: Bochs reset the connection as it exited (input it never took was still queued); output it had not sent yet was dropped, so the end of com1.txt may be missing"
      echo "serial_session: note: Bochs reset the connection at exit with input unread; the end of $dir/com1.txt may be missing" >&2
    fi
  fi
  _serial_note "emulator ended; the console is $(stat -c %s "$dir/com1.txt") bytes"
  exec {sock}>&-
  rm -f "$clean" "$dir/.input-reader.txt"
  return $status
)

# The helpers of serial_session, which share its local variables. Times are
# microseconds, from ${EPOCHREALTIME//[!0-9]/} (no fork).
_serial_nap() { read -r -t "$1" -u "$nap" _; }
_serial_us() {  # decimal seconds (2, 0.25) in microseconds
  local int=${1%%.*} frac=${1#*.}
  [ "$frac" = "$1" ] && frac=""
  frac="${frac}000000"
  echo $(( 10#$int * 1000000 + 10#${frac:0:6} ))
}
_serial_note() {  # a transcript line, stamped with seconds since the session began
  local us=$(( ${EPOCHREALTIME//[!0-9]/} - start_us ))
  printf '%4d.%03d  %s\n' $((us / 1000000)) $((us / 1000 % 1000)) "$*" >>"$transcript"
}

# _serial_find REGEX: the first match of REGEX that begins at or after
# `consumed` in the cleaned console; on success sets found and moves
# consumed past the match. The search starts at the beginning of the line
# holding `consumed`, so that ^ keeps meaning "start of a line".
_serial_find() {
  local regex=$1 hit offset text prefix
  tr -d '\r\000' <"$dir/com1.txt" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' >"$clean"
  while IFS= read -r hit; do
    offset=$((line_start + ${hit%%:*}))
    text=${hit#*:}
    if [ $offset -ge $consumed ]; then
      found=$text
      consumed=$((offset + ${#text}))
      prefix=$(head -c "$consumed" "$clean")
      prefix=${prefix##*$'\n'}
      line_start=$((consumed - ${#prefix}))
      return 0
    fi
  done < <(tail -c +$((line_start + 1)) "$clean" 2>/dev/null | grep -a -E -o -b -e "$regex" 2>/dev/null)
  return 1
}

_serial_expect() {
  local regex=$1 deadline size="" seen=-1 alive
  grep -E -e "$regex" </dev/null 2>/dev/null
  if [ $? -eq 2 ]; then
    message="line $lineno: expect '$regex': not a valid extended regex"
    return
  fi
  deadline=$(( ${EPOCHREALTIME//[!0-9]/} + step_timeout * 1000000 ))
  while :; do
    alive=yes
    if ! [ -d "/proc/$pid" ]; then
      # Bochs has ended: once the reader has seen the end of the stream,
      # com1.txt holds everything, and this is the last look.
      alive=no
      wait "$reader" 2>/dev/null
    fi
    size=$(stat -c %s "$dir/com1.txt")
    if [ "$size" != "$seen" ]; then
      seen=$size
      if _serial_find "$regex"; then
        _serial_note "expect '$regex' (line $lineno): matched '$found'"
        return
      fi
    fi
    if [ $alive = no ]; then
      message="line $lineno: expect '$regex': the emulator ended before the console matched"
      return
    fi
    if [ ${EPOCHREALTIME//[!0-9]/} -ge $deadline ]; then
      message="line $lineno: expect '$regex': no match within $step_timeout s"
      return
    fi
    _serial_nap 0.1
  done
}

_serial_quiet() {
  local want_us now deadline size seen="" since
  want_us=$(_serial_us "$1")
  deadline=$(( ${EPOCHREALTIME//[!0-9]/} + step_timeout * 1000000 ))
  while :; do
    size=$(stat -c %s "$dir/com1.txt")
    now=${EPOCHREALTIME//[!0-9]/}
    # A change is seen up to one poll late, which only makes the wait longer.
    if [ "$size" != "$seen" ]; then
      seen=$size
      since=$now
    fi
    if [ $((now - since)) -ge "$want_us" ]; then
      _serial_note "quiet $1 (line $lineno): nothing came for $1 s; console at byte $size"
      return
    fi
    if ! [ -d "/proc/$pid" ]; then
      message="line $lineno: quiet $1: the emulator ended first"
      return
    fi
    if [ "$now" -ge $deadline ]; then
      message="line $lineno: quiet $1: the console did not stay quiet that long within $step_timeout s"
      return
    fi
    _serial_nap 0.05
  done
}

_serial_send() {
  local text=$1 i=0 c hex bytes=()
  while [ $i -lt ${#text} ]; do
    c=${text:i:1}
    if [ "$c" != '\' ]; then
      printf -v hex '%02x' "'$c"
      bytes+=("$hex")
      i=$((i + 1))
      continue
    fi
    case "${text:i+1:1}" in
      r) bytes+=(0d) ;;
      n) bytes+=(0a) ;;
      t) bytes+=(09) ;;
      '\') bytes+=(5c) ;;
      x) hex=${text:i+2:2}
         if ! [[ $hex =~ ^[0-9a-fA-F]{2}$ ]]; then
           message="line $lineno: send: \\x needs two hex digits in '$text'"
           return
         fi
         bytes+=("$hex")
         i=$((i + 2)) ;;
      *) message="line $lineno: send: unknown escape '\\${text:i+1:1}' in '$text' (use \\r \\n \\t \\\\ or \\xNN)"
         return ;;
    esac
    i=$((i + 2))
  done
  _serial_note "send '$text' (${#bytes[@]} bytes; console at byte $(stat -c %s "$dir/com1.txt"))"
  for hex in "${bytes[@]}"; do
    if ! printf "\\x$hex" 2>/dev/null >&$sock; then
      message="line $lineno: send '$text': the emulator has gone"
      return
    fi
    _serial_nap "$delay"
  done
  _serial_note "sent ($(_serial_unread))"
}

# _serial_unread: how many of the bytes sent so far Bochs has not taken from
# its socket (its receive queue): input the guest has not read.
_serial_unread() {
  local socket
  if socket=$(_bochs_tcp_socket "$pid" 01); then
    echo "$((16#${socket##*:})) bytes of input not taken by the machine"
  else
    echo "the machine has gone"
  fi
}

# bochs_interactive DIR ISO CPU_MODEL CPU_COUNT TIMEOUT: the demo's console.
# Boots like bochs_boot (BOCHS_MEGS and BOCHS_IPS apply) and connects this
# terminal to the machine's COM1:
# - keys go to the machine as typed: the terminal is in raw mode, so Ctrl-C,
#   Ctrl-A, Ctrl-Z and Ctrl-D are bytes for the guest, and Enter sends CR
#   as a serial terminal does;
# - the machine's output is shown as it arrives, escape sequences included:
#   an interactive shell draws with them (line editing, colours, full-screen
#   programs), and stripping them, as the logs do, would garble it. GRUB's
#   clear-screen at the start is the price;
# - Ctrl-] leaves, as in telnet: the terminal is restored and the emulator
#   stopped (a Bochs whose client has left dies at its next output anyway).
# DIR/com1.txt gets everything the machine printed. When stdin or stdout is
# not a terminal, it prints the console cleaned as scripts/run does (CR and
# escape sequences removed) until the run ends. Returns the emulator's exit
# status, or 130 when the user left with Ctrl-].
bochs_interactive() {
  local dir=$1 iso=$2 model=$3 count=$4 limit=$5 emulator session status
  rm -f "$dir/emulator.pid"
  if ! [ -t 0 ] || ! [ -t 1 ]; then
    : >"$dir/com1.txt"
    bochs_boot "$dir" "$iso" "$model" "$count" "$limit" &
    emulator=$!
    tail -n +1 -f --pid=$emulator "$dir/com1.txt" | tr -d '\r' | sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g'
    wait $emulator
    return
  fi
  BOCHS_SERIAL=socket bochs_boot "$dir" "$iso" "$model" "$count" "$limit" &
  emulator=$!
  _serial_terminal "$dir"
  session=$?
  wait $emulator
  status=$?
  [ $session -eq 130 ] && return 130
  return $status
}

# _serial_terminal DIR: the terminal side of bochs_interactive, in a subshell
# so that its traps, locale and descriptors end with it.
_serial_terminal() (
  LC_ALL=C
  trap : PIPE
  local dir=$1 port pid="" sock reader="" saved tty keys keyboard key rc left=no
  # (The braces keep 2>/dev/null, for bash's connect error, from applying to
  # everything after the exec.)
  if ! port=$(bochs_serial_port "$dir" 60) || ! { exec {sock}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
    echo "console: Bochs did not open its COM1 socket; see $dir/emulator-stdout.txt" >&2
    pid=$(cat "$dir/emulator.pid" 2>/dev/null) && kill -HUP "$pid" 2>/dev/null
    return 1
  fi
  pid=$(<"$dir/emulator.pid")
  echo "console: connected to the machine's COM1; Ctrl-] leaves and stops the emulator"
  saved=$(stty -g)
  # Whatever ends this subshell gives the terminal back as it was, with the
  # colours and cursor that GRUB or the guest may have changed reset, and
  # stops a machine still running (a signal, or the terminal gone).
  trap 'stty "$saved"; printf "\e[0m\e[?25h\n"; kill -0 "$reader" 2>/dev/null && kill -HUP "$pid" 2>/dev/null' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  stty raw -echo
  tee -a "$dir/com1.txt" <&$sock 2>/dev/null &
  reader=$!
  # The keys come through cat and a pipe: bash's read -n on a terminal would
  # turn ISIG and ICRNL back on while it waits (Ctrl-C a signal, Enter a LF),
  # and on a pipe it reads one byte at a time and leaves the terminal raw.
  exec {tty}<&0
  exec {keys}< <(exec cat <&$tty)
  keyboard=$!
  # A key at a time (checking every 0.2 s that the machine is still there),
  # and with it whatever else is already waiting: a burst (an escape
  # sequence, the terminal's answer to a cursor-position query) goes out in
  # one write. Byte by byte, each write after the first would wait for the
  # previous one's delayed ACK (Nagle), 40 ms apart, and a guest's line
  # editor would take an escape sequence that slow for separate keys.
  local burst
  while kill -0 $reader 2>/dev/null; do
    IFS= read -r -n 1 -d '' -t 0.2 -u $keys key
    rc=$?
    [ $rc -gt 128 ] && continue   # the 0.2 s passed with no key
    [ $rc -eq 0 ] || break        # the terminal closed
    burst=""
    while :; do
      if [ "$key" = $'\x1d' ]; then
        left=yes
        break
      fi
      # read gives NUL (Ctrl-@, Ctrl-Space) as an empty key.
      if [ -z "$key" ]; then burst+='\0'; else burst+=${key//\\/\\\\}; fi
      read -t 0 -u $keys || break
      IFS= read -r -n 1 -d '' -u $keys key || break
    done
    [ -n "$burst" ] && printf '%b' "$burst" 2>/dev/null >&$sock
    [ $left = yes ] && break
  done
  kill $keyboard 2>/dev/null
  if [ $left = yes ]; then
    kill -HUP "$pid" 2>/dev/null   # SIGHUP: see bochs_boot
  fi
  wait $reader 2>/dev/null
  if [ $left = yes ]; then
    printf '\r\nconsole: left with Ctrl-]; the emulator was stopped\r\n'
    return 130
  fi
  printf '\r\nconsole: the machine has ended\r\n'
)

# qemu_boot DIR ISO FIRMWARE(bios|uefi|kvm) TIMEOUT [extra QEMU arguments...]
#
# TCG (bios, uefi) has no VMX; kvm needs an Intel host with nested VT-x. The
# isa-debug-exit device turns the hypervisor's status c into exit (c << 1) | 1.
qemu_boot() {
  local dir=$1 iso=$2 firmware=$3 limit=$4
  shift 4
  local machine=(-machine q35 -cpu max -m 256)
  case "$firmware" in
    uefi)
      cp /usr/share/OVMF/OVMF_VARS_4M.fd "$dir/ovmf-vars.fd"
      machine+=(-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
                -drive if=pflash,format=raw,unit=1,file="$dir/ovmf-vars.fd") ;;
    # Two CPUs and 512 MiB: the demo runs Linux on CPU 1 (scripts/lib/demo.sh).
    kvm) machine=(-machine q35 -enable-kvm -cpu host -smp 2 -m 512) ;;
  esac
  timeout --kill-after=5 "$limit" qemu-system-x86_64 "${machine[@]}" \
    -cdrom "$iso" -display none -no-reboot -monitor none -nic none \
    -serial "file:$dir/com1.txt" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -d guest_errors -D "$dir/emulator.log" "$@" \
    >"$dir/emulator-stdout.txt" 2>&1 </dev/null
}
