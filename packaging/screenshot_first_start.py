"""Screenshot of the app's first start (an empty library) for the README's install section:

    xvfb-run -a -s "-screen 0 1600x1000x24" env QT_QPA_PLATFORM=xcb \
        .venv/bin/python packaging/screenshot_first_start.py [OUTPUT.png]

(default docs/screenshot-first-start.png). The library and settings are in a temporary folder.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from simfinder.gui.mainwindow import MainWindow  # noqa: E402
from simfinder.gui.settings import AppSettings  # noqa: E402


def main() -> int:
    default = REPO / "docs" / "screenshot-first-start.png"
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    app = QApplication(sys.argv[:1])
    app.setApplicationName("simfinder")
    with tempfile.TemporaryDirectory(prefix="simfinder-screenshot-") as tmp_name:
        tmp = Path(tmp_name)
        settings = AppSettings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(tmp / "library", settings)
        window.resize(1100, 700)
        window.move(0, 0)
        window.show()
        window.start()
        end = time.monotonic() + 3.0
        while time.monotonic() < end:  # the empty library loads, the welcome shows
            app.processEvents()
            time.sleep(0.01)
        image = (window.screen().grabWindow(window.winId()) if app.platformName() == "xcb"
                 else window.grab())
        if not image.save(str(output)):
            print(f"could not write {output}", file=sys.stderr)
            return 1
        print(f"{output} ({image.width()}x{image.height()}, {app.platformName()})")
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
