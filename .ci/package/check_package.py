#!/usr/bin/env python3
"""Checks the release ZIP the way 1C reads it: MANIFEST.XML at the root, in the bundle namespace,
one native component per expected platform, each pointing at a file that is in the ZIP and whose
name carries the crate version; nothing else in the ZIP.

    python3 .ci/package/check_package.py ZIP VERSION OS/ARCH...
    e.g. check_package.py target/package/SocketIO1C_0_1_0.zip 0.1.0 Windows/i386 Linux/x86_64

Called by check-package.sh (which knows the targets); prints one line per check, exits 1 on any
failure.
"""
import sys
import xml.etree.ElementTree as ET
import zipfile

NS = "http://v8.1c.ru/8.2/addin/bundle"
OS_VALUES = {"Windows", "Linux", "MacOS", "iOS", "Android", "WindowsRuntime"}
ARCH_VALUES = {"i386", "x86_64", "ARM", "ARM64", "E2K", "Universal"}
# First bytes of the binary each platform loads: PE ("MZ") or ELF.
MAGIC = {"Windows": b"MZ", "Linux": b"\x7fELF"}


def main() -> int:
    zip_path, version, *expected = sys.argv[1:]
    failures = 0

    def check(ok: bool, what: str) -> None:
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        failures += 0 if ok else 1

    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        check("MANIFEST.XML" in names, f"MANIFEST.XML at the root of {zip_path}")
        root = ET.fromstring(z.read("MANIFEST.XML"))
        check(root.tag == f"{{{NS}}}bundle", f"root element is bundle in {NS} (got {root.tag})")
        comps = root.findall(f"{{{NS}}}component")
        check(len(comps) == len(list(root)), "every child of bundle is a component")
        seen = []
        for c in comps:
            a = c.attrib
            os_, arch, path = a.get("os"), a.get("arch"), a.get("path", "")
            seen.append(f"{os_}/{arch}")
            check(os_ in OS_VALUES and arch in ARCH_VALUES and a.get("type") == "native",
                  f"component {os_}/{arch} type={a.get('type')}")
            check(path in names and "/" not in path, f"  {path} is in the ZIP, at the root")
            check(version.replace(".", "_") in path, f"  {path} carries the version {version}")
            if path in names:
                head = z.read(path)[:4]
                check(head.startswith(MAGIC.get(os_, b"?")), f"  {path} is a {os_} binary")
        check(sorted(seen) == sorted(expected), f"platforms {sorted(seen)} == {sorted(expected)}")
        check(len(set(seen)) == len(seen), "no platform listed twice")
        listed = {c.get("path") for c in comps} | {"MANIFEST.XML"}
        check(set(names) == listed, f"nothing in the ZIP but MANIFEST.XML and the listed binaries: {names}")
    print(f"{failures} failed" if failures else "package OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
