"""A photo's companion files go with it: Move to Trash, Move to Folder and Undo act on the
photo and its companions as one journalled unit. Real files, the test's own trash."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import send2trash

from simfinder.app.review import undo_last_action, undoable_action
from simfinder.app.usecases import EmbedderProvider
from simfinder.core.cleanup import actions
from simfinder.core.cleanup.actions import move_photos, recover_interrupted, trash_photos, undo_last
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.store.catalog import PhotoRecord
from simfinder.core.store.library import Library
from simfinder.gui.words import batch_text

Photos = dict[str, Path]


@pytest.fixture
def indexed(
    tmp_path: Path, photo_folder: Callable[..., Photos], embedder: EmbedderProvider,
    temp_trash: Path,
) -> tuple[Library, Photos]:
    photos = photo_folder()
    copy = photos["rocket-copy"]  # photos/backup/rocket.jpg
    for name, data in (("rocket.jpg.json", b'{"title": "rocket.jpg"}'),
                       ("rocket.MOV", os.urandom(5000)), ("rocket.xmp", b"<x:xmpmeta/>"),
                       ("other.xmp", b"<x:xmpmeta/>")):
        (copy.parent / name).write_bytes(data)
    lib = Library.open(tmp_path / "library")
    Indexer(lib, embedder).run([tmp_path / "photos"])
    yield lib, photos
    lib.close()


def fingerprint(path: Path) -> tuple[bytes, int]:
    return hashlib.sha256(path.read_bytes()).digest(), path.stat().st_mtime_ns


def record(lib: Library, path: Path) -> PhotoRecord:
    found = lib.catalog.photo(str(path))
    assert found is not None
    return found


def companions_of(photo: Path) -> list[Path]:
    return [photo.parent / n for n in ("rocket.MOV", "rocket.jpg.json", "rocket.xmp")]


def test_trash_and_undo_take_the_companions_along_byte_for_byte(
    indexed: tuple[Library, Photos], temp_trash: Path, embedder: EmbedderProvider,
) -> None:
    lib, photos = indexed
    copy = photos["rocket-copy"]
    unit = [copy, *companions_of(copy)]
    before = {p: fingerprint(p) for p in unit}
    assert lib.catalog.companions_of([str(copy)]) == {str(copy): [str(p) for p in unit[1:]]}

    with lib.writing():
        report = trash_photos(lib, [record(lib, copy)])
    assert report.failed == [] and report.companions_failed == []
    assert [src for src, _ in report.moved] == [str(copy)]
    assert sorted(src for src, _ in report.companions_moved) == [str(p) for p in unit[1:]]
    assert not any(p.exists() for p in unit)
    assert sorted(os.listdir(temp_trash / "files")) == sorted(p.name for p in unit)
    assert (copy.parent / "other.xmp").is_file()  # a sidecar of no photo stays
    assert lib.catalog.companions_of([str(copy)]) == {}

    summary = undoable_action(lib)
    assert summary is not None
    assert batch_text(summary) == "Move to Trash (1 photo and 3 companion files)"
    undone = undo_last_action(lib, embedder)
    assert undone is not None and undone.failed == [] and undone.companions_failed == []
    assert undone.restored == [str(copy)]
    assert sorted(undone.companions_restored) == [str(p) for p in unit[1:]]
    assert {p: fingerprint(p) for p in unit} == before  # same bytes, same times
    assert os.listdir(temp_trash / "files") == []
    assert lib.catalog.companions_of([str(copy)]) == {str(copy): [str(p) for p in unit[1:]]}


def test_move_to_a_folder_keeps_the_companions_beside_their_photo(
    indexed: tuple[Library, Photos], tmp_path: Path,
) -> None:
    lib, photos = indexed
    copy = photos["rocket-copy"]
    before = {p: fingerprint(p) for p in [copy, *companions_of(copy)]}
    target = tmp_path / "elsewhere"
    taken = target / "photos" / "backup" / "rocket.jpg"  # a file already has the name
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"someone else's")

    with lib.writing():
        report = move_photos(lib, [record(lib, copy)], target)
    # Renamed as its photo was, so that they still go together.
    assert report.moved == [(str(copy), str(taken.parent / "rocket (2).jpg"))]
    assert sorted(dest or "" for _, dest in report.companions_moved) == [
        str(taken.parent / n) for n in ("rocket (2).MOV", "rocket (2).jpg.json",
                                        "rocket (2).xmp")]
    assert taken.read_bytes() == b"someone else's"

    with lib.writing():
        undone = undo_last(lib)
    assert undone is not None and undone.failed == [] and undone.companions_failed == []
    assert {p: fingerprint(p) for p in before} == before
    assert sorted(os.listdir(taken.parent)) == ["rocket.jpg"]


def test_companions_stay_when_their_photo_is_not_moved(
    indexed: tuple[Library, Photos], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    lib, photos = indexed
    copy = photos["rocket-copy"]
    stale = record(lib, copy)
    copy.write_bytes(copy.read_bytes() + b"edited")  # changed since it was indexed
    with lib.writing():
        report = trash_photos(lib, [stale])
    assert report.moved == [] and report.companions_moved == []
    assert [f.path for f in report.failed] == [str(copy)]
    assert all(p.is_file() for p in companions_of(copy))

    # A photo that cannot be moved keeps its companions too.
    cat_small = record(lib, photos["cat-small"])
    (photos["cat-small"].parent / "cat-small.jpg.xmp").write_text("<x:xmpmeta/>")
    with lib.writing():
        lib.catalog.set_companions([str(photos["cat-small"].parent)], {
            cat_small.path: [str(photos["cat-small"].parent / "cat-small.jpg.xmp")]})

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied", src)

    monkeypatch.setattr(actions, "_move_file", refuse)
    with lib.writing():
        report = move_photos(lib, [cat_small], tmp_path / "elsewhere")
    assert [(f.path, f.reason) for f in report.failed] == [(cat_small.path, "permission denied")]
    assert report.companions_moved == []
    states = {i.source: (i.state, i.error) for i in lib.catalog.journal_items(report.batch_id)}
    sidecar = str(photos["cat-small"].parent / "cat-small.jpg.xmp")
    assert states[sidecar] == ("failed",
                               "stays with its photo cat-small.jpg, which was not moved")
    assert Path(sidecar).is_file()


def test_a_crash_between_a_photo_and_its_companions_is_settled_from_the_journal(
    indexed: tuple[Library, Photos],
) -> None:
    lib, photos = indexed
    cat = lib.catalog
    copy = photos["rocket-copy"]
    photo = record(lib, copy)
    mov, json_file, _ = companions_of(copy)
    # A run journals the unit, trashes the photo and one companion, and is killed.
    batch = cat.journal_begin("trash")
    item = cat.journal_add(batch, photo.path, photo.size, photo.digest)
    for p in (mov, json_file):
        cat.journal_add(batch, str(p), p.stat().st_size, None, photo_item=item)
    send2trash.send2trash(photo.path)
    send2trash.send2trash(str(mov))

    with lib.writing():
        recover_interrupted(lib)
    states = {i.source: i.state for i in cat.journal_items(batch)}
    assert states == {photo.path: "done", str(mov): "done", str(json_file): "failed"}
    summary = undoable_action(lib)
    assert summary is not None and (summary.files, summary.companions) == (1, 1)
    with lib.writing():
        undone = undo_last(lib)
    assert undone is not None and undone.restored == [photo.path]
    assert undone.companions_restored == [str(mov)]
    assert copy.is_file() and mov.is_file() and json_file.is_file()


def test_moved_into_the_library_the_companions_stay_known_with_their_photo(
    indexed: tuple[Library, Photos], tmp_path: Path,
) -> None:
    lib, photos = indexed
    copy = photos["rocket-copy"]
    target = tmp_path / "photos" / "sorted"  # inside the library's folder
    with lib.writing():
        report = move_photos(lib, [record(lib, copy)], target)
    new = Path(report.moved[0][1] or "")
    assert lib.catalog.photo(str(new)) is not None
    assert lib.catalog.companions_of([str(new)]) == {
        str(new): [str(new.parent / n) for n in ("rocket.MOV", "rocket.jpg.json", "rocket.xmp")]}
    with lib.writing():
        undo_last(lib)
    assert lib.catalog.companions_of([str(copy)]) == {
        str(copy): [str(p) for p in companions_of(copy)]}
