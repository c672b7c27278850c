#!/usr/bin/env bash
# Builds the release package: every target's library (default: all five), copied under its
# versioned release name, MANIFEST.XML, and the ZIP a 1C developer loads into a common template.
#
#   bash .ci/package/build.sh               # all five -> target/package/SocketIO1C_<ver>.zip
#   bash .ci/package/build.sh lin64 win64   # a subset (the ZIP then holds only these)
#
# Output: target/package/bin/<release names>, target/package/MANIFEST.XML, the ZIP, and
# target/package/timings.txt (seconds per step). Installs what it needs first (setup.sh).
# Heavy steps run under `nice -n 19`: the machine's two cores are shared.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keys=("$@")
[ ${#keys[@]} -gt 0 ] || keys=("${ALL_KEYS[@]}")

section "setup (${keys[*]})"
timed "setup ${keys[*]}" bash .ci/package/setup.sh "${keys[@]}"

# Debian's Rust, building std for the target from source (rustup cannot add targets here).
debian_env=(env RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo RUSTC_BOOTSTRAP=1)

build_one() {
  local key=$1 t dir
  t=$(rust_target "$key")
  dir=$(target_dir "$key")
  case "$(toolchain "$key"),$(manifest_os "$key")" in
    rustup,Linux)
      nice -n 19 cargo zigbuild --release --lib --target "$t"
      ;;
    debian,Linux)
      CARGO_TARGET_DIR="$dir" nice -n 19 "${debian_env[@]}" \
        cargo-zigbuild zigbuild --release --lib -Zbuild-std --target "$t"
      ;;
    debian,Windows)
      # i686 links rsbegin.o/rsend.o from RTSTARTUP_DIR (setup.sh builds them).
      CARGO_TARGET_DIR="$dir" \
        CARGO_TARGET_I686_WIN7_WINDOWS_GNU_RUSTFLAGS="-L native=$RTSTARTUP_DIR" \
        nice -n 19 "${debian_env[@]}" /usr/bin/cargo build --release --lib -Zbuild-std --target "$t"
      ;;
    *) die "no recipe for $key" ;;
  esac
}

mkdir -p "$PKG_DIR/bin"
for key in "${keys[@]}"; do
  section "build $key: $(rust_target "$key")"
  timed "build $key ($(rust_target "$key"))" build_one "$key"
  cp "$(built_lib "$key")" "$(packaged_lib "$key")"
  ls -l "$(packaged_lib "$key")"
done

section "MANIFEST.XML and the ZIP"
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<bundle xmlns="http://v8.1c.ru/8.2/addin/bundle">'
  for key in "${ALL_KEYS[@]}"; do
    [ -f "$(packaged_lib "$key")" ] || continue
    has "$key" "${keys[@]}" || continue
    printf '  <component os="%s" path="%s" type="native" arch="%s"/>\n' \
      "$(manifest_os "$key")" "$(zip_file "$key")" "$(manifest_arch "$key")"
  done
  echo '</bundle>'
} >"$PKG_DIR/MANIFEST.XML"
cat "$PKG_DIR/MANIFEST.XML"
rm -f "$PKG_DIR/$ZIP_NAME"
files=("$PKG_DIR/MANIFEST.XML")
for key in "${keys[@]}"; do files+=("$(packaged_lib "$key")"); done
# -j: flat (MANIFEST.XML at the root, as 1C requires); -X: no Unix extra fields.
zip -q -j -X -9 "$PKG_DIR/$ZIP_NAME" "${files[@]}"
unzip -l "$PKG_DIR/$ZIP_NAME"
bash .ci/package/check-package.sh "${keys[@]}"
echo "package: $PKG_DIR/$ZIP_NAME"
