"""The app in a real X11 window, as a person sees it: Xvfb with Qt's xcb platform (not the
offscreen one the other GUI tests use), screenshots taken from the X server, a real click.

Needs Xvfb and xdotool and the libraries Qt's xcb platform links to: ./test.sh installs them
(scripts/need-test-packages.sh). Screenshots land in the test's folder; set
SIMFINDER_SCREENSHOTS=DIR to keep them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageGrab

from simfinder.gui import platform_libraries
from tests.environment import unavailable
from tests.photos import sample, save

pytestmark = pytest.mark.slow

WHITE = 255  # the gallery's background (the palette's base colour)


def require_tools() -> None:
    missing = [t for t in ("Xvfb", "xdotool") if shutil.which(t) is None]
    if missing:
        unavailable(f"{' and '.join(missing)} not installed (./test.sh installs them as root)")
    lacking = platform_libraries.missing_for("xcb")
    if lacking:
        unavailable(f"Qt's xcb platform lacks {', '.join(lacking)} here")


@contextmanager
def xvfb(width: int, height: int) -> Iterator[str]:
    """A virtual X screen of this size; yields its DISPLAY."""
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24",
         "-nolisten", "tcp"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def screenshot(display: str, path: Path) -> np.ndarray:
    image = ImageGrab.grab(xdisplay=display).convert("RGB")
    image.save(path)
    return np.asarray(image)


def window_rect(display: str) -> tuple[int, int, int, int] | None:
    """(x, y, width, height) of the app's main window, from the X server."""
    env = {**os.environ, "DISPLAY": display}
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^simfinder",
                          "getwindowgeometry", "%@"], capture_output=True, text=True, env=env,
                         check=False).stdout
    rects = []
    for block in out.split("Window ")[1:]:
        pos = block.split("Position: ")[1].split()[0]
        size = block.split("Geometry: ")[1].split()[0]
        x, y = (int(v) for v in pos.split(","))
        w, h = (int(v) for v in size.split("x"))
        rects.append((x, y, w, h))
    big = [r for r in rects if r[2] > 200 and r[3] > 200]
    return max(big, key=lambda r: r[2] * r[3]) if big else None


def colours(region: np.ndarray) -> int:
    return len(np.unique(region.reshape(-1, 3) // 8, axis=0))


def gallery_columns(shot: np.ndarray, rect: tuple[int, int, int, int]) -> tuple[int, int] | None:
    """The x range of the gallery: the widest run of columns whose lower window half is mostly
    the white of the list's background (the sidebar and the Similar panel are window grey);
    None while the window is not drawn yet."""
    x, y, w, h = rect
    band = shot[y + h // 2: y + h - 40, x: x + w]
    white = (band == WHITE).all(axis=2).mean(axis=0) > 0.25
    best, start = (0, 0), None
    for i, on in enumerate([*white, False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            best = max(best, (start, i), key=lambda r: r[1] - r[0])
            start = None
    if best[1] - best[0] <= 200:
        return None
    return x + best[0], x + best[1]


def thumbnails_drawn(shot: np.ndarray, rect: tuple[int, int, int, int]) -> tuple[int, int] | None:
    """A point inside the first thumbnail the gallery shows, or None while none is drawn."""
    columns_x = gallery_columns(shot, rect)
    if columns_x is None:
        return None
    left, right = columns_x
    _, y, _, h = rect
    columns = shot[y: y + h - 40, left + 4: right - 24]  # no frame, no scroll bar
    white_rows = np.flatnonzero((columns == WHITE).all(axis=2).mean(axis=1) > 0.9)
    if len(white_rows) == 0:
        return None
    top = white_rows[0]  # the list's first row of background, below its tool bar
    area = columns[top:]
    inked = ~(area == WHITE).all(axis=2)
    rows = np.flatnonzero(inked.sum(axis=1) > 40)
    if len(rows) == 0 or colours(area[rows[0]: rows[0] + 120]) < 200:
        return None
    # The leftmost thumbnail of the first row (they are centred in their cells, so the
    # topmost ink may be another's: a portrait beside landscapes).
    band = inked[rows[0]: rows[0] + 150]
    first = np.flatnonzero(band.any(axis=0))[0]
    ys = np.flatnonzero(band[:, first + 20])
    return left + 4 + first + 20, y + top + rows[0] + int(ys[len(ys) // 2])


@pytest.fixture(scope="module")
def indexed_library(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    require_tools()
    root = tmp_path_factory.mktemp("real-window")
    photos = root / "Pictures"
    for name in ("chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png", "coins.png",
                 "motorcycle_left.png"):
        save(sample(name), photos / f"{Path(name).stem}.jpg", quality=92)
    cat = sample("chelsea.png")
    save(cat.resize((cat.width // 2, cat.height // 2)), photos / "copies" / "cat-small.jpg",
         quality=80)
    library = root / "library"
    subprocess.run([sys.executable, "-m", "simfinder", "--library", str(library), "index",
                    str(photos)], check=True, capture_output=True, timeout=300)
    return library, photos


def open_app(display: str, library: Path, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.Popen([sys.executable, "-m", "simfinder", "--library", str(library), "gui"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def keep(paths: list[Path]) -> None:
    target = os.environ.get("SIMFINDER_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for p in paths:
            shutil.copyfile(p, Path(target) / p.name)


@pytest.mark.parametrize("screen", [(1280, 800), (1024, 768)])
def test_the_window_is_drawn_shows_thumbnails_fits_the_screen_and_a_click_finds_similar(
        indexed_library: tuple[Path, Path], tmp_path: Path, screen: tuple[int, int]) -> None:
    library, _photos = indexed_library
    width, height = screen
    name = f"{width}x{height}"
    with xvfb(width, height) as display:
        app = open_app(display, library, tmp_path / "home")
        try:
            rect = wait_for(lambda: window_rect(display), 60, "the main window")
            assert isinstance(rect, tuple)
            x, y, w, h = rect
            # The first window fits the screen: nothing cut off on the right or below.
            assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, (rect, screen)

            first = tmp_path / f"window-{name}.png"
            shot = screenshot(display, first)
            point = wait_for(lambda: thumbnails_drawn(screenshot(display, first), rect), 60,
                             "thumbnails in the gallery")
            shot = np.asarray(Image.open(first))
            window = shot[y: y + h, x: x + w]
            assert colours(window) > 1000  # drawn, not a blank or one-colour window
            found = gallery_columns(shot, rect)
            assert found is not None, "no gallery in the window"
            _, right = found
            panel = shot[y + 60: y + h - 40, right + 10: x + w - 10]
            before = colours(panel)

            assert isinstance(point, tuple)
            subprocess.run(["xdotool", "mousemove", str(point[0]), str(point[1]), "click", "1"],
                           env={**os.environ, "DISPLAY": display}, check=True)
            clicked = tmp_path / f"similar-{name}.png"

            def panel_filled() -> bool:
                after = screenshot(display, clicked)[y + 60: y + h - 40, right + 10: x + w - 10]
                return colours(after) > before + 300  # photos, not the panel's hint text

            wait_for(panel_filled, 60, "the Similar panel to show photos after the click")
            keep([first, clicked])
            assert app.poll() is None, app.communicate()[0]
        finally:
            app.terminate()
            try:
                out = app.communicate(timeout=20)[0]
            except subprocess.TimeoutExpired:
                app.kill()
                out = app.communicate()[0]
    assert "Traceback" not in out, out
