"""Series: shots of one scene taken moments apart (bursts, retakes, brackets), with the shot a
person would keep picked (`series_rank`).

A series is built from shots, not files: the copies of one capture (a duplicate group at the
library's strictness, or the same bytes twice) are one shot, so a series never mixes copies
with other shots. Two shots belong to one series when

- they look alike (their CNN neighbours' cosine is high: the candidate pairs of duplicate
  grouping, which never loops over all pairs), and are not copies of one capture, and
- they were taken moments apart: capture times (EXIF) within SERIES_WINDOW of each other
  (the same camera, when both name one; beyond BURST_SECONDS they must look more alike), or,
  for shots without capture times, they are near each other in their folder's file order
  (cameras and frame grabbers number them).

A series whose shots line up (one framing) and were exposed differently (the EXIF exposure or
bias differs, or without EXIF their grey levels differ as a bracket's do) is a bracket: all its
shots are kept and none is ranked by exposure.
"""

from __future__ import annotations

import logging
import math
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

import numpy as np

from simfinder.core.cleanup.series_rank import ShotRank, rank_shots
from simfinder.core.matching.capture import CaptureData, capture_data
from simfinder.core.matching.decisions import DecisionIndex, group_key
from simfinder.core.matching.grouping import DuplicateGroup, find_duplicate_groups
from simfinder.core.matching.similarity import Strictness
from simfinder.core.photos.shot_quality import (
    QUALITY_VERSION,
    MeasuredShot,
    ShotQuality,
    face_boxes,
    faces_at,
    measure_without_faces,
    overall_detail,
    tone_difference,
    with_faces,
)
from simfinder.core.progress import Cancelled, CancelToken
from simfinder.core.store.catalog import ROW_CONTENT_ID, DecisionRecord, PhotoRecord
from simfinder.core.store.library import Library

log = logging.getLogger(__name__)

KEEP_ALL: Final = "keep-all"
SERIES_WINDOW: Final = 180.0  # seconds between two shots of one series, at most
FILE_ORDER_REACH: Final = 2  # without capture times: at most this many places apart
# Cosine of the CNN embeddings of two shots of one scene: the other-shots set's series pairs
# (hand-held retakes, video frames, brackets) are at 0.70 and above but for a few exposures two
# stops apart; a sharp frame of a burst and a defocused or shaken one 0.61-0.90 (the series
# set); unrelated photos 0.3-0.5. They must also have been taken moments apart to be linked.
SERIES_COSINE: Final = 0.6
# ... within BURST_SECONDS of each other; shots further apart need a closer likeness: photos of
# several things in one place (banknotes laid one after another on one sheet of paper, a
# minute apart) are as alike as a thing from near and from twice as far (0.57-0.81).
BURST_SECONDS: Final = 20.0
LATER_COSINE: Final = 0.8
# A bracket: exposures a stop or more apart, or grey levels this far apart at the same ranks
# (shot_quality.tone_difference: the other-shots set's brackets 35-137; hand-held retakes of
# one scene under automatic exposure 3-19, and 26 for a retake metered 2/3 stop darker; frames
# of a burst 0-2).
BRACKET_STOPS: Final = 0.9
BRACKET_TONES: Final = 30.0
LINED_UP: Final = 0.6
_WORKERS: Final = 2


@dataclass(slots=True)
class Shot:
    """One capture in a series: its file, or the copies of it (a duplicate group)."""

    photos: list[PhotoRecord]
    main: PhotoRecord  # the file that stands for the shot (the copies' keeper)

    @property
    def size(self) -> int:
        return sum(p.size for p in self.photos)


@dataclass(slots=True)
class Series:
    shots: list[Shot]  # best first (as ranked), or in capture order for a bracket
    bracket: bool
    ranks: list[ShotRank] = field(default_factory=list)  # parallel to shots
    decision: DecisionRecord | None = None  # the user's "keep all", if any

    @property
    def photos(self) -> list[PhotoRecord]:
        return [p for s in self.shots for p in s.photos]

    @property
    def key(self) -> bytes:
        return group_key(self.photos)

    @property
    def pick(self) -> Shot | None:
        """The shot to keep; None for a bracket (all kept)."""
        return None if self.bracket else self.shots[0]

    @property
    def decided(self) -> bool:
        return self.decision is not None

    @property
    def freeable_bytes(self) -> int:
        """What keeping only the pick would free (0 for a bracket)."""
        return 0 if self.bracket else sum(s.size for s in self.shots[1:])


