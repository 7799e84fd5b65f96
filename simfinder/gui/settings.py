"""Preferences. The settings that change results (strictness, the keep rules and reference
folders) are the library's (app.library_settings), so that the command line uses the same;
earlier versions kept them in QSettings, from where they are moved into the library once. The
others (where the CNN runs, thumbnail size, sort order, window layout) stay in QSettings."""

from __future__ import annotations

import logging
from pathlib import Path

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

from simfinder.app.library_settings import (
    KEEP_RULES,
    STRICTNESS,
    result_settings,
    save_keep_plan,
    save_strictness,
    saved_keys,
)
from simfinder.app.usecases import open_catalog
from simfinder.core.cleanup.keeper import DEFAULT_FORMAT_ORDER, KeepPlan, rules_from_settings
from simfinder.core.matching.similarity import Strictness
from simfinder.core.photos.devices import AUTO, CPU, CUDA
from simfinder.core.store.catalog import Catalog
from simfinder.gui.gallery import DEFAULT_THUMB, MAX_THUMB, MIN_THUMB, SortOrder
from simfinder.gui.words import QT_TR_NOOP, tr

log = logging.getLogger(__name__)

# Set once the settings of earlier versions were moved into a library: never moved again.
_MOVED_KEY = "library/settingsMoved"
_LEGACY_PLAN_KEYS = ("duplicates/rules", "duplicates/referenceFolders", "duplicates/formats")
_LEGACY_STRICTNESS_KEY = "matching/strictness"

# The devices the app offers (of core.devices.USER_DEVICES), with their labels.
DEVICES = {
    AUTO: QT_TR_NOOP("Automatic (a GPU if there is one, else the CPU)"),
    CPU: QT_TR_NOOP("CPU"),
    CUDA: QT_TR_NOOP("NVIDIA GPU (CUDA)"),
}
STRICTNESS_LABELS = {
    Strictness.STRICT: QT_TR_NOOP("Strict: only copies that are practically identical"),
    Strictness.NORMAL: QT_TR_NOOP("Normal: resized, re-saved, lightly cropped or edited copies"),
    Strictness.LOOSE: QT_TR_NOOP("Loose: also heavier edits and near-identical bursts"),
}


class AppSettings:
    """Typed access to the app's settings: QSettings (tests pass an INI file of their own) and,
    once `use_library` named it, the library's settings for what changes results."""

    def __init__(self, qsettings: QSettings) -> None:
        self.q = qsettings
        self._library_root: Path | None = None

    def _str(self, key: str, default: str) -> str:
        return str(self.q.value(key, default, type=str))

    # -- the library's settings ---------------------------------------------------------------

    def use_library(self, root: Path) -> None:
        """Read and write strictness, keep rules and reference folders in this library; the
        values earlier versions kept in QSettings are moved into it, once."""
        Path(root).mkdir(parents=True, exist_ok=True)
        self._library_root = Path(root)
        if self.q.value(_MOVED_KEY, False, type=bool):
            return
        keys = set(self.q.allKeys())
        with self._catalog() as cat:
            saved = saved_keys(cat)
            if keys & set(_LEGACY_PLAN_KEYS) and KEEP_RULES not in saved:
                save_keep_plan(cat, self._legacy_keep_plan())
                log.info("keep rules moved from the app's settings into %s", root)
            if _LEGACY_STRICTNESS_KEY in keys and STRICTNESS not in saved:
                save_strictness(cat, self._legacy_strictness())
        self.q.setValue(_MOVED_KEY, True)

    def _catalog(self) -> Catalog:
        """A connection of its own, to use in a `with` block (it closes it)."""
        assert self._library_root is not None
        return open_catalog(self._library_root)

    @property
    def strictness(self) -> Strictness:
        if self._library_root is None:
            return self._legacy_strictness()
        with self._catalog() as cat:
            return result_settings(cat).strictness

    @strictness.setter
    def strictness(self, value: Strictness) -> None:
        if self._library_root is None:
            self.q.setValue(_LEGACY_STRICTNESS_KEY, value.value)
            return
        with self._catalog() as cat:
            save_strictness(cat, value)

    def _legacy_strictness(self) -> Strictness:
        try:
            return Strictness(self._str(_LEGACY_STRICTNESS_KEY, Strictness.NORMAL.value))
        except ValueError:
            return Strictness.NORMAL

    @property
    def device(self) -> str:
        value = self._str("engine/device", "auto")
        return value if value in DEVICES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self.q.setValue("engine/device", value)

    @property
    def thumbnail_size(self) -> int:
        stored = self.q.value("gallery/thumbnailSize", DEFAULT_THUMB, type=int)
        value = stored if isinstance(stored, int) else DEFAULT_THUMB
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
        if self._library_root is None:
            return self._legacy_keep_plan()
        with self._catalog() as cat:
            return result_settings(cat).plan

    @keep_plan.setter
    def keep_plan(self, plan: KeepPlan) -> None:
        if self._library_root is None:
            self.q.setValue("duplicates/rules", [r.value for r in plan.rules])
            self.q.setValue("duplicates/referenceFolders", list(plan.reference_folders))
            self.q.setValue("duplicates/formats", list(plan.format_order))
            return
        with self._catalog() as cat:
            save_keep_plan(cat, plan)

    def _legacy_keep_plan(self) -> KeepPlan:
        """The keep plan as earlier versions saved it in QSettings."""
        # Names of earlier versions map to today's rules; an order never changed from an
        # earlier default becomes today's default; unknown names are skipped.
        rules = rules_from_settings(_str_list(self.q.value("duplicates/rules", [])))
        formats = tuple(f.upper() for f in _str_list(self.q.value("duplicates/formats", [])))
        return KeepPlan(
            rules=rules,
            reference_folders=tuple(_str_list(self.q.value("duplicates/referenceFolders", []))),
            format_order=formats or DEFAULT_FORMAT_ORDER,
        )

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.q.value("window/geometry", QByteArray(), type=QByteArray)
        state = self.q.value("window/state", QByteArray(), type=QByteArray)
        return (geometry if isinstance(geometry, QByteArray) and not geometry.isEmpty() else None,
                state if isinstance(state, QByteArray) and not state.isEmpty() else None)

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
        self.setWindowTitle(tr("Settings"))
        self.settings = settings
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 12)
        layout.setSpacing(12)
        form = QFormLayout()
        form.setVerticalSpacing(10)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.strictness = QComboBox(self)
        for value, label in STRICTNESS_LABELS.items():
            self.strictness.addItem(tr(label), value.value)
        self.strictness.setCurrentIndex(list(STRICTNESS_LABELS).index(settings.strictness))
        self.strictness.setToolTip(tr("How alike two photos must be to count as duplicates"))
        form.addRow(tr("Duplicate &matching:"), self.strictness)

        self.device = QComboBox(self)
        for device, label in DEVICES.items():
            self.device.addItem(tr(label), device)
        self.device.setCurrentIndex(list(DEVICES).index(settings.device))
        self.device.setToolTip(tr("Where the image-similarity model (a CNN) runs"))
        form.addRow(tr("Run the &model on:"), self.device)
        if model_loaded:
            note = QLabel(tr("A change of device takes effect the next time simfinder starts."),
                          self)
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
        self.thumb_size.valueChanged.connect(lambda v: self.thumb_value.setText(tr("{v} px").format(
                                                                                    v=v)))
        self.thumb_value.setText(tr("{value} px").format(value=self.thumb_size.value()))
        row.addWidget(self.thumb_size, 1)
        row.addWidget(self.thumb_value)
        thumb_label = QLabel(tr("Gallery &thumbnails:"), self)
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
