# Shared settings of the release-package scripts; sourced, not run:
#   . "$(dirname "$0")/lib.sh"
# Defines the five package targets (what each is built with, where the binary lands, its name in
# the ZIP and its MANIFEST.XML attributes) and the helpers the other scripts use.
# Recipes: shared/docs/build-targets.md.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
export CARGO_TERM_COLOR=never
export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
# pip puts cargo-zigbuild into the interpreter's scripts directory, which pyenv only shims after
# a rehash: look there directly.
PY_SCRIPTS=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)
[ -z "$PY_SCRIPTS" ] || export PATH="$PATH:$PY_SCRIPTS"

# The crate version, e.g. 0.1.0, and its file-name form 0_1_0: 1C caches an extracted binary
# by its name only, so every release must carry its version in each name.
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n1)
VERSION_US=${VERSION//./_}
PKG_DIR="$ROOT/target/package"
ZIP_NAME="SocketIO1C_$VERSION_US.zip"

# Every target: KEY -> "rust-target|toolchain|target-dir|file in the ZIP|MANIFEST os|MANIFEST arch"
#   toolchain: rustup  = the machine's rustup toolchain (has std for x86_64 Linux);
#              debian  = Debian's rustc/cargo with -Zbuild-std (rustup cannot add targets here).
# Linux targets carry cargo-zigbuild's ".2.17" suffix: link against glibc 2.17 symbols so the
# library loads on CentOS 7 / Ubuntu 16.04-era 1C servers, not only on Debian 12.
declare -A TARGET=(
  [lin64]="x86_64-unknown-linux-gnu.2.17|rustup|target|libSocketIO1C_Lin64_$VERSION_US.so|Linux|x86_64"
  [lin32]="i686-unknown-linux-gnu.2.17|debian|target/x|libSocketIO1C_Lin32_$VERSION_US.so|Linux|i386"
  [linarm64]="aarch64-unknown-linux-gnu.2.17|debian|target/x|libSocketIO1C_LinArm64_$VERSION_US.so|Linux|ARM64"
  [win64]="x86_64-win7-windows-gnu|debian|target/win|SocketIO1C_Win64_$VERSION_US.dll|Windows|x86_64"
  [win32]="i686-win7-windows-gnu|debian|target/win|SocketIO1C_Win32_$VERSION_US.dll|Windows|i386"
)
# MANIFEST.XML order: Windows first (most 1C clients), then Linux.
ALL_KEYS=(win32 win64 lin32 lin64 linarm64)

# field KEY N: the N-th (1-based) field of TARGET[KEY].
field() { cut -d'|' -f"$2" <<<"${TARGET[$1]}"; }
rust_target() { field "$1" 1; }
toolchain() { field "$1" 2; }
target_dir() { field "$1" 3; }
zip_file() { field "$1" 4; }
manifest_os() { field "$1" 5; }
manifest_arch() { field "$1" 6; }
is_linux() { [ "$(manifest_os "$1")" = Linux ]; }
# has WORD LIST...: WORD is one of LIST.
has() {
  local w=$1 x
  shift
  for x; do [ "$x" = "$w" ] && return 0; done
  return 1
}

# The library cargo writes for KEY (the zigbuild suffix is not part of the directory name).
built_lib() {
  local t
  t=$(rust_target "$1")
  t=${t%.2.17}
  if is_linux "$1"; then
    echo "$ROOT/$(target_dir "$1")/$t/release/libsocketio1c.so"
  else
    echo "$ROOT/$(target_dir "$1")/$t/release/socketio1c.dll"
  fi
}

# The binary as packaged (a copy under its release name).
packaged_lib() { echo "$PKG_DIR/bin/$(zip_file "$1")"; }

# Where the hand-built rsbegin.o/rsend.o for i686 Windows live (rustup ships them; Debian
# does not).
RTSTARTUP_DIR="$ROOT/target/win/rtstartup-i686"

START=${START:-$(date +%s)}
section() {
  printf '\n===== [+%ss] %s\n' "$(($(date +%s) - START))" "$*"
}

# Runs "$@" and records "<seconds> <label>" in $PKG_DIR/timings.txt.
timed() {
  local label=$1 t0 rc=0
  shift
  t0=$(date +%s)
  "$@" || rc=$?
  mkdir -p "$PKG_DIR"
  printf '%5ss  %s%s\n' "$(($(date +%s) - t0))" "$label" "$([ $rc = 0 ] || echo " (FAILED, exit $rc)")" \
    | tee -a "$PKG_DIR/timings.txt"
  return $rc
}

die() {
  echo "error: $*" >&2
  exit 1
}

# --- For the static checks of a packaged library (check-linux.sh, check-windows.sh).

# The functions a Native API library exports, exactly (sorted, space-separated).
NATIVE_API_EXPORTS="DestroyObject GetAttachType GetClassNames GetClassObject SetPlatformCapabilities"

# Records a failed check and goes on; the check script ends with `exit $failed`.
failed=0
fail() {
  echo "FAIL $*"
  failed=1
}

# Sets $lib to the packaged library of target $1 and names it; dies when it is not built.
check_begin() {
  lib=$(packaged_lib "$1")
  [ -f "$lib" ] || die "$lib not found: build $1 first"
  echo "== $1: $(basename "$lib"), $(stat -c %s "$lib") bytes"
}

# Compares the exports found ($1: the sorted names, each followed by a space) with the Native API's.
check_exports() {
  [ "$1" = "$NATIVE_API_EXPORTS " ] && echo "ok   exports: $1" \
    || fail "exports: '${1:0:300}', expected '$NATIVE_API_EXPORTS'"
}