def find_series(
    library: Library,
    strictness: Strictness = Strictness.NORMAL,
    *,
    groups: Sequence[DuplicateGroup] | None = None,
    include_decided: bool = False,
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelToken | None = None,
) -> list[Series]:
    """The library's series, each ranked (brackets in capture order), the series with most
    to free first. `groups`: the duplicate groups at `strictness`, if the caller has them.
    Series the user decided to keep whole are left out unless `include_decided`. `progress`
    gets (shots measured, shots to measure); `cancel` stops the measuring (raises Cancelled;
    the shots measured so far are kept)."""
    if groups is None:
        groups = find_duplicate_groups(library, strictness)
    cat = library.catalog
    rows = cat.photo_rows()
    by_content: dict[int, list[PhotoRecord]] = defaultdict(list)
    for row in rows:
        by_content[row[ROW_CONTENT_ID]].append(PhotoRecord.of(row))
    shots, shot_of = _shots(by_content, groups)
    pairs = _linked_pairs(library, shots, shot_of)
    members = _components(len(shots), pairs)
    quality = shot_qualities(library, [[shots[i].main.content_id for i in m] for m in members],
                             progress, cancel)

    found: list[Series] = []
    for m in members:
        in_series = sorted((shots[i] for i in m), key=_capture_order)
        qs = [quality.get(s.main.content_id) for s in in_series]
        if _is_bracket(in_series, qs):
            found.append(Series(in_series, True))
            continue
        ranks = rank_shots(qs)
        found.append(Series([in_series[r.index] for r in ranks], False, ranks))
    index = DecisionIndex(cat.series_decisions())
    if len(index):
        for s in found:
            match = index.match(s.photos)
            if match is not None and len(match.covered) == len(s.photos):
                s.decision = match.decision
    if not include_decided:
        found = [s for s in found if not s.decided]
    found.sort(key=lambda s: (s.bracket, -s.freeable_bytes, s.shots[0].main.path))
    log.info("series: %d (%d shots) from %d linked pairs", len(found),
             sum(len(s.shots) for s in found), len(pairs))
    return found


def _shots(
    by_content: dict[int, list[PhotoRecord]], groups: Sequence[DuplicateGroup]
) -> tuple[list[Shot], dict[int, int]]:
    """Every capture as a shot (a duplicate group's files are one), and each content's shot."""
    shots: list[Shot] = []
    shot_of: dict[int, int] = {}
    for g in groups:
        contents = {p.content_id for p in g.photos}
        if any(c in shot_of for c in contents):
            continue
        main = next((p for p in g.photos if p.file_id in g.keep), g.photos[0])
        for c in contents:
            shot_of[c] = len(shots)
        shots.append(Shot(list(g.photos), main))
    for cid, photos in by_content.items():
        if cid not in shot_of:
            shot_of[cid] = len(shots)
            ordered = sorted(photos, key=lambda p: p.path)
            shots.append(Shot(ordered, ordered[0]))
    return shots, shot_of


def _moment(p: PhotoRecord) -> datetime | None:
    if not p.taken_at:
        return None
    try:
        return datetime.fromisoformat(p.taken_at)
    except ValueError:
        return None


def _linked_pairs(
    library: Library, shots: list[Shot], shot_of: dict[int, int]
) -> list[tuple[int, int]]:
    """Shot pairs (i < j) that look alike and were taken moments apart."""
    from simfinder.core.matching.candidates import find_candidates  # the CNN neighbours, hashes

    found = find_candidates(library, Strictness.LOOSE)
    close = found.evidence.cosine >= SERIES_COSINE
    order = _file_order(shots)
    out: set[tuple[int, int]] = set()
    for a, b, cosine in zip(found.a[close].tolist(), found.b[close].tolist(),
                            found.evidence.cosine[close].tolist(), strict=True):
        i, j = shot_of.get(a), shot_of.get(b)
        if i is None or j is None or i == j:
            continue
        gap = _seconds_apart(i, j, shots, order)
        if gap is None:
            continue
        if gap <= BURST_SECONDS or cosine >= LATER_COSINE:
            out.add((min(i, j), max(i, j)))
    return sorted(out)


