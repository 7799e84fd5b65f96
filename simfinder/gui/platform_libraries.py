"""The system libraries Qt's window needs from the host, checked before the window is made.

On Linux Qt draws through a platform plugin (xcb for X11 and XWayland, wayland for Wayland).
The PySide6 wheel and the app bundle leave some of what the plugin links to the host; Qt 6.5 and
later need libxcb-cursor0, which many desktops lack, and minimal installs lack more. When one
is missing Qt prints "Could not load the Qt platform plugin" and aborts. Here the plugin's
libraries are read from its ELF headers (and from those of the Qt libraries it brings), the
ones neither Qt nor the system can load are named, and one line says how to install them.

    python -m simfinder.gui.platform_libraries     # exit 1 and that line when something is missing
    python -m simfinder.gui.platform_libraries --debian-packages   # what apt-get would install
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

log = logging.getLogger(__name__)

# Always on a Linux system (glibc and the C++ runtime): never named as missing.
C_RUNTIME = re.compile(r"^(ld-linux[-\w.]*|lib(c|m|dl|pthread|rt|util|gcc_s|stdc\+\+)\.so[.\d]*)$")


@dataclass(frozen=True)
class Packages:
    """The packages that hold one library on each family of distributions."""

    debian: str  # Debian, Ubuntu, Mint (apt)
    fedora: str  # Fedora, RHEL (dnf)
    opensuse: str  # openSUSE (zypper)
    arch: str  # Arch, Manjaro (pacman)


# Every library Qt's xcb and wayland platforms (and the Qt libraries they load) take from the
# host. tests/test_platform_libraries.py checks that this covers what the installed PySide6
# really links to; packaging/host_packages.py checks the Debian names against Debian's own index.
HOST_PACKAGES: Mapping[str, Packages] = {
    "libxcb-cursor.so.0": Packages("libxcb-cursor0", "xcb-util-cursor", "libxcb-cursor0",
                                   "xcb-util-cursor"),
    "libxcb-icccm.so.4": Packages("libxcb-icccm4", "xcb-util-wm", "libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": Packages("libxcb-keysyms1", "xcb-util-keysyms", "libxcb-keysyms1",
                                    "xcb-util-keysyms"),
    "libxcb-image.so.0": Packages("libxcb-image0", "xcb-util-image", "libxcb-image0",
                                  "xcb-util-image"),
    "libxcb-render-util.so.0": Packages("libxcb-render-util0", "xcb-util-renderutil",
                                        "libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": Packages("libxcb-util1", "xcb-util", "libxcb-util1", "xcb-util"),
    "libxcb.so.1": Packages("libxcb1", "libxcb", "libxcb1", "libxcb"),
    "libxcb-randr.so.0": Packages("libxcb-randr0", "libxcb", "libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": Packages("libxcb-render0", "libxcb", "libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": Packages("libxcb-shape0", "libxcb", "libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": Packages("libxcb-shm0", "libxcb", "libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": Packages("libxcb-sync1", "libxcb", "libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": Packages("libxcb-xfixes0", "libxcb", "libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": Packages("libxcb-xkb1", "libxcb", "libxcb-xkb1", "libxcb"),
    "libX11.so.6": Packages("libx11-6", "libX11", "libX11-6", "libx11"),
    "libX11-xcb.so.1": Packages("libx11-xcb1", "libX11-xcb", "libX11-xcb1", "libx11"),
    "libxkbcommon.so.0": Packages("libxkbcommon0", "libxkbcommon", "libxkbcommon0",
                                  "libxkbcommon"),
    "libxkbcommon-x11.so.0": Packages("libxkbcommon-x11-0", "libxkbcommon-x11",
                                      "libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libGL.so.1": Packages("libgl1", "libglvnd-glx", "libGL1", "libglvnd"),
    "libEGL.so.1": Packages("libegl1", "libglvnd-egl", "libEGL1", "libglvnd"),
    "libfontconfig.so.1": Packages("libfontconfig1", "fontconfig", "libfontconfig1",
                                   "fontconfig"),
    "libfreetype.so.6": Packages("libfreetype6", "freetype", "libfreetype6", "freetype2"),
    "libglib-2.0.so.0": Packages("libglib2.0-0", "glib2", "libglib-2_0-0", "glib2"),
    "libgthread-2.0.so.0": Packages("libglib2.0-0", "glib2", "libgthread-2_0-0", "glib2"),
    "libdbus-1.so.3": Packages("libdbus-1-3", "dbus-libs", "libdbus-1-3", "dbus"),
    "libwayland-client.so.0": Packages("libwayland-client0", "libwayland-client",
                                       "libwayland-client0", "wayland"),
    "libwayland-cursor.so.0": Packages("libwayland-cursor0", "libwayland-cursor",
                                       "libwayland-cursor0", "wayland"),
    "libz.so.1": Packages("zlib1g", "zlib", "libz1", "zlib"),
    "libzstd.so.1": Packages("libzstd1", "libzstd", "libzstd1", "zstd"),
}

INSTALL_COMMANDS = {
    "debian": ("Debian/Ubuntu", "sudo apt install"),
    "fedora": ("Fedora", "sudo dnf install"),
    "opensuse": ("openSUSE", "sudo zypper install"),
    "arch": ("Arch", "sudo pacman -S"),
}

PLUGIN_FILES = {"xcb": "libqxcb.so", "wayland": "libqwayland.so"}


def needed(path: Path) -> list[str]:
    """The libraries (DT_NEEDED sonames) an ELF file links to, in its order."""
    from elftools.elf.dynamic import DynamicSegment
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as f:
        # The dynamic segment, not the sections: building every section (symbol hashes
        # included) costs ten times as much.
        # A DT_NEEDED tag has the library's name as the attribute `needed` (set by name).
        return [str(cast(Any, tag).needed) for segment in ELFFile(f).iter_segments("PT_DYNAMIC")
                if isinstance(segment, DynamicSegment)
                for tag in segment.iter_tags("DT_NEEDED")]


def libraries_from_host(roots: Iterable[Path], carried: Iterable[Path]) -> set[str]:
    """The sonames that `roots` need, directly or through the libraries they bring (the files in
    the `carried` folders), that none of those folders has: what must come from the host."""
    folders = [Path(d) for d in carried]
    host: set[str] = set()
    seen: set[Path] = set()
    todo = [Path(r) for r in roots]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for soname in needed(path):
            own = next((d / soname for d in folders if (d / soname).is_file()), None)
            if own is not None:
                todo.append(own)
            elif not C_RUNTIME.match(soname):
                host.add(soname)
    return host


def qt_folders() -> tuple[Path, Path]:
    """(libraries, plugins) of the Qt that PySide6 loads: the wheel's or the bundle's."""
    from PySide6.QtCore import QLibraryInfo

    return (Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath)),
            Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)))


def loadable(soname: str) -> bool:
    """Whether the dynamic loader finds and loads the library (with what it needs)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_for(platform: str) -> list[str]:
    """The libraries Qt's `platform` plugin needs that this system cannot load; [] when the
    plugin is not there to check (Qt then says so itself)."""
    lib_dir, plugin_dir = qt_folders()
    plugin = plugin_dir / "platforms" / PLUGIN_FILES[platform]
    # Loading the plugin (as Qt is about to) is the quick answer when all is there; only when
    # it fails are its ELF headers read, to name every library that is missing, not the first.
    if not plugin.is_file() or loadable(str(plugin)):
        return []
    return sorted(s for s in libraries_from_host([plugin], [lib_dir]) if not loadable(s))


