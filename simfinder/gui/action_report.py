"""The files an action could not move (or Undo could not put back), with the reason for each:
a non-modal window the user reads when they want."""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simfinder.core.actions import FileFailure
from simfinder.gui import desktop


class ActionReportDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setWindowTitle("Not Moved")
        self.resize(760, 360)
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["File", "Folder", "Why"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setWordWrap(False)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(0, 180)
        header.resizeSection(1, 220)
        layout.addWidget(self.tree, 1)
        # The whole reason of the current file: it says where the file is now.
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.detail)
        self.tree.currentItemChanged.connect(
            lambda item, _prev: self.detail.setText(
                f"{item.toolTip(0)}: {item.text(2)}" if item is not None else ""))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    def show_failures(self, title: str, summary: str, failures: Sequence[FileFailure]) -> None:
        self.setWindowTitle(title)
        self.summary.setText(summary)
        self.tree.clear()
        for failure in failures:
            item = QTreeWidgetItem([os.path.basename(failure.path),
                                    os.path.dirname(failure.path), failure.reason])
            item.setToolTip(0, failure.path)
            item.setToolTip(2, failure.reason)
            item.setData(0, Qt.ItemDataRole.UserRole, failure.path)
            self.tree.addTopLevelItem(item)
        self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self.show()
        self.raise_()

    def _items(self) -> list[QTreeWidgetItem]:
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in items if item is not None]

    def paths(self) -> list[str]:
        return [str(item.data(0, Qt.ItemDataRole.UserRole)) for item in self._items()]

    def reasons(self) -> list[str]:
        return [item.text(2) for item in self._items()]

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        path = item.data(0, Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        menu.addAction("Show in Folder", lambda: desktop.show_in_folder(path))
        menu.addAction("Copy Path", lambda: QGuiApplication.clipboard().setText(path))
        menu.exec(self.tree.viewport().mapToGlobal(pos))
