"""The pairs of photos duplicate grouping looks at, with their cheap evidence, as arrays.

Candidate pairs come from each photo's nearest photos by CNN embedding (`neighbours`) and from
pHash buckets (multi-index Hamming search), of the photos as they are and flipped or
quarter-turned (the turned hashes kept at index time), never from an all-pairs loop. The hash
search radii are the strictness's (loose's cost ~10x more than normal's); the pairs to verify
geometrically are the same at every strictness but for the few that only looser radii find.

Everything here is array work: a library of 100,000 photos has ~1,000,000 candidate pairs, too
many for a Python object each; only the pairs that need a closer look become `Evidence`.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from simfinder.core.indexing.neighbours import LISTED, NEIGHBOURS, neighbour_table
from simfinder.core.matching.pairchecks import EVIDENCE_COLUMNS
from simfinder.core.matching.similarity import RULES, VERIFY_FLOOR, Evidence, Strictness
from simfinder.core.matching.verdicts import (
    EvidenceArrays,
    copies_by_features,
    near_duplicates,
    settled_by_hashes,
)
from simfinder.core.matching.verify import VERIFY_VERSION, Verification
from simfinder.core.photos.hashes import (
    TRANSFORMS,
    compute_transform_hashes,
    pairs_within,
    pairwise_distances,
)
from simfinder.core.store.library import Library
from simfinder.core.store.sorted_ids import first_of_runs, member, positions

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]

# Which neighbours of a photo are verified as possible heavily edited copies (the cheap
# evidence cannot tell those from other photos of the same kind): its first _RESCUE_RANK
# neighbours at cosine >= VERIFY_FLOOR, and its nearest _CLOSE_RANK down to _CLOSE_RANK_FLOOR
# (a copy turned by an odd angle, or a screenshot of it, is often the nearest photo there is,
# at cosine 0.3-0.45). This bounds verification to a few pairs per photo however dense the
# library is; pairs the cheap rules would accept are verified too (to veto other shots).
_RESCUE_RANK = 6
_CLOSE_RANK = 3
_CLOSE_RANK_FLOOR = 0.3
# The lowest cosine at which a neighbour can be a duplicate (or worth verifying).
_CHUNK = 1 << 18
_COSINE_FLOOR = min(VERIFY_FLOOR, *(min(r.cosine_with_hashes, r.cosine_same_hashes)
                                    for r in RULES.values()))


@dataclass(frozen=True, slots=True)
class CandidatePairs:
    """Content pairs (a < b, sorted) and their cheap evidence, one array entry per pair."""

    a: I64
    b: I64
    evidence: EvidenceArrays  # without verifications
    turn: I64  # which of hashes.TRANSFORMS gives evidence.turned; -1: none
    verify: npt.NDArray[np.bool_]  # worth a geometric verification

    def __len__(self) -> int:
        return len(self.a)

    def pairs(self, where: npt.NDArray[np.bool_] | None = None) -> list[tuple[int, int]]:
        a, b = (self.a, self.b) if where is None else (self.a[where], self.b[where])
        return list(zip(a.tolist(), b.tolist(), strict=True))

    def evidence_of(self, k: int, verification: Verification | None = None) -> Evidence:
        e = self.evidence
        turned = int(e.turned[k])
        return Evidence(float(e.cosine[k]), int(e.phash[k]), int(e.dhash[k]),
                        turned if turned >= 0 else None,
                        int(self.turn[k]) if turned >= 0 else None, verification)


def _empty() -> CandidatePairs:
    none = np.zeros(0, dtype=np.int64)
    return CandidatePairs(none, none, EvidenceArrays.unverified(np.zeros(0), none, none, none),
                          none, np.zeros(0, dtype=bool))


def find_candidates(library: Library, strictness: Strictness) -> CandidatePairs:
    """Every candidate content pair of the library at `strictness` with its cheap evidence."""
    cat = library.catalog
    ids, phashes, dhashes = cat.hashes()  # sorted by id
    if len(ids) < 2:
        return _empty()
    turns = _turned_hashes(library, ids)
    live = np.fromiter(library.vectors.labels(), dtype=np.int64)
    live.sort()
    indexed = ids[member(ids, live)]
    hashed = _HashedContents(ids, phashes, dhashes, turns)

    # 1. pHash neighbours: catches pairs the CNN ranks below its k nearest.
    rule = RULES[strictness]
    radius = max(rule.max_hash_bits, rule.same_hash_bits)
    close = pairs_within(phashes, radius)
    found = [_keys(ids[close[:, 0]], ids[close[:, 1]])]

    # 2. Flipped and quarter-turned copies: a photo's turned pHashes near another's pHash.
    turned_ph, _, has_turns = turns
    n = len(ids)
    if has_turns.any():
        stacked = np.concatenate([phashes, turned_ph[has_turns].ravel()])
        owner = np.concatenate([np.arange(n), np.repeat(np.flatnonzero(has_turns),
                                                        len(TRANSFORMS))])
        ij = pairs_within(stacked, rule.same_hash_bits)
        i, j = ij[:, 0], ij[:, 1]
        cross = ((i < n) != (j < n)) & (owner[i] != owner[j])
        found.append(_keys(ids[owner[i[cross]]], ids[owner[j[cross]]]))
    hash_keys = _alive(_unique(np.concatenate(found)), live)

    # 3. CNN neighbours: each photo's NEIGHBOURS nearest other pictures, the close ones and the
    #    very nearest. The photos already known to be the same picture as it (its copies) do
    #    not take their places: in a group of many copies, a photo's nearest are mostly its
    #    own copies, and a heavily edited one (a screenshot, a rotation) that ranks after them
    #    must still be seen from the group. Known first by their hashes; then, round by round,
    #    by the stored verifications of the pairs the last round chose that show a copy, until
    #    a round knows no more (a pair it needs is not verified yet: the comparing stage and
    #    grouping verify it and ask again). Every round starts from the hashes, so the pairs
    #    depend on the library, not on the order its pairs were verified in; and each round's
    #    pairs are kept (a pair once chosen stays: its verification may keep another shot out).
    table, table_cos = neighbour_table(library, indexed, width=LISTED)
    rows = np.broadcast_to(indexed[:, None], table.shape)
    filled = table >= 0
    known = _unique_keys(rows[filled], table[filled], table_cos[filled])
    evidence, _ = hashed.evidence(library, hash_keys, known)
    sure = hash_keys[settled_by_hashes(evidence)]
    verified_copies = _verified_copies(library)
    copies: I64 = np.zeros(0, dtype=np.int64)
    chosen: I64 = np.zeros(0, dtype=np.int64)  # the pairs to verify the rounds chose
    near_keys = [hash_keys]
    while True:
        other = filled & ~_same_picture(indexed, table, np.concatenate([sure, copies]))
        order = np.cumsum(other, axis=1, dtype=np.int64)  # each entry's place among them
        inside = filled & (order - other < NEIGHBOURS)
        near = inside & ((table_cos >= _COSINE_FLOOR)
                         | (other & (order <= _CLOSE_RANK) & (table_cos >= _CLOSE_RANK_FLOOR)))
        near_keys.append(_keys(rows[near], table[near]))
        chosen = _unique(np.concatenate(
            [chosen, _rescue_keys(indexed, table, table_cos, other & inside, order)]))
        shown = verified_copies[member(verified_copies, chosen)]
        if len(shown) == len(copies):
            break
        copies = shown
    keys = _alive(_unique(np.concatenate(near_keys)), live)
    if not len(keys):
        return _empty()
    a, b = keys >> 32, keys & 0xFFFFFFFF
    evidence, turn = hashed.evidence(library, keys, known)

    # 4. Which to verify where the hashes leave it open: possible edited copies among each
    #    photo's nearest, and pairs the cheap rules would take (perhaps other shots).
    settled = settled_by_hashes(evidence)
    verify = ~settled & (member(keys, chosen) | near_duplicates(evidence, Strictness.LOOSE))
    return CandidatePairs(a, b, evidence, turn, verify)


_Turns = tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.bool_]]
_Known = tuple[I64, npt.NDArray[np.float32]]  # pair keys with the cosines the table gave


@dataclass(frozen=True, slots=True)
class _HashedContents:
    """The library's contents (sorted ids) with their hashes, plain and turned."""

    ids: I64
    phashes: npt.NDArray[np.uint64]
    dhashes: npt.NDArray[np.uint64]
    turns: _Turns

    def evidence(self, library: Library, keys: I64,
                 known: _Known) -> tuple[EvidenceArrays, I64]:
        """The cheap evidence of the pairs `keys` (cosines as the table gave them, else from
        the vectors) and which turn gives their turned distance."""
        a, b = keys >> 32, keys & 0xFFFFFFFF
        cosine = _cosines(library, keys, a, b, *known)
        pa, pb = np.searchsorted(self.ids, a), np.searchsorted(self.ids, b)
        dp = pairwise_distances(self.phashes[pa], self.phashes[pb]).astype(np.int64)
        dd = pairwise_distances(self.dhashes[pa], self.dhashes[pb]).astype(np.int64)
        turned = np.empty(len(keys), dtype=np.int64)
        turn = np.empty(len(keys), dtype=np.int64)
        for lo in range(0, len(keys), _CHUNK):  # (pairs, 7) temporaries: bounded memory
            part = slice(lo, lo + _CHUNK)
            turned[part], turn[part] = _turned_distances(pa[part], pb[part], self.phashes,
                                                         self.dhashes, self.turns)
        return EvidenceArrays.unverified(cosine, dp, dd, turned), turn


