"""The Duplicates view: groups of exact copies and near-duplicates, each photo with what tells
the copies apart (resolution, file size, format, capture date, camera, folder), the copy to keep
marked by the keeper rules, the totals, and the actions on the photos marked for removal.

The user can change any mark, except that every group keeps at least one photo and a photo in a
reference folder is never marked for removal: the view refuses those, and says why.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from simfinder.app.decisions import KIND_WORDS
from simfinder.app.gallery import KIND_HELP, alike_percent
from simfinder.app.review import (
    CompanionNote,
    companion_notes,
    groups_as_csv,
    mark_groups,
    marked_companions,
    marked_for_removal,
)
from simfinder.app.review_session import MarkChange, MarkRefused, ReviewSession
from simfinder.app.units import human_size
from simfinder.app.usecases import groups_as_json
from simfinder.core.cleanup.actions import OFFLINE_REASON, ActionReport, UndoReport
from simfinder.core.cleanup.keeper import KeepPlan, group_keep_reasons, keep_phrases
from simfinder.core.cleanup.trash import trash_name, trash_title
from simfinder.core.matching.decisions import GROUP, KEEP_ALL, NOT_DUPLICATES, PHOTOS
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.matching.similarity import Strictness
from simfinder.core.store.catalog import PhotoRecord, ReviewState
from simfinder.gui import desktop, style
from simfinder.gui.action_report import ActionReportDialog
from simfinder.gui.action_table import ActionSpec, build_actions
from simfinder.gui.compare import CompareDialog
from simfinder.gui.gallery import RecordRole, describe, draw_thumbnail
from simfinder.gui.keep_rules import KeepRulesDialog
from simfinder.gui.review_controller import ReviewController
from simfinder.gui.review_layout import list_or_empty, totals_line
from simfinder.gui.settings import AppSettings
from simfinder.gui.style import COMPANION_COLOR, KEEP_COLOR, NEW_COLOR, REMOVE_COLOR
from simfinder.gui.tasks import TaskRunner
from simfinder.gui.thumbnails import ThumbnailStore
from simfinder.gui.two_level_model import TOP, TwoLevelModel
from simfinder.gui.words import QT_TR_NOOP, counted, engine_reasons, engine_text, files_text, tr
from simfinder.gui.workers import GroupsController, IndexController

log = logging.getLogger(__name__)

ModelIndex = QModelIndex | QPersistentModelIndex

# While photos are indexed and compared, the groups known so far are found again this often
# (at the least: a slower finding, in a big library, waits FILL_IN_SLOWER times its own length
# before the next, so that it never takes more than a fifth of a core from the indexing).
FILL_IN_MS = 3000
FILL_IN_SLOWER = 4

GroupRole = Qt.ItemDataRole.UserRole + 20  # on group rows: the DuplicateGroup
NewRole = Qt.ItemDataRole.UserRole + 21  # on photo rows: new since a decision about the group
CompanionsRole = Qt.ItemDataRole.UserRole + 22  # on photo rows: its companion files' paths

COL_KEEP, COL_PHOTO, COL_RES, COL_SIZE, COL_FORMAT, COL_TAKEN, COL_CAMERA, COL_FOLDER = range(8)
COLUMNS = (QT_TR_NOOP("Keep"), QT_TR_NOOP("Photo"), QT_TR_NOOP("Resolution"),
           QT_TR_NOOP("File size"), QT_TR_NOOP("Format"), QT_TR_NOOP("Taken"), QT_TR_NOOP("Camera"),
           QT_TR_NOOP("Folder"))

STRICTNESS_WORDS = {
    Strictness.STRICT: (QT_TR_NOOP("Strict"),
                        QT_TR_NOOP("Only copies that are practically identical: re-saved or "
                                   "resized")),
    Strictness.NORMAL: (QT_TR_NOOP("Normal"), QT_TR_NOOP("Also lightly cropped or edited copies")),
    Strictness.LOOSE: (QT_TR_NOOP("Loose"),
                       QT_TR_NOOP("Also heavier edits and shots of one scene seconds apart")),
}


_NO_GROUP = TOP  # a group's row (two_level_model)


def group_title(group: DuplicateGroup, done: bool = False) -> str:
    n = len(group.photos)
    if group.kind == "exact":
        what = tr("{n} exact copies").format(n=n)
    else:
        what = tr("{n} near-duplicates · {percent}% alike").format(
            n=n, percent=alike_percent(group.confidence, False))
    if group.reopened and group.decision is not None:
        what += tr(" · {new} new since you decided “{kind}”").format(
            new=len(group.new), kind=engine_text(KIND_WORDS[group.decision.kind]))
    removed = sum(1 for p in group.photos if p.file_id not in group.keep)
    if removed:
        what += tr(" · {removed} to remove, {size} to free").format(
            removed=removed, size=human_size(group.reclaimable_bytes))
    else:
        what += tr(" · all kept")
    return tr("\u2713 Done · {what}").format(what=what) if done else what


def _notes_text(notes: Sequence[CompanionNote]) -> str:
    """The companion notes of a confirmation, as paragraphs after its question."""
    if not notes:
        return ""
    lines = [n.text for n in notes[:SHOWN_NOTES]]
    if len(notes) > SHOWN_NOTES:
        lines.append(f"…and {counted(len(notes) - SHOWN_NOTES, '%Ln more note(s)')} like these.")
    return "\n\n" + "\n".join(lines)


def _marked_text(groups: Sequence[DuplicateGroup], photos: Sequence[PhotoRecord]) -> str:
    """What removing the marked photos moves: "12 photos and 5 companion files"."""
    return files_text(len(photos), len(marked_companions(groups)))


def ask(parent: QWidget, title: str, text: str, choices: Sequence[str]) -> str | None:
    """A confirmation with the choices as buttons (the first the default) and Cancel; the
    choice made, or None."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton,
                      parent)
    buttons = [box.addButton(choice, QMessageBox.ButtonRole.AcceptRole) for choice in choices]
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(buttons[0] if buttons else cancel)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    return next((c for c, b in zip(choices, buttons, strict=True) if b is clicked), None)


REVIEWED_ONLY = QT_TR_NOOP("Only the Reviewed Groups")  # a translation source, as the two below
SHOWN_NOTES = 6  # companion notes listed in a confirmation; the rest are counted
KEEP_MINE = QT_TR_NOOP("Keep My Marks")  # translation sources of the two answers of apply_plan
REAPPLY = QT_TR_NOOP("Re-apply the Rules to Them")


