"""Duplicate groups: exact copies (same bytes) and near-duplicates (same photo, other file).

Candidate pairs come from the vector index's k nearest neighbours and from pHash buckets
(multi-index Hamming search), never from an all-pairs loop; each candidate pair is then judged
on its evidence and accepted pairs are joined into groups.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simfinder.core.catalog import PhotoRecord
from simfinder.core.hashes import pairs_within, pairwise_distances
from simfinder.core.keeper import DEFAULT_PLAN, best_photo
from simfinder.core.library import Library
from simfinder.core.similarity import RULES, Evidence, Strictness, is_near_duplicate, score

log = logging.getLogger(__name__)

_NEIGHBOURS = 12
_QUERY_CHUNK = 2048


@dataclass(slots=True)
class DuplicateGroup:
    kind: str  # "exact" or "near"
    photos: list[PhotoRecord]
    keep: set[int]  # file ids to keep
    confidence: float  # lowest score of the pairs that joined the group (1.0 for exact)

    @property
    def reclaimable_bytes(self) -> int:
        return sum(p.size for p in self.photos if p.file_id not in self.keep)


def choose_keeper(photos: list[PhotoRecord]) -> PhotoRecord:
    """The default keeper: the first by keeper.DEFAULT_RULES (the rules the GUI starts with)."""
    return best_photo(photos, DEFAULT_PLAN)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def near_duplicate_pairs(
    library: Library, strictness: Strictness
) -> dict[tuple[int, int], float]:
    """Accepted content pairs (a < b) with their score."""
    ids, phashes, dhashes = library.catalog.hashes()
    if len(ids) < 2:
        return {}
    position = {int(cid): i for i, cid in enumerate(ids.tolist())}
    vectors = library.vectors
    live = vectors.labels()
    candidates: set[tuple[int, int]] = set()

    # 1. CNN neighbours, queried in chunks so memory stays bounded on big libraries.
    indexed = [int(c) for c in ids.tolist() if int(c) in live]
    for start in range(0, len(indexed), _QUERY_CHUNK):
        chunk = indexed[start : start + _QUERY_CHUNK]
        labels, sims = vectors.query(vectors.vectors(chunk), _NEIGHBOURS + 1)
        floor = min(min(r.cosine_with_hashes, r.cosine_same_hashes) for r in RULES.values())
        for row, a in enumerate(chunk):
            for b, sim in zip(labels[row].tolist(), sims[row].tolist(), strict=True):
                if b != a and sim >= floor:
                    candidates.add((min(a, b), max(a, b)))

    # 2. pHash neighbours: catches pairs the CNN ranks below its k nearest.
    rule = RULES[strictness]
    for i, j in pairs_within(phashes, max(rule.max_phash, rule.same_hash_bits)).tolist():
        a, b = int(ids[i]), int(ids[j])
        candidates.add((min(a, b), max(a, b)))

    accepted: dict[tuple[int, int], float] = {}
    pair_list = sorted(candidates)
    for start in range(0, len(pair_list), 4096):
        chunk_pairs = pair_list[start : start + 4096]
        for pair, ev in zip(
            chunk_pairs, _evidence(library, chunk_pairs, position, phashes, dhashes, live),
            strict=True,
        ):
            if ev is not None and is_near_duplicate(ev, strictness):
                accepted[pair] = score(ev)
    return accepted


def _evidence(
    library: Library,
    pairs: list[tuple[int, int]],
    position: dict[int, int],
    phashes: npt.NDArray[np.uint64],
    dhashes: npt.NDArray[np.uint64],
    live: set[int],
) -> list[Evidence | None]:
    """Evidence for a chunk of pairs, computed with array operations."""
    wanted = sorted({c for pair in pairs for c in pair if c in live})
    row_of = {c: i for i, c in enumerate(wanted)}
    vecs = library.vectors.vectors(wanted)
    ok = np.array([a in row_of and b in row_of for a, b in pairs], dtype=bool)
    ra = np.array([row_of.get(a, 0) for a, _ in pairs], dtype=np.int64)
    rb = np.array([row_of.get(b, 0) for _, b in pairs], dtype=np.int64)
    pa = np.array([position[a] for a, _ in pairs], dtype=np.int64)
    pb = np.array([position[b] for _, b in pairs], dtype=np.int64)
    cos = np.einsum("ij,ij->i", vecs[ra], vecs[rb]) if len(wanted) else np.zeros(len(pairs))
    dp = pairwise_distances(phashes[pa], phashes[pb])
    dd = pairwise_distances(dhashes[pa], dhashes[pb])
    return [
        Evidence(float(c), int(p), int(d)) if good else None
        for c, p, d, good in zip(cos.tolist(), dp.tolist(), dd.tolist(), ok.tolist(),
                                 strict=True)
    ]


def find_duplicate_groups(
    library: Library, strictness: Strictness = Strictness.NORMAL
) -> list[DuplicateGroup]:
    """Exact groups first (most bytes to reclaim first), then near groups by confidence."""
    pairs = near_duplicate_pairs(library, strictness)
    uf = _UnionFind()
    for a, b in pairs:
        uf.union(a, b)
    members: dict[int, set[int]] = defaultdict(set)
    for cid in list(uf.parent):
        members[uf.find(cid)].add(cid)
    weakest: dict[int, float] = {}
    for (a, _), s in pairs.items():
        root = uf.find(a)
        weakest[root] = min(s, weakest.get(root, 1.0))

    photos = library.catalog.photos()
    by_content: dict[int, list[PhotoRecord]] = defaultdict(list)
    for p in photos:
        by_content[p.content_id].append(p)

    groups: list[DuplicateGroup] = []
    in_near: set[int] = set()
    for root, contents in members.items():
        files = [p for c in sorted(contents) for p in by_content.get(c, [])]
        if len(files) < 2:
            continue
        in_near.update(contents)
        groups.append(_group("near", files, weakest.get(root, 1.0)))
    for cid, files in by_content.items():
        if len(files) >= 2 and cid not in in_near:
            groups.append(_group("exact", files, 1.0))
    groups.sort(
        key=lambda g: (g.kind != "exact", -g.confidence, -g.reclaimable_bytes, g.photos[0].path)
    )
    return groups


def _group(kind: str, files: Iterable[PhotoRecord], confidence: float) -> DuplicateGroup:
    ordered = sorted(files, key=lambda p: p.path)
    keeper = choose_keeper(ordered)
    return DuplicateGroup(kind, ordered, {keeper.file_id}, round(confidence, 4))
