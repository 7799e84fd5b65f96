"""The gallery: every indexed photo as a grid of thumbnails (model/view).

`GalleryModel` holds the catalog rows in the chosen order (sorting 50,000 rows in Python once
beats a C++ proxy calling back into Python a million times); `GalleryFilter` (a
QSortFilterProxyModel) narrows them by folder and by name; `GalleryDelegate` paints a thumbnail
and a name; `GalleryView` is a QListView in icon mode with uniform item sizes and batched layout.
"""

from __future__ import annotations

import bisect
import html
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from enum import Enum
from operator import itemgetter
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRegularExpression,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QPainter,
    QPalette,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from simfinder.app.units import human_size
from simfinder.core.store.catalog import (
    ROW_DIGEST,
    ROW_ID,
    ROW_MTIME_NS,
    ROW_PATH,
    ROW_TAKEN_AT,
    PhotoRecord,
    PhotoRow,
)
from simfinder.gui.style import COMPANION_COLOR
from simfinder.gui.thumbnails import ThumbnailStore
from simfinder.gui.words import QT_TR_NOOP

RecordRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
FileIdRole = Qt.ItemDataRole.UserRole + 3
CompanionsRole = Qt.ItemDataRole.UserRole + 4  # the photo's companion files' paths

MIN_THUMB = 64
MAX_THUMB = 256
DEFAULT_THUMB = 144

# A batch bigger than this is applied as one model reset (selection restored by file id)
# instead of row-by-row inserts: a re-scan that finds thousands of moved photos stays quick.
_RESET_THRESHOLD = 400

ModelIndex = QModelIndex | QPersistentModelIndex


class SortOrder(str, Enum):
    DATE = "date"
    NAME = "name"
    FOLDER = "folder"

    @property
    def label(self) -> str:
        return {"date": QT_TR_NOOP("Date taken"), "name": QT_TR_NOOP("Name"),
                "folder": QT_TR_NOOP("Folder")}[self.value]


def _row_date(row: PhotoRow) -> float:
    """When the photo was taken (EXIF), else when the file was last modified (seconds)."""
    taken = row[ROW_TAKEN_AT]
    if taken:
        try:
            return datetime.fromisoformat(taken).timestamp()
        except (ValueError, OverflowError, OSError):
            pass
    return row[ROW_MTIME_NS] / 1e9


SortKey = tuple[Any, ...]


def _by_date(row: PhotoRow) -> SortKey:  # newest first
    return (-_row_date(row), row[ROW_PATH])


def _by_name(row: PhotoRow) -> SortKey:
    path = row[ROW_PATH]
    return (os.path.basename(path).casefold(), path)


def _by_folder(row: PhotoRow) -> SortKey:
    path = row[ROW_PATH]
    folder, name = os.path.split(path)
    return (folder.casefold(), name.casefold(), path)


def _sort_key(order: SortOrder) -> Callable[[PhotoRow], SortKey]:
    return {SortOrder.DATE: _by_date, SortOrder.NAME: _by_name,
            SortOrder.FOLDER: _by_folder}[order]


class PreparedPhotos:
    """Gallery rows built and sorted off the UI thread (by the worker that read them), so
    showing a 50,000-photo library costs the UI thread only a model reset.

    Everything held per photo is a tuple of numbers and strings (PhotoRow, sort keys, ids by
    digest), which the garbage collector stops tracking: a large library does not make its
    full collections, which stall every thread, any longer."""

    __slots__ = ("by_digest", "by_id", "keys", "order", "rows")

    def __init__(self, rows: Iterable[PhotoRow], order: SortOrder) -> None:
        key = _sort_key(order)
        keyed = sorted(((key(row), row) for row in rows), key=itemgetter(0))
        self.order = order
        self.keys = [k for k, _ in keyed]
        self.rows = [row for _, row in keyed]
        self.by_id = {row[ROW_ID]: row for row in self.rows}
        ids: dict[bytes, list[int]] = {}
        for row in self.rows:
            ids.setdefault(row[ROW_DIGEST], []).append(row[ROW_ID])
        self.by_digest = {digest: tuple(same) for digest, same in ids.items()}


