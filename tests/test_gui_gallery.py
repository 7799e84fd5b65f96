"""The gallery as a user sees it (pytest-qt, offscreen): columns that fill the width at any
thumbnail size, the photo at the top staying in view when the size changes, the folders as a
tree to narrow the gallery to one, and counts that follow the gallery while it fills."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from simfinder.core.store.catalog import PhotoRow
from simfinder.gui.gallery import DEFAULT_THUMB, MAX_THUMB, MIN_THUMB
from simfinder.gui.mainwindow import MainWindow
from tests.test_gui import (  # noqa: F401  (fixtures)
    TIMEOUT,
    GatedEmbedder,
    make_window,
    noise_photos,
    settings,
    wait_idle,
)

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")


def fake_rows(root: Path, count: int, folders: tuple[str, ...] = ("",)) -> list[PhotoRow]:
    """Catalog rows of photos that need no file (their thumbnails show as missing)."""
    rows: list[PhotoRow] = []
    for i in range(count):
        folder = root / folders[i % len(folders)]
        rows.append((i + 1, str(folder / f"photo-{i:03d}.jpg"), 1000, 1_000_000_000 * (i + 1),
                     i + 1, 400, 300, "JPEG", None, None, i.to_bytes(16, "big")))
    return rows


def columns(window: MainWindow) -> list[int]:
    """The x of each column of the gallery's first row of cells."""
    view = window.view
    top = view.visualRect(window.proxy.index(0, 0)).top()
    xs = []
    for row in range(window.proxy.rowCount()):
        rect = view.visualRect(window.proxy.index(row, 0))
        if rect.top() != top:
            break
        xs.append(rect.left())
    return xs


def gallery_window(make: Callable[..., MainWindow], qtbot: QtBot, rows: list[PhotoRow],
                   width: int = 1200) -> MainWindow:
    window = make(start=False)
    window.resize(width, 800)
    window.model.set_photos(rows)
    window._update_empty_state()
    qtbot.waitUntil(lambda: window.view.isVisible() and window.view.viewport().width() > 0)
    return window


@pytest.mark.parametrize("side", [MIN_THUMB, DEFAULT_THUMB, 200, MAX_THUMB])
def test_the_columns_fill_the_width_at_every_thumbnail_size(
        make_window: Callable[..., MainWindow],  # noqa: F811
        qtbot: QtBot, tmp_path: Path, side: int) -> None:
    window = gallery_window(make_window, qtbot, fake_rows(tmp_path, 60))
    window.size_slider.setValue(side)
    qtbot.wait(50)  # the view lays its items out in batches
    cell = window.delegate.item_size(window.view.fontMetrics()).width()
    available = window.view.viewport().width()
    xs = columns(window)
    # As many columns as cells of that size fit side by side ...
    assert len(xs) >= max(1, (available - 8) // cell), (available, cell, xs)
    # ... and no empty strip on the right wider than a cell's share of the spare room.
    last = window.view.visualRect(window.proxy.index(len(xs) - 1, 0))
    assert available - last.right() <= max(8, (available - len(xs) * cell) // len(xs) + 8)


def test_changing_the_thumbnail_size_keeps_the_photo_at_the_top_in_view(
        make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path,  # noqa: F811
) -> None:
    window = gallery_window(make_window, qtbot, fake_rows(tmp_path, 400))
    view = window.view
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    qtbot.wait(50)
    first_shown = _first_visible(window)
    for side in (MAX_THUMB, MIN_THUMB, DEFAULT_THUMB):
        window.size_slider.setValue(side)
        qtbot.wait(50)
        rect = view.visualRect(window.proxy.index(first_shown, 0))
        assert view.viewport().rect().intersects(rect), (side, first_shown, rect)


def _first_visible(window: MainWindow) -> int:
    view = window.view
    area = view.viewport().rect()
    return next(r for r in range(window.proxy.rowCount())
                if area.contains(view.visualRect(window.proxy.index(r, 0)).center()))


def test_the_sidebar_shows_subfolders_as_a_tree_and_narrows_the_gallery(
        make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path,  # noqa: F811
) -> None:
    root = tmp_path / "Pictures"
    rows = fake_rows(root, 12, ("", "2019", "2019/Rome", "2020"))
    window = gallery_window(make_window, qtbot, rows)
    window.sidebar.set_library([str(root)], {str(root): len(rows)}, ())
    window._fill_folder_list()
    tree = window.folder_list
    top = tree.topLevelItem(1)  # after All Photos
    assert top.text(0).startswith("Pictures (12")
    names = {top.child(i).text(0) for i in range(top.childCount())}
    assert names == {"2019 (6)", "2020 (3)"}
    y2019 = next(top.child(i) for i in range(top.childCount())
                 if top.child(i).text(0).startswith("2019"))
    assert [y2019.child(i).text(0) for i in range(y2019.childCount())] == ["Rome (3)"]

    tree.setCurrentItem(y2019)  # a subfolder and its own subfolders
    assert window.proxy.rowCount() == 6
    assert all("/2019/" in window.proxy.record_at(r).path for r in range(6))
    assert window.count_label.text() == "6 of 12 photos"
    tree.setCurrentItem(y2019.child(0))
    assert window.proxy.rowCount() == 3
    tree.setCurrentItem(tree.topLevelItem(0))
    assert window.proxy.rowCount() == 12


def test_counts_follow_the_gallery_during_the_first_indexing(
        make_window: Callable[..., MainWindow], qtbot: QtBot, tmp_path: Path,  # noqa: F811
) -> None:
    folder = noise_photos(tmp_path / "photos", 90, (48, 64))
    model = GatedEmbedder()
    window = make_window(model=model, add=[folder])
    try:
        qtbot.waitUntil(lambda: window.model.rowCount() > 0, timeout=TIMEOUT)
        assert window.indexer.indexing  # caught mid-run: the second batch waits
        shown = window.model.rowCount()
        assert window.library_label.text() == f"{shown} photos in 1 folder"
        all_photos = window.folder_list.topLevelItem(0)
        assert all_photos.text(0) == f"All Photos ({shown})"
        qtbot.waitUntil(
            lambda: window.folder_list.topLevelItem(1) is not None
            and window.folder_list.topLevelItem(1).text(0) == f"photos ({shown})",
            timeout=5000)
    finally:
        model.gate.set()
    wait_idle(qtbot, window)
    assert window.library_label.text() == "90 photos in 1 folder"
    assert window.folder_list.topLevelItem(1).text(0) == "photos (90)"