class DuplicatesModel(TwoLevelModel):
    """Groups (top-level rows) and their photos (children), with keep marks: a view of a
    ReviewSession, which holds the review's rules."""

    columns = COLUMNS

    marks_changed = Signal()
    refused = Signal(str)  # a mark change that was refused, and why

    def __init__(self, thumbnails: ThumbnailStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.session = ReviewSession(KeepPlan())
        self.folder_text: Callable[[str], str] = os.path.dirname
        self._rows_by_digest: dict[bytes, list[tuple[int, int]]] = {}
        # Why each group keeps what it keeps, by group, marks and rules (a title is painted
        # often; the rules read no file twice, but need not run on every paint either).
        self._kept_words: dict[tuple[bytes, frozenset[int], KeepPlan], str] = {}
        thumbnails.thumbnail_ready.connect(self._on_thumbnail)

    @property
    def plan(self) -> KeepPlan:
        return self.session.plan

    @plan.setter
    def plan(self, plan: KeepPlan) -> None:
        self.session.plan = plan

    @property
    def done(self) -> set[bytes]:
        """Keys of the groups the user is done with."""
        return self.session.done

    @property
    def _groups(self) -> list[DuplicateGroup]:
        return self.session.groups

    # -- Qt model API -----------------------------------------------------------------------

    def group_count(self) -> int:
        return len(self._groups)

    def child_count(self, group: int) -> int:
        return len(self._groups[group].photos)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.internalId() != _NO_GROUP and index.column() == COL_KEEP:
            record = self.record(index)
            if record is not None and not self.plan.is_reference(record.path):
                base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == _NO_GROUP:
            return self._group_data(index, role)
        group = self._groups[index.internalId() - 1]
        record = group.photos[index.row()]
        keep = record.file_id in group.keep
        col = index.column()
        if role == RecordRole:
            return record
        if role == GroupRole:
            return group
        if role == NewRole:
            return record.file_id in group.new
        if role == CompanionsRole:
            return group.companions.get(record.path, [])
        if col == COL_KEEP:
            reference = self.plan.is_reference(record.path)
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if keep else Qt.CheckState.Unchecked
            if role == Qt.ItemDataRole.DisplayRole:
                return "Keep" if keep else "Remove"
            if role == Qt.ItemDataRole.ForegroundRole:
                return KEEP_COLOR if keep else REMOVE_COLOR
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.ToolTipRole:
                if reference:
                    return tr("In a reference folder: always kept")
                if record.file_id in group.settled and keep:
                    return tr("Kept: you decided about it before. Uncheck to mark it for removal.")
                if not keep:
                    return tr("Marked for removal. Check to keep it.")
                # Why the rules kept it, in plain words (the files it reads are cached).
                reason = engine_reasons(keep_phrases(group, self.plan).get(record.file_id, ()))
                return (tr("Kept: {reason}. Uncheck to mark it for removal.").format(reason=reason)
                        if reason else tr("Kept. Uncheck to mark it for removal."))
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_FOLDER:
                return os.path.dirname(record.path)
            companions = group.companions.get(record.path, [])
            if col == COL_PHOTO and companions:
                return describe(record) + "\n\nGoes with:\n" + "\n".join(
                    os.path.basename(c) for c in companions)
            return describe(record)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_RES, COL_SIZE):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and not keep and col != COL_PHOTO:
            return QColor(128, 128, 128)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if col == COL_PHOTO:
            return os.path.basename(record.path)
        if col == COL_RES:
            return f"{record.width} \u00d7 {record.height}"
        if col == COL_SIZE:
            return human_size(record.size)
        if col == COL_FORMAT:
            return record.format
        if col == COL_TAKEN:
            return record.taken_at.replace("T", " ") if record.taken_at else ""
        if col == COL_CAMERA:
            return record.camera or ""
        if col == COL_FOLDER:
            return self.folder_text(record.path)
        return None

    def _group_data(self, index: ModelIndex, role: int) -> Any:
        group = self._groups[index.row()]
        if role == GroupRole:
            return group
        if index.column() != 0:
            return None
        done = group.key in self.done
        if role == Qt.ItemDataRole.DisplayRole:
            why = self.kept_words(group)
            title = group_title(group, done)
            return tr("{title} · kept: {reasons}").format(title=title, reasons=why) if why \
                else title
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and done:
            return QColor(128, 128, 128)
        if role == Qt.ItemDataRole.ToolTipRole:
            reasons = group_keep_reasons(group, self.plan)
            kept = tr("Kept: {reason}.").format(reason=engine_reasons(reasons)) if reasons else ""
            return f"{kept}\n\n{KIND_HELP}" if kept else KIND_HELP
        return None

    def kept_words(self, group: DuplicateGroup) -> str:
        """Why the group's kept photos are kept, in plain words (the rules' reason, "in a
        reference folder", "kept by you"); "" if it keeps them all."""
        if not group.keep or len(group.keep) >= len(group.photos):
            return ""
        key = (group.key, frozenset(group.keep), self.plan)
        words = self._kept_words.get(key)
        if words is None:
            phrases = keep_phrases(group, self.plan).values()
            words = engine_reasons(list(dict.fromkeys(p for ps in phrases for p in ps)))
            if len(self._kept_words) > 10_000:
                self._kept_words.clear()
            self._kept_words[key] = words
        return words

    def setData(self, index: ModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid() \
                or index.internalId() == _NO_GROUP:
            return False
        keep = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) \
            else value
        record = self.record(index)
        return record is not None and self.set_keep(record.file_id, keep)

    # -- reading ----------------------------------------------------------------------------

    def groups(self) -> list[DuplicateGroup]:
        """The groups with their current marks (copies: safe to hand to another thread)."""
        return self.session.copies()

    def group_at(self, row: int) -> DuplicateGroup:
        return self._groups[row]

    def record(self, index: ModelIndex) -> PhotoRecord | None:
        if not index.isValid() or index.internalId() == _NO_GROUP:
            return None
        group = self._groups[index.internalId() - 1]
        return group.photos[index.row()] if index.row() < len(group.photos) else None

    def photo_index(self, file_id: int, column: int = COL_KEEP) -> QModelIndex:
        for g, group in enumerate(self._groups):
            for r, p in enumerate(group.photos):
                if p.file_id == file_id:
                    return self.index(r, column, self.index(g, 0))
        return QModelIndex()

    def totals(self) -> tuple[int, int, int, int]:
        """(groups, photos, photos marked for removal, bytes they take)."""
        return self.session.totals()

    # -- changing (the session decides; the model tells the view) ----------------------------

    def _reset(self, change: Callable[[], object]) -> None:
        self.beginResetModel()
        change()
        self._index_digests()
        self.endResetModel()
        self.marks_changed.emit()

    def set_groups(self, groups: Sequence[DuplicateGroup], plan: KeepPlan) -> None:
        """Show these groups, marked by `plan`, with the user's own marks laid over them where
        they still leave every group a photo to keep."""
        self._reset(lambda: self.session.set_groups(groups, plan))

    def restore(self, marks: dict[str, bool], done: set[bytes]) -> None:
        """Lay marks and done groups saved from an earlier review over the groups."""
        self._reset(lambda: self.session.restore(marks, done))

    def forget_review(self) -> None:
        """Forget the user's marks and done groups (their record is cleared by the caller)."""
        self._reset(self.session.forget_review)

    def apply_rules(self, plan: KeepPlan, keep_marks: bool) -> None:
        """Mark every group by `plan`, the user's own marks over them if `keep_marks`."""
        self._reset(lambda: self.session.apply_rules(plan, keep_marks))

    def overrides(self) -> dict[str, bool]:
        return self.session.overrides()

    def set_done(self, row: int, done: bool) -> None:
        """The user is done with the group at `row` (or not after all)."""
        if self.session.set_done(row, done):
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)
            self.marks_changed.emit()

    def is_done(self, row: int) -> bool:
        return self.session.is_done(row)

    def group_row(self, key: bytes) -> int:
        return self.session.group_row(key)

    def drop_groups(self, keys: set[bytes]) -> None:
        """Groups the user just decided about leave the list at once (the groups are found
        again in the background meanwhile)."""
        if keys & {g.key for g in self._groups}:
            self._reset(lambda: self.session.drop_groups(keys))

    def set_keep(self, file_id: int, keep: bool) -> bool:
        """Mark a photo to keep or to remove. Refused (with `refused`) if it would leave its
        group without a photo to keep, or would remove a photo in a reference folder."""
        try:
            change = self.session.set_keep(file_id, keep)
        except MarkRefused as exc:
            self.refused.emit(str(exc))
            return False
        if change is None:
            return any(p.file_id == file_id for g in self._groups for p in g.photos)
        self._show_change(change)
        return True

    def _show_change(self, change: MarkChange) -> None:
        parent = self.index(change.group_row, 0)
        self.dataChanged.emit(parent, parent)
        self.dataChanged.emit(self.index(change.photo_row, 0, parent),
                              self.index(change.photo_row, len(COLUMNS) - 1, parent))
        self.marks_changed.emit()

    def keep_only(self, file_id: int) -> None:
        """Keep this photo and mark the others of its group for removal (reference photos
        stay kept)."""
        for change in self.session.keep_only(file_id):
            self._show_change(change)

    def remove_paths(self, paths: Iterable[str]) -> None:
        """Photos no longer in the library leave their groups (groups of one go)."""
        gone = set(paths)
        if gone:
            self._reset(lambda: self.session.remove_paths(gone))

    def photos_moved(self, paths: Sequence[str]) -> None:
        """Photos moved away: they leave, with their marks and their groups' done flags."""
        if paths:
            self._reset(lambda: self.session.photos_moved(paths))

    def photos_back(self, paths: Sequence[str]) -> None:
        """Undo put photos back: their groups' done flags and their marks come back too."""
        if paths:
            self._reset(lambda: self.session.photos_back(paths))

    def _index_digests(self) -> None:
        self._rows_by_digest = {}
        for g, group in enumerate(self._groups):
            for r, p in enumerate(group.photos):
                self._rows_by_digest.setdefault(p.digest, []).append((g, r))

    def _on_thumbnail(self, digest: bytes) -> None:
        for g, r in self._rows_by_digest.get(digest, ()):
            if g < len(self._groups) and r < len(self._groups[g].photos):
                idx = self.index(r, COL_PHOTO, self.index(g, 0))
                self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


