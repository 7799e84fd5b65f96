"""The desktop app driven through its real widgets (pytest-qt, offscreen): folders, background
indexing, the gallery, the similar panel, drag-and-drop and paste searches, pause/resume,
problems, settings, the crash handler, and a start-up that doesn't load the CNN."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
import hashlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from simfinder.app.usecases import EmbedderProvider
from simfinder.core.photos.embed import EMBED_DIM, MODEL_NAME
from simfinder.core.store.library import Library
from simfinder.gui import desktop
from simfinder.gui import gallery as gallery_module
from simfinder.gui.about import about_html
from simfinder.gui.crash import CrashHandler
from simfinder.gui.gallery import RecordRole, SortOrder
from simfinder.gui.mainwindow import MainWindow
from simfinder.gui.settings import AppSettings
from tests.photos import edited_copies, sample, save

# The offscreen platform can't resize windows to their size hints or raise them, and says so
# on every layout change; that is not a problem of the app.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

TIMEOUT = 60_000  # ms: generous, for a loaded 2-core CI machine

Photos = dict[str, Path]


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    """Settings in a file of the test's own: the user's real settings are never touched."""
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(
    qtbot: QtBot, tmp_path: Path, settings: AppSettings, embedder: EmbedderProvider
) -> Iterator[Callable[..., MainWindow]]:
    def make(
        library: Path | None = None,
        *,
        start: bool = True,
        add: Sequence[Path] = (),
        model: Callable[[], object] | None = None,
    ) -> MainWindow:
        window = MainWindow(library or tmp_path / "library", settings,
                            embedder=model or embedder)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        if start:
            window.start(add_folders=add)
        return window

    yield make


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=TIMEOUT)


def indexed_window(
    make_window: Callable[..., MainWindow], qtbot: QtBot, folder: Path
) -> MainWindow:
    window = make_window()
    wait_idle(qtbot, window)
    window.add_folder(folder)
    wait_idle(qtbot, window)
    return window


def gallery_index(window: MainWindow, path: Path):  # type: ignore[no-untyped-def]
    record = window.model.record_at_path(str(path.resolve()))
    assert record is not None, f"{path} is not in the gallery"
    row = window.model.row_of(record.file_id)
    index = window.proxy.mapFromSource(window.model.index(row, 0))
    assert index.isValid()
    window.view.scrollTo(index)
    return index


def click_photo(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    index = gallery_index(window, path)
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.view.visualRect(index).center())


def result_names(window: MainWindow) -> list[str]:
    return [Path(h.photo.path).name for h in window.panel.model.hits()]


def wait_results(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.panel.model.rowCount() > 0, timeout=TIMEOUT)


def catalog_count(library: Path) -> int:
    lib = Library.open(library)
    try:
        return lib.catalog.file_count()
    finally:
        lib.close()


# -- the environment ------------------------------------------------------------------------


def test_pyside_keeps_none_alive() -> None:
    """PySide6 6.12.0 on Python < 3.12 drops a reference to None on every call returning None
    and aborts the app within minutes; pyproject keeps it out. This catches it coming back."""
    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(2000):
        obj.setObjectName("x")
    assert sys.getrefcount(None) >= before - 50


def test_window_appears_without_loading_the_cnn(tmp_path: Path) -> None:
    """`simfinder gui` shows its window without importing torch or onnxruntime (and quickly),
    and with what start-up made out of the garbage collector's full rounds (which stall every
    thread while they walk the objects it tracks)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "st"),
           "SIMFINDER_GUI_STARTUP_PROBE": "1"}
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "simfinder", "--library", str(tmp_path / "lib"), "gui"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("shown "))
    shown_at = float(line.split()[1])
    assert line.endswith("heavy=none"), line
    assert shown_at - started < 20
    tracked = int(line.split("tracked=")[1].split()[0])
    assert tracked < 5000  # start-up makes ~55,000


# -- folders and indexing -------------------------------------------------------------------


