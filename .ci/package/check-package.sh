#!/usr/bin/env bash
# Checks target/package/SocketIO1C_<ver>.zip: MANIFEST.XML (well-formed, bundle namespace, one
# native component per built target, versioned file names) and the binaries in it, then the
# binaries themselves (check-linux.sh, check-windows.sh).
#
#   bash .ci/package/check-package.sh               # expects all five targets
#   bash .ci/package/check-package.sh lin64 win64   # expects exactly these
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keys=("$@")
[ ${#keys[@]} -gt 0 ] || keys=("${ALL_KEYS[@]}")

zip="$PKG_DIR/$ZIP_NAME"
[ -f "$zip" ] || die "$zip not found: run .ci/package/build.sh first"
xmllint --noout "$PKG_DIR/MANIFEST.XML"
expected=()
linux=()
windows=()
for key in "${keys[@]}"; do
  expected+=("$(manifest_os "$key")/$(manifest_arch "$key")")
  if is_linux "$key"; then linux+=("$key"); else windows+=("$key"); fi
done
python3 .ci/package/check_package.py "$zip" "$VERSION" "${expected[@]}"
[ ${#linux[@]} -eq 0 ] || bash .ci/package/check-linux.sh "${linux[@]}"
[ ${#windows[@]} -eq 0 ] || bash .ci/package/check-windows.sh "${windows[@]}"
