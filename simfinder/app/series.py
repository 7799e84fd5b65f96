"""Reviewing series (similar shots of one scene): the use cases the command line shares with
the app: the series with their picks, as JSON or CSV, and the user's "keep all" decisions."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO

from simfinder.core.cleanup.actions import ActionReport
from simfinder.core.cleanup.keeper import DEFAULT_PLAN, KeepPlan
from simfinder.core.matching.decisions import DecisionError
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.matching.series import KEEP_ALL, Series, find_series
from simfinder.core.matching.similarity import Strictness
from simfinder.core.progress import CancelToken
from simfinder.core.store.catalog import Catalog, PhotoRecord
from simfinder.core.store.library import Library
from simfinder.core.translatable import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

CSV_COLUMNS = ("series", "kind", "rank", "path", "width", "height", "bytes", "taken_at",
               "keep", "best", "reasons", "decision")
BRACKET_REASON = QT_TRANSLATE_NOOP("engine", "a bracket: every exposure kept")
DECIDED_REASON = QT_TRANSLATE_NOOP("engine", "you decided to keep them all")


def review_series(
    library: Library,
    strictness: Strictness = Strictness.NORMAL,
    *,
    include_decided: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelToken | None = None,
) -> list[Series]:
    """The series to go through: copies count as one shot at `strictness` (the library's
    duplicate setting); series the user kept whole only with `include_decided`. Cancelled,
    raises Cancelled (the shots measured so far are kept in the library)."""
    return find_series(library, strictness, include_decided=include_decided,
                       progress=progress, cancel=cancel)


def series_companions(library: Library, found: Sequence[Series]) -> dict[str, list[str]]:
    """The companion files of the series' photos (they go with a shot moved away)."""
    return library.catalog.companions_of(p.path for s in found for p in s.photos)


def shot_words(series: Series, n: int) -> str:
    """Why shot n (in the series' order) is where it is, in plain words."""
    if series.decided:
        return DECIDED_REASON
    if series.bracket:
        return BRACKET_REASON
    words = ", ".join(series.ranks[n].reasons)
    return words


def keep_all(catalog: Catalog, series: Series) -> int:
    """Remember that the user keeps every shot of this series (by content: it holds across
    renames and moves; a series that gains a shot comes back). Returns the decision's id."""
    files = sorted({(p.digest, p.path) for p in series.photos})
    if len(files) < 2:
        raise DecisionError("a decision is about two photos or more")
    return catalog.add_series_decision(KEEP_ALL, files)


def undo_keep_all(catalog: Catalog, ids: Sequence[int]) -> int:
    return catalog.remove_series_decisions(ids)


def best_only(found: Sequence[Series]) -> list[DuplicateGroup]:
    """"Keep only the best" of each series (brackets left whole), as groups the clean-up
    takes: each series' photos, its best shot's files kept (its copies are the Duplicates
    view's business), the other shots marked for removal."""
    out: list[DuplicateGroup] = []
    for s in found:
        pick = s.pick
        if pick is None or s.decided:
            continue
        out.append(DuplicateGroup("series", s.photos, {p.file_id for p in pick.photos}, 1.0))
    return out


def marked_shots(groups: Sequence[DuplicateGroup]) -> list[PhotoRecord]:
    return [p for g in groups for p in g.photos if p.file_id not in g.keep]


def keep_best(
    library: Library, found: Sequence[Series], *, plan: KeepPlan = DEFAULT_PLAN,
) -> ActionReport:
    """Move every shot but the best of these series to the system trash, journalled (Undo
    puts them back; photos in reference folders never move; a series whose best shot is no
    longer on disk is left alone). The user asked for it: nothing else calls this."""
    from simfinder.app.review import remove_marked

    groups = best_only(found)
    known = library.catalog.companions_of(p.path for g in groups for p in g.photos)
    for g in groups:
        g.companions = {p.path: known[p.path] for p in g.photos if p.path in known}
    return remove_marked(library, groups, plan=plan)


def series_as_json(found: Sequence[Series]) -> dict[str, Any]:
    """`series --json`: each series with its kind ("series" or "bracket"), the bytes keeping
    only the best would free, the user's decision, and its shots best first (a bracket's in
    capture order): each shot's rank, whether it is the pick (`best`), the reasons in words,
    and its files (a shot's copies are its files; `keep` marks the file that stands for it).
    Nothing is marked for removal: every shot is kept until the user says otherwise."""
    out: list[dict[str, Any]] = []
    for s in found:
        out.append({
            "kind": "bracket" if s.bracket else "series",
            "freeable_bytes": s.freeable_bytes,
            "decided": s.decided,
            "decision": None if s.decision is None else {
                "id": s.decision.id, "kind": s.decision.kind,
                "made_at": datetime.fromtimestamp(s.decision.made_at)
                .isoformat(timespec="seconds")},
            "shots": [{
                "rank": n + 1,
                "best": s.pick is shot,
                "reasons": shot_words(s, n),
                "files": [{"path": p.path, "width": p.width, "height": p.height,
                           "bytes": p.size, "format": p.format, "taken_at": p.taken_at,
                           "keep": True, "main": p.file_id == shot.main.file_id}
                          for p in shot.photos],
            } for n, shot in enumerate(s.shots)],
        })
    return {"series": out}


def series_as_csv(found: Sequence[Series], out: TextIO) -> None:
    """One row per file: CSV_COLUMNS, series numbered from 1, rank from 1 (the shot's; its
    copies share it), keep and best as true/false."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for k, s in enumerate(found, 1):
        decision = s.decision.kind if s.decision is not None else ""
        for n, shot in enumerate(s.shots):
            for p in shot.photos:
                writer.writerow([k, "bracket" if s.bracket else "series", n + 1, p.path,
                                 p.width, p.height, p.size, p.taken_at or "", "true",
                                 "true" if s.pick is shot else "false", shot_words(s, n),
                                 decision])