_THUMB = 56
_PAD = 4


class PhotoCellDelegate(QStyledItemDelegate):
    """The Photo column: a thumbnail and the file name."""

    def __init__(self, thumbnails: ThumbnailStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        if index.data(RecordRole) is None:
            return super().sizeHint(option, index)
        return QSize(220, _THUMB + 2 * _PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        record: PhotoRecord | None = index.data(RecordRole)
        if record is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect: QRect = option.rect
        palette: QPalette = option.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        box = QRect(rect.left() + _PAD, rect.top() + _PAD, _THUMB, _THUMB)
        draw_thumbnail(painter, box, self.thumbnails, record, palette)
        fm: QFontMetrics = option.fontMetrics
        text_rect = QRect(box.right() + 8, rect.top(), rect.right() - box.right() - 10,
                          rect.height())
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected
                                     else QPalette.ColorRole.Text))
        badges = photo_badges(index)
        widths = [fm.horizontalAdvance(text) + 12 for text, _ in badges]
        group: DuplicateGroup = index.data(GroupRole)
        name = name_to_show(os.path.basename(record.path),
                            [os.path.basename(p.path) for p in group.photos], fm,
                            text_rect.width() - sum(w + 6 for w in widths))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         name)
        x = text_rect.left() + fm.horizontalAdvance(name) + 6
        for (text, color), width in zip(badges, widths, strict=True):
            pill = QRect(x, rect.center().y() - fm.height() // 2, width, fm.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setPen(QColor("white"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
            x += width + 6
        painter.restore()


def _shared(a: str, b: str) -> int:
    """How many characters `a` and `b` begin with alike."""
    pairs = enumerate(zip(a, b, strict=False))  # up to the shorter one's end
    return next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))


def name_to_show(name: str, names: Sequence[str], fm: QFontMetrics, width: int) -> str:
    """A photo's name fitted to `width`, keeping the part that tells it from the other names
    of its group (`names`): where they share a long beginning, it is the beginning that goes
    ("…20_rotation.jpg" beside "ukbench00120_resize.jpg"), where they share an end, the end."""
    if fm.horizontalAdvance(name) <= width:
        return name
    others = [n for n in names if n != name]
    start = max((_shared(name, n) for n in others), default=0)
    end = max((_shared(name[::-1], n[::-1]) for n in others), default=0)
    if not start and not end:
        mode = Qt.TextElideMode.ElideMiddle
    elif start >= end:
        mode = Qt.TextElideMode.ElideLeft
    else:
        mode = Qt.TextElideMode.ElideRight
    return fm.elidedText(name, mode, width)


def photo_badges(index: ModelIndex) -> list[tuple[str, QColor]]:
    """The pills after a photo's name: "new" (a group that came back: the photos it gained
    since the user's decision), "+N" (its companion files, listed in the tooltip)."""
    badges: list[tuple[str, QColor]] = []
    if index.data(NewRole):
        badges.append(("new", NEW_COLOR))
    companions = index.data(CompanionsRole) or []
    if companions:
        badges.append((f"+{len(companions)}", COMPANION_COLOR))
    return badges


class DuplicatesTree(QTreeView):
    """Space toggles the keep mark of the current photo (the panel's actions take K, N, D)."""

    toggle_requested = Signal(QModelIndex)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and self.currentIndex().isValid():
            self.toggle_requested.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


