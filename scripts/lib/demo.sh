# The demo's machine, one place for scripts/run and the end-to-end test that
# boots it (tests/e2e/linux.sh). Sourced, not run.
#
#   demo_iso OUT_DIR BUILD_DIR CMDLINE SHELL [extra config file]
#
# writes OUT_DIR/demo.cfg and OUT_DIR/bulkhead.iso: the partitions of
# tests/guests/configs/demo.cfg (plus the extra file's lines, if given), the
# Linux guest from BUILD_DIR/linux and the bare-metal guests from
# BUILD_DIR/guests. SHELL=yes: the Linux partition's /init ends in a shell
# (bulkhead.shell=1) instead of powering off after its checks. The Linux
# partition is the control partition, with bulkheadctl (build/bulkheadctl)
# added to its initramfs. Modules the
# extra lines name are expected as DEMO_EXTRA_MODULES (mkiso --module pairs).

DEMO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEMO_CONFIG="$DEMO_ROOT/tests/guests/configs/demo.cfg"
DEMO_CPUS=2             # Linux on CPU 1, the bare-metal guests on CPU 0
DEMO_BOCHS_MEGS=512     # Linux's 192 MiB and the rest
DEMO_BOCHS_IPS=20000000 # fewer of Linux's timer ticks for the same work (docs/linux-guests.md)

demo_iso() {
  local out=$1 build=$2 cmdline=$3 shell=$4 extra=${5:-}
  local config="$out/demo.cfg" guests="$build/guests"
  if [ "$shell" = yes ]; then
    sed '/^partition name=linux /s/cmdline="\([^"]*\)"/cmdline="\1 bulkhead.shell=1"/' "$DEMO_CONFIG" >"$config"
  else
    cp "$DEMO_CONFIG" "$config"
  fi
  [ -n "$extra" ] && cat "$extra" >>"$config"
  # Linux is the control partition: bulkheadctl is in its initramfs.
  source "$DEMO_ROOT/scripts/lib/linux_guest.sh"
  initramfs_with_programs "$build/linux/initramfs.cpio.gz" "$out/initramfs-demo.cpio.gz" "$build/bulkheadctl" || return 1
  "$DEMO_ROOT/scripts/mkiso" --kernel "$build/bulkhead.elf" --output "$out/bulkhead.iso" \
    --cmdline "$cmdline" --module "$config" bulkhead.cfg \
    --module "$build/linux/vmlinuz" vmlinuz --module "$out/initramfs-demo.cpio.gz" initramfs \
    --module "$guests/hello64.elf" hello64 --module "$guests/hello32.elf" hello32 \
    --module "$guests/hello16.bin" hello16 --module "$guests/probe64.elf" probe64 \
    --module "$guests/pacer64.elf" pacer64 --module "$guests/hostile-read-other.elf" hostile-read-other \
    ${DEMO_EXTRA_MODULES[@]+"${DEMO_EXTRA_MODULES[@]}"}
}
