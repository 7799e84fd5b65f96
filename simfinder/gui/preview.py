"""A large preview of one photo, decoded off the UI thread and scaled to the window."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import QDialog, QLabel, QSizePolicy, QVBoxLayout, QWidget

from simfinder.app.units import human_size
from simfinder.core.store.catalog import PhotoRecord
from simfinder.gui.images import load_photo
from simfinder.gui.tasks import TaskRunner
from simfinder.gui.words import tr

PREVIEW_SIDE = 2560


class PreviewDialog(QDialog):
    """Non-modal; one instance is reused for every preview."""

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.setWindowTitle(tr("Preview"))
        self.setModal(False)
        self.resize(1000, 760)
        self.path: Path | None = None
        self._pixmap: QPixmap | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        self.image_label = QLabel(self)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image_label.setMinimumSize(QSize(200, 150))
        self.image_label.setStyleSheet("background: #1e1e1e; color: #ddd;")
        layout.addWidget(self.image_label, 1)
        self.caption = QLabel(self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.caption)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.close)

    def show_photo(self, target: PhotoRecord | Path) -> None:
        if isinstance(target, PhotoRecord):
            path = Path(target.path)
            caption = (f"{target.path}   ·   {target.width} \u00d7 {target.height}   ·   "
                       f"{human_size(target.size)}")
        else:
            path = Path(target)
            caption = str(path)
        self.path = path
        self._pixmap = None
        self.setWindowTitle(tr("{basename} — Preview").format(basename=os.path.basename(path)))
        self.caption.setText(caption)
        self.image_label.setPixmap(QPixmap())
        self.image_label.setText(tr("Loading…"))
        side = PREVIEW_SIDE
        self._tasks.submit(lambda: load_photo(path, side),
                           lambda image, error: self._on_loaded(path, image, error),
                           channel="preview")
        self.show()
        self.raise_()
        self.activateWindow()

    @property
    def loaded(self) -> bool:
        return self._pixmap is not None

    def _on_loaded(self, path: Path, image: QImage | None, error: str | None) -> None:
        if path != self.path:
            return
        if image is None or image.isNull():
            self.image_label.setText(tr("Cannot show this photo: {error}").format(
                                         error=error or tr('unknown error')))
            return
        self._pixmap = QPixmap.fromImage(image)
        self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is None:
            return
        size = self.image_label.size()
        pix = self._pixmap
        if pix.width() > size.width() or pix.height() > size.height():
            pix = pix.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        self.image_label.setPixmap(pix)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)
