"""The Debian packages of the libraries the bundle leaves to the host, found and installed.

    python packaging/host_packages.py BUNDLE_DIR    # installs the missing ones, and names them

What the bundle takes from the host is read from its own ELF files (every library they link to
that no folder of the bundle carries: simfinder.gui.platform_libraries.libraries_from_host).
Debian's package index (apt-file) says which package holds each; the ones not installed are
installed with apt-get (as root; otherwise named, and the build stops). build.py runs this after
PyInstaller and builds the bundle once more when it installed something: PyInstaller carries the
less common libraries (the xcb utilities) from the build machine, so they must be there first.
The names the app gives users (HOST_PACKAGES) are checked against the same index.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simfinder.gui.platform_libraries import (  # noqa: E402
    HOST_PACKAGES,
    libraries_from_host,
)

NEED = REPO / "scripts" / "need-debian-packages.sh"
LIB_DIRS = ("/usr/lib/x86_64-linux-gnu/", "/lib/x86_64-linux-gnu/", "/usr/lib/", "/lib/")


def log(message: str) -> None:
    print(f"host_packages.py: {message}", file=sys.stderr, flush=True)


def elf_files(root: Path) -> list[Path]:
    out = []
    for p in root.rglob("*"):
        if p.is_file() and not p.is_symlink():
            with p.open("rb") as f:
                if f.read(4) == b"\x7fELF":
                    out.append(p)
    return out


def left_to_host(bundle: Path) -> set[str]:
    """The sonames the bundle's ELF files need that no folder of the bundle carries."""
    files = elf_files(bundle)
    return libraries_from_host(files, sorted({f.parent for f in files}))


def debian_packages(sonames: set[str]) -> dict[str, str]:
    """soname -> the Debian package that installs it in the machine's library folders,
    from Debian's file index (apt-file, installed and updated by the build)."""
    subprocess.run(["apt-file", "update"], check=True, capture_output=True)
    pattern = "/(" + "|".join(re.escape(s) for s in sorted(sonames)) + ")$"
    out = subprocess.run(["apt-file", "search", "--regexp", pattern], capture_output=True,
                         text=True, check=False).stdout
    found: dict[str, set[str]] = {}
    for line in out.splitlines():
        package, _, path = line.partition(": ")
        if f"{Path(path).parent}/" in LIB_DIRS:  # not a copy inside some program's folder
            found.setdefault(Path(path).name, set()).add(package)
    chosen = {}
    for soname in sonames:
        candidates = found.get(soname, set())
        known = HOST_PACKAGES.get(soname)
        if known is not None and candidates and known.debian not in candidates:
            raise SystemExit(f"host_packages.py: Debian installs {soname} with "
                             f"{' or '.join(sorted(candidates))}, but HOST_PACKAGES "
                             f"(simfinder/gui/platform_libraries.py) says {known.debian}")
        if candidates:
            # Several packages can ship one soname (a -dev package's copy, say): the plain
            # library package, whose name is the shortest, is the one to depend on.
            chosen[soname] = min(candidates, key=lambda p: (len(p), p))
    return chosen


def missing_packages(bundle: Path) -> list[str]:
    """The Debian packages of what the bundle leaves to the host that are not installed here."""
    sonames = left_to_host(bundle)
    packages = debian_packages(sonames)
    unknown = sorted(sonames - set(packages))
    if unknown:
        raise SystemExit(f"host_packages.py: no Debian package installs {' '.join(unknown)}")
    names = sorted(set(packages.values()))
    log(f"the bundle takes {len(sonames)} libraries from the host, in {len(names)} packages")
    return [p for p in names if not installed(p)]


def installed(package: str) -> bool:
    """Installed, not merely known to dpkg (a removed package keeps its configuration)."""
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                            text=True, check=False).stdout
    return status.endswith("install ok installed")


def install(packages: list[str]) -> None:
    subprocess.run([str(NEED), "build.py", *packages], check=True)


def main() -> int:
    missing = missing_packages(Path(sys.argv[1]).resolve())
    if missing:
        install(missing)
    print(" ".join(missing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
