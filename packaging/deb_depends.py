"""The Depends of the .deb: the Debian packages of the libraries the bundle takes from the host.

    python3 packaging/deb_depends.py BUNDLE_DIR

dpkg-shlibdeps names a package (with its minimum version) for every library an ELF file needs;
but for a library the bundle carries itself it still names the system package that has the same
library, since the bundle's copy belongs to no package. So: run it on all of the bundle's ELF
files, excluding (-x) the packages whose libraries the bundle carries, unless the bundle also
needs some other library of theirs from the host. Prints the Depends value.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from host_packages import elf_files  # beside this file: the bundle's ELF files, one way


def needed(path: Path) -> list[str]:
    text = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True,
                          check=False).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", text)


def system_libraries() -> dict[str, str]:
    """soname -> path, for the host's x86-64 libraries (ldconfig's cache)."""
    text = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    found: dict[str, str] = {}
    for m in re.finditer(r"^\s+(\S+) \(libc6,x86-64[^)]*\) => (\S+)$", text, re.MULTILINE):
        found.setdefault(m.group(1), m.group(2))
    return found


def owner(path: str) -> str | None:
    for candidate in {path, os.path.realpath(path), path.replace("/usr/lib/", "/lib/", 1),
                      path.replace("/lib/", "/usr/lib/", 1)}:
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True, check=False)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].strip()
    return None


def main() -> int:
    root = Path(sys.argv[1]).resolve()
    files = elf_files(root)
    carried = {p.name for p in root.rglob("*.so*")}
    wanted = {name for f in files for name in needed(f)}
    system = system_libraries()
    host = {owner(system[n]) for n in wanted - carried if n in system}
    missing = sorted(n for n in wanted - carried if n not in system)
    if missing:
        print(f"deb_depends.py: not in the bundle nor on this system: {' '.join(missing)}",
              file=sys.stderr)
        return 1
    shadowed = {owner(system[n]) for n in carried & wanted if n in system} - host - {None}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "debian").mkdir()
        Path(tmp, "debian", "control").write_text(
            "Source: simfinder\n\nPackage: simfinder\nArchitecture: amd64\n")
        r = subprocess.run(
            ["dpkg-shlibdeps", "-O", "--ignore-missing-info", f"-l{root}",
             *(f"-x{p}" for p in sorted(shadowed)), *(str(f) for f in files)],
            capture_output=True, text=True, cwd=tmp, check=False)
    if r.returncode:
        print(r.stderr, file=sys.stderr)
        return 1
    print(r.stdout.strip().removeprefix("shlibs:Depends="))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
