from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simfinder.core.store.vector_index import VectorIndex


def unit(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_query_finds_itself_first_and_returns_cosines() -> None:
    vi = VectorIndex(16)
    vecs = unit(50)
    vi.add(np.arange(100, 150, dtype=np.int64), vecs)
    labels, sims = vi.query(vecs[:3], 5)
    assert labels[:, 0].tolist() == [100, 101, 102]
    np.testing.assert_allclose(sims[:, 0], 1.0, atol=1e-5)


def test_grows_past_its_initial_capacity() -> None:
    vi = VectorIndex(16)
    vi.add(np.arange(3000, dtype=np.int64), unit(3000))
    assert len(vi) == 3000


def test_removed_vectors_are_never_returned() -> None:
    vi = VectorIndex(16)
    vecs = unit(20)
    vi.add(np.arange(20, dtype=np.int64), vecs)
    vi.remove([0, 1])
    labels, _ = vi.query(vecs[:2], 18)
    assert not {0, 1} & set(labels.ravel().tolist())
    # k larger than what is left is clamped rather than an error
    assert vi.query(vecs[:1], 100)[0].shape == (1, 18)


def test_save_load_and_retain_bring_the_index_in_step(tmp_path: Path) -> None:
    vi = VectorIndex(16)
    vecs = unit(10)
    vi.add(np.arange(10, dtype=np.int64), vecs)
    vi.remove([9])
    path = tmp_path / "v.hnsw"
    vi.save(path)
    loaded = VectorIndex.load(path, 16)
    # the catalog says: 0..7 exist, 8 was deleted, 10 is new and missing from the file
    missing, stale = loaded.retain({0, 1, 2, 3, 4, 5, 6, 7, 10})
    assert (missing, stale) == ({10}, 1)  # 9 was already deleted in the file, 8 was live
    assert loaded.labels() == set(range(8))
    labels, _ = loaded.query(vecs, 8)
    assert set(labels.ravel().tolist()) == set(range(8))


def test_a_failed_save_keeps_the_previous_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "v.hnsw"
    vi = VectorIndex(16)
    vi.add(np.arange(5, dtype=np.int64), unit(5))
    vi.save(path)
    before = path.read_bytes()
    vi.add(np.arange(5, 10, dtype=np.int64), unit(5, seed=1))

    def broken(self: object, name: str) -> None:
        Path(name).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(type(vi._index), "save_index", broken)
    with pytest.raises(OSError):
        vi.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["v.hnsw"]


def test_a_narrow_batch_search_still_finds_each_photos_near_copy() -> None:
    # The whole-library search of grouping runs with a small search breadth (ef = k): every
    # photo's planted near copy must still come back among its neighbours.
    rng = np.random.default_rng(3)
    base = unit(400, dim=64, seed=3)
    copies = base + 0.02 * rng.normal(size=base.shape).astype(np.float32)
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    vi = VectorIndex(64)
    vi.add(np.arange(800, dtype=np.int64), np.vstack([base, copies]))
    labels, sims = vi.query(base, 5, ef=5)
    assert all(400 + i in row for i, row in enumerate(labels.tolist()))
    assert labels.shape == sims.shape == (400, 5)


def test_membership_follows_adds_and_removals() -> None:
    vi = VectorIndex(16)
    vi.add(np.arange(5, dtype=np.int64), unit(5))
    vi.remove([2])
    assert 1 in vi and 2 not in vi and 7 not in vi
