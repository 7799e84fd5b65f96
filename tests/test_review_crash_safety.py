"""A review killed (SIGKILL) in the middle loses nothing it saved: the recorder's writes land in
order (what is on disk after a kill is always a prefix of what the user did, at least up to what
was reported saved), and the desktop app killed mid-review offers every mark back on restart."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from simfinder.app.usecases import EmbedderProvider
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.store.catalog import Catalog
from simfinder.core.store.layout import CATALOG_FILE
from simfinder.core.store.library import Library
from simfinder.gui.duplicates import COL_KEEP
from simfinder.gui.mainwindow import MainWindow
from simfinder.gui.settings import AppSettings

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

TRIALS = 6
MARKS = 300

# Marks and done groups as fast as the recorder takes them; each reported once committed.
RECORDER_CHILD = """
import sys
from pathlib import Path
from simfinder.app.review_log import ReviewRecorder
rec = ReviewRecorder(Path(sys.argv[1]))
for i in range(int(sys.argv[2])):
    rec.submit(lambda c, i=i: c.set_review_mark(f"/photos/{i:04d}.jpg", i % 3 != 0),
               lambda _r, _e, i=i: print("saved", i, flush=True))
    if i % 10 == 9:
        rec.done(bytes([i // 10]) * 16, True)
rec.close()
print("closed", flush=True)
"""

# The desktop app on an indexed library: open Duplicates, keep every photo the rules would
# remove and mark the first group done, one change at a time, as a user would; it says what it
# did, and when everything it did is saved.
APP_CHILD = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from simfinder.gui.mainwindow import MainWindow
from simfinder.gui.settings import AppSettings
app = QApplication([])
win = MainWindow(Path(sys.argv[1]),
                 AppSettings(QSettings(sys.argv[2], QSettings.Format.IniFormat)))
win.show()
win.start(rescan=False)
win.act_duplicates.trigger()
panel = win.duplicates
todo = []
def step():
    if panel.searching or panel.model.rowCount() == 0:
        QTimer.singleShot(50, step)
        return
    if not todo:
        todo.extend(p for g in panel.model.groups() for p in g.photos if p.file_id not in g.keep)
        todo.append(None)
    item = todo.pop(0)
    if item is None:
        panel.model.set_done(0, True)
        win.review.flush(60)  # every change committed (the count of writes includes others)
        print("all", flush=True)
        return
    panel.model.set_keep(item.file_id, True)
    print("marked", item.path, flush=True)
    QTimer.singleShot(30, step)
QTimer.singleShot(0, step)
app.exec()
"""


def test_recorder_killed_at_random_moments_keeps_a_prefix_of_the_review(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    for trial in range(TRIALS):
        root = tmp_path / f"lib{trial}"
        Library.open(root).close()  # a catalog at the current schema
        proc = subprocess.Popen(
            [sys.executable, "-c", RECORDER_CHILD, str(root / CATALOG_FILE), str(MARKS)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert proc.stdout is not None
        wanted = rng.randint(0, MARKS // 2)
        reported = -1
        for line in proc.stdout:
            if line.startswith("saved"):
                reported = int(line.split()[1])
                if reported >= wanted:
                    break
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()

        catalog = Catalog(root / CATALOG_FILE, readonly=True)
        try:
            assert catalog.integrity_problems() == []
            state = catalog.review_state()
        finally:
            catalog.close()
        numbers = sorted(int(Path(p).stem) for p in state.marks)
        assert numbers == list(range(len(numbers)))  # in order, none missing in between
        assert len(numbers) > reported  # everything reported saved is there
        assert all(keep == (int(Path(p).stem) % 3 != 0) for p, keep in state.marks.items())
        assert len(state.done) >= len(numbers) // 10 - 1


@pytest.fixture
def indexed(tmp_path: Path, photo_folder: Callable[..., dict[str, Path]],
            embedder: EmbedderProvider) -> Iterator[Path]:
    photo_folder()
    lib = Library.open(tmp_path / "library")
    lib.catalog.add_folder(str(tmp_path / "photos"))
    Indexer(lib, embedder).run([tmp_path / "photos"])
    lib.close()
    yield tmp_path / "library"


def test_app_killed_mid_review_offers_every_saved_mark_back(
    qtbot: QtBot, tmp_path: Path, indexed: Path, embedder: EmbedderProvider,
) -> None:
    ini = tmp_path / "settings.ini"
    proc = subprocess.Popen([sys.executable, "-c", APP_CHILD, str(indexed), str(ini)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    marked: list[str] = []
    finished = False
    try:
        for line in proc.stdout:
            word, _, rest = line.strip().partition(" ")
            if word == "marked":
                marked.append(rest)
            elif word == "all":
                finished = True
            if finished:
                break  # the app has saved every change: now the power goes
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    assert finished and len(marked) >= 4

    settings = AppSettings(QSettings(str(ini), QSettings.Format.IniFormat))
    win = MainWindow(indexed, settings, embedder=embedder)
    qtbot.addWidget(win)
    win.show()
    win.start(rescan=False)
    qtbot.waitUntil(lambda: win.resume_bar.isVisible(), timeout=60_000)
    assert f"{len(marked)} photos marked, 1 group done" in win.resume_label.text()
    win.resume_button.click()
    panel = win.duplicates
    qtbot.waitUntil(lambda: not panel.searching and panel.model.rowCount() > 0,
                    timeout=60_000)
    for g in panel.model.groups():
        for p in g.photos:
            index = panel.model.photo_index(p.file_id, COL_KEEP)
            if p.path in marked:
                assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert panel.model.is_done(0)
    win.close()
