"""Offline, not deleted: photos of an unmounted drive, an empty mount point, or a folder whose
photos all vanished at once stay in the library until the folder is back or the user forgets
them."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from simfinder.app.usecases import EmbedderProvider, forget_missing_photos
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.indexing.offline import OFFLINE_MIN_PHOTOS
from simfinder.core.store.catalog import FolderDevice
from simfinder.core.store.library import Library
from tests.photos import photo_series

MANY = OFFLINE_MIN_PHOTOS + 5


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library.open(tmp_path / "library")
    yield lib
    lib.close()


def _kept_whole(library: Library, photos: list[Path]) -> bool:
    """Every photo still in the catalog, with its vector and thumbnail."""
    records = [library.catalog.photo(str(p)) for p in photos]
    return all(r is not None and r.content_id in library.vectors
               and library.thumbs.has(r.digest) for r in records)


def _empty_out(folder: Path) -> list[tuple[Path, bytes, int]]:
    """Take every file out of `folder` (kept in memory, with its mtime), leaving it empty."""
    saved = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            saved.append((path, path.read_bytes(), path.stat().st_mtime_ns))
    for child in folder.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    return saved


def _put_back(saved: list[tuple[Path, bytes, int]]) -> None:
    for path, data, mtime in saved:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, ns=(mtime, mtime))


def _mount_tmpfs(point: Path) -> bool:
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=50m", "tmpfs", str(point)],
                          capture_output=True)
    return done.returncode == 0


def test_an_unmounted_drive_keeps_its_photos_until_it_is_back(
    library: Library, embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    """With root: a real tmpfs mounted, indexed, unmounted (the empty mount point stays)."""
    point = tmp_path / "nas"
    point.mkdir()
    if not _mount_tmpfs(point):
        pytest.skip("needs root and mount (the simulated variant below always runs)")
    try:
        photos = photo_series(point, 5)
        Indexer(library, embedder).run([point])
        saved = _empty_out(point)
        subprocess.run(["umount", str(point)], check=True)
        assert not os.path.ismount(point) and not any(point.iterdir())

        report = Indexer(library, embedder).run([point])
        assert report.removed == 0
        assert [(o.path, o.reason) for o in report.offline] == [(str(point), "not mounted")]
        assert _kept_whole(library, photos)
        assert [o.path for o in library.catalog.offline_folders()] == [str(point)]

        assert _mount_tmpfs(point)
        _put_back(saved)
        back = Indexer(library, embedder).run([point])
        assert (back.unchanged, back.indexed, back.removed, back.offline) == (5, 0, 0, [])
        assert library.catalog.offline_folders() == []
    finally:
        if os.path.ismount(point):
            subprocess.run(["umount", str(point)], check=False)


def test_a_mount_point_that_is_no_longer_mounted_simulated(
    library: Library, embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    """Without root: the catalog is told the folder was a mount point on another device."""
    root = tmp_path / "drive"
    photos = photo_series(root, 5)
    Indexer(library, embedder).run([root])
    real = library.catalog.folder_device(str(root))
    assert real is not None and not real.mounted
    library.catalog.set_folder_device(str(root), FolderDevice(real.device + 1, True))
    saved = _empty_out(root)

    report = Indexer(library, embedder).run([root])
    assert report.removed == 0
    assert [(o.path, o.reason, o.photos) for o in report.offline] == [
        (str(root), "not mounted", 5)]
    assert _kept_whole(library, photos)
    # a second run while it is still down changes nothing
    again = Indexer(library, embedder).run([root])
    assert again.removed == 0 and [o.path for o in again.offline] == [str(root)]

    _put_back(saved)
    back = Indexer(library, embedder).run([root])
    assert (back.unchanged, back.removed, back.offline) == (5, 0, [])
    assert library.catalog.offline_folders() == []
    assert library.catalog.folder_device(str(root)) == real  # in step with the drive again


def test_an_emptied_folder_root_is_offline_not_emptied(
    library: Library, embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    root = tmp_path / "drive"
    photos = photo_series(root / "2023", 3) + photo_series(root, 2)
    Indexer(library, embedder).run([root])
    _empty_out(root)
    report = Indexer(library, embedder).run([root])
    assert report.removed == 0
    assert [(o.path, o.reason) for o in report.offline] == [(str(root), "empty")]
    assert _kept_whole(library, photos)


def test_most_photos_vanishing_at_once_is_offline_and_forget_missing_removes_them(
    library: Library, embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    root = tmp_path / "photos"
    photos = photo_series(root, MANY)
    Indexer(library, embedder).run([root])
    for p in photos[:-3]:
        p.unlink()
    report = Indexer(library, embedder).run([root])
    assert report.removed == 0
    assert report.offline[0].path == str(root)
    assert report.offline[0].reason == f"{MANY - 3} of {MANY} photos vanished at once"
    assert library.catalog.file_count() == MANY

    forced = Indexer(library, embedder).run([root], forget_missing=True)
    assert (forced.removed, forced.offline) == (MANY - 3, [])
    assert library.catalog.file_count() == 3
    assert library.catalog.offline_folders() == []


def test_a_few_deleted_photos_still_leave(
    library: Library, embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    root = tmp_path / "photos"
    photos = photo_series(root, 6)
    Indexer(library, embedder).run([root])
    photos[0].unlink()
    photos[1].unlink()
    report = Indexer(library, embedder).run([root])
    assert (report.removed, report.offline) == (2, [])
    assert library.catalog.file_count() == 4


def test_a_vanished_subfolder_is_offline_while_a_moved_one_is_recognised(
    library: Library, embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    root = tmp_path / "photos"
    trip = photo_series(root / "trips" / "alps", MANY, prefix="alps")
    home = photo_series(root / "home", 4, prefix="home")
    others = photo_series(root, MANY + 10, prefix="other")
    Indexer(library, embedder).run([root])

    shutil.rmtree(root / "trips")  # a subfolder gone at once (another drive, a share)
    home[0].unlink()  # and one photo deleted by hand
    report = Indexer(library, embedder).run([root])
    assert report.removed == 1
    assert [(o.path, o.photos) for o in report.offline] == [(str(root / "trips"), MANY)]
    assert _kept_whole(library, trip + home[1:] + others)

    # a renamed folder: its photos are recognised by content, and the old paths leave
    (root / "home").rename(root / "family")
    moved = Indexer(library, embedder).run([root])
    assert (moved.linked, moved.removed, moved.indexed) == (3, 3, 0)
    assert [o.path for o in moved.offline] == [str(root / "trips")]


def test_forget_takes_an_offline_folders_photos_out(
    library: Library, embedder: EmbedderProvider, tmp_path: Path,
) -> None:
    root = tmp_path / "drive"
    photos = photo_series(root, 4)
    Indexer(library, embedder).run([root])
    contents = {library.catalog.photo(str(p)).content_id for p in photos}
    _empty_out(root)
    Indexer(library, embedder).run([root])
    assert library.catalog.file_count() == 4

    report = forget_missing_photos(library, root)
    assert report.photos == 4
    assert library.catalog.file_count() == 0
    assert library.catalog.offline_folders() == []
    assert not contents & set(library.vectors.labels())
    assert library.catalog.folders() == [str(root)]  # the folder itself stays in the library
