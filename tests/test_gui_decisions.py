"""Decisions and the saved review in the desktop app (pytest-qt, offscreen): Keep All (K) and
Not Duplicates (N) on a group or on selected photos, the Decisions panel with Undo, the marks
and done groups saved as the user goes and offered back on the next start."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from pytestqt.qtbot import QtBot

from simfinder.app.usecases import EmbedderProvider
from simfinder.core.store.catalog import Catalog
from simfinder.core.store.layout import CATALOG_FILE
from simfinder.gui import decisions_panel
from simfinder.gui.duplicates import COL_KEEP, DuplicatesPanel
from simfinder.gui.mainwindow import MainWindow
from simfinder.gui.settings import AppSettings

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

TIMEOUT = 60_000


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def open_window(
    qtbot: QtBot, tmp_path: Path, settings: AppSettings, embedder: EmbedderProvider,
) -> Iterator[Callable[..., MainWindow]]:
    windows: list[MainWindow] = []

    def make(add: bool = False) -> MainWindow:
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


def open_duplicates(qtbot: QtBot, win: MainWindow) -> DuplicatesPanel:
    win.act_duplicates.trigger()
    panel = win.duplicates
    qtbot.waitUntil(lambda: not panel.searching and panel.model.rowCount() > 0,
                    timeout=TIMEOUT)
    return panel


def group_names(panel: DuplicatesPanel) -> list[set[str]]:
    return [{os.path.basename(p.path) for p in g.photos} for g in panel.model.groups()]


def row_with(panel: DuplicatesPanel, name: str) -> int:
    return next(r for r, names in enumerate(group_names(panel)) if name in names)


def photo_index(panel: DuplicatesPanel, name: str):  # type: ignore[no-untyped-def]
    record = next(p for g in panel.model.groups() for p in g.photos
                  if os.path.basename(p.path) == name)
    return panel.model.photo_index(record.file_id, COL_KEEP)


def settle(qtbot: QtBot, win: MainWindow, decisions: int) -> None:
    """Wait until what was decided is saved, listed (the view heard of it before the list
    did) and the groups are found again."""
    assert win.review.flush(30)
    qtbot.waitUntil(lambda: len(win.decisions.ids()) == decisions, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not win.duplicates.searching, timeout=TIMEOUT)


def test_keep_all_and_not_duplicates_with_keys_and_undo_in_the_decisions_panel(
    qtbot: QtBot, open_window: Callable[..., MainWindow],
    photo_folder: Callable[..., dict[str, Path]], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    photo_folder()
    win = open_window(add=True)
    panel = open_duplicates(qtbot, win)
    assert len(group_names(panel)) == 3

    # K on the coffee group: it leaves the list at once, and the Decisions panel lists it.
    panel.go_to_group(row_with(panel, "coffee.jpg"))
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_K)
    assert not any("coffee.jpg" in names for names in group_names(panel))
    settle(qtbot, win, 1)
    assert not any("coffee.jpg" in names for names in group_names(panel))
    assert panel.count_label.text() == "2 groups"

    # N on two selected photos of the cat group: never grouped together again, though
    # cat.png is a copy of both.
    panel.tree.clearSelection()
    for name in ("chelsea.jpg", "cat-small.jpg"):
        panel.tree.selectionModel().select(
            photo_index(panel, name),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    panel.tree.setCurrentIndex(photo_index(panel, "chelsea.jpg"))
    panel.tree.selectionModel().select(
        photo_index(panel, "cat-small.jpg"),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    assert {os.path.basename(r.path) for r in panel.selected_records()} == \
        {"chelsea.jpg", "cat-small.jpg"}
    qtbot.keyClick(panel.tree, Qt.Key.Key_N)
    settle(qtbot, win, 2)
    qtbot.waitUntil(lambda: not any({"chelsea.jpg", "cat-small.jpg"} <= names
                                    for names in group_names(panel)), timeout=TIMEOUT)
    assert any("cat.png" in names for names in group_names(panel))

    # The Decisions panel (View > Decisions): newest first, in words; Undo brings the coffee
    # group back.
    win.act_decisions.trigger()
    assert win.decisions.isVisible()
    assert win.decisions.pane.column(0) == ["Not duplicates", "Keep all"]
    assert "coffee.jpg" in win.decisions.pane.column(1)[1]
    assert "2 decisions (1 keep all, 1 not duplicates)" in win.decisions.summary.text()
    win.decisions.tree.setCurrentItem(win.decisions.tree.topLevelItem(1))
    win.decisions.undo_button.click()
    settle(qtbot, win, 1)
    qtbot.waitUntil(lambda: any("coffee.jpg" in names for names in group_names(panel)),
                    timeout=TIMEOUT)

    # Export and import through the panel's buttons.
    saved = tmp_path / "decisions.json"
    monkeypatch.setattr(decisions_panel.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(saved), ""))
    win.decisions.export_button.click()
    assert win.review.flush(30)
    assert [d["kind"] for d in json.loads(saved.read_text())["decisions"]] == \
        ["not-duplicates"]
    qtbot.waitUntil(lambda: "Saved 1 decisions" in win.statusBar().currentMessage())
    win.decisions.tree.setCurrentItem(win.decisions.tree.topLevelItem(0))
    win.decisions.tree.setFocus()
    qtbot.keyClick(win.decisions.tree, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: win.decisions.ids() == [], timeout=TIMEOUT)
    monkeypatch.setattr(decisions_panel.QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(saved), ""))
    win.decisions.import_button.click()
    qtbot.waitUntil(lambda: len(win.decisions.ids()) == 1, timeout=TIMEOUT)
    assert "Imported 1 decisions (0 already there)" in win.statusBar().currentMessage()


def test_exact_copies_cannot_be_called_not_duplicates(
    qtbot: QtBot, open_window: Callable[..., MainWindow],
    photo_folder: Callable[..., dict[str, Path]],
) -> None:
    photo_folder()
    win = open_window(add=True)
    panel = open_duplicates(qtbot, win)
    panel.go_to_group(row_with(panel, "rocket.jpg"))
    panel.act_not_duplicates.trigger()
    assert "exact copies" in panel.notice.text()
    assert win.review.flush(30)
    assert win.decisions.ids() == []
    assert any("rocket.jpg" in names for names in group_names(panel))


def test_the_review_is_saved_as_you_go_and_offered_back_on_start(
    qtbot: QtBot, open_window: Callable[..., MainWindow],
    photo_folder: Callable[..., dict[str, Path]], tmp_path: Path,
) -> None:
    photos = photo_folder()
    win = open_window(add=True)
    panel = open_duplicates(qtbot, win)
    assert not win.resume_bar.isVisible()  # nothing to continue the first time
    # Keep the small cat as well (Space), and mark the cat group done (D): the view moves on.
    cat_row = row_with(panel, "cat.png")
    panel.tree.setCurrentIndex(photo_index(panel, "cat-small.jpg"))
    panel.tree.setFocus()
    was_kept = photo_index(panel, "cat-small.jpg").data(Qt.ItemDataRole.CheckStateRole)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    now = photo_index(panel, "cat-small.jpg").data(Qt.ItemDataRole.CheckStateRole)
    assert now != was_kept
    panel.go_to_group(cat_row)
    qtbot.keyClick(panel.tree, Qt.Key.Key_D)
    assert panel.model.is_done(cat_row)
    assert panel.model.index(cat_row, 0).data().startswith("\u2713 Done")
    assert panel.current_group_row() != cat_row
    where = panel.model.group_at(panel.current_group_row()).key
    win.close()  # the position is saved on the way out

    again = open_window()
    qtbot.waitUntil(lambda: again.resume_bar.isVisible(), timeout=TIMEOUT)
    assert "1 photo marked, 1 group done" in again.resume_label.text()
    again.resume_button.click()
    assert again.modes.currentWidget() is again.duplicates
    panel = again.duplicates
    qtbot.waitUntil(lambda: not panel.searching and panel.model.rowCount() == 3,
                    timeout=TIMEOUT)
    assert photo_index(panel, "cat-small.jpg").data(Qt.ItemDataRole.CheckStateRole) == now
    assert panel.model.is_done(row_with(panel, "cat.png"))
    assert panel.model.group_at(panel.current_group_row()).key == where  # where they were
    assert str(photos["cat-small"]) in panel.model.overrides()

    # Start Over: the rules' marks again, nothing done (decisions are not touched).
    again.resume_bar.show()
    again.start_over_button.click()
    assert not again.resume_bar.isVisible()
    assert photo_index(panel, "cat-small.jpg").data(Qt.ItemDataRole.CheckStateRole) == was_kept
    assert not panel.model.is_done(row_with(panel, "cat.png"))
    assert again.review.flush(30)
    catalog = Catalog(tmp_path / "library" / CATALOG_FILE, readonly=True)
    try:
        assert catalog.review_state().empty
    finally:
        catalog.close()


def test_the_group_menu_decides_and_the_keys_act_on_the_list_only(
    qtbot: QtBot, open_window: Callable[..., MainWindow],
    photo_folder: Callable[..., dict[str, Path]],
) -> None:
    photo_folder()
    win = open_window(add=True)
    panel = open_duplicates(qtbot, win)
    # Typing in the Match box never decides anything.
    panel.strictness_combo.setFocus()
    qtbot.keyClick(panel.strictness_combo, Qt.Key.Key_N)
    qtbot.keyClick(panel.strictness_combo, Qt.Key.Key_K)
    assert win.review.flush(30)
    assert win.decisions.ids() == [] and len(group_names(panel)) == 3

    # A photo row with two photos of its group selected offers the decision about those two.
    panel.tree.setCurrentIndex(photo_index(panel, "chelsea.jpg"))
    panel.tree.selectionModel().select(
        photo_index(panel, "cat-small.jpg"),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    menu = panel.context_menu(photo_index(panel, "chelsea.jpg"))
    assert menu is not None
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[:3] == ["Keep All 2 Selected", "Selected Photos Are Not Duplicates",
                         "Mark &Done"]
    assert "Keep Only This One" in texts

    # The menu of a group row: the decisions about the whole group, with their keys, and the
    # moves of its marked photos.
    row = row_with(panel, "coffee.jpg")
    menu = panel.context_menu(panel.model.index(row, 0))
    assert menu is not None
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert list(actions) == ["&Keep All", "&Not Duplicates", "Mark &Done",
                             "Move Marked Photos of This Group to Trash…",
                             "Move Marked Photos of This Group to Folder…"]
    assert actions["&Keep All"].shortcut().toString() == "K"
    actions["&Not Duplicates"].trigger()
    assert not any("coffee.jpg" in names for names in group_names(panel))
    settle(qtbot, win, 1)
    assert not any(len({"coffee.jpg", "coffee-q30.jpg", "coffee-bright.jpg"} & names) > 1
                   for names in group_names(panel))
    assert win.decisions.pane.column(0) == ["Not duplicates"]


def test_continue_review_while_likely_copies_are_compared_shows_the_groups_known_so_far(
    qtbot: QtBot, open_window: Callable[..., MainWindow],
    photo_folder: Callable[..., dict[str, Path]],
) -> None:
    """Indexing resumed on start compares likely copies for minutes: Continue Review shows
    the groups known so far at once, says they are still being checked, on the group the
    review was on; when the comparison is done, the whole list, still on that group."""
    photo_folder()
    win = open_window(add=True)
    panel = open_duplicates(qtbot, win)
    panel.go_to_group(0)
    panel.toggle_done()  # a review to continue
    last = panel.model.rowCount() - 1
    panel.go_to_group(last)
    where = panel.model.group_at(last).key
    win.close()

    again = open_window()
    qtbot.waitUntil(lambda: again.resume_bar.isVisible(), timeout=TIMEOUT)
    again.duplicates.set_comparing(True)  # as the indexing thread says while it compares
    again.resume_button.click()
    panel = again.duplicates
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=TIMEOUT)
    assert panel.stack.currentWidget() is panel.tree
    assert panel.checking_label.isVisible()
    assert "so far" in panel.count_label.text()
    assert panel.keep_all_button.isEnabled() and panel.done_button.isEnabled()
    assert panel.model.group_at(panel.current_group_row()).key == where

    again.duplicates.set_comparing(False)  # done: the whole list
    qtbot.waitUntil(lambda: not panel.searching and not panel.checking_label.isVisible(),
                    timeout=TIMEOUT)
    assert panel.model.rowCount() == 3
    assert panel.count_label.text() == "3 groups"
    assert panel.model.group_at(panel.current_group_row()).key == where
