from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from simfinder.app.usecases import EmbedderProvider
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.store.check import check_library
from simfinder.core.store.library import Library
from tests.test_cli import run


def indexed(tmp_path: Path, photo_folder: Callable[..., object],
            embedder: EmbedderProvider) -> Path:
    photo_folder()
    lib = Library.open(tmp_path / "lib")
    Indexer(lib, embedder).run([tmp_path / "photos"])
    lib.close()
    return tmp_path / "lib"


def test_a_healthy_library_checks_clean(tmp_path: Path, photo_folder: Callable[..., object],
                                        embedder: EmbedderProvider) -> None:
    root = indexed(tmp_path, photo_folder, embedder)
    result = run("--library", str(root), "check")
    assert (result.returncode, result.stdout.strip()) == (0, "The library is consistent.")


def test_repair_rebuilds_vectors_and_thumbnails(tmp_path: Path,
                                                photo_folder: Callable[..., object],
                                                embedder: EmbedderProvider) -> None:
    root = indexed(tmp_path, photo_folder, embedder)
    lib = Library.open(root)
    n = lib.catalog.content_count()
    (root / "vectors.hnsw").write_bytes(b"garbage")
    first = lib.catalog.photos()[0]
    lib.thumbs.path_for(first.digest).unlink()
    lib.thumbs.put(b"\x01" * 16, b"stray")
    lib.close()

    result = run("--library", str(root), "check")
    assert result.returncode == 1
    assert "vector index file is unreadable" in result.stdout
    assert "1 photos have no thumbnail" in result.stdout
    assert "1 thumbnails belong to no photo" in result.stdout

    result = run("--library", str(root), "check", "--repair")
    assert result.returncode == 0, result.stdout
    lib = Library.open(root)
    assert check_library(lib).problems == []
    assert len(lib.vectors) == n
    assert lib.thumbs.has(first.digest)
