"""The list of files and folders that could not be read: a dock the user opens when they want,
never a dialog per file."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHeaderView,
    QLabel,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simfinder.core.catalog import ErrorRecord


class ProblemsDock(QDockWidget):
    show_in_folder_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Problems", parent)
        self.setObjectName("problems-dock")
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea
                             | Qt.DockWidgetArea.TopDockWidgetArea)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 4, 6, 6)
        self.summary = QLabel(body)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget(body)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["File", "Problem", "Folder"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSortingEnabled(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(0, 260)
        header.resizeSection(1, 320)
        layout.addWidget(self.tree)
        self.setWidget(body)
        self._files = 0
        self._folders = 0
        self.set_problems([], [])

    @property
    def file_count(self) -> int:
        return self._files

    @property
    def folder_count(self) -> int:
        return self._folders

    def set_problems(self, errors: Sequence[ErrorRecord],
                     folders: Sequence[tuple[str, str]]) -> None:
        self.tree.setSortingEnabled(False)
        self.tree.clear()
        items = []
        for folder, reason in folders:
            item = QTreeWidgetItem([os.path.basename(folder) or folder,
                                    f"Folder could not be read: {reason}",
                                    folder])
            item.setData(0, Qt.ItemDataRole.UserRole, folder)
            item.setToolTip(0, folder)
            items.append(item)
        for err in errors:
            folder, name = os.path.split(err.path)
            item = QTreeWidgetItem([name, err.reason, folder])
            item.setData(0, Qt.ItemDataRole.UserRole, err.path)
            item.setToolTip(0, err.path)
            item.setToolTip(1, err.reason)
            items.append(item)
        self.tree.addTopLevelItems(items)
        self.tree.setSortingEnabled(True)
        self._files = len(errors)
        self._folders = len(folders)
        if not items:
            self.summary.setText("Every photo in your folders could be read.")
        else:
            parts = []
            if errors:
                parts.append(f"{len(errors)} file{'s' if len(errors) != 1 else ''} could not "
                             "be read (damaged, unsupported, or not really photos)")
            if folders:
                parts.append(f"{len(folders)} folder{'s' if len(folders) != 1 else ''} could "
                             "not be opened")
            self.summary.setText("; ".join(parts) + ". They are left out of the gallery; "
                                 "they are tried again when they change.")

    def paths(self) -> list[str]:
        return [self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole)
                for i in range(self.tree.topLevelItemCount())]

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        path = item.data(0, Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        menu.addAction("Show in Folder", lambda: self.show_in_folder_requested.emit(path))
        menu.exec(self.tree.viewport().mapToGlobal(pos))