class DuplicatesPanel(QWidget):
    """The Duplicates view, with its strictness control, rules, compare, exports and actions.
    Groups are found by `groups` off the UI thread; actions run on the library's writer thread
    (`indexer`), so they wait for nothing and never overlap an indexing run."""

    message = Signal(str)  # for the status bar
    preview_requested = Signal(object)  # PhotoRecord
    strictness_changed = Signal(object)  # Strictness, as the user chose it here
    decisions_requested = Signal()  # show the Decisions panel
    rescan_requested = Signal()  # a setting the scan reads changed (RAW+JPEG pairs)

    # Built from the table in _build_actions.
    act_keep_all: QAction
    act_not_duplicates: QAction
    act_done: QAction
    act_decisions: QAction

    def __init__(
        self,
        thumbnails: ThumbnailStore,
        settings: AppSettings,
        groups: GroupsController,
        indexer: IndexController,
        tasks: TaskRunner,
        review: ReviewController,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.review = review
        self._position_key: bytes | None = None  # the group to show after the list is reset
        self._position_row = 0
        self.thumbnails = thumbnails
        self.settings = settings
        self.finder = groups
        self.indexer = indexer
        self.tasks = tasks
        self.plan = settings.keep_plan
        self.strictness = settings.strictness
        self.counts: dict[Strictness, int] = {}  # group counts known for this library state
        self._found: dict[Strictness, list[DuplicateGroup]] = {}  # ... and the groups
        self._stale = True
        self._waiting_action = False
        self._indexing = False
        self._comparing = False
        self._provisional = False  # the list shows the groups known so far (see refresh)
        self._placing = False  # the view moves to a group itself (not the user)
        self.compare_dialog: CompareDialog | None = None
        self.rules_dialog: KeepRulesDialog | None = None
        self.report_dialog: ActionReportDialog | None = None
        # The library's folders (the window knows them), to warn about a target inside them.
        self.library_folders: Callable[[], list[str]] = list

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(6)

        self._build_actions()
        self._build_bars(layout)
        self._build_banners(layout)
        self._build_list(layout)
        self._build_totals(layout)
        self._connect()
        self.model.plan = self.plan
        self._show_state()

    def _build_actions(self) -> None:
        build_actions(self, [
            ActionSpec("keep_all", tr("&Keep All"),
                       tr("Keep every photo of this group (or of the selected photos): it leaves "
                       "the list for good, unless it gains a photo"), lambda: self.decide(KEEP_ALL),
                       keys="K", keys_in_tip=True),
            ActionSpec("not_duplicates", tr("&Not Duplicates"),
                       tr("These photos are not duplicates: never group them together again, not "
                       "even through another photo"), lambda: self.decide(NOT_DUPLICATES),
                       keys="N", keys_in_tip=True),
            ActionSpec("done", tr("Mark &Done"),
                       tr("Mark this group reviewed and go to the next one; your review is saved "
                       "as you go"), self.toggle_done, keys="D", keys_in_tip=True),
            ActionSpec("decisions", tr("Decisions…"),
                       tr("Show your decisions, to undo any of them"),
                       self.decisions_requested.emit),
        ], window_keys=False)  # the keys act on the list only: typing in Match decides nothing

    def _build_bars(self, layout: QVBoxLayout) -> None:
        """Two rows, so that the view fits a 1024-pixel-wide screen: what is shown and how,
        then what to do with it."""
        bar = QHBoxLayout()
        bar.setSpacing(6)
        match_label = QLabel(tr("&Match:"), self)
        self.strictness_combo = QComboBox(self)
        for value, (word, tip) in STRICTNESS_WORDS.items():
            word, tip = tr(word), tr(tip)
            self.strictness_combo.addItem(word, value.value)
            self.strictness_combo.setItemData(self.strictness_combo.count() - 1, tip,
                                              Qt.ItemDataRole.ToolTipRole)
        self.strictness_combo.setCurrentIndex(list(STRICTNESS_WORDS).index(self.strictness))
        self.strictness_combo.setToolTip(tr("How alike photos must be to count as duplicates"))
        match_label.setBuddy(self.strictness_combo)
        self.count_label = QLabel(self)
        self.count_label.setMinimumWidth(150)
        self.rules_button = QPushButton(tr("Keep Rules…"), self)
        self.rules_button.setToolTip(tr("Which copy to keep: the rules in order, reference "
                                        "folders, preferred formats"))
        self.compare_button = QPushButton(tr("Compare"), self)
        self.compare_button.setToolTip(tr("Compare the selected photos (or the current group) "
                                          "side by side"))
        self.export_button = QToolButton(self)
        self.export_button.setText(tr("Export"))
        self.export_button.setToolTip(tr("Save the groups and their marks as CSV or JSON"))
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        self.act_export_csv = export_menu.addAction(tr("Export as CSV…"),
                                                    lambda: self.export("csv"))
        self.act_export_json = export_menu.addAction(tr("Export as JSON…"),
                                                     lambda: self.export("json"))
        self.export_button.setMenu(export_menu)
        self.keep_all_button = QPushButton(tr("Keep All"), self)
        self.keep_all_button.setToolTip(self.act_keep_all.toolTip())
        self.not_dup_button = QPushButton(tr("Not Duplicates"), self)
        self.not_dup_button.setToolTip(self.act_not_duplicates.toolTip())
        self.done_button = QPushButton(tr("Done"), self)
        self.done_button.setToolTip(self.act_done.toolTip())
        self.decisions_button = QToolButton(self)
        self.decisions_button.setDefaultAction(self.act_decisions)
        self.decisions_button.setText(tr("Decisions"))
        self.keep_all_button.clicked.connect(self.act_keep_all.trigger)
        self.not_dup_button.clicked.connect(self.act_not_duplicates.trigger)
        self.done_button.clicked.connect(self.act_done.trigger)
        self.move_button = QPushButton(tr("Move to Folder…"), self)
        self.move_button.setToolTip(tr("Move the photos marked for removal into a folder you "
                                       "choose (Edit > Undo moves them back)"))
        self.trash_button = QPushButton(
            self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon),
            tr("Move to {trash}…").format(trash=engine_text(trash_title())), self)
        self.trash_button.setToolTip(tr("Move the photos marked for removal to {trash_name} "
                                        "(Edit > Undo puts them back)").format(
                                         trash_name=engine_text(trash_name())))
        bar.addWidget(match_label)
        bar.addWidget(self.strictness_combo)
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.rules_button)
        bar.addWidget(self.compare_button)
        bar.addWidget(self.export_button)
        bar.addWidget(self.decisions_button)
        layout.addLayout(bar)
        actions = QHBoxLayout()
        actions.setSpacing(6)
        actions.addWidget(self.keep_all_button)
        actions.addWidget(self.not_dup_button)
        actions.addWidget(self.done_button)
        actions.addStretch(1)
        actions.addWidget(self.move_button)
        actions.addWidget(self.trash_button)
        layout.addLayout(actions)


    def _build_banners(self, layout: QVBoxLayout) -> None:
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(style.WARNING_TEXT)
        self.notice.hide()
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.setInterval(style.NOTICE_INLINE_MS)
        self._notice_timer.timeout.connect(self.notice.hide)
        layout.addWidget(self.notice)

        # While indexing compares the likely copies, the groups known so far are shown (to
        # review at once), with this line saying that more may come.
        self.checking_label = QLabel(self)
        self.checking_label.setObjectName("checking-banner")
        self.checking_label.setWordWrap(True)
        self.checking_label.setStyleSheet(style.banner("checking-banner", boxed=True))
        self.checking_label.setText(
            tr("Still checking likely copies (see the status bar): these are the groups found "
               "so far. More photos may join them, or new groups come, when that is done; your "
               "marks stay."))
        self.checking_label.hide()
        layout.addWidget(self.checking_label)


    def _build_list(self, layout: QVBoxLayout) -> None:
        self.model = DuplicatesModel(self.thumbnails, self)
        self.tree = DuplicatesTree(self)
        self.tree.setModel(self.model)
        self.tree.setItemDelegateForColumn(COL_PHOTO, PhotoCellDelegate(self.thumbnails, self.tree))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setAlternatingRowColors(False)
        self.tree.setUniformRowHeights(False)
        self.tree.setAnimated(False)
        self.tree.setIndentation(16)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.tree.setAccessibleName(tr("Duplicate groups"))
        self.tree.addActions([self.act_keep_all, self.act_not_duplicates, self.act_done])
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in ((COL_KEEP, 124), (COL_PHOTO, 250), (COL_RES, 110),
                           (COL_SIZE, 80), (COL_FORMAT, 64), (COL_TAKEN, 140),
                           (COL_CAMERA, 150)):
            header.resizeSection(col, width)

        self.empty, self.stack = list_or_empty(self, self.tree, layout)


    def _build_totals(self, layout: QVBoxLayout) -> None:
        self.totals_label = totals_line(self, layout, tr("Duplicate totals"))


    def _connect(self) -> None:
        self.strictness_combo.currentIndexChanged.connect(self._on_strictness_changed)
        self.rules_button.clicked.connect(self.edit_rules)
        self.compare_button.clicked.connect(self.compare_selection)
        self.trash_button.clicked.connect(lambda: self.trash_marked())
        self.move_button.clicked.connect(lambda: self.move_marked())
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.doubleClicked.connect(self._on_double_click)
        self.tree.toggle_requested.connect(self._toggle)
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.marks_changed.connect(self._update_totals)
        self.model.refused.connect(self.show_notice)
        self.model.session.store = self.review.recorder  # the review saved as it changes
        self.review.decisions_changed.connect(self._on_decisions_changed)
        self._position_timer = QTimer(self)
        self._position_timer.setSingleShot(True)
        self._position_timer.setInterval(400)
        self._position_timer.timeout.connect(self.save_position)
        # The groups so far fill in as the indexing thread verifies pairs (see _fill_in).
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(FILL_IN_MS)
        self._fill_timer.timeout.connect(self._fill_in)
        self._fill_request: int | None = None
        self._fill_started = 0.0
        self.tree.selectionModel().currentChanged.connect(self._on_current_changed)
        self.model.modelAboutToBeReset.connect(self._before_reset)
        self.model.modelReset.connect(self._after_reset)
        self.finder.results.connect(self._on_groups)
        self.finder.error.connect(self._on_groups_error)
        self.indexer.action_finished.connect(self._on_action_finished)
        self.indexer.undo_finished.connect(self._on_undo_finished)
        self.indexer.failed.connect(self._on_job_failed)

    # -- finding groups ---------------------------------------------------------------------

    def library_changed(self) -> None:
        """The library changed: the groups are found again (now if the view is shown)."""
        self.finder.library_changed()
        self.counts.clear()
        self._found.clear()
        self._stale = True
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        # While indexing runs, its thread verifies the pairs grouping needs: grouping now would
        # verify the same pairs beside it. The groups known so far (from the pairs verified
        # already) are shown at once, and found again, all of them, when it is done.
        provisional = self._comparing or self._indexing
        self._stale = provisional
        self._fill_request = None
        self.finder.find(self.strictness, self.plan, provisional=provisional)
        self._update_count_label()
        self._show_state()

    def _fill_in(self) -> None:
        """Find the groups known so far again, quietly (the list keeps the group the user is
        on): copies verified since the last look join their groups while the indexing thread
        still compares, instead of all at the end."""
        if not (self._comparing or self._indexing) or not self.isVisible():
            return  # shown again later: showEvent finds them; done: the whole list comes
        if not self._provisional or self.searching:
            self._fill_timer.start()  # a finding is on its way: its answer comes first
            return
        self._fill_started = time.monotonic()
        self._fill_request = self.finder.find(self.strictness, self.plan, provisional=True)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    @property
    def searching(self) -> bool:
        return self.finder.pending is not None

    def set_strictness(self, strictness: Strictness) -> None:
        """Show the groups at another strictness (found again off the UI thread)."""
        self.strictness_combo.setCurrentIndex(list(STRICTNESS_WORDS).index(strictness))

    def _on_strictness_changed(self, index: int) -> None:
        strictness = Strictness(self.strictness_combo.itemData(index))
        if strictness is self.strictness:
            return
        self.strictness = strictness
        self.settings.strictness = strictness
        # The user's own marks stay: they show on the photos in the groups found at this
        # strictness, and come back with the others' groups at the strictness they were set.
        self.strictness_changed.emit(strictness)
        found = self._found.get(strictness)
        if found is not None and not self._stale:
            self._on_groups(strictness, found)  # seen at this strictness since the last change
        else:
            self.refresh()

    def _on_groups(self, strictness: Strictness, groups: list[DuplicateGroup],
                   provisional: bool = False) -> None:
        if not provisional:  # the groups so far are not kept: they are found again
            self.counts[strictness] = len(groups)
            self._found[strictness] = groups
        if strictness is not self.strictness:
            return
        if provisional and self._fill_request is not None:
            elapsed = time.monotonic() - self._fill_started
            self._fill_timer.setInterval(max(FILL_IN_MS, int(elapsed * 1000 * FILL_IN_SLOWER)))
            self._fill_request = None
            if [g.key for g in groups] == [g.key for g in self.model.groups()]:
                self._fill_timer.start()  # nothing new: the list stays as it is
                return
        self._provisional = provisional
        self.model.set_groups(groups, self.plan)
        if provisional and (self._comparing or self._indexing):
            self._fill_timer.start()
        self._update_count_label()
        self._show_state()

    def _on_groups_error(self, message: str) -> None:
        self.count_label.setText("")
        self.show_notice(message)
        self._show_state()

    def set_comparing(self, comparing: bool) -> None:
        """The likely copies are being compared after indexing: finding the groups waits for
        that (and then takes seconds instead of verifying them again beside it)."""
        if comparing == self._comparing:
            return
        self._comparing = comparing
        if not comparing and self._stale and self.isVisible():
            self.refresh()
        else:
            self._show_state()

    def set_indexing(self, indexing: bool) -> None:
        """While photos are being indexed, the groups cover those indexed so far."""
        self._indexing = indexing
        if not indexing:
            self._comparing = False  # the comparison is the end of an indexing run
        if not indexing and self._stale and self.isVisible():
            self.refresh()  # the groups so far were shown: now all of them
        else:
            self._show_state()
        self._update_count_label()

    def _update_count_label(self) -> None:
        if self.searching and self.finder.pending != self._fill_request:
            self.count_label.setText(tr("Finding duplicates…"))
            self.count_label.setToolTip("")
            return
        count = self.counts.get(self.strictness)
        if self._provisional:
            count = self.model.rowCount()
        text = counted(count, '%Ln group(s)') if count is not None else ""
        if text and (self._indexing or self._provisional):
            text += " so far"
            self.count_label.setToolTip(tr("Indexing is going on: the list fills in as photos "
                                           "are compared"))
        else:
            self.count_label.setToolTip("")
        self.count_label.setText(text)

    def _before_reset(self) -> None:
        """The groups are replaced (found again, a rescan): the view stays on the group the
        user is on, unless it still waits to show the one the review was on."""
        row = self.current_group_row()
        if row >= 0 and self._position_key is None:
            self._position_key = self.model.group_at(row).key
            self._position_row = row

    def _after_reset(self) -> None:
        for row in range(self.model.rowCount()):
            self.tree.setFirstColumnSpanned(row, QModelIndex(), True)
        self.tree.expandAll()
        if self.model.rowCount() and not self.tree.currentIndex().isValid():
            # A current photo from the start: Space, Compare and the arrows work at once; after
            # a decision or a restart, in the group the user was on (or the one after it).
            # A group not found yet (the groups so far) is still gone to when it comes.
            row = self.model.group_row(self._position_key) if self._position_key else -1
            if row >= 0:
                self._position_key = None
            else:
                row = min(self._position_row, self.model.rowCount() - 1)
            self._placing = True
            try:
                self.go_to_group(row)
            finally:
                self._placing = False
        self._update_buttons()

    def _on_current_changed(self, *_: object) -> None:
        if not self._placing and self.tree.currentIndex().isValid():
            self._position_key = None  # the user moved on: that is where they are now
        self._position_timer.start()

    def go_to_group(self, row: int) -> None:
        """Make the first photo of group `row` current, and show it."""
        first = self.model.index(0, COL_KEEP, self.model.index(row, 0))
        if not first.isValid():
            return
        self.tree.selectionModel().setCurrentIndex(
            first, QItemSelectionModel.SelectionFlag.NoUpdate)
        self.tree.scrollTo(self.model.index(row, 0),
                           QAbstractItemView.ScrollHint.PositionAtTop)

    def _show_state(self) -> None:
        checking = self._provisional and (self._comparing or self._indexing)
        self.checking_label.setVisible(checking and self.model.rowCount() > 0)
        if self.model.rowCount() > 0:
            self.stack.setCurrentWidget(self.tree)
        else:
            if checking:
                self.empty.setText(tr("Comparing likely copies (see the status bar)…\n\nNo "
                                      "duplicates found so far: they are listed as they are."))
            elif self.searching:
                self.empty.setText(tr("Looking for duplicates…"))
            else:
                word = tr(STRICTNESS_WORDS[self.strictness][0]).lower()
                self.empty.setText(tr("No duplicates at “{strictness}” matching.\n\nTry Loose "
                                      "to also find edited copies and bursts.").format(
                                          strictness=word)
                                   if self.strictness is not Strictness.LOOSE
                                   else tr("No duplicates found."))
            self.stack.setCurrentWidget(self.empty)
        self._update_totals()

    def _update_totals(self) -> None:
        groups, photos, removed, size = self.model.totals()
        if not groups:
            self.totals_label.setText("")
        else:
            self.totals_label.setText(
                tr("{count} · {count2} · {removed:,} marked for removal · <b>{human_size}</b> "
                   "can be freed").format(count=counted(groups, '%Ln group(s)'),
                                          count2=counted(photos, '%Ln photo(s)'), removed=removed,
                                          human_size=human_size(size)))
        self._update_buttons()

    def _update_buttons(self) -> None:
        _, _, removed, _ = self.model.totals()
        busy = self._waiting_action
        target = self.current_group_row() >= 0
        for act in (self.act_keep_all, self.act_not_duplicates, self.act_done):
            act.setEnabled(target)
        for button in (self.keep_all_button, self.not_dup_button, self.done_button):
            button.setEnabled(target)
        row = self.current_group_row()
        self.done_button.setText(tr("Not Done") if self.model.is_done(row) else tr("Done"))
        self.trash_button.setEnabled(removed > 0 and not busy)
        self.move_button.setEnabled(removed > 0 and not busy)
        self.export_button.setEnabled(self.model.rowCount() > 0)
        self.compare_button.setEnabled(bool(self.compare_candidates()))

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()
        self._notice_timer.start()
        self.message.emit(text)

    # -- marks ------------------------------------------------------------------------------

    def _toggle(self, index: QModelIndex) -> None:
        record = self.model.record(index)
        if record is None:
            return
        group: DuplicateGroup = index.data(GroupRole)
        self.model.set_keep(record.file_id, record.file_id not in group.keep)

    def apply_plan(self, plan: KeepPlan) -> None:
        """New keeper rules: saved, and every group marked by them again, except the photos
        the user marked by hand: if the rules would mark any otherwise, the user chooses."""
        keep_marks = True
        marks, groups = self.model.session.marks_the_rules_change(plan)
        if marks:
            keep_mine, reapply = tr(KEEP_MINE), tr(REAPPLY)
            answer = ask(
                self, tr("Keep Rules"),
                tr("The new rules would change {marks} you set by hand (in {groups}).\n\n"
                   "{keep_mine} leaves them as you set them and marks the rest by the new "
                   "rules; {reapply} marks every photo by the new rules.").format(
                    marks=counted(marks, "%Ln mark(s)"), groups=counted(groups, "%Ln group(s)"),
                    keep_mine=keep_mine, reapply=reapply),
                [keep_mine, reapply])
            if answer is None:
                return  # the rules stay as they were
            keep_marks = answer == keep_mine
        rescan = plan.remove_raw_jpegs != self.plan.remove_raw_jpegs
        self.plan = plan
        self.settings.keep_plan = plan
        self.settings.sync()
        for found in self._found.values():
            mark_groups(found, plan)
        self.model.apply_rules(plan, keep_marks)
        if rescan:
            # The scan pairs a RAW with its JPEG, or not: the folders are looked at again.
            self.rescan_requested.emit()

    # -- decisions and the review saved as the user goes -------------------------------------

    def current_group_row(self) -> int:
        current = self.tree.currentIndex()
        if not current.isValid():
            return -1
        if current.internalId() == _NO_GROUP:
            return current.row()
        return current.parent().row()

    def decision_target(self) -> tuple[DuplicateGroup, list[PhotoRecord], str] | None:
        """What a decision is about: two or more selected photos of one group (not all of
        it), else the current group as a whole."""
        chosen = self.selected_records()
        row = self.current_group_row()
        if len(chosen) >= 2:
            groups = {g for g, group in enumerate(self.model.groups())
                      if any(p.file_id == c.file_id for c in chosen for p in group.photos)}
            if len(groups) > 1:
                self.show_notice(tr("The selected photos are in different groups: select photos "
                                    "of one group, or none to decide about the current group."))
                return None
            row = groups.pop()
        if row < 0:
            return None
        group = self.model.group_at(row)
        if 2 <= len(chosen) < len(group.photos):
            return group, chosen, PHOTOS
        return group, list(group.photos), GROUP

    def decide(self, kind: str) -> None:
        """Keep all, or not duplicates, for the current group or the selected photos: saved
        at once; the group leaves the list (a part of it is grouped again without them)."""
        target = self.decision_target()
        if target is None:
            return
        group, photos, scope = target
        if kind == NOT_DUPLICATES and len({p.digest for p in photos}) < 2:
            self.show_notice(tr("These are exact copies (the same bytes): they are duplicates. "
                                "To keep them all, choose Keep All."))
            return
        row = self.model.group_row(group.key)
        self._position_row = row
        self._position_key = None
        self.review.decide(kind, photos, scope)
        if scope == GROUP:
            self.model.drop_groups({group.key})
        self.tree.setFocus()
        n = len(photos)
        if kind == KEEP_ALL:
            done = (tr("Keeping all {count} photos of the group") if scope == GROUP
                    else tr("Keeping all {count} photos")).format(count=n)
        else:
            done = tr("{count} photos marked as not duplicates of each other").format(count=n)
        self.message.emit(f"{done}. View > Decisions lists it, to undo it.")

    def toggle_done(self) -> None:
        """Mark the current group reviewed (or not) and, when marked, go to the next group
        not done yet."""
        row = self.current_group_row()
        if row < 0:
            return
        done = not self.model.is_done(row)
        self.model.set_done(row, done)
        if done:
            following = [r for r in range(row + 1, self.model.rowCount())
                         if not self.model.is_done(r)]
            if following:
                self.go_to_group(following[0])
        self._update_buttons()
        self.tree.setFocus()

    def _on_decisions_changed(self) -> None:
        """A decision was made, undone or imported: the groups are found again (from the pairs
        already judged: nothing is verified or indexed again)."""
        self.counts.clear()
        self._found.clear()
        self._stale = True
        if self.isVisible():
            current = self.current_group_row()
            if current >= 0 and self._position_key is None:
                self._position_key = self.model.group_at(current).key
            self.refresh()

    def save_position(self) -> None:
        """Remember the group the user is on (for the next start)."""
        self._position_timer.stop()
        row = self.current_group_row()
        if row >= 0:
            self.review.recorder.position(self.strictness.value, self.model.group_at(row).key)

    def start_over(self) -> None:
        """Forget the saved review: the rules' marks again, no group done (decisions stay)."""
        self.review.recorder.start_over()
        self._position_key = None
        self.model.forget_review()

    def restore_review(self, state: ReviewState) -> None:
        """Lay a review saved earlier (marks, groups done, where the user was) over the view."""
        if state.strictness is not None:
            try:
                strictness = Strictness(state.strictness)
            except ValueError:
                strictness = self.strictness
            self.set_strictness(strictness)
        self._position_key = state.position
        self.model.restore(state.marks, state.done)

    def edit_rules(self) -> None:
        dialog = KeepRulesDialog(self.plan, self)
        dialog.accepted.connect(lambda: self.apply_plan(dialog.plan()))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.rules_dialog = dialog
        dialog.open()

    # -- compare ----------------------------------------------------------------------------

    def selected_records(self) -> list[PhotoRecord]:
        out: list[PhotoRecord] = []
        for index in self.tree.selectionModel().selectedRows(COL_KEEP):
            record = self.model.record(index)
            if record is not None:
                out.append(record)
        return out

    def compare_candidates(self) -> list[PhotoRecord]:
        """The selected photos if there are two or more, else the current photo's group."""
        chosen = self.selected_records()
        if len(chosen) >= 2:
            return chosen
        current = self.tree.currentIndex()
        if not current.isValid():
            return []
        group: DuplicateGroup | None = current.data(GroupRole)
        if group is None:
            return []
        if chosen:
            first = chosen[0]
            return [first, *[p for p in group.photos if p.file_id != first.file_id]]
        return list(group.photos)

    def compare_selection(self) -> None:
        photos = self.compare_candidates()
        if len(photos) >= 2:
            self.compare(photos)

    def compare(self, photos: Sequence[PhotoRecord]) -> None:
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        dialog = CompareDialog(photos, self.tasks, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: setattr(self, "compare_dialog", None))
        self.compare_dialog = dialog
        dialog.show()

    def _on_double_click(self, index: QModelIndex) -> None:
        if index.internalId() == _NO_GROUP:
            return
        if index.column() == COL_KEEP:
            return  # the check box takes the click
        self.tree.setCurrentIndex(index)
        self.tree.selectionModel().select(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.compare_selection()

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu(self.tree.indexAt(pos))
        if menu is not None:
            menu.exec(self.tree.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def context_menu(self, index: QModelIndex) -> QMenu | None:
        """The menu of a group row (the decisions) or a photo row (and the photo's actions)."""
        if not index.isValid():
            return None
        record = self.model.record(index)
        if record is None or not self.tree.selectionModel().isSelected(index):
            self.tree.setCurrentIndex(index)
        menu = QMenu(self)
        chosen = self.selected_records()
        if record is not None and len(chosen) >= 2:
            menu.addAction(tr("Keep All {count} Selected").format(count=len(chosen)),
                           self.act_keep_all.trigger)
            menu.addAction(tr("Selected Photos Are Not Duplicates"),
                           self.act_not_duplicates.trigger)
        else:
            menu.addAction(self.act_keep_all)
            menu.addAction(self.act_not_duplicates)
        menu.addAction(self.act_done)
        rows = self.selected_group_rows()
        which = (tr("This Group") if len(rows) == 1
                 else tr("the {count} Selected Groups").format(count=len(rows)))
        marked = any(p.file_id not in g.keep for g in map(self.model.group_at, rows)
                     for p in g.photos)
        menu.addSeparator()
        where = engine_text(trash_title())
        for item in (menu.addAction(tr("Move Marked Photos of {which} to {where}…").format(
                                        which=which, where=where),
                                    lambda: self.trash_marked(rows)),
                     menu.addAction(tr("Move Marked Photos of {which} to Folder…").format(
                                        which=which),
                                    lambda: self.move_marked(rows))):
            item.setEnabled(marked and not self._waiting_action)
        if record is None:
            return menu
        group: DuplicateGroup = index.data(GroupRole)
        menu.addSeparator()
        keep = record.file_id in group.keep
        menu.addAction(tr("Keep Only This One"), lambda: self.model.keep_only(record.file_id))
        if keep:
            menu.addAction(tr("Mark for Removal"),
                           lambda: self.model.set_keep(record.file_id, False))
        else:
            menu.addAction(tr("Keep"), lambda: self.model.set_keep(record.file_id, True))
        menu.addSeparator()
        menu.addAction(tr("Compare Group…"), lambda: self.compare(
            [record, *[p for p in group.photos if p.file_id != record.file_id]]))
        menu.addAction(tr("Preview"), lambda: self.preview_requested.emit(record))
        menu.addAction(tr("Open with Default App"),
                       lambda: desktop.open_with_default_app(record.path))
        menu.addAction(tr("Show in Folder"), lambda: desktop.show_in_folder(record.path))
        return menu

    # -- exports ----------------------------------------------------------------------------

    def export(self, fmt: str) -> Path | None:
        """Save the groups with their current marks as CSV or JSON (the `duplicates --json`
        document)."""
        suffix = "csv" if fmt == "csv" else "json"
        start = str(Path.home() / f"duplicates.{suffix}")
        name, _ = QFileDialog.getSaveFileName(
            self, tr("Export Duplicates as {kind}").format(kind=suffix.upper()), start,
            tr("{kind} files (*.{suffix});;All files (*)").format(kind=suffix.upper(),
                                                                   suffix=suffix))
        if not name:
            return None
        path = Path(name)
        groups = self.model.groups()
        try:
            with path.open("w", encoding="utf-8", newline="") as out:
                if fmt == "csv":
                    groups_as_csv(groups, out, self.model.plan)
                else:
                    json.dump(groups_as_json(groups, self.model.plan), out, indent=2)
                    out.write("\n")
        except OSError as exc:
            self.show_notice(tr("Could not save {path}: {error}").format(path=path,
                                                                         error=exc.strerror or exc))
            return None
        self.message.emit(f"Saved {counted(len(groups), '%Ln group(s)')} to {path}")
        return path

    # -- actions ----------------------------------------------------------------------------

    def selected_group_rows(self) -> list[int]:
        """The groups selected (or a selected photo's), else the current group."""
        rows: set[int] = set()
        for index in self.tree.selectionModel().selectedRows(COL_KEEP):
            rows.add(index.row() if index.internalId() == _NO_GROUP else index.parent().row())
        if not rows and self.current_group_row() >= 0:
            rows.add(self.current_group_row())
        return sorted(rows)

    def _marked(self, rows: Sequence[int] | None
                ) -> tuple[list[DuplicateGroup], list[PhotoRecord]] | None:
        """The groups at `rows` (None: all) that have photos marked for removal, and those."""
        groups = self.model.groups()
        if rows is not None:
            groups = [groups[r] for r in rows if 0 <= r < len(groups)]
        try:
            photos = marked_for_removal(groups)
        except ValueError as exc:  # NothingKept: the model never allows it
            self.show_notice(str(exc))
            return None
        if not photos:
            self.show_notice(tr("No photo is marked for removal in this group.")
                             if rows is not None and len(rows) == 1
                             else tr("No photo is marked for removal."))
            return None
        return [g for g in groups if any(p.file_id not in g.keep for p in g.photos)], photos

    def _confirm(self, rows: Sequence[int] | None, title: str, verb: str,
                 question: Callable[[list[DuplicateGroup], list[PhotoRecord]], str],
                 after: str) -> list[DuplicateGroup] | None:
        """Ask before moving the marked photos of the groups at `rows` (None: all of them,
        saying how many of those the user marked Done, with the choice to act on just those);
        the groups to act on, or None."""
        marked = self._marked(rows)
        if marked is None:
            return None
        groups, photos = marked

        def summary(chosen: list[PhotoRecord]) -> str:
            size = human_size(sum(p.size for p in chosen))
            return f"{counted(len(chosen), '%Ln photo(s)')} ({size})"

        reviewed = [g for g in groups if g.key in self.model.done]
        reviewed_only = tr(REVIEWED_ONLY)
        choices = [verb]
        if rows is not None:
            scope = (tr("Only this group: the others are left as they are.") if len(groups) == 1
                     else tr("Only the {groups}.").format(
                         groups=counted(len(groups), "%Ln selected group(s)")))
        elif len(reviewed) == len(groups):
            scope = tr("You marked all {groups} Done.").format(
                groups=counted(len(groups), "%Ln group(s)"))
        elif not reviewed:
            scope = tr("You have marked none of the {groups} Done: the photos marked by the "
                       "keep rules in groups you have not looked at go too.").format(
                           groups=counted(len(groups), "%Ln group(s)"))
        else:
            left = len(groups) - len(reviewed)
            only = [p for g in reviewed for p in g.photos if p.file_id not in g.keep]
            scope = tr("You marked {reviewed} of the {groups} Done; {left}. {choice}: "
                       "{photos}.").format(
                           reviewed=len(reviewed), groups=counted(len(groups), "%Ln group(s)"),
                           left=counted(left, "%Ln is not reviewed yet"),
                           choice=reviewed_only, photos=summary(only))
            choices.append(reviewed_only)
        notes = companion_notes(groups, self.plan)
        lacking = [n for n in notes if n.kind == "lacking"]
        swap = ""
        if lacking:
            swap = (tr("Keep {name} Instead").format(name=lacking[0].name) if len(lacking) == 1
                    else tr("Keep Those {count} Photos Instead").format(count=len(lacking)))
            choices.append(swap)
        answer = ask(self, title, tr("{question}{notes_text}\n\n{scope} {after}").format(
                                      question=question(groups, photos),
                                      notes_text=_notes_text(notes),
                                      scope=scope,
                                      after=after), choices)
        if answer is None:
            return None
        if answer == swap:
            self.keep_instead(lacking)
            return None
        return reviewed if answer == reviewed_only else groups

    def keep_instead(self, notes: Sequence[CompanionNote]) -> None:
        """Keep each note's photo in its group instead of the photo kept (the swap the
        confirmation offers when a photo to remove has companion files the kept one lacks)."""
        for note in notes:
            self.model.keep_only(note.photo.file_id)
        names = ", ".join(n.name for n in notes)
        kept = (tr("Kept {names} instead, with its companion files. Nothing was moved.")
                if len(notes) == 1 else
                tr("Kept {names} instead, with their companion files. Nothing was moved."))
        self.show_notice(kept.format(names=names))

    def trash_marked(self, rows: Sequence[int] | None = None) -> None:
        """Move the marked photos of the groups at `rows` (None: all groups) to the trash."""
        where = engine_text(trash_name())
        title = engine_text(trash_title())
        groups = self._confirm(
            rows, tr("Move to {trash}").format(trash=title),
            tr("Move to {trash}").format(trash=title),
            lambda chosen, photos: tr("Move {files} ({size}) to {trash}?").format(
                files=_marked_text(chosen, photos),
                size=human_size(sum(p.size for p in photos)), trash=where),
            tr("Each group keeps its photos marked Keep. The photos stay in {trash} until you "
               "empty it, and Edit > Undo puts them back.").format(trash=where))
        if groups is None:
            return
        n = sum(1 for g in groups for p in g.photos if p.file_id not in g.keep)
        self._start_action(groups, None, tr("Moving {photos} to {trash}…").format(
            photos=counted(n, "%Ln photo(s)"), trash=where))

    def move_marked(self, rows: Sequence[int] | None = None) -> None:
        """Move the marked photos of the groups at `rows` (None: all groups) into a folder."""
        if self._marked(rows) is None:
            return
        folder = QFileDialog.getExistingDirectory(
            self, tr("Move the Photos Marked for Removal Into"), str(Path.home()))
        if not folder:
            return
        target = Path(folder).resolve()
        inside = [f for f in self.library_folders()
                  if str(target) == f or str(target).startswith(f.rstrip(os.sep) + os.sep)]
        note = (tr(" This folder is inside your library: the moved photos will still be "
                   "listed as duplicates.") if inside else "")
        groups = self._confirm(
            rows, tr("Move to Folder"), tr("Move to Folder"),
            lambda chosen, photos: tr("Move {files} ({size}) into {folder}?").format(
                files=_marked_text(chosen, photos),
                size=human_size(sum(p.size for p in photos)), folder=target),
            tr("Each photo goes to the same place below it as in its library folder. "
               "Edit > Undo moves them back.") + note)
        if groups is None:
            return
        n = sum(1 for g in groups for p in g.photos if p.file_id not in g.keep)
        self._start_action(groups, str(target), tr("Moving {photos} to {folder}…").format(
            photos=counted(n, "%Ln photo(s)"), folder=target))

    def _start_action(self, groups: list[DuplicateGroup], target: str | None, text: str) -> None:
        self._waiting_action = True
        self._update_buttons()
        self.message.emit(text)
        self.indexer.remove_marked(groups, self.plan, target)

    def _on_action_finished(self, report: ActionReport) -> None:
        mine = self._waiting_action
        self._waiting_action = False
        # The groups cleaned up are over: their marks and done flags are forgotten.
        self.model.photos_moved([src for src, _ in report.moved])
        if not mine:  # the Similar shots view's move: reported there
            self._update_buttons()
            return
        n = len(report.moved)
        if not n:
            done = tr("No photo was moved.")
        elif report.kind == "trash":
            done = tr("Moved {files} ({size}) to {trash}. Edit > Undo puts them back.").format(
                files=files_text(n, len(report.companions_moved)),
                size=human_size(report.bytes_moved), trash=engine_text(trash_name()))
        else:
            target = os.path.commonpath([d for _, d in report.moved if d])
            done = tr("Moved {files} ({size}) into {folder}. Edit > Undo moves them back.").format(
                files=files_text(n, len(report.companions_moved)),
                size=human_size(report.bytes_moved), folder=target)
        offline = sum(1 for f in report.failed if f.reason == OFFLINE_REASON)
        if offline:
            done += tr(" {photos} in offline folders skipped.").format(
                photos=counted(offline, "%Ln photo(s)"))
        if len(report.failed) > offline:
            done += tr(" {photos} could not be moved.").format(
                photos=counted(len(report.failed) - offline, "%Ln photo(s)"))
        if report.companions_failed:
            companions = counted(len(report.companions_failed), '%Ln companion file(s)')
            done += tr(" {companions} could not be moved with their photos.").format(
                companions=companions)
        if report.failed or report.companions_failed:
            self._show_report(tr("Some photos were not moved"), done,
                              [*report.failed, *report.companions_failed])
        self.message.emit(done)
        self._update_buttons()

    def _on_undo_finished(self, report: UndoReport | None) -> None:
        if report is None:
            self.message.emit(tr("Nothing to undo."))
            return
        self.model.photos_back(report.restored)
        n = len(report.restored)
        done = tr("Put back {files}.").format(files=files_text(n, len(report.companions_restored)))
        failed = [*report.failed, *report.companions_failed]
        if failed:
            done += tr(" {files} could not be put back.").format(
                files=counted(len(failed), "%Ln file(s)"))
            self._show_report(tr("Some photos were not put back"), done, failed)
        self.message.emit(done)

    def _on_job_failed(self, _message: str) -> None:
        if self._waiting_action and not self.indexer.acting:
            self._waiting_action = False
            self._update_buttons()

    def _show_report(self, title: str, summary: str, failures: Sequence[Any]) -> None:
        if self.report_dialog is None:
            self.report_dialog = ActionReportDialog(self.window())
        self.report_dialog.show_failures(title, summary, failures)