def _file_order(shots: list[Shot]) -> dict[int, list[tuple[str, int]]]:
    """Each shot's places in file order: (folder, place by name) of each of its files."""
    by_folder: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for n, s in enumerate(shots):
        for p in s.photos:
            folder, name = os.path.split(p.path)
            by_folder[folder].append((name, n))
    out: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for folder, names in by_folder.items():
        for place, (_, n) in enumerate(sorted(names)):
            out[n].append((folder, place))
    return out


def _seconds_apart(i: int, j: int, shots: list[Shot],
                   order: dict[int, list[tuple[str, int]]]) -> float | None:
    """How far apart in time two shots were taken, if moments apart: capture times within
    SERIES_WINDOW (and not by two cameras); without capture times, near each other in a
    folder's file order (a shot's copies may lie in other folders: any of its files counts),
    taken as a burst (0). None when they were not taken moments apart."""
    a, b = shots[i].main, shots[j].main
    ta, tb = _moment(a), _moment(b)
    if ta is not None and tb is not None:
        if a.camera and b.camera and a.camera != b.camera:
            return None
        gap = abs((ta - tb).total_seconds())
        return gap if gap <= SERIES_WINDOW else None
    near = any(fa == fb and abs(pa - pb) <= FILE_ORDER_REACH
               for fa, pa in order[i] for fb, pb in order[j])
    return 0.0 if near else None


