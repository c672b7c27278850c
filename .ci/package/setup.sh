#!/usr/bin/env bash
# Installs what building and cross-running the release package needs, for the given targets
# (default: all five), and nothing that is already there: a second run takes a second.
#
#   bash .ci/package/setup.sh                 # everything
#   bash .ci/package/setup.sh lin64 win64     # only what these two targets need
#
# Sources: Debian apt (cross compilers, mingw-w64, Debian's Rust with its std source, qemu-user,
# Wine), PyPI (ziglang and cargo-zigbuild wheels: prebuilt, seconds instead of minutes of
# `cargo install`), npm (the test server's packages). Why each: shared/docs/build-targets.md.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keys=("$@")
[ ${#keys[@]} -gt 0 ] || keys=("${ALL_KEYS[@]}")

# ---- Debian packages ------------------------------------------------------------------------
want=(binutils zip unzip libxml2-utils openssl g++)
# Node may come from elsewhere than Debian (with its own npm): ask for the commands.
command -v node >/dev/null || want+=(nodejs)
command -v npm >/dev/null || want+=(npm)
debian_rust=(rustc-web cargo-web rust-web-src)
for key in "${keys[@]}"; do
  [ -n "${TARGET[$key]:-}" ] || die "unknown target '$key' (known: ${ALL_KEYS[*]})"
  [ "$(toolchain "$key")" = debian ] && want+=("${debian_rust[@]}")
  case $key in
    lin32) want+=(gcc-i686-linux-gnu g++-i686-linux-gnu libc6-dev-i386-cross) ;;
    linarm64) want+=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user) ;;
    win64) want+=(mingw-w64 wine wine64 clang-16 lld-16 llvm-16) ;;
    win32) want+=(mingw-w64 clang-16 lld-16 llvm-16) ;;
  esac
done
missing=()
for p in $(printf '%s\n' "${want[@]}" | sort -u); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "apt: installing ${missing[*]}"
  # Other jobs on the machine may hold the dpkg lock for a while: wait for it, do not fail.
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "apt: all present"
fi

# ---- zig and cargo-zigbuild (the glibc 2.17 Linux builds) -----------------------------------
if has lin32 "${keys[@]}" || has lin64 "${keys[@]}" || has linarm64 "${keys[@]}"; then
  if python3 -m ziglang version >/dev/null 2>&1 && command -v cargo-zigbuild >/dev/null; then
    echo "zig $(python3 -m ziglang version), $(cargo-zigbuild --version): present"
  else
    echo "pip: installing ziglang and cargo-zigbuild"
    python3 -m pip install -q ziglang==0.17.1 cargo-zigbuild==0.24.1
    command -v cargo-zigbuild >/dev/null || die "cargo-zigbuild is not on PATH after pip install ($PATH)"
  fi
fi

# ---- rsbegin.o / rsend.o for i686 Windows ---------------------------------------------------
# rustup ships these per target; Debian's Rust does not, and -Zbuild-std does not build them.
if has win32 "${keys[@]}" && [ ! -s "$RTSTARTUP_DIR/rsend.o" ]; then
  src=$(ls -d /usr/src/rustc-*/library/rtstartup 2>/dev/null | sort -V | tail -n1)
  [ -n "$src" ] || die "no /usr/src/rustc-*/library/rtstartup: is rust-web-src installed?"
  mkdir -p "$RTSTARTUP_DIR"
  for f in rsbegin rsend; do
    RUSTC_BOOTSTRAP=1 /usr/bin/rustc --target i686-win7-windows-gnu --emit=obj -O -C panic=abort \
      -o "$RTSTARTUP_DIR/$f.o" "$src/$f.rs"
  done
  echo "built $RTSTARTUP_DIR/{rsbegin,rsend}.o from $src"
fi

# ---- a private 32-bit Wine for the Windows x86 DLL (wine32.sh says why it is private) ------
if has win32 "${keys[@]}"; then
  echo "wine32: $(bash .ci/package/wine32.sh)"
fi

# ---- the socket.io test server --------------------------------------------------------------
if [ ! -d tests/servers/node_modules/socket.io ]; then
  npm ci --prefix tests/servers --no-audit --no-fund
fi
