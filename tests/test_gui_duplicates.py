"""The Duplicates view driven through its widgets (pytest-qt, offscreen): groups and totals,
strictness with a live count, marks that always keep a photo, keeper rules and reference
folders, compare, exports, and trash + Undo with the files, the gallery and the view following."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import send2trash
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from simfinder.app.review import review_groups as real_review_groups
from simfinder.app.units import human_size
from simfinder.app.usecases import EmbedderProvider
from simfinder.core.cleanup.keeper import KeepPlan, KeepRule
from simfinder.core.matching.similarity import Strictness
from simfinder.core.store.library import Library
from simfinder.gui import duplicates as duplicates_module
from simfinder.gui import workers
from simfinder.gui.duplicates import (
    COL_FOLDER,
    COL_FORMAT,
    COL_KEEP,
    COL_PHOTO,
    COL_RES,
    COMPANION_COLOR,
    DuplicatesPanel,
    photo_badges,
)
from simfinder.gui.mainwindow import MainWindow
from simfinder.gui.settings import AppSettings

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

TIMEOUT = 60_000

Photos = dict[str, Path]


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(
    qtbot: QtBot, tmp_path: Path, settings: AppSettings, embedder: EmbedderProvider,
    photo_folder: Callable[..., Photos], temp_trash: Path,
) -> Iterator[MainWindow]:
    photo_folder()
    win = MainWindow(tmp_path / "library", settings, embedder=embedder)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.start(add_folders=[tmp_path / "photos"])
    qtbot.waitUntil(lambda: win.model.rowCount() > 0 and not win.indexer.busy, timeout=TIMEOUT)
    yield win


@pytest.fixture
def photos(tmp_path: Path) -> Photos:
    root = (tmp_path / "photos").resolve()
    return {p.stem if p.parent == root else f"{p.parent.name}/{p.stem}": p
            for p in root.rglob("*.*")}


def open_duplicates(qtbot: QtBot, win: MainWindow) -> DuplicatesPanel:
    win.act_duplicates.trigger()
    panel = win.duplicates
    assert win.modes.currentWidget() is panel
    qtbot.waitUntil(lambda: not panel.searching, timeout=TIMEOUT)
    return panel


def group_names(panel: DuplicatesPanel) -> list[set[str]]:
    return [{os.path.basename(p.path) for p in g.photos} for g in panel.model.groups()]


def row_of(panel: DuplicatesPanel, path: Path, column: int = COL_KEEP):  # type: ignore[no-untyped-def]
    record = next(p for g in panel.model.groups() for p in g.photos if p.path == str(path))
    index = panel.model.photo_index(record.file_id, column)
    assert index.isValid()
    return index


def press_space_on(qtbot: QtBot, panel: DuplicatesPanel, path: Path) -> None:
    index = row_of(panel, path)
    panel.tree.setCurrentIndex(index)
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)


def is_kept(panel: DuplicatesPanel, path: Path) -> bool:
    return row_of(panel, path).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked


def digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


# -- the list -------------------------------------------------------------------------------


def test_groups_are_listed_with_their_details_and_totals(
    qtbot: QtBot, window: MainWindow, photos: Photos,
) -> None:
    panel = open_duplicates(qtbot, window)
    names = group_names(panel)
    assert names[0] == {"rocket.jpg"}  # exact copies first, then near-duplicates
    assert sorted(map(sorted, names[1:])) == [["cat-small.jpg", "cat.png", "chelsea.jpg"],
                                              ["coffee-bright.jpg", "coffee-q30.jpg",
                                               "coffee.jpg"]]
    groups = panel.model.groups()
    assert [g.kind for g in groups] == ["exact", "near", "near"]
    assert groups[1].confidence >= groups[2].confidence
    assert panel.count_label.text() == "3 groups"
    # One photo kept per group, by the default rules: the full-size lossless cat.
    assert is_kept(panel, photos["edits/cat"])
    assert not is_kept(panel, photos["edits/cat-small"])
    # What tells the copies apart, per photo.
    small = row_of(panel, photos["edits/cat-small"], COL_RES)
    record = panel.model.record(small)
    assert small.data() == f"{record.width} \u00d7 {record.height}"
    assert row_of(panel, photos["edits/cat"], COL_FORMAT).data() == "PNG"
    assert row_of(panel, photos["edits/cat"], COL_FOLDER).data() == "photos / edits"
    assert row_of(panel, photos["edits/cat-small"]).data() == "Remove"
    # Totals: groups, files, and the bytes the marked photos take.
    marked = [p for g in groups for p in g.photos if p.file_id not in g.keep]
    assert len(marked) == 5
    text = panel.totals_label.text()
    assert text.startswith("3 groups · 8 photos · 5 marked for removal")
    assert human_size(sum(p.size for p in marked)) in text


def test_changing_strictness_updates_the_live_count(
    qtbot: QtBot, window: MainWindow, settings: AppSettings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What each strictness finds is the engine's business (tests/test_duplicates.py); here the
    # engine answers with a known number of groups per strictness, to see the view follow.
    wanted = {Strictness.STRICT: 1, Strictness.NORMAL: 2, Strictness.LOOSE: 3}
    asked: list[Strictness] = []

    def review_groups(library: Library, strictness: Strictness, plan: KeepPlan,
                      **_options: object) -> list:
        asked.append(strictness)
        return real_review_groups(library, Strictness.NORMAL, plan)[: wanted[strictness]]

    monkeypatch.setattr(workers, "review_groups", review_groups)
    panel = open_duplicates(qtbot, window)
    assert panel.count_label.text() == "2 groups" and panel.model.rowCount() == 2
    panel.strictness_combo.setCurrentIndex(2)  # Loose
    assert panel.count_label.text() == "Finding duplicates…"  # found off the UI thread
    qtbot.waitUntil(lambda: panel.count_label.text() == "3 groups", timeout=TIMEOUT)
    assert panel.model.rowCount() == 3
    assert settings.strictness is Strictness.LOOSE
    assert window.panel.model.strictness is Strictness.LOOSE  # the similar panel follows
    panel.strictness_combo.setCurrentIndex(0)  # Strict
    qtbot.waitUntil(lambda: panel.count_label.text() == "1 group", timeout=TIMEOUT)
    assert panel.model.rowCount() == 1
    panel.strictness_combo.setCurrentIndex(2)  # back to Loose: known, shown at once
    assert panel.count_label.text() == "3 groups" and panel.model.rowCount() == 3
    assert asked == [Strictness.NORMAL, Strictness.LOOSE, Strictness.STRICT]


def test_changing_strictness_keeps_the_marks_set_by_hand(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch,
) -> None:
    wanted = {Strictness.STRICT: 1, Strictness.NORMAL: 2, Strictness.LOOSE: 3}

    def review_groups(library: Library, strictness: Strictness, plan: KeepPlan,
                      **_options: object) -> list:
        return real_review_groups(library, Strictness.NORMAL, plan)[: wanted[strictness]]

    monkeypatch.setattr(workers, "review_groups", review_groups)
    panel = open_duplicates(qtbot, window)
    first = panel.model.group_at(0)
    removed = next(p for p in first.photos if p.file_id not in first.keep)
    path = Path(removed.path)
    press_space_on(qtbot, panel, path)  # kept by hand
    assert is_kept(panel, path)
    for index, count in ((2, 3), (0, 1), (1, 2)):  # Loose, Strict, back to Normal
        panel.strictness_combo.setCurrentIndex(index)
        qtbot.waitUntil(lambda count=count: not panel.searching
                        and panel.model.rowCount() == count, timeout=TIMEOUT)
        assert is_kept(panel, path), index
    assert panel.model.overrides() == {removed.path: True}


def test_the_last_kept_photo_of_a_group_cannot_be_unmarked(
    qtbot: QtBot, window: MainWindow, photos: Photos,
) -> None:
    panel = open_duplicates(qtbot, window)
    keeper = photos["edits/cat"]
    press_space_on(qtbot, panel, keeper)
    assert is_kept(panel, keeper)  # refused
    assert panel.notice.isVisible()
    assert "Every group keeps at least one photo" in panel.notice.text()
    # Keep another one first; then the first may go.
    press_space_on(qtbot, panel, photos["chelsea"])
    assert is_kept(panel, photos["chelsea"])
    press_space_on(qtbot, panel, keeper)
    assert not is_kept(panel, keeper)
    assert panel.totals_label.text().startswith("3 groups · 8 photos · 5 marked")
    # The model refuses a check-box click the same way.
    index = row_of(panel, photos["chelsea"])
    assert not panel.model.setData(index, Qt.CheckState.Unchecked.value,
                                   Qt.ItemDataRole.CheckStateRole)
    assert is_kept(panel, photos["chelsea"])


def test_keeper_rules_and_reference_folders_are_applied_and_kept(
    qtbot: QtBot, window: MainWindow, photos: Photos, tmp_path: Path,
) -> None:
    panel = open_duplicates(qtbot, window)
    assert is_kept(panel, photos["rocket"]) and not is_kept(panel, photos["backup/rocket"])
    # The Keep mark says why, in plain words.
    tip = row_of(panel, photos["rocket"]).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Kept: in your photo folders: the others are in backup")
    assert row_of(panel, photos["backup/rocket"]).data(Qt.ItemDataRole.ToolTipRole) \
        == "Marked for removal. Check to keep it."
    # And the group's row shows it, without hovering.
    rockets = panel.model.index(group_row_with(panel, photos["rocket"]), 0)
    assert rockets.data().endswith(
        " · kept: in your photo folders: the others are in backup, download or export folders")
    panel.rules_button.click()
    dialog = panel.rules_dialog
    assert dialog is not None and dialog.isVisible()
    # The dialog lists the rules in the order they apply, the default one to start with.
    assert [dialog.rules.item(i).text().split("  —  ")[0] for i in range(3)] == \
        ["In a reference folder", "Most detail", "Camera data"]
    # "Oldest capture date" right after the reference folders: select it, Move Up.
    dialog.rules.setCurrentRow(dialog.rule_order().index(KeepRule.OLDEST))
    while dialog.rule_order().index(KeepRule.OLDEST) > 1:
        dialog.rule_up.click()
    assert dialog.rule_order()[:2] == [KeepRule.REFERENCE_FOLDER, KeepRule.OLDEST]
    dialog.add_reference_folder(str(photos["backup/rocket"].parent))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    # The oldest file of the cats is kept now (none has a capture date; chelsea.jpg was
    # written first). The reference copy of the rocket is kept, the other marked for removal,
    # and the reference copy cannot be unmarked.
    assert is_kept(panel, photos["chelsea"]) and not is_kept(panel, photos["edits/cat"])
    assert is_kept(panel, photos["backup/rocket"]) and not is_kept(panel, photos["rocket"])
    rockets = panel.model.index(group_row_with(panel, photos["rocket"]), 0)
    assert rockets.data().endswith(" · kept: in a reference folder")
    assert not row_of(panel, photos["backup/rocket"]).flags() & Qt.ItemFlag.ItemIsUserCheckable
    press_space_on(qtbot, panel, photos["rocket"])  # keep both: allowed
    press_space_on(qtbot, panel, photos["backup/rocket"])
    assert is_kept(panel, photos["backup/rocket"])
    assert "reference folder" in panel.notice.text()
    assert rockets.data().endswith("· all kept")  # no reason when nothing goes
    # Kept in the settings for the next start (the library's: the command line uses them).
    reread = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    reread.use_library(window.library_root)
    plan = reread.keep_plan
    assert plan.rules[1] is KeepRule.OLDEST
    assert plan.reference_folders == (str(photos["backup/rocket"].parent),)


def test_removing_the_jpegs_of_raw_pairs_is_a_keep_rules_option_that_rescans(
    qtbot: QtBot, window: MainWindow, photos: Photos, tmp_path: Path,
) -> None:
    raw = photos["rocket"].with_name("rocket.NEF")
    raw.write_bytes(photos["rocket"].read_bytes())  # what the scan sees: a RAW beside its JPEG
    window.rescan()
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=TIMEOUT)
    assert window.model.record_at_path(str(raw)) is None  # one photo: the JPEG
    panel = open_duplicates(qtbot, window)
    panel.rules_button.click()
    dialog = panel.rules_dialog
    assert dialog is not None and not dialog.remove_raw_jpegs.isChecked()
    dialog.remove_raw_jpegs.setChecked(True)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    # The folders are scanned again: the RAW is a photo of its own now.
    qtbot.waitUntil(lambda: window.model.record_at_path(str(raw)) is not None, timeout=TIMEOUT)
    reread = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    reread.use_library(window.library_root)
    assert reread.keep_plan.remove_raw_jpegs


def test_new_keep_rules_leave_the_users_own_marks_unless_asked(
    qtbot: QtBot, window: MainWindow, photos: Photos, monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = open_duplicates(qtbot, window)
    # Two groups marked by hand the other way round from the rules.
    assert is_kept(panel, photos["edits/cat"]) and not is_kept(panel, photos["chelsea"])
    press_space_on(qtbot, panel, photos["chelsea"])
    press_space_on(qtbot, panel, photos["edits/cat"])
    assert not is_kept(panel, photos["edits/coffee-q30"])
    q30 = row_of(panel, photos["edits/coffee-q30"]).data(duplicates_module.RecordRole)
    panel.model.keep_only(q30.file_id)
    coffee_kept = {p.path for g in panel.model.groups() for p in g.photos
                   if p.file_id in g.keep and "coffee" in p.path}
    assert coffee_kept == {str(photos["edits/coffee-q30"])}
    asked: list[tuple[str, list[str]]] = []
    answer: list[str] = []
    monkeypatch.setattr(duplicates_module, "ask",
                        lambda parent, title, text, choices:
                        asked.append((text, list(choices))) or answer.pop(0))

    def add_reference_folder() -> None:
        panel.rules_button.click()
        dialog = panel.rules_dialog
        assert dialog is not None
        dialog.add_reference_folder(str(photos["backup/rocket"].parent))
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    answer.append("Keep My Marks")
    add_reference_folder()
    text, choices = asked[-1]
    assert text.startswith("The new rules would change 4 marks you set by hand (in 2 groups)")
    assert choices == ["Keep My Marks", "Re-apply the Rules to Them"]
    # The reference folder applies; the user's marks stand.
    assert is_kept(panel, photos["backup/rocket"]) and not is_kept(panel, photos["rocket"])
    assert is_kept(panel, photos["chelsea"]) and not is_kept(panel, photos["edits/cat"])
    assert is_kept(panel, photos["edits/coffee-q30"])

    answer.append("Re-apply the Rules to Them")
    add_reference_folder()
    assert len(asked) == 2
    assert is_kept(panel, photos["edits/cat"]) and not is_kept(panel, photos["chelsea"])
    assert not is_kept(panel, photos["edits/coffee-q30"])
    assert is_kept(panel, photos["backup/rocket"])
    assert panel.model.overrides() == {}


def test_keep_rules_saved_by_an_earlier_version_still_apply(settings: AppSettings) -> None:
    # Never changed from that version's default: today's default order.
    settings.q.setValue("duplicates/rules", ["reference-folder", "highest-resolution",
                                             "preferred-format", "largest-file",
                                             "least-compressed", "oldest-capture"])
    assert settings.keep_plan.rules == KeepPlan().rules
    # Changed by the user: their order, under today's names.
    settings.q.setValue("duplicates/rules", ["oldest-capture", "reference-folder",
                                             "highest-resolution", "preferred-format",
                                             "largest-file", "least-compressed"])
    assert settings.keep_plan.rules[:4] == (KeepRule.OLDEST, KeepRule.REFERENCE_FOLDER,
                                            KeepRule.MOST_DETAIL, KeepRule.CAMERA_DATA)


def test_compare_zooms_and_pans_together_and_highlights_differences(
    qtbot: QtBot, window: MainWindow, photos: Photos,
) -> None:
    panel = open_duplicates(qtbot, window)
    index = row_of(panel, photos["edits/cat-small"], COL_RES)
    panel.tree.setCurrentIndex(index)
    panel.compare_button.click()
    dialog = panel.compare_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    assert Path(dialog.views[0].record.path).name == "cat-small.jpg"
    assert len(dialog.views) == 3
    qtbot.waitUntil(lambda: dialog.loaded == 3, timeout=TIMEOUT)
    first, second = dialog.views[0], dialog.views[1]
    before = second.scale_factor
    wheel = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, 240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(first.viewport(), wheel)
    assert second.scale_factor > before * 1.4
    assert all(abs(v.scale_factor - first.scale_factor) < 1e-9 for v in dialog.views)
    first.horizontalScrollBar().setValue(first.horizontalScrollBar().maximum())
    assert abs(second.center_fraction().x() - first.center_fraction().x()) < 0.02
    assert "Resolution" in dialog.differing and "Camera" not in dialog.differing
    res_row = 2
    highlighted = dialog.table.item(res_row, 0).background().color()
    assert highlighted.isValid() and highlighted != dialog.table.item(7, 0).background().color()
    dialog.close()


def test_export_saves_the_marks_shown(
    qtbot: QtBot, window: MainWindow, photos: Photos, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = open_duplicates(qtbot, window)
    press_space_on(qtbot, panel, photos["edits/cat-small"])  # keep it too, by hand
    for fmt in ("csv", "json"):
        target = tmp_path / f"out.{fmt}"
        monkeypatch.setattr(duplicates_module.QFileDialog, "getSaveFileName",
                            lambda *a, target=target, **k: (str(target), ""))
        (panel.act_export_csv if fmt == "csv" else panel.act_export_json).trigger()
        assert target.is_file()
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    doc = json.loads((tmp_path / "out.json").read_text())
    from_csv = {r["path"]: r["keep"] == "true" for r in rows}
    from_json = {f["path"]: f["keep"] for g in doc["groups"] for f in g["files"]}
    assert from_csv == from_json
    # The JSON says as much as the CSV: how alike, each file's format and capture date.
    files = {f["path"]: f for g in doc["groups"] for f in g["files"]}
    for r in rows:
        assert files[r["path"]]["format"] == r["format"]
        assert (files[r["path"]]["taken_at"] or "") == r["taken_at"]
    by_group = {r["group"]: float(r["confidence"]) for r in rows}
    assert [g["confidence"] for g in doc["groups"]] == \
        [by_group[str(n)] for n in range(1, len(doc["groups"]) + 1)]
    assert from_json[str(photos["edits/cat-small"])] is True
    assert from_json[str(photos["chelsea"])] is False
    assert len(doc["groups"]) == 3


# -- clean-up -------------------------------------------------------------------------------


def test_a_photos_companion_files_show_on_it_and_count_in_the_confirmation(
    qtbot: QtBot, tmp_path: Path, settings: AppSettings, embedder: EmbedderProvider,
    photo_folder: Callable[..., Photos], temp_trash: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = photo_folder()
    copy = made["rocket-copy"]  # in a backup folder, but with the user's edits
    for name in ("rocket.MOV", "rocket.jpg.xmp"):
        copy.with_name(name).write_text("a companion")
    win = MainWindow(tmp_path / "library", settings, embedder=embedder)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.start(add_folders=[tmp_path / "photos"])
    qtbot.waitUntil(lambda: win.model.rowCount() > 0 and not win.indexer.busy, timeout=TIMEOUT)
    panel = open_duplicates(qtbot, win)

    index = row_of(panel, copy, COL_PHOTO)
    assert photo_badges(index) == [("+2", COMPANION_COLOR)]
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert tip.endswith("Goes with:\nrocket.MOV\nrocket.jpg.xmp")
    assert photo_badges(row_of(panel, made["rocket"], COL_PHOTO)) == []
    # The keep rule "has edits or metadata" keeps the copy that has them, and says why.
    assert is_kept(panel, copy) and not is_kept(panel, made["rocket"])
    assert row_of(panel, copy).data(Qt.ItemDataRole.ToolTipRole) == (
        "Kept: has edits or metadata the others lack: Live Photo video, XMP sidecar. "
        "Uncheck to mark it for removal.")

    # The user keeps the bare original instead: the confirmation says what the copy to remove
    # has, lists it, and offers to keep the copy instead.
    record = next(p for g in panel.model.groups() for p in g.photos
                  if p.path == str(made["rocket"]))
    panel.model.keep_only(record.file_id)
    assert not is_kept(panel, copy)
    asked: list[tuple[str, list[str]]] = []

    def question(parent: object, title: str, text: str, choices: list[str]) -> str | None:
        asked.append((text, list(choices)))
        return choices[-1]  # the last: keep the copy instead

    monkeypatch.setattr(duplicates_module, "ask", question)
    panel.trash_button.click()
    text, choices = asked[0]
    assert text.startswith("Move 5 photos and 2 companion files (")
    assert ("backup/rocket.jpg has files the copy kept (photos/rocket.jpg) lacks: rocket.MOV "
            "(Live Photo video), rocket.jpg.xmp (XMP sidecar). They go with it, unless you keep "
            "backup/rocket.jpg instead.") in text
    assert choices[-1] == "Keep backup/rocket.jpg Instead"
    # Swapped, nothing moved.
    assert is_kept(panel, copy) and not is_kept(panel, made["rocket"])
    assert copy.exists() and copy.with_name("rocket.MOV").exists()
    assert made["rocket"].exists()
    assert panel.notice.text() == ("Kept backup/rocket.jpg instead, with its companion files. "
                                   "Nothing was moved.")


def test_trash_and_undo_through_the_ui(
    qtbot: QtBot, window: MainWindow, photos: Photos, temp_trash: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = open_duplicates(qtbot, window)
    marked = [Path(p.path) for g in panel.model.groups() for p in g.photos
              if p.file_id not in g.keep]
    before = {p: digest(p) for p in marked}
    size = human_size(sum(p.size for g in panel.model.groups() for p in g.photos
                          if p.file_id not in g.keep))
    gallery_before = window.model.rowCount()
    refused = photos["edits/coffee-q30"]
    assert refused in marked
    real = send2trash.send2trash

    def send(path: str) -> None:  # one file the system will not let go
        if path == str(refused):
            raise PermissionError(13, "Permission denied", path)
        real(path)

    monkeypatch.setattr(send2trash, "send2trash", send)
    asked: list[str] = []

    def question(parent: object, title: str, text: str, choices: list[str]) -> str:
        asked.append(text)
        return choices[0]

    monkeypatch.setattr(duplicates_module, "ask", question)
    with qtbot.waitSignal(window.indexer.action_finished, timeout=TIMEOUT) as finished:
        panel.trash_button.click()
    # The confirmation said how many photos and how many bytes.
    assert len(asked) == 1 and asked[0].startswith(f"Move 5 photos ({size}) to the Trash?")
    report = finished.args[0]
    assert [f.path for f in report.failed] == [str(refused)]
    qtbot.waitUntil(lambda: not window.indexer.busy and not panel.searching, timeout=TIMEOUT)
    # The files: in the trash, except the refused one; the report lists that one, non-modal.
    assert [p for p in marked if p.exists()] == [refused]
    assert len(os.listdir(temp_trash / "files")) == 4
    assert panel.report_dialog is not None and panel.report_dialog.isVisible()
    assert not panel.report_dialog.isModal()
    assert panel.report_dialog.paths() == [str(refused)]
    assert panel.report_dialog.reasons() == ["permission denied"]
    # The gallery and the view follow: the coffee group keeps the refused copy.
    assert window.model.rowCount() == gallery_before - 4
    assert group_names(panel) == [{"coffee.jpg", "coffee-q30.jpg"}]
    assert "Moved 4 photos" in window.statusBar().currentMessage()
    assert window.act_undo.isEnabled()
    assert window.act_undo.text() == "&Undo Move to Trash (4 photos)"

    # Edit > Undo (Ctrl+Z): the files come back, byte for byte, and so do the views.
    with qtbot.waitSignal(window.indexer.undo_finished, timeout=TIMEOUT):
        window.act_undo.trigger()
    qtbot.waitUntil(lambda: not window.indexer.busy and not panel.searching, timeout=TIMEOUT)
    assert {p: digest(p) for p in marked} == before
    assert os.listdir(temp_trash / "files") == []
    assert window.model.rowCount() == gallery_before
    assert panel.model.rowCount() == 3
    assert "Put back 4 photos" in window.statusBar().currentMessage()
    assert not window.act_undo.isEnabled()


def test_move_to_a_folder_and_back_through_the_ui(
    qtbot: QtBot, window: MainWindow, photos: Photos, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = open_duplicates(qtbot, window)
    target = tmp_path / "set aside"
    target.mkdir()
    monkeypatch.setattr(duplicates_module.QFileDialog, "getExistingDirectory",
                        lambda *a, **k: str(target))
    asked: list[str] = []
    monkeypatch.setattr(duplicates_module, "ask",
                        lambda parent, title, text, choices: asked.append(text) or choices[0])
    with qtbot.waitSignal(window.indexer.action_finished, timeout=TIMEOUT):
        panel.move_button.click()
    assert asked[0].startswith("Move 5 photos (") and str(target.resolve()) in asked[0]
    qtbot.waitUntil(lambda: not window.indexer.busy and not panel.searching, timeout=TIMEOUT)
    moved = target / "photos" / "edits" / "cat-small.jpg"
    assert moved.is_file() and not photos["edits/cat-small"].exists()
    assert (target / "photos" / "backup" / "rocket.jpg").is_file()
    assert panel.model.rowCount() == 0
    assert panel.empty.isVisible() and "No duplicates" in panel.empty.text()
    assert window.act_undo.text() == "&Undo Move to Folder (5 photos)"
    with qtbot.waitSignal(window.indexer.undo_finished, timeout=TIMEOUT):
        qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.indexer.busy and not panel.searching, timeout=TIMEOUT)
    assert photos["edits/cat-small"].is_file() and not moved.exists()
    assert panel.model.rowCount() == 3


def group_row_with(panel: DuplicatesPanel, path: Path) -> int:
    return next(r for r, g in enumerate(panel.model.groups())
                if any(p.path == str(path) for p in g.photos))


@pytest.mark.parametrize("how", ["trash", "folder"])
def test_undo_brings_back_the_review_as_it_was(
    qtbot: QtBot, window: MainWindow, photos: Photos, tmp_path: Path, temp_trash: Path,
    monkeypatch: pytest.MonkeyPatch, how: str,
) -> None:
    panel = open_duplicates(qtbot, window)
    # The cats: chelsea.jpg marked to keep by hand too, and the group marked Done.
    assert not is_kept(panel, photos["chelsea"])
    press_space_on(qtbot, panel, photos["chelsea"])
    cats = group_row_with(panel, photos["chelsea"])
    panel.tree.setCurrentIndex(panel.model.index(cats, 0))
    panel.done_button.click()
    assert panel.model.is_done(cats)
    target = tmp_path / "set aside"
    target.mkdir()
    monkeypatch.setattr(duplicates_module.QFileDialog, "getExistingDirectory",
                        lambda *a, **k: str(target))
    monkeypatch.setattr(duplicates_module, "ask", lambda *a: a[3][0])
    with qtbot.waitSignal(window.indexer.action_finished, timeout=TIMEOUT):
        (panel.trash_button if how == "trash" else panel.move_button).click()
    qtbot.waitUntil(lambda: not window.indexer.busy and not panel.searching, timeout=TIMEOUT)
    assert not photos["edits/cat-small"].exists()
    with qtbot.waitSignal(window.indexer.undo_finished, timeout=TIMEOUT):
        window.act_undo.trigger()
    qtbot.waitUntil(lambda: not window.indexer.busy and not panel.searching
                    and panel.model.rowCount() == 3, timeout=TIMEOUT)
    # The cats come back Done, with chelsea.jpg kept as the user had marked it.
    cats = group_row_with(panel, photos["chelsea"])
    assert panel.model.is_done(cats)
    assert panel.model.index(cats, 0).data().startswith("\u2713 Done")
    assert is_kept(panel, photos["chelsea"]) and not is_kept(panel, photos["edits/cat-small"])
    # ... and so does the review saved in the library (for the next start).
    state = window.duplicates.review.recorder.state().result(10)
    assert panel.model.group_at(cats).key in state.done
    assert state.marks.get(str(photos["chelsea"])) is True


def test_trash_acts_on_one_group_or_only_the_reviewed_ones(
    qtbot: QtBot, window: MainWindow, photos: Photos, temp_trash: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = open_duplicates(qtbot, window)
    asked: list[tuple[str, list[str]]] = []
    answer: list[str] = []

    def question(parent: object, title: str, text: str, choices: list[str]) -> str:
        asked.append((text, list(choices)))
        return answer.pop(0)

    monkeypatch.setattr(duplicates_module, "ask", question)
    # Photos of two groups selected: a photo's menu offers those two groups.
    selection = panel.tree.selectionModel()
    for path in (photos["rocket"], photos["chelsea"]):
        selection.select(row_of(panel, path), selection.SelectionFlag.Select
                         | selection.SelectionFlag.Rows)
    menu = panel.context_menu(row_of(panel, photos["chelsea"]))
    assert menu is not None
    assert "Move Marked Photos of the 2 Selected Groups to Trash…" in \
        [a.text() for a in menu.actions()]
    selection.clearSelection()
    # The rocket group's own menu: its marked copy only, nothing of the other groups.
    rockets = group_row_with(panel, photos["rocket"])
    menu = panel.context_menu(panel.model.index(rockets, 0))
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    assert "Move Marked Photos of This Group to Trash…" in texts
    assert "Move Marked Photos of This Group to Folder…" in texts
    answer.append("Move to Trash")
    with qtbot.waitSignal(window.indexer.action_finished, timeout=TIMEOUT):
        next(a for a in menu.actions() if a.text().endswith("This Group to Trash…")).trigger()
    assert asked[-1][0].startswith("Move 1 photo (")
    assert "Only this group" in asked[-1][0]
    qtbot.waitUntil(lambda: not window.indexer.busy and not panel.searching, timeout=TIMEOUT)
    assert not photos["backup/rocket"].exists()
    assert os.listdir(temp_trash / "files") == ["rocket.jpg"]
    assert sorted(map(sorted, group_names(panel))) == [
        ["cat-small.jpg", "cat.png", "chelsea.jpg"],
        ["coffee-bright.jpg", "coffee-q30.jpg", "coffee.jpg"]]

    # All groups, one of them Done: the confirmation says so, and offers just that one.
    cats = group_row_with(panel, photos["chelsea"])
    panel.tree.setCurrentIndex(panel.model.index(cats, 0))
    panel.done_button.click()
    answer.append("Only the Reviewed Groups")
    with qtbot.waitSignal(window.indexer.action_finished, timeout=TIMEOUT):
        panel.trash_button.click()
    text, choices = asked[-1]
    assert text.startswith("Move 4 photos (")
    assert "You marked 1 of the 2 groups Done; 1 is not reviewed yet." in text
    assert "Only the Reviewed Groups: 2 photos (" in text
    assert choices == ["Move to Trash", "Only the Reviewed Groups"]
    qtbot.waitUntil(lambda: not window.indexer.busy and not panel.searching, timeout=TIMEOUT)
    assert not photos["chelsea"].exists() and not photos["edits/cat-small"].exists()
    # The coffee group nobody reviewed is untouched.
    assert photos["edits/coffee-q30"].exists() and photos["edits/coffee-bright"].exists()
    assert group_names(panel) == [{"coffee.jpg", "coffee-q30.jpg", "coffee-bright.jpg"}]


def test_a_move_killed_half_way_is_settled_when_the_app_starts(
    qtbot: QtBot, window: MainWindow, photos: Photos, temp_trash: Path, tmp_path: Path,
    settings: AppSettings, embedder: EmbedderProvider,
) -> None:
    window.close()
    lib = Library.open(tmp_path / "library")
    record = lib.catalog.photo(str(photos["edits/cat-small"]))
    assert record is not None
    batch = lib.catalog.journal_begin("trash")
    lib.catalog.journal_add(batch, record.path, record.size, record.digest)
    send2trash.send2trash(record.path)  # ... and the app was killed here
    lib.close()

    again = MainWindow(tmp_path / "library", settings, embedder=embedder)
    qtbot.addWidget(again)
    again.show()
    again.start(rescan=False)  # the journal, not a rescan, tells what happened
    qtbot.waitUntil(lambda: again.model.rowCount() > 0 and not again.indexer.busy,
                    timeout=TIMEOUT)
    assert again.model.record_at_path(record.path) is None
    assert again.act_undo.text() == "&Undo Move to Trash (1 photo)"
    with qtbot.waitSignal(again.indexer.undo_finished, timeout=TIMEOUT):
        again.act_undo.trigger()
    qtbot.waitUntil(lambda: not again.indexer.busy, timeout=TIMEOUT)
    assert Path(record.path).is_file()
    assert again.model.record_at_path(record.path) is not None
