"""Duplicate groups: exact copies (same bytes) and near-duplicates (same photo, other file).

Each candidate pair (`candidates`: CNN neighbours and close hashes, never an all-pairs loop)
is judged on its evidence (`similarity`): pairs the hashes do not settle and whose cosine makes
a copy possible are verified geometrically (`pairchecks`, kept in the catalog).

Accepted pairs are joined strongest first; two groups are not joined while any pair across
them is clearly another shot of the scene (a verification that matched many features which do
not line up as in a copy), so that a chain A~B~C never puts two different shots together.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simfinder.core.cleanup.keeper import DEFAULT_PLAN, best_photo
from simfinder.core.matching.candidates import find_candidates
from simfinder.core.matching.decisions import GROUP, DecisionIndex, cannot_link, group_key
from simfinder.core.matching.pairchecks import EVIDENCE_COLUMNS, PairChecker, from_row
from simfinder.core.matching.similarity import Evidence, Strictness, score
from simfinder.core.matching.verdicts import near_duplicates, other_shots
from simfinder.core.store.catalog import ROW_CONTENT_ID, DecisionRecord, PhotoRecord, PhotoRow
from simfinder.core.store.library import Library

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DuplicateGroup:
    kind: str  # "exact" or "near"
    photos: list[PhotoRecord]
    keep: set[int]  # file ids to keep
    confidence: float  # lowest score of the pairs that joined the group (1.0 for exact)
    decision: DecisionRecord | None = None  # the user's decision about (most of) the group
    settled: frozenset[int] = frozenset()  # file ids that decision covers
    # Photo path -> its companion files (core.photos.companions), for the photos that have any.
    companions: dict[str, list[str]] = field(default_factory=dict)

    @property
    def reclaimable_bytes(self) -> int:
        return sum(p.size for p in self.photos if p.file_id not in self.keep)

    @property
    def decided(self) -> bool:
        """Every file is covered by the user's decision: the review leaves it out."""
        return self.decision is not None and len(self.settled) == len(self.photos)

    @property
    def reopened(self) -> bool:
        """A group the user decided about as a whole has new files since."""
        return (self.decision is not None and self.decision.scope == GROUP
                and not self.decided)

    @property
    def new(self) -> set[int]:
        """File ids of a reopened group that the decision did not see."""
        if not self.reopened:
            return set()
        return {p.file_id for p in self.photos if p.file_id not in self.settled}

    @property
    def key(self) -> bytes:
        return group_key(self.photos)


def choose_keeper(photos: list[PhotoRecord]) -> PhotoRecord:
    """The default keeper: the first by keeper.DEFAULT_RULES (the rules the GUI starts with)."""
    return best_photo(photos, DEFAULT_PLAN)


@dataclass(frozen=True, slots=True)
class PairJudgement:
    evidence: Evidence
    accepted: bool
    score: float
    another_shot: bool  # clearly another shot: never in one group with the other photo
    # Accepted at strict or normal: joins a group only if the originals show one capture
    # (capture_checks), asked when the pair would join two groups.
    check_capture: bool = False


def judge_pairs(
    library: Library,
    strictness: Strictness,
    checker: PairChecker | None = None,
) -> dict[tuple[int, int], PairJudgement]:
    """The candidate content pairs (a < b) that matter to the clustering at `strictness`:
    those accepted as near-duplicates and those that are clearly another shot (what to keep
    in memory to group again after a decision; most candidate pairs are neither)."""
    checker = checker or PairChecker(library)
    asked: npt.NDArray[np.int64] | None = None
    while True:
        found = find_candidates(library, strictness)
        to_verify = np.flatnonzero(found.verify)
        pairs = np.stack([found.a[to_verify], found.b[to_verify]])
        if asked is not None and np.array_equal(asked, pairs):
            break  # nothing new to ask (a read-only catalog keeps no verification to widen it)
        asked = pairs
        before = checker.stats.verified
        have, values = checker.check_table(pairs[0], pairs[1])
        # Copies verified just now let the photos near them look past them (candidates), so
        # the pairs to verify may grow; after the comparing stage, all are stored already.
        if checker.stats.verified == before or checker.stored_only:
            break
    log.info("grouping: %d candidate pairs, %d to verify (%d from earlier runs) in %.2f s",
             len(found), len(to_verify), checker.stats.stored, checker.stats.seconds)

    verified = to_verify[have]  # candidate positions with a verification
    values = values[have]
    evidence = found.evidence.with_measures(verified, values[:, EVIDENCE_COLUMNS])
    row_of = np.full(len(found), -1, dtype=np.int64)
    row_of[verified] = np.arange(len(verified))
    accepted = near_duplicates(evidence, strictness)
    another = other_shots(evidence) & ~accepted
    # Another exposure or moment of a still scene is not a copy at strict or normal (at loose
    # such shots may group): the clustering asks the originals before an accepted pair joins.
    capture = strictness != Strictness.LOOSE
    out: dict[tuple[int, int], PairJudgement] = {}
    for k in np.flatnonzero(accepted | another).tolist():
        row = int(row_of[k])
        ev = found.evidence_of(k, from_row(values[row].tolist()) if row >= 0 else None)
        ok = bool(accepted[k])
        out[(int(found.a[k]), int(found.b[k]))] = PairJudgement(
            ev, ok, score(ev) if ok else 0.0, not ok, ok and capture)
    return out


def pairs_to_verify(library: Library) -> list[tuple[int, int]]:
    """The candidate pairs (a < b) that grouping verifies geometrically, at any strictness."""
    found = find_candidates(library, Strictness.LOOSE)
    return found.pairs(found.verify)