def distribution_family(os_release: Path = Path("/etc/os-release")) -> str | None:
    """debian, fedora, opensuse or arch, from os-release's ID and ID_LIKE; None if unknown."""
    try:
        text = os_release.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = dict(re.findall(r'^(ID|ID_LIKE)="?([^"\n]*)"?$', text, re.MULTILINE))
    words = f"{fields.get('ID', '')} {fields.get('ID_LIKE', '')}".lower().split()
    for word in words:
        for family in INSTALL_COMMANDS:
            if word == family or (family == "opensuse" and word.startswith(("opensuse", "suse"))):
                return family
        if word in ("ubuntu", "rhel", "centos"):
            return "debian" if word == "ubuntu" else "fedora"
    return None


def install_advice(missing: Iterable[str], family: str | None) -> str:
    """One line: what is missing and the command that installs it (this family's, or each
    family's when the distribution is not known)."""
    missing = sorted(missing)
    unknown = [s for s in missing if s not in HOST_PACKAGES]
    families = [family] if family in INSTALL_COMMANDS else list(INSTALL_COMMANDS)
    commands = []
    for name in families:
        assert name is not None
        packages = sorted({getattr(HOST_PACKAGES[s], name) for s in missing if s in HOST_PACKAGES})
        if packages:
            label, command = INSTALL_COMMANDS[name]
            commands.append(f"{command} {' '.join(packages)}"
                            + ("" if len(families) == 1 else f" ({label})"))
    line = (f"cannot open the window: this system lacks {', '.join(missing)}, which Qt's X11 "
            "platform needs.")
    if commands:
        line += " Install " + ("it" if len(missing) == 1 else "them") + " with: "
        line += "; or ".join(commands)
    if unknown:
        line += f" (and the package that provides {', '.join(unknown)})"
    return line + "."


def choose_platform(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """The platform the window will use, set in `environ` when it is ours to choose: Wayland
    (falling back to X11) in a Wayland session whose plugin has what it needs, else X11. None
    where the user chose one that is not checked here (offscreen, say) or off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        first = chosen.split(";")[0].split(":")[0]
        return first if first in PLUGIN_FILES else None
    if environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland":
        missing = missing_for("wayland")
        if not missing:
            environ["QT_QPA_PLATFORM"] = "wayland;xcb"
            return "wayland"
        log.info("the Wayland platform lacks %s: using X11", ", ".join(missing))
    return "xcb"


def window_problem(environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
    """None when the window's platform has what it needs, else the one line to print."""
    platform = choose_platform(environ)
    if platform is None:
        return None
    missing = missing_for(platform)
    if not missing:
        return None
    advice = install_advice(missing, distribution_family())
    return advice if platform == "xcb" else advice.replace("X11 platform", "Wayland platform")


def main(argv: list[str] | None = None) -> int:
    """Exit 1 with the line to print when the window cannot open; with --debian-packages,
    print the Debian packages of the X11 libraries this system lacks (for scripts)."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--debian-packages"]:
        print(" ".join(sorted({HOST_PACKAGES[s].debian for s in missing_for("xcb")
                               if s in HOST_PACKAGES})))
        return 0
    problem = window_problem()
    if problem:
        print(f"simfinder: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
