"""The side panel: the photo being looked at and the library's most similar photos, best first,
each with a score and a plain word (duplicate / near-duplicate / similar). The most alike photos
are listed even when none is much like the query, with a divider where they stop being much
alike. Clicking a result moves the query there; Back returns to the previous one."""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QElapsedTimer,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simfinder.app.gallery import alike_percent, match_word, much_alike_count
from simfinder.core.matching.search import SimilarHit
from simfinder.core.matching.similarity import Strictness
from simfinder.core.store.catalog import PhotoRecord
from simfinder.gui.action_table import keys_text
from simfinder.gui.gallery import RecordRole, describe, draw_thumbnail
from simfinder.gui.thumbnails import ThumbnailStore
from simfinder.gui.words import QT_TR_NOOP, counted, engine_text, tr

ScoreRole = Qt.ItemDataRole.UserRole + 10
WordRole = Qt.ItemDataRole.UserRole + 11
DividerRole = Qt.ItemDataRole.UserRole + 12  # True for the first row below the divider

DIVIDER_TEXT = "Less alike"

WORD_COLORS = {
    "duplicate": QColor("#c0392b"),
    "near-duplicate": QColor("#d35400"),
    "similar shot": QColor("#7d3c98"),
    "similar": QColor("#2e6fba"),
}
COUNTED = {  # the words in the status line, with their counts (gui.words)
    "duplicate": "%Ln duplicate(s)",
    "near-duplicate": "%Ln near-duplicate(s)",
    "similar shot": "%Ln similar shot(s)",
    "similar": "%Ln similar photo(s)",
}
WORD_HELP = {
    "duplicate": QT_TR_NOOP("An exact copy: the same bytes"),
    "near-duplicate": QT_TR_NOOP("The same photo, resized, re-encoded, cropped or edited"),
    "similar shot": QT_TR_NOOP("Another exposure or moment of the same scene: not a copy"),
    "similar": QT_TR_NOOP("A different photo that looks alike"),
}

ModelIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class QueryTarget:
    """What the panel searches with: an indexed photo, or an image from outside the library
    (a dropped or pasted image, searched without adding it)."""

    path: Path
    label: str
    record: PhotoRecord | None = None

    @property
    def external(self) -> bool:
        return self.record is None


class SimilarModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: list[SimilarHit] = []
        self._words: list[str] = []
        self.strictness = Strictness.NORMAL
        # The row the divider is drawn above (None: every hit is much alike, or no hits).
        self.divider: int | None = None

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(hit.photo.path)
        if role == RecordRole:
            return hit.photo
        if role == ScoreRole:
            return hit.score
        if role == WordRole:
            return self._words[index.row()]
        if role == DividerRole:
            return index.row() == self.divider
        if role == Qt.ItemDataRole.ToolTipRole:
            word = self._words[index.row()]
            why = html.escape(engine_text(str(hit.explanation().get("why", ""))))
            return (f"{describe(hit.photo)}<br><i>{tr(WORD_HELP[word])}</i><br>"
                    + tr("Why: {why}").format(why=why))
        return None

    def set_hits(self, hits: Sequence[SimilarHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._words = [match_word(h, self.strictness) for h in self._hits]
        alike = much_alike_count(self._hits)
        self.divider = alike if alike < len(self._hits) else None
        self.endResetModel()

    def set_strictness(self, strictness: Strictness) -> None:
        self.strictness = strictness
        self.set_hits(self._hits)

    def hits(self) -> list[SimilarHit]:
        return list(self._hits)

    def words(self) -> list[str]:
        return list(self._words)

    def refresh_thumbnail(self, digest: bytes) -> None:
        for row, hit in enumerate(self._hits):
            if hit.photo.digest == digest:
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


_ROW_THUMB = 72
_ROW_PAD = 6
_DIVIDER_HEIGHT = 26


class SimilarDelegate(QStyledItemDelegate):
    def __init__(self, thumbnails: ThumbnailStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.folder_text: Callable[[str], str] = os.path.dirname

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        extra = _DIVIDER_HEIGHT if index.data(DividerRole) else 0
        return QSize(200, _ROW_THUMB + 2 * _ROW_PAD + extra)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        record: PhotoRecord | None = index.data(RecordRole)
        if record is None:
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state = option.state
        painter.save()
        if index.data(DividerRole):
            self._paint_divider(painter, QRect(rect.left(), rect.top(), rect.width(),
                                               _DIVIDER_HEIGHT), palette, option.font)
            rect = rect.adjusted(0, _DIVIDER_HEIGHT, 0, 0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if state & (QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_MouseOver):
            color = palette.color(QPalette.ColorRole.Highlight)
            color.setAlpha(70 if state & QStyle.StateFlag.State_Selected else 35)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(rect.adjusted(2, 1, -2, -1), 5, 5)
        box = QRect(rect.left() + _ROW_PAD, rect.top() + _ROW_PAD, _ROW_THUMB, _ROW_THUMB)
        draw_thumbnail(painter, box, self.thumbnails, record, palette)

        left = box.right() + 10
        width = rect.right() - left - _ROW_PAD
        base: QFont = option.font
        bold = QFont(base)
        bold.setBold(True)
        fm_bold = QFontMetrics(bold)
        fm = QFontMetrics(base)
        y = rect.top() + _ROW_PAD + 2
        painter.setFont(bold)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        name = fm_bold.elidedText(os.path.basename(record.path), Qt.TextElideMode.ElideMiddle,
                                  width)
        painter.drawText(QRect(left, y, width, fm_bold.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        y += fm_bold.height() + 4

        word: str = index.data(WordRole)
        score: float = index.data(ScoreRole)
        small = QFont(base)
        small.setPointSizeF(max(7.0, base.pointSizeF() * 0.9))
        fm_small = QFontMetrics(small)
        chip_text = word
        chip_w = fm_small.horizontalAdvance(chip_text) + 12
        chip = QRect(left, y, chip_w, fm_small.height() + 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(WORD_COLORS[word])
        painter.drawRoundedRect(chip, chip.height() / 2, chip.height() / 2)
        painter.setFont(small)
        painter.setPen(QColor("white"))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, chip_text)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.setFont(base)
        painter.drawText(QRect(chip.right() + 8, y, width - chip_w - 8, chip.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         f"{alike_percent(score, word == 'duplicate')}% alike")
        y += chip.height() + 4

        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        folder = fm.elidedText(self.folder_text(record.path), Qt.TextElideMode.ElideLeft, width)
        painter.drawText(QRect(left, y, width, fm.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, folder)
        painter.restore()

    @staticmethod
    def _paint_divider(painter: QPainter, strip: QRect, palette: QPalette, font: QFont) -> None:
        """A rule with "Less alike" on it: the photos below it are not much like the query."""
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        fm = QFontMetrics(small)
        text = tr(DIVIDER_TEXT)
        text_w = fm.horizontalAdvance(text)
        mid = strip.center().y()
        left, right = strip.left() + _ROW_PAD, strip.right() - _ROW_PAD
        text_left = left + (right - left - text_w) // 2
        color = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.setPen(color)
        painter.drawLine(left, mid, text_left - 8, mid)
        painter.drawLine(text_left + text_w + 8, mid, right, mid)
        painter.setFont(small)
        painter.drawText(QRect(text_left, strip.top(), text_w, strip.height()),
                         Qt.AlignmentFlag.AlignCenter, text)


class _QueryThumb(QLabel):
    double_clicked = Signal()

    def mouseDoubleClickEvent(self, event: Any) -> None:
        self.double_clicked.emit()


class SimilarPanel(QWidget):
    """Shows a query and its neighbours. The window runs the search: the panel asks with
    `search_requested(target)` and is answered with `show_results` / `show_error`."""

    search_requested = Signal(object)  # QueryTarget
    open_requested = Signal(object)  # PhotoRecord or Path: show a large preview
    context_menu_requested = Signal(object, QPoint)  # PhotoRecord, global position

    QUERY_SIDE = 168

    def __init__(self, thumbnails: ThumbnailStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.target: QueryTarget | None = None
        self.history: list[QueryTarget] = []
        self._external_pixmap: QPixmap | None = None
        self._move_clock = QElapsedTimer()

        self.setMinimumWidth(240)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)

        top = QHBoxLayout()
        self.back_button = QToolButton(self)
        self.back_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_ArrowBack))
        self.back_button.setText(tr("Back"))
        self.back_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.back_button.setToolTip(tr("Back to the previous photo (Alt+Left)"))
        self.back_button.setShortcut("Alt+Left")
        self.back_button.setAutoRaise(True)
        self.back_button.setEnabled(False)
        self.back_button.clicked.connect(self.go_back)
        self.title = QLabel(tr("Similar photos"), self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        top.addWidget(self.title, 1)
        top.addWidget(self.back_button)
        layout.addLayout(top)

        self.query_thumb = _QueryThumb(self)
        self.query_thumb.setFixedHeight(self.QUERY_SIDE)
        self.query_thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.query_thumb.setToolTip(tr("Double-click for a large preview"))
        self.query_thumb.double_clicked.connect(self._open_query)
        layout.addWidget(self.query_thumb)

        self.query_label = QLabel(self)
        self.query_label.setWordWrap(True)
        self.query_label.setTextFormat(Qt.TextFormat.RichText)
        self.query_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.query_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.query_label)

        self.separator = QFrame(self)
        self.separator.setFrameShape(QFrame.Shape.HLine)
        self.separator.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(self.separator)

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout.addWidget(self.status)

        self.model = SimilarModel(self)
        self.results = QListView(self)
        self.results.setModel(self.model)
        self.delegate = SimilarDelegate(thumbnails, self.results)
        self.results.setItemDelegate(self.delegate)
        self.results.setUniformItemSizes(False)  # the row under the divider is taller
        self.results.setMouseTracking(True)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.results.setFrameShape(QFrame.Shape.NoFrame)
        self.results.clicked.connect(self._on_result_clicked)
        self.results.activated.connect(self._on_result_clicked)
        self.results.customContextMenuRequested.connect(self._on_context_menu)
        self.results.setAccessibleName(tr("Similar photos"))
        layout.addWidget(self.results, 1)
        self.filler = QWidget(self)  # takes the space while there is no query
        layout.addWidget(self.filler, 1)

        thumbnails.thumbnail_ready.connect(self._on_thumbnail)
        self.clear()

    # -- driving the panel ------------------------------------------------------------------

    def clear(self) -> None:
        self.target = None
        self.history.clear()
        self.back_button.setEnabled(False)
        self.model.set_hits([])
        self.query_thumb.clear()
        self.query_thumb.setText("")
        self.query_label.setText("")
        self.status.setText(tr("Click a photo to see the photos most like it, best first.\n\n"
                               "You can also drop an image on the window, or paste one ({keys}), "
                               "to search the library with it.").format(
                                   keys=keys_text(QKeySequence.StandardKey.Paste)))
        self._show_query_parts(False)

    def _show_query_parts(self, visible: bool) -> None:
        for widget in (self.query_thumb, self.query_label, self.separator, self.results):
            widget.setVisible(visible)
        self.filler.setVisible(not visible)

    def show_query(self, target: QueryTarget, *, remember: bool = True) -> None:
        """Start showing `target` (asks the window to search)."""
        if self.target is not None and remember and self.target != target:
            self.history.append(self.target)
        self.target = target
        self.back_button.setEnabled(bool(self.history))
        self._show_query_parts(True)
        self._external_pixmap = None
        self._update_query_header()
        self.model.set_hits([])
        self.status.setText(tr("Looking for similar photos…"))
        self.search_requested.emit(target)

    def set_external_thumbnail(self, image: QImage) -> None:
        """The thumbnail of an outside image (decoded off the UI thread by the window)."""
        if self.target is not None and self.target.external and not image.isNull():
            self._external_pixmap = QPixmap.fromImage(image)
            self._update_query_header()

    def show_results(self, hits: Sequence[SimilarHit]) -> None:
        self.model.set_hits(hits)
        if not hits:
            self.status.setText(tr("The library has no other photos to compare with."))
            return
        alike = much_alike_count(hits)
        words = self.model.words()[:alike]
        counts = {w: words.count(w) for w in WORD_COLORS}
        parts = [counted(n, COUNTED[w]) for w, n in counts.items() if n]
        if not alike:
            self.status.setText(tr("No photo in the library is much like this one; "
                                   "the closest are listed."))
        elif alike < len(hits):
            self.status.setText(tr("Most alike first: {parts}, then less alike "
                                   "photos below the line.").format(parts=', '.join(parts)))
        else:
            self.status.setText(tr("Most alike first: {parts}.").format(parts=', '.join(parts)))
        self.results.scrollToTop()

    def show_error(self, message: str) -> None:
        self.model.set_hits([])
        self.status.setText(tr("<b>Could not search with this image.</b><br>{message}").format(
                                message=message))

    def go_back(self) -> None:
        if not self.history:
            return
        target = self.history.pop()
        self.show_query(target, remember=False)

    def set_strictness(self, strictness: Strictness) -> None:
        self.model.set_strictness(strictness)
        if self.model.rowCount():
            self.show_results(self.model.hits())

    def forget_photos(self, gone: set[int]) -> None:
        """Drop history entries for photos no longer in the library."""
        self.history = [t for t in self.history
                        if t.record is None or t.record.file_id not in gone]
        self.back_button.setEnabled(bool(self.history))

    # -- internals --------------------------------------------------------------------------

    def _update_query_header(self) -> None:
        target = self.target
        if target is None:
            return
        side = self.QUERY_SIDE
        pix: QPixmap | None
        if target.record is not None:
            pix = self.thumbnails.pixmap(target.record.digest, side)
            rec = target.record
            self.query_label.setToolTip(rec.path)
            details = (f"{rec.width} \u00d7 {rec.height}"
                       + (f" · {rec.taken_at[:10]}" if rec.taken_at else ""))
            self.query_label.setText(
                tr("<b>{esc}</b><br><span style='color:gray'>{esc2}<br>{esc3}</span>").format(
                    esc=_esc(os.path.basename(rec.path)),
                    esc2=_esc(details),
                    esc3=_esc(self.delegate.folder_text(rec.path))))
        else:
            pix = self._external_pixmap
            self.query_label.setToolTip(str(target.path))
            self.query_label.setText(
                tr("<b>{esc}</b><br><span style='color:gray'>Not in the library: searched "
                   "without adding it</span>").format(esc=_esc(target.label)))
        if pix is not None and not pix.isNull():
            if max(pix.width(), pix.height()) > side:
                pix = pix.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
            self.query_thumb.setPixmap(pix)
        else:
            self.query_thumb.clear()
            self.query_thumb.setText("…")

    def _on_thumbnail(self, digest: bytes) -> None:
        self.model.refresh_thumbnail(digest)
        if self.target is not None and self.target.record is not None \
                and self.target.record.digest == digest:
            self._update_query_header()

    def _on_result_clicked(self, index: QModelIndex) -> None:
        # The second click of a double-click lands on the new results: ignore it.
        if self._move_clock.isValid() and \
                self._move_clock.elapsed() < QApplication.doubleClickInterval():
            return
        record: PhotoRecord | None = index.data(RecordRole)
        if record is None:
            return
        self._move_clock.start()
        self.show_query(QueryTarget(Path(record.path), os.path.basename(record.path), record))

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.results.indexAt(pos)
        record = index.data(RecordRole) if index.isValid() else None
        if record is not None:
            self.context_menu_requested.emit(record, self.results.viewport().mapToGlobal(pos))

    def _open_query(self) -> None:
        if self.target is None:
            return
        self.open_requested.emit(self.target.record or self.target.path)

    def result_rect(self, row: int) -> QRect:
        """Where result `row` is drawn (viewport coordinates): for tests and screenshots."""
        return self.results.visualRect(self.model.index(row, 0))


def _esc(text: str) -> str:
    return html.escape(text)
