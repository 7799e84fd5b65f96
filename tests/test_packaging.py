"""The installers' inputs (packaging/, resources/): what the bundle is built from, the desktop
integration files, the licences. Building the installers themselves is packaging/build-linux.sh
and packaging/smoke-test.sh (minutes, not a unit test)."""

from __future__ import annotations

import configparser
import importlib.util
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import tomllib

from tests.environment import unavailable

REPO = Path(__file__).resolve().parents[1]
RESOURCES = REPO / "resources"
APP_ID = "io.github.simfinder.simfinder"


def _build_module(name: str = "build"):  # type: ignore[no-untyped-def]
    path = REPO / "packaging" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"packaging_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bundle_gets_the_runtime_dependencies_and_no_torch() -> None:
    build = _build_module()
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {build._name(d) for d in deps}
    assert names >= build.BUILD_TIME_ONLY, "a build-time-only package is no longer a dependency"
    runtime = {build._name(d) for d in build.runtime_requirements()}
    assert runtime == names - build.BUILD_TIME_ONLY
    assert {"torch", "torchvision", "scikit-image"}.isdisjoint(runtime)
    assert {"onnxruntime", "pyside6-essentials", "numpy", "filelock"} <= runtime


def test_the_forbidden_pattern_catches_torch_cuda_and_unused_qt_but_not_icu() -> None:
    build = _build_module()
    bad = ["_internal/torch/lib/libtorch_cpu.so", "_internal/nvidia/cublas/lib/x.so",
           "_internal/libcudart.so.12", "_internal/PySide6/Qt/lib/libQt6Network.so.6",
           "_internal/PySide6/Qt6Quick.dll", "_internal/scipy/linalg/_flapack.so",
           "_internal/scipy.libs/libscipy_openblas-6cdc3b4a.so"]
    good = ["_internal/PySide6/Qt/lib/libicudata.so.73", "_internal/PySide6/Qt/lib/libQt6Gui.so.6",
            "_internal/onnxruntime/capi/onnxruntime_pybind11_state.so",
            "_internal/numpy.libs/libscipy_openblas64_-32a4b2a6.so"]
    assert all(build.FORBIDDEN.search(p) for p in bad)
    assert not any(build.FORBIDDEN.search(p) for p in good)


def test_the_desktop_entry_opens_images_with_a_file_argument() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(RESOURCES / "simfinder.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"] == "simfinder gui %F"
    assert desktop["Icon"] == "simfinder"
    mime = desktop["MimeType"].rstrip(";").split(";")
    assert {"image/jpeg", "image/png", "image/heic"} <= set(mime)
    assert all(m.startswith("image/") for m in mime)


def test_the_metainfo_names_the_launchable_a_screenshot_and_this_release() -> None:
    from simfinder import __version__

    root = ET.parse(RESOURCES / f"{APP_ID}.metainfo.xml").getroot()
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == "simfinder.desktop"  # type: ignore[union-attr]
    assert root.find("screenshots/screenshot/image") is not None
    assert __version__ in [r.get("version") for r in root.findall("releases/release")]


@pytest.mark.parametrize("tool, args, name", [
    ("desktop-file-validate", [], "simfinder.desktop"),
    ("appstreamcli", ["validate", "--no-net", "--pedantic"], f"{APP_ID}.metainfo.xml"),
])
def test_the_desktop_files_validate(tool: str, args: list[str], name: str) -> None:
    if shutil.which(tool) is None:
        unavailable(f"{tool} is not installed (./test.sh installs it as root)")
    r = subprocess.run([tool, *args, str(RESOURCES / name)], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, r.stdout + r.stderr


def test_icons_in_every_size_and_for_windows_and_macos() -> None:
    from PIL import Image

    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        with Image.open(RESOURCES / f"icons/hicolor/{size}x{size}/apps/simfinder.png") as im:
            assert im.size == (size, size) and im.mode == "RGBA"
    with Image.open(RESOURCES / "icons" / "simfinder.ico") as ico:
        assert (256, 256) in ico.info["sizes"]
    with Image.open(RESOURCES / "icons" / "simfinder.icns") as icns:
        assert icns.size[0] >= 512


def test_the_notices_name_qt_the_weights_and_their_licence_texts(tmp_path: Path) -> None:
    notice = (REPO / "packaging" / "licenses" / "NOTICE.txt").read_text()
    for words in ("LGPL-3.0", "EfficientNet-Lite0", "Apache License", "ML Illustrated",
                  "PyInstaller", "AppImage runtime"):
        assert words in notice
    for text in ("LGPL-3.0.txt", "GPL-3.0.txt", "LGPL-2.1.txt",
                 "efficientnet-lite0-weights-LICENSE.txt"):
        assert (REPO / "packaging" / "licenses" / text).stat().st_size > 500
    # The collected notices list the installed packages with their licence files.
    subprocess.run([sys.executable, str(REPO / "packaging" / "notices.py"), str(tmp_path)],
                   check=True, capture_output=True)
    listing = (tmp_path / "THIRD-PARTY-NOTICES.txt").read_text()
    assert "numpy" in listing and "onnxruntime" in listing
    assert (tmp_path / "LICENSE.txt").read_text() == (REPO / "LICENSE").read_text()
    assert (tmp_path / "NOTICE.txt").exists()


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        target.hardlink_to(source)
    except OSError:
        shutil.copyfile(source, target)


def test_what_the_build_installs_is_what_the_bundle_leaves_to_the_host(tmp_path: Path) -> None:
    """build.py installs the packages of what host_packages.left_to_host reads from the bundle's
    own files: a bundle carrying Qt's xcb platform without the xcb utility libraries needs them
    from the host; once it carries one, that one is no longer asked for."""
    from simfinder.gui.platform_libraries import qt_folders

    host_packages = _build_module("host_packages")
    lib_dir, plugin_dir = qt_folders()
    bundle = tmp_path / "bundle" / "_internal" / "PySide6" / "Qt"
    _link(plugin_dir / "platforms" / "libqxcb.so", bundle / "plugins/platforms/libqxcb.so")
    for name in ("libQt6XcbQpa.so.6", "libQt6Gui.so.6", "libQt6Core.so.6", "libQt6DBus.so.6"):
        _link(lib_dir / name, bundle / "lib" / name)
    for icu in lib_dir.glob("libicu*.so.*"):
        _link(icu, bundle / "lib" / icu.name)
    needed = host_packages.left_to_host(tmp_path / "bundle")
    assert {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1",
            "libX11.so.6", "libfontconfig.so.1"} <= needed
    assert not any(n.startswith(("libQt6", "libicu", "libc.so")) for n in needed)

    _link(lib_dir / "libQt6Core.so.6", bundle / "lib" / "libxcb-icccm.so.4")  # now carried
    assert host_packages.left_to_host(tmp_path / "bundle") == needed - {"libxcb-icccm.so.4"}