def _alive(keys: I64, live: I64) -> I64:
    """The pair keys whose two contents are both in the vector index."""
    out: I64 = keys[member(keys >> 32, live) & member(keys & 0xFFFFFFFF, live)]
    return out


def _verified_copies(library: Library) -> I64:
    """Keys (sorted) of the pairs whose stored verification shows a copy at normal by the
    features alone."""
    checked, measures = library.catalog.pair_check_table_where(
        VERIFY_VERSION, min(r.min_inliers for r in RULES.values()),
        min(r.min_agreement for r in RULES.values()))
    out: I64 = checked[copies_by_features(measures[:, EVIDENCE_COLUMNS], Strictness.NORMAL)]
    return out


def _same_picture(indexed: I64, table: I64, copies: I64) -> npt.NDArray[np.bool_]:
    """Which entries of the table are the same picture as their row's photo by the pairs
    `copies` (keys), directly or through other copies."""
    members, roots = _components(copies >> 32, copies & 0xFFFFFFFF)

    def root(x: I64) -> I64:
        at = positions(members, x)
        inside = at >= 0
        out = x.copy()
        out[inside] = roots[at[inside]]
        return out

    same: npt.NDArray[np.bool_] = (table >= 0) & (root(indexed)[:, None] == root(table))
    return same


