"""Searching with what the user drops, pastes or opens: folders dropped are added to the
library; an image file or image data is searched with (never added); web addresses are refused
with the reason. The window forwards its drag events here; an overlay says what a drop does."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QLabel, QWidget

from simfinder.gui import style
from simfinder.gui.dropsearch import DropContents, might_hold_something, read_mime, save_for_search
from simfinder.gui.words import tr

log = logging.getLogger(__name__)

# The image files the "Search with Image" dialog lists.
_IMAGE_PATTERNS = "*.jpg *.jpeg *.png *.webp *.heic *.heif *.avif *.gif *.bmp *.tif *.tiff"



class DropSearch(QObject):
    """`area` is the widget the drop overlay covers; image data dropped or pasted is saved in
    a temporary folder of its own (removed by close())."""

    folder_dropped = Signal(object)  # Path: to add to the library
    search_file = Signal(object)  # Path: an image file to search with
    search_data = Signal(object, str)  # Path of the saved image data, what to call it
    refused = Signal(str, int)  # why nothing can be searched, for how long to say it (ms)
    message = Signal(str, int)  # for the status bar, for how long (ms)

    def __init__(self, area: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.area = area
        self._temp_dir = Path(tempfile.mkdtemp(prefix="simfinder-search-"))
        self._serial = 0
        self.overlay = QLabel(area)
        self.overlay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.overlay.setStyleSheet(style.DROP_OVERLAY)
        self.overlay.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.overlay.hide()

    def close(self) -> None:
        shutil.rmtree(self._temp_dir, ignore_errors=True)

    # -- opening and pasting ----------------------------------------------------------------

    def choose_file(self, parent: QWidget) -> None:
        path, _ = QFileDialog.getOpenFileName(
            parent, tr("Search with an Image"), str(Path.home()),
            tr("Images ({patterns});;All files (*)").format(patterns=_IMAGE_PATTERNS))
        if path:
            self.search_file.emit(Path(path))

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not self.handle_mime(mime, pasted=True):
            self.message.emit(
                tr("The clipboard holds no image: copy an image or a photo file first."),
                style.NOTICE_MS)

    def handle_mime(self, mime: QMimeData, *, pasted: bool = False) -> bool:
        """Act on dropped or pasted data; returns whether there was anything to act on."""
        contents = read_mime(mime)
        if contents.empty:
            return False
        for folder in contents.folders:
            self.folder_dropped.emit(folder)
        if contents.images:
            self.search_file.emit(contents.images[0])
            if len(contents.images) > 1:
                self.message.emit(
                    tr("Searching with {name} (the first of {count} images)").format(
                        name=contents.images[0].name, count=len(contents.images)),
                    style.NOTICE_MS)
        elif contents.data is not None or contents.image is not None:
            self._search_with_data(contents, pasted=pasted)
        elif contents.remote:
            self.refused.emit(tr("Only images on this computer can be searched: simfinder makes "
                                 "no network connections. Save the image first, then drop or "
                                 "open the file."), style.DONE_MS)
        elif contents.not_images and not contents.folders:
            names = ", ".join(p.name for p in contents.not_images[:3])
            self.refused.emit(tr("Not an image simfinder can read: {names}").format(names=names),
                              style.NOTICE_MS)
        return True

    def _search_with_data(self, contents: DropContents, *, pasted: bool) -> None:
        self._serial += 1
        try:
            path = save_for_search(contents, self._temp_dir, self._serial)
        except OSError as exc:
            self.message.emit(tr("Could not use the image: {error}").format(error=exc),
                              style.NOTICE_MS)
            return
        self.search_data.emit(path, tr("Pasted image") if pasted else tr("Dropped image"))

    # -- dragging over the window -----------------------------------------------------------

    def drag_enter(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if not might_hold_something(mime):
            event.ignore()
            return
        event.acceptProposedAction()
        contents = read_mime(mime)
        if contents.folders and not contents.searchable:
            text = tr("Drop to add the folder to the library")
        elif contents.searchable:
            text = tr("Drop to find similar photos")
        else:
            text = tr("Only images on this computer can be searched")
        self.overlay.setText(text)
        self.overlay.setGeometry(self.area.rect().adjusted(12, 12, -12, -12))
        self.overlay.raise_()
        self.overlay.show()

    def drag_leave(self) -> None:
        self.overlay.hide()

    def drop(self, event: QDropEvent) -> None:
        self.overlay.hide()
        if self.handle_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()
