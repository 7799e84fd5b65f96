"""Similar-photo search, for an indexed photo or any image file outside the library."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from simfinder.core.catalog import PhotoRecord
from simfinder.core.decode import DecodeFailure, decode_photo
from simfinder.core.embed import Embedder
from simfinder.core.hashes import compute_hashes, hamming_distances
from simfinder.core.indexer import file_digest
from simfinder.core.library import Library
from simfinder.core.similarity import Evidence, match_kind, score

log = logging.getLogger(__name__)


class QueryError(ValueError):
    """The query image cannot be used (unreadable, not an image)."""


@dataclass(frozen=True, slots=True)
class SimilarHit:
    photo: PhotoRecord
    score: float  # 0..1, higher is more alike
    match: str  # "exact", "near-duplicate" or "similar"
    evidence: Evidence | None  # None for byte-identical copies

    @property
    def kind(self) -> str:
        """The two-word vocabulary of the CLI contract: duplicate or similar."""
        return "similar" if self.match == "similar" else "duplicate"


@dataclass(frozen=True, slots=True)
class _Query:
    vector: npt.NDArray[np.float32]
    phash: int
    dhash: int
    content_id: int | None  # set when the query's bytes are in the library
    path: str | None  # the query file itself when it is indexed (left out of the results)


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
        if st is not None and (st.st_size, st.st_mtime_ns) == (record.size, record.mtime_ns):
            vec = library.vector_of(record.content_id)
            hashes = library.catalog.content_hashes(record.content_id)
            if vec is not None and hashes is not None:
                return _Query(vec, hashes[0], hashes[1], record.content_id, path)
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
    vector = embedder_factory().embed([decoded.image])[0]
    known = library.catalog.content_id_of(digest)
    return _Query(vector, hashes_.phash, hashes_.dhash, known, path if record else None)


def _neighbours(library: Library, query: _Query, top: int) -> list[SimilarHit]:
    vectors = library.vectors
    # Ask for extra neighbours: one content may be several files, the query's own among them.
    labels, sims = vectors.query(query.vector[np.newaxis, :], top + 1)
    content_ids = [int(c) for c in labels[0].tolist()]
    if query.content_id is not None and query.content_id not in content_ids:
        content_ids.insert(0, query.content_id)
    sim_of = dict(zip(labels[0].tolist(), sims[0].tolist(), strict=True))
    records = library.catalog.photos_of_contents(content_ids)
    hashes = library.catalog.hashes_of(content_ids)
    hits: list[SimilarHit] = []
    for rec in records:
        if rec.path == query.path:
            continue
        if rec.content_id == query.content_id:
            hits.append(SimilarHit(rec, 1.0, "exact", None))
            continue
        ph, dh = hashes[rec.content_id]
        ev = Evidence(
            cosine=float(sim_of.get(rec.content_id, 0.0)),
            phash_distance=_distance(ph, query.phash),
            dhash_distance=_distance(dh, query.dhash),
        )
        hits.append(SimilarHit(rec, score(ev), match_kind(ev), ev))
    hits.sort(key=lambda h: (-h.score, h.photo.path))
    return hits[:top]


def _distance(a: int, b: int) -> int:
    return int(hamming_distances(np.array([a], dtype=np.uint64), b)[0])

