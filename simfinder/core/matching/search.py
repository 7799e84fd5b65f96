"""Similar-photo search, for an indexed photo or any image file outside the library."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from simfinder.core.matching.pairchecks import PairChecker
from simfinder.core.matching.query_expansion import EXPANSION, expand_rows
from simfinder.core.matching.similarity import (
    Evidence,
    explain,
    match_kind,
    needs_verification,
    score,
    shot_score,
    similar_score,
)
from simfinder.core.matching.verify import LocalFeatures, Verification, local_features
from simfinder.core.photos.decode import DecodeFailure, decode_photo
from simfinder.core.photos.digest import file_digest
from simfinder.core.photos.embed import Embedder
from simfinder.core.photos.hashes import compute_hashes, compute_transform_hashes, hamming
from simfinder.core.store.catalog import ROW_CONTENT_ID, ROW_PATH, PhotoRecord
from simfinder.core.store.library import Library

log = logging.getLogger(__name__)


# What `similar` calls another exposure or moment of the scene that the thumbnails took for a
# copy (capture.judge_capture): not a duplicate.
SIMILAR_SHOT = "similar shot"


class QueryError(ValueError):
    """The query image cannot be used (unreadable, not an image)."""


# The nearest photos by CNN cosine are looked at (at least _CANDIDATES of them): a copy that is
# cropped, turned or framed can rank below other shots of the scene by cosine, and comes first
# once verified. Verifying one costs ~10-25 ms (kept in the catalog for indexed photos): at most
# _VERIFY_HITS per query.
_CANDIDATES = 30
_AUGMENT_EF = 16  # the search breadth for the found photos' own neighbours
_VERIFY_HITS = 20


@dataclass(frozen=True, slots=True)
class SimilarHit:
    photo: PhotoRecord
    score: float  # 0..1, higher is more alike (see similarity.score for the bands)
    match: str  # "exact", "near-duplicate", "similar shot" (another exposure or moment) or
    # "similar"
    evidence: Evidence | None  # None for byte-identical copies

    @property
    def kind(self) -> str:
        """The two-word vocabulary of the CLI contract: duplicate or similar."""
        return "similar" if self.match in ("similar", SIMILAR_SHOT) else "duplicate"

    def explanation(self) -> dict[str, object]:
        """The evidence behind the match in plain data, with a sentence under "why"."""
        return explain(self.evidence, same_content=self.match == "exact")


@dataclass(frozen=True, slots=True)
class _Query:
    vector: npt.NDArray[np.float32]
    phash: int
    dhash: int
    content_id: int | None  # set when the query's bytes are in the library
    path: str | None  # the query file itself when it is indexed (left out of the results)
    turned: tuple[list[int], list[int]] | None = None  # pHashes, dHashes under TRANSFORMS
    features: LocalFeatures | None = None  # for verifying an image outside the library
    file: Path | None = None  # the query's file, for looking at its pixels and capture data


def find_similar(
    library: Library,
    image: Path,
    embedder_factory: Callable[[], Embedder],
    *,
    top: int = 20,
) -> list[SimilarHit]:
    """The `top` most similar photos, best first. Uses the stored features when `image` is
    indexed and unchanged; otherwise decodes and embeds it without adding it to the library."""
    query = _query_for(library, image, embedder_factory)
    return _neighbours(library, query, top)


def _query_for(
    library: Library, image: Path, embedder_factory: Callable[[], Embedder]
) -> _Query:
    path = str(image.expanduser().resolve())
    record = library.catalog.photo(path)
    if record is not None:
        try:
            st = os.stat(path)
        except OSError:
            st = None
        # A file that cannot be reached (its folder offline) is searched with what is stored.
        if st is None or (st.st_size, st.st_mtime_ns) == (record.size, record.mtime_ns):
            vec = library.vector_of(record.content_id)
            hashes = library.catalog.content_hashes(record.content_id)
            if vec is not None and hashes is not None:
                turned = library.catalog.turned_hashes_of([record.content_id])
                return _Query(vec, hashes[0], hashes[1], record.content_id, path,
                              turned.get(record.content_id), file=Path(path))
    try:
        digest = file_digest(path)
    except FileNotFoundError as exc:
        raise QueryError(f"{image}: no such file") from exc
    except OSError as exc:
        raise QueryError(f"{image}: cannot read ({exc.strerror or exc})") from exc
    decoded = decode_photo(Path(path))
    if isinstance(decoded, DecodeFailure):
        raise QueryError(f"{image}: {decoded.reason}")
    hashes_ = compute_hashes(decoded.image)
    turned_ = compute_transform_hashes(decoded.image)
    vector = embedder_factory().embed([decoded.image])[0]
    known = library.catalog.content_id_of(digest)
    return _Query(vector, hashes_.phash, hashes_.dhash, known, path if record else None,
                  ([h.phash for h in turned_], [h.dhash for h in turned_]),
                  local_features(decoded.image), Path(path))


def _augmented(library: Library, labels: list[int], found: npt.NDArray[np.float32],
               ef: int | None = None) -> npt.NDArray[np.float32]:
    """Each row of `found` (the vector of content `labels[i]`, or of an outside photo: -1)
    expanded with its own nearest other contents (query_expansion). For the query this is
    query expansion; for the photos found, database-side augmentation: two photos of one place
    are then compared each with the views of it that its neighbours add (+0.035 mAP on the
    retrieval development set over expanding the query alone, docs/benchmarks.md). The found
    photos' neighbours are searched narrowly (_AUGMENT_EF): only the closest few count, and
    they weigh by cosine ** ALPHA."""
    vectors = library.vectors
    near, sims = vectors.query(found, EXPANSION + 1, ef=ef)
    other = near != np.asarray(labels, dtype=np.int64)[:, np.newaxis]
    keep = other & (np.cumsum(other, axis=1) <= EXPANSION)
    # Neighbours among the rows given are not read again (hnswlib reads ~10 us a vector): the
    # found photos' neighbours are mostly found photos too.
    row_of = {label: i for i, label in enumerate(labels)}
    wanted = sorted({int(c) for c in near[keep].tolist()} - row_of.keys())
    row_of.update((c, len(labels) + n) for n, c in enumerate(wanted))
    bank = np.concatenate([found, vectors.vectors(wanted)])
    at = np.array([[row_of[int(c)] if k else 0 for c, k in zip(row, ks, strict=True)]
                   for row, ks in zip(near.tolist(), keep.tolist(), strict=True)],
                  dtype=np.int64).reshape(near.shape)
    return expand_rows(found, bank[at], np.where(keep, sims, 0.0))  # the others count 0


def _neighbours(library: Library, query: _Query, top: int) -> list[SimilarHit]:
    vectors = library.vectors
    # The candidates are the nearest to the expanded query; each is judged by its own cosine
    # to the query (the evidence), and similar photos rank by their likeness to the expanded
    # query. Ask for extra neighbours: one content may be several files, the query's own among
    # them, and verified copies may move up.
    own = query.content_id if query.content_id is not None else -1
    expanded = _augmented(library, [own], query.vector[np.newaxis, :])[0]
    labels, _ = vectors.query(expanded[np.newaxis, :], max(top + 1, _CANDIDATES))
    content_ids = [int(c) for c in labels[0].tolist()]
    if query.content_id is not None and query.content_id not in content_ids:
        content_ids.insert(0, query.content_id)
    found = vectors.vectors(labels[0].tolist())
    sim_of = dict(zip(labels[0].tolist(), (found @ query.vector).tolist(), strict=True))
    augmented = _augmented(library, labels[0].tolist(), found, _AUGMENT_EF)
    likeness = dict(zip(labels[0].tolist(), (augmented @ expanded).tolist(), strict=True))
    hashes = library.catalog.hashes_of(content_ids)
    turned = library.catalog.turned_hashes_of(content_ids)
    evidence: dict[int, Evidence] = {}
    for cid in content_ids:
        if cid == query.content_id or cid not in hashes:
            continue
        ph, dh = hashes[cid]
        best, turn = _turned_distance(query, (ph, dh), turned.get(cid))
        evidence[cid] = Evidence(
            cosine=float(sim_of.get(cid, 0.0)),
            phash_distance=hamming(ph, query.phash),
            dhash_distance=hamming(dh, query.dhash),
            turned_distance=best,
            turn=turn,
        )
    checks = _verify(library, query, evidence)
    # Judged once a content, not once a file: a photo kept in many copies is one judgement.
    judged: dict[int, tuple[float, str, Evidence | None]] = {}
    for cid, ev in evidence.items():
        ev = ev.with_verification(checks.get(cid))
        kind = match_kind(ev)
        value = score(ev) if kind != "similar" else similar_score(likeness.get(cid, ev.cosine))
        judged[cid] = (value, kind, ev)
    for cid in _other_captures(library, query,
                               [c for c, (_, match, _) in judged.items() if match != "similar"]):
        shot = judged[cid][2]
        assert shot is not None
        judged[cid] = (shot_score(shot), SIMILAR_SHOT, shot)
    if query.content_id is not None:
        judged[query.content_id] = (1.0, "exact", None)
    rows = [row for row in library.catalog.photo_rows_of_contents(content_ids)
            if row[ROW_PATH] != query.path and row[ROW_CONTENT_ID] in judged]
    rows.sort(key=lambda row: (-judged[row[ROW_CONTENT_ID]][0], row[ROW_PATH]))
    return [SimilarHit(PhotoRecord.of(row), *judged[row[ROW_CONTENT_ID]]) for row in rows[:top]]


def _other_captures(library: Library, query: _Query, near: list[int]) -> set[int]:
    """The near-duplicate hits that the originals show to be other captures of the scene
    (another exposure or moment): stored for an indexed query, judged now for another."""
    if not near:
        return set()
    from simfinder.core.matching.capture import judge_capture
    from simfinder.core.matching.capture_checks import check_captures

    if query.content_id is not None:
        pairs = {c: (min(c, query.content_id), max(c, query.content_id)) for c in near}
        checks = check_captures(library, pairs.values())
        return {c for c, pair in pairs.items() if pair in checks and checks[pair].other_capture}
    if query.file is None:
        return set()
    other = set()
    for row in library.catalog.photo_rows_of_contents(near):
        cid = row[ROW_CONTENT_ID]
        if cid not in other:
            check = judge_capture(query.file, Path(row[ROW_PATH]))
            if check is not None and check.other_capture:
                other.add(cid)
    return other


def _verify(
    library: Library, query: _Query, evidence: dict[int, Evidence]
) -> dict[int, Verification]:
    """Verify the nearest hits that may be copies of the query."""
    wanted = sorted((c for c, ev in evidence.items() if needs_verification(ev)),
                    key=lambda c: -evidence[c].cosine)[:_VERIFY_HITS]
    if not wanted:
        return {}
    checker = PairChecker(library, workers=1)
    if query.content_id is not None:
        pairs = {c: (min(c, query.content_id), max(c, query.content_id)) for c in wanted}
        found = checker.check(pairs.values())
        return {c: found[pair] for c, pair in pairs.items() if pair in found}
    if query.features is not None:
        return checker.check_image(query.features, wanted)
    return {}


def _turned_distance(
    query: _Query, plain: tuple[int, int], turned: tuple[list[int], list[int]] | None
) -> tuple[int | None, int | None]:
    """pHash + dHash distance of the best flip or quarter-turn of either photo, and which."""
    best: tuple[int, int] | None = None
    sides = []
    if query.turned is not None:  # the query turned, the hit as it is
        sides.append((query.turned, plain))
    if turned is not None:  # the hit turned, the query as it is
        sides.append((turned, (query.phash, query.dhash)))
    for (phs, dhs), (ph, dh) in sides:
        for k, (tp, td) in enumerate(zip(phs, dhs, strict=True)):
            d = hamming(tp, ph) + hamming(td, dh)
            if best is None or d < best[0]:
                best = (d, k)
    return (best[0], best[1]) if best is not None else (None, None)
