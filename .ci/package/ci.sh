#!/usr/bin/env bash
# The reduced form of release.sh for every CI run (the full form takes too long for CI's
# two cores): the Linux x86_64 glibc-2.17 library and the Windows x64 DLL are built, packaged
# (ZIP + MANIFEST.XML checks, glibc symbol limit, NODELETE, exports/imports) and run against
# the real socket.io server: natively and under Wine. The other three targets are covered by
# release.sh, which a release must pass.
#
#   bash .ci/package/ci.sh        # called from .ci/run
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rm -f "$PKG_DIR/timings.txt"
timed "build.sh lin64 win64" bash .ci/package/build.sh lin64 win64
timed "run-hosts.sh lin64 win64" bash .ci/package/run-hosts.sh lin64 win64
echo "--- timings (s)"
cat "$PKG_DIR/timings.txt"
echo "ci.sh: $(($(date +%s) - START)) s in all"
