"""Words that are right (pytest-qt, offscreen): counts through Qt's translation machinery with
their plural forms, "100% alike" kept for exact copies, a report of the whole indexing after
a pause, a paste action that does not look like a toggle, and names fitted so that the part
that tells a photo from the others of its group shows."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable

import pytest
from PySide6.QtGui import QFontMetrics, QIcon
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from simfinder.app.gallery import KIND_HELP
from simfinder.app.usecases import IndexRun
from simfinder.core.indexing.indexer import IndexReport
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.store.catalog import PhotoRecord
from simfinder.gui import words
from simfinder.gui.duplicates import DuplicatesModel, group_title, name_to_show
from simfinder.gui.mainwindow import MainWindow
from simfinder.gui.similar_panel import COUNTED
from simfinder.gui.words import counted
from tests.test_gui import make_window, settings  # noqa: F401  (fixtures)

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")


def test_counts_have_their_plural_forms(qtbot: QtBot) -> None:
    assert counted(1, "%Ln photo(s)") == "1 photo"
    assert counted(3, "%Ln photo(s)") == "3 photos"
    assert counted(0, "%Ln group(s)") == "0 groups"
    assert counted(1, "%Ln copy or move(s)") == "1 copy or move"
    assert counted(4, "%Ln copy or move(s)") == "4 copies or moves"
    assert counted(1, "%Ln is not reviewed yet") == "1 is not reviewed yet"
    assert counted(2, "%Ln is not reviewed yet") == "2 are not reviewed yet"
    assert counted(30, COUNTED["similar"]) == "30 similar photos"  # not "30 similars"



def test_a_translation_of_a_count_wins(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts are tr() sources: what an installed translation gives is what shows."""
    def translate(context: str, source: str, disambiguation: object, n: int) -> str:
        assert (context, source) == ("", "%Ln photo(s)")
        return f"{n} Fotos"

    monkeypatch.setattr(words.QCoreApplication, "translate", translate)
    assert counted(2, "%Ln photo(s)") == "2 Fotos"


def photo(file_id: int, name: str) -> PhotoRecord:
    return PhotoRecord(file_id, f"/photos/{name}", 1000, 0, file_id, 640, 480, "JPEG", None,
                       None, bytes([file_id]) * 32)


def test_only_exact_copies_are_called_100_percent_alike(qtbot: QtBot) -> None:
    near = DuplicateGroup("near", [photo(1, "a.jpg"), photo(2, "a.png")], {1}, 0.9996)
    exact = DuplicateGroup("exact", [photo(3, "b.jpg"), photo(4, "b (1).jpg")], {3}, 1.0)
    assert "99% alike" in group_title(near)
    assert "100%" not in group_title(near)
    assert group_title(exact).startswith("2 exact copies")
    # The group row says why the two kinds differ.
    model = DuplicatesModel(thumbnails=_NoThumbnails())  # type: ignore[arg-type]
    model.set_groups([exact, near], model.plan)
    for row in range(2):
        tip = model.index(row, 0).data(0x03)  # ToolTipRole
        assert KIND_HELP in tip


class _NoThumbnails:
    class _Signal:
        def connect(self, _slot: object) -> None:
            pass

    thumbnail_ready = _Signal()


def test_a_resumed_indexing_reports_the_whole_run(
        make_window: Callable[..., MainWindow], qtbot: QtBot) -> None:  # noqa: F811
    window = make_window(start=False)
    window._on_index_finished(IndexRun(IndexReport(indexed=120, linked=1, elapsed=40.0,
                                                   cancelled=True)))  # paused
    window._on_index_finished(IndexRun(IndexReport(elapsed=0.2)))  # resumed: nothing left
    message = window.statusBar().currentMessage()
    assert "nothing changed" not in message
    assert "120 new" in message and "1 copy or move" in message
    assert message.startswith("Indexing done in 40 s")


def test_paste_image_to_search_does_not_look_like_a_toggle(
        make_window: Callable[..., MainWindow], qtbot: QtBot) -> None:  # noqa: F811
    window = make_window(start=False)
    act = window.act_paste
    assert not act.isCheckable()
    # The theme's paste icon, or none (the style's fallback was a check mark).
    assert act.icon().isNull() or QIcon.hasThemeIcon("edit-paste")


def test_a_fitted_name_keeps_the_part_that_differs_in_its_group(qtbot: QtBot) -> None:
    fm = QFontMetrics(QApplication.font())
    names = ["ukbench00120_resize.jpg", "ukbench00120_rotation.jpg", "ukbench00120.jpg"]
    width = fm.horizontalAdvance("ukbench00120_rot")
    shown = name_to_show(names[1], names, fm, width)
    assert "rotation" in shown and shown.startswith("\u2026")
    shown = name_to_show("IMG_0001 (1).jpg", ["IMG_0001.jpg", "IMG_0001 (1).jpg"], fm,
                         fm.horizontalAdvance("IMG_0001 (1"))
    assert "(1)" in shown
    assert name_to_show("a.jpg", names, fm, 500) == "a.jpg"  # fits: as it is
