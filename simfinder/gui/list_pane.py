"""A list the user reads when they want: a summary line, rows in columns, the whole text of the
current row below, and a context menu per row. The Problems and Decisions docks and the "Not
moved" report are built on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

PayloadRole = Qt.ItemDataRole.UserRole


class ListRow:
    """One row: its cells, what it stands for (`payload`), and tooltips by column."""

    def __init__(self, cells: Sequence[str], payload: Any, tips: dict[int, str] | None = None,
                 detail: str = "") -> None:
        self.cells = list(cells)
        self.payload = payload
        self.tips = tips or {}
        self.detail = detail


class ListPane(QWidget):
    """Summary, list and detail. `menu_for(payload, menu)` fills the context menu of a row;
    rows are replaced as a whole with `set_rows`."""

    def __init__(self, columns: Sequence[str], widths: Sequence[int] = (),
                 parent: QWidget | None = None, *, sortable: bool = False,
                 show_detail: bool = False) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        top.addWidget(self.summary, 1)
        self.buttons = QHBoxLayout()  # room for the buttons of a particular list
        top.addLayout(self.buttons)
        layout.addLayout(top)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(columns))
        self.tree.setHeaderLabels(list(columns))
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(False)
        self.tree.setSortingEnabled(sortable)
        self._sortable = sortable
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate(widths):
            header.resizeSection(col, width)
        layout.addWidget(self.tree, 1)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setVisible(show_detail)
        layout.addWidget(self.detail)
        self.tree.currentItemChanged.connect(self._on_current)
        self.menu_for: Callable[[Any, QMenu], None] | None = None

    def set_rows(self, rows: Sequence[ListRow]) -> None:
        self.tree.setSortingEnabled(False)
        self.tree.clear()
        items = []
        for row in rows:
            item = QTreeWidgetItem(row.cells)
            item.setData(0, PayloadRole, row.payload)
            item.setData(1, PayloadRole, row.detail)
            for col, tip in row.tips.items():
                item.setToolTip(col, tip)
            items.append(item)
        self.tree.addTopLevelItems(items)
        self.tree.setSortingEnabled(self._sortable)
        if items:
            self.tree.setCurrentItem(items[0])

    def items(self) -> list[QTreeWidgetItem]:
        found = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [item for item in found if item is not None]

    def payloads(self) -> list[Any]:
        return [item.data(0, PayloadRole) for item in self.items()]

    def column(self, col: int) -> list[str]:
        return [item.text(col) for item in self.items()]

    def selected_payloads(self) -> list[Any]:
        chosen = [item.data(0, PayloadRole) for item in self.tree.selectedItems()]
        if chosen:
            return chosen
        current = self.tree.currentItem()
        return [current.data(0, PayloadRole)] if current is not None else []

    def _on_current(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        self.detail.setText(str(item.data(1, PayloadRole) or "") if item is not None else "")

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None or self.menu_for is None:
            return
        menu = QMenu(self)
        self.menu_for(item.data(0, PayloadRole), menu)
        if not menu.isEmpty():
            menu.exec(self.tree.viewport().mapToGlobal(pos))


class ListDock(QDockWidget):
    """A dock at the bottom (or top) of the window holding a ListPane."""

    def __init__(self, title: str, object_name: str, pane: ListPane,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setObjectName(object_name)
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea
                             | Qt.DockWidgetArea.TopDockWidgetArea)
        self.pane = pane
        pane.setParent(self)
        self.setWidget(pane)

    @property
    def tree(self) -> QTreeWidget:
        return self.pane.tree

    @property
    def summary(self) -> QLabel:
        return self.pane.summary
