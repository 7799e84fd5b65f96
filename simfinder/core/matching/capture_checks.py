"""Capture checks of a library's pairs (`capture.judge_capture`), kept in the catalog.

Asked by grouping for the pairs it accepts as copies at strict and normal, and by the
comparison stage after indexing (so that the Duplicates view finds them stored). A pair
whose files cannot be read now (a drive not plugged in, files gone) is not judged and not
stored: it keeps the thumbnails' verdict and is asked about again later.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from simfinder.core.matching.capture import CAPTURE_VERSION, CaptureCheck, judge_capture
from simfinder.core.store.catalog import ROW_CONTENT_ID, ROW_PATH
from simfinder.core.store.library import Library

log = logging.getLogger(__name__)

_WORKERS = 2  # decoding and OpenCV release the GIL


def check_captures(
    library: Library, pairs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], CaptureCheck]:
    """The capture check of each content pair (a < b): stored, or judged now and stored."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    cat = library.catalog
    out = {pair: CaptureCheck(other, reason, float("nan") if detail is None else detail)
           for pair, (other, reason, detail)
           in cat.capture_checks(wanted, CAPTURE_VERSION).items()}
    todo = [pair for pair in wanted if pair not in out]
    if not todo:
        return out
    paths: dict[int, list[Path]] = {}
    for row in cat.photo_rows_of_contents(sorted({c for pair in todo for c in pair})):
        paths.setdefault(row[ROW_CONTENT_ID], []).append(Path(row[ROW_PATH]))

    def judge(pair: tuple[int, int]) -> CaptureCheck | None:
        a, b = (_readable(paths.get(c, [])) for c in pair)
        return None if a is None or b is None else judge_capture(a, b)

    with ThreadPoolExecutor(_WORKERS) as pool:
        judged = dict(zip(todo, pool.map(judge, todo), strict=True))
    new = {pair: check for pair, check in judged.items() if check is not None}
    _store(library, new)
    log.info("capture checks: %d stored, %d judged now, %d without readable files",
             len(out), len(new), len(todo) - len(new))
    out.update(new)
    return out


def _readable(paths: list[Path]) -> Path | None:
    """The first of a content's files that is there to read now."""
    return next((p for p in paths if p.is_file()), None)


def _store(library: Library, checks: dict[tuple[int, int], CaptureCheck]) -> None:
    if not checks:
        return
    try:
        library.catalog.put_capture_checks(
            [(a, b, c.other_capture, c.reason,
              c.clipped_detail if math.isfinite(c.clipped_detail) else None)
             for (a, b), c in checks.items()], CAPTURE_VERSION)
    except sqlite3.Error as exc:  # read-only or busy library: just not kept
        log.info("capture checks not stored: %s", exc)


class CaptureLookup:
    """Same capture or not, pair by pair, for the clustering: the stored checks and the
    library's file paths read once, the others judged (and stored) when asked. A pair whose
    files cannot be read now costs two stat calls, not a query: grouping a large library
    with files offline (or none, as in the scale benchmarks) asks about every group's pairs."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self._known = library.catalog.all_capture_checks(CAPTURE_VERSION)
        self._paths: dict[int, list[Path]] | None = None

    def prefetch(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Judge (on `_WORKERS` threads) and store the checks of these pairs that are not
        known yet, so that `same_capture` finds them."""
        todo = [pair for pair in pairs if pair not in self._known]
        if todo:
            found = check_captures(self.library, todo)
            self._known.update((pair, check.other_capture) for pair, check in found.items())

    def same_capture(self, pair: tuple[int, int]) -> bool:
        """False when the originals show another exposure or moment; True otherwise
        (a copy, or files that cannot be read now)."""
        if pair not in self._known:
            self._known[pair] = self._other_capture(pair)
        return not self._known[pair]

    def _other_capture(self, pair: tuple[int, int]) -> bool:
        if self._paths is None:
            self._paths = {}
            for row in self.library.catalog.photo_rows():
                self._paths.setdefault(row[ROW_CONTENT_ID], []).append(Path(row[ROW_PATH]))
        a, b = (_readable(self._paths.get(c, [])) for c in pair)
        check = None if a is None or b is None else judge_capture(a, b)
        if check is None:
            return False
        _store(self.library, {pair: check})
        return check.other_capture
