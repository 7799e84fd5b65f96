"""The similar-shots review as a user works through it, without any GUI: the series, which of
their shots are marked for removal and the series the user is done with, with the review's
rules: nothing is marked until the user says so ("keep only the best" for a series or for
all, or accepting the pick), a bracket is never cut down by "keep only the best", and every
series keeps a shot. The Similar shots view is a view of a session.

A mark belongs to a shot (the shot's copies go with it: they are the same capture, and the
Duplicates view is where copies are sorted out) and is kept by the content digest of the file
that stands for the shot, a done flag by the series' key (its contents), so that both hold
when the series are found again, after a rescan or the next start: every change is saved as
it is made (the app's ReviewRecorder), and the first series found are reviewed with what was
saved. A series that gained or lost a shot has another key: it is offered again."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from simfinder.app.review_session import MarkRefused
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.matching.series import Series, Shot
from simfinder.core.store.catalog import Catalog, SeriesReviewState

log = logging.getLogger(__name__)

KEEP_ONE_SHOT = ("Every series keeps at least one shot: mark another shot of this series to "
                 "keep first.")


@dataclass(frozen=True, slots=True)
class SeriesTotals:
    series: int
    shots: int
    marked: int  # shots marked for removal
    marked_bytes: int  # what moving them would free
    freeable_bytes: int  # what keeping only the best of every series would free


class SeriesReviewStore(Protocol):
    """Where the session saves its marks and done flags as they change (the app's
    ReviewRecorder, or CatalogSeriesStore)."""

    def series_marks(self, digests: list[bytes], marked: bool) -> None: ...

    def series_done(self, keys: list[bytes], done: bool) -> None: ...

    def series_position(self, key: bytes | None) -> None: ...


class CatalogSeriesStore:
    """Saves the review straight into a catalog (one thread, no queue)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def series_marks(self, digests: list[bytes], marked: bool) -> None:
        self.catalog.set_series_marks(digests, marked)

    def series_done(self, keys: list[bytes], done: bool) -> None:
        self.catalog.set_series_done(keys, done)

    def series_position(self, key: bytes | None) -> None:
        self.catalog.set_series_position(key)


class _NoStore:
    def series_marks(self, digests: list[bytes], marked: bool) -> None:
        pass

    def series_done(self, keys: list[bytes], done: bool) -> None:
        pass

    def series_position(self, key: bytes | None) -> None:
        pass


def _mark_key(shot: Shot) -> bytes:
    return shot.main.digest


