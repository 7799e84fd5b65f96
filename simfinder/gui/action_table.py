"""Menu and toolbar actions declared as a table: text, icon, keys and tip of each in one row,
built into QActions by one function. Texts are translation sources (translated when built);
a tip that names its keys gets them from QKeySequence, as the platform writes them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget

log = logging.getLogger(__name__)

Keys = QKeySequence.StandardKey | str


def keys_text(keys: Keys | QKeySequence) -> str:
    """Keys as the platform shows them ("Ctrl+O" here, "⌘O" on macOS)."""
    sequence = keys if isinstance(keys, QKeySequence) else QKeySequence(keys)
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)


def modifier_text(modifier: Qt.KeyboardModifier) -> str:
    """A modifier key as the platform shows it before a key or a click ("Ctrl+", "⌘")."""
    return keys_text(QKeySequence(QKeyCombination(modifier, Qt.Key.Key_A)))[:-1]


def with_keys(tip: str, keys: Keys | QKeySequence | None) -> str:
    """A tip followed by its keys in parentheses: "Add a photo folder (Ctrl+O)"."""
    if keys is None:
        return tip
    text = keys_text(keys)
    return f"{tip} ({text})" if text else tip


def theme_icon(widget: QWidget, theme: str, fallback: QStyle.StandardPixmap | None) -> QIcon:
    """The desktop theme's icon, or the style's `fallback` (or none)."""
    if fallback is None:
        return QIcon.fromTheme(theme)
    return QIcon.fromTheme(theme, widget.style().standardIcon(fallback))


@dataclass(frozen=True)
class ActionSpec:
    """One action: built as the attribute `act_<name>` of the owner, triggering `slot`."""

    name: str
    text: str  # translated (tr), with its & mnemonic
    tip: str  # translated (tr); the keys are added when `keys_in_tip`
    slot: Callable[[], object]
    icon: tuple[str, QStyle.StandardPixmap | None] | None = None  # theme name, fallback
    keys: Keys | None = None
    keys_in_tip: bool = False
    checkable: bool = False


def build_actions(owner: QWidget, specs: Sequence[ActionSpec], *,
                  window_keys: bool = True) -> dict[str, QAction]:
    """The actions of `specs` (their texts already translated), set as attributes act_<name>
    of `owner`. With `window_keys` they are added to `owner`, so that their keys work anywhere
    in it; without, their keys work only in the widget they are added to later."""
    built: dict[str, QAction] = {}
    for spec in specs:
        act = QAction(spec.text, owner)
        if spec.icon is not None:
            icon = theme_icon(owner, *spec.icon)
            if not icon.isNull():
                act.setIcon(icon)
        if spec.keys is not None:
            act.setShortcut(QKeySequence(spec.keys))
            if not window_keys:
                act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        tip = spec.tip
        if spec.keys_in_tip:
            tip = with_keys(tip, spec.keys)
        act.setToolTip(tip)
        act.setStatusTip(tip)
        act.setCheckable(spec.checkable)
        act.triggered.connect(spec.slot)
        if window_keys:
            owner.addAction(act)
        setattr(owner, f"act_{spec.name}", act)
        built[spec.name] = act
    return built

