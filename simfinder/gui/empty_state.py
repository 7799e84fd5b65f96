"""What the gallery area shows while the library has no photos: a welcome with the button to
add a folder, "looking for photos" while the first run indexes, or why nothing was found."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStyle, QVBoxLayout, QWidget

from simfinder.gui.words import tr

log = logging.getLogger(__name__)



class EmptyState(QWidget):
    """What the gallery area shows while the library has no photos."""

    add_folder_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        self.icon = QLabel(self)
        self.icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_DirOpenIcon).pixmap(QSize(72, 72)))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.icon)
        self.title = QLabel(self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setMaximumWidth(520)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.text)
        row.addStretch(1)
        layout.addLayout(row)
        self.button = QPushButton(self.style().standardIcon(
            QStyle.StandardPixmap.SP_DirOpenIcon), tr("Add a Photo Folder…"), self)
        self.button.setDefault(True)
        self.button.setMinimumHeight(36)
        self.button.clicked.connect(self.add_folder_clicked)
        row2 = QHBoxLayout()
        row2.addStretch(1)
        row2.addWidget(self.button)
        row2.addStretch(1)
        layout.addSpacing(12)
        layout.addLayout(row2)
        layout.addStretch(3)
        self.show_welcome()

    def show_welcome(self) -> None:
        self.title.setText(tr("Find duplicate and similar photos"))
        self.text.setText(
            tr("Add a folder of photos to get started: simfinder indexes it in the background, "
               "on this computer; nothing is uploaded and your photos are only read.\n\n"
               "You can also drop a folder onto this window."))
        self.button.setVisible(True)

    def show_indexing(self) -> None:
        self.title.setText(tr("Looking for photos…"))
        self.text.setText(tr("Photos appear here as soon as they are indexed."))
        self.button.setVisible(False)

    def show_no_photos(self) -> None:
        self.title.setText(tr("No photos found"))
        self.text.setText(tr("The folders in the library hold no photos simfinder can read. "
                             "Add another folder, or see View > Problems for files that could not "
                             "be read."))
        self.button.setVisible(True)
