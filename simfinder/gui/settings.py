"""Preferences, kept with QSettings: duplicate strictness, the keeper rules and reference folders,
where the CNN runs, thumbnail size, sort order and window layout."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from simfinder.core.keeper import DEFAULT_FORMAT_ORDER, KeepPlan, rules_from_settings
from simfinder.core.similarity import Strictness
from simfinder.gui.gallery import DEFAULT_THUMB, MAX_THUMB, MIN_THUMB, SortOrder

DEVICES = {
    "auto": "Automatic (a GPU if there is one, else the CPU)",
    "cpu": "CPU",
    "cuda": "NVIDIA GPU (CUDA)",
}
STRICTNESS_LABELS = {
    Strictness.STRICT: "Strict: only copies that are practically identical",
    Strictness.NORMAL: "Normal: resized, re-saved, lightly cropped or edited copies",
    Strictness.LOOSE: "Loose: also heavier edits and near-identical bursts",
}


class AppSettings:
    """Typed access to the app's QSettings (tests pass an INI file of their own)."""

    def __init__(self, qsettings: QSettings) -> None:
        self.q = qsettings

    def _str(self, key: str, default: str) -> str:
        return str(self.q.value(key, default, type=str))

    @property
    def strictness(self) -> Strictness:
        try:
            return Strictness(self._str("matching/strictness", Strictness.NORMAL.value))
        except ValueError:
            return Strictness.NORMAL

    @strictness.setter
    def strictness(self, value: Strictness) -> None:
        self.q.setValue("matching/strictness", value.value)

    @property
    def device(self) -> str:
        value = self._str("engine/device", "auto")
        return value if value in DEVICES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self.q.setValue("engine/device", value)

    @property
    def thumbnail_size(self) -> int:
        value = int(self.q.value("gallery/thumbnailSize", DEFAULT_THUMB, type=int))
        return max(MIN_THUMB, min(MAX_THUMB, value))

    @thumbnail_size.setter
    def thumbnail_size(self, value: int) -> None:
        self.q.setValue("gallery/thumbnailSize", int(value))

    @property
    def sort_order(self) -> SortOrder:
        try:
            return SortOrder(self._str("gallery/sort", SortOrder.DATE.value))
        except ValueError:
            return SortOrder.DATE

    @sort_order.setter
    def sort_order(self, value: SortOrder) -> None:
        self.q.setValue("gallery/sort", value.value)

    @property
    def keep_plan(self) -> KeepPlan:
        """The keeper rules in the user's order, reference folders and format order."""
        # Names of earlier versions map to today's rules; an order never changed from an
        # earlier default becomes today's default; unknown names are skipped.
        rules = rules_from_settings(_str_list(self.q.value("duplicates/rules", [])))
        formats = tuple(f.upper() for f in _str_list(self.q.value("duplicates/formats", [])))
        return KeepPlan(
            rules=rules,
            reference_folders=tuple(_str_list(self.q.value("duplicates/referenceFolders", []))),
            format_order=formats or DEFAULT_FORMAT_ORDER,
        )

    @keep_plan.setter
    def keep_plan(self, plan: KeepPlan) -> None:
        self.q.setValue("duplicates/rules", [r.value for r in plan.rules])
        self.q.setValue("duplicates/referenceFolders", list(plan.reference_folders))
        self.q.setValue("duplicates/formats", list(plan.format_order))

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.q.value("window/geometry", QByteArray(), type=QByteArray)
        state = self.q.value("window/state", QByteArray(), type=QByteArray)
        return (geometry or None, state or None)

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    def sync(self) -> None:
        self.q.sync()


def _str_list(value: object) -> list[str]:
    """A list of strings from QSettings (an INI file gives back a lone string for a one-item
    list, and nothing at all for an empty one)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if str(v)]
    return []


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, *, model_loaded: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 12)
        layout.setSpacing(12)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.strictness = QComboBox(self)
        for value, label in STRICTNESS_LABELS.items():
            self.strictness.addItem(label, value.value)
        self.strictness.setCurrentIndex(list(STRICTNESS_LABELS).index(settings.strictness))
        self.strictness.setToolTip("How alike two photos must be to count as duplicates")
        form.addRow("Duplicate &matching:", self.strictness)

        self.device = QComboBox(self)
        for value, label in DEVICES.items():
            self.device.addItem(label, value)
        self.device.setCurrentIndex(list(DEVICES).index(settings.device))
        self.device.setToolTip("Where the image-similarity model (a CNN) runs")
        form.addRow("Run the &model on:", self.device)
        if model_loaded:
            note = QLabel("A change of device takes effect the next time simfinder starts.", self)
            note.setWordWrap(True)
            note.setStyleSheet("color: gray")
            form.addRow("", note)

        row = QHBoxLayout()
        self.thumb_size = QSlider(Qt.Orientation.Horizontal, self)
        self.thumb_size.setRange(MIN_THUMB, MAX_THUMB)
        self.thumb_size.setSingleStep(8)
        self.thumb_size.setPageStep(32)
        self.thumb_size.setValue(settings.thumbnail_size)
        self.thumb_value = QLabel(self)
        self.thumb_value.setMinimumWidth(56)
        self.thumb_size.valueChanged.connect(lambda v: self.thumb_value.setText(f"{v} px"))
        self.thumb_value.setText(f"{self.thumb_size.value()} px")
        row.addWidget(self.thumb_size, 1)
        row.addWidget(self.thumb_value)
        thumb_label = QLabel("Gallery &thumbnails:", self)
        thumb_label.setBuddy(self.thumb_size)
        form.addRow(thumb_label, row)
        layout.addLayout(form)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def apply(self) -> None:
        """Write the dialog's choices to the settings."""
        self.settings.strictness = Strictness(self.strictness.currentData())
        self.settings.device = str(self.device.currentData())
        self.settings.thumbnail_size = self.thumb_size.value()
        self.settings.sync()
