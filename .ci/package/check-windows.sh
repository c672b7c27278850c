#!/usr/bin/env bash
# Checks each packaged Windows DLL (default: win32 win64) without running it:
#   - PE format and machine match the MANIFEST arch (pei-i386 / pei-x86-64);
#   - it exports exactly the five Native API functions, undecorated (cdecl on x86: no _f@N);
#   - it imports only from Windows system DLLs (everything else is linked in statically);
#   - none of the functions that Windows 7 lacks is imported directly (the win7 targets load
#     them at run time when present): 1C supports Windows 7 and later.
#
#   bash .ci/package/check-windows.sh [win32|win64]...
# Uses the mingw-w64 objdump.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# System DLLs present on every Windows 7+ machine.
ALLOWED_DLLS='^(kernel32|advapi32|bcrypt|msvcrt|ntdll|userenv|ws2_32|secur32|crypt32|ncrypt|shell32|ole32|user32)\.dll$'
# Windows 8+ only: a static import of any of these fails to load on Windows 7.
WIN8_ONLY='^(ProcessPrng|GetSystemTimePreciseAsFileTime|WaitOnAddress|WakeByAddressSingle|WakeByAddressAll|SetThreadDescription|GetThreadDescription)$'

keys=("$@")
[ ${#keys[@]} -gt 0 ] || keys=(win32 win64)

for key in "${keys[@]}"; do
  check_begin "$key"
  dump=$(x86_64-w64-mingw32-objdump -p "$lib")

  format=$(sed -n 's/.*file format //p' <<<"$dump" | head -n1)
  want=$([ "$(manifest_arch "$key")" = i386 ] && echo pei-i386 || echo pei-x86-64)
  [ "$format" = "$want" ] && echo "ok   format: $format" || fail "format: $format, expected $want"

  # The export name table: lines "[   n] Name" after "[Ordinal/Name Pointer] Table".
  exports=$(sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' <<<"$dump" | sed -n 's/^\s*\[ *[0-9]*\] //p' \
    | sort | tr '\n' ' ')
  check_exports "$exports"

  dlls=$(sed -n 's/^\s*DLL Name: //p' <<<"$dump" | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')
  bad=$(tr ' ' '\n' <<<"$dlls" | grep -Ev "$ALLOWED_DLLS" | grep . || true)
  [ -z "$bad" ] && echo "ok   imports only system DLLs: $dlls" || fail "imports non-system DLLs: $bad"

  # Imported function names: the "<vma> <hint> <name>" lines of the import tables.
  funcs=$(sed -n '/The Import Tables/,/^The Export Tables\|^There is an export/p' <<<"$dump" \
    | awk 'NF == 3 && $1 ~ /^[0-9a-f]+$/ && $2 ~ /^[0-9]+$/ {print $3}' | sort -u)
  win8=$(grep -E "$WIN8_ONLY" <<<"$funcs" || true)
  [ -z "$win8" ] && echo "ok   no Windows 8+ imports ($(wc -l <<<"$funcs") functions imported)" \
    || fail "imports functions Windows 7 lacks: $(tr '\n' ' ' <<<"$win8")"
done
exit $failed
