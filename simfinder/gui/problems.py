"""The list of files and folders that could not be read: a dock the user opens when they want,
never a dialog per file."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QWidget

from simfinder.core.store.catalog import ErrorRecord
from simfinder.gui.list_pane import ListDock, ListPane, ListRow
from simfinder.gui.words import counted, engine_text, tr


class ProblemsDock(ListDock):
    show_in_folder_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        pane = ListPane(["File", "Problem", "Folder"], (260, 320), sortable=True)
        super().__init__("Problems", "problems-dock", pane, parent)
        pane.menu_for = self._menu
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
        rows = [ListRow([os.path.basename(folder) or folder,
                         tr("Folder could not be read: {reason}").format(reason=reason), folder],
                        folder, {0: folder})
                for folder, reason in folders]
        for err in errors:
            folder, name = os.path.split(err.path)
            reason = engine_text(err.reason)
            rows.append(ListRow([name, reason, folder], err.path, {0: err.path, 1: reason}))
        self.pane.set_rows(rows)
        self._files = len(errors)
        self._folders = len(folders)
        if not rows:
            self.summary.setText(tr("Every photo in your folders could be read."))
        else:
            parts = []
            if errors:
                parts.append(f"{counted(len(errors), '%Ln file(s)')} could not be read"
                             " (damaged, unsupported, or not really photos)")
            if folders:
                parts.append(f"{counted(len(folders), '%Ln folder(s)')} could not be opened")
            self.summary.setText("; ".join(parts) + ". They are left out of the gallery; "
                                 "they are tried again when they change.")

    def paths(self) -> list[str]:
        return [str(p) for p in self.pane.payloads()]

    def _menu(self, path: Any, menu: QMenu) -> None:
        menu.addAction(tr("Show in Folder"), lambda: self.show_in_folder_requested.emit(path))
