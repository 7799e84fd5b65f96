"""`simfinder gui PATH...` as a file manager calls it: "Open with simfinder" on an image file
opens the window with that image as the similar-photo query; a folder is added and indexed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from simfinder.app.usecases import EmbedderProvider
from simfinder.gui.app import show_main_window, split_arguments
from simfinder.gui.mainwindow import MainWindow
from simfinder.gui.settings import AppSettings
from tests.photos import sample, save

pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)")

TIMEOUT = 60_000  # ms


def _window(qtbot: QtBot, tmp_path: Path, embedder: EmbedderProvider) -> MainWindow:
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(tmp_path / "library", settings, embedder=embedder)
    qtbot.addWidget(window)
    return window


def _hits(window: MainWindow) -> list[str]:
    return [Path(h.photo.path).name for h in window.panel.model.hits()]


def test_arguments_split_into_folders_and_images(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    image = save(sample("coins.png", 120), folder / "coins.jpg")
    assert split_arguments([str(folder), str(image)]) == ([folder], [image])
    with pytest.raises(FileNotFoundError, match="no such folder or file"):
        split_arguments([str(tmp_path / "gone.jpg")])


def test_an_image_argument_opens_the_window_searching_with_it(
    qtbot: QtBot, tmp_path: Path, embedder: EmbedderProvider,
    photo_folder: Callable[..., dict[str, Path]],
) -> None:
    photos = photo_folder()
    indexing = _window(qtbot, tmp_path, embedder)
    show_main_window(indexing, [tmp_path / "photos"])
    qtbot.waitUntil(lambda: indexing.model.rowCount() == len(photos), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: not indexing.indexer.busy, timeout=TIMEOUT)
    indexing.close()

    # "Open with simfinder" on a photo outside the library: a query, not added.
    outside = tmp_path / "Downloads" / "cat from a friend.jpg"
    cat = sample("chelsea.png")
    save(cat.resize((cat.width * 2 // 3, cat.height * 2 // 3)), outside, quality=70)
    window = _window(qtbot, tmp_path, embedder)
    show_main_window(window, [], [outside])
    qtbot.waitUntil(lambda: window.panel.model.rowCount() > 0, timeout=TIMEOUT)
    assert window.panel.target is not None
    assert window.panel.target.path == outside.resolve() and window.panel.target.external
    assert _hits(window)[0] in {"chelsea.jpg", "cat-small.jpg", "cat.png"}
    assert window.model.rowCount() == len(photos)
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=TIMEOUT)
    window.close()

    # ... and on a photo in the library: recognised as that photo once the library is loaded.
    window = _window(qtbot, tmp_path, embedder)
    show_main_window(window, [], [photos["rocket"]])
    qtbot.waitUntil(lambda: window.panel.model.rowCount() > 0, timeout=TIMEOUT)
    assert window.panel.target is not None and not window.panel.target.external
    assert "rocket.jpg" in _hits(window)  # its byte-identical backup copy comes first
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=TIMEOUT)
