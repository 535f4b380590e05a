# End-to-end tests of issue "Foundation": boot paths, console, command line,
# CPU check, W^X and stack guards, and how a run ends. One emulator boot per
# case; each case asserts on the serial console and the exit status.

BANNER='^bulkhead: Bulkhead [0-9.]+, x86_64 microhypervisor$'
NO_VMX_LINE='^bulkhead: VT-x unavailable: CPUID\.1:ECX\.VMX=0$'

# QEMU TCG has no VMX: the refusal names exactly the CPUID bit, from BIOS GRUB.
case_qemu_bios_refuses_without_vmx() {
  run_qemu "$BULKHEAD_BUILD/bulkhead.iso" bios 60
  expect_line "$BANNER"
  expect_line 'from BIOS firmware'
  expect_line '^bulkhead: memory: [0-9]+ MiB usable'
  expect_line "$NO_VMX_LINE"
  expect_line '^bulkhead: run ended: FAIL: VT-x unavailable \(status 0x12\)$'
  expect_qemu_status $STATUS_VMX_UNAVAILABLE
}

# The same image from UEFI GRUB (OVMF): memory map and ACPI from multiboot2 tags.
case_qemu_uefi_refuses_without_vmx() {
  run_qemu "$BULKHEAD_BUILD/bulkhead.iso" uefi 120
  expect_line "$BANNER"
  expect_line 'from UEFI firmware'
  expect_line 'ACPI RSDP v2'
  expect_line '^bulkhead: memory: [0-9]+ MiB usable'
  expect_line "$NO_VMX_LINE"
  expect_qemu_status $STATUS_VMX_UNAVAILABLE
}

# Bochs with a VT-x CPU: the capability summary, then a clean pass.
case_bochs_vtx_capabilities() {
  run_bochs "$BULKHEAD_BUILD/bulkhead.iso" corei7_skylake_x 120
  expect_line "$BANNER"
  expect_line '^bulkhead: cpu: GenuineIntel'
  expect_line '^bulkhead: vmx: IA32_FEATURE_CONTROL locked by firmware, VMX enabled; VMCS revision 0x[0-9a-f]+, 4096-byte regions, TRUE controls$'
  expect_line '^bulkhead: vmx: EPT yes \(4-level yes, write-back yes, 2M yes, 1G yes, A/D yes, INVEPT yes\)$'
  expect_line '^bulkhead: vmx: VPID yes \(INVVPID yes\), unrestricted guest yes, preemption timer yes'
  expect_line '^bulkhead: VT-x ready'
  expect_line '^bulkhead: memory: W\^X page tables live'
  expect_line '^bulkhead: run ended: pass \(status 0x10\)$'
  expect_no_line 'EXCEPTION|unavailable'
  expect_status 0 "Bochs pass"
}

# A VT-x CPU without EPT (Core 2): refused, naming EPT.
case_bochs_refuses_without_ept() {
  run_bochs "$BULKHEAD_BUILD/bulkhead.iso" core2_penryn_t9600 120
  expect_line '^bulkhead: VT-x unavailable: .*EPT'
  expect_no_line 'VT-x ready|EXCEPTION'
  expect_line '^bulkhead: run ended: FAIL: VT-x unavailable'
  expect_status 1 "Bochs failure"
}

# EPT but no unrestricted guest (Lynnfield): refused, naming exactly that.
case_bochs_refuses_without_unrestricted_guest() {
  run_bochs "$BULKHEAD_BUILD/bulkhead.iso" corei5_lynnfield_750 120
  expect_line '^bulkhead: VT-x unavailable: IA32_VMX_PROCBASED_CTLS2\.unrestricted-guest=0$'
  expect_no_line 'VT-x ready|EXCEPTION'
  expect_status 1 "Bochs failure"
}

# Unknown and malformed options are named and ignored; the rest still applies:
# here the console moves to COM2 at 38400 baud.
case_qemu_command_line() {
  make_iso cmdline "on_exit=emulator frobnicate=1 serial=com9 loglevel=loud serial=com2,38400 loglevel=debug"
  run_qemu "$E2E_DIR/cmdline.iso" bios 60 -serial "file:$E2E_DIR/com2.txt"
  mv "$E2E_DIR/com1.txt" "$E2E_DIR/com1-grub.txt"
  mv "$E2E_DIR/com2.txt" "$E2E_DIR/com1.txt"   # the assertions read com1.txt
  expect_line "^bulkhead: command line: unknown option 'frobnicate=1' ignored$"
  expect_line "^bulkhead: command line: bad value 'serial=com9' ignored$"
  expect_line "^bulkhead: command line: bad value 'loglevel=loud' ignored$"
  expect_line '^bulkhead: console on 0x2f8 at 38400 baud, loglevel=debug, on_exit=emulator, slice_us=10000, run_limit_ms=0, console_timestamps=none$'
  expect_line "$NO_VMX_LINE"
  expect_qemu_status $STATUS_VMX_UNAVAILABLE
}

