"""The Decisions panel: every "not duplicates" and "keep all" the user decided, newest first,
with the photos as they are now (renamed and moved ones at their new place), any of which can
be undone; and the decisions exported to a file or imported from one."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QFileDialog, QMenu, QPushButton, QWidget

from simfinder.app.decisions import KIND_WORDS, SERIES, DecisionView
from simfinder.core.matching.decisions import KEEP_ALL
from simfinder.gui.action_table import keys_text
from simfinder.gui.list_pane import ListDock, ListPane, ListRow
from simfinder.gui.words import counted, engine_text, tr


class DecisionsDock(ListDock):
    undo_requested = Signal(object)  # list[str]: decision references ("3", "s3")
    export_requested = Signal(object)  # Path
    import_requested = Signal(object)  # Path
    show_in_folder_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        pane = ListPane(["Decision", "Photos", "Folder", "Made"], (130, 420, 300))
        super().__init__("Decisions", "decisions-dock", pane, parent)
        pane.menu_for = self._menu
        pane.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        pane.tree.setAccessibleName(tr("Decisions"))
        self.undo_button = QPushButton(tr("&Undo Decision"), pane)
        self.undo_button.setToolTip(
            tr("Take the selected decisions back ({keys}): their photos are reviewed again")
            .format(keys=keys_text(QKeySequence.StandardKey.Delete)))
        self.export_button = QPushButton(tr("Export…"), pane)
        self.export_button.setToolTip(tr("Save every decision to a file (to keep, or to use in "
                                         "another library of the same photos)"))
        self.import_button = QPushButton(tr("Import…"), pane)
        self.import_button.setToolTip(tr("Add the decisions of a file exported earlier"))
        for button in (self.undo_button, self.export_button, self.import_button):
            pane.buttons.addWidget(button)
        self.undo_button.clicked.connect(self.undo_selected)
        self.export_button.clicked.connect(self.choose_export)
        self.import_button.clicked.connect(self.choose_import)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), pane.tree)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.undo_selected)
        pane.tree.itemSelectionChanged.connect(self._update_buttons)
        self.views: list[DecisionView] = []
        self.set_decisions([])

    def set_decisions(self, views: Sequence[DecisionView]) -> None:
        self.views = list(views)
        rows = []
        for v in self.views:
            names = v.names()
            copies = Counter(os.path.basename(n) for n in names)
            labels = [name if n == 1 else f"{name} \u00d7{n}" for name, n in copies.items()]
            shown = ", ".join(labels[:4]) + (", …" if len(labels) > 4 else "")
            folders = sorted({os.path.dirname(n) for n in names})
            folder = (folders[0] if len(folders) == 1
                      else counted(len(folders), "%Ln folder(s)"))
            if v.gone:
                shown += tr("  (no longer in the library)")
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(v.record.made_at))
            if v.about == SERIES:
                kind = tr("{kind} (similar shots)").format(kind=engine_text(KIND_WORDS[v.kind]))
                scope = tr("every shot of a series")
            else:
                kind = engine_text(KIND_WORDS[v.kind])
                scope = (tr("about the whole group") if v.record.scope == "group"
                         else tr("about these photos of a group"))
            tip = "\n".join(names)
            rows.append(ListRow([kind, f"{len(names)}: {shown}", folder, when],
                                v.ref, {0: f"{kind}, {scope}", 1: tip,
                                       2: "\n".join(folders)},
                                detail=tip))
        self.pane.set_rows(rows)
        for item, v in zip(self.pane.items(), self.views, strict=True):
            if v.gone:
                for col in range(4):
                    item.setForeground(col, Qt.GlobalColor.gray)
        if not self.views:
            self.summary.setText(tr("No decisions yet. In Duplicates, “Keep All” (K) or “Not "
                                    "Duplicates” (N) on a group, or on photos you select, takes "
                                    "them out of the review for good; they are listed here."))
        else:
            kept = sum(1 for v in self.views if v.kind == KEEP_ALL)
            parts = []
            if kept:
                parts.append(f"{kept:,} keep all")
            if len(self.views) - kept:
                parts.append(f"{len(self.views) - kept:,} not duplicates")
            decisions = counted(len(self.views), '%Ln decision(s)')
            self.summary.setText(tr("{decisions} ({kinds}). Their groups and series stay out "
                                    "of the Duplicates and Similar shots lists, across "
                                    "rescans, renames and moves; undo one to review its photos "
                                    "again.").format(
                                     decisions=decisions, kinds=', '.join(parts)))
        self._update_buttons()

    def ids(self) -> list[str]:
        """The references of the decisions listed ("3", or "s3" for a series)."""
        return [str(i) for i in self.pane.payloads()]

    def undo_selected(self) -> None:
        ids = [str(i) for i in self.pane.selected_payloads()]
        if ids:
            self.undo_requested.emit(ids)

    def choose_export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, tr("Export Decisions"), str(Path.home() / "simfinder-decisions.json"),
            tr("JSON files (*.json);;All files (*)"))
        if name:
            self.export_requested.emit(Path(name))

    def choose_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, tr("Import Decisions"), str(Path.home()),
            tr("JSON files (*.json);;All files (*)"))
        if name:
            self.import_requested.emit(Path(name))

    def _update_buttons(self) -> None:
        self.undo_button.setEnabled(bool(self.pane.selected_payloads()))
        self.export_button.setEnabled(bool(self.views))

    def _menu(self, decision_id: Any, menu: QMenu) -> None:
        view = next((v for v in self.views if v.ref == decision_id), None)
        if view is None:
            return
        chosen = [str(i) for i in self.pane.selected_payloads()]
        ids = chosen if decision_id in chosen else [str(decision_id)]
        menu.addAction(tr("Undo Decision") if len(ids) == 1
                       else tr("Undo {count} Decisions").format(count=len(ids)),
                       lambda: self.undo_requested.emit(ids))
        if view.present:
            path = view.present[0].path
            menu.addAction(tr("Show in Folder"), lambda: self.show_in_folder_requested.emit(path))
