#!/usr/bin/env bash
# The reduced form of release.sh for every CI run (the full form takes 15-20 min of CI's two
# cores): by default the Linux x86_64 glibc-2.17 library and the Windows x64 DLL -- one binary
# per vtable ABI (Itanium, MSVC) -- are built, packaged (ZIP + MANIFEST.XML checks, glibc symbol
# limit, NODELETE, exports/imports) and run against the real socket.io server, natively and
# under Wine (measured: about 4 min once the packages are installed). The other three targets
# are covered by release.sh, which a release must pass.
#
#   bash .ci/package/ci.sh            # lin64 + win64 (called from .ci/run)
#   bash .ci/package/ci.sh lin64      # the quickest form: no Debian Rust, mingw or Wine needed
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keys=("$@")
[ ${#keys[@]} -gt 0 ] || keys=(lin64 win64)
rm -f "$PKG_DIR/timings.txt"
timed "build.sh ${keys[*]}" bash .ci/package/build.sh "${keys[@]}"
timed "run-hosts.sh ${keys[*]}" bash .ci/package/run-hosts.sh "${keys[@]}"
echo "--- timings (s)"
cat "$PKG_DIR/timings.txt"
echo "ci.sh: $(($(date +%s) - START)) s in all"
