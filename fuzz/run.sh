#!/usr/bin/env bash
# Runs every fuzz target of socketio1c for a bounded time each, one after the other.
#
#   fuzz/run.sh            # 20 s per target (what CI runs)
#   fuzz/run.sh 600        # 10 min per target, by hand
#   fuzz/run.sh 60 json    # only the named targets
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). New inputs
# that raise coverage go to fuzz/corpus/<target>/ (ignored by git, except the seed-* files);
# a crash stops the script with libFuzzer's report and the input in fuzz/artifacts/<target>/.
# Prints the executions of each target at the end.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
summary=()
for t in "${targets[@]}"; do
    log="$(mktemp)"
    # -rss_limit_mb: the decoders must not allocate without a bound taken from the input;
    # -max_len: inputs up to 64 KiB, enough to reach every limit scaled down in the targets.
    if ! cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz target $t FAILED (log above)"
        exit 1
    fi
    runs="$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1 | grep -o '[0-9]*' || echo '?')"
    summary+=("$t: $runs executions in ${secs}s")
    rm -f "$log"
done
printf 'fuzz: %s\n' "${summary[@]}"
