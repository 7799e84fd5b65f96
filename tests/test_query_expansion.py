"""Query expansion: `similar` finds a photo of the same thing through the query's nearest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.query_expansion import expand, expand_queries
from simfinder.core.matching.search import find_similar
from simfinder.core.photos.embed import EMBED_DIM, MODEL_NAME
from simfinder.core.store.library import Library


def _unit(*parts: tuple[int, float]) -> np.ndarray:
    v = np.zeros(EMBED_DIM, dtype=np.float32)
    for axis, value in parts:
        v[axis] = value
    return v / np.linalg.norm(v)


# The query; `near`, another view of the same thing (cosine 0.9); `far`, a third view that
# shares more with `near` (0.61) than with the query (0.2); `other`, an unrelated photo that
# happens to be a little closer to the query (0.3) than `far` is.
VECTORS = {
    "query": _unit((0, 1.0)),
    "near": _unit((0, 0.9), (1, 0.436)),
    "far": _unit((0, 0.2), (1, 0.98)),
    "other": _unit((0, 0.3), (2, 0.954)),
}


class _ByWidthEmbedder:
    """A stand-in CNN that gives each photo the vector chosen for it (photos differ in width)."""

    model_name = MODEL_NAME
    dim = EMBED_DIM
    device = "test"

    def __init__(self, vectors: dict[str, np.ndarray] | None = None) -> None:
        self.vectors = VECTORS if vectors is None else vectors

    def __call__(self) -> _ByWidthEmbedder:
        return self

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        by_width = {40 + 3 * i: v for i, v in enumerate(self.vectors.values())}
        rng = np.random.default_rng(7)
        out = []
        for im in images:
            v = by_width.get(im.width)
            if v is None:  # filler: unrelated to all the others
                v = np.zeros(EMBED_DIM, dtype=np.float32)
                v[3:] = rng.standard_normal(EMBED_DIM - 3)
                v /= np.linalg.norm(v)
            out.append(v)
        return np.asarray(out, dtype=np.float32)


def _library(tmp_path: Path, vectors: dict[str, np.ndarray]) -> tuple[Library, Path]:
    """A library of one photo for each of `vectors` (the stand-in CNN gives it that vector)
    and six unrelated fillers."""
    root = tmp_path / "photos"
    root.mkdir()
    rng = np.random.default_rng(1)
    for i, name in enumerate(vectors):
        pixels = rng.integers(0, 256, (32, 40 + 3 * i, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / f"{name}.png")
    for i in range(6):
        pixels = rng.integers(0, 256, (32, 80 + i, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(root / f"filler{i}.png")
    lib = Library.open(tmp_path / "library")
    Indexer(lib, _ByWidthEmbedder(vectors)).run([root])  # type: ignore[arg-type]
    return lib, root


def test_similar_ranks_a_view_linked_through_the_nearest_above_an_unrelated_photo(
    tmp_path: Path,
) -> None:
    lib, root = _library(tmp_path, VECTORS)
    embedder = _ByWidthEmbedder()

    hits = find_similar(lib, root / "query.png", embedder, top=4)  # type: ignore[arg-type]
    names = [Path(h.photo.path).stem for h in hits]
    # By the query's own cosine `other` (0.3) comes before `far` (0.2); through `near`, the
    # expanded query finds `far` first.
    assert names[:3] == ["near", "far", "other"]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # The evidence keeps each photo's own cosine to the query.
    far = hits[1].evidence
    assert far is not None and abs(far.cosine - 0.2) < 0.01


def test_expansion_weights_neighbours_by_their_cosine() -> None:
    q = VECTORS["query"]
    both = np.stack([VECTORS["near"], VECTORS["other"]])
    out = expand(q, both, np.array([0.9, 0.3], dtype=np.float32))
    assert abs(float(np.linalg.norm(out)) - 1.0) < 1e-5
    # The close neighbour pulls the query towards itself far more than the doubtful one.
    assert float(out @ VECTORS["near"]) > 0.95 and float(out @ VECTORS["other"]) < 0.35
    # Neighbours at a cosine of 0 or below change nothing.
    np.testing.assert_allclose(expand(q, both, np.array([0.0, -0.5], np.float32)), q)


def test_a_row_never_expands_with_itself() -> None:
    x = np.stack(list(VECTORS.values()))
    out = expand_queries(x, x, expansion=1)
    # `query` expands with `near`, not with its own row.
    assert float(out[0] @ VECTORS["near"]) > 0.95


def test_a_photo_whose_own_neighbours_are_like_the_query_ranks_above_one_alone(
    tmp_path: Path,
) -> None:
    """Two photos about as far from the query: `view`, a view of its subject whose own
    nearest photo (`view_near`) is another, closer view of it, ranks above `other`, whose
    neighbours are unrelated photos, though `other` is a little closer to the query alone:
    each found photo is compared with its neighbours' views too (database-side expansion)."""
    vectors = {
        "query": _unit((0, 1.0)),
        # The query's nearest: they fill its expansion (and share nothing with `view`).
        "near1": _unit((0, 0.9), (1, 0.436)),
        "near2": _unit((0, 0.9), (1, 0.3), (6, 0.3)),
        "near3": _unit((0, 0.9), (1, 0.3), (7, 0.3)),
        "view_near": _unit((0, 0.5), (5, 0.866)),
        "view": _unit((0, 0.25), (5, 0.968)),
        "other": _unit((0, 0.3), (2, 0.954)),
    }
    lib, root = _library(tmp_path, vectors)
    hits = find_similar(lib, root / "query.png", _ByWidthEmbedder(vectors),  # type: ignore[arg-type]
                        top=8)
    names = [Path(h.photo.path).stem for h in hits]
    assert names.index("view") < names.index("other")
    view = hits[names.index("view")].evidence
    assert view is not None and abs(view.cosine - 0.25) < 0.01  # its own cosine, as shown
