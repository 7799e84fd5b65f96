"""Screenshots of the app for the docs: the demo library in the gallery with the similar panel
filled, or in the Duplicates view, or with decisions made, or in the Similar shots view, or
its loupe (--view).

    packaging/screenshot.sh [OUTPUT.png] [--view gallery|duplicates|decisions|series|loupe]
        (a real X11 window under Xvfb)
    .venv/bin/python packaging/screenshot.py [OUTPUT.png] [--view ...]
        (any Qt platform; offscreen works)

Builds the demo photo folder and a library in a temporary folder (the user's own library and
settings are not touched), indexes it through the app's worker thread, then: clicks the cat
photo and waits for its similar photos (gallery); opens the Duplicates view (duplicates); or
there keeps all of the coins, adds a copy of them that reopens that group, says two cat photos
are not duplicates, marks the cat group Done and opens the Decisions panel (decisions); opens
the Similar shots view on its longest series (series), and there the loupe with a spot clicked
(loupe: the loupe's window is saved). Saves the window (default: docs/screenshot.png,
docs/screenshot-duplicates.png, docs/screenshot-decisions.png, docs/screenshot-series.png,
docs/screenshot-loupe.png). On X11 the pixels come from the X server (QScreen.grabWindow).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PySide6.QtCore import QItemSelectionModel, QPoint, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from simfinder.app.demo import build_demo_folder  # noqa: E402
from simfinder.gui.duplicates import COL_KEEP, DuplicatesPanel  # noqa: E402
from simfinder.gui.mainwindow import MainWindow  # noqa: E402
from simfinder.gui.settings import AppSettings  # noqa: E402


def wait(app: QApplication, condition, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            return False
        app.processEvents()
        time.sleep(0.005)
    return True


def settle(app: QApplication, seconds: float) -> None:
    wait(app, lambda: False, seconds)


OUTPUTS = {"gallery": "screenshot.png", "duplicates": "screenshot-duplicates.png",
           "decisions": "screenshot-decisions.png", "series": "screenshot-series.png",
           "loupe": "screenshot-loupe.png"}
SIZES = {"gallery": "1440x900", "duplicates": "1320x840", "decisions": "1320x840",
         "series": "1320x840", "loupe": "1320x840"}


def row_with(panel: DuplicatesPanel, name: str) -> int:
    return next(r for r, g in enumerate(panel.model.groups())
                if any(os.path.basename(p.path) == name for p in g.photos))


def groups_shown(app: QApplication, panel: DuplicatesPanel) -> bool:
    return wait(app, lambda: not panel.searching and not panel._stale
                and panel.model.rowCount() > 0)


def make_decisions(app: QApplication, window: MainWindow, photos: Path) -> bool:
    """Keep all of the coins, then a new copy of them (the group comes back, the copy badged
    new); two cat photos are not duplicates; the cat group Done; the Decisions panel open."""
    panel = window.duplicates
    panel.go_to_group(row_with(panel, "coins.png"))
    panel.act_keep_all.trigger()
    later = photos / "later"
    later.mkdir()
    shutil.copyfile(photos / "coins.png", later / "coins (2).png")
    window.rescan()
    if not wait(app, lambda: not window.indexer.busy) or not groups_shown(app, panel):
        return False
    cats = panel.model.group_at(row_with(panel, "cat.png"))
    pair = [p for p in cats.photos if p.path.endswith("copies/cat-small.jpg")
            or Path(p.path) == (photos / "cat.png").resolve()]
    selection = panel.tree.selectionModel()
    selection.clearSelection()
    for record in pair:
        selection.select(panel.model.photo_index(record.file_id, COL_KEEP),
                         QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)
    panel.act_not_duplicates.trigger()
    if not groups_shown(app, panel):
        return False
    panel.go_to_group(row_with(panel, "cat.png"))
    panel.act_done.trigger()
    panel.go_to_group(0)
    window.show_decisions()
    return wait(app, lambda: len(window.decisions.ids()) == 2)


def show_series(app: QApplication, window: MainWindow, *, loupe: bool) -> QWidget | None:
    """The Similar shots view on the demo's series (and its loupe, a spot clicked): the
    widget to save, or None."""
    panel = window.series
    window.show_series()
    if not wait(app, lambda: not panel.searching and panel.model.rowCount() > 0, 300.0):
        return None
    rows = range(panel.model.rowCount())
    row = max(rows, key=lambda r: len(panel.model.series_at(r).shots))  # the posters
    panel.go_to_series(row)
    panel.tree.setFocus()
    if not loupe:
        return window
    panel.act_loupe.trigger()
    dialog = panel.loupe_dialog
    if dialog is None or not wait(app, lambda: dialog.loaded == len(dialog.photos)):
        return None
    dialog.move(40, 40)
    overview = dialog.overviews[0]
    spot = overview.point_of(QPointF(0.42, 0.55))
    QTest.mouseClick(overview, Qt.MouseButton.LeftButton, pos=QPoint(round(spot.x()),
                                                                     round(spot.y())))
    return dialog


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path)
    parser.add_argument("--view", choices=list(OUTPUTS), default="gallery")
    parser.add_argument("--size", help="window size (default 1440x900 for the gallery, "
                        "1320x840 for the others)")
    args = parser.parse_args()
    output: Path = args.output or REPO / "docs" / OUTPUTS[args.view]
    width, height = (int(v) for v in (args.size or SIZES[args.view]).split("x"))
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
        target: QWidget = window
        if args.view == "gallery":
            if not window.select_photo(str((photos / "cat.png").resolve())):
                print("the demo cat is not in the gallery", file=sys.stderr)
                return 1
            window.view.setFocus()
            if not wait(app, lambda: window.panel.model.rowCount() > 0):
                print("no similar photos came back", file=sys.stderr)
                return 1
            window.view.scrollToTop()
        elif args.view in ("series", "loupe"):
            shown = show_series(app, window, loupe=args.view == "loupe")
            if shown is None:
                print("no similar shots came", file=sys.stderr)
                return 1
            target = shown
        else:
            window.show_duplicates()
            if not groups_shown(app, window.duplicates):
                print("no duplicate groups came", file=sys.stderr)
                return 1
            if args.view == "decisions" and not make_decisions(app, window, photos):
                print("the decisions could not be made", file=sys.stderr)
                return 1
            window.duplicates.tree.setFocus()
        settle(app, 2.0)  # thumbnails
        if app.platformName() == "xcb":
            image = target.screen().grabWindow(target.winId())
        else:
            image = target.grab()
        output.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(output)):
            print(f"could not write {output}", file=sys.stderr)
            return 1
        print(f"{output} ({image.width()}x{image.height()}, {app.platformName()})")
        window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
