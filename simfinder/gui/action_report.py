"""The files an action could not move (or Undo could not put back), with the reason for each:
a non-modal window the user reads when they want."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMenu, QVBoxLayout, QWidget

from simfinder.core.cleanup.actions import FileFailure
from simfinder.gui import desktop
from simfinder.gui.list_pane import ListPane, ListRow
from simfinder.gui.words import engine_text, tr


class ActionReportDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setWindowTitle(tr("Not Moved"))
        self.resize(760, 360)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        # The detail line shows the whole reason of the current file: it says where it is now.
        self.pane = ListPane(["File", "Folder", "Why"], (180, 220), self, show_detail=True)
        self.pane.menu_for = self._menu
        layout.addWidget(self.pane, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    @property
    def summary(self) -> Any:
        return self.pane.summary

    def show_failures(self, title: str, summary: str, failures: Sequence[FileFailure]) -> None:
        self.setWindowTitle(title)
        self.pane.summary.setText(summary)
        self.pane.set_rows([
            ListRow([os.path.basename(f.path), os.path.dirname(f.path), reason], f.path,
                    {0: f.path, 2: reason}, detail=f"{f.path}: {reason}")
            for f in failures for reason in [engine_text(f.reason)]
        ])
        self.show()
        self.raise_()

    def paths(self) -> list[str]:
        return [str(p) for p in self.pane.payloads()]

    def reasons(self) -> list[str]:
        return self.pane.column(2)

    def _menu(self, path: Any, menu: QMenu) -> None:
        menu.addAction(tr("Show in Folder"), lambda: desktop.show_in_folder(path))
        menu.addAction(tr("Copy Path"), lambda: QGuiApplication.clipboard().setText(path))
