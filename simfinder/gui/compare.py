"""Compare photos side by side: one view per photo, zoomed and panned together (the photos are
laid out at the same scale, so the same detail is under the same place in every view), and a
table of their metadata with the values that differ highlighted."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QKeySequence,
    QPainter,
    QPixmap,
    QShortcut,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simfinder.app.units import human_size
from simfinder.core.cleanup.keeper import bytes_per_pixel
from simfinder.core.store.catalog import PhotoRecord
from simfinder.gui.images import load_photo
from simfinder.gui.tasks import TaskRunner
from simfinder.gui.words import QT_TR_NOOP, tr

COMPARE_SIDE = 3072  # decoded size: enough to judge sharpness and artefacts, quick to load
MAX_PHOTOS = 6
_ZOOM_STEP = 1.25
_MIN_SCALE = 0.02
_MAX_SCALE = 16.0

DIFF_BRUSH = QBrush(QColor(255, 226, 140))

FIELDS = (QT_TR_NOOP("File"), QT_TR_NOOP("Folder"), QT_TR_NOOP("Resolution"),
          QT_TR_NOOP("File size"), QT_TR_NOOP("Bytes per pixel"), QT_TR_NOOP("Format"),
          QT_TR_NOOP("Taken"), QT_TR_NOOP("Camera"), QT_TR_NOOP("Modified"))


def metadata(record: PhotoRecord) -> dict[str, str]:
    return {
        "File": os.path.basename(record.path),
        "Folder": os.path.dirname(record.path),
        "Resolution": f"{record.width} \u00d7 {record.height} "
                      f"({record.width * record.height / 1e6:.1f} MP)",
        "File size": human_size(record.size),
        "Bytes per pixel": f"{bytes_per_pixel(record):.2f}",
        "Format": record.format,
        "Taken": record.taken_at.replace("T", " ") if record.taken_at else "—",
        "Camera": record.camera or "—",
        "Modified": datetime.fromtimestamp(record.mtime_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S"),
    }


class CompareView(QGraphicsView):
    """One photo; wheel zooms (under the pointer), dragging pans. Changes are announced so the
    dialog can apply them to the other views."""

    zoomed = Signal(object, float)  # self, factor
    panned = Signal(object)  # self

    def __init__(self, record: PhotoRecord, reference_width: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record = record
        # Scene units: pixels of the widest photo. Every photo spans the same width in the
        # scene, so one transform shows the same detail in all of them.
        self.unit = reference_width / max(1, record.width)
        self.setScene(QGraphicsScene(self))
        rect = QRectF(0, 0, reference_width, record.height * self.unit)
        self.scene().setSceneRect(rect)
        self.placeholder = self.scene().addRect(rect, Qt.PenStyle.NoPen,
                                                QBrush(QColor(60, 60, 60)))
        self.item: QGraphicsPixmapItem | None = None
        self.setBackgroundBrush(QColor(30, 30, 30))
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setMinimumSize(200, 150)
        self._quiet = False
        self.horizontalScrollBar().valueChanged.connect(self._on_scroll)
        self.verticalScrollBar().valueChanged.connect(self._on_scroll)

    def set_image(self, image: QImage) -> None:
        pix = QPixmap.fromImage(image)
        self.item = QGraphicsPixmapItem(pix)
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        scale = self.scene().sceneRect().width() / max(1, pix.width())
        self.item.setScale(scale)
        self.scene().removeItem(self.placeholder)
        self.scene().addItem(self.item)

    @property
    def scale_factor(self) -> float:
        return self.transform().m11()

    def center_fraction(self) -> QPointF:
        """Where the view's centre is, as a fraction of the photo's width and height."""
        center = self.mapToScene(self.viewport().rect().center())
        rect = self.sceneRect()
        return QPointF((center.x() - rect.left()) / max(1.0, rect.width()),
                       (center.y() - rect.top()) / max(1.0, rect.height()))

    def show_fraction(self, fraction: QPointF) -> None:
        rect = self.sceneRect()
        self._quiet = True
        try:
            self.centerOn(rect.left() + fraction.x() * rect.width(),
                          rect.top() + fraction.y() * rect.height())
        finally:
            self._quiet = False

    def set_scale(self, scale: float) -> None:
        self._quiet = True
        try:
            self.setTransform(QTransform.fromScale(scale, scale))
        finally:
            self._quiet = False

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if not steps:
            event.ignore()
            return
        self.zoom(_ZOOM_STEP ** steps)
        event.accept()

    def zoom(self, factor: float) -> None:
        target = min(_MAX_SCALE, max(_MIN_SCALE, self.scale_factor * factor))
        factor = target / self.scale_factor
        if abs(factor - 1.0) < 1e-6:
            return
        self._quiet = True
        try:
            self.scale(factor, factor)
        finally:
            self._quiet = False
        self.zoomed.emit(self, self.scale_factor)

    def _on_scroll(self, _value: int) -> None:
        if not self._quiet:
            self.panned.emit(self)


class CompareDialog(QDialog):
    def __init__(self, photos: Sequence[PhotoRecord], tasks: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.photos = list(photos)[:MAX_PHOTOS]
        self.tasks = tasks
        self.setModal(False)
        self.setWindowTitle(tr("Compare {count} Photos").format(count=len(self.photos)))
        self.resize(1280, 860)
        self.loaded = 0
        self._syncing = False

        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.fit_button = QPushButton(tr("Fit"), self)
        self.fit_button.setToolTip(tr("Show the whole photos (0)"))
        self.actual_button = QPushButton("100%", self)
        self.actual_button.setToolTip(tr("Actual pixels of the largest photo (1)"))
        self.zoom_in_button = QPushButton(tr("Zoom In"), self)
        self.zoom_out_button = QPushButton(tr("Zoom Out"), self)
        self.zoom_label = QLabel(self)
        hint = QLabel(tr("Scroll to zoom, drag to move: all photos follow."), self)
        hint.setStyleSheet("color: gray")
        for w in (self.fit_button, self.actual_button, self.zoom_in_button,
                  self.zoom_out_button):
            bar.addWidget(w)
        bar.addWidget(self.zoom_label)
        bar.addStretch(1)
        bar.addWidget(hint)
        layout.addLayout(bar)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        grid_host = QWidget(splitter)
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        count = len(self.photos)
        columns = count if count <= 3 else 2 if count == 4 else 3
        reference_width = max(p.width for p in self.photos)
        self.views: list[CompareView] = []
        self.captions: list[QLabel] = []
        for i, record in enumerate(self.photos):
            cell = QWidget(grid_host)
            v = QVBoxLayout(cell)
            v.setContentsMargins(2, 2, 2, 2)
            caption = QLabel(tr("<b>{name}</b> · {width} \u00d7 {height} · {size}").format(
                name=os.path.basename(record.path), width=record.width, height=record.height,
                size=human_size(record.size)), cell)
            caption.setToolTip(record.path)
            view = CompareView(record, reference_width, cell)
            view.zoomed.connect(self._on_zoomed)
            view.panned.connect(self._on_panned)
            v.addWidget(caption)
            v.addWidget(view, 1)
            grid.addWidget(cell, i // columns, i % columns)
            self.views.append(view)
            self.captions.append(caption)
        splitter.addWidget(grid_host)

        self.table = QTableWidget(len(FIELDS), len(self.photos), splitter)
        self.table.setVerticalHeaderLabels([tr(field) for field in FIELDS])
        self.table.setHorizontalHeaderLabels([os.path.basename(p.path) for p in self.photos])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.differing: list[str] = []
        self._fill_table()
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 0)
        table_height = (self.table.horizontalHeader().sizeHint().height()
                        + len(FIELDS) * self.table.verticalHeader().defaultSectionSize() + 6)
        splitter.setSizes([max(300, self.height() - table_height - 60), table_height])
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)

        self.fit_button.clicked.connect(self.fit)
        self.actual_button.clicked.connect(self.actual_pixels)
        self.zoom_in_button.clicked.connect(lambda: self.views[0].zoom(_ZOOM_STEP))
        self.zoom_out_button.clicked.connect(lambda: self.views[0].zoom(1 / _ZOOM_STEP))
        QShortcut(QKeySequence("0"), self, self.fit)
        QShortcut(QKeySequence("1"), self, self.actual_pixels)
        QShortcut(QKeySequence(QKeySequence.StandardKey.ZoomIn), self,
                  lambda: self.views[0].zoom(_ZOOM_STEP))
        QShortcut(QKeySequence(QKeySequence.StandardKey.ZoomOut), self,
                  lambda: self.views[0].zoom(1 / _ZOOM_STEP))
        self._fitted = False
        for view in self.views:
            self._load(view)

    def _load(self, view: CompareView) -> None:
        path = Path(view.record.path)

        def done(image: object, error: str | None) -> None:
            self._on_loaded(view, image, error)

        self.tasks.submit(lambda: load_photo(path, COMPARE_SIDE), done)

    def _fill_table(self) -> None:
        values = [metadata(p) for p in self.photos]
        bold = QFont(self.table.font())
        bold.setBold(True)
        for row, field in enumerate(FIELDS):
            column = [v[field] for v in values]
            differs = len(set(column)) > 1
            if differs:
                self.differing.append(field)
            for col, text in enumerate(column):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if differs:
                    item.setBackground(DIFF_BRUSH)
                    item.setForeground(QBrush(QColor(20, 20, 20)))
                    item.setFont(bold)
                self.table.setItem(row, col, item)

    def _on_loaded(self, view: CompareView, image: object, error: str | None) -> None:
        if not isinstance(image, QImage) or image.isNull():
            caption = self.captions[self.views.index(view)]
            caption.setText(caption.text() + f" · <span style='color:#c0392b'>could not be "
                                              f"shown: {error or 'unreadable'}</span>")
            return
        view.set_image(image)
        self.loaded += 1
        if not self._fitted:
            self.fit()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.fit()

    # -- keeping the views together ---------------------------------------------------------

    def fit(self) -> None:
        """Every photo whole in its view, at one common scale."""
        scales = []
        for view in self.views:
            rect = view.sceneRect()
            port = view.viewport().rect()
            if rect.width() > 0 and rect.height() > 0 and port.width() > 10:
                scales.append(min((port.width() - 4) / rect.width(),
                                  (port.height() - 4) / rect.height()))
        if not scales:
            return
        self._fitted = self.isVisible()
        self._apply_scale(min(scales), QPointF(0.5, 0.5))

    def actual_pixels(self) -> None:
        self._apply_scale(1.0 / self.devicePixelRatioF(), self.views[0].center_fraction())

    def _apply_scale(self, scale: float, center: QPointF) -> None:
        self._sync(None, scale, center)

    def _on_zoomed(self, source: CompareView, scale: float) -> None:
        if not self._syncing:
            self._sync(source, scale, source.center_fraction())

    def _on_panned(self, source: CompareView) -> None:
        if not self._syncing:
            self._sync(source, None, source.center_fraction())

    def _sync(self, source: CompareView | None, scale: float | None, center: QPointF) -> None:
        """Bring every view but `source` to `scale` (None: keep it) around `center`; the
        views' own zoomed/panned signals are ignored meanwhile."""
        self._syncing = True
        try:
            for view in self.views:
                if view is not source:
                    if scale is not None:
                        view.set_scale(scale)
                    view.show_fraction(center)
        finally:
            self._syncing = False
        if scale is not None:
            self.zoom_label.setText(tr("{value:.0f}%").format(
                                        value=scale * 100 * self.devicePixelRatioF()))
