"""Counts and time spans in English words, for the command line (the app shows the same in the
user's language through gui.words)."""

from __future__ import annotations

from simfinder.core.translatable import QT_TRANSLATE_NOOP


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """"1 photo", "1,234 photos": `plural` defaults to `singular` + "s"."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def count_files(photos: int, companions: int) -> str:
    """"12 photos", or "12 photos and 5 companion files"."""
    text = counted(photos, "photo")
    if companions:
        text += f" and {counted(companions, 'companion file')}"
    return text


# A time span's forms, by its size; gui.words.duration translates them.
DURATION_FORMS = {
    "seconds": QT_TRANSLATE_NOOP("engine", "{s} s"),
    "minutes and seconds": QT_TRANSLATE_NOOP("engine", "{m} min {s:02d} s"),
    "minutes": QT_TRANSLATE_NOOP("engine", "{m} min"),
    "hours and minutes": QT_TRANSLATE_NOOP("engine", "{h} h {m:02d} min"),
}


def duration_form(seconds: float) -> tuple[str, dict[str, int]]:
    """Which of DURATION_FORMS a span is said in, and its values: "42 s", "3 min 05 s",
    "25 min", "2 h 07 min" (seconds matter only in the first ten minutes)."""
    seconds = round(seconds)
    if seconds < 60:
        return "seconds", {"s": seconds}
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        if minutes < 10:
            return "minutes and seconds", {"m": minutes, "s": s}
        return "minutes", {"m": minutes}
    hours, m = divmod(minutes, 60)
    return "hours and minutes", {"h": hours, "m": m}


def duration(seconds: float) -> str:
    """A time span as a person says it: "42 s", "3 min 05 s", "25 min", "2 h 07 min"."""
    form, values = duration_form(seconds)
    return DURATION_FORMS[form].format(**values)
