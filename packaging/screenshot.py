"""Screenshot of the app for the docs: the demo library in the gallery, the similar panel filled.

    packaging/screenshot.sh [OUTPUT.png]        (a real X11 window under Xvfb)
    .venv/bin/python packaging/screenshot.py [OUTPUT.png]   (any Qt platform; offscreen works)

Builds the demo photo folder and a library in a temporary folder (the user's own library and
settings are not touched), indexes it through the app's worker thread, clicks the cat photo,
waits for its similar photos and their thumbnails, and saves the window (default:
docs/screenshot.png). On X11 the pixels come from the X server (QScreen.grabWindow).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from simfinder.app.demo import build_demo_folder  # noqa: E402
from simfinder.gui.mainwindow import MainWindow  # noqa: E402
from simfinder.gui.settings import AppSettings  # noqa: E402


def wait(app: QApplication, condition, timeout: float = 120.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            return False
        app.processEvents()
        time.sleep(0.005)
    return True


def settle(app: QApplication, seconds: float) -> None:
    wait(app, lambda: False, seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--size", default="1440x900", help="window size (default 1440x900)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication(sys.argv[:1])
    app.setApplicationName("simfinder")
    with tempfile.TemporaryDirectory(prefix="simfinder-screenshot-") as tmp_name:
        tmp = Path(tmp_name)
        photos = tmp / "Pictures" / "Demo"
        build_demo_folder(photos)
        settings = AppSettings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(tmp / "library", settings)
        window.resize(width, height)
        window.move(0, 0)
        window.show()
        window.start(add_folders=[photos])
        if not wait(app, lambda: window.model.rowCount() > 0 and not window.indexer.busy):
            print("indexing did not finish", file=sys.stderr)
            return 1
        if not window.select_photo(str((photos / "cat.png").resolve())):
            print("the demo cat is not in the gallery", file=sys.stderr)
            return 1
        window.view.setFocus()
        if not wait(app, lambda: window.panel.model.rowCount() > 0):
            print("no similar photos came back", file=sys.stderr)
            return 1
        window.view.scrollToTop()
        settle(app, 2.0)  # thumbnails
        if app.platformName() == "xcb":
            image = window.screen().grabWindow(window.winId())
        else:
            image = window.grab()
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(args.output)):
            print(f"could not write {args.output}", file=sys.stderr)
            return 1
        print(f"{args.output} ({image.width()}x{image.height()}, {app.platformName()})")
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
