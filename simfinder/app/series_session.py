"""The similar-shots review as a user works through it, without any GUI: the series, which of
their shots are marked for removal and the series the user is done with, with the review's
rules: nothing is marked until the user says so ("keep only the best" for a series or for
all, or accepting the pick), a bracket is never cut down by "keep only the best", and every
series keeps a shot. The Similar shots view is a view of a session.

A mark belongs to a shot (the shot's copies go with it: they are the same capture, and the
Duplicates view is where copies are sorted out) and is kept by the path of the file that
stands for the shot, so that it holds when the series are found again."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from simfinder.app.review_session import MarkRefused
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.matching.series import Series, Shot

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


class SeriesSession:
    """The series under review (each ranked, the pick first), their marks and done flags."""

    def __init__(self) -> None:
        self.series: list[Series] = []
        self._remove: set[str] = set()  # main paths of the shots marked for removal
        self.done: set[bytes] = set()  # keys of the series the user is done with
        self.companions: dict[str, list[str]] = {}  # photo path -> its companion files

    # -- loading ----------------------------------------------------------------------------

    def set_series(self, found: Sequence[Series],
                   companions: dict[str, list[str]] | None = None) -> None:
        """Review these series; the marks of shots still in them stay (a series they would
        leave without a shot loses them)."""
        self.series = list(found)
        if companions is not None:
            self.companions = companions
        present = {s.main.path for series in self.series for s in series.shots}
        self._remove &= present
        for series in self.series:
            if all(self.is_marked(s) for s in series.shots):
                self._remove -= {s.main.path for s in series.shots}
        self.done &= {s.key for s in self.series}

    # -- reading ----------------------------------------------------------------------------

    def is_marked(self, shot: Shot) -> bool:
        return shot.main.path in self._remove

    def marked_shots(self, row: int) -> list[Shot]:
        return [s for s in self.series[row].shots if self.is_marked(s)]

    def is_done(self, row: int) -> bool:
        return 0 <= row < len(self.series) and self.series[row].key in self.done

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
        if keep:
            self._remove.discard(target.main.path)
            return True
        if all(self.is_marked(s) for s in series.shots if s is not target):
            raise MarkRefused(KEEP_ONE_SHOT)
        self._remove.add(target.main.path)
        return True

    def keep_only_best(self, row: int) -> bool:
        """Mark every shot of the series but its pick for removal (a bracket, or a series the
        user kept whole, is left as it is); True if a mark changed."""
        series = self.series[row]
        pick = series.pick
        if pick is None or series.decided:
            return False
        wanted = {s.main.path for s in series.shots if s is not pick}
        before = set(self._remove)
        self._remove -= {pick.main.path}
        self._remove |= wanted
        return self._remove != before

    def keep_only_best_of_all(self) -> list[int]:
        """Keep only the best of every series (brackets left whole); the rows changed."""
        return [row for row in range(len(self.series)) if self.keep_only_best(row)]

    def keep_every_shot(self, row: int) -> bool:
        """Unmark every shot of the series (the marks only: no decision is made)."""
        paths = {s.main.path for s in self.series[row].shots}
        changed = bool(self._remove & paths)
        self._remove -= paths
        return changed

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
        """Series the user decided about leave the review; True if any was there."""
        kept = [s for s in self.series if s.key not in keys]
        if len(kept) == len(self.series):
            return False
        self.series = kept
        return True

    def photos_moved(self, paths: Iterable[str]) -> None:
        """Shots moved away: their marks are over (the series are found again)."""
        self._remove -= set(paths)


