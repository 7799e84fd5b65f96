"""The pipeline end to end on real photos with the real CNN."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simfinder.app.usecases import EmbedderProvider, index_folders
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.grouping import find_duplicate_groups
from simfinder.core.photos.embed import EMBED_DIM, MODEL_NAME, Embedder
from simfinder.core.progress import CancelToken, Progress
from simfinder.core.store.library import Library, LibraryBusy
from simfinder.core.store.vector_index import VectorIndex


class CountingEmbedder:
    """The real embedder, counting how many images it was asked to embed."""

    def __init__(self, provider: EmbedderProvider) -> None:
        self.provider = provider
        self.loads = 0
        self.embedded = 0

    def __call__(self) -> Embedder:
        self.loads += 1
        real = self.provider()
        outer = self

        class Counting:
            model_name = real.model_name
            dim = real.dim
            device = real.device

            def embed(self, images):  # type: ignore[no-untyped-def]
                outer.embedded += len(images)
                return real.embed(images)

        return Counting()  # type: ignore[return-value]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    lib = Library.open(tmp_path / "library")
    yield lib
    lib.close()


def test_index_then_reindex_touches_nothing_unchanged(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    photos = photo_folder()
    counting = CountingEmbedder(embedder)
    seen: list[Progress] = []
    first = Indexer(library, counting).run([tmp_path / "photos"], progress=seen.append)
    assert first.scanned == len(photos)
    # the byte copy of the rocket is linked to its content, not embedded twice
    assert first.indexed + first.linked == len(photos)
    assert counting.embedded == len(photos) - 1
    assert library.catalog.file_count() == len(photos)
    assert library.catalog.content_count() == len(photos) - 1
    assert len(library.vectors) == len(photos) - 1
    assert all(library.thumbs.has(p.digest) for p in library.catalog.photos())
    assert seen[-1].phase == "indexing" and seen[-1].done == seen[-1].total == len(photos)

    counting2 = CountingEmbedder(embedder)
    second = Indexer(library, counting2).run([tmp_path / "photos"])
    assert (second.indexed, second.linked, second.unchanged) == (0, 0, len(photos))
    assert counting2.loads == 0  # the CNN is not even loaded


def test_moved_renamed_and_deleted_files(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    photos = photo_folder()
    root = tmp_path / "photos"
    Indexer(library, embedder).run([root])
    cat_content = library.catalog.photo(str(photos["chelsea"])).content_id
    moved = root / "moved" / "renamed-cat.jpg"
    moved.parent.mkdir()
    shutil.move(photos["chelsea"], moved)
    photos["coins"].unlink()
    coins_content = library.catalog.photo(str(photos["coins"])).content_id

    counting = CountingEmbedder(embedder)
    report = Indexer(library, counting).run([root])
    assert (report.indexed, report.linked, report.removed) == (0, 1, 2)
    assert counting.embedded == 0
    assert library.catalog.photo(str(moved)).content_id == cat_content
    assert library.catalog.photo(str(photos["coins"])) is None
    assert coins_content not in library.vectors.labels()


def test_a_changed_file_is_indexed_again(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    photos = photo_folder()
    Indexer(library, embedder).run([tmp_path / "photos"])
    before = library.catalog.photo(str(photos["coffee"]))
    shutil.copyfile(photos["astronaut"], photos["coffee"])
    os.utime(photos["coffee"], ns=(before.mtime_ns + 10**9, before.mtime_ns + 10**9))
    report = Indexer(library, embedder).run([tmp_path / "photos"])
    assert report.linked == 1  # now the same bytes as astronaut.jpg
    assert library.catalog.photo(str(photos["coffee"])).digest == library.catalog.photo(
        str(photos["astronaut"])).digest


def test_bad_files_are_recorded_and_indexing_goes_on(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    photos = photo_folder()
    root = tmp_path / "photos"
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.jpg").write_text("shopping list")
    good = photos["astronaut"].read_bytes()
    (root / "truncated.jpg").write_bytes(good[: len(good) // 3])
    report = Indexer(library, embedder).run([root])
    assert library.catalog.file_count() == len(photos)
    reasons = {Path(e.path).name: e.reason for e in report.failed}
    assert set(reasons) == {"empty.jpg", "notes.jpg", "truncated.jpg"}
    assert all(reasons.values())
    assert {Path(e.path).name for e in library.catalog.errors()} == set(reasons)
    # unchanged bad files are not retried; fixing one clears its error
    again = Indexer(library, embedder).run([root])
    assert again.failed == [] and again.failed_before == 3
    (root / "notes.jpg").unlink()
    Indexer(library, embedder).run([root])
    assert {Path(e.path).name for e in library.catalog.errors()} == {"empty.jpg",
                                                                    "truncated.jpg"}


def test_cancel_then_resume_ends_like_an_uninterrupted_run(
    photo_folder: Callable[..., dict[str, Path]], embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    photo_folder()
    root = tmp_path / "photos"
    lib = Library.open(tmp_path / "lib-a")
    token = CancelToken()

    def cancel_after_first_batch(paths: list[str]) -> None:
        token.cancel()

    partial = Indexer(lib, embedder, workers=1, batch_size=2).run(
        [root], on_indexed=cancel_after_first_batch, cancel=token)
    assert partial.cancelled
    assert 0 < lib.catalog.file_count() < 13
    lib.close()
    # a fresh process: reopen and resume
    lib = Library.open(tmp_path / "lib-a")
    resumed = Indexer(lib, embedder).run([root])
    assert not resumed.cancelled and resumed.unchanged == partial.indexed + partial.linked

    ref = Library.open(tmp_path / "lib-b")
    Indexer(ref, embedder).run([root])
    assert {p.path: p.digest for p in lib.catalog.photos()} == {
        p.path: p.digest for p in ref.catalog.photos()
    }
    assert len(lib.vectors) == len(ref.vectors) == ref.catalog.content_count()


def test_missing_vector_file_is_rebuilt_from_the_catalog(
    photo_folder: Callable[..., dict[str, Path]], embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    photo_folder()
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([tmp_path / "photos"])
    n = len(lib.vectors)
    lib.close()
    (tmp_path / "lib" / "vectors.hnsw").unlink()
    lib = Library.open(tmp_path / "lib")
    assert len(lib.vectors) == n


def test_an_unreadable_folder_does_not_count_as_deleted(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    photos = photo_folder()
    root = tmp_path / "photos"
    Indexer(library, embedder).run([root])
    from simfinder.core.indexing import scan

    real = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("edits"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(scan.os, "scandir", scandir)
    report = Indexer(library, embedder).run([root])
    assert report.removed == 0
    assert library.catalog.file_count() == len(photos)
    assert report.unreadable_folders == [(str(root / "edits"), "permission denied")]


def test_one_writer_at_a_time(library: Library, embedder: EmbedderProvider,
                              tmp_path: Path) -> None:
    other = Library.open(library.root)
    with other.writing(), pytest.raises(LibraryBusy, match="busy"):
        index_folders(library, [tmp_path], embedder)
    other.close()


def test_photos_from_another_model_are_embedded_again(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    photos = photo_folder()
    root = tmp_path / "photos"
    Indexer(library, embedder).run([root])
    n = library.catalog.content_count()
    library.catalog._db.execute("UPDATE contents SET model = 'older-model' WHERE id % 2 = 0")
    library.catalog._db.commit()
    library.drop_vectors()
    assert len(library.vectors) < n  # the old model's vectors are not mixed in
    counting = CountingEmbedder(embedder)
    report = Indexer(library, counting).run([root])
    assert library.catalog.models() == {library.model_name: n}
    assert counting.embedded == report.indexed > 0
    assert len(library.vectors) == n
    assert library.catalog.file_count() == len(photos)


def test_a_library_of_the_1280_dimension_model_is_embedded_again(
    tmp_path: Path, photo_folder: Callable[..., dict[str, Path]], embedder: EmbedderProvider,
) -> None:
    # A library from before the 256-d embeddings: 1280-d vectors in the catalog under the old
    # model name, and a 1280-d vector index file.
    photos = photo_folder()
    root = tmp_path / "photos"
    lib = Library.open(tmp_path / "library")
    Indexer(lib, embedder).run([root])
    n = lib.catalog.content_count()
    old = np.random.default_rng(0).random((n, 1280), dtype=np.float32)
    old /= np.linalg.norm(old, axis=1, keepdims=True)
    ids = sorted(lib.catalog.content_digests())
    for cid, vec in zip(ids, old, strict=True):
        lib.catalog._db.execute("UPDATE contents SET model = ?, embedding = ? WHERE id = ?",
                                ("efficientnet-lite0-imagenet:gap-l2:v1", vec.tobytes(), cid))
    lib.catalog._db.commit()
    legacy = VectorIndex(1280)
    legacy.add(np.asarray(ids, dtype=np.int64), old)
    legacy.save(lib.vectors_path)
    lib.close()

    lib = Library.open(tmp_path / "library")
    assert len(lib.vectors) == 0  # the old vectors are neither loaded nor mixed in
    counting = CountingEmbedder(embedder)
    report = Indexer(lib, counting).run([root])
    assert counting.embedded == report.indexed == n
    assert lib.catalog.models() == {MODEL_NAME: n}
    lib.drop_vectors()
    assert len(lib.vectors) == n and lib.vectors.dim == EMBED_DIM
    near = [{p.path for p in g.photos} for g in find_duplicate_groups(lib) if g.kind == "near"]
    # the cat's smaller copy and PNG are found again by the new vectors
    assert {str(photos["cat-small"]), str(photos["cat-png"])} in [
        {p for p in group if "cat" in Path(p).name} for group in near]
    assert lib.catalog.file_count() == len(photos)
    lib.close()


def test_temp_files_of_a_killed_run_are_cleared(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    photo_folder()
    half_index = library.root / ".vectors-abc123.tmp"
    half_index.write_bytes(b"half")
    half_thumb = library.thumbs.root / "ab" / ".abcd.jpg.xyz.tmp"
    half_thumb.parent.mkdir(parents=True)
    half_thumb.write_bytes(b"half")
    Indexer(library, embedder).run([tmp_path / "photos"])
    assert not half_index.exists() and not half_thumb.exists()
