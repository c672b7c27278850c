#!/usr/bin/env bash
# The full release command: builds all five binaries and the ZIP (build.sh, which also checks
# the ZIP, the glibc 2.17 limit, NODELETE, exports and imports), then runs every binary in a
# host of its platform against a real socket.io server (run-hosts.sh).
#
#   bash .ci/package/release.sh
#
# Output: target/package/SocketIO1C_<version>.zip; timings in target/package/timings.txt.
# Measured: 15-20 min on the 2-core machine (almost all of it building; std is built from source
# for four targets), of which the runs take about 40 s.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rm -f "$PKG_DIR/timings.txt"
timed "build.sh (all five, ZIP, static checks)" bash .ci/package/build.sh
timed "run-hosts.sh (all five)" bash .ci/package/run-hosts.sh
echo "--- timings (s)"
cat "$PKG_DIR/timings.txt"
echo "release.sh: $(($(date +%s) - START)) s in all"