def describe(record: PhotoRecord, companions: Sequence[str] = ()) -> str:
    """Tooltip text: where the photo is and what it is, and the files that go with it."""
    parts = [f"<b>{html.escape(os.path.basename(record.path))}</b>",
             html.escape(os.path.dirname(record.path)),
             f"{record.width} \u00d7 {record.height} {html.escape(record.format)}, "
             f"{human_size(record.size)}"]
    if record.taken_at:
        parts.append("Taken " + record.taken_at.replace("T", " "))
    if record.camera:
        parts.append(html.escape(record.camera))
    if companions:
        parts.append("Goes with: " + ", ".join(html.escape(os.path.basename(c))
                                                for c in companions))
    return "<br>".join(parts)


class GalleryModel(QAbstractListModel):
    """The indexed photos, in one sort order, one row each."""

    def __init__(self, thumbnails: ThumbnailStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self._order = SortOrder.DATE
        self._key = _sort_key(self._order)
        self._rows: list[PhotoRow] = []
        self._keys: list[SortKey] = []
        self._by_id: dict[int, PhotoRow] = {}
        self._ids_by_digest: dict[bytes, tuple[int, ...]] = {}
        self._row_of_id: dict[int, int] | None = None  # file id -> row, rebuilt lazily
        self._companions: dict[str, list[str]] = {}  # photo path -> its companion files
        thumbnails.thumbnail_ready.connect(self._on_thumbnail)

    # -- Qt model API -----------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        at = index.row()  # -1 for an invalid index
        if not 0 <= at < len(self._rows):
            return None
        row = self._rows[at]
        if role == PathRole:  # first: the filter asks it of every row
            return row[ROW_PATH]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(row[ROW_PATH])
        if role == RecordRole:
            return PhotoRecord.of(row)
        if role == FileIdRole:
            return row[ROW_ID]
        if role == CompanionsRole:
            return self._companions.get(row[ROW_PATH], [])
        if role == Qt.ItemDataRole.ToolTipRole:
            return describe(PhotoRecord.of(row), self._companions.get(row[ROW_PATH], ()))
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- reading ----------------------------------------------------------------------------

    @property
    def order(self) -> SortOrder:
        return self._order

    def record_at(self, row: int) -> PhotoRecord:
        return PhotoRecord.of(self._rows[row])

    def paths(self) -> Iterator[str]:
        return (row[ROW_PATH] for row in self._rows)

    def row_of(self, file_id: int) -> int | None:
        if self._row_of_id is None:
            self._row_of_id = {row[ROW_ID]: i for i, row in enumerate(self._rows)}
        return self._row_of_id.get(file_id)

    def record_of(self, file_id: int) -> PhotoRecord | None:
        row = self._by_id.get(file_id)
        return PhotoRecord.of(row) if row else None

    def record_at_path(self, path: str) -> PhotoRecord | None:
        for row in self._by_id.values():
            if row[ROW_PATH] == path:
                return PhotoRecord.of(row)
        return None

    # -- changing ---------------------------------------------------------------------------

    def set_companions(self, companions: dict[str, list[str]]) -> None:
        """The photos' companion files (a "+N" badge and the tooltip show them)."""
        if companions == self._companions:
            return
        self._companions = companions
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def set_photos(self, photos: Iterable[PhotoRow] | PreparedPhotos) -> None:
        """Show these photos (replacing all rows)."""
        self.beginResetModel()
        self._load(photos)
        self.endResetModel()

    def _load(self, photos: Iterable[PhotoRow] | PreparedPhotos) -> None:
        if not isinstance(photos, PreparedPhotos) or photos.order is not self._order:
            photos = PreparedPhotos(
                photos.rows if isinstance(photos, PreparedPhotos) else photos, self._order)
        self._keys = photos.keys
        self._rows = photos.rows
        self._by_id = photos.by_id
        self._ids_by_digest = photos.by_digest
        self._row_of_id = None

    def set_order(self, order: SortOrder) -> None:
        if order is self._order:
            return
        self.layoutAboutToBeChanged.emit()
        old_rows = {row[ROW_ID]: i for i, row in enumerate(self._rows)}
        self._order = order
        self._key = _sort_key(order)
        self._load(self._rows)
        new_rows = {row[ROW_ID]: i for i, row in enumerate(self._rows)}
        self._row_of_id = new_rows
        row_to_id = {i: fid for fid, i in old_rows.items()}
        old_list = self.persistentIndexList()
        new_list = []
        for idx in old_list:
            fid = row_to_id.get(idx.row())
            i = new_rows.get(fid) if fid is not None else None
            new_list.append(self.index(i, 0) if i is not None else QModelIndex())
        self.changePersistentIndexList(old_list, new_list)
        self.layoutChanged.emit()

    def upsert(self, photos: Sequence[PhotoRow]) -> list[PhotoRow]:
        """Add new photos in sort position, refresh changed ones; returns the new ones."""
        fresh: list[PhotoRow] = []
        added: list[PhotoRow] = []
        for row in photos:
            old = self._by_id.get(row[ROW_ID])
            if old is None:
                fresh.append(row)
                added.append(row)
            elif old != row:
                self.remove_ids([row[ROW_ID]])
                fresh.append(row)
        if not fresh:
            return added
        if len(fresh) > _RESET_THRESHOLD:
            self.set_photos(self._rows + fresh)
            return added
        keyed = sorted(((self._key(row), row) for row in fresh), key=itemgetter(0))
        # Photos that land next to each other go in as one run of rows (a batch from one
        # shoot usually does), from the bottom up so earlier positions stay valid.
        runs: list[tuple[int, list[tuple[SortKey, PhotoRow]]]] = []
        for key, row in keyed:
            at = bisect.bisect_left(self._keys, key)
            if runs and runs[-1][0] == at:
                runs[-1][1].append((key, row))
            else:
                runs.append((at, [(key, row)]))
        for at, run in reversed(runs):
            self.beginInsertRows(QModelIndex(), at, at + len(run) - 1)
            self._keys[at:at] = [k for k, _ in run]
            self._rows[at:at] = [row for _, row in run]
            for _, row in run:
                self._by_id[row[ROW_ID]] = row
                digest = row[ROW_DIGEST]
                self._ids_by_digest[digest] = (*self._ids_by_digest.get(digest, ()), row[ROW_ID])
            self._row_of_id = None
            self.endInsertRows()
        return added

    def remove_ids(self, file_ids: Iterable[int]) -> int:
        doomed = {fid for fid in file_ids if fid in self._by_id}
        if not doomed:
            return 0
        rows = sorted((found for fid in doomed if (found := self.row_of(fid)) is not None),
                      reverse=True)
        # Remove contiguous runs from the bottom up.
        start = end = rows[0]
        runs: list[tuple[int, int]] = []
        for i in rows[1:]:
            if i == start - 1:
                start = i
            else:
                runs.append((start, end))
                start = end = i
        runs.append((start, end))
        for first, last in runs:
            self.beginRemoveRows(QModelIndex(), first, last)
            for row in self._rows[first : last + 1]:
                fid, digest = row[ROW_ID], row[ROW_DIGEST]
                del self._by_id[fid]
                rest = tuple(i for i in self._ids_by_digest.get(digest, ()) if i != fid)
                if rest:
                    self._ids_by_digest[digest] = rest
                else:
                    self._ids_by_digest.pop(digest, None)
            del self._rows[first : last + 1]
            del self._keys[first : last + 1]
            self._row_of_id = None
            self.endRemoveRows()
        return len(doomed)

    def _on_thumbnail(self, digest: bytes) -> None:
        for fid in self._ids_by_digest.get(digest, ()):
            row = self.row_of(fid)
            if row is not None:
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class GalleryFilter(QSortFilterProxyModel):
    """Narrows the gallery to one folder and/or to names containing a text (ignoring case).

    Both are one regular expression on each photo's path that Qt applies itself: with no
    filter set it accepts every row without asking Python, so showing or refreshing a
    50,000-photo gallery does not cost 50,000 calls of a Python filterAcceptsRow (75 ms)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folder: str | None = None
        self._text = ""
        self.setFilterRole(PathRole)

    @property
    def folder(self) -> str | None:
        return self._folder

    @property
    def text(self) -> str:
        return self._text

    def set_folder(self, folder: str | None) -> None:
        folder = folder.rstrip(os.sep) if folder else None
        if folder != self._folder:
            self._folder = folder
            self._apply()

    def set_text(self, text: str) -> None:
        text = text.strip()
        if text.casefold() != self._text.casefold():
            self._text = text
            self._apply()

    def _apply(self) -> None:
        self.setFilterRegularExpression(path_pattern(self._folder, self._text))

    def record_at(self, row: int) -> PhotoRecord:
        return self.index(row, 0).data(RecordRole)  # type: ignore[no-any-return]


def path_pattern(folder: str | None, text: str) -> QRegularExpression:
    """Paths under `folder` (if given) whose file name contains `text` in any case (if given);
    with neither, the empty pattern, which Qt takes for: every row."""
    sep = QRegularExpression.escape(os.sep)
    pattern = "^" + QRegularExpression.escape(folder + os.sep) if folder else ""
    if text:
        if folder:
            pattern += f"(?:.*{sep})?"  # any subfolder
        pattern += f"[^{sep}]*(?i:{QRegularExpression.escape(text)})[^{sep}]*$"
    return QRegularExpression(pattern)


_PAD = 6
_TEXT_GAP = 4


class GalleryDelegate(QStyledItemDelegate):
    """A thumbnail fitted in a square and the file name under it."""

    def __init__(self, thumbnails: ThumbnailStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.side = DEFAULT_THUMB
        # Folders that are offline: their photos are drawn greyed (still there to search with).
        self.offline: tuple[str, ...] = ()

    def item_size(self, fm: QFontMetrics) -> QSize:
        return QSize(self.side + 2 * _PAD, self.side + 2 * _PAD + _TEXT_GAP + fm.height())

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        return self.item_size(option.fontMetrics)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        record = index.data(RecordRole)
        if record is None:
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if selected:
            color = palette.color(QPalette.ColorRole.Highlight)
            color.setAlpha(90)
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.setBrush(color)
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 6, 6)
        elif state & QStyle.StateFlag.State_MouseOver:
            color = palette.color(QPalette.ColorRole.Highlight)
            color.setAlpha(35)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), 6, 6)
        box = QRect(rect.left() + _PAD, rect.top() + _PAD, self.side, self.side)
        offline = self.is_offline(record.path)
        if offline:
            painter.setOpacity(0.35)
        draw_thumbnail(painter, box, self.thumbnails, record, palette)
        fm: QFontMetrics = option.fontMetrics
        companions = index.data(CompanionsRole) or []
        if companions:
            # "+N" on the thumbnail's corner: files go with this photo (listed in the tooltip).
            text = f"+{len(companions)}"
            pill = QRect(0, 0, fm.horizontalAdvance(text) + 12, fm.height())
            pill.moveTopRight(box.topRight() + QPoint(-3, 3))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(COMPANION_COLOR)
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setPen(QColor("white"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        text_rect = QRect(rect.left() + 2, box.bottom() + _TEXT_GAP, rect.width() - 4,
                          fm.height())
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if offline:
            painter.setOpacity(1.0)
            text = f"{text} (offline)"
        name = fm.elidedText(text, Qt.TextElideMode.ElideMiddle, text_rect.width())
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText if offline
                                     else QPalette.ColorRole.Text))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                         name)
        painter.restore()


    def is_offline(self, path: str) -> bool:
        return any(path == f or path.startswith(f + os.sep) for f in self.offline)


def draw_thumbnail(
    painter: QPainter,
    box: QRect,
    thumbnails: ThumbnailStore,
    record: PhotoRecord,
    palette: QPalette,
) -> None:
    """The photo's thumbnail fitted into `box` (a placeholder while it loads)."""
    device = painter.device()
    dpr = device.devicePixelRatioF() if device is not None else 1.0
    side = round(max(box.width(), box.height()) * dpr)
    pix = thumbnails.pixmap(record.digest, side)
    if pix is None or pix.isNull():
        base = palette.color(QPalette.ColorRole.Mid)
        base.setAlpha(60)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(base)
        # Keep the photo's shape so the grid doesn't jump when the thumbnail arrives.
        target = _fit(box, record.width or 1, record.height or 1)
        painter.drawRoundedRect(target, 4, 4)
        if thumbnails.is_missing(record.digest):
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(target, Qt.AlignmentFlag.AlignCenter, "?")
        return
    target = _fit(box, pix.width(), pix.height())
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform,
                          target.width() != pix.width())
    painter.drawPixmap(target, pix)
    painter.setPen(QPen(QColor(0, 0, 0, 40), 1))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(target.adjusted(0, 0, -1, -1))


