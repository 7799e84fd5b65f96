"""The Qt plumbing of a list of groups, each with its rows (duplicate groups and their photos,
series and their shots): top-level rows carry the internal id TOP, a child row its group's
row + 1. Subclasses say how many groups there are, how many rows each has, and the columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from simfinder.gui.words import tr

ModelIndex = QModelIndex | QPersistentModelIndex

TOP = 0  # internal id of a group's row; a child row carries its group's row + 1


class TwoLevelModel(QAbstractItemModel):
    columns: Sequence[str] = ()  # translation sources (QT_TR_NOOP) of the column headers

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def group_count(self) -> int:
        raise NotImplementedError

    def child_count(self, group: int) -> int:
        raise NotImplementedError

    def index(self, row: int, column: int, parent: ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(self.columns) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, TOP) if row < self.group_count() \
                else QModelIndex()
        if parent.internalId() != TOP:
            return QModelIndex()
        group = parent.row()
        if group >= self.group_count() or row >= self.child_count(group):
            return QModelIndex()
        return self.createIndex(row, column, group + 1)

    def parent(self, index: ModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == TOP:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, TOP)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return self.group_count()
        if parent.internalId() == TOP and parent.column() == 0:
            return self.child_count(parent.row())
        return 0

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return tr(self.columns[section])
        return None
