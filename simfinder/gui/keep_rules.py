"""The keeper rules dialog: which copy of a group to keep, as an ordered list of rules the user
reorders (drag, or Move Up / Move Down), the reference folders whose photos are never marked for
removal, the order of preferred formats, and whether the JPEG of RAW+JPEG pairs goes."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from simfinder.core.cleanup.keeper import DEFAULT_PLAN, KeepPlan, KeepRule
from simfinder.gui.words import QT_TR_NOOP, engine_text, tr

_FORMAT_NAMES = {"HEIF": QT_TR_NOOP("HEIF / HEIC"), "RAW": QT_TR_NOOP("Camera RAW"),
                 "MPO": QT_TR_NOOP("MPO (3D JPEG)")}


def _reorderable(parent: QWidget) -> QListWidget:
    widget = QListWidget(parent)
    widget.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
    widget.setDefaultDropAction(Qt.DropAction.MoveAction)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    return widget


def _move(widget: QListWidget, step: int) -> None:
    row = widget.currentRow()
    target = row + step
    if row < 0 or not 0 <= target < widget.count():
        return
    item = widget.takeItem(row)
    widget.insertItem(target, item)
    widget.setCurrentRow(target)


def _up_down(widget: QListWidget, parent: QWidget) -> tuple[QVBoxLayout, QPushButton,
                                                            QPushButton]:
    column = QVBoxLayout()
    up = QPushButton(tr("Move &Up"), parent)
    down = QPushButton(tr("Move &Down"), parent)
    up.clicked.connect(lambda: _move(widget, -1))
    down.clicked.connect(lambda: _move(widget, 1))
    column.addWidget(up)
    column.addWidget(down)
    column.addStretch(1)
    return column, up, down


class KeepRulesDialog(QDialog):
    def __init__(self, plan: KeepPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("Which Copy to Keep"))
        self.resize(720, 560)
        layout = QVBoxLayout(self)

        intro = QLabel(tr("In each group, simfinder keeps the copy the first rule prefers; the "
                          "next rules only decide between copies the rules above find equal. "
                          "The default order keeps the original a person would keep. You can "
                          "still change any mark in the list."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)

        rules_box = QGroupBox(tr("Keep the copy with"), self)
        grid = QHBoxLayout(rules_box)
        self.rules = _reorderable(rules_box)
        self.rules.setAccessibleName(tr("Keeper rules, first one first"))
        grid.addWidget(self.rules, 1)
        buttons_column, self.rule_up, self.rule_down = _up_down(self.rules, rules_box)
        grid.addLayout(buttons_column)
        layout.addWidget(rules_box, 2)

        self.remove_raw_jpegs = QCheckBox(
            tr("Remove the JPEG of RAW+JPEG pairs: keep only the RAW"), self)
        self.remove_raw_jpegs.setToolTip(
            tr("A camera's RAW and the JPEG it wrote beside it (same name, same folder) are one "
               "photo, moved together and never offered for removal. With this on, the JPEG is a "
               "copy of its RAW, marked for removal, from the next scan of your folders."))
        layout.addWidget(self.remove_raw_jpegs)

        lower = QGridLayout()
        refs_box = QGroupBox(tr("Reference folders (never marked for removal)"), self)
        refs = QHBoxLayout(refs_box)
        self.references = QListWidget(refs_box)
        self.references.setAccessibleName(tr("Reference folders"))
        refs.addWidget(self.references, 1)
        ref_buttons = QVBoxLayout()
        self.add_reference = QPushButton(tr("&Add…"), refs_box)
        self.remove_reference = QPushButton(tr("&Remove"), refs_box)
        self.add_reference.clicked.connect(self.choose_reference)
        self.remove_reference.clicked.connect(self._remove_reference)
        ref_buttons.addWidget(self.add_reference)
        ref_buttons.addWidget(self.remove_reference)
        ref_buttons.addStretch(1)
        refs.addLayout(ref_buttons)
        lower.addWidget(refs_box, 0, 0)

        formats_box = QGroupBox(tr("Preferred formats, best first (for that rule)"), self)
        fmts = QHBoxLayout(formats_box)
        self.formats = _reorderable(formats_box)
        self.formats.setAccessibleName(tr("Preferred formats"))
        fmts.addWidget(self.formats, 1)
        formats_column, self.format_up, self.format_down = _up_down(self.formats, formats_box)
        fmts.addLayout(formats_column)
        lower.addWidget(formats_box, 0, 1)
        lower.setColumnStretch(0, 3)
        lower.setColumnStretch(1, 2)
        layout.addLayout(lower, 3)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            lambda: self._load(KeepPlan(reference_folders=self.reference_folders())))
        layout.addWidget(buttons)
        self._load(plan)

    def _load(self, plan: KeepPlan) -> None:
        self.rules.clear()
        for rule in plan.rules:
            item = QListWidgetItem(tr("{label}  —  {explanation}").format(
                label=engine_text(rule.label), explanation=engine_text(rule.explanation)))
            item.setData(Qt.ItemDataRole.UserRole, rule.value)
            self.rules.addItem(item)
        self.remove_raw_jpegs.setChecked(plan.remove_raw_jpegs)
        self.references.clear()
        for folder in plan.reference_folders:
            self._add_reference_item(folder)
        self.formats.clear()
        for fmt in plan.format_order:
            item = QListWidgetItem(tr(_FORMAT_NAMES[fmt]) if fmt in _FORMAT_NAMES else fmt)
            item.setData(Qt.ItemDataRole.UserRole, fmt)
            self.formats.addItem(item)

    def _add_reference_item(self, folder: str) -> None:
        item = QListWidgetItem(folder)
        item.setData(Qt.ItemDataRole.UserRole, folder)
        self.references.addItem(item)

    def choose_reference(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Add a Reference Folder"),
                                                  str(Path.home()))
        if folder:
            self.add_reference_folder(folder)

    def add_reference_folder(self, folder: str) -> None:
        folder = str(Path(folder).expanduser().resolve())
        if folder not in self.reference_folders():
            self._add_reference_item(folder)

    def _remove_reference(self) -> None:
        row = self.references.currentRow()
        if row >= 0:
            self.references.takeItem(row)

    def rule_order(self) -> list[KeepRule]:
        return [KeepRule(self.rules.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.rules.count())]

    def reference_folders(self) -> tuple[str, ...]:
        return tuple(self.references.item(i).data(Qt.ItemDataRole.UserRole)
                     for i in range(self.references.count()))

    def plan(self) -> KeepPlan:
        return KeepPlan(
            rules=tuple(self.rule_order()),
            reference_folders=self.reference_folders(),
            format_order=tuple(self.formats.item(i).data(Qt.ItemDataRole.UserRole)
                               for i in range(self.formats.count()))
            or DEFAULT_PLAN.format_order,
            remove_raw_jpegs=self.remove_raw_jpegs.isChecked(),
        )