def _components(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """The connected shots (two or more) of the linked pairs."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    members: dict[int, list[int]] = defaultdict(list)
    for x in {v for pair in pairs for v in pair}:
        members[root(x)].append(x)
    return [sorted(m) for m in members.values() if len(m) >= 2]


def _capture_order(s: Shot) -> tuple[str, str]:
    return (s.main.taken_at or "", s.main.path)


def _exposure_value(d: CaptureData) -> float | None:
    """log2 of the light the exposure let in (time x ISO / f-number squared), where the
    camera wrote time and ISO."""
    if not d.exposure_time or not d.iso:
        return None
    f_number = float(d.f_number) if d.f_number else 1.0
    return math.log2(float(d.exposure_time) * d.iso / (f_number * f_number))


def _is_bracket(shots: Sequence[Shot], qs: Sequence[ShotQuality | None]) -> bool:
    """Shots exposed differently on purpose: the EXIF bias differs (the camera's bracketing);
    or, for shots that line up (`_lined_up`: one framing), the exposure differs by a stop or
    more (a camera's automatic exposure moves by less between shots of one scene: 1/30 and
    1/40 s, unless the framing changed) or their grey levels differ as a bracket's do (some
    editors copy one EXIF onto every exposure)."""
    data = [d for d in (capture_data(Path(s.main.path)) for s in shots) if d is not None]
    if len({d.bias for d in data if d.bias is not None}) >= 2:
        return True
    measured = [q for q in qs if q is not None]
    if not _lined_up(measured):
        return False  # reframed between shots: the camera metered another picture
    values = [v for v in (_exposure_value(d) for d in data) if v is not None]
    if values and max(values) - min(values) >= BRACKET_STOPS:
        return True
    return any(tone_difference(a, b) >= BRACKET_TONES
               for k, a in enumerate(measured) for b in measured[k + 1:])


def _lined_up(qs: Sequence[ShotQuality]) -> bool:
    """Two of the shots have their detail in the same places (their detail maps correlate):
    a bracket's neighbouring exposures correlate 0.64-0.97, from a tripod or the hand, in the
    other-shots set (the extremes less: what one blows out the other shows); a thing shot
    from near and from further, 0.5 or less."""
    return any(_pair_lined_up(a, b) for k, a in enumerate(qs) for b in qs[k + 1:])


def _pair_lined_up(a: ShotQuality, b: ShotQuality) -> bool:
    return float(np.corrcoef(a.detail.ravel(), b.detail.ravel())[0, 1]) >= LINED_UP


def shot_qualities(
    library: Library, series: Sequence[Sequence[int]],
    progress: Callable[[int, int], None] | None = None,
    cancel: CancelToken | None = None,
) -> dict[int, ShotQuality]:
    """The measures of the contents of these series (their content ids, a list a series):
    stored, or measured now (from a file of the content that can be read) and stored, the
    faces of a series searched once where its shots line up (`series_faces`). Cancelled
    (raises Cancelled), the series measured so far are stored all the same."""
    import json

    cat = library.catalog
    wanted = sorted({c for s in series for c in s})
    out = {cid: ShotQuality.from_json(json.loads(text))
           for cid, text in cat.shot_measures(wanted, QUALITY_VERSION).items()}
    seen: set[int] = set(out)
    todo_series: list[list[int]] = []
    for s in series:
        todo = [c for c in dict.fromkeys(s) if c not in seen]
        seen.update(todo)
        if todo:
            todo_series.append(todo)
    todo_count = sum(len(s) for s in todo_series)
    if not todo_count:
        return out
    paths: dict[int, list[Path]] = defaultdict(list)
    for row in cat.photo_rows_of_contents([c for s in todo_series for c in s]):
        paths[row[ROW_CONTENT_ID]].append(Path(row[1]))

    def measure(cid: int) -> MeasuredShot | None:
        path = next((p for p in paths.get(cid, []) if p.is_file()), None)
        return None if path is None else measure_without_faces(path)

    def measure_series(cids: list[int]) -> tuple[dict[int, ShotQuality], int]:
        return series_faces([(c, measure(c)) for c in cids])

    fresh: dict[int, ShotQuality] = {}
    searches = 0
    done = 0
    cancelled = False
    # A series a task: its shots are measured, then its faces searched, on one worker (the
    # shots' grey images are held only while their series is at work).
    with ThreadPoolExecutor(_WORKERS) as pool:
        futures = {pool.submit(measure_series, s): len(s) for s in todo_series}
        try:
            for future in as_completed(futures):
                faces, n = future.result()
                fresh.update(faces)
                searches += n
                done += futures[future]
                if progress is not None:
                    progress(done, todo_count)
                if cancel is not None and cancel.cancelled:
                    cancelled = True
                    break
        finally:
            for future in futures:
                future.cancel()  # those not started; the pool waits for the two running
    log.info("measured %d shots, faces searched on %d of them", len(fresh), searches)
    if fresh:
        try:
            cat.put_shot_measures(((c, json.dumps(q.as_json())) for c, q in fresh.items()),
                                  QUALITY_VERSION)
        except Exception as exc:  # a read-only or busy library: measured again next time
            log.info("shot measures not stored: %s", exc)
    if cancelled:
        raise Cancelled
    out.update(fresh)
    return out


def series_faces(
    shots: Sequence[tuple[int, MeasuredShot | None]],
) -> tuple[dict[int, ShotQuality], int]:
    """The measures of a series' shots with their faces, and how many times the face
    detector ran. The faces are searched on the series' sharpest shot (where the detector
    sees them best) and measured at the same places on every shot that lines up with it
    (one framing: a burst, retakes from the hand), so a blurred shot's faces are measured
    where they are even where the detector would miss them; a shot that does not line up
    (reframed) is searched itself."""
    readable = [(c, m) for c, m in shots if m is not None]
    if not readable:
        return {}, 0
    _, sharpest = max(readable, key=lambda cm: overall_detail(cm[1].quality))
    boxes = face_boxes(sharpest.grey)
    searches = 1
    out: dict[int, ShotQuality] = {}
    for cid, m in readable:
        own = boxes
        if m is not sharpest and not _pair_lined_up(m.quality, sharpest.quality):
            own = face_boxes(m.grey)
            searches += 1
        out[cid] = with_faces(m.quality, faces_at(m.grey, own))
    return out, searches