def _fit(box: QRect, width: int, height: int) -> QRect:
    scale = min(box.width() / width, box.height() / height)
    w = max(1, round(width * scale))
    h = max(1, round(height * scale))
    return QRect(box.left() + (box.width() - w) // 2, box.top() + (box.height() - h) // 2, w, h)


class GalleryView(QListView):
    """Icon-mode grid; Ctrl+wheel changes the thumbnail size."""

    zoom_requested = Signal(int)  # +1 bigger, -1 smaller

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setWrapping(True)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionRectVisible(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setMouseTracking(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setDragEnabled(False)
        self.setAcceptDrops(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # Always there: a scroll bar coming and going would change the columns back and forth.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)

    def apply_item_size(self, size: QSize) -> None:
        """Lay the cells out at this size, the photo at the top of the view staying there."""
        top = self._top_index()
        self._item_size = size
        self._fit_grid()
        self.verticalScrollBar().setSingleStep(max(20, size.height() // 3))
        if top.isValid():
            # A batched layout would place the rows later, after the scroll: this one is
            # laid out at once (cells of one size: quick even for a large library).
            self.setLayoutMode(QListView.LayoutMode.SinglePass)
            self.doItemsLayout()
            self.updateGeometries()  # the scroll bar's range, for the new height
            self.scrollTo(top, QAbstractItemView.ScrollHint.PositionAtTop)
            self.setLayoutMode(QListView.LayoutMode.Batched)

    def _top_index(self) -> QModelIndex:
        """The first photo of the top row that shows at least half (a point of the first
        column's cells can fall in the spacing between rows: a few are tried)."""
        grid = self.gridSize()
        x = max(1, grid.width() // 2) if grid.isValid() else 8
        for y in range(0, max(8, grid.height() + 8), 4):
            index = self.indexAt(QPoint(x, y))
            if index.isValid() and self.visualRect(index).center().y() >= 0:
                return index
        return QModelIndex()

    def _fit_grid(self) -> None:
        """Spread the columns over the whole width (no ragged gap on the right)."""
        size = getattr(self, "_item_size", None)
        if size is None:
            return
        # Qt's static layout starts a row `spacing` in and wraps a cell that would reach the
        # last pixel: the columns share the width less that margin, or the last one wraps
        # and leaves a strip a cell wide empty on the right.
        available = self.viewport().width() - 2 * self.spacing() - 2
        columns = max(1, available // size.width())
        grid = QSize(max(size.width(), available // columns), size.height())
        if grid != self.gridSize():
            self.setGridSize(grid)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_grid()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y()
            if steps:
                self.zoom_requested.emit(1 if steps > 0 else -1)
            event.accept()
            return
        super().wheelEvent(event)