class SeriesSession:
    """The series under review (each ranked, the pick first), their marks and done flags."""

    def __init__(self, store: SeriesReviewStore | None = None) -> None:
        self.store: SeriesReviewStore = store or _NoStore()
        self.series: list[Series] = []
        self._remove: set[bytes] = set()  # digests of the shots marked for removal
        self.done: set[bytes] = set()  # keys of the series the user is done with
        self.companions: dict[str, list[str]] = {}  # photo path -> its companion files
        self.restored = False  # the saved review laid over the series found

    # -- loading ----------------------------------------------------------------------------

    def set_series(self, found: Sequence[Series],
                   companions: dict[str, list[str]] | None = None,
                   saved: SeriesReviewState | None = None) -> None:
        """Review these series; the marks of shots still in them stay (a series they would
        leave without a shot loses them), as do the done flags of series found again. The
        first time, `saved` (the review saved in the library) is laid over them. What no
        series holds any more is forgotten, in the store too."""
        self.series = list(found)
        if companions is not None:
            self.companions = companions
        marks, done = set(self._remove), set(self.done)
        if saved is not None and not self.restored:
            self.restored = True
            marks |= saved.marked
            done |= saved.done
        present = {_mark_key(s) for series in self.series for s in series.shots}
        self._remove = marks & present
        for series in self.series:
            if all(self.is_marked(s) for s in series.shots):
                self._remove -= {_mark_key(s) for s in series.shots}
        self.done = done & {s.key for s in self.series}
        self._forget(marks - self._remove, done - self.done)

    # -- reading ----------------------------------------------------------------------------

    def is_marked(self, shot: Shot) -> bool:
        return _mark_key(shot) in self._remove

    def marked_shots(self, row: int) -> list[Shot]:
        return [s for s in self.series[row].shots if self.is_marked(s)]

    def is_done(self, row: int) -> bool:
        return 0 <= row < len(self.series) and self.series[row].key in self.done

    def save_position(self, row: int) -> None:
        """The user is on series `row`: the next start goes back there."""
        if 0 <= row < len(self.series):
            self.store.series_position(self.series[row].key)

    def row_of(self, key: bytes) -> int:
        return next((r for r, s in enumerate(self.series) if s.key == key), -1)

    def totals(self) -> SeriesTotals:
        marked = [s for series in self.series for s in series.shots if self.is_marked(s)]
        return SeriesTotals(len(self.series), sum(len(s.shots) for s in self.series),
                            len(marked), sum(s.size for s in marked),
                            sum(s.freeable_bytes for s in self.series))

    def groups(self, rows: Iterable[int] | None = None) -> list[DuplicateGroup]:
        """The series at `rows` (None: all) that have shots marked for removal, as the groups
        the clean-up takes: every file of a shot marked goes, those of the others are kept."""
        chosen = range(len(self.series)) if rows is None else rows
        out: list[DuplicateGroup] = []
        for row in chosen:
            series = self.series[row]
            if not any(self.is_marked(s) for s in series.shots):
                continue
            keep = {p.file_id for s in series.shots if not self.is_marked(s) for p in s.photos}
            photos = series.photos
            out.append(DuplicateGroup(
                "series", photos, keep, 1.0,
                companions={p.path: self.companions[p.path] for p in photos
                            if p.path in self.companions}))
        return out

    # -- changing ---------------------------------------------------------------------------

    def set_keep(self, row: int, shot: int, keep: bool) -> bool:
        """Mark a shot to keep or to remove; False if it already was. Raises MarkRefused if it
        would leave its series without a shot to keep."""
        series = self.series[row]
        target = series.shots[shot]
        if keep != self.is_marked(target):
            return False
        if not keep and all(self.is_marked(s) for s in series.shots if s is not target):
            raise MarkRefused(KEEP_ONE_SHOT)
        self._set_marks([_mark_key(target)], not keep)
        return True

    def keep_only_best(self, row: int) -> bool:
        """Mark every shot of the series but its pick for removal (a bracket, or a series the
        user kept whole, is left as it is); True if a mark changed."""
        series = self.series[row]
        pick = series.pick
        if pick is None or series.decided:
            return False
        others = [_mark_key(s) for s in series.shots if s is not pick]
        newly = [d for d in others if d not in self._remove]
        kept = [_mark_key(pick)] if self.is_marked(pick) else []
        self._set_marks(kept, False)
        self._set_marks(newly, True)
        return bool(newly or kept)

    def keep_only_best_of_all(self) -> list[int]:
        """Keep only the best of every series (brackets left whole); the rows changed."""
        return [row for row in range(len(self.series)) if self.keep_only_best(row)]

    def keep_every_shot(self, row: int) -> bool:
        """Unmark every shot of the series (the marks only: no decision is made)."""
        marked = [_mark_key(s) for s in self.series[row].shots if self.is_marked(s)]
        self._set_marks(marked, False)
        return bool(marked)

    def set_done(self, row: int, done: bool) -> bool:
        if not 0 <= row < len(self.series):
            return False
        key = self.series[row].key
        if (key in self.done) == done:
            return False
        if done:
            self.done.add(key)
        else:
            self.done.discard(key)
        self.store.series_done([key], done)
        return True

    def accept(self, row: int) -> int:
        """The user accepts the pick: every other shot is marked for removal (a bracket
        keeps them all) and the series is done. Returns the row of the next series not done
        (after this one, then from the top), or -1 when every series is done."""
        if not 0 <= row < len(self.series):
            return -1
        self.keep_only_best(row)
        self.set_done(row, True)
        n = len(self.series)
        return next((r % n for r in range(row + 1, row + n) if not self.is_done(r % n)), -1)

    def drop(self, keys: set[bytes]) -> bool:
        """Series the user decided about ("keep all") leave the review, their marks and done
        flags with them; True if any was there."""
        gone = [s for s in self.series if s.key in keys]
        if not gone:
            return False
        self.series = [s for s in self.series if s.key not in keys]
        marks = {_mark_key(shot) for s in gone for shot in s.shots} & self._remove
        done = {s.key for s in gone} & self.done
        self._remove -= marks
        self.done -= done
        self._forget(marks, done)
        return True

    def photos_moved(self, paths: Iterable[str]) -> None:
        """Shots moved away: their marks are over (the series are found again)."""
        moved = set(paths)
        marks = {_mark_key(shot) for s in self.series for shot in s.shots
                 if shot.main.path in moved} & self._remove
        self._remove -= marks
        self._forget(marks, set())

    # -- saving -----------------------------------------------------------------------------

    def _set_marks(self, digests: list[bytes], marked: bool) -> None:
        if not digests:
            return
        if marked:
            self._remove.update(digests)
        else:
            self._remove.difference_update(digests)
        self.store.series_marks(digests, marked)

    def _forget(self, marks: set[bytes], done: set[bytes]) -> None:
        if marks:
            self.store.series_marks(sorted(marks), False)
        if done:
            self.store.series_done(sorted(done), False)
