"""Cleaning up duplicates: trash and move with a journal, Undo, consistency after failures and
crashes. Real files, a real (temporary) freedesktop trash, the real CNN."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import send2trash

from simfinder.app.review import (
    NothingKept,
    groups_as_csv,
    marked_for_removal,
    remove_marked,
    review_groups,
    undo_last_action,
    undoable_action,
)
from simfinder.app.usecases import EmbedderProvider, groups_as_json
from simfinder.core.cleanup import actions
from simfinder.core.cleanup.actions import (
    FileFailure,
    last_undoable,
    move_photos,
    recover_interrupted,
    trash_photos,
    undo_last,
)
from simfinder.core.cleanup.keeper import KeepPlan
from simfinder.core.cleanup.trash import SystemTrash, parse_recycle_record, parse_trashinfo
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.similarity import Strictness
from simfinder.core.store.catalog import PhotoRecord
from simfinder.core.store.check import check_library
from simfinder.core.store.library import Library
from simfinder.gui.words import batch_text

Photos = dict[str, Path]


@pytest.fixture
def indexed(
    tmp_path: Path, photo_folder: Callable[..., Photos], embedder: EmbedderProvider,
    temp_trash: Path,
) -> tuple[Library, Photos]:
    photos = photo_folder()
    lib = Library.open(tmp_path / "library")
    Indexer(lib, embedder).run([tmp_path / "photos"])
    yield lib, photos
    lib.close()


def fingerprint(path: Path) -> tuple[bytes, int]:
    return hashlib.sha256(path.read_bytes()).digest(), path.stat().st_mtime_ns


def records(lib: Library, *paths: Path) -> list[PhotoRecord]:
    out = [lib.catalog.photo(str(p)) for p in paths]
    assert all(r is not None for r in out)
    return out  # type: ignore[return-value]


def trash_contents(trash: Path) -> list[str]:
    files = trash / "files"
    return sorted(os.listdir(files)) if files.is_dir() else []


def consistent(lib: Library) -> None:
    """Catalog, vector index and thumbnails agree; every catalogued file is on disk."""
    assert check_library(lib).problems == []
    assert all(Path(p.path).is_file() for p in lib.catalog.photos())


def test_trash_and_undo_round_trip_byte_identical_files(
    indexed: tuple[Library, Photos], temp_trash: Path, embedder: EmbedderProvider,
) -> None:
    lib, photos = indexed
    doomed = [photos["rocket-copy"], photos["cat-small"]]  # an exact copy, a near-duplicate
    before = {p: fingerprint(p) for p in doomed}
    cat_small = lib.catalog.photo(str(photos["cat-small"]))
    assert cat_small is not None
    count = lib.catalog.file_count()

    with lib.writing():
        report = trash_photos(lib, records(lib, *doomed))
    assert report.failed == []
    assert [src for src, _ in report.moved] == [str(p) for p in doomed]
    assert report.bytes_moved == cat_small.size + photos["rocket"].stat().st_size
    # Gone from their folders, into the (test's own) trash, with a record of where from.
    assert not any(p.exists() for p in doomed)
    assert trash_contents(temp_trash) == ["cat-small.jpg", "rocket.jpg"]
    info = (temp_trash / "info" / "cat-small.jpg.trashinfo").read_text()
    assert parse_trashinfo(info, temp_trash.parent)[0] == str(photos["cat-small"])
    # The catalog followed: the files are gone; the near-duplicate's content (no other file
    # has it) left the vector index and the thumbnails; the byte copy's content stays.
    assert lib.catalog.file_count() == count - 2
    assert cat_small.content_id not in lib.vectors.labels()
    assert not lib.thumbs.has(cat_small.digest)
    assert lib.catalog.photo(str(photos["rocket"])) is not None
    consistent(lib)

    summary = undoable_action(lib)
    assert summary is not None and (summary.kind, summary.files) == ("trash", 2)
    assert batch_text(summary) == "Move to Trash (2 photos)"
    undone = undo_last_action(lib, embedder)
    assert undone is not None
    assert sorted(undone.restored) == sorted(str(p) for p in doomed) and undone.failed == []
    assert {p: fingerprint(p) for p in doomed} == before  # same bytes, same times
    assert trash_contents(temp_trash) == []
    assert os.listdir(temp_trash / "info") == []
    # Back in the library, as before.
    assert lib.catalog.file_count() == count
    assert lib.catalog.photo(str(photos["cat-small"])) is not None
    consistent(lib)
    assert undoable_action(lib) is None  # one Undo per action
    assert undo_last_action(lib, embedder) is None


def test_a_failure_half_way_leaves_journal_catalog_and_files_consistent(
    indexed: tuple[Library, Photos], temp_trash: Path, monkeypatch: pytest.MonkeyPatch,
    embedder: EmbedderProvider,
) -> None:
    lib, photos = indexed
    doomed = [photos["cat-small"], photos["cat-png"], photos["coffee-q30"]]
    real = send2trash.send2trash

    def refusing(path: str) -> None:
        if path == str(photos["cat-png"]):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        real(path)

    monkeypatch.setattr(send2trash, "send2trash", refusing)
    with lib.writing():
        report = trash_photos(lib, records(lib, *doomed))
    monkeypatch.undo()
    # Reported: which file was not moved, and why.
    assert report.failed == [FileFailure(str(photos["cat-png"]), "permission denied")]
    assert [src for src, _ in report.moved] == [str(photos["cat-small"]),
                                                 str(photos["coffee-q30"])]
    # Files: the refused one is in place; the others are in the trash.
    assert photos["cat-png"].is_file()
    assert trash_contents(temp_trash) == ["cat-small.jpg", "coffee-q30.jpg"]
    # Catalog: it still has the refused file and none of the moved ones.
    assert lib.catalog.photo(str(photos["cat-png"])) is not None
    assert lib.catalog.photo(str(photos["cat-small"])) is None
    assert lib.catalog.photo(str(photos["coffee-q30"])) is None
    consistent(lib)
    # Journal: one entry per file, saying what happened.
    states = {i.source: (i.state, i.error) for i in lib.catalog.journal_items(report.batch_id)}
    assert states == {
        str(photos["cat-small"]): ("done", None),
        str(photos["cat-png"]): ("failed", "permission denied"),
        str(photos["coffee-q30"]): ("done", None),
    }
    # Undo brings back the two that went, and leaves the other alone.
    undone = undo_last_action(lib, embedder)
    assert undone is not None
    assert sorted(undone.restored) == sorted([str(photos["cat-small"]),
                                              str(photos["coffee-q30"])])
    assert all(p.is_file() for p in doomed)
    assert lib.catalog.file_count() == len(photos)
    consistent(lib)


def test_a_reference_folder_is_never_touched(
    indexed: tuple[Library, Photos], temp_trash: Path,
) -> None:
    lib, photos = indexed
    backup = str(photos["rocket-copy"].parent)
    plan = KeepPlan(reference_folders=(backup,))
    groups = review_groups(lib, Strictness.NORMAL, plan)
    rocket = next(g for g in groups if g.kind == "exact")
    kept = {p.path for p in rocket.photos if p.file_id in rocket.keep}
    assert kept == {str(photos["rocket-copy"])}  # the reference copy is the one kept
    # Even when asked to (a mark overridden by hand), the engine refuses.
    rocket.keep = {p.file_id for p in rocket.photos if p.path == str(photos["rocket"])}
    before = fingerprint(photos["rocket-copy"])
    report = remove_marked(lib, [rocket], plan=plan)
    assert report.moved == []
    assert report.failed == [FileFailure(str(photos["rocket-copy"]),
                                         "in a reference folder: never removed")]
    assert fingerprint(photos["rocket-copy"]) == before
    assert trash_contents(temp_trash) == []
    assert lib.catalog.photo(str(photos["rocket-copy"])) is not None


def test_every_group_keeps_a_photo_or_nothing_happens(
    indexed: tuple[Library, Photos], temp_trash: Path,
) -> None:
    lib, photos = indexed
    groups = review_groups(lib)
    groups[0].keep = set()
    with pytest.raises(NothingKept, match="group 1 would keep no photo"):
        remove_marked(lib, groups)
    assert all(p.is_file() for p in photos.values())
    assert trash_contents(temp_trash) == []
    # A group whose kept photo vanished from disk since it was listed loses nothing either.
    groups = review_groups(lib)
    cat = next(g for g in groups if any(p.path == str(photos["cat-small"]) for p in g.photos))
    keeper = next(p for p in cat.photos if p.file_id in cat.keep)
    Path(keeper.path).rename(Path(keeper.path).with_suffix(".away"))
    report = remove_marked(lib, [cat])
    assert report.moved == []
    assert {f.path for f in report.failed} == {p.path for p in cat.photos
                                               if p.file_id not in cat.keep}
    assert all("no longer on disk" in f.reason for f in report.failed)


def test_a_file_changed_since_indexing_is_not_moved(
    indexed: tuple[Library, Photos], temp_trash: Path,
) -> None:
    lib, photos = indexed
    record = records(lib, photos["coffee-bright"])
    with photos["coffee-bright"].open("ab") as fh:
        fh.write(b"edited")
    with lib.writing():
        report = trash_photos(lib, record)
    assert report.moved == []
    assert report.failed[0].reason.startswith("changed since it was indexed")
    assert photos["coffee-bright"].is_file()


def test_move_to_a_folder_keeps_relative_paths_and_undo_brings_them_back(
    indexed: tuple[Library, Photos], tmp_path: Path, embedder: EmbedderProvider,
) -> None:
    lib, photos = indexed
    target = tmp_path / "set aside"
    doomed = [photos["cat-small"], photos["rocket-copy"]]
    before = {p: fingerprint(p) for p in doomed}
    # Something already has the name one file would get: nothing is overwritten.
    clash = target / "photos" / "backup" / "rocket.jpg"
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"not mine")
    with lib.writing():
        report = move_photos(lib, records(lib, *doomed), target)
    assert report.failed == []
    assert dict(report.moved) == {
        str(photos["cat-small"]): str(target / "photos" / "edits" / "cat-small.jpg"),
        str(photos["rocket-copy"]): str(target / "photos" / "backup" / "rocket (2).jpg"),
    }
    assert clash.read_bytes() == b"not mine"
    assert fingerprint(target / "photos" / "edits" / "cat-small.jpg") == before[doomed[0]]
    assert not any(p.exists() for p in doomed)
    assert lib.catalog.photo(str(photos["cat-small"])) is None
    consistent(lib)
    summary = last_undoable(lib)
    assert summary is not None and batch_text(summary) == "Move to Folder (2 photos)"

    undone = undo_last_action(lib, embedder)
    assert undone is not None and undone.failed == []
    assert {p: fingerprint(p) for p in doomed} == before
    assert not (target / "photos" / "edits" / "cat-small.jpg").exists()
    assert clash.read_bytes() == b"not mine"
    # The folders the move made and left empty go; the chosen one and the others stay.
    assert not (target / "photos" / "edits").exists()
    assert sorted(os.listdir(target)) == ["photos"]
    assert os.listdir(target / "photos") == ["backup"]
    assert lib.catalog.file_count() == len(photos)
    consistent(lib)


def test_a_move_within_the_library_is_followed_by_the_catalog(
    indexed: tuple[Library, Photos], tmp_path: Path, embedder: EmbedderProvider,
) -> None:
    lib, photos = indexed
    target = tmp_path / "photos" / "duplicates"
    (cat_small,) = records(lib, photos["cat-small"])
    with lib.writing():
        report = move_photos(lib, [cat_small], target)
    new_path = target / "photos" / "edits" / "cat-small.jpg"
    assert report.moved == [(str(photos["cat-small"]), str(new_path))]
    moved = lib.catalog.photo(str(new_path))
    assert moved is not None and moved.content_id == cat_small.content_id
    consistent(lib)
    # A rescan finds nothing new to do.
    again = Indexer(lib, embedder).run([tmp_path / "photos"])
    assert (again.indexed, again.linked, again.removed) == (0, 0, 0)
    with lib.writing():
        undone = undo_last(lib)
    assert undone is not None and undone.to_index == []  # the catalog row moved back
    assert lib.catalog.photo(str(photos["cat-small"])) is not None
    consistent(lib)


def test_a_failed_move_half_way_is_reported_and_consistent(
    indexed: tuple[Library, Photos], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    lib, photos = indexed
    real_rename = os.rename

    def rename(src: str, dst: str) -> None:
        if src == str(photos["coffee-q30"]):
            raise PermissionError(errno.EACCES, "Permission denied", src)
        real_rename(src, dst)

    monkeypatch.setattr(actions.os, "rename", rename)
    doomed = [photos["cat-small"], photos["coffee-q30"], photos["coffee-bright"]]
    with lib.writing():
        report = move_photos(lib, records(lib, *doomed), tmp_path / "out")
    monkeypatch.undo()
    assert report.failed == [FileFailure(str(photos["coffee-q30"]), "permission denied")]
    assert len(report.moved) == 2
    assert photos["coffee-q30"].is_file()
    assert lib.catalog.photo(str(photos["coffee-q30"])) is not None
    assert all(Path(dest).is_file() for _, dest in report.moved if dest)
    consistent(lib)


def test_a_crash_mid_batch_is_recovered_from_the_journal(
    indexed: tuple[Library, Photos], temp_trash: Path,
) -> None:
    lib, photos = indexed
    cat = lib.catalog
    moved, untouched = records(lib, photos["cat-small"], photos["coffee-q30"])
    # A run journals two files, trashes the first, and is killed before it says so.
    batch = cat.journal_begin("trash")
    cat.journal_add(batch, moved.path, moved.size, moved.digest)
    cat.journal_add(batch, untouched.path, untouched.size, untouched.digest)
    send2trash.send2trash(moved.path)

    with lib.writing():
        assert recover_interrupted(lib) >= 2
    states = {i.source: i.state for i in cat.journal_items(batch)}
    assert states == {moved.path: "done", untouched.path: "failed"}
    assert cat.photo(moved.path) is None  # the catalog followed the file
    assert cat.photo(untouched.path) is not None
    consistent(lib)
    # Undo knows where the file went.
    with lib.writing():
        undone = undo_last(lib)
    assert undone is not None and undone.restored == [moved.path]
    assert Path(moved.path).is_file()


def test_undo_says_where_a_file_is_when_it_cannot_put_it_back(
    indexed: tuple[Library, Photos], temp_trash: Path,
) -> None:
    lib, photos = indexed
    with lib.writing():
        trash_photos(lib, records(lib, photos["cat-small"]))
    photos["cat-small"].write_bytes(b"a new file took its place")
    with lib.writing():
        undone = undo_last(lib, trash=SystemTrash())
    assert undone is not None and undone.restored == []
    (failure,) = undone.failed
    assert failure.path == str(photos["cat-small"])
    assert "another file is now at" in failure.reason
    assert str(temp_trash / "files" / "cat-small.jpg") in failure.reason
    assert (temp_trash / "files" / "cat-small.jpg").is_file()
    assert photos["cat-small"].read_bytes() == b"a new file took its place"


def test_exports_carry_the_keep_marks(indexed: tuple[Library, Photos]) -> None:
    lib, _ = indexed
    groups = review_groups(lib)
    doc = groups_as_json(groups)
    out = io.StringIO()
    groups_as_csv(groups, out)
    lines = out.getvalue().splitlines()
    assert lines[0] == ("group,kind,confidence,path,width,height,bytes,format,taken_at,camera,"
                        "keep,keep_reason,decision,new,companions")
    assert len(lines) - 1 == sum(len(g["files"]) for g in doc["groups"])
    json_keep = {f["path"]: f["keep"] for g in doc["groups"] for f in g["files"]}
    csv_keep = {row.split(",")[3]: row.split(",")[10] == "true" for row in lines[1:]}
    assert csv_keep == json_keep
    assert json.loads(json.dumps(doc)) == doc
    assert len(marked_for_removal(groups)) == sum(not k for k in json_keep.values())


def test_trash_records_are_read_as_the_platforms_write_them(tmp_path: Path) -> None:
    text = ("[Trash Info]\nPath=/home/me/My%20Photos/caf%C3%A9.jpg\n"
            "DeletionDate=2024-03-01T10:00:00\n")
    path, when = parse_trashinfo(text, tmp_path)
    assert path == "/home/me/My Photos/café.jpg" and when > 0
    assert parse_trashinfo("[Trash Info]\nPath=a/b.jpg\n", Path("/mnt/disk"))[0] == \
        "/mnt/disk/a/b.jpg"
    # Windows $I records, version 2 (Windows 10+) and version 1 (Vista to 8).
    original = "C:\\Users\\me\\Pictures\\IMG_1.jpg"
    encoded = (original + "\0").encode("utf-16-le")
    v2 = ((2).to_bytes(8, "little") + (1234).to_bytes(8, "little")
          + (133_500_000_000_000_000).to_bytes(8, "little")
          + (len(encoded) // 2).to_bytes(4, "little") + encoded)
    v1 = ((1).to_bytes(8, "little") + (1234).to_bytes(8, "little")
          + (133_500_000_000_000_000).to_bytes(8, "little") + encoded.ljust(520, b"\0"))
    for record in (v2, v1):
        parsed = parse_recycle_record(record)
        assert parsed is not None and parsed[0] == original
        assert 1_700_000_000 < parsed[1] < 1_800_000_000
    assert parse_recycle_record(b"junk") is None


def test_nothing_lands_in_the_real_trash(temp_trash: Path, tmp_path: Path) -> None:
    victim = tmp_path / "x.jpg"
    victim.write_bytes(b"x")
    entry = SystemTrash().send(str(victim))
    assert entry is not None and Path(entry.location).parent == temp_trash / "files"
    shutil.rmtree(temp_trash)


def test_photos_of_an_offline_folder_are_skipped_and_say_so(
    indexed: tuple[Library, Photos], embedder: EmbedderProvider, tmp_path: Path,
    temp_trash: Path,
) -> None:
    lib, photos = indexed
    drive = tmp_path / "drive"
    drive.mkdir()
    shutil.copy2(photos["rocket"], drive / "rocket.jpg")
    Indexer(lib, embedder).run([drive])
    (drive / "rocket.jpg").unlink()  # the drive is unplugged: its empty mount point stays
    assert Indexer(lib, embedder).run([drive]).offline[0].path == str(drive)

    groups = review_groups(lib)
    rocket = next(g for g in groups if any(p.path == str(drive / "rocket.jpg")
                                           for p in g.photos))
    rocket.keep = {p.file_id for p in rocket.photos if p.path == str(photos["rocket"])}
    for destination in (None, tmp_path / "moved"):
        report = remove_marked(lib, [rocket], destination=destination)
        offline = [f for f in report.failed if f.path == str(drive / "rocket.jpg")]
        assert offline == [FileFailure(str(drive / "rocket.jpg"), actions.OFFLINE_REASON)]
        assert lib.catalog.photo(str(drive / "rocket.jpg")) is not None  # still in the library
