"""The loupe: the same spot of every shot of a series at 100% (one pixel of the photo on one
pixel of the screen), side by side, to tell which shot is sharp where it matters. Each shot
is shown whole above its loupe; pointing at a spot of any of them moves every loupe there
(the spot is a fraction of the frame, so shots of different sizes show the same place), and
a click pins the spot (another click lets it follow the pointer again)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QVBoxLayout, QWidget

from simfinder.core.store.catalog import PhotoRecord
from simfinder.gui.images import load_photo
from simfinder.gui.tasks import TaskRunner
from simfinder.gui.words import tr

log = logging.getLogger(__name__)

LOUPE_SIDE = 300  # pixels of each loupe, at 100%
OVERVIEW_SIDE = 300  # the longest side of each whole shot shown above it
_MARK = QColor(255, 200, 0)


def spot_rect(spot: QPointF, image: QSize, view: QSize) -> QRect:
    """The part of an image of size `image` a loupe of size `view` shows at 100% around
    `spot` (fractions of the frame), kept inside the image."""
    w, h = min(view.width(), image.width()), min(view.height(), image.height())
    x = round(spot.x() * image.width() - w / 2)
    y = round(spot.y() * image.height() - h / 2)
    x = max(0, min(x, image.width() - w))
    y = max(0, min(y, image.height() - h))
    return QRect(x, y, w, h)


class ShotOverview(QWidget):
    """One shot whole, with the loupe's spot marked; pointing at it or clicking it chooses
    the spot (`pointed`: a fraction of the frame, and whether it was a click)."""

    pointed = Signal(QPointF, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.spot = QPointF(0.5, 0.5)
        self.loupe = QSize(LOUPE_SIDE, LOUPE_SIDE)
        self.setMouseTracking(True)
        self.setFixedSize(OVERVIEW_SIDE, OVERVIEW_SIDE)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def picture_rect(self) -> QRectF:
        """Where the shot is drawn, fitted and centred."""
        if self.image is None or self.image.isNull():
            return QRectF(self.rect())
        scale = min(self.width() / self.image.width(), self.height() / self.image.height())
        w, h = self.image.width() * scale, self.image.height() * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def fraction_at(self, pos: QPointF) -> QPointF:
        r = self.picture_rect()
        return QPointF(min(1.0, max(0.0, (pos.x() - r.left()) / max(1.0, r.width()))),
                       min(1.0, max(0.0, (pos.y() - r.top()) / max(1.0, r.height()))))

    def point_of(self, fraction: QPointF) -> QPointF:
        r = self.picture_rect()
        return QPointF(r.left() + fraction.x() * r.width(), r.top() + fraction.y() * r.height())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self.pointed.emit(self.fraction_at(event.position()), False)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.pointed.emit(self.fraction_at(event.position()), True)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 30, 30))
        if self.image is None or self.image.isNull():
            painter.setPen(QColor(160, 160, 160))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, tr("Loading…"))
            return
        target = self.picture_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(target, self.image)
        # The part the loupe shows, as a frame on the whole shot.
        seen = spot_rect(self.spot, self.image.size(), self.loupe)
        scale = target.width() / self.image.width()
        painter.setPen(QPen(_MARK, 2))
        painter.drawRect(QRectF(target.left() + seen.x() * scale, target.top() + seen.y() * scale,
                                max(4.0, seen.width() * scale), max(4.0, seen.height() * scale)))


class ShotLoupe(QWidget):
    """One shot's spot at 100%."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.spot = QPointF(0.5, 0.5)
        self.setFixedSize(LOUPE_SIDE, LOUPE_SIDE)

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def source_rect(self) -> QRect:
        """The photo's pixels shown (one for one), or an empty rect while it loads."""
        if self.image is None or self.image.isNull():
            return QRect()
        return spot_rect(self.spot, self.image.size(), self.size())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 30, 30))
        source = self.source_rect()
        if source.isEmpty() or self.image is None:
            return
        # 1:1: the source is as big as the widget (or the photo, if smaller: centred).
        x = (self.width() - source.width()) // 2
        y = (self.height() - source.height()) // 2
        painter.drawImage(x, y, self.image, source.x(), source.y(), source.width(),
                          source.height())


class LoupeDialog(QDialog):
    """The loupe over the shots of one series (each loaded at full size off the UI thread)."""

    def __init__(self, photos: Sequence[PhotoRecord], tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.photos = list(photos)
        self.tasks = tasks
        self.spot = QPointF(0.5, 0.5)
        self.pinned = False
        self.loaded = 0
        self.setModal(False)
        self.setWindowTitle(tr("Loupe: {count} Shots at 100%").format(count=len(self.photos)))
        layout = QVBoxLayout(self)
        self.hint = QLabel(tr("Point at a spot of any shot: every shot shows it at 100% below. "
                              "Click to hold the spot there; click again to follow the "
                              "pointer."), self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: gray")
        layout.addWidget(self.hint)
        grid = QGridLayout()
        grid.setSpacing(8)
        self.overviews: list[ShotOverview] = []
        self.loupes: list[ShotLoupe] = []
        for column, record in enumerate(self.photos):
            name = QLabel(os.path.basename(record.path), self)
            name.setToolTip(record.path)
            overview = ShotOverview(self)
            loupe = ShotLoupe(self)
            overview.pointed.connect(self._on_pointed)
            grid.addWidget(name, 0, column)
            grid.addWidget(overview, 1, column)
            grid.addWidget(loupe, 2, column)
            self.overviews.append(overview)
            self.loupes.append(loupe)
            self._load(column, record)
        layout.addLayout(grid)

    def _load(self, column: int, record: PhotoRecord) -> None:
        side = max(record.width, record.height, 1)
        path = record.path

        def done(image: object, error: str | None) -> None:
            if error is not None or not isinstance(image, QImage):
                self.loupes[column].setToolTip(tr("Could not load {name}: {error}").format(
                    name=os.path.basename(path), error=error))
                return
            self.overviews[column].set_image(image)
            self.loupes[column].set_image(image)
            self.loaded += 1

        self.tasks.submit(lambda: load_photo(Path(path), side), done)

    def _on_pointed(self, fraction: QPointF, clicked: bool) -> None:
        if clicked:
            self.pinned = not self.pinned or fraction != self.spot
            self.set_spot(fraction)
        elif not self.pinned:
            self.set_spot(fraction)

    def set_spot(self, fraction: QPointF) -> None:
        """Show this spot (fractions of the frame) in every loupe."""
        self.spot = QPointF(fraction)
        for overview, loupe in zip(self.overviews, self.loupes, strict=True):
            overview.spot = self.spot
            loupe.spot = self.spot
            overview.update()
            loupe.update()
