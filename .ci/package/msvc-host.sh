#!/usr/bin/env bash
# Builds the Windows test host whose ABI a compiler lays out (tests/msvc_host/): C++ compiled by
# clang for the MSVC ABI, freestanding (no MSVC CRT or Windows SDK here), linked by lld-link
# against import libraries made from tests/msvc_host/*.def.in. Prints the .exe's path.
#
#   bash .ci/package/msvc-host.sh win64     # -> target/package/msvc-host/host-win64.exe
#   bash .ci/package/msvc-host.sh win32     # -> target/package/msvc-host/host-win32.exe
#
# Recipe and why: shared/docs/build-targets.md, "A Windows host whose ABI a compiler generates".
# Needs clang-16, lld-16 and llvm-16 (setup.sh installs them for win64 and win32).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

key=${1:?usage: msvc-host.sh win64|win32}
case $key in
  win64) triple=x86_64-pc-windows-msvc machine=i386:x86-64 ;;
  win32) triple=i686-pc-windows-msvc machine=i386 ;;
  *) die "msvc-host.sh: no MSVC host for '$key'" ;;
esac

SRC="$ROOT/tests/msvc_host"
OUT="$PKG_DIR/msvc-host/$key"
mkdir -p "$OUT"

# An import library per DLL the host calls (kernel32, crypt32), from its NAME.def.in list: plain
# names on x64; on x86 the stdcall names as the compiler references them (NAME@BYTES), and `-k`
# makes the library import them by their plain names, as the DLL exports them.
libs=()
for list in "$SRC"/*.def.in; do
  dll=$(basename "$list" .def.in)
  {
    echo "LIBRARY $dll.dll"
    echo "EXPORTS"
    grep -v '^;' "$list" | while read -r name bytes; do
      [ -n "$name" ] || continue
      if [ $key = win32 ]; then echo "  $name@$bytes"; else echo "  $name"; fi
    done
  } >"$OUT/$dll.def"
  dlltool=(llvm-dlltool-16 -m "$machine" -d "$OUT/$dll.def" -l "$OUT/$dll.lib")
  [ $key = win32 ] && dlltool+=(-k)
  "${dlltool[@]}"
  libs+=("$OUT/$dll.lib")
done

# -ffreestanding -nostdlib: no CRT; -fno-exceptions -fno-rtti: nothing that needs its support;
# -fno-threadsafe-statics: no _Init_thread_* calls; -mno-stack-arg-probe: frames stay small, and
# no __chkstk to call if one does not.
flags=(--target="$triple" -std=c++17 -O1 -fms-extensions -ffreestanding -nostdlib -fno-exceptions -fno-rtti
  -fno-threadsafe-statics -mno-stack-arg-probe -Wall -Wextra -Werror)
objs=()
for src in freestanding platform host; do
  clang++-16 "${flags[@]}" -c "$SRC/$src.cpp" -o "$OUT/$src.obj"
  objs+=("$OUT/$src.obj")
done
lld-link-16 /nologo /entry:start /subsystem:console /nodefaultlib "/out:$OUT/host-$key.exe" "${objs[@]}" \
  "${libs[@]}"
echo "$OUT/host-$key.exe"
