"""Duplicate groups: exact copies (same bytes) and near-duplicates (same photo, other file).

Candidate pairs come from the vector index's k nearest neighbours and from pHash buckets
(multi-index Hamming search), of the photos as they are and flipped or quarter-turned (the
turned hashes kept at index time), never from an all-pairs loop. Each candidate pair is judged
on its evidence (`similarity`): pairs the hashes do not settle and whose cosine makes a copy
possible are verified geometrically (`pairchecks`, kept in the catalog).

Accepted pairs are joined strongest first; two groups are not joined while any pair across
them is clearly another shot of the scene (a verification that matched many features which do
not line up as in a copy), so that a chain A~B~C never puts two different shots together.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from simfinder.core.catalog import DecisionRecord, PhotoRecord
from simfinder.core.decisions import GROUP, DecisionIndex, cannot_link, group_key
from simfinder.core.hashes import (
    TRANSFORMS,
    compute_transform_hashes,
    pairs_within,
    pairwise_distances,
)
from simfinder.core.keeper import DEFAULT_PLAN, best_photo
from simfinder.core.library import Library
from simfinder.core.neighbours import neighbour_table
from simfinder.core.pairchecks import PairChecker
from simfinder.core.similarity import (
    RULES,
    VERIFY_FLOOR,
    Evidence,
    Strictness,
    clearly_another_shot,
    is_near_duplicate,
    score,
    settled_by_hashes,
)

log = logging.getLogger(__name__)



@dataclass(slots=True)
class DuplicateGroup:
    kind: str  # "exact" or "near"
    photos: list[PhotoRecord]
    keep: set[int]  # file ids to keep
    confidence: float  # lowest score of the pairs that joined the group (1.0 for exact)
    decision: DecisionRecord | None = None  # the user's decision about (most of) the group
    settled: frozenset[int] = frozenset()  # file ids that decision covers

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


# Which neighbours of a photo are verified as possible heavily edited copies (the cheap
# evidence cannot tell those from other photos of the same kind): its first _RESCUE_RANK
# neighbours at cosine >= VERIFY_FLOOR, and its nearest _CLOSE_RANK down to _CLOSE_RANK_FLOOR
# (a copy turned by an odd angle, or a screenshot of it, is often the nearest photo there is,
# at cosine 0.3-0.45). This bounds verification to a few pairs per photo however dense the
# library is; pairs the cheap rules would accept are verified too (to veto other shots).
_RESCUE_RANK = 6
_CLOSE_RANK = 3
_CLOSE_RANK_FLOOR = 0.3
_CHUNK = 4096


@dataclass(frozen=True, slots=True)
class PairJudgement:
    evidence: Evidence
    accepted: bool
    score: float
    another_shot: bool  # clearly another shot: never in one group with the other photo


def judge_pairs(
    library: Library,
    strictness: Strictness,
    checker: PairChecker | None = None,
) -> dict[tuple[int, int], PairJudgement]:
    """Every candidate content pair (a < b) with its evidence and verdict at `strictness`."""
    evidence, to_verify = _candidates(library, strictness)
    checker = checker or PairChecker(library)
    if to_verify:
        checks = checker.check(to_verify)
        for pair in to_verify:
            evidence[pair] = evidence[pair].with_verification(checks.get(pair))
    log.info("grouping: %d candidate pairs, %d verified (%d from earlier runs) in %.2f s",
             len(evidence), len(to_verify), checker.stats.stored, checker.stats.seconds)

    out: dict[tuple[int, int], PairJudgement] = {}
    for pair, ev in evidence.items():
        accepted = is_near_duplicate(ev, strictness)
        out[pair] = PairJudgement(ev, accepted, score(ev) if accepted else 0.0,
                                  not accepted and clearly_another_shot(ev))
    return out


def pairs_to_verify(library: Library) -> list[tuple[int, int]]:
    """The candidate pairs (a < b) that grouping verifies geometrically, at any strictness."""
    return _candidates(library, Strictness.LOOSE)[1]


def _candidates(
    library: Library, strictness: Strictness
) -> tuple[dict[tuple[int, int], Evidence], list[tuple[int, int]]]:
    """Candidate pairs with their cheap evidence, and those of them to verify."""
    cat = library.catalog
    ids, phashes, dhashes = cat.hashes()
    if len(ids) < 2:
        return {}, []
    turned_ph, turned_dh, has_turns = _turned_hashes(library, ids)
    position = {int(cid): i for i, cid in enumerate(ids.tolist())}
    rule = RULES[strictness]
    vectors = library.vectors
    live = vectors.labels()
    candidates: set[tuple[int, int]] = set()
    cos_of: dict[tuple[int, int], float] = {}
    neighbours: dict[int, list[tuple[int, float]]] = {}

    # 1. CNN neighbours (core.neighbours).
    floor = min(VERIFY_FLOOR, *(min(r.cosine_with_hashes, r.cosine_same_hashes)
                                for r in RULES.values()))
    indexed = np.asarray([c for c in ids.tolist() if c in live], dtype=np.int64)
    table, table_cos = neighbour_table(library, indexed)
    for a, row, row_cos in zip(indexed.tolist(), table.tolist(), table_cos.tolist(),
                               strict=True):
        near: list[tuple[int, float]] = []
        for b, sim in zip(row, row_cos, strict=True):
            if b < 0:
                break
            near.append((b, sim))
            pair = (min(a, b), max(a, b))
            cos_of[pair] = sim
            if sim >= floor or (len(near) <= _CLOSE_RANK and sim >= _CLOSE_RANK_FLOOR):
                candidates.add(pair)
        neighbours[a] = near

    # 2. pHash neighbours: catches pairs the CNN ranks below its k nearest.
    radius = max(rule.max_hash_bits, rule.same_hash_bits)
    for i, j in pairs_within(phashes, radius).tolist():
        a, b = int(ids[i]), int(ids[j])
        candidates.add((min(a, b), max(a, b)))

    # 3. Flipped and quarter-turned copies: a photo's turned pHashes near another's pHash.
    n = len(ids)
    if has_turns.any():
        stacked = np.concatenate([phashes, turned_ph[has_turns].ravel()])
        owner = np.concatenate([np.arange(n), np.repeat(np.flatnonzero(has_turns),
                                                        len(TRANSFORMS))])
        for i, j in pairs_within(stacked, rule.same_hash_bits).tolist():
            if (i < n) != (j < n) and owner[i] != owner[j]:
                a, b = int(ids[owner[i]]), int(ids[owner[j]])
                candidates.add((min(a, b), max(a, b)))

    pairs = sorted(candidates)
    evidence: dict[tuple[int, int], Evidence] = {}
    for start in range(0, len(pairs), _CHUNK):
        chunk_pairs = pairs[start : start + _CHUNK]
        found = _evidence(library, chunk_pairs, position, phashes, dhashes,
                          (turned_ph, turned_dh, has_turns), live, cos_of)
        for pair, ev in zip(chunk_pairs, found, strict=True):
            if ev is not None:
                evidence[pair] = ev

    # 4. Geometric verification where the hashes leave it open: possible edited copies among
    #    each photo's nearest, and pairs the cheap rules would take (perhaps other shots).
    rescue = _rescue_pairs(neighbours, [pair for pair, ev in evidence.items()
                                        if settled_by_hashes(ev)])
    to_verify = [pair for pair, ev in evidence.items()
                 if not settled_by_hashes(ev)
                 and (pair in rescue or is_near_duplicate(ev, Strictness.LOOSE))]
    return evidence, to_verify


def pairs_that_group(
    judged: dict[tuple[int, int], PairJudgement],
) -> dict[tuple[int, int], PairJudgement]:
    """The judged pairs the clustering looks at (accepted, or clearly another shot): what to
    keep in memory to group again after a decision (most candidate pairs are neither)."""
    return {pair: j for pair, j in judged.items() if j.accepted or j.another_shot}


def _rescue_pairs(
    neighbours: dict[int, list[tuple[int, float]]], same: list[tuple[int, int]]
) -> set[tuple[int, int]]:
    """The neighbours of each photo worth verifying as possibly edited copies: its first
    _RESCUE_RANK at cosine >= VERIFY_FLOOR and its nearest _CLOSE_RANK at >= _CLOSE_RANK_FLOOR,
    skipping photos already known to be the same picture as it (their hashes say so): in a
    cluster of many copies, the slots go to the photos that could still join it."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = parent.setdefault(x, x)
        while root != parent[root]:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in same:
        parent[find(a)] = find(b)
    out: set[tuple[int, int]] = set()
    for a, near in neighbours.items():
        verifiable = 0
        for rank, (b, sim) in enumerate(near, 1):
            if find(a) == find(b):
                continue
            if sim >= VERIFY_FLOOR and verifiable < _RESCUE_RANK:
                verifiable += 1
                out.add((min(a, b), max(a, b)))
            elif rank <= _CLOSE_RANK and sim >= _CLOSE_RANK_FLOOR:
                out.add((min(a, b), max(a, b)))
    return out


