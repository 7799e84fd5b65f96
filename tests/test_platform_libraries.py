"""The window's system libraries: found from Qt's own files, named with the command that
installs them, before Qt would abort."""

from __future__ import annotations

from pathlib import Path

import pytest

from simfinder import cli
from simfinder.gui import platform_libraries as pl

# What Qt 6.5+ needs for X11 and many desktops (Ubuntu 22.04 among them) or minimal installs
# lack: the reason for the check.
OFTEN_MISSING = {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"}


def closure(platform: str) -> set[str]:
    lib_dir, plugin_dir = pl.qt_folders()
    plugin = plugin_dir / "platforms" / pl.PLUGIN_FILES[platform]
    return pl.libraries_from_host([plugin], [lib_dir])


def test_what_the_installed_qt_takes_from_the_host_is_read_from_its_files() -> None:
    xcb = closure("xcb")
    assert xcb >= OFTEN_MISSING
    assert {"libX11.so.6", "libxcb.so.1", "libfontconfig.so.1"} <= xcb
    # What PySide6 carries itself is not asked of the host, nor is the C runtime.
    assert not any(s.startswith("libQt6") for s in xcb)
    assert not xcb & {"libc.so.6", "libstdc++.so.6", "libm.so.6", "libgcc_s.so.1"}
    assert {"libwayland-client.so.0", "libxkbcommon.so.0"} <= closure("wayland")


def test_every_library_the_window_takes_from_the_host_has_its_packages_named() -> None:
    """A missing library the table does not know could only be named by its file."""
    needed = closure("xcb") | closure("wayland")
    assert needed - set(pl.HOST_PACKAGES) == set()
    for packages in pl.HOST_PACKAGES.values():
        assert all(name and " " not in name for name in vars(packages).values())


def os_release(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "os-release"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "family"), [
    ('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n', "debian"),
    ("ID=debian\nVERSION_ID=12\n", "debian"),
    ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', "debian"),
    ("ID=fedora\nVERSION_ID=40\n", "fedora"),
    ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "fedora"),
    ('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"\n', "opensuse"),
    ("ID=arch\n", "arch"),
    ("ID=manjaro\nID_LIKE=arch\n", "arch"),
    ("ID=nixos\n", None),
])
def test_the_distribution_family_comes_from_os_release(tmp_path: Path, text: str,
                                                       family: str | None) -> None:
    assert pl.distribution_family(os_release(tmp_path, text)) == family


def test_no_os_release_is_an_unknown_family(tmp_path: Path) -> None:
    assert pl.distribution_family(tmp_path / "absent") is None


def test_the_advice_is_one_line_with_this_distributions_command() -> None:
    line = pl.install_advice(["libxcb-cursor.so.0"], "debian")
    assert "\n" not in line
    assert "libxcb-cursor.so.0" in line
    assert "sudo apt install libxcb-cursor0" in line
    assert "dnf" not in line
    line = pl.install_advice(["libxcb-icccm.so.4", "libxcb-cursor.so.0"], "fedora")
    assert "sudo dnf install xcb-util-cursor xcb-util-wm" in line


def test_an_unknown_distribution_gets_every_familys_command() -> None:
    line = pl.install_advice(sorted(OFTEN_MISSING), None)
    assert "\n" not in line
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 (Debian/Ubuntu)" in line
    assert "sudo dnf install xcb-util-cursor xcb-util-keysyms xcb-util-wm (Fedora)" in line
    assert "sudo zypper install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 (openSUSE)" in line
    assert "sudo pacman -S xcb-util-cursor xcb-util-keysyms xcb-util-wm (Arch)" in line


def test_a_library_without_a_known_package_is_named_as_such() -> None:
    line = pl.install_advice(["libxcb-cursor.so.0", "libnew-thing.so.3"], "debian")
    assert "sudo apt install libxcb-cursor0" in line
    assert "the package that provides libnew-thing.so.3" in line


def without(monkeypatch: pytest.MonkeyPatch, absent: set[str]) -> None:
    """This system, as if `absent` libraries (sonames) were not installed."""
    real = pl.loadable

    def loadable(name: str) -> bool:
        if Path(name).name in absent:
            return False
        if "/" in name:  # a plugin: it loads when none of what it needs is absent
            return not absent & closure("xcb") and real(name)
        return real(name)

    monkeypatch.setattr(pl, "loadable", loadable)


def test_gui_without_the_xcb_libraries_exits_1_with_the_command_that_installs_them(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(pl, "distribution_family", lambda: "debian")
    without(monkeypatch, OFTEN_MISSING)

    code = cli.main(["--library", str(tmp_path / "lib"), "gui"])

    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0
    assert err.startswith("simfinder: cannot open the window")
    assert err.endswith("sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1.")
    assert not (tmp_path / "lib").exists()  # said before anything was made


def test_module_check_says_the_same_for_simfinder_sh(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(pl, "distribution_family", lambda: None)
    without(monkeypatch, {"libxcb-cursor.so.0"})
    assert pl.main([]) == 1
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0" in err and "sudo pacman -S xcb-util-cursor (Arch)" in err


def test_a_wayland_session_uses_wayland_when_its_plugin_has_what_it_needs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}
    monkeypatch.setattr(pl, "missing_for", lambda platform: [])
    assert pl.choose_platform(env) == "wayland"
    assert env["QT_QPA_PLATFORM"] == "wayland;xcb"  # X11 (XWayland) if Wayland fails


def test_a_wayland_session_without_the_wayland_libraries_uses_x11(
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}
    monkeypatch.setattr(pl, "missing_for",
                        lambda platform: ["libwayland-cursor.so.0"] if platform == "wayland"
                        else [])
    assert pl.choose_platform(env) == "xcb"
    assert "QT_QPA_PLATFORM" not in env


def test_a_platform_the_user_chose_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pl, "missing_for", lambda platform: ["libxcb-cursor.so.0"])
    assert pl.window_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert pl.choose_platform({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}) == "xcb"



def test_scripts_get_the_debian_packages_of_what_is_missing(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    without(monkeypatch, {"libxcb-keysyms.so.1", "libxcb-cursor.so.0"})
    assert pl.main(["--debian-packages"]) == 0
    assert capsys.readouterr().out.split() == ["libxcb-cursor0", "libxcb-keysyms1"]
