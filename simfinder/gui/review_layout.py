"""Pieces the Duplicates and the Similar shots views lay out alike: the list with its empty-state
text in its place, and the totals line under a rule."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QStackedWidget, QVBoxLayout, QWidget


def list_or_empty(parent: QWidget, view: QWidget,
                  layout: QVBoxLayout) -> tuple[QLabel, QStackedWidget]:
    """A stack of an empty-state text (gray, centred; shown when the list is empty) and
    `view`, added to `layout` stretching."""
    empty = QLabel(parent)
    empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
    empty.setWordWrap(True)
    empty.setStyleSheet("color: gray; font-size: 13pt;")
    stack = QStackedWidget(parent)
    stack.addWidget(empty)
    stack.addWidget(view)
    layout.addWidget(stack, 1)
    return empty, stack


def totals_line(parent: QWidget, layout: QVBoxLayout, accessible_name: str) -> QLabel:
    """A rule, then the label of the totals, added to `layout`."""
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    layout.addWidget(line)
    label = QLabel(parent)
    label.setAccessibleName(accessible_name)
    layout.addWidget(label)
    return label
