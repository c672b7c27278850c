#!/usr/bin/env bash
# Prepares a private 32-bit Wine to run the Windows x86 DLL, and prints its loader's path.
#
#   bash .ci/package/wine32.sh          # -> .../target/wine32/root/usr/lib/wine/wine
#   bash .ci/package/wine32.sh --zlib   # -> the unpacked zlib1.dll (for the prefix)
#
# Why not `dpkg --add-architecture i386 && apt-get install wine32:i386`: with i386 enabled, every
# later `apt-get update` on the machine also fetches the i386 indexes, and this mirror's
# bookworm-security i386 index fails its size check, so every other job's `apt-get update`
# would start failing. Instead: Debian's wine32:i386 and libwine:i386 packages are downloaded
# with a private apt state (the machine's own sources, plus i386) and unpacked with `dpkg -x`
# into target/wine32/root; the 32-bit system libraries they need at start come from the
# ordinary amd64 packages libc6-i386 and lib32gcc-s1 (/lib/ld-linux.so.2, /lib32, /usr/lib32).
# Wine finds its DLLs relative to its own binary, so the unpacked tree works where it is.
# Idempotent: a second run only prints the path.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

W="$ROOT/target/wine32"
loader="$W/root/usr/lib/wine/wine"
zlib="$W/root/usr/lib/i386-linux-gnu/wine/i386-windows/zlib1.dll"
# --zlib: the path of the unpacked zlib1.dll instead (run-hosts.sh puts a copy into the prefix).
[ "${1:-}" = --zlib ] && out=$zlib || out=$loader
if [ -x "$loader" ] && [ -f "$zlib" ]; then
  echo "$out"
  exit 0
fi

need=()
for p in libc6-i386 lib32gcc-s1; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need[@]}" >&2 \
    || { apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 &&
      apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need[@]}" >&2; }
fi

rm -rf "$W/apt" "$W/debs" "$W/root"
mkdir -p "$W/apt/lists/partial" "$W/apt/cache/archives/partial" "$W/debs" "$W/root"
apt_private=(-o APT::Architectures::=amd64 -o APT::Architectures::=i386
  -o "Dir::State::Lists=$W/apt/lists" -o "Dir::Cache=$W/apt/cache")
# An i386 index that fails to download (see above) only matters if wine32 then has no candidate.
apt-get "${apt_private[@]}" update -qq >&2 || echo "apt-get update (private, +i386): some indexes failed" >&2
(cd "$W/debs" && apt-get "${apt_private[@]}" download wine32:i386 libwine:i386 libz-mingw-w64 >&2)
for deb in "$W"/debs/*.deb; do dpkg -x "$deb" "$W/root"; done
# Wine's user32 imports zlib1.dll from its own DLL directory; Debian links it there from the
# system's libz-mingw-w64, which is not installed: put the unpacked copy in place.
cp "$W/root/usr/i686-w64-mingw32/lib/zlib1.dll" "$W/root/usr/lib/i386-linux-gnu/wine/i386-windows/zlib1.dll"
rm -rf "$W/apt" "$W/debs"
[ -x "$loader" ] || die "no $loader after unpacking wine32"
echo "$out"