def find_duplicate_groups(
    library: Library,
    strictness: Strictness = Strictness.NORMAL,
    decisions: Sequence[DecisionRecord] | None = None,
) -> list[DuplicateGroup]:
    """Exact groups first (most bytes to reclaim first), then near groups by confidence, with
    the user's decisions (the library's, unless given) applied: see `group_judged`."""
    return group_judged(library, judge_pairs(library, strictness), decisions)


def group_judged(
    library: Library,
    judged: dict[tuple[int, int], PairJudgement],
    decisions: Sequence[DecisionRecord] | None = None,
) -> list[DuplicateGroup]:
    """Groups from judged pairs. "Not duplicates" decisions keep their contents apart (never
    in one group, even through a third photo); every group carries the decision that covers
    most of its files (decided groups are all covered; the caller leaves them out or not).
    Nothing is judged or verified again: deciding costs one clustering."""
    if decisions is None:
        decisions = library.catalog.decisions()
    index = DecisionIndex(decisions)
    apart: set[tuple[int, int]] = set()
    if len(index):
        content_of = {digest: cid for cid, digest in library.catalog.content_digests().items()}
        apart = cannot_link(decisions, content_of)
    from simfinder.core.matching.capture_checks import CaptureLookup  # OpenCV: loaded when needed

    lookup = CaptureLookup(library)
    if any(j.check_capture for j in judged.values()):
        # The joins that ask are known before asking: those of the clustering in which every
        # pair is one capture. Their checks are judged first on both cores (each decodes two
        # originals at 768 px and more), not one at a time as the joins come; a pair found to
        # be two captures changes the joins after it, and those few are asked as they come.
        asked: list[tuple[int, int]] = []

        def one_capture(pair: tuple[int, int]) -> bool:
            asked.append(pair)
            return True

        _cluster(judged, apart, one_capture)
        lookup.prefetch(asked)
    members, weakest = _cluster(judged, apart, lookup.same_capture)

    # Rows, not records, for the whole library: only the grouped photos become PhotoRecords.
    by_content: dict[int, list[PhotoRow]] = defaultdict(list)
    for row in library.catalog.photo_rows():
        by_content[row[ROW_CONTENT_ID]].append(row)

    groups: list[DuplicateGroup] = []
    in_near: set[int] = set()
    for root, contents in members.items():
        rows = [r for c in sorted(contents) for r in by_content.get(c, [])]
        if len(rows) < 2 or len(contents) < 2:
            continue
        in_near.update(contents)
        groups.append(_group("near", [PhotoRecord.of(r) for r in rows], weakest.get(root, 1.0)))
    for cid, rows in by_content.items():
        if len(rows) >= 2 and cid not in in_near:
            groups.append(_group("exact", [PhotoRecord.of(r) for r in rows], 1.0))
    groups.sort(
        key=lambda g: (g.kind != "exact", -g.confidence, -g.reclaimable_bytes, g.photos[0].path)
    )
    if len(index):
        for g in groups:
            found = index.match(g.photos)
            if found is not None:
                g.decision, g.settled = found.decision, found.covered
    return groups


def _cluster(
    judged: dict[tuple[int, int], PairJudgement],
    kept_apart: Iterable[tuple[int, int]] = (),
    same_capture: Callable[[tuple[int, int]], bool] | None = None,
) -> tuple[dict[int, set[int]], dict[int, float]]:
    """Join accepted pairs, strongest first, except across a pair that is clearly another
    shot or that the user said is not a duplicate, and on a pair that `same_capture` says is
    two captures (asked only for pairs that would join two groups: a group of n copies costs
    n - 1 questions, not n * (n - 1) / 2). Returns the groups' members by root and the weakest
    score that joined each."""
    members: dict[int, set[int]] = {}
    apart: dict[int, set[int]] = defaultdict(set)  # root -> contents it must not meet
    root_of: dict[int, int] = {}
    for (a, b), j in judged.items():
        if j.another_shot:
            apart[a].add(b)
            apart[b].add(a)
    for a, b in kept_apart:
        apart[a].add(b)
        apart[b].add(a)
    weakest: dict[int, float] = {}
    accepted = sorted(((j.score, pair) for pair, j in judged.items() if j.accepted),
                      key=lambda item: (-item[0], item[1]))
    for s, (a, b) in accepted:
        ra, rb = root_of.setdefault(a, a), root_of.setdefault(b, b)
        ma, mb = members.setdefault(ra, {a}), members.setdefault(rb, {b})
        if ra == rb:
            continue
        if len(ma) > len(mb):
            ra, rb, ma, mb = rb, ra, mb, ma
        if apart[ra] & mb or apart[rb] & ma:
            continue  # would put another shot of the scene in the group
        if same_capture is not None and judged[(a, b)].check_capture and not same_capture((a, b)):
            apart[ra].add(b)  # another exposure or moment: never in one group with it
            apart[rb].add(a)
            continue
        for c in ma:
            root_of[c] = rb
        mb |= ma
        apart[rb] |= apart.pop(ra, set())
        del members[ra]
        weakest[rb] = min(s, weakest.pop(ra, 1.0), weakest.get(rb, 1.0))
    return members, weakest


def _group(kind: str, files: Iterable[PhotoRecord], confidence: float) -> DuplicateGroup:
    ordered = sorted(files, key=lambda p: p.path)
    keeper = choose_keeper(ordered)
    return DuplicateGroup(kind, ordered, {keeper.file_id}, round(confidence, 4))