def _keys(a: I64, b: I64) -> I64:
    """One int64 per unordered pair: the smaller id in the high 32 bits."""
    return (np.minimum(a, b) << 32) | np.maximum(a, b)


def _unique(values: I64) -> I64:
    """The sorted distinct values. Not np.unique: numpy 2's hash-based unique holds the GIL for
    a long time on a million keys (a stall of ~170 ms in the GUI's event loop while the
    comparison stage ran beside it); sorting releases it."""
    ordered = np.sort(values)
    out: I64 = ordered[first_of_runs(ordered)]
    return out


def _unique_keys(
    a: I64, b: I64, cos: npt.NDArray[np.float32]
) -> tuple[I64, npt.NDArray[np.float32]]:
    keys = _keys(a, b)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    first = first_of_runs(keys)
    return keys[first], cos[order[first]]


def _cosines(
    library: Library, keys: I64, a: I64, b: I64, known_keys: I64,
    known_cos: npt.NDArray[np.float32],
) -> npt.NDArray[np.float64]:
    """Cosines of the pairs: as the neighbour search gave them, else from the stored vectors
    (few pairs: those only the hashes found)."""
    cosine = np.full(len(keys), np.nan)
    at = positions(known_keys, keys)
    known = at >= 0
    cosine[known] = known_cos[at[known]]
    missing = np.flatnonzero(~known)
    if len(missing):
        wanted = _unique(np.concatenate([a[missing], b[missing]]))
        vecs = library.vectors.vectors(wanted.tolist())
        ra, rb = np.searchsorted(wanted, a[missing]), np.searchsorted(wanted, b[missing])
        cosine[missing] = np.einsum("ij,ij->i", vecs[ra], vecs[rb])
    return cosine


def _rescue_keys(
    indexed: I64,
    table: I64,
    table_cos: npt.NDArray[np.float32],
    other: npt.NDArray[np.bool_],
    order: I64,
) -> I64:
    """Keys of the neighbours of each photo worth verifying as possibly edited copies: its first
    _RESCUE_RANK at cosine >= VERIFY_FLOOR and its nearest _CLOSE_RANK at >= _CLOSE_RANK_FLOOR,
    among the `other` entries of its row (not known to be the same picture as it: in a
    cluster of many copies, the slots go to the photos that could still join it); `order`:
    each entry's place among them."""
    verifiable = other & (table_cos >= VERIFY_FLOOR)
    first = verifiable & (np.cumsum(verifiable, axis=1) <= _RESCUE_RANK)
    nearest = other & ~first & (order <= _CLOSE_RANK) & (table_cos >= _CLOSE_RANK_FLOOR)
    take = first | nearest
    rows = np.broadcast_to(indexed[:, None], table.shape)
    return _unique(_keys(rows[take], table[take]))


def _components(a: I64, b: I64) -> tuple[I64, I64]:
    """Connected components of the pairs: the contents in any pair (sorted) and their root."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = parent.setdefault(x, x)
        while root != parent[root]:
            root = parent[root]
        while x != root:
            parent[x], x = root, parent[x]
        return root

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        parent[find(x)] = find(y)
    members = np.array(sorted(parent), dtype=np.int64)
    return members, np.array([find(x) for x in members.tolist()], dtype=np.int64)


def _turned_hashes(
    library: Library, ids: I64
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
        at = positions(ids, t_ids)
        ok = at >= 0
        rows = at[ok]
        ph[rows] = t_ph[ok]
        dh[rows] = t_dh[ok]
        has[rows] = True
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


def _turned_distances(
    pa: I64, pb: I64, phashes: npt.NDArray[np.uint64], dhashes: npt.NDArray[np.uint64],
    turns: _Turns,
) -> tuple[I64, I64]:
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
