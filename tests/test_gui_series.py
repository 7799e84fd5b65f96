"""The Similar shots view driven through its widgets (pytest-qt, offscreen): series listed with
the pick marked Keep and its reasons, Accept Pick (one key) moving to the next series, Keep
Only the Best marking the rest and trashing them after a confirmation (Undo puts them back),
Keep All remembered on the next start, the totals, and the loupe showing the same spot of
every shot at 100%."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from simfinder.app.units import human_size
from simfinder.app.usecases import EmbedderProvider
from simfinder.gui import series_view
from simfinder.gui.mainwindow import MainWindow
from simfinder.gui.series_view import COL_KEEP, COL_PHOTO, COL_WHY, SeriesPanel
from simfinder.gui.settings import AppSettings
from tests.photos import sample, save

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

TIMEOUT = 90_000


def _shaken(image: Image.Image, length: int = 15) -> Image.Image:
    import cv2

    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return Image.fromarray(cv2.filter2D(np.asarray(image), -1, kernel))


def _burst(folder: Path, picture: str) -> list[Path]:
    """Three frames of one scene numbered as a camera numbers them: the first defocused, the
    second sharp, the third shaken."""
    scene = sample(picture).convert("RGB")
    frames = [scene.filter(ImageFilter.GaussianBlur(3)), scene, _shaken(scene)]
    return [save(image, folder / f"IMG_{n:04d}.jpg", quality=92)
            for n, image in enumerate(frames, 1)]


@pytest.fixture
def shots(tmp_path: Path) -> dict[str, list[Path]]:
    root = tmp_path / "photos"
    out = {"people": _burst(root / "people", "astronaut.png"),
           "cat": _burst(root / "cat", "coffee.png")}
    backup = root / "backup" / "IMG_0002.jpg"  # a copy of the sharp astronaut: the same shot
    backup.parent.mkdir(parents=True)
    shutil.copyfile(out["people"][1], backup)
    out["backup"] = [backup]
    # A bracket: one framing at three exposures.
    scene = sample("chelsea.png")
    out["bracket"] = [save(ImageEnhance.Brightness(scene).enhance(factor),
                           root / "bracket" / f"DSC_{n:04d}.jpg", quality=92)
                      for n, factor in enumerate((0.55, 1.0, 1.6), 1)]
    save(sample("rocket.jpg"), root / "other" / "rocket.jpg", quality=92)
    return out


@pytest.fixture
def open_window(
    qtbot: QtBot, tmp_path: Path, embedder: EmbedderProvider, temp_trash: Path,
) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(add: bool = False) -> MainWindow:
        settings = AppSettings(QSettings(str(tmp_path / "settings.ini"),
                                         QSettings.Format.IniFormat))
        win = MainWindow(tmp_path / "library", settings, embedder=embedder)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitExposed(win)
        win.start(add_folders=[tmp_path / "photos"] if add else [], rescan=add)
        qtbot.waitUntil(lambda: win.model.rowCount() > 0 and not win.indexer.busy,
                        timeout=TIMEOUT)
        windows.append(win)
        return win

    yield make
    for win in windows:
        win.close()


def open_series(qtbot: QtBot, win: MainWindow, count: int | None = None) -> SeriesPanel:
    win.act_series.trigger()
    panel = win.series
    assert win.modes.currentWidget() is panel
    qtbot.waitUntil(lambda: not panel.searching and (count is None
                                                     or panel.model.rowCount() == count),
                    timeout=TIMEOUT)
    return panel


def names(panel: SeriesPanel, row: int, column: int = COL_PHOTO) -> list[str]:
    parent = panel.model.index(row, 0)
    return [panel.model.index(n, column, parent).data()
            for n in range(panel.model.rowCount(parent))]


def kept(panel: SeriesPanel, row: int) -> list[bool]:
    parent = panel.model.index(row, 0)
    return [panel.model.index(n, COL_KEEP, parent).data(Qt.ItemDataRole.CheckStateRole)
            == Qt.CheckState.Checked for n in range(panel.model.rowCount(parent))]


def row_of(panel: SeriesPanel, folder: str) -> int:
    return next(r for r in range(panel.model.rowCount())
                if any(Path(p.path).parent.name == folder
                       for p in panel.model.series_at(r).photos))


def test_a_series_is_listed_ranked_with_the_pick_kept_and_its_reasons(
    qtbot: QtBot, open_window: Callable[..., MainWindow], shots: dict[str, list[Path]],
) -> None:
    win = open_window(add=True)
    panel = open_series(qtbot, win, 3)
    row = row_of(panel, "people")
    series = panel.model.series_at(row)
    # The sharp frame first, its copy in backup/ counted as the same shot.
    assert names(panel, row)[0] == "IMG_0002.jpg"
    assert len(names(panel, row)) == 3
    pick = panel.model.shot_index(row, 0)
    assert pick.data() == "Keep"
    assert pick.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    why = panel.model.shot_index(row, 0, COL_WHY).data()
    assert why.startswith("Best: ")
    assert {"sharpest", "faces in focus"} & set(why.removeprefix("Best: ").split(", "))
    assert "Kept: the best shot" in pick.data(Qt.ItemDataRole.ToolTipRole)
    # The others are ranked below with what they lack, and nothing is marked for removal.
    lacks = [panel.model.shot_index(row, n, COL_WHY).data() for n in (1, 2)]
    assert any("less sharp" in w for w in lacks) and any("motion blur" in w for w in lacks)
    assert kept(panel, row) == [True, True, True]
    assert "best: IMG_0002.jpg" in panel.model.index(row, 0).data()
    # The totals: series, shots, and what keeping only the best would free.
    freeable = sum(s.freeable_bytes for s in panel.model.session.series)
    text = panel.totals_label.text()
    assert "3 series" in text and "9 shots" in text and "0 marked for removal" in text
    assert human_size(freeable) in text
    assert series.shots[0].size > series.shots[0].main.size  # the copy's bytes count too
    assert not panel.trash_button.isEnabled()
    # The bracket is offered whole: every exposure kept, in capture order, none ranked.
    bracket = row_of(panel, "bracket")
    assert panel.model.series_at(bracket).bracket
    assert "Bracket of 3 exposures" in panel.model.index(bracket, 0).data()
    assert names(panel, bracket) == ["DSC_0001.jpg", "DSC_0002.jpg", "DSC_0003.jpg"]
    assert set(names(panel, bracket, COL_WHY)) == {"a bracket: every exposure kept"}
    panel.go_to_series(bracket)
    assert not panel.keep_best_button.isEnabled()
    panel.keep_best_all_button.click()
    assert kept(panel, bracket) == [True, True, True]
    assert kept(panel, row) == [True, False, False]


def test_accept_pick_key_marks_the_rest_and_moves_to_the_next_series(
    qtbot: QtBot, open_window: Callable[..., MainWindow], shots: dict[str, list[Path]],
) -> None:
    win = open_window(add=True)
    panel = open_series(qtbot, win, 3)
    key = QKeySequence("A").toString(QKeySequence.SequenceFormat.NativeText)
    assert panel.accept_button.toolTip().endswith(f"({key})")
    assert panel.current_row() == 0
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_A)
    assert kept(panel, 0) == [True, False, False]
    assert panel.model.index(0, 0).data().startswith("\u2713 Done")
    assert panel.current_row() == 1  # on to the next series, its pick current
    assert panel.tree.currentIndex() == panel.model.shot_index(1, 0)
    assert "2 marked for removal" in panel.totals_label.text()
    assert panel.trash_button.isEnabled()
    qtbot.keyClick(panel.tree, Qt.Key.Key_A)
    assert kept(panel, 1) == [True, False, False]
    assert "4 marked for removal" in panel.totals_label.text()
    # Accepting a bracket keeps every exposure; every series done, the view stays.
    assert panel.model.series_at(2).bracket and panel.current_row() == 2
    qtbot.keyClick(panel.tree, Qt.Key.Key_A)
    assert kept(panel, 2) == [True, True, True]
    assert all(panel.model.session.is_done(r) for r in range(3))


def test_keep_only_the_best_then_trash_with_confirmation_and_undo(
    qtbot: QtBot, open_window: Callable[..., MainWindow], shots: dict[str, list[Path]],
    temp_trash: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    win = open_window(add=True)
    panel = open_series(qtbot, win, 3)
    row = row_of(panel, "cat")
    panel.go_to_series(row)
    panel.keep_best_button.click()
    assert kept(panel, row) == [True, False, False]
    assert kept(panel, row_of(panel, "people")) == [True, True, True]  # only this series
    # Space on a marked shot keeps it again; the pick cannot be the last to go.
    panel.tree.setCurrentIndex(panel.model.shot_index(row, 1))
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    assert kept(panel, row) == [True, True, False]
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    marked = [Path(s.main.path) for s in panel.model.series_at(row).shots[1:]]
    size = human_size(sum(p.stat().st_size for p in marked))

    asked: list[str] = []
    monkeypatch.setattr(series_view, "ask", lambda *a: asked.append(a[2]) and None)
    panel.trash_button.click()  # refused in the confirmation: nothing moves
    assert len(asked) == 1 and asked[0].startswith(f"Move 2 photos ({size}) of 1 series")
    assert all(p.exists() for p in marked)

    monkeypatch.setattr(series_view, "ask", lambda *a: a[3][0])
    with qtbot.waitSignal(win.indexer.action_finished, timeout=TIMEOUT):
        panel.trash_button.click()
    qtbot.waitUntil(lambda: not win.indexer.busy and not panel.searching
                    and panel.model.rowCount() == 2, timeout=TIMEOUT)
    assert not any(p.exists() for p in marked)
    assert len(os.listdir(temp_trash / "files")) == 2
    assert shots["cat"][1].exists()  # the best shot stays
    assert win.act_undo.isEnabled()

    with qtbot.waitSignal(win.indexer.undo_finished, timeout=TIMEOUT):
        win.act_undo.trigger()
    qtbot.waitUntil(lambda: not win.indexer.busy and not panel.searching
                    and panel.model.rowCount() == 3, timeout=TIMEOUT)
    assert all(p.exists() for p in marked)
    row = row_of(panel, "cat")
    assert kept(panel, row) == [True, True, True]  # back, nothing marked


def test_keep_all_is_remembered_on_the_next_start(
    qtbot: QtBot, open_window: Callable[..., MainWindow], shots: dict[str, list[Path]],
) -> None:
    win = open_window(add=True)
    panel = open_series(qtbot, win, 3)
    panel.go_to_series(row_of(panel, "cat"))
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_K)
    assert panel.model.rowCount() == 2
    assert win.review.flush(30)
    qtbot.waitUntil(lambda: not panel.searching, timeout=TIMEOUT)
    assert panel.model.rowCount() == 2
    win.close()

    again = open_window()
    panel = open_series(qtbot, again)
    assert panel.model.rowCount() == 2
    assert all(Path(p.path).parent.name != "cat" for r in range(2)
               for p in panel.model.series_at(r).photos)
    # The Decisions panel lists it with the duplicates' decisions; undone there, it is back.
    again.show_decisions()
    qtbot.waitUntil(lambda: again.decisions.ids() == ["s1"], timeout=TIMEOUT)
    again.decisions.pane.tree.topLevelItem(0).setSelected(True)
    again.decisions.undo_button.click()
    qtbot.waitUntil(lambda: again.decisions.ids() == [] and not panel.searching
                    and panel.model.rowCount() == 3, timeout=TIMEOUT)


def test_marks_done_series_and_the_place_are_there_on_the_next_start(
    qtbot: QtBot, open_window: Callable[..., MainWindow], shots: dict[str, list[Path]],
) -> None:
    win = open_window(add=True)
    panel = open_series(qtbot, win, 3)
    people, cat = row_of(panel, "people"), row_of(panel, "cat")
    panel.go_to_series(people)
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_A)  # the pick accepted: the others marked, done
    panel.tree.setCurrentIndex(panel.model.shot_index(people, 1))
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)  # and one of them kept after all
    assert kept(panel, people) == [True, True, False]
    panel.go_to_series(cat)
    panel.keep_best_button.click()  # marked, not done
    panel.go_to_series(2)  # and the user is on the last series when they quit
    where = panel.model.series_at(2).key
    assert win.review.flush(30)
    win.close()

    again = open_window()
    panel = open_series(qtbot, again, 3)
    assert panel.model.series_at(panel.current_row()).key == where  # back where they were
    people, cat = row_of(panel, "people"), row_of(panel, "cat")
    assert kept(panel, people) == [True, True, False]
    assert panel.model.session.is_done(people)
    assert panel.model.index(people, 0).data().startswith("\u2713 Done")
    assert kept(panel, cat) == [True, False, False]
    assert not panel.model.session.is_done(cat)
    assert "3 marked for removal" in panel.totals_label.text()
    # A shot of the series done leaves the library (deleted outside the app): the series is
    # another now, offered again; the shot still marked in it stays marked.
    series = panel.model.series_at(people)
    still_marked = series.shots[2].main.path
    Path(series.shots[1].main.path).unlink()
    assert again.review.flush(30)
    again.close()

    third = open_window(add=True)  # with a rescan
    panel = open_series(qtbot, third)
    qtbot.waitUntil(lambda: not panel.searching and panel.model.rowCount() == 3
                    and len(panel.model.series_at(row_of(panel, "people")).shots) == 2,
                    timeout=TIMEOUT)
    people = row_of(panel, "people")
    assert not panel.model.session.is_done(people)
    assert kept(panel, people) == [True, False]
    assert panel.model.series_at(people).shots[1].main.path == still_marked
    assert kept(panel, row_of(panel, "cat")) == [True, False, False]


def test_the_loupe_shows_the_same_spot_of_every_shot_at_100_percent(
    qtbot: QtBot, open_window: Callable[..., MainWindow], shots: dict[str, list[Path]],
) -> None:
    win = open_window(add=True)
    panel = open_series(qtbot, win, 3)
    panel.go_to_series(row_of(panel, "people"))
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_L)
    loupe = panel.loupe_dialog
    assert loupe is not None and loupe.isVisible()
    qtbot.waitUntil(lambda: loupe.loaded == 3, timeout=TIMEOUT)
    # Click the astronaut's face on the second shot: every loupe shows that spot, 1:1.
    overview = loupe.overviews[1]
    target = overview.point_of(QPointF(0.45, 0.3))
    qtbot.mouseClick(overview, Qt.MouseButton.LeftButton,
                     pos=QPoint(round(target.x()), round(target.y())))
    assert loupe.pinned
    assert abs(loupe.spot.x() - 0.45) < 0.01 and abs(loupe.spot.y() - 0.3) < 0.01
    crops = []
    for view in loupe.loupes:
        assert view.image is not None
        source = view.source_rect()
        # One photo pixel on one screen pixel: as much of the photo as the loupe holds.
        assert source.width() == min(view.width(), view.image.width())
        assert source.height() == min(view.height(), view.image.height())
        crops.append(view.image.copy(source))
    # The frames are of one scene at one size: the same spot is the same pixels' place, so
    # the sharp frame's crop and its shaken neighbour's differ only by the blur.
    rects = {(v.source_rect().x(), v.source_rect().y()) for v in loupe.loupes}
    assert len(rects) == 1
    grab = loupe.loupes[1].grab().toImage()
    x = (loupe.loupes[1].width() - crops[1].width()) // 2
    y = (loupe.loupes[1].height() - crops[1].height()) // 2
    assert grab.pixelColor(x + 5, y + 5) == crops[1].pixelColor(5, 5)
    # Pointing elsewhere does not move a pinned spot.
    qtbot.mouseMove(overview, QPoint(5, 5))
    assert abs(loupe.spot.x() - 0.45) < 0.01


def test_finding_shows_its_progress_and_cancel_stops_it(
    qtbot: QtBot, open_window: Callable[..., MainWindow], shots: dict[str, list[Path]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from simfinder.core.matching import series as series_module

    win = open_window(add=True)
    real = series_module.measure_without_faces
    release = threading.Event()

    def slow(path: Path):  # type: ignore[no-untyped-def]
        release.wait(30)
        return real(path)

    monkeypatch.setattr(series_module, "measure_without_faces", slow)
    win.act_series.trigger()
    panel = win.series
    qtbot.waitUntil(lambda: panel.progress.isVisible() and panel.cancel_button.isVisible(),
                    timeout=TIMEOUT)
    assert "first time, every shot is measured" in panel.empty.text()
    with qtbot.waitSignal(win.series_finder.cancelled, timeout=TIMEOUT):
        panel.cancel_button.click()
        release.set()
    assert not panel.searching and not panel.progress.isVisible()
    assert panel.find_button.isVisible() and "Stopped" in panel.empty.text()
    assert panel.model.rowCount() == 0
    panel.find_button.click()
    qtbot.waitUntil(lambda: not panel.searching, timeout=TIMEOUT)
    assert panel.model.rowCount() == 3
