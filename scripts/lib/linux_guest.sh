# The Linux test guest: Debian's cloud kernel plus a busybox initramfs whose
# /init is tests/guests/linux/init. Everything comes from Debian packages
# fetched with apt-get download (never installed, nothing binary committed).
# Sourced, not run.
#
#   prepare_linux_guest OUT_DIR
#
# writes OUT_DIR/vmlinuz, OUT_DIR/initramfs.cpio.gz and OUT_DIR/kernel-version;
# the .deb files are kept in OUT_DIR/debs so a rebuild needs no network. On
# failure it prints one "linux-guest: ..." line and returns non-zero.

LINUX_GUEST_INIT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/guests/linux/init"

# _linux_guest_fetch CACHE PACKAGE: make sure CACHE holds PACKAGE_*.deb and
# print its path. A cached .deb is reused: the guest need not be the newest.
_linux_guest_fetch() {
  local cache=$1 package=$2 deb
  deb=$(ls "$cache/${package}"_*.deb 2>/dev/null | tail -n 1 || true)
  if [ -z "$deb" ]; then
    # apt-get download writes into the current directory. As root it warns
    # that the _apt user cannot write there; the download still works.
    if ! (cd "$cache" && apt-get download "$package") >"$cache/apt.log" 2>&1; then
      # A fresh Debian system has no package lists yet: refresh them once.
      [ "$(id -u)" -eq 0 ] && apt-get update -qq >>"$cache/apt.log" 2>&1 &&
        (cd "$cache" && apt-get download "$package") >>"$cache/apt.log" 2>&1 ||
        { echo "linux-guest: apt-get download $package failed (no network or no Debian mirror? see $cache/apt.log)" >&2
          return 1; }
    fi
    deb=$(ls "$cache/${package}"_*.deb 2>/dev/null | tail -n 1 || true)
    [ -n "$deb" ] || { echo "linux-guest: apt-get download $package left no .deb in $cache" >&2; return 1; }
  fi
  echo "$deb"
}

prepare_linux_guest() {
  local out=$1
  local init=$LINUX_GUEST_INIT
  # Cached: nothing to do unless /init changed since the last build.
  if [ "$out/vmlinuz" -nt "$init" ] && [ "$out/initramfs.cpio.gz" -nt "$init" ] && [ -s "$out/kernel-version" ]; then
    return 0
  fi
  local tool
  for tool in apt-get dpkg-deb cpio gzip; do
    command -v "$tool" >/dev/null 2>&1 || { echo "linux-guest: $tool not found (Debian tools are needed)" >&2; return 1; }
  done
  local cache="$out/debs" work="$out/work"
  mkdir -p "$cache" || { echo "linux-guest: cannot create $cache" >&2; return 1; }
  rm -rf "$work" && mkdir -p "$work"

  # linux-image-cloud-amd64 is a meta package: its Depends names the real,
  # versioned kernel package (linux-image-6.1.0-NN-cloud-amd64).
  local meta real kdeb
  meta=$(_linux_guest_fetch "$cache" linux-image-cloud-amd64) || return 1
  real=$(dpkg-deb -f "$meta" Depends | tr ',|' '\n\n' | sed 's/(.*//; s/ //g' | grep -m1 "^linux-image-" || true)
  [ -n "$real" ] || { echo "linux-guest: no linux-image-* in the Depends of $meta" >&2; return 1; }
  kdeb=$(_linux_guest_fetch "$cache" "$real") || return 1

  # The "cloud" flavour is small and boots fast, but keeps what a guest needs:
  # serial console, ACPI power-off, devtmpfs and gzip initramfs support.
  local vmlinuz version
  dpkg-deb -x "$kdeb" "$work/kernel" || { echo "linux-guest: cannot extract $kdeb" >&2; return 1; }
  vmlinuz=$(ls "$work/kernel/boot/"vmlinuz-* 2>/dev/null | head -n 1 || true)
  [ -n "$vmlinuz" ] || { echo "linux-guest: no boot/vmlinuz-* in $kdeb" >&2; return 1; }
  version=${vmlinuz##*/vmlinuz-}

  # The initramfs: /init, a static busybox (no libraries to copy) and the
  # empty mount points. /dev/console lets the kernel give /init its stdio;
  # only root can create it, and /init copes without it (see its comments).
  local bbdeb root="$work/root"
  bbdeb=$(_linux_guest_fetch "$cache" busybox-static) || return 1
  dpkg-deb -x "$bbdeb" "$work/busybox" || { echo "linux-guest: cannot extract $bbdeb" >&2; return 1; }
  mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp"
  cp "$work/busybox/bin/busybox" "$root/bin/busybox" 2>/dev/null ||
    cp "$work/busybox/usr/bin/busybox" "$root/bin/busybox" 2>/dev/null ||
    { echo "linux-guest: no busybox binary in $bbdeb" >&2; return 1; }
  install -m 755 "$init" "$root/init"
  if [ "$(id -u)" -eq 0 ]; then
    mknod -m 600 "$root/dev/console" c 5 1 || { echo "linux-guest: mknod /dev/console failed" >&2; return 1; }
  fi

  # newc is the cpio format the kernel unpacks; -R 0:0 makes every file
  # root's whoever builds it. Sorting makes the archive reproducible.
  (cd "$root" && find . | sort | cpio -o -H newc -R 0:0 --quiet | gzip -9 -n) >"$out/initramfs.cpio.gz.tmp" ||
    { echo "linux-guest: building the initramfs failed" >&2; return 1; }
  cp "$vmlinuz" "$out/vmlinuz" || { echo "linux-guest: cannot write $out/vmlinuz" >&2; return 1; }
  mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
  echo "$version" >"$out/kernel-version"
  rm -rf "$work"
  echo "linux-guest: kernel $version and busybox initramfs ready in $out"
}

# initramfs_with_programs BASE OUT PROGRAM...: OUT is the initramfs BASE
# with each PROGRAM added as /bin/NAME (bulkheadctl, for a control
# partition). One gzip stream of the two archives back to back: the kernel
# unpacks both, but GRUB's transparent gunzip of a module reads only the
# first member of a concatenated .gz.
initramfs_with_programs() {
  local base=$1 out=$2 extra
  shift 2
  extra=$(mktemp -d) || return 1
  mkdir -p "$extra/bin"
  install -m 755 "$@" "$extra/bin/" || { rm -rf "$extra"; echo "linux-guest: cannot add $* to the initramfs" >&2; return 1; }
  { gzip -dc "$base" && (cd "$extra" && find . | sort | cpio -o -H newc -R 0:0 --quiet); } | gzip -9 -n >"$out.tmp" &&
    mv "$out.tmp" "$out"
  local status=$?
  rm -rf "$extra"
  [ $status -eq 0 ] || echo "linux-guest: building $out failed" >&2
  return $status
}