def near_duplicate_pairs(
    library: Library, strictness: Strictness
) -> dict[tuple[int, int], float]:
    """Accepted content pairs (a < b) with their score."""
    return {pair: j.score for pair, j in judge_pairs(library, strictness).items() if j.accepted}


def _turned_hashes(
    library: Library, ids: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.bool_]]:
    """Turned pHashes and dHashes aligned with `ids` (n, 7), and which contents have them.

    Contents indexed before turned hashes were kept get them from their thumbnail, once."""
    cat = library.catalog
    missing = cat.contents_without_turned_hashes()
    if missing:
        _backfill_turned_hashes(library, missing)
    t_ids, t_ph, t_dh = cat.turned_hashes()
    k = len(TRANSFORMS)
    ph = np.zeros((len(ids), k), dtype=np.uint64)
    dh = np.zeros((len(ids), k), dtype=np.uint64)
    has = np.zeros(len(ids), dtype=bool)
    if len(t_ids) and t_ph.shape[1] == k:
        rows = np.searchsorted(ids, t_ids)
        ok = (rows < len(ids)) & (ids[np.minimum(rows, len(ids) - 1)] == t_ids)
        ph[rows[ok]] = t_ph[ok]
        dh[rows[ok]] = t_dh[ok]
        has[rows[ok]] = True
    return ph, dh, has


