"""The folder sidebar: the library's folders as a tree (with the subfolders that hold photos and
their counts, offline folders greyed), a click narrows the gallery to one; its context menu
rescans, opens, forgets offline photos or removes a folder (the window does these)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simfinder.app.gallery import folder_of, subfolder_counts
from simfinder.core.store.catalog import OfflineFolder
from simfinder.gui import desktop
from simfinder.gui.words import counted, tr

log = logging.getLogger(__name__)

_ALL = "__all__"  # the item data of "All Photos"



class FolderSidebar(QWidget):
    """The library's folders; `photo_paths` gives the paths of the photos the gallery has (for
    the subfolders and the counts)."""

    folder_chosen = Signal(object)  # the folder or subfolder to show (str), None: all photos
    add_requested = Signal()
    rescan_requested = Signal(str)  # one library folder
    remove_requested = Signal(str)
    forget_offline_requested = Signal(str)

    def __init__(self, photo_paths: Callable[[], Iterable[str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._photo_paths = photo_paths
        self.folders: list[str] = []  # the library's folders, sorted
        self._counts: dict[str, int] = {}  # photos per library folder
        self._offline: dict[str, OfflineFolder] = {}  # folders kept while they cannot be seen
        self._total = 0
        # What the context menu of "All Photos" offers (the window's Rescan and Add Folder).
        self.library_actions: list[QAction] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 8, 0, 6)
        title = QLabel(tr("Folders"), self)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(1)
        self.tree.setIndentation(14)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setFrameShape(QFrame.Shape.NoFrame)
        self.tree.setIconSize(QSize(18, 18))
        self.tree.setAccessibleName(tr("Library folders"))
        layout.addWidget(self.tree, 1)
        self.add_button = QPushButton(tr("Add Folder…"), self)
        self.add_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon))
        self.add_button.setToolTip(tr("Add a photo folder to the library ({keys})").format(
            keys=QKeySequence(QKeySequence.StandardKey.Open).toString(
                QKeySequence.SequenceFormat.NativeText)))
        layout.addWidget(self.add_button)
        self.setMinimumWidth(150)

        self.add_button.clicked.connect(self.add_requested)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        self.tree.customContextMenuRequested.connect(self._context_menu)

    # -- what the library has ---------------------------------------------------------------

    def set_library(self, folders: Sequence[str], counts: dict[str, int],
                    offline: Sequence[OfflineFolder]) -> None:
        self.folders = sorted(folders)
        self._counts = dict(counts)
        self._offline = {o.path: o for o in offline}

    def add(self, folders: Iterable[str]) -> bool:
        """Add folders to the list (shown at the next fill); whether any was new."""
        new = [f for f in folders if f not in self.folders]
        self.folders = sorted([*self.folders, *new])
        return bool(new)

    def count_new_photos(self, paths: Iterable[str]) -> None:
        """Photos just indexed: counted in their library folders."""
        for path in paths:
            folder = folder_of(path, self.folders)
            if folder is not None:
                self._counts[folder] = self._counts.get(folder, 0) + 1

    @property
    def offline(self) -> tuple[str, ...]:
        return tuple(self._offline)

    def offline_below(self, folder: str, *, itself: bool = False) -> list[OfflineFolder]:
        prefix = folder.rstrip(os.sep) + os.sep
        return [o for o in self._offline.values()
                if o.path.startswith(prefix) or (itself and o.path == folder)]

    def folder_text(self, path: str) -> str:
        """Where a photo is, in the terms of the library: "Holidays / 2019 / Rome" for a photo
        in the library folder Holidays (the full path when it is in none)."""
        directory = os.path.dirname(path)
        best = max((f for f in self.folders
                    if directory == f or directory.startswith(f.rstrip(os.sep) + os.sep)),
                   key=len, default=None)
        if best is None:
            return directory
        parts = [os.path.basename(best) or best]
        rest = os.path.relpath(directory, best)
        if rest != ".":
            parts.extend(rest.split(os.sep))
        return " / ".join(parts)

    # -- the tree ---------------------------------------------------------------------------

    def _items(self) -> list[QTreeWidgetItem]:
        """Every item of the tree, parents before their children."""
        out: list[QTreeWidgetItem] = []
        pending = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while pending:
            item = pending.pop(0)
            if item is None:
                continue
            out.append(item)
            pending[0:0] = [item.child(i) for i in range(item.childCount())]
        return out

    def _all_photos_text(self) -> str:
        return tr("All Photos ({count})").format(count=f"{self._total:,}")

    def set_total(self, photos: int) -> None:
        """The number of photos in the library (on "All Photos")."""
        self._total = photos
        item = self.tree.topLevelItem(0)
        if item is not None:
            item.setText(0, self._all_photos_text())

    def fill(self, current: str | None) -> bool:
        """The tree: All Photos, then each library folder with the subfolders that hold photos
        (as the gallery has them), each with its count; `current` (the folder shown) and the
        branches the user opened stay as they were. Returns False when `current` is gone
        (the gallery should show all photos again)."""
        tree = self.tree
        shown = {item.data(0, Qt.ItemDataRole.UserRole): item.isExpanded()
                 for item in self._items()}
        tree.blockSignals(True)
        tree.clear()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        all_item = QTreeWidgetItem([self._all_photos_text()])
        all_item.setIcon(0, self.style().standardIcon(QStyle.StandardPixmap.SP_DirHomeIcon))
        all_item.setData(0, Qt.ItemDataRole.UserRole, _ALL)
        tree.addTopLevelItem(all_item)
        items: dict[str, QTreeWidgetItem] = {}
        for folder in self.folders:
            item = QTreeWidgetItem([self._label(folder)])
            item.setIcon(0, icon)
            item.setData(0, Qt.ItemDataRole.UserRole, folder)
            item.setToolTip(0, self._tooltip(folder))
            if folder in self._offline:
                item.setForeground(0, self.palette().color(QPalette.ColorRole.PlaceholderText))
            tree.addTopLevelItem(item)
            items[folder] = item
        below = subfolder_counts(self._photo_paths(), self.folders)
        for sub in sorted(below):  # a parent's path sorts before its children's
            parent = items.get(os.path.dirname(sub))
            if parent is None:
                continue
            child = QTreeWidgetItem(parent, [f"{os.path.basename(sub)} ({below[sub]:,})"])
            child.setIcon(0, icon)
            child.setData(0, Qt.ItemDataRole.UserRole, sub)
            child.setToolTip(0, sub)
            items[sub] = child
        for path, item in items.items():
            # A library folder shows its subfolders at first; later, as the user left it.
            item.setExpanded(shown.get(path, path in self.folders))
        selected = items.get(current, all_item) if current is not None else all_item
        tree.setCurrentItem(selected)
        tree.blockSignals(False)
        return current is None or selected is not all_item

    def _label(self, folder: str) -> str:
        name = os.path.basename(folder) or folder
        label = f"{name} ({self._counts.get(folder, 0):,})"
        if folder in self._offline:
            return tr("{folder} — offline").format(folder=label)
        if self.offline_below(folder):
            return tr("{folder} — partly offline").format(folder=label)
        return label

    def _tooltip(self, folder: str) -> str:
        lines = [folder]
        for o in self.offline_below(folder, itself=True):
            lines.append(tr("Offline: {path} ({reason}). Its {photos} stay in the library until "
                            "it is back; right-click > Forget Offline Photos if they are really "
                            "gone.").format(path=o.path, reason=o.reason,
                                            photos=counted(o.photos, "%Ln photo(s)")))
        return "\n".join(lines)

    def _on_current_changed(self, item: QTreeWidgetItem | None, _prev: object = None) -> None:
        folder = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else _ALL
        self.folder_chosen.emit(None if folder == _ALL else folder)

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        folder: str = item.data(0, Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        if folder == _ALL:
            for action in self.library_actions:
                menu.addAction(action)
        elif folder not in self.folders:  # a subfolder
            menu.addAction(tr("Open in File Manager"), lambda: desktop.open_folder(folder))
        else:
            menu.addAction(tr("Rescan This Folder"), lambda: self.rescan_requested.emit(folder))
            menu.addAction(tr("Open in File Manager"), lambda: desktop.open_folder(folder))
            if self.offline_below(folder, itself=True):
                menu.addAction(tr("Forget Offline Photos…"),
                               lambda: self.forget_offline_requested.emit(folder))
            menu.addSeparator()
            menu.addAction(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon),
                           tr("Remove from Library…"),
                           lambda: self.remove_requested.emit(folder))
        menu.exec(self.tree.viewport().mapToGlobal(pos))
