"""The app's colours, banners and how long status-bar messages stay: one place, so that the
views agree (a photo to keep is the same green everywhere, a banner the same blue)."""

from __future__ import annotations

import logging

from PySide6.QtGui import QColor

log = logging.getLogger(__name__)

# How long a status-bar message stays (ms), by what it says.
HINT_MS = 5_000  # a step starting or a hint: "Adding …", "Add a photo folder first"
NOTICE_MS = 8_000  # something refused or that could not be done, in one line
DONE_MS = 12_000  # a change to the library done: a folder removed, offline photos forgotten
REPORT_MS = 15_000  # a result with its figures, or an error to read
NOTICE_INLINE_MS = 8_000  # a view's own notice line (the Duplicates view's refusals)

# Marks and badges on photos.
KEEP_COLOR = QColor("#2e7d32")
REMOVE_COLOR = QColor("#c0392b")
NEW_COLOR = QColor("#1f6fc5")
COMPANION_COLOR = QColor("#6d6d6d")
WARNING_TEXT = "color: #b03a2e;"
DIM_TEXT = "color: gray"

# The app's accent blue: banners over a view, and the drop target.
_ACCENT = "40, 110, 200"


def banner(object_name: str, *, boxed: bool = False) -> str:
    """The style sheet of a banner over a view (the widget named `object_name`): a light
    accent background, a line below it or, `boxed`, a rounded frame around it."""
    if boxed:
        return (f"#{object_name} {{ background: rgba({_ACCENT}, 28); padding: 4px 8px;"
                f" border: 1px solid rgba({_ACCENT}, 90); border-radius: 3px; }}")
    return (f"#{object_name} {{ background: rgba({_ACCENT}, 28);"
            f" border-bottom: 1px solid rgba({_ACCENT}, 90); }}")


DROP_OVERLAY = (f"background: rgba({_ACCENT}, 60); border: 3px dashed rgba({_ACCENT}, 200);"
                "border-radius: 12px; font-size: 18pt; color: palette(text);")