def test_empty_library_invites_to_add_a_folder(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    wait_idle(qtbot, window)
    assert window.stack.currentWidget() is window.empty_state
    assert window.empty_state.button.isVisible()
    assert "Add a folder" in window.empty_state.text.text()
    assert window.library_label.text() == "0 photos in 0 folders"
    assert not window.act_stop.isEnabled()

    # The big button opens the folder chooser; choosing a folder indexes it in the background.
    photos = photo_folder()
    folder = tmp_path / "photos"
    from simfinder.gui import mainwindow

    monkeypatch.setattr(mainwindow.QFileDialog, "getExistingDirectory",
                        lambda *a, **k: str(folder))
    with qtbot.waitSignal(window.indexer.photos_indexed, timeout=TIMEOUT) as first:
        qtbot.mouseClick(window.empty_state.button, Qt.MouseButton.LeftButton)
    assert first.args[0], "photos are announced as soon as they are indexed"
    wait_idle(qtbot, window)
    assert window.model.rowCount() == len(photos)
    assert window.stack.currentWidget() is window.view
    assert window.library_label.text() == f"{len(photos)} photos in 1 folder"
    assert window.folder_list.topLevelItemCount() == 2  # All Photos + the folder
    assert window.folder_list.topLevelItem(1).toolTip(0) == str(folder.resolve())
    assert "Indexing done" in window.statusBar().currentMessage()

    # Thumbnails come in off the UI thread for the photos on screen.
    first_record = window.proxy.record_at(0)
    qtbot.waitUntil(lambda: window.thumbnails.pixmap(first_record.digest, 64) is not None,
                    timeout=TIMEOUT)


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1024, 768), (1920, 1080)])
def test_the_first_window_fits_the_screen_and_its_layout_allows_it(
    make_window: Callable[..., MainWindow], width: int, height: int,
) -> None:
    """On a 1280x800 or 1024x768 screen the whole window shows (tests/test_real_window.py
    checks it on real X11 screens); a big screen gets the preferred size."""
    from PySide6.QtCore import QRect

    from simfinder.gui.mainwindow import FRAME_MARGIN, PREFERRED_SIZE, first_window_geometry

    available = QRect(0, 28, width, height - 28)  # a top panel takes 28 pixels
    rect = first_window_geometry(available)
    assert available.contains(rect)
    assert rect.width() <= width - FRAME_MARGIN.width()
    assert rect.height() <= available.height() - FRAME_MARGIN.height()
    if width >= 1920:
        assert rect.size() == PREFERRED_SIZE
    window = make_window(start=False)
    hint = window.minimumSizeHint()
    assert hint.width() <= rect.width() and hint.height() <= rect.height(), hint
    window.modes.setCurrentWidget(window.duplicates)  # the widest view
    assert window.minimumSizeHint().width() <= rect.width()


