"""Texts the engine words for people, marked for translation without Qt.

The engine writes its texts in English (the CLI prints them and `--json` carries them); the app
shows them in the user's language. `QT_TRANSLATE_NOOP(CONTEXT, "...")` returns the text as is
and is the marker `pyside6-lupdate` looks for by name, so a translator finds every such text in
the .ts file under CONTEXT; the GUI translates it where it shows it (gui.words.engine_text)."""

from __future__ import annotations

from dataclasses import dataclass

# The translation context of every text marked here (what gui.words.engine_text looks up).
CONTEXT = "engine"


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:
    """`source`, unchanged: marks it as a text to translate in `context`."""
    return source


@dataclass(frozen=True, slots=True)
class Phrase:
    """A marked text with the values it is formatted with, so that the app can translate the
    text before it fills the values in; str() gives the English."""

    source: str  # marked with QT_TRANSLATE_NOOP(CONTEXT, ...), with {name} fields
    values: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return self.source.format(**dict(self.values)) if self.values else self.source
