# Shared set-up of scripts/run, scripts/test and scripts/bench: install the
# Debian packages that are missing, then configure and build in $BUILD_DIR.
# Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${BULKHEAD_BUILD_DIR:-$ROOT/build}

# command-or-file -> Debian package that provides it
REQUIRED_TOOLS=(
  "cmake:cmake"
  "make:make"
  "g++:g++"
  "grub-mkrescue:grub-common"
  "/usr/lib/grub/i386-pc/modinfo.sh:grub-pc-bin"
  "/usr/lib/grub/x86_64-efi/modinfo.sh:grub-efi-amd64-bin"
  "xorriso:xorriso"
  "mformat:mtools"
  "bochs-bin:bochs"
  "/usr/share/bochs/BIOS-bochs-latest:bochsbios"
  "/usr/share/vgabios/vgabios.bin:vgabios"
  "/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so.0.0.0:bochs-term"
  "qemu-system-x86_64:qemu-system-x86"
  "/usr/share/OVMF/OVMF_CODE_4M.fd:ovmf"
  "/usr/share/seabios/bios-256k.bin:seabios"
  "/usr/include/catch2/catch.hpp:catch2"
  "timeout:coreutils"
  "cpio:cpio"
  "dpkg-deb:dpkg"
  "gzip:gzip"
)

have() {
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

install_missing_packages() {
  local missing=() entry tool package
  for entry in "${REQUIRED_TOOLS[@]}"; do
    tool=${entry%%:*}
    package=${entry#*:}
    have "$tool" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing missing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
    { echo "setup: apt-get could not install: ${missing[*]}" >&2; return 1; }
  for entry in "${REQUIRED_TOOLS[@]}"; do
    have "${entry%%:*}" || { echo "setup: ${entry%%:*} still missing after installing ${entry#*:}" >&2; return 1; }
  done
}

configure_and_build() {
  mkdir -p "$BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$BUILD_DIR/configure.log" 2>&1 ||
    { cat "$BUILD_DIR/configure.log" >&2; echo "setup: cmake configure failed" >&2; return 1; }
  cmake --build "$BUILD_DIR" -j "$(nproc)" ||
    { echo "setup: build failed" >&2; return 1; }
}
