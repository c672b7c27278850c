#!/usr/bin/env bash
# Checks each packaged Linux library (default: lin32 lin64 linarm64) without running it:
#   - architecture (ELF machine) matches the MANIFEST arch;
#   - the newest GLIBC_x.y symbol version it needs is at most 2.17 (loads on CentOS 7 and
#     every newer distribution) -- prints it, fails above;
#   - FLAGS_1 has NODELETE (-z nodelete: dlclose never unmaps code under async-std's threads);
#   - it exports exactly the five Native API functions and needs only libc-family libraries.
#
#   bash .ci/package/check-linux.sh [lin32|lin64|linarm64]...
# Uses readelf (binutils), which reads ELF files of every architecture.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MAX_GLIBC=2.17
# What every glibc system has; anything else would have to be installed next to 1C.
ALLOWED_NEEDED='^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libgcc_s\.so\.1|ld-linux[-a-z0-9_.]*\.so\.[0-9])$'

keys=("$@")
[ ${#keys[@]} -gt 0 ] || keys=(lin32 lin64 linarm64)

for key in "${keys[@]}"; do
  check_begin "$key"

  machine=$(readelf -h "$lib" | sed -n 's/^ *Machine: *//p')
  case "$(manifest_arch "$key")" in
    x86_64) want='Advanced Micro Devices X86-64' ;;
    i386) want='Intel 80386' ;;
    ARM64) want='AArch64' ;;
  esac
  [ "$machine" = "$want" ] && echo "ok   machine: $machine" || fail "machine: $machine, expected $want"

  newest=$(readelf -V -W "$lib" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
  if [ -n "$newest" ] && [ "$(printf '%s\n' "$newest" "$MAX_GLIBC" | sort -V | tail -n1)" = "$MAX_GLIBC" ]; then
    echo "ok   newest glibc symbol version: GLIBC_$newest (limit $MAX_GLIBC)"
  else
    fail "newest glibc symbol version: GLIBC_${newest:-none} (limit $MAX_GLIBC)"
    readelf -V -W "$lib" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tr '\n' ' '
    echo
  fi

  flags=$(readelf -d -W "$lib" | sed -n "s/.*(FLAGS_1) *Flags: *//p")
  [[ " $flags " =~ " NODELETE " ]] && echo "ok   FLAGS_1: $flags" || fail "FLAGS_1 '$flags' lacks NODELETE"

  # Defined, global, default-visibility functions = the exports.
  exports=$(readelf --dyn-syms -W "$lib" | awk '$4 == "FUNC" && $5 == "GLOBAL" && $7 != "UND" {print $8}' \
    | sed 's/@.*//' | sort | tr '\n' ' ')
  check_exports "$exports"

  needed=$(readelf -d -W "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  bad=$(tr ' ' '\n' <<<"$needed" | grep -Ev "$ALLOWED_NEEDED" | grep . || true)
  [ -z "$bad" ] && echo "ok   needs only: $needed" || fail "needs libraries outside glibc: $bad"
done
exit $failed