# on_exit=poweroff powers the machine off through ACPI S5 (QEMU exits 0).
case_qemu_acpi_power_off() {
  make_iso poweroff "on_exit=poweroff"
  run_qemu "$E2E_DIR/poweroff.iso" bios 60
  expect_line "$NO_VMX_LINE"
  expect_line '^bulkhead: powering off$'
  expect_no_line 'power-off failed'
  expect_status 0 "ACPI power-off"
}

# on_exit=stay keeps the machine halted: the emulator must still be running
# when the timeout stops it.
case_qemu_stays_halted() {
  make_iso stay "on_exit=stay"
  run_qemu "$E2E_DIR/stay.iso" bios 8
  expect_line '^bulkhead: halted \(on_exit=stay\)$'
  expect_status $TIMEOUT_STATUS "still running at the timeout"
}

# W^X: writing to the hypervisor's code faults (#PF, present+write = 0x3).
case_qemu_text_is_read_only() {
  make_iso wtext "on_exit=emulator selftest=write-text"
  run_qemu "$E2E_DIR/wtext.iso" bios 60
  expect_line '^bulkhead: EXCEPTION #PF page fault \(vector 14\) error=0x3 rip='
  expect_line '^bulkhead:   rax='
  expect_line '^bulkhead: run ended: FAIL: hypervisor exception \(status 0x13\)$'
  expect_qemu_status $STATUS_CPU_EXCEPTION
}

# W^X: jumping into data faults (#PF on an instruction fetch = 0x11).
case_qemu_data_is_not_executable() {
  make_iso xdata "on_exit=emulator selftest=exec-data"
  run_qemu "$E2E_DIR/xdata.iso" bios 60
  expect_line '^bulkhead: EXCEPTION #PF page fault \(vector 14\) error=0x11 rip='
  expect_qemu_status $STATUS_CPU_EXCEPTION
}

# Stack guard: overflowing the stack hits the guard page; #DF runs on its own
# IST stack and reports instead of triple-faulting. Under Bochs too.
case_bochs_stack_guard() {
  make_iso stack "on_exit=emulator selftest=stack-guard"
  run_bochs "$E2E_DIR/stack.iso" corei7_skylake_x 120
  expect_line '^bulkhead: EXCEPTION #DF double fault \(vector 8\)'
  expect_line "^bulkhead:   the fault address is in the guard page of the boot CPU's stack: stack overflow$"
  expect_line '^bulkhead: run ended: FAIL: hypervisor exception'
  expect_status 1 "Bochs failure"
}

# A triple fault never reads as a pass: QEMU -no-reboot exits 0, not 33.
case_qemu_triple_fault_is_not_a_pass() {
  make_iso triple "on_exit=emulator selftest=triple-fault"
  run_qemu "$E2E_DIR/triple.iso" bios 60
  expect_line '^bulkhead: selftest triple-fault'
  expect_no_line 'run ended'
  [ "$STATUS" != "$(qemu_status_for $STATUS_PASS)" ] || fail "a triple fault read as a pass"
  expect_status 0 "QEMU's exit after a triple fault with -no-reboot"
}

# Boot modules reach the hypervisor with their own command lines (the
# convention partitions will use), page-aligned as the header asks.
case_qemu_modules_listed() {
  head -c 10000 /dev/zero >"$E2E_DIR/first.bin"
  head -c 5000 /dev/zero >"$E2E_DIR/second.bin"
  "$SOURCE_DIR/scripts/mkiso" --kernel "$KERNEL" --output "$E2E_DIR/modules.iso" --cmdline "on_exit=emulator" \
    --module "$E2E_DIR/first.bin" "name=alpha memory=16M" --module "$E2E_DIR/second.bin" "name=beta"
  run_qemu "$E2E_DIR/modules.iso" bios 60
  expect_line '^bulkhead: boot information: [0-9]+ memory regions, 2 modules'
  expect_line '^bulkhead: module 0: 0x[0-9a-f]+000-0x[0-9a-f]+ \(10 KiB\) "name=alpha memory=16M"$'
  expect_line '^bulkhead: module 1: 0x[0-9a-f]+000-0x[0-9a-f]+ \(5 KiB\) "name=beta"$'
  expect_qemu_status $STATUS_VMX_UNAVAILABLE
}
