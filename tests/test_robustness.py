"""Bad input, weird names, vanishing files, a full disk, no network: nothing crashes or is lost."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simfinder.app.usecases import EmbedderProvider, library_status
from simfinder.core.indexing import indexer as indexer_module
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.grouping import find_duplicate_groups
from simfinder.core.matching.search import find_similar
from simfinder.core.photos.thumbs import ThumbnailCache
from simfinder.core.store.catalog import Catalog
from simfinder.core.store.check import check_library
from simfinder.core.store.library import Library, LibraryWriteError
from tests.datasets import dataset
from tests.photos import sample, save


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library.open(tmp_path / "library")
    yield lib
    lib.close()


def test_corrupt_truncated_bomb_and_non_image_files(library: Library, tmp_path: Path,
                                                    embedder: EmbedderProvider) -> None:
    root = tmp_path / "bad"
    shutil.copytree(dataset("corrupt_jpeg_suite", "images"), root / "corrupt")
    suite = dataset("duplicateimages_tests")
    shutil.copytree(suite / "images" / "broken", root / "broken")
    shutil.copytree(suite / "images" / "huge", root / "huge")
    shutil.copytree(suite / "nonimages", root / "nonimages")
    (root / "zero.jpg").write_bytes(b"")
    (root / "letter.jpg").write_text("Dear photo library,")
    save(sample("coffee.png"), root / "good.jpg")
    candidates = [p for p in root.rglob("*") if p.is_file()]

    report = Indexer(library, embedder).run([root])

    indexed = {p.path for p in library.catalog.photos()}
    failed = {e.path: e.reason for e in library.catalog.errors()}
    assert str(root / "good.jpg") in indexed
    assert not indexed & set(failed)  # a file is indexed or failed, never both
    assert len(report.failed) == len(failed) >= 90
    for reason in failed.values():
        assert reason and "\n" not in reason and "Traceback" not in reason
    assert failed[str(root / "huge" / "huge.png")].startswith("image too large")
    assert failed[str(root / "zero.jpg")] == "empty file"
    assert failed[str(root / "letter.jpg")] == "not an image file"
    # files that are not photos by name or content are not even looked at
    assert str(root / "nonimages" / "garbage.txt") not in failed
    # status shows the errors; a second run does not retry unchanged bad files
    assert len(library_status(library).errors) == len(failed)
    assert Indexer(library, embedder).run([root]).failed_before == len(failed)
    assert len(indexed) + len(failed) <= len(candidates)


def test_unusual_file_names(library: Library, tmp_path: Path,
                            embedder: EmbedderProvider) -> None:
    root = tmp_path / "names"
    root.mkdir()
    latin1 = os.fsdecode(b"caf\xe9 (copy).jpg")  # not valid UTF-8
    long_name = "n" * 240 + ".jpg"
    names = [latin1, long_name, "line\nbreak.jpg", "emoji 📷.jpg", " leading space.jpg"]
    photo = sample("chelsea.png")
    for name in names:
        save(photo, root / name, quality=90)
    Indexer(library, embedder).run([root])
    assert {Path(p.path).name for p in library.catalog.photos()} == set(names)
    (group,) = find_duplicate_groups(library)
    assert {Path(p.path).name for p in group.photos} == set(names)
    hits = find_similar(library, root / latin1, embedder, top=10)
    assert {Path(h.photo.path).name for h in hits} == set(names) - {latin1}


def test_files_that_vanish_or_refuse_reading_mid_run(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    photos = photo_folder()
    real_digest = indexer_module.file_digest

    def digest(path: str) -> bytes:
        if path == str(photos["coins"]):
            os.unlink(path)  # deleted between the scan and the read
        if path == str(photos["camera"]):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_digest(path)

    monkeypatch.setattr(indexer_module, "file_digest", digest)
    report = Indexer(library, embedder).run([tmp_path / "photos"])
    reasons = {Path(e.path).name: e.reason for e in report.failed}
    assert reasons == {"coins.jpg": "file vanished", "camera.jpg": "permission denied"}
    assert library.catalog.file_count() == len(photos) - 2
    monkeypatch.undo()
    # the next run: the vanished file's record goes, the readable-again file is indexed
    Indexer(library, embedder).run([tmp_path / "photos"])
    assert library.catalog.errors() == []
    assert library.catalog.file_count() == len(photos) - 1


def test_a_full_disk_stops_indexing_with_a_clear_error_and_loses_nothing(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    photos = photo_folder()
    root = tmp_path / "photos"
    real_put = ThumbnailCache.put
    calls = {"n": 0}

    def put(self: ThumbnailCache, digest: bytes, jpeg: bytes) -> None:
        calls["n"] += 1
        if calls["n"] > 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_put(self, digest, jpeg)

    monkeypatch.setattr(ThumbnailCache, "put", put)
    with pytest.raises(LibraryWriteError, match="disk is full"):
        Indexer(library, embedder, batch_size=4).run([root])
    committed = library.catalog.file_count()
    assert 0 < committed < len(photos)
    monkeypatch.undo()
    library.close()
    # space freed: the library opens, and the next run completes it
    lib = Library.open(library.root)
    Indexer(lib, embedder).run([root])
    assert lib.catalog.file_count() == len(photos)
    assert check_library(lib).problems == []
    lib.close()


def test_a_write_failing_mid_batch_keeps_nothing_of_the_batch(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The disk fills up as the second batch's neighbour lists are written, after its vectors
    # went into the vector index: the batch is not kept, and the same process goes on with an
    # index in step with the catalog (no vector of a photo the catalog does not have).
    photos = photo_folder()
    root = tmp_path / "photos"
    real_put = Catalog.put_neighbour_lists
    batches: list[set[int]] = []  # the new contents of each batch, as their lists are written

    def put(self: Catalog, model: str, ids: Any, *args: Any) -> None:
        batches.append(set(ids.tolist()))
        if len(batches) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        real_put(self, model, ids, *args)

    monkeypatch.setattr(Catalog, "put_neighbour_lists", put)
    with pytest.raises(LibraryWriteError, match="disk is full"):
        Indexer(library, embedder, batch_size=4).run([root])
    # Which photos share a batch depends on which decode first; the first batch's contents
    # are kept, none of the failed one's.
    kept = set(library.catalog.content_ids().tolist())
    assert kept == batches[0]
    assert not kept & batches[1]
    assert library.vectors.labels() == set(library.catalog.content_digests())
    Indexer(library, embedder).run([root])
    assert library.catalog.file_count() == len(photos)
    assert check_library(library).problems == []


def test_indexing_and_searching_open_no_network_connection(
    tmp_path: Path, photo_folder: Callable[..., dict[str, Path]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    photos = photo_folder()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network connection attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # a fresh model cache: the CNN is exported from the packaged weights, offline
    monkeypatch.setenv("SIMFINDER_CACHE_DIR", str(tmp_path / "fresh-cache"))
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, EmbedderProvider("cpu")).run([tmp_path / "photos"])
    outside = save(sample("rocket.jpg", 200), tmp_path / "q.png")
    top = find_similar(lib, outside, EmbedderProvider("cpu"), top=1)[0]
    assert top.photo.path in {str(photos["rocket"]), str(photos["rocket-copy"])}
    assert find_duplicate_groups(lib)
    lib.close()


def test_indexing_never_writes_to_photo_folders(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    photo_folder()
    root = tmp_path / "photos"

    def snapshot() -> dict[str, tuple[int, bytes | list[str]]]:
        return {str(p): (p.stat().st_mtime_ns,
                         sorted(os.listdir(p)) if p.is_dir() else p.read_bytes())
                for p in [root, *root.rglob("*")]}

    before = snapshot()
    Indexer(library, embedder).run([root])
    find_duplicate_groups(library)
    assert snapshot() == before


def test_a_huge_panorama_is_indexed_at_its_full_size(library: Library, tmp_path: Path,
                                                     embedder: EmbedderProvider) -> None:
    from PIL import Image

    strip = sample("hubble_deep_field.jpg", 1000)
    pano = Image.new("RGB", (24000, 1000))
    for x in range(0, 24000, strip.width):
        pano.paste(strip, (x, 0))
    save(pano, tmp_path / "pano" / "pano.jpg", quality=80)
    report = Indexer(library, embedder).run([tmp_path / "pano"])
    assert report.failed == []
    (photo,) = library.catalog.photos()
    assert (photo.width, photo.height) == (24000, 1000)
    with Image.open(library.thumbs.path_for(photo.digest)) as thumb:
        assert max(thumb.size) == 256


def test_a_file_changed_while_being_indexed_is_indexed_again_next_time(
    library: Library, photo_folder: Callable[..., dict[str, Path]],
    embedder: EmbedderProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    photos = photo_folder()
    target = photos["astronaut"]
    real_digest = indexer_module.file_digest

    def digest(path: str) -> bytes:
        result = real_digest(path)
        if path == str(target):  # the user's editor saves over it right after we read it
            save(sample("coins.png"), target, quality=90)
            os.utime(target, ns=(os.stat(target).st_atime_ns, os.stat(target).st_mtime_ns + 10**9))
        return result

    monkeypatch.setattr(indexer_module, "file_digest", digest)
    Indexer(library, embedder).run([tmp_path / "photos"])
    monkeypatch.undo()
    report = Indexer(library, embedder).run([tmp_path / "photos"])
    assert report.indexed + report.linked == 1
    assert library.catalog.photo(str(target)).digest == real_digest(str(target))
