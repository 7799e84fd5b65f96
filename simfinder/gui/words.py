"""Counted words ("1 photo", "3 photos") through Qt's translation machinery.

Every text of the app with a count in it is a translation source with %Ln (Qt's tr() with n:
QCoreApplication.translate), so that a translation can give each language its own plural forms
and number format. English has two forms: when no translation installed has a source, its
English forms are the ones given here. (Not a QTranslator written in Python: Qt asks translators
from any thread, holding its own locks, and a translator that needs Python's GIL can deadlock a
thread that holds the GIL and waits for such a lock: loading an image plugin does.)"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLocale

log = logging.getLogger(__name__)

CONTEXT = "simfinder"

# Source -> its English (singular, plural): the sources are what a translator translates.
ENGLISH: dict[str, tuple[str, str]] = {
    "%Ln photo(s)": ("%Ln photo", "%Ln photos"),
    "%Ln group(s)": ("%Ln group", "%Ln groups"),
    "%Ln folder(s)": ("%Ln folder", "%Ln folders"),
    "%Ln file(s)": ("%Ln file", "%Ln files"),
    "%Ln mark(s)": ("%Ln mark", "%Ln marks"),
    "%Ln decision(s)": ("%Ln decision", "%Ln decisions"),
    "%Ln selected group(s)": ("%Ln selected group", "%Ln selected groups"),
    "%Ln companion file(s)": ("%Ln companion file", "%Ln companion files"),
    "%Ln copy or move(s)": ("%Ln copy or move", "%Ln copies or moves"),
    "%Ln is not reviewed yet": ("%Ln is not reviewed yet", "%Ln are not reviewed yet"),
    "%Ln pair(s) of likely copies": ("%Ln pair of likely copies", "%Ln pairs of likely copies"),
    "%Ln duplicate(s)": ("%Ln duplicate", "%Ln duplicates"),
    "%Ln near-duplicate(s)": ("%Ln near-duplicate", "%Ln near-duplicates"),
    "%Ln similar shot(s)": ("%Ln similar shot", "%Ln similar shots"),
    "%Ln similar photo(s)": ("%Ln similar photo", "%Ln similar photos"),
    "%Ln more note(s)": ("%Ln more note", "%Ln more notes"),
    "%Ln series": ("%Ln series", "%Ln series"),
    "%Ln shot(s)": ("%Ln shot", "%Ln shots"),
    "%Ln other(s)": ("%Ln other", "%Ln others"),
}


def counted(n: int, source: str) -> str:
    """`source` (one of ENGLISH's, with %Ln) for `n`, in the user's language and number
    format: counted(3, "%Ln photo(s)") is "3 photos"."""
    number = QLocale().toString(n)
    text = QCoreApplication.translate(CONTEXT, source, None, n)
    if text != source.replace("%Ln", number):
        return text  # a translation has it
    singular, plural = ENGLISH[source]
    return (singular if n == 1 else plural).replace("%Ln", number)


def files_text(photos: int, companions: int) -> str:
    """"12 photos", or "12 photos and 5 companion files" (core.actions.count_files in the
    user's language)."""
    text = counted(photos, "%Ln photo(s)")
    if companions:
        text = QCoreApplication.translate(CONTEXT, "{photos} and {companions}").format(
            photos=text, companions=counted(companions, "%Ln companion file(s)"))
    return text


def duration(seconds: float) -> str:
    """A time span as a person says it: "42 s", "3 min 05 s", "25 min", "2 h 07 min"."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s" if minutes < 10 else f"{minutes} min"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"
