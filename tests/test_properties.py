"""Property-based tests (hypothesis) of the catalog's and the grouping's invariants."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simfinder.core.matching import verdicts
from simfinder.core.matching.grouping import find_duplicate_groups
from simfinder.core.matching.similarity import (
    RULES,
    SURE_HASH_BITS,
    Evidence,
    Strictness,
    clearly_another_shot,
    is_near_duplicate,
    settled_by_hashes,
)
from simfinder.core.matching.verdicts import EvidenceArrays
from simfinder.core.matching.verify import Verification
from simfinder.core.photos.embed import EMBED_DIM, MODEL_NAME
from simfinder.core.photos.hashes import to_sqlite_int
from simfinder.core.store.catalog import Catalog, ContentFeatures
from simfinder.core.store.library import Library

PATHS = [f"/photos/{d}/{n}.jpg" for d in ("a", "b", "a/b") for n in range(4)]
DIGESTS = [bytes([i]) * 16 for i in range(6)]

operation = st.one_of(
    st.tuples(st.just("put"), st.sampled_from(PATHS), st.sampled_from(DIGESTS)),
    st.tuples(st.just("remove"), st.sampled_from(PATHS), st.none()),
    st.tuples(st.just("error"), st.sampled_from(PATHS), st.none()),
    st.tuples(st.just("gc"), st.none(), st.none()),
)


def features(digest: bytes) -> ContentFeatures:
    vec = np.full(8, digest[0] + 1, dtype=np.float32)
    return ContentFeatures(digest, 10, 10, "JPEG", None, None, digest[0], -digest[0], "m",
                           vec / np.linalg.norm(vec))


@settings(max_examples=60, deadline=None)
@given(st.lists(operation, max_size=40))
def test_catalog_matches_a_model_of_files_and_contents(ops: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cat = Catalog(Path(tmp) / "c.sqlite")
        files: dict[str, bytes] = {}
        errors: set[str] = set()
        ids_seen: dict[bytes, int] = {}
        max_id = 0
        for op, path, digest in ops:
            with cat.transaction():
                if op == "put":
                    cid = cat.put_content(features(digest))
                    # the same bytes keep their id while they exist; a new id is always fresh
                    if digest in ids_seen and digest in set(files.values()):
                        assert cid == ids_seen[digest]
                    elif cid != ids_seen.get(digest):
                        assert cid > max_id
                    ids_seen[digest] = cid
                    max_id = max(max_id, cid)
                    cat.put_file(path, 1, 1, cid)
                    files[path] = digest
                    errors.discard(path)
                elif op == "remove":
                    cat.remove_files([path])
                    files.pop(path, None)
                    errors.discard(path)
                elif op == "error":
                    cat.put_error(path, 1, 1, "not an image file")
                    files.pop(path, None)
                    errors.add(path)
                else:
                    removed = {d for _, d in cat.remove_orphan_contents()}
                    assert not removed & set(files.values())
                    for d in removed:
                        ids_seen.pop(d, None)
            assert {p.path: p.digest for p in cat.photos()} == files
            assert {e.path for e in cat.errors()} == errors
            assert set(cat.file_states_under("/photos/a")) == {
                p for p in files if p.startswith("/photos/a/")}
        cat.close()


@st.composite
def libraries(draw: st.DrawFn) -> tuple[list[int], list[tuple[int, int]]]:
    """n contents (some with extra byte copies) and planted near-duplicate pairs."""
    n = draw(st.integers(2, 30))
    copies = draw(st.lists(st.integers(1, 3), min_size=n, max_size=n))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=n))
    return copies, [(a, b) for a, b in pairs if a != b]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(libraries(), st.integers(0, 2**32 - 1))
def test_duplicate_groups_are_disjoint_and_keep_one(spec: tuple[list[int], list], seed: int
                                                    ) -> None:
    copies, pairs = spec
    rng = np.random.default_rng(seed)
    n = len(copies)
    vecs = rng.normal(size=(n, EMBED_DIM)).astype(np.float32)
    ph = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    for a, b in pairs:  # b becomes a light edit of a
        vecs[b] = vecs[a] + 0.05 * rng.normal(size=EMBED_DIM)
        ph[b] = ph[a] ^ np.uint64(1)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    with tempfile.TemporaryDirectory() as tmp:
        lib = Library.open(Path(tmp))
        ids = []
        with lib.catalog.transaction():
            for i in range(n):
                cid = lib.catalog.put_content(ContentFeatures(
                    i.to_bytes(16, "big"), 100 + i, 100, "JPEG", None, None,
                    to_sqlite_int(int(ph[i])), to_sqlite_int(int(ph[i])), MODEL_NAME, vecs[i]))
                ids.append(cid)
                for c in range(copies[i]):
                    lib.catalog.put_file(f"/p/{i}-{c}.jpg", 1000 + c, c, cid)
        lib.vectors.add(np.asarray(ids, dtype=np.int64), vecs)
        for strictness in Strictness:
            groups = find_duplicate_groups(lib, strictness)
            seen: set[int] = set()
            for g in groups:
                file_ids = {p.file_id for p in g.photos}
                assert len(file_ids) == len(g.photos) >= 2
                assert not file_ids & seen
                seen |= file_ids
                assert len(g.keep) == 1 and g.keep <= file_ids
                if g.kind == "exact":
                    assert len({p.digest for p in g.photos}) == 1
            # light edits (cosine >= 0.99, hashes 1 bit apart) are always grouped together
            group_of = {p.path.split("-")[0]: k for k, g in enumerate(groups) for p in g.photos}
            for a, b in pairs:
                close = float(vecs[a] @ vecs[b]) >= 0.99
                if close and bin(int(ph[a]) ^ int(ph[b])).count("1") <= 1:
                    assert group_of.get(f"/p/{a}") == group_of.get(f"/p/{b}") is not None
            # every set of byte copies is inside one group
            for i in range(n):
                if copies[i] > 1:
                    holders = [g for g in groups
                               if any(p.path.startswith(f"/p/{i}-") for p in g.photos)]
                    assert len(holders) == 1
                    assert sum(p.path.startswith(f"/p/{i}-") for p in holders[0].photos) == \
                        copies[i]
        lib.close()


# Cosines, distances and verification figures on and near the rules' thresholds, where a
# wrong comparison shows.
_edges = sorted({x for r in RULES.values() for x in (r.cosine_same_hashes, r.cosine_alone,
                                                       r.cosine_with_hashes, r.scene_cosine)})
_cosines = st.one_of(st.sampled_from(_edges), st.floats(-1.0, 1.0))
_bits = st.one_of(st.integers(0, 14), st.integers(0, 64))
_fine = st.one_of(st.sampled_from(sorted({
    x for r in RULES.values()
    for x in (r.max_misfit, r.max_misfit_consistent, r.max_drift, r.min_agreement,
              r.sparse_agreement, r.grid_agreement, r.scene_agreement, r.min_overlap)}
    | {0.0, 0.15, 0.18, 0.3, 1.0, math.inf, -1.0})), st.floats(-1.0, 1.0))
_counts = st.sampled_from([0, 1, 8, 9, 10, 12, 19, 20, 21, 40])
_verification = st.builds(
    lambda inliers, extra, misfit, drift, agreement, overlap: Verification(
        inliers + extra, inliers, 0.5, misfit, drift, agreement, overlap, False, 0.0, 1.0),
    _counts, st.sampled_from([0, 1, 2, 3, 5, 10, 40]), _fine, _fine, _fine, _fine)
evidence = st.tuples(_cosines, _bits, _bits, st.one_of(st.none(), _bits),
                     st.one_of(st.none(), _verification))


@settings(max_examples=150, deadline=None)
@given(st.lists(evidence, min_size=1, max_size=100))
def test_grouping_judges_many_pairs_at_once_as_it_judges_one(cases: list[tuple]) -> None:
    """Grouping judges its ~10 candidate pairs per photo on arrays; a pair must get the verdict
    the one-pair rules (used by `similar` and to explain a match) give it."""
    cos = np.array([c[0] for c in cases])
    ph = np.array([c[1] for c in cases], dtype=np.int64)
    dh = np.array([c[2] for c in cases], dtype=np.int64)
    turned = np.array([-1 if c[3] is None else c[3] for c in cases], dtype=np.int64)
    arrays = EvidenceArrays.unverified(cos, ph, dh, turned).with_verifications(
        {k: c[4] for k, c in enumerate(cases) if c[4] is not None})
    one = [Evidence(c, p, d, t, 0 if t is not None else None, v) for c, p, d, t, v in cases]
    assert verdicts.settled_by_hashes(arrays).tolist() == [settled_by_hashes(ev) for ev in one]
    for level in Strictness:
        assert verdicts.near_duplicates(arrays, level).tolist() == \
            [is_near_duplicate(ev, level) for ev in one]
    assert verdicts.other_shots(arrays).tolist() == [clearly_another_shot(ev) for ev in one]


def _around(values: set[float]) -> list[float]:
    return sorted({v + d for v in values for d in (-1e-9, 0.0, 1e-9)} | {math.inf, -math.inf})


def test_array_verdicts_agree_with_the_one_pair_rules_at_every_threshold() -> None:
    """Each rule's thresholds, crossed one field at a time from pairs that reach each branch
    (copy, sparse copy, another shot, same grid, same layout, burst scene): an off-by-one or a
    < for a <= in the array rules shows here even where random evidence rarely lands."""
    rules = list(RULES.values())
    bases = [  # cosine, phash, dhash, turned, matches, inliers, misfit, drift, agreement, overlap
        (0.6, 20, 20, -1, 40, 38, 0.05, 0.1, 0.97, 0.9),
        (0.5, 24, 20, -1, 12, 11, 0.05, math.inf, 0.99, 0.5),
        (0.7, 18, 22, -1, 40, 25, 0.2, 0.4, 0.5, 0.8),
        (0.7, 18, 22, -1, 40, 25, 0.2, 0.2, 0.5, 0.8),
        (0.4, 10, 8, 30, 5, 0, math.inf, math.inf, 0.9, 0.0),
        (0.8, 1, 1, 3, 40, 25, 0.2, 0.4, 0.5, 0.8),
        (0.95, 14, 12, -1, 40, 30, 0.12, 0.3, 0.9, 1.0),
    ]
    grid = [
        _around({x for r in rules for x in (r.cosine_same_hashes, r.cosine_alone,
                                            r.cosine_with_hashes, r.scene_cosine)}),
        *[sorted({x + d for r in rules for x in (r.same_hash_bits, r.max_hash_bits,
                                                  r.grid_hash_bits, SURE_HASH_BITS)
                  for d in (-1, 0, 1) if x + d >= 0})] * 2,
        [-1, *sorted({x + d for r in rules for x in (r.same_hash_bits,) for d in (-1, 0, 1)})],
        sorted({0, 9, 10, 11, 20, 40, 60}),
        sorted({x + d for r in rules for x in (r.min_inliers, 20, 0) for d in (-1, 0, 1)
                if x + d >= 0}),
        _around({0.15, 0.18} | {x for r in rules for x in (r.max_misfit,
                                                           r.max_misfit_consistent)}),
        _around({0.3} | {r.max_drift for r in rules}),
        _around({x for r in rules for x in (r.min_agreement, r.sparse_agreement,
                                            r.grid_agreement, r.scene_agreement)}),
        _around({r.min_overlap for r in rules}),
    ]
    cases = [tuple(v if i != field else value for i, v in enumerate(base))
             for base in bases for field, values in enumerate(grid) for value in values]
    cases += [(*c[:5], round(c[4] * ratio), *c[6:]) for c in bases
              for ratio in {r.min_inlier_ratio for r in rules} | {r.consistent_ratio for r in rules}
              | {r.sparse_ratio for r in rules} | {0.85}]
    cases = [c for c in cases if c[5] <= c[4]]  # inliers are matches
    col = list(zip(*cases, strict=True))
    arrays = EvidenceArrays(
        np.array(col[0], dtype=np.float64),
        *(np.array(col[k], dtype=np.int64) for k in range(1, 6)),
        *(np.array(col[k], dtype=np.float64) for k in range(6, 10)))
    one = [Evidence(c[0], int(c[1]), int(c[2]), int(c[3]) if c[3] >= 0 else None,
                    0 if c[3] >= 0 else None,
                    Verification(int(c[4]), int(c[5]), 0.5, c[6], c[7], c[8], c[9], False, 0.0,
                                 1.0))
           for c in cases]
    assert len(one) > 1000
    assert verdicts.settled_by_hashes(arrays).tolist() == [settled_by_hashes(ev) for ev in one]
    for level in Strictness:
        assert verdicts.near_duplicates(arrays, level).tolist() == \
            [is_near_duplicate(ev, level) for ev in one]
    assert verdicts.other_shots(arrays).tolist() == [clearly_another_shot(ev) for ev in one]