def test_folders_are_remembered_and_rescanned_on_start(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photos = photo_folder()
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    window.close()

    # A new photo appears while the app is closed; the next start finds it by itself.
    save(sample("coffee.png"), tmp_path / "photos" / "new" / "espresso.jpg", quality=70)
    again = make_window()
    qtbot.waitUntil(lambda: again.model.rowCount() >= len(photos), timeout=TIMEOUT)
    wait_idle(qtbot, again)
    assert again.model.rowCount() == len(photos) + 1
    assert again.model.record_at_path(str((tmp_path / "photos/new/espresso.jpg").resolve()))


def test_a_raw_jpeg_pair_is_one_photo_in_the_gallery_with_its_companions_badge(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photos = photo_folder()
    rocket = photos["rocket"]
    for name in ("rocket.NEF", "rocket.NEF.xmp"):  # the camera's RAW and darktable's sidecar
        rocket.with_name(name).write_bytes(b"raw data")
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    assert window.model.rowCount() == len(photos)  # the RAW is no photo of its own
    index = gallery_index(window, rocket)
    assert index.data(gallery_module.CompanionsRole) == [
        str(rocket.with_name("rocket.NEF")), str(rocket.with_name("rocket.NEF.xmp"))]
    assert index.data(Qt.ItemDataRole.ToolTipRole).endswith(
        "<br>Goes with: rocket.NEF, rocket.NEF.xmp")
    assert gallery_index(window, photos["chelsea"]).data(gallery_module.CompanionsRole) == []
    window.view.viewport().grab()  # the badge paints


def test_removing_a_folder_forgets_its_photos_but_keeps_the_files(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photos = photo_folder()
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    assert window.model.rowCount() == len(photos)
    window.remove_folder(str((tmp_path / "photos").resolve()), confirm=False)
    wait_idle(qtbot, window)
    assert window.model.rowCount() == 0
    assert window.stack.currentWidget() is window.empty_state
    assert window.folder_list.topLevelItemCount() == 1
    assert "nothing was deleted" in window.statusBar().currentMessage()
    assert all(p.is_file() for p in photos.values())
    assert catalog_count(tmp_path / "library") == 0


class GatedEmbedder:
    """A stand-in CNN whose second batch waits for a gate: indexing is caught mid-run
    deterministically. Vectors are random but fixed per image."""

    model_name = MODEL_NAME
    dim = EMBED_DIM
    device = "test"

    def __init__(self) -> None:
        self.calls = 0
        self.gate = threading.Event()

    def __call__(self) -> GatedEmbedder:
        return self

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        self.calls += 1
        if self.calls == 2:
            self.gate.wait(30)
        out = np.empty((len(images), EMBED_DIM), dtype=np.float32)
        for i, im in enumerate(images):
            seed = int.from_bytes(hashlib.blake2b(im.tobytes(), digest_size=4).digest(), "big")
            v = np.random.default_rng(seed).standard_normal(EMBED_DIM).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out


def noise_photos(folder: Path, count: int, shape: tuple[int, int]) -> Path:
    """A folder of `count` small random PNGs: many photos that index quickly."""
    folder.mkdir()
    rng = np.random.default_rng(2)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (*shape, 3), dtype=np.uint8)).save(
            folder / f"{i:03d}.png")
    return folder


def test_stop_keeps_the_window_responsive_and_resume_finishes(
    make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path
) -> None:
    total = 150
    folder = noise_photos(tmp_path / "many", total, (48, 64))
    model = GatedEmbedder()
    window = make_window(model=model)
    wait_idle(qtbot, window)
    with qtbot.waitSignal(window.indexer.photos_indexed, timeout=TIMEOUT):
        window.add_folder(folder)
    # The CNN is busy (gated) on the indexing thread; the UI thread answers at once.
    assert window.indexer.state == "indexing"
    assert window.act_stop.isEnabled() and window.act_pause.isEnabled()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=TIMEOUT)
    assert window.stack.currentWidget() is window.view
    window.act_stop.trigger()  # Esc
    model.gate.set()
    qtbot.waitUntil(lambda: window.indexer.state == "stopped", timeout=TIMEOUT)
    stopped_at = window.model.rowCount()
    assert 0 < stopped_at < total
    assert catalog_count(tmp_path / "library") == stopped_at
    assert "Stopped" in window.progress_label.text()
    assert window.act_pause.text() == "&Resume" and window.act_pause.isEnabled()

    window.act_pause.trigger()  # Resume: the engine carries on where it stopped
    wait_idle(qtbot, window)
    assert window.indexer.state == "idle"
    assert window.model.rowCount() == total
    assert catalog_count(tmp_path / "library") == total


def test_stop_stops_a_paused_run(
    make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path
) -> None:
    folder = noise_photos(tmp_path / "many", 60, (48, 64))
    model = GatedEmbedder()
    window = make_window(model=model)
    wait_idle(qtbot, window)
    with qtbot.waitSignal(window.indexer.photos_indexed, timeout=TIMEOUT):
        window.add_folder(folder)
    window.act_pause.trigger()
    model.gate.set()
    qtbot.waitUntil(lambda: window.indexer.state == "paused", timeout=TIMEOUT)
    assert "Paused" in window.progress_label.text()
    # Paused, the run can still be stopped (it is no longer waiting to resume).
    assert window.act_stop.isEnabled()
    window.act_stop.trigger()
    assert window.indexer.state == "stopped"
    assert "Stopped" in window.progress_label.text()
    assert not window.act_stop.isEnabled()
    assert window.act_pause.text() == "&Resume" and window.act_pause.isEnabled()


def stored_checks(library: Path) -> int:
    lib = Library.open(library)
    try:
        return int(lib.catalog._db.execute("SELECT count(*) FROM pair_checks").fetchone()[0])
    finally:
        lib.close()