def _backfill_turned_hashes(library: Library, missing: list[tuple[int, bytes]]) -> None:
    found: list[tuple[int, list[int], list[int]]] = []
    for content_id, digest in missing:
        try:
            with Image.open(library.thumbs.path_for(digest)) as im:
                turned = compute_transform_hashes(im.convert("L"))
        except (OSError, UnidentifiedImageError, ValueError):
            continue
        found.append((content_id, [h.phash for h in turned], [h.dhash for h in turned]))
    if not found:
        return
    try:
        with library.catalog.transaction():
            for content_id, ph, dh in found:
                library.catalog.put_turned_hashes(content_id, ph, dh)
        log.info("computed turned hashes of %d photos indexed earlier", len(found))
    except sqlite3.Error as exc:
        log.info("could not keep turned hashes: %s", exc)


_Turns = tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.bool_]]


def _evidence(
    library: Library,
    pairs: list[tuple[int, int]],
    position: dict[int, int],
    phashes: npt.NDArray[np.uint64],
    dhashes: npt.NDArray[np.uint64],
    turns: _Turns,
    live: set[int],
    known_cos: dict[tuple[int, int], float],
) -> list[Evidence | None]:
    """Evidence for a chunk of pairs, computed with array operations (cosines the kNN search
    gave are used as they are; the others are computed from the stored vectors)."""
    ok = np.array([a in live and b in live for a, b in pairs], dtype=bool)
    cos = np.array([known_cos.get(pair, np.nan) for pair in pairs], dtype=np.float64)
    missing = [k for k, pair in enumerate(pairs) if ok[k] and pair not in known_cos]
    if missing:
        wanted = sorted({c for k in missing for c in pairs[k]})
        row_of = {c: i for i, c in enumerate(wanted)}
        vecs = library.vectors.vectors(wanted)
        ra = np.array([row_of[pairs[k][0]] for k in missing], dtype=np.int64)
        rb = np.array([row_of[pairs[k][1]] for k in missing], dtype=np.int64)
        cos[missing] = np.einsum("ij,ij->i", vecs[ra], vecs[rb])
    pa = np.array([position[a] for a, _ in pairs], dtype=np.int64)
    pb = np.array([position[b] for _, b in pairs], dtype=np.int64)
    dp = pairwise_distances(phashes[pa], phashes[pb])
    dd = pairwise_distances(dhashes[pa], dhashes[pb])
    turned, turn = _turned_distances(pa, pb, phashes, dhashes, turns)
    return [
        Evidence(float(c), int(p), int(d), t if t >= 0 else None, k if t >= 0 else None)
        if good else None
        for c, p, d, t, k, good in zip(cos.tolist(), dp.tolist(), dd.tolist(), turned.tolist(),
                                       turn.tolist(), ok.tolist(), strict=True)
    ]


