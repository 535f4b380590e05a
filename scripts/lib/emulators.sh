# How Bulkhead boots in each emulator: one place for scripts/run, scripts/bench
# and the end-to-end tests. Sourced, not run.
#
# Both functions write into DIR: com1.txt (the serial console), emulator.log
# and emulator-stdout.txt, and return the emulator's exit status (124 when
# the timeout stopped it).

# bochs_boot DIR ISO CPU_MODEL CPU_COUNT TIMEOUT
#
# Bochs exits 0 only through its debugger's quit (which the hypervisor reaches
# on a pass, writing 'D' to port 0x8900), and 1 for Shutdown, power-off or a
# triple fault. reset_on_triple_fault must stay 0: a reset would end in the
# debugger's quit too, a false pass. ips is kept low: the guest TSC advances one
# tick per instruction whatever ips is, and emulated-time waits cost less.
bochs_boot() {
  local dir=$1 iso=$2 model=$3 count=$4 limit=$5
  cat >"$dir/bochsrc" <<BOCHSRC
megs: 256
cpu: model=$model, count=$count, ips=4000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
display_library: term
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path="$iso", status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$dir/com1.txt
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
  TERM=xterm timeout --kill-after=5 "$limit" bochs-bin -q -f "$dir/bochsrc" -rc "$dir/dbg.rc" \
    >"$dir/emulator-stdout.txt" 2>&1 </dev/null
}

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
    kvm) machine=(-machine q35 -enable-kvm -cpu host -m 512) ;;
  esac
  timeout --kill-after=5 "$limit" qemu-system-x86_64 "${machine[@]}" \
    -cdrom "$iso" -display none -no-reboot -monitor none -nic none \
    -serial "file:$dir/com1.txt" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -d guest_errors -D "$dir/emulator.log" "$@" \
    >"$dir/emulator-stdout.txt" 2>&1 </dev/null
}