def test_likely_copies_are_compared_after_indexing_and_stop_stops_it(
    make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After indexing, the status bar shows the likely copies being compared; Stop stops that
    too, Resume finishes it, and the Duplicates view then has nothing left to verify."""
    import simfinder.core.matching.pairchecks as pairchecks
    from simfinder.core.matching import pending_checks

    monkeypatch.setattr(pending_checks, "CHUNK", 2)
    gate = threading.Event()
    calls: list[int] = []
    verify_pair = pairchecks.verify_pair

    def gated(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) > 2:  # the second chunk waits: the stage is caught mid-way
            gate.wait(30)
        return verify_pair(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pairchecks, "verify_pair", gated)
    folder = edited_copies(tmp_path / "photos")
    window = make_window()
    wait_idle(qtbot, window)
    window.add_folder(folder)
    qtbot.waitUntil(
        lambda: window.progress_label.text().startswith("Comparing likely copies 2 / "),
        timeout=TIMEOUT)
    total = int(window.progress_label.text().split(" / ")[1].split()[0].replace(",", ""))
    assert total > 4
    assert window.progress_bar.isVisible() and window.progress_bar.value() == 2
    assert window.indexer.state == "indexing" and window.act_stop.isEnabled()
    # Meanwhile the Duplicates view shows the groups known so far, from the pairs compared
    # already, rather than verify the same pairs beside it (it would wait for the gate).
    window.act_duplicates.trigger()
    panel = window.duplicates
    qtbot.waitUntil(lambda: not panel.searching, timeout=TIMEOUT)
    assert len(calls) <= 3  # the indexing thread's only (the third waits at the gate)
    if panel.model.rowCount():
        assert panel.checking_label.isVisible()
    else:
        assert "Comparing likely copies" in panel.empty.text()
    window.act_gallery.trigger()

    window.act_stop.trigger()  # Esc
    gate.set()
    qtbot.waitUntil(lambda: window.indexer.state == "stopped", timeout=TIMEOUT)
    assert (f"Stopped: {total - 4} pairs of likely copies still to compare"
            in window.progress_label.text())
    assert stored_checks(tmp_path / "library") == 4

    window.act_pause.trigger()  # Resume: compares the rest
    wait_idle(qtbot, window)
    assert window.indexer.state == "idle"
    # The rest of the first round, and the rounds the copies verified in it bring (a photo
    # with known copies looks further: see candidates).
    compared = stored_checks(tmp_path / "library")
    assert compared >= total
    # The whole run is reported, the pairs compared before the stop too.
    assert f"{compared} pairs of likely copies compared" in window.statusBar().currentMessage()

    calls.clear()
    window.act_duplicates.trigger()
    qtbot.waitUntil(lambda: window.duplicates.model.rowCount() > 0
                    and not window.duplicates.searching, timeout=TIMEOUT)
    assert calls == []  # every pair grouping looks at was verified already


def test_duplicates_fill_in_while_likely_copies_are_compared(
    make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Duplicates view opened while the likely copies are compared shows the groups known
    so far, and the copies verified after that join them without the user doing anything,
    before the comparing has finished."""
    import simfinder.core.matching.pairchecks as pairchecks
    from simfinder.core.matching import pending_checks
    from simfinder.gui import duplicates as duplicates_module

    monkeypatch.setattr(pending_checks, "CHUNK", 2)
    monkeypatch.setattr(duplicates_module, "FILL_IN_MS", 200)
    hold = [2]  # verifications beyond this many wait (the stage is caught mid-way)
    calls: list[int] = []
    verify_pair = pairchecks.verify_pair

    def gated(*args: object, **kwargs: object) -> object:
        calls.append(1)
        deadline = time.monotonic() + 60
        while len(calls) > hold[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        return verify_pair(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pairchecks, "verify_pair", gated)
    window = make_window()
    wait_idle(qtbot, window)
    window.add_folder(edited_copies(tmp_path / "photos"))
    qtbot.waitUntil(
        lambda: window.progress_label.text().startswith("Comparing likely copies 2 / "),
        timeout=TIMEOUT)
    total = int(window.progress_label.text().split(" / ")[1].split()[0].replace(",", ""))
    window.act_duplicates.trigger()
    panel = window.duplicates
    qtbot.waitUntil(lambda: not panel.searching, timeout=TIMEOUT)
    photos_so_far = sum(len(g.photos) for g in panel.model.groups())

    hold[0] = total - 1  # all but the last pair are verified; the last one waits
    qtbot.waitUntil(lambda: stored_checks(tmp_path / "library") >= total - 2, timeout=TIMEOUT)
    qtbot.waitUntil(
        lambda: sum(len(g.photos) for g in panel.model.groups()) > photos_so_far,
        timeout=TIMEOUT)
    assert window.indexer.state == "indexing"  # still comparing: the last pair waits
    assert window.progress_label.text().startswith("Comparing likely copies")
    assert panel.checking_label.isVisible() and "so far" in panel.count_label.text()
    assert panel.tree.currentIndex().isValid()  # a current photo, kept across the updates

    hold[0] = 10**9  # the rest, and the rounds the copies verified bring, go through
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not panel.searching and not panel.checking_label.isVisible(),
                    timeout=TIMEOUT)
    assert "so far" not in panel.count_label.text()


def test_removing_a_folder_while_it_is_indexed(
    make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path
) -> None:
    folder = noise_photos(tmp_path / "many", 80, (32, 40))
    model = GatedEmbedder()
    window = make_window(model=model)
    wait_idle(qtbot, window)
    with qtbot.waitSignal(window.indexer.photos_indexed, timeout=TIMEOUT):
        window.add_folder(folder)
    window.remove_folder(str(folder.resolve()), confirm=False)
    model.gate.set()
    wait_idle(qtbot, window)
    assert window.indexer.state == "idle"
    assert window.model.rowCount() == 0
    assert catalog_count(tmp_path / "library") == 0
    assert window.folder_list.topLevelItemCount() == 1
    assert window.stack.currentWidget() is window.empty_state


def test_a_library_busy_in_another_process_is_reported_not_fatal(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photo_folder()
    window = make_window()
    wait_idle(qtbot, window)
    other = Library.open(tmp_path / "library")  # another simfinder indexing this library
    try:
        with other.writing(), qtbot.waitSignal(window.indexer.failed, timeout=TIMEOUT):
            window.add_folder(tmp_path / "photos")
    finally:
        other.close()
    wait_idle(qtbot, window)
    assert "busy" in window.statusBar().currentMessage()
    assert window.indexer.state == "idle"
    window.rescan()  # once the other one is done, indexing works
    wait_idle(qtbot, window)
    assert window.model.rowCount() > 0


def test_unreadable_files_are_listed_not_shouted(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photos = photo_folder()
    broken = tmp_path / "photos" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    assert window.model.rowCount() == len(photos)
    assert window.problems_button.isVisible()
    assert window.problems_button.text() == "1 file could not be read"
    assert not window.problems.isVisible()
    assert not [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.isVisible()]
    qtbot.mouseClick(window.problems_button, Qt.MouseButton.LeftButton)
    assert window.problems.isVisible()
    assert window.problems.paths() == [str(broken.resolve())]
    reason = window.problems.tree.topLevelItem(0).text(1)
    assert reason and "Folder" not in reason


# -- gallery --------------------------------------------------------------------------------


def test_gallery_sorts_filters_zooms_and_navigates_by_keyboard(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path, settings: AppSettings,
) -> None:
    photos = photo_folder()
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    window.add_folder(tmp_path / "photos" / "edits")  # a second (nested) folder
    wait_idle(qtbot, window)

    window.sort_combo.setCurrentIndex(list(SortOrder).index(SortOrder.NAME))
    names = [window.proxy.record_at(r).path.rsplit("/", 1)[1] for r in range(5)]
    assert names == sorted(names, key=str.casefold)
    assert settings.sort_order is SortOrder.NAME

    window.focus_filter()
    qtbot.keyClicks(window.filter_edit, "coffee")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 3, timeout=5000)
    assert window.count_label.text() == f"3 of {len(photos)} photos"
    window.filter_edit.clear()
    qtbot.waitUntil(lambda: window.proxy.rowCount() == len(photos), timeout=5000)

    edits = next(i for i in range(window.folder_list.topLevelItemCount())
                 if window.folder_list.topLevelItem(i).toolTip(0).endswith("edits"))
    window.folder_list.setCurrentItem(window.folder_list.topLevelItem(edits))
    assert window.proxy.rowCount() == 4
    assert "edits (4)" in window.folder_list.topLevelItem(edits).text(0)
    window.folder_list.setCurrentItem(window.folder_list.topLevelItem(0))
    assert window.proxy.rowCount() == len(photos)

    size = window.size_slider.value()
    wheel = QWheelEvent(QPointF(20, 20), QPointF(20, 20), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(window.view.viewport(), wheel)
    assert window.size_slider.value() > size
    assert window.view.gridSize().width() > size
    assert settings.thumbnail_size == window.size_slider.value()

    window.view.setFocus()
    window.view.setCurrentIndex(window.proxy.index(0, 0))
    first = window.panel.target
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    assert window.view.currentIndex().row() == 1
    assert window.panel.target is not None and window.panel.target != first
    qtbot.waitUntil(lambda: window.query.pending is None, timeout=TIMEOUT)
    assert not window.panel.status.text().startswith("Looking")


def test_a_large_library_adds_nothing_to_the_garbage_collectors_rounds(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    """Python's full garbage collections hold the GIL while they walk every object the
    collector tracks, so every thread waits, the window's included: a gallery that kept three
    objects per photo stalled the window ~150 ms at each one in a 50,000-photo library. The
    photos the gallery (and its worker) hold must not be such objects."""
    photos = photo_folder()
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    window.rescan()  # once before measuring: what a re-scan imports and caches is there
    wait_idle(qtbot, window)
    gc.collect()
    before = len(gc.get_objects())

    lib = Library.open(tmp_path / "library")
    try:  # 3,000 more photos: files elsewhere with the same contents
        contents = sorted({r.content_id for r in lib.catalog.photos()})
        with lib.catalog.transaction():
            for i in range(3000):
                lib.catalog.put_file(f"/archive/IMG_{i:05d}.jpg", 3_000_000,
                                     1_600_000_000_000_000_000 + i * 10**9,
                                     contents[i % len(contents)])
    finally:
        lib.close()
    window.rescan()
    wait_idle(qtbot, window)
    assert window.model.rowCount() == len(photos) + 3000
    gc.collect()
    # Two objects a photo would be +6,000; what is shown on screen accounts for a few hundred.
    assert len(gc.get_objects()) - before < 1500


def test_the_gallery_filter_matches_names_in_any_case_within_a_folder_of_any_name(
    qtbot: QtBot, tmp_path: Path,
) -> None:
    """The filter text looks at file names only (not at the folders above them), in any case;
    the folder filter takes folders whose names hold characters a pattern would read."""
    from simfinder.core.photos.thumbs import ThumbnailCache
    from simfinder.gui.gallery import GalleryFilter, GalleryModel
    from simfinder.gui.thumbnails import ThumbnailStore

    trip = os.path.join(os.sep, "photos", "Trip (2019) [best]+")
    paths = [os.path.join(trip, "IMG_0001.jpg"), os.path.join(trip, "beach", "img_0002.JPG"),
             os.path.join(os.sep, "photos", "Trip (2019) [best]+ more", "IMG_0003.jpg"),
             os.path.join(os.sep, "photos", "img", "trip.jpg")]
    model = GalleryModel(ThumbnailStore(ThumbnailCache(tmp_path / "thumbs")))
    model.set_photos([(i, path, 1000, 10**18 + i, i, 40, 30, "JPEG", None, None, bytes([i]))
                      for i, path in enumerate(paths)])
    proxy = GalleryFilter()
    proxy.setSourceModel(model)

    def shown() -> set[str]:
        return {proxy.record_at(r).path for r in range(proxy.rowCount())}

    assert shown() == set(paths)
    proxy.set_text("Img_")
    assert shown() == set(paths[:3])
    proxy.set_text("trip")  # in a folder's name for three of them: only the fourth's own name
    assert shown() == {paths[3]}
    proxy.set_text("")
    proxy.set_folder(trip)
    assert shown() == set(paths[:2])
    proxy.set_text("0002.jpg")
    assert shown() == {paths[1]}
    proxy.set_folder(None)
    proxy.set_text(" ")
    assert shown() == set(paths)


# -- similar photos -------------------------------------------------------------------------


def test_clicking_a_photo_lists_its_duplicates_first_and_browses_with_back(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photos = photo_folder()
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    click_photo(qtbot, window, photos["chelsea"])
    wait_results(qtbot, window)
    assert window.panel.target is not None and window.panel.target.path == photos["chelsea"]
    names = result_names(window)
    assert set(names[:2]) == {"cat-small.jpg", "cat.png"}
    assert window.panel.model.words()[:2] == ["near-duplicate", "near-duplicate"]
    scores = [h.score for h in window.panel.model.hits()]
    assert scores == sorted(scores, reverse=True)
    assert "chelsea.jpg" in window.panel.query_label.text()

    # A byte copy is a "duplicate".
    click_photo(qtbot, window, photos["rocket"])
    qtbot.waitUntil(lambda: result_names(window)[:1] == ["rocket.jpg"], timeout=TIMEOUT)
    assert window.panel.model.words()[0] == "duplicate"
    assert Path(window.panel.model.hits()[0].photo.path) == photos["rocket-copy"]

    # Clicking a result moves the query there; Back returns.
    qtbot.mouseClick(window.panel.results.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.panel.result_rect(0).center())
    qtbot.waitUntil(lambda: window.panel.target is not None
                    and window.panel.target.path == photos["rocket-copy"], timeout=5000)
    qtbot.waitUntil(lambda: result_names(window)[:1] == ["rocket.jpg"]
                    and Path(window.panel.model.hits()[0].photo.path) == photos["rocket"],
                    timeout=TIMEOUT)
    assert window.panel.back_button.isEnabled()
    qtbot.mouseClick(window.panel.back_button, Qt.MouseButton.LeftButton)
    assert window.panel.target.path == photos["rocket"]
    assert not window.panel.back_button.isEnabled()


def test_dropping_an_image_file_searches_without_adding_it(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photo_folder()
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    before = window.model.rowCount()
    outside = tmp_path / "elsewhere" / "my coffee.jpg"
    coffee = sample("coffee.png")
    save(coffee.crop((20, 10, coffee.width - 20, coffee.height - 10)), outside, quality=75)

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(outside))])
    _drop(window, mime)
    wait_results(qtbot, window)
    assert window.panel.target is not None and window.panel.target.external
    assert result_names(window)[0].startswith("coffee")
    assert "Not in the library" in window.panel.query_label.text()
    assert window.model.rowCount() == before
    assert catalog_count(tmp_path / "library") == before


def _drop(window: MainWindow, mime: QMimeData) -> None:
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    pos = QPoint(window.width() // 2, window.height() // 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    assert window.drop_overlay.isVisible()
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert not window.drop_overlay.isVisible()


def test_pasting_image_data_searches_with_it(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photo_folder()
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    astronaut = sample("astronaut.png", 300)
    image = QImage(astronaut.tobytes("raw", "RGB"), astronaut.width, astronaut.height,
                   astronaut.width * 3, QImage.Format.Format_RGB888).copy()
    QGuiApplication.clipboard().setImage(image)
    window.act_paste.trigger()  # Ctrl+V
    wait_results(qtbot, window)
    assert window.panel.target is not None and window.panel.target.label == "Pasted image"
    assert result_names(window)[0] == "astronaut.jpg"
    assert window.panel.model.words()[0] == "near-duplicate"
    qtbot.waitUntil(lambda: window.panel.query_thumb.pixmap() is not None
                    and not window.panel.query_thumb.pixmap().isNull(), timeout=TIMEOUT)


def test_dropped_web_addresses_are_refused_with_a_reason(
    make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window()
    wait_idle(qtbot, window)
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.org/cat.jpg")])
    assert window.handle_mime(mime)
    assert "no network connections" in window.panel.status.text()
    assert window.query.pending is None

    # A browser that sends the image itself along with its address: that is searched.
    png = tmp_path / "from-browser.png"
    sample("coins.png", 200).save(png)
    mime.setData("image/png", png.read_bytes())
    _drop(window, mime)
    assert window.panel.target is not None and window.panel.target.label == "Dropped image"
    qtbot.waitUntil(lambda: window.query.pending is None, timeout=TIMEOUT)
    assert window.panel.status.text() == "The library has no other photos to compare with."


def test_dropping_a_folder_adds_it_to_the_library(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photos = photo_folder()
    window = make_window()
    wait_idle(qtbot, window)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "photos"))])
    _drop(window, mime)
    qtbot.waitUntil(lambda: window.model.rowCount() == len(photos), timeout=TIMEOUT)
    wait_idle(qtbot, window)
    assert window.folder_list.topLevelItemCount() == 2


# -- photo actions --------------------------------------------------------------------------


def test_double_click_previews_and_the_context_menu_hands_off_to_the_desktop(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    photos = photo_folder()
    window = indexed_window(make_window, qtbot, tmp_path / "photos")
    index = gallery_index(window, photos["coffee"])
    center = window.view.visualRect(index).center()
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert window.preview.isVisible()
    qtbot.waitUntil(lambda: window.preview.loaded, timeout=TIMEOUT)
    assert window.preview.path == photos["coffee"].resolve()
    assert not window.preview.image_label.pixmap().isNull()
    window.preview.close()

    opened: list[tuple[str, str]] = []
    monkeypatch.setattr(desktop, "show_in_folder", lambda p: opened.append(("folder", p)) or 1)
    monkeypatch.setattr(desktop, "open_with_default_app",
                        lambda p: opened.append(("app", p)) or 1)
    record = index.data(RecordRole)
    menu = window.photo_menu(record)
    actions = {a.text(): a for a in menu.actions()}
    actions["Show in Folder"].trigger()
    actions["Open with Default App"].trigger()
    assert opened == [("folder", record.path), ("app", record.path)]


# -- settings, about, crashes ---------------------------------------------------------------


def test_settings_are_applied_and_kept(
    make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path,
    settings: AppSettings,
) -> None:
    window = make_window()
    wait_idle(qtbot, window)
    window.act_settings.trigger()
    dialog = window.settings_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.strictness.setCurrentIndex(2)  # loose
    dialog.device.setCurrentIndex(1)  # cpu
    dialog.thumb_size.setValue(200)
    dialog.accept()
    assert window.size_slider.value() == 200
    assert window.panel.model.strictness.value == "loose"
    reread = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    reread.use_library(window.library_root)  # the strictness is the library's
    assert (reread.strictness.value, reread.device, reread.thumbnail_size) == \
        ("loose", "cpu", 200)


def test_about_names_versions_without_importing_the_cnn_libraries() -> None:
    had = {m for m in ("torch", "onnxruntime") if m in sys.modules}
    text = about_html()
    for word in ("simfinder", "Python", "Qt", "PySide6", "ONNX Runtime", "PyTorch"):
        assert word in text
    assert {m for m in ("torch", "onnxruntime") if m in sys.modules} == had


def test_crash_handler_logs_and_shows_one_non_modal_dialog(
    qtbot: QtBot, tmp_path: Path
) -> None:
    handler = CrashHandler(log_dir=tmp_path / "logs")
    for n in range(3):
        try:
            raise RuntimeError(f"boom {n}")
        except RuntimeError as exc:
            handler.handle(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: handler.count == 3, timeout=5000)
    dialogs = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible()]
    assert dialogs == [handler.dialog]
    assert not handler.dialog.isModal()
    assert "3 unexpected errors" in handler.dialog.informativeText()
    text = handler.log_path.read_text()
    assert text.count("Traceback") == 3 and "RuntimeError: boom 2" in text
    handler.dialog.close()


def test_the_model_is_exported_out_of_process_only_when_missing(
    embedder: EmbedderProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GUI's first CNN load exports the ONNX file in a child process (torch's export would
    stall the event loop in-process); with the file cached, no child process is started."""
    from simfinder.app import gallery

    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("no child process expected")

    monkeypatch.setattr(gallery.subprocess, "run", no_child)
    assert gallery.export_model_out_of_process("cpu")  # cached by the session's embedder
    assert not gallery.export_model_out_of_process("cuda")  # torch runs it: nothing to export
    provider = gallery.BackgroundEmbedderProvider("cpu")
    assert provider().dim == EMBED_DIM


def test_the_start_up_rescan_keeps_an_offline_folders_photos(
    make_window: Callable[..., MainWindow], qtbot: QtBot, photo_folder: Callable[..., Photos],
    tmp_path: Path,
) -> None:
    photos = photo_folder()
    folder = tmp_path / "photos"
    window = indexed_window(make_window, qtbot, folder)
    window.close()
    # The drive is unplugged while the app is closed: its empty mount point stays.
    for child in list(folder.iterdir()):
        subprocess.run(["rm", "-r", str(child)], check=True)

    again = make_window()  # loads the library, then rescans its folders
    qtbot.waitUntil(lambda: again.folder_list.topLevelItemCount() == 2
                    and "offline" in again.folder_list.topLevelItem(1).text(0), timeout=TIMEOUT)
    wait_idle(qtbot, again)
    assert again.model.rowCount() == len(photos)
    assert catalog_count(tmp_path / "library") == len(photos)
    item = again.folder_list.topLevelItem(1)
    assert item.text(0).endswith("— offline")
    assert "Offline: " in item.toolTip(0) and "(empty)" in item.toolTip(0)
    assert again.delegate.is_offline(str(photos["chelsea"].resolve()))
    # still searchable by similarity, from what the library stored
    click_photo(qtbot, again, photos["chelsea"])
    wait_results(qtbot, again)
    assert "cat.png" in result_names(again)

    again.forget_offline_photos(str(folder.resolve()), confirm=False)
    qtbot.waitUntil(lambda: again.model.rowCount() == 0, timeout=TIMEOUT)
    assert "offline" not in again.folder_list.topLevelItem(1).text(0)
    assert "could not be found" in again.statusBar().currentMessage()
