"""The app's words in the user's language: `tr()` for its own texts, `engine_text()` for those
the engine and the use cases word (core.translatable), and counted words ("1 photo", "3 photos").

Every text of the app with a count in it is a translation source with %Ln (Qt's tr() with n:
QCoreApplication.translate), so that a translation can give each language its own plural forms
and number format. English has two forms: when no translation installed has a source, its
English forms are the ones given here. (Not a QTranslator written in Python: Qt asks translators
from any thread, holding its own locks, and a translator that needs Python's GIL can deadlock a
thread that holds the GIL and waits for such a lock: loading an image plugin does.)"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QLocale

from simfinder.app.wording import DURATION_FORMS, duration_form
from simfinder.core.cleanup.actions import TRASH, BatchSummary
from simfinder.core.cleanup.trash import trash_title
from simfinder.core.translatable import CONTEXT as ENGINE_CONTEXT
from simfinder.core.translatable import Phrase

log = logging.getLogger(__name__)


class _Numerus:
    """Marks a source as a text with plural forms: pyside6-lupdate reads a call of a
    `translate(context, source, disambiguation, n)` as one. Returns the source."""

    @staticmethod
    def translate(context: str, source: str, disambiguation: None, n: int) -> str:
        return source


# Source -> its English (singular, plural): the sources are what a translator translates.
ENGLISH: dict[str, tuple[str, str]] = {
    _Numerus.translate("", "%Ln photo(s)", None, 0): ("%Ln photo", "%Ln photos"),
    _Numerus.translate("", "%Ln group(s)", None, 0): ("%Ln group", "%Ln groups"),
    _Numerus.translate("", "%Ln folder(s)", None, 0): ("%Ln folder", "%Ln folders"),
    _Numerus.translate("", "%Ln file(s)", None, 0): ("%Ln file", "%Ln files"),
    _Numerus.translate("", "%Ln mark(s)", None, 0): ("%Ln mark", "%Ln marks"),
    _Numerus.translate("", "%Ln decision(s)", None, 0): ("%Ln decision", "%Ln decisions"),
    _Numerus.translate("", "%Ln selected group(s)", None, 0):
        ("%Ln selected group", "%Ln selected groups"),
    _Numerus.translate("", "%Ln companion file(s)", None, 0):
        ("%Ln companion file", "%Ln companion files"),
    _Numerus.translate("", "%Ln copy or move(s)", None, 0):
        ("%Ln copy or move", "%Ln copies or moves"),
    _Numerus.translate("", "%Ln is not reviewed yet", None, 0):
        ("%Ln is not reviewed yet", "%Ln are not reviewed yet"),
    _Numerus.translate("", "%Ln pair(s) of likely copies", None, 0):
        ("%Ln pair of likely copies", "%Ln pairs of likely copies"),
    _Numerus.translate("", "%Ln duplicate(s)", None, 0): ("%Ln duplicate", "%Ln duplicates"),
    _Numerus.translate("", "%Ln near-duplicate(s)", None, 0):
        ("%Ln near-duplicate", "%Ln near-duplicates"),
    _Numerus.translate("", "%Ln similar shot(s)", None, 0):
        ("%Ln similar shot", "%Ln similar shots"),
    _Numerus.translate("", "%Ln similar photo(s)", None, 0):
        ("%Ln similar photo", "%Ln similar photos"),
    _Numerus.translate("", "%Ln more note(s)", None, 0): ("%Ln more note", "%Ln more notes"),
    _Numerus.translate("", "%Ln series", None, 0): ("%Ln series", "%Ln series"),
    _Numerus.translate("", "%Ln shot(s)", None, 0): ("%Ln shot", "%Ln shots"),
    _Numerus.translate("", "%Ln other(s)", None, 0): ("%Ln other", "%Ln others"),
}


def QT_TR_NOOP(source: str) -> str:
    """`source`, unchanged: marks a text of a table for translation (tr() translates it where
    it is shown). PySide6's own is typed as taking and giving an object."""
    return source


def tr(text: str) -> str:
    """`text` in the user's language. The GUI's modules call this `tr("...")`, which
    pyside6-lupdate files under the empty context (a module-level tr(), not a class's), so
    that is the context it is looked up in."""
    return QCoreApplication.translate("", text)


def counted(n: int, source: str) -> str:
    """`source` (one of ENGLISH's, with %Ln) for `n`, in the user's language and number
    format: counted(3, "%Ln photo(s)") is "3 photos"."""
    number = QLocale().toString(n)
    text = QCoreApplication.translate("", source, None, n)
    if text != source.replace("%Ln", number):
        return text  # a translation has it
    singular, plural = ENGLISH[source]
    return (singular if n == 1 else plural).replace("%Ln", number)


def files_text(photos: int, companions: int) -> str:
    """"12 photos", or "12 photos and 5 companion files" (app.wording.count_files in the
    user's language)."""
    text = counted(photos, "%Ln photo(s)")
    if companions:
        text = tr("{photos} and {companions}").format(
            photos=text, companions=counted(companions, "%Ln companion file(s)"))
    return text


def duration(seconds: float) -> str:
    """A time span as a person says it ("42 s", "3 min 05 s", "25 min", "2 h 07 min"), in the
    user's language."""
    form, values = duration_form(seconds)
    return engine_text(DURATION_FORMS[form]).format(**values)


def engine_text(text: str | Phrase) -> str:
    """A text the engine or the use cases worded (marked with core.translatable's
    QT_TRANSLATE_NOOP), in the user's language; a Phrase is translated, then filled in."""
    if isinstance(text, Phrase):
        source = QCoreApplication.translate(ENGINE_CONTEXT, text.source)
        return source.format(**dict(text.values)) if text.values else source
    return QCoreApplication.translate(ENGINE_CONTEXT, text)


def engine_reasons(phrases: Sequence[str | Phrase]) -> str:
    """Several reasons the engine gave, in the user's language, as one text."""
    return tr("; ").join(engine_text(p) for p in phrases)


def batch_text(summary: BatchSummary) -> str:
    """The batch Undo would take back: "Move to Trash (12 photos)"."""
    what = files_text(summary.files, summary.companions)
    if summary.kind == TRASH:
        return tr("Move to {trash} ({what})").format(
            trash=engine_text(trash_title()), what=what)
    return tr("Move to Folder ({what})").format(what=what)
