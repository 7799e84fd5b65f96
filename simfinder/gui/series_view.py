"""The Similar shots view: series of one scene taken moments apart, each with its shots ranked
(the pick first, marked with its reasons in plain words, the others with what they lack
against it), and the same list/compare/keep/trash workflow as the Duplicates view.

Nothing is marked for removal until the user says so: "Keep Only the Best" for this series
or for all, or Accept Pick (one key: the pick is kept, the others marked, and the view goes to
the next series). A bracket is offered whole (every exposure kept; not ranked). "Keep All"
is remembered in the library, by content; the marks and the series done are saved as they
change (the review recorder's thread), and found again on the next start. The marks and their
rules are the session's (app.series_session); this module only shows them."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from simfinder.app.review_session import MarkRefused
from simfinder.app.series import BRACKET_REASON
from simfinder.app.series_session import SeriesSession
from simfinder.app.units import human_size
from simfinder.core.cleanup.actions import OFFLINE_REASON, ActionReport
from simfinder.core.cleanup.trash import trash_name, trash_title
from simfinder.core.matching.series import Series, Shot
from simfinder.core.matching.similarity import Strictness
from simfinder.core.store.catalog import PhotoRecord
from simfinder.gui import desktop, style
from simfinder.gui.action_report import ActionReportDialog
from simfinder.gui.action_table import ActionSpec, build_actions
from simfinder.gui.compare import MAX_PHOTOS, CompareDialog
from simfinder.gui.duplicates import (
    CompanionsRole,
    DuplicatesTree,
    GroupRole,
    NewRole,
    PhotoCellDelegate,
    ask,
)
from simfinder.gui.gallery import RecordRole, describe
from simfinder.gui.loupe import LoupeDialog
from simfinder.gui.review_controller import ReviewController
from simfinder.gui.review_layout import list_or_empty, totals_line
from simfinder.gui.series_worker import SeriesController, SeriesFound
from simfinder.gui.settings import AppSettings
from simfinder.gui.style import KEEP_COLOR, REMOVE_COLOR
from simfinder.gui.tasks import TaskRunner
from simfinder.gui.thumbnails import ThumbnailStore
from simfinder.gui.two_level_model import TOP, TwoLevelModel
from simfinder.gui.words import QT_TR_NOOP, counted, engine_text, files_text, tr
from simfinder.gui.workers import IndexController

log = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

ShotRole = Qt.ItemDataRole.UserRole + 30  # on shot rows: the Shot

COL_KEEP, COL_PHOTO, COL_WHY, COL_RES, COL_SIZE, COL_TAKEN, COL_FOLDER = range(7)
COLUMNS = (QT_TR_NOOP("Keep"), QT_TR_NOOP("Shot"), QT_TR_NOOP("Why"), QT_TR_NOOP("Resolution"),
           QT_TR_NOOP("File size"), QT_TR_NOOP("Taken"), QT_TR_NOOP("Folder"))

_NO_SERIES = TOP  # a group's row (two_level_model)


def series_title(series: Series, marked: Sequence[Shot], done: bool = False) -> str:
    n = len(series.shots)
    if series.bracket:
        what = tr("Bracket of {n} exposures · every exposure kept").format(n=n)
    else:
        pick = series.pick
        best = os.path.basename(pick.main.path) if pick is not None else ""
        what = tr("{n} similar shots · best: {best}").format(n=n, best=best)
        if marked:
            what += tr(" · {removed} to remove, {size} to free").format(
                removed=len(marked), size=human_size(sum(s.size for s in marked)))
        else:
            what += tr(" · all kept")
    return f"\u2713 {tr('Done')} · {what}" if done else what


def shot_reasons(series: Series, n: int) -> str:
    """Why shot n of a series is where it is, in plain words: the pick's reasons, what the
    others lack against it."""
    if series.bracket:
        return engine_text(BRACKET_REASON)
    words = (", ".join(engine_text(w) for w in series.ranks[n].reasons)
             if n < len(series.ranks) else "")
    if series.pick is series.shots[n]:
        return tr("Best: {reasons}").format(reasons=words or tr("as good as the others"))
    return words or tr("as good as the best")


class SeriesModel(TwoLevelModel):
    """Series (top-level rows) and their shots (children), ranked: a view of a SeriesSession."""

    columns = COLUMNS

    marks_changed = Signal()
    refused = Signal(str)

    def __init__(self, thumbnails: ThumbnailStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.session = SeriesSession()
        self.folder_text: Callable[[str], str] = os.path.dirname
        thumbnails.thumbnail_ready.connect(self._on_thumbnail)

    @property
    def _series(self) -> list[Series]:
        return self.session.series

    # -- Qt model API -----------------------------------------------------------------------

    def group_count(self) -> int:
        return len(self._series)

    def child_count(self, group: int) -> int:
        return len(self._series[group].shots)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.internalId() != _NO_SERIES and index.column() == COL_KEEP:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == _NO_SERIES:
            return self._series_data(index, role)
        series = self._series[index.internalId() - 1]
        n = index.row()
        shot = series.shots[n]
        record = shot.main
        marked = self.session.is_marked(shot)
        best = series.pick is shot
        col = index.column()
        if role == RecordRole:
            return record
        if role == ShotRole:
            return shot
        if role == GroupRole:
            return series  # its photos: the names the Shot column tells apart
        if role == NewRole:
            return False
        if role == CompanionsRole:
            return self.session.companions.get(record.path, [])
        if col == COL_KEEP:
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Unchecked if marked else Qt.CheckState.Checked
            if role == Qt.ItemDataRole.DisplayRole:
                return tr("Remove") if marked else tr("Keep")
            if role == Qt.ItemDataRole.ForegroundRole:
                if marked:
                    return REMOVE_COLOR
                return KEEP_COLOR if best or series.bracket else None
            if role == Qt.ItemDataRole.FontRole and (best or marked):
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.ToolTipRole:
                if marked:
                    return tr("Marked for removal. Check to keep it.")
                if best:
                    reasons = ", ".join(engine_text(w) for w in series.ranks[0].reasons)
                    return tr("Kept: the best shot ({reasons}). Uncheck to mark it for "
                              "removal.").format(reasons=reasons)
                return tr("Kept: nothing is marked for removal until you say so (Keep Only "
                          "the Best, or Accept Pick). Uncheck to mark it for removal.")
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_FOLDER:
                return os.path.dirname(record.path)
            if col == COL_WHY:
                return shot_reasons(series, n)
            text = describe(record)
            if len(shot.photos) > 1:
                text += "\n\n" + tr("The same shot, also in:") + "\n" + "\n".join(
                    p.path for p in shot.photos if p is not record)
            return text
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_RES, COL_SIZE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_WHY and best:
            return KEEP_COLOR
        if role == Qt.ItemDataRole.FontRole and col == COL_WHY and best:
            font = QFont()
            font.setBold(True)
            return font
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if col == COL_PHOTO:
            return os.path.basename(record.path)
        if col == COL_WHY:
            return shot_reasons(series, n)
        if col == COL_RES:
            return f"{record.width} \u00d7 {record.height}"
        if col == COL_SIZE:
            size = human_size(shot.size)
            return size if len(shot.photos) == 1 else tr("{size} ({n} files)").format(
                size=size, n=len(shot.photos))
        if col == COL_TAKEN:
            return record.taken_at.replace("T", " ") if record.taken_at else ""
        if col == COL_FOLDER:
            return self.folder_text(record.path)
        return None

    def _series_data(self, index: ModelIndex, role: int) -> Any:
        series = self._series[index.row()]
        if role == GroupRole:
            return series
        if index.column() != 0:
            return None
        done = self.session.is_done(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            return series_title(series, self.session.marked_shots(index.row()), done)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and done:
            return QColor(128, 128, 128)
        if role == Qt.ItemDataRole.ToolTipRole:
            if series.bracket:
                return tr("Shots of one framing exposed differently (a bracket): every "
                          "exposure is kept, none is ranked.")
            return tr("Shots of one scene taken moments apart, the best first.")
        return None

    def setData(self, index: ModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() \
                or index.internalId() == _NO_SERIES:
            return False
        keep = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) \
            else value
        return self.set_keep(index.internalId() - 1, index.row(), keep)

    # -- reading ----------------------------------------------------------------------------

    def series_at(self, row: int) -> Series:
        return self._series[row]

    def shot_index(self, row: int, shot: int, column: int = COL_KEEP) -> QModelIndex:
        return self.index(shot, column, self.index(row, 0))

    # -- changing ---------------------------------------------------------------------------

    def _reset_to(self, change: Any) -> None:
        self.beginResetModel()
        change()
        self.endResetModel()
        self.marks_changed.emit()

    def set_found(self, found: SeriesFound) -> None:
        self._reset_to(lambda: self.session.set_series(found.series, found.companions,
                                                       found.saved))

    def drop(self, keys: set[bytes]) -> None:
        if keys & {s.key for s in self._series}:
            self._reset_to(lambda: self.session.drop(keys))

    def _series_changed(self, row: int) -> None:
        parent = self.index(row, 0)
        self.dataChanged.emit(parent, parent)
        count = len(self._series[row].shots)
        if count:
            self.dataChanged.emit(self.index(0, 0, parent),
                                  self.index(count - 1, len(COLUMNS) - 1, parent))
        self.marks_changed.emit()

    def set_keep(self, row: int, shot: int, keep: bool) -> bool:
        try:
            changed = self.session.set_keep(row, shot, keep)
        except MarkRefused as exc:
            self.refused.emit(str(exc))
            return False
        if changed:
            self._series_changed(row)
        return True

    def keep_only_best(self, row: int) -> bool:
        changed = self.session.keep_only_best(row)
        if changed:
            self._series_changed(row)
        return changed

    def keep_only_best_of_all(self) -> int:
        rows = self.session.keep_only_best_of_all()
        for row in rows:
            self._series_changed(row)
        return len(rows)

    def keep_every_shot(self, row: int) -> None:
        if self.session.keep_every_shot(row):
            self._series_changed(row)

    def accept(self, row: int) -> int:
        following = self.session.accept(row)
        self._series_changed(row)
        return following

    def set_done(self, row: int, done: bool) -> None:
        if self.session.set_done(row, done):
            self._series_changed(row)

    def photos_moved(self, paths: Sequence[str]) -> None:
        self.session.photos_moved(paths)

    def _on_thumbnail(self, digest: bytes) -> None:
        for r, series in enumerate(self._series):
            for n, shot in enumerate(series.shots):
                if shot.main.digest == digest:
                    idx = self.shot_index(r, n, COL_PHOTO)
                    self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class SeriesPanel(QWidget):
    """The Similar shots view: its list, totals and actions. The series are found by
    `finder` off the UI thread (with the first measuring's progress, and Cancel); moves run
    on the library's writer thread (`indexer`), journalled, so Edit > Undo takes them back."""

    message = Signal(str)  # for the status bar
    preview_requested = Signal(object)  # PhotoRecord

    act_accept: QAction
    act_keep_best: QAction
    act_keep_all: QAction
    act_loupe: QAction

    def __init__(
        self,
        thumbnails: ThumbnailStore,
        settings: AppSettings,
        finder: SeriesController,
        indexer: IndexController,
        tasks: TaskRunner,
        review: ReviewController,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.settings = settings
        self.finder = finder
        self.indexer = indexer
        self.tasks = tasks
        self.review = review
        self._stale = True
        self._indexing = False
        self._searching = False
        self._stopped = False
        self._waiting_action = False
        self._position_key: bytes | None = None
        self._position_row = 0
        self.compare_dialog: CompareDialog | None = None
        self.loupe_dialog: LoupeDialog | None = None
        self.report_dialog: ActionReportDialog | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)
        self._build_actions()
        self._build_bars(layout)
        self._build_list(layout)
        self._build_totals(layout)
        self._connect()
        self._show_state()

    # -- construction -----------------------------------------------------------------------

    def _build_actions(self) -> None:
        build_actions(self, [
            ActionSpec("accept", tr("&Accept Pick"),
                       tr("Keep the best shot, mark the others for removal, and go to the next "
                          "series (a bracket keeps every exposure)"), self.accept_pick,
                       keys="A", keys_in_tip=True),
            ActionSpec("keep_best", tr("Keep Only the &Best"),
                       tr("Mark every shot of this series but the best for removal"),
                       self.keep_only_best, keys="B", keys_in_tip=True),
            ActionSpec("keep_all", tr("&Keep All"),
                       tr("Keep every shot of this series: it leaves the list for good "
                          "(remembered in the library), unless it gains a shot"), self.keep_all,
                       keys="K", keys_in_tip=True),
            ActionSpec("loupe", tr("&Loupe"),
                       tr("The same spot of every shot at 100%, side by side: click or point "
                          "at a spot"), self.open_loupe, keys="L", keys_in_tip=True),
        ], window_keys=False)  # the keys act on the list only

    def _build_bars(self, layout: QVBoxLayout) -> None:
        bar = QHBoxLayout()
        bar.setSpacing(6)
        self.count_label = QLabel(self)
        self.count_label.setMinimumWidth(150)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel_button = QPushButton(tr("Cancel"), self)
        self.cancel_button.setToolTip(tr("Stop measuring the shots (what is measured is kept: "
                                         "the next search goes on from there)"))
        self.cancel_button.hide()
        self.find_button = QPushButton(tr("Find Again"), self)
        self.find_button.setToolTip(tr("Look for similar shots again"))
        self.find_button.hide()
        self.compare_button = QPushButton(tr("Compare"), self)
        self.compare_button.setToolTip(tr("Compare the shots of this series side by side, "
                                          "zoomed and panned together"))
        self.loupe_button = QPushButton(tr("Loupe"), self)
        self.loupe_button.setToolTip(self.act_loupe.toolTip())
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.progress)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.find_button)
        bar.addWidget(self.compare_button)
        bar.addWidget(self.loupe_button)
        layout.addLayout(bar)

        actions = QHBoxLayout()
        actions.setSpacing(6)
        self.accept_button = QPushButton(tr("Accept Pick"), self)
        self.accept_button.setToolTip(self.act_accept.toolTip())
        self.keep_best_button = QPushButton(tr("Keep Only the Best"), self)
        self.keep_best_button.setToolTip(self.act_keep_best.toolTip())
        self.keep_best_all_button = QPushButton(tr("Keep Only the Best of All"), self)
        self.keep_best_all_button.setToolTip(tr("Mark every shot but the best of every series "
                                                "for removal (brackets stay whole)"))
        self.keep_all_button = QPushButton(tr("Keep All"), self)
        self.keep_all_button.setToolTip(self.act_keep_all.toolTip())
        self.trash_button = QPushButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon),
            tr("Move to {trash}…").format(trash=engine_text(trash_title())), self)
        self.trash_button.setToolTip(tr("Move the shots marked for removal to {trash} (Edit > "
                                        "Undo puts them back)").format(
                                         trash=engine_text(trash_name())))
        for button in (self.accept_button, self.keep_best_button, self.keep_best_all_button,
                       self.keep_all_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.trash_button)
        layout.addLayout(actions)

        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(style.WARNING_TEXT)
        self.notice.hide()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.setInterval(style.NOTICE_INLINE_MS)
        self._notice_timer.timeout.connect(self.notice.hide)
        layout.addWidget(self.notice)

    def _build_list(self, layout: QVBoxLayout) -> None:
        self.model = SeriesModel(self.thumbnails, self)
        self.tree = DuplicatesTree(self)
        self.tree.setModel(self.model)
        self.tree.setItemDelegateForColumn(COL_PHOTO, PhotoCellDelegate(self.thumbnails,
                                                                        self.tree))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setUniformRowHeights(False)
        self.tree.setAnimated(False)
        self.tree.setIndentation(16)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.tree.setAccessibleName(tr("Similar shots"))
        self.tree.addActions([self.act_accept, self.act_keep_best, self.act_keep_all,
                              self.act_loupe])
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in ((COL_KEEP, 100), (COL_PHOTO, 250), (COL_WHY, 230), (COL_RES, 110),
                           (COL_SIZE, 90), (COL_TAKEN, 140)):
            header.resizeSection(col, width)
        self.empty, self.stack = list_or_empty(self, self.tree, layout)

    def _build_totals(self, layout: QVBoxLayout) -> None:
        self.totals_label = totals_line(self, layout, tr("Similar shots totals"))

    def _connect(self) -> None:
        self.cancel_button.clicked.connect(self.cancel_search)
        self.find_button.clicked.connect(self.refresh)
        self.compare_button.clicked.connect(self.compare_series)
        self.loupe_button.clicked.connect(self.act_loupe.trigger)
        self.accept_button.clicked.connect(self.act_accept.trigger)
        self.keep_best_button.clicked.connect(self.act_keep_best.trigger)
        self.keep_best_all_button.clicked.connect(self.keep_only_best_of_all)
        self.keep_all_button.clicked.connect(self.act_keep_all.trigger)
        self.trash_button.clicked.connect(lambda: self.trash_marked())
        self.tree.toggle_requested.connect(self._toggle)
        self.tree.doubleClicked.connect(self._on_double_click)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        # Where the user is, saved a moment after they stop moving (and on quitting).
        self._position_timer = QTimer(self)
        self._position_timer.setSingleShot(True)
        self._position_timer.setInterval(400)
        self._position_timer.timeout.connect(self.save_position)
        self.tree.selectionModel().currentChanged.connect(
            lambda *_: self._position_timer.start())
        self.model.marks_changed.connect(self._update_totals)
        self.model.refused.connect(self.show_notice)
        self.model.session.store = self.review.recorder  # the review saved as it changes
        self.model.modelAboutToBeReset.connect(self._before_reset)
        self.model.modelReset.connect(self._after_reset)
        self.finder.results.connect(self._on_found)
        self.finder.measuring.connect(self._on_measuring)
        self.finder.cancelled.connect(self._on_cancelled)
        self.finder.error.connect(self._on_error)
        self.indexer.action_finished.connect(self._on_action_finished)
        self.indexer.failed.connect(self._on_job_failed)

    # -- finding the series -----------------------------------------------------------------

    @property
    def searching(self) -> bool:
        return self._searching

    def library_changed(self) -> None:
        """The library changed: the series are found again (now, if the view is shown)."""
        self.finder.library_changed()
        self._stale = True
        if self.isVisible():
            self.refresh()

    def set_indexing(self, indexing: bool) -> None:
        """While photos are being indexed the series wait: their pairs are being compared."""
        self._indexing = indexing
        if not indexing and self._stale and self.isVisible():
            self.refresh()
        else:
            self._show_state()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        if self._indexing:
            self._show_state()
            return
        self._stale = False
        self._stopped = False
        self._searching = True
        self.progress.setRange(0, 0)  # busy until the measuring says how many
        self.progress.setFormat(tr("Finding similar shots…"))
        self.finder.find(Strictness(self.settings.strictness))
        self._show_state()

    def cancel_search(self) -> None:
        self.finder.stop()

    def _on_measuring(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(tr("Measuring shots %v / %m"))

    def _on_found(self, found: SeriesFound) -> None:
        self._searching = False
        saved = found.saved
        if (saved is not None and saved.position is not None and not self.model.session.restored
                and self.current_row() < 0 and self._position_key is None):
            self._position_key = saved.position  # the first list of this run: where they were
        self.model.set_found(found)
        self._show_state()

    def _on_cancelled(self) -> None:
        self._searching = False
        self._stopped = True
        self._stale = True  # shown again: found again, from the shots measured so far
        self._show_state()

    def _on_error(self, message: str) -> None:
        self._searching = False
        self.show_notice(message)
        self._show_state()

    def _show_state(self) -> None:
        searching = self._searching
        self.progress.setVisible(searching)
        self.cancel_button.setVisible(searching)
        self.find_button.setVisible(self._stopped and not searching)
        n = self.model.rowCount()
        if searching:
            self.count_label.setText(tr("Finding similar shots…"))
        elif self._indexing:
            self.count_label.setText(tr("Waiting for indexing to finish"))
        else:
            self.count_label.setText(counted(n, "%Ln series") if not self._stopped else "")
        if n:  # the list stays while the series are found again (after a decision, a move)
            self.stack.setCurrentWidget(self.tree)
        else:
            if searching:
                self.empty.setText(tr("Looking for similar shots…\n\nThe first time, every "
                                      "shot is measured (sharpness, blur, exposure, faces): "
                                      "this takes a while, and is kept for next time."))
            elif self._indexing:
                self.empty.setText(tr("Similar shots are looked for when indexing is done."))
            elif self._stopped:
                self.empty.setText(tr("Stopped. The shots measured so far are kept: Find "
                                      "Again goes on from there."))
            else:
                self.empty.setText(tr("No similar shots found.\n\nShots of one scene taken "
                                      "moments apart (bursts, retakes, brackets) are listed "
                                      "here, the best of each picked."))
            self.stack.setCurrentWidget(self.empty)
        self._update_totals()

    def _before_reset(self) -> None:
        row = self.current_row()
        if row >= 0 and self._position_key is None:
            self._position_key = self.model.series_at(row).key
            self._position_row = row

    def _after_reset(self) -> None:
        for row in range(self.model.rowCount()):
            self.tree.setFirstColumnSpanned(row, QModelIndex(), True)
        self.tree.expandAll()
        if self.model.rowCount():
            row = self.model.session.row_of(self._position_key) if self._position_key else -1
            if row < 0:
                row = min(self._position_row, self.model.rowCount() - 1)
            self._position_key = None
            self.go_to_series(row)
        self._update_buttons()

    # -- where the user is ------------------------------------------------------------------

    def save_position(self) -> None:
        """Remember the series the user is on (for the next start)."""
        self._position_timer.stop()
        self.model.session.save_position(self.current_row())

    def current_row(self) -> int:
        current = self.tree.currentIndex()
        if not current.isValid():
            return -1
        if current.internalId() == _NO_SERIES:
            return current.row()
        return current.parent().row()

    def go_to_series(self, row: int) -> None:
        """Make the first shot (the pick) of series `row` current, and show the series."""
        first = self.model.shot_index(row, 0)
        if not first.isValid():
            return
        self.tree.selectionModel().setCurrentIndex(
            first, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.tree.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        self._update_buttons()

    # -- totals and buttons -----------------------------------------------------------------

    def _update_totals(self) -> None:
        t = self.model.session.totals()
        if not t.series:
            self.totals_label.setText("")
        else:
            self.totals_label.setText(
                tr("{series} · {shots} · {marked} marked for removal (<b>{marked_size}</b>) · "
                   "keeping only the best of each would free <b>{freeable}</b>").format(
                    series=counted(t.series, "%Ln series"), shots=counted(t.shots, "%Ln shot(s)"),
                    marked=f"{t.marked:,}", marked_size=human_size(t.marked_bytes),
                    freeable=human_size(t.freeable_bytes)))
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.current_row()
        series = self.model.series_at(row) if row >= 0 else None
        for act, button in ((self.act_accept, self.accept_button),
                            (self.act_keep_all, self.keep_all_button),
                            (self.act_loupe, self.loupe_button)):
            act.setEnabled(series is not None)
            button.setEnabled(series is not None)
        rankable = series is not None and not series.bracket
        self.act_keep_best.setEnabled(rankable)
        self.keep_best_button.setEnabled(rankable)
        self.compare_button.setEnabled(series is not None)
        self.keep_best_all_button.setEnabled(any(
            not s.bracket for s in self.model.session.series))
        self.trash_button.setEnabled(self.model.session.totals().marked > 0
                                     and not self._waiting_action)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()
        self._notice_timer.start()
        self.message.emit(text)

    # -- marks ------------------------------------------------------------------------------

    def _toggle(self, index: QModelIndex) -> None:
        if not index.isValid() or index.internalId() == _NO_SERIES:
            return
        row, n = index.internalId() - 1, index.row()
        shot = self.model.series_at(row).shots[n]
        self.model.set_keep(row, n, self.model.session.is_marked(shot))

    def accept_pick(self) -> None:
        """Accept the pick of the current series (the others marked for removal; a bracket
        keeps all) and go to the next series not done."""
        row = self.current_row()
        if row < 0:
            return
        series = self.model.series_at(row)
        following = self.model.accept(row)
        if following >= 0:
            self.go_to_series(following)
        self.tree.setFocus()
        if series.bracket:
            self.message.emit(tr("Bracket kept whole."))
        else:
            others = len(series.shots) - 1
            self.message.emit(tr("Kept the best shot; {others} marked for removal.").format(
                others=counted(others, "%Ln other(s)")))
        if following < 0:
            self.message.emit(tr("Every series is done: Move to {trash} moves the shots marked "
                                 "for removal.").format(trash=engine_text(trash_title())))

    def keep_only_best(self) -> None:
        row = self.current_row()
        if row < 0:
            return
        if self.model.series_at(row).bracket:
            self.show_notice(tr("A bracket keeps every exposure."))
            return
        self.model.keep_only_best(row)

    def keep_only_best_of_all(self) -> None:
        changed = self.model.keep_only_best_of_all()
        self.message.emit(tr("Kept only the best of {series}.").format(
            series=counted(changed, "%Ln series")) if changed
            else tr("Nothing changed: every series already keeps only its best."))

    def keep_all(self) -> None:
        """Keep every shot of the current series, remembered in the library (by content):
        it leaves the list, and comes back only if it gains a shot."""
        row = self.current_row()
        if row < 0:
            return
        series = self.model.series_at(row)
        self._position_row = row
        self._position_key = None
        self.review.keep_series(series)
        self.model.drop({series.key})
        self.tree.setFocus()
        self.message.emit(tr("Keeping all {count} shots of the series. View > Decisions lists "
                             "it, to undo it.").format(count=len(series.shots)))

    # -- compare and loupe ------------------------------------------------------------------

    def current_shots(self) -> list[PhotoRecord]:
        row = self.current_row()
        if row < 0:
            return []
        return [s.main for s in self.model.series_at(row).shots][:MAX_PHOTOS]

    def compare_series(self) -> None:
        photos = self.current_shots()
        if len(photos) < 2:
            return
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        dialog = CompareDialog(photos, self.tasks, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "compare_dialog", None))
        self.compare_dialog = dialog
        dialog.show()

    def open_loupe(self) -> None:
        photos = self.current_shots()
        if len(photos) < 2:
            return
        if self.loupe_dialog is not None:
            self.loupe_dialog.close()
        dialog = LoupeDialog(photos, self.tasks, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "loupe_dialog", None))
        self.loupe_dialog = dialog
        dialog.show()

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.internalId() == _NO_SERIES or index.column() == COL_KEEP:
            return
        self.compare_series()

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if not index.isValid():
            return
        self.tree.setCurrentIndex(index)
        menu = QMenu(self)
        menu.addAction(self.act_accept)
        menu.addAction(self.act_keep_best)
        menu.addAction(self.act_keep_all)
        row = self.current_row()
        menu.addAction(tr("Unmark Every Shot"), lambda: self.model.keep_every_shot(row))
        menu.addSeparator()
        menu.addAction(tr("Compare Series…"), self.compare_series)
        menu.addAction(self.act_loupe)
        record: PhotoRecord | None = index.data(RecordRole) \
            if index.internalId() != _NO_SERIES else None
        if record is not None:
            menu.addSeparator()
            menu.addAction(tr("Preview"), lambda: self.preview_requested.emit(record))
            menu.addAction(tr("Open with Default App"),
                           lambda: desktop.open_with_default_app(record.path))
            menu.addAction(tr("Show in Folder"), lambda: desktop.show_in_folder(record.path))
        menu.exec(self.tree.viewport().mapToGlobal(pos))
        menu.deleteLater()

    # -- moving the shots marked for removal --------------------------------------------------

    def trash_marked(self) -> None:
        """Move the shots marked for removal (with their copies and companion files) to the
        trash, after a confirmation; journalled, so Edit > Undo puts them back."""
        groups = self.model.session.groups()
        photos = [p for g in groups for p in g.photos if p.file_id not in g.keep]
        if not photos:
            self.show_notice(tr("No shot is marked for removal: Keep Only the Best, or Accept "
                                "Pick, marks them."))
            return
        companions = sum(len(g.companions.get(p.path, [])) for g in groups for p in g.photos
                         if p.file_id not in g.keep)
        where = engine_text(trash_name())
        size = human_size(sum(p.size for p in photos))
        verb = tr("Move to {trash}").format(trash=engine_text(trash_title()))
        answer = ask(self, verb, tr(
            "Move {files} ({size}) of {series} to {trash}?\n\nEach series keeps its shots "
            "marked Keep. The photos stay in {trash} until you empty it, and Edit > Undo puts "
            "them back.").format(files=files_text(len(photos), companions), size=size,
                                 series=counted(len(groups), "%Ln series"), trash=where),
            [verb])
        if answer is None:
            return
        self._waiting_action = True
        self._update_buttons()
        self.message.emit(tr("Moving {photos} to {trash}…").format(
            photos=counted(len(photos), "%Ln photo(s)"), trash=where))
        self.indexer.remove_marked(groups, self.settings.keep_plan, None)

    def _on_action_finished(self, report: ActionReport) -> None:
        if not self._waiting_action:
            return  # the Duplicates view's
        self._waiting_action = False
        self.model.photos_moved([src for src, _ in report.moved])
        n = len(report.moved)
        done = (tr("Moved {files} ({size}) to {trash}. Edit > Undo puts them back.").format(
                    files=files_text(n, len(report.companions_moved)),
                    size=human_size(report.bytes_moved), trash=engine_text(trash_name()))
                if n else tr("No photo was moved."))
        offline = sum(1 for f in report.failed if f.reason == OFFLINE_REASON)
        if offline:
            done += tr(" {photos} in offline folders skipped.").format(
                photos=counted(offline, "%Ln photo(s)"))
        failed = [*report.failed, *report.companions_failed]
        if len(failed) > offline:
            done += tr(" {files} could not be moved.").format(
                files=counted(len(failed) - offline, "%Ln file(s)"))
            if self.report_dialog is None:
                self.report_dialog = ActionReportDialog(self.window())
            self.report_dialog.show_failures(tr("Some photos were not moved"), done, failed)
        self.message.emit(done)
        self._update_buttons()

    def _on_job_failed(self, _message: str) -> None:
        if self._waiting_action and not self.indexer.acting:
            self._waiting_action = False
            self._update_buttons()