def _turned_distances(
    pa: npt.NDArray[np.int64],
    pb: npt.NDArray[np.int64],
    phashes: npt.NDArray[np.uint64],
    dhashes: npt.NDArray[np.uint64],
    turns: _Turns,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """pHash + dHash distance of the best flip or quarter-turn (either photo turned), and
    which one; -1 where neither photo has turned hashes."""
    turned_ph, turned_dh, has = turns
    k = len(TRANSFORMS)
    best = np.full(len(pa), 10_000, dtype=np.int64)
    which = np.full(len(pa), -1, dtype=np.int64)
    for turned_side, plain_side in ((pa, pb), (pb, pa)):
        d = (pairwise_distances(turned_ph[turned_side].ravel(),
                                np.repeat(phashes[plain_side], k)).astype(np.int64)
             + pairwise_distances(turned_dh[turned_side].ravel(),
                                  np.repeat(dhashes[plain_side], k)).astype(np.int64))
        d = d.reshape(len(pa), k)
        d[~has[turned_side]] = 10_000
        arg = d.argmin(axis=1)
        low = d[np.arange(len(pa)), arg]
        better = low < best
        best[better] = low[better]
        which[better] = arg[better]
    best[which < 0] = -1
    return best, which


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
    members, weakest = _cluster(judged, apart)

    photos = library.catalog.photos()
    by_content: dict[int, list[PhotoRecord]] = defaultdict(list)
    for p in photos:
        by_content[p.content_id].append(p)

    groups: list[DuplicateGroup] = []
    in_near: set[int] = set()
    for root, contents in members.items():
        files = [p for c in sorted(contents) for p in by_content.get(c, [])]
        if len(files) < 2 or len(contents) < 2:
            continue
        in_near.update(contents)
        groups.append(_group("near", files, weakest.get(root, 1.0)))
    for cid, files in by_content.items():
        if len(files) >= 2 and cid not in in_near:
            groups.append(_group("exact", files, 1.0))
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
) -> tuple[dict[int, set[int]], dict[int, float]]:
    """Join accepted pairs, strongest first, except across a pair that is clearly another
    shot or that the user said is not a duplicate. Returns the groups' members by root and
    the weakest score that joined each."""
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
