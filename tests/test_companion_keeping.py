"""Keep rules and confirmations know a photo's companion files: the copy with the user's edits
or metadata is kept, the confirmation of a move says what would go with a photo the kept copy
lacks (and offers to keep it instead), and a RAW+JPEG pair of one capture is one photo."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from simfinder.app.library_settings import REMOVE_RAW_JPEGS, change_setting, result_settings
from simfinder.app.review import (
    companion_notes,
    marked_for_removal,
    remove_marked,
    review_groups,
    undo_last_action,
)
from simfinder.app.usecases import EmbedderProvider
from simfinder.core.cleanup.keeper import (
    DEFAULT_PLAN,
    DEFAULT_RULES,
    KeepPlan,
    KeepRule,
    choose,
    rules_from_settings,
)
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.store.library import Library
from tests.test_cli import run
from tests.test_keeper import photo

Photos = dict[str, Path]
XMP = b'<?xml version="1.0"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>'


# -- the keep rule ------------------------------------------------------------------------------

def test_the_copy_with_sidecars_is_kept_over_a_larger_file() -> None:
    bare = photo("/p/Pictures/IMG_1.jpg", size=4_000_000, camera="Canon")
    edited = photo("/p/Lightroom/IMG_1.jpg", size=3_000_000, camera="Canon")
    choice = choose([bare, edited], DEFAULT_PLAN, {edited.path: ["/p/Lightroom/IMG_1.xmp"]})
    assert choice.photo is edited
    assert choice.deciders == (KeepRule.SIDECARS,)
    assert choice.reason == "has edits or metadata the others lack: XMP sidecar"
    # Without its sidecar, the larger file (the least compressed) is kept, as before.
    assert choose([bare, edited]).photo is bare


def test_more_kinds_of_companions_win_and_most_detail_still_comes_first() -> None:
    live = photo("/p/IMG_1.HEIC", fmt="HEIF")
    tagged = photo("/p/b/IMG_1.HEIC", fmt="HEIF")
    companions = {live.path: ["/p/IMG_1.MOV", "/p/IMG_1.AAE"], tagged.path: ["/p/b/IMG_1.xmp"]}
    choice = choose([tagged, live], DEFAULT_PLAN, companions)
    assert choice.photo is live
    assert choice.reason == "has edits or metadata the others lack: Apple edits, Live Photo video"
    small = photo("/p/small/IMG_1.jpg", width=1600, height=1200)
    big = photo("/p/IMG_1.jpg")
    assert choose([small, big], DEFAULT_PLAN, {small.path: ["/p/small/IMG_1.xmp"]}).photo is big


def test_the_rule_is_on_by_default_above_least_compressed_even_in_saved_orders() -> None:
    assert DEFAULT_RULES.index(KeepRule.SIDECARS) == \
        DEFAULT_RULES.index(KeepRule.LEAST_COMPRESSED) - 1
    # An order saved by a version without the rule gets it where the default has it.
    saved = [r.value for r in DEFAULT_RULES if r is not KeepRule.SIDECARS]
    rules = KeepPlan(rules=rules_from_settings(saved)).rules
    assert rules.index(KeepRule.SIDECARS) == rules.index(KeepRule.LEAST_COMPRESSED) - 1
    assert KeepRule.SIDECARS.label == "Has edits or metadata (sidecars)"


def test_remove_raw_jpegs_keeps_the_raw_of_a_pair_whatever_the_rules_say() -> None:
    jpeg = photo("/p/DSC_1.JPG", size=5_000_000, camera="Nikon")
    raw = photo("/p/DSC_1.NEF", width=3990, height=2990, fmt="RAW", camera="Nikon")
    jpeg_first = KeepPlan(rules=(KeepRule.PREFERRED_FORMAT,), format_order=("JPEG", "RAW"))
    assert choose([jpeg, raw], jpeg_first).photo is jpeg
    plan = KeepPlan(rules=jpeg_first.rules, format_order=jpeg_first.format_order,
                    remove_raw_jpegs=True)
    choice = choose([jpeg, raw], plan)
    assert choice.photo is raw and choice.reason == "original: the camera's RAW file"
    # A RAW of another name is no pair: the rules decide.
    other = photo("/p/DSC_2.NEF", fmt="RAW", camera="Nikon")
    assert choose([jpeg, other], plan).photo is jpeg


# -- the confirmation's notes -------------------------------------------------------------------

def group_of(tmp_path: Path, files: dict[str, bytes], kept: str, removed: str,
             companions: dict[str, list[str]]) -> DuplicateGroup:
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    k, r = photo(str(tmp_path / kept)), photo(str(tmp_path / removed))
    return DuplicateGroup("exact", [k, r], {k.file_id}, 1.0, companions={
        str(tmp_path / p): [str(tmp_path / c) for c in cs] for p, cs in companions.items()})


def test_the_confirmation_lists_what_the_kept_copy_lacks(tmp_path: Path) -> None:
    group = group_of(tmp_path, {"a/IMG_1.jpg": b"x", "b/IMG_1.jpg": b"x", "b/IMG_1.xmp": XMP,
                                "b/IMG_1.MOV": b"video", "a/IMG_1.xmp": XMP},
                     "a/IMG_1.jpg", "b/IMG_1.jpg",
                     {"a/IMG_1.jpg": ["a/IMG_1.xmp"],
                      "b/IMG_1.jpg": ["b/IMG_1.MOV", "b/IMG_1.xmp"]})
    notes = companion_notes([group])
    assert [(n.kind, n.name, n.files) for n in notes] == [
        ("lacking", "b/IMG_1.jpg", (str(tmp_path / "b/IMG_1.MOV"),))]
    assert notes[0].photo.path == str(tmp_path / "b/IMG_1.jpg")
    assert notes[0].text == ("b/IMG_1.jpg has files the copy kept (a/IMG_1.jpg) lacks: "
                             "IMG_1.MOV (Live Photo video). They go with it, unless you keep "
                             "b/IMG_1.jpg instead.")


def test_the_confirmation_says_why_a_shared_sidecar_stays_and_tells_a_bad_one(
    tmp_path: Path,
) -> None:
    group = group_of(tmp_path, {"keep.jpg": b"x", "IMG_1234.JPG": b"x", "IMG_1234.HEIC": b"x",
                                "IMG_1234.xmp": XMP, "IMG_1234.JPG.json": b"{not json"},
                     "keep.jpg", "IMG_1234.JPG", {"IMG_1234.JPG": ["IMG_1234.JPG.json"]})
    texts = [(n.kind, n.text) for n in companion_notes([group])]
    assert texts == [
        ("lacking", "IMG_1234.JPG has files the copy kept (keep.jpg) lacks: IMG_1234.JPG.json "
                    "(Google Takeout metadata). They go with it, unless you keep IMG_1234.JPG "
                    "instead."),
        ("invalid", "IMG_1234.JPG.json is not valid JSON: it goes with IMG_1234.JPG all the "
                    "same."),
        ("shared", "IMG_1234.xmp stays where it is: IMG_1234.HEIC and IMG_1234.JPG could each "
                   "be its photo, so it goes with neither."),
    ]


# -- on real files: RAW+JPEG pairs, trash and undo ----------------------------------------------

def fingerprint(path: Path) -> tuple[bytes, int]:
    return hashlib.sha256(path.read_bytes()).digest(), path.stat().st_mtime_ns


@pytest.fixture
def raw_pair_library(
    tmp_path: Path, photo_folder: Callable[..., Photos], embedder: EmbedderProvider,
    temp_trash: Path,
) -> tuple[Library, Photos, list[Path]]:
    """The backup copy of rocket.jpg shot RAW+JPEG (rocket.NEF, its darktable sidecar); the
    original has an XMP sidecar and a Live Photo video: as many kinds, and in the photo
    folder, it is kept."""
    photos = photo_folder()
    copy = photos["rocket-copy"]
    unit = [copy.with_name("rocket.NEF"), copy.with_name("rocket.NEF.xmp")]
    unit[0].write_bytes(os.urandom(30_000))
    unit[1].write_bytes(XMP)
    photos["rocket"].with_name("rocket.jpg.xmp").write_bytes(XMP)
    photos["rocket"].with_name("rocket.MOV").write_bytes(os.urandom(3000))
    lib = Library.open(tmp_path / "library")
    Indexer(lib, embedder).run([tmp_path / "photos"])
    yield lib, photos, unit
    lib.close()


def test_a_raw_jpeg_pair_is_one_photo_and_trash_and_undo_restore_it_byte_for_byte(
    raw_pair_library: tuple[Library, Photos, list[Path]], embedder: EmbedderProvider,
    temp_trash: Path,
) -> None:
    lib, photos, unit = raw_pair_library
    copy = photos["rocket-copy"]
    nef = unit[0]
    assert lib.catalog.photo(str(nef)) is None  # not a photo of its own
    groups = review_groups(lib)
    group = next(g for g in groups if any(p.path == str(copy) for p in g.photos))
    assert {p.path for p in group.photos} == {str(copy), str(photos["rocket"])}
    assert group.companions[str(copy)] == [str(p) for p in unit]
    assert [p.path for p in marked_for_removal([group])] == [str(copy)]

    before = {p: fingerprint(p) for p in [copy, *unit]}
    report = remove_marked(lib, [group])
    assert [src for src, _ in report.moved] == [str(copy)]
    assert sorted(src for src, _ in report.companions_moved) == [str(p) for p in unit]
    assert not any(p.exists() for p in [copy, *unit])

    undone = undo_last_action(lib, embedder)
    assert undone is not None and undone.failed == [] and undone.companions_failed == []
    assert {p: fingerprint(p) for p in before} == before
    assert lib.catalog.companions_of([str(copy)]) == {str(copy): [str(p) for p in unit]}
    assert lib.catalog.photo(str(nef)) is None


def test_with_remove_raw_jpegs_on_the_next_index_makes_the_raw_a_photo(
    raw_pair_library: tuple[Library, Photos, list[Path]], embedder: EmbedderProvider,
    tmp_path: Path,
) -> None:
    lib, photos, unit = raw_pair_library
    change_setting(lib.catalog, REMOVE_RAW_JPEGS, "true")
    assert result_settings(lib.catalog).plan.remove_raw_jpegs
    Indexer(lib, embedder).run([tmp_path / "photos"])
    copy = photos["rocket-copy"]
    # The RAW is no longer the JPEG's companion: its sidecar is its own (this RAW is random
    # bytes: a photo that could not be read, which the library lists as such).
    assert lib.catalog.companions_of([str(copy)]) == {}
    assert lib.catalog.companions_of([str(unit[0])]) == {str(unit[0]): [str(unit[1])]}
    change_setting(lib.catalog, REMOVE_RAW_JPEGS, "false")
    Indexer(lib, embedder).run([tmp_path / "photos"])
    assert lib.catalog.companions_of([str(copy)]) == {str(copy): [str(p) for p in unit]}


def test_the_cli_names_the_companions_the_kept_copy_lacks_and_can_keep_that_photo(
    tmp_path: Path, photo_folder: Callable[..., Photos], embedder: object, temp_trash: Path,
) -> None:
    photos = photo_folder()
    copy = photos["rocket-copy"]
    video = copy.with_name("rocket.MOV")  # the copy has the Live Photo video...
    video.write_bytes(b"video")
    photos["rocket"].with_name("rocket.jpg.xmp").write_bytes(XMP)  # ...the original a sidecar
    lib = tmp_path / "lib"
    assert run("--library", str(lib), "index", str(tmp_path / "photos")).returncode == 0
    note = ("Note: backup/rocket.jpg has files the copy kept (photos/rocket.jpg) lacks: "
            "rocket.MOV (Live Photo video). They go with it, unless you keep backup/rocket.jpg "
            "instead.")

    dry = run("--library", str(lib), "trash", "--marked", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert note in dry.stdout.splitlines()
    assert "Note: --keep-with-companions keeps those photos instead." in dry.stdout
    assert f"{video} (with its photo)" in dry.stdout.splitlines()

    # A dry run with the option says what it would keep, and changes no mark.
    dry = run("--library", str(lib), "trash", "--marked", "--dry-run", "--keep-with-companions")
    assert f"Would keep {copy} instead: it has companion files the copy kept lacks." \
        in dry.stdout.splitlines()
    assert str(copy) not in dry.stdout.replace(f"Would keep {copy}", "")
    doc = json.loads(run("--library", str(lib), "duplicates", "--json").stdout)
    assert not next(f for g in doc["groups"] for f in g["files"] if f["path"] == str(copy))["keep"]

    done = run("--library", str(lib), "trash", "--marked", "--keep-with-companions")
    assert done.returncode == 0, done.stderr
    assert copy.exists() and video.exists()
    # The swap: the original went instead, with its sidecar, which the output names.
    assert not photos["rocket"].exists()
    assert not photos["rocket"].with_name("rocket.jpg.xmp").exists()
    assert done.stdout.splitlines()[0] == f"Kept {copy} instead: it has companion files the " \
        "copy kept lacks."
    assert "Note: photos/rocket.jpg has files the copy kept (backup/rocket.jpg) lacks: " \
        "rocket.jpg.xmp (XMP sidecar)." in done.stdout
