"""Which photo of a duplicate group is kept: the rules, their order, reference folders, and the
reasons said in plain words."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from simfinder.core.cleanup.keeper import (
    DEFAULT_PLAN,
    DEFAULT_RULES,
    FORMER_DEFAULT_RULES,
    KeepPlan,
    KeepRule,
    apply_plan,
    best_photo,
    choose,
    choose_keepers,
    group_keep_reasons,
    has_copy_mark,
    keep_reasons,
    rules_from_settings,
)
from simfinder.core.matching.grouping import DuplicateGroup, choose_keeper
from simfinder.core.photos.decode import decode_photo
from simfinder.core.store.catalog import PhotoRecord
from tests.datasets import dataset
from tests.photos import sample, save

_ids = itertools.count(1)


def photo(path: str, width: int = 4000, height: int = 3000, size: int = 3_000_000,
          fmt: str = "JPEG", taken_at: str | None = None, mtime: str = "2024-01-01",
          camera: str | None = None, digest: bytes | None = None) -> PhotoRecord:
    mtime_ns = int(datetime.fromisoformat(mtime).timestamp() * 1e9)
    return PhotoRecord(next(_ids), path, size, mtime_ns, 1, width, height, fmt, taken_at, camera,
                       digest or hashlib.sha1(path.encode()).digest())


def on_disk(path: Path) -> PhotoRecord:
    """A real file as the catalog records it."""
    d = decode_photo(path)
    assert not hasattr(d, "reason"), d
    st = path.stat()
    return PhotoRecord(next(_ids), str(path), st.st_size, st.st_mtime_ns, 1, d.width, d.height,
                       d.format, d.taken_at, d.camera,
                       hashlib.sha256(path.read_bytes()).digest())


def kept(photos: list[PhotoRecord], plan: KeepPlan = DEFAULT_PLAN) -> set[str]:
    by_id = {p.file_id: p.path for p in photos}
    return {by_id[i] for i in choose_keepers(photos, plan)}


def only(rule: KeepRule, **kwargs: object) -> KeepPlan:
    return KeepPlan(rules=(rule, *[r for r in DEFAULT_RULES if r is not rule]), **kwargs)


def camera_jpeg(name: str = "Apple iPhone 4S.jpg") -> Path:
    """A real camera JPEG with its EXIF (the test skips without the shared datasets)."""
    return dataset("camera_photos", "images", "metadata-extractor-images", name)


# -- the default order: what a person keeps ------------------------------------------------------

def test_a_png_saved_from_the_camera_jpeg_loses_to_it(tmp_path: Path) -> None:
    original = tmp_path / "Apple iPhone 4S.jpg"
    shutil.copy2(camera_jpeg(), original)
    png = tmp_path / "Apple iPhone 4S.png"
    with Image.open(original) as im:
        im.save(png)  # what an image viewer's "Save as PNG" does: no date, no camera
    group = [on_disk(png), on_disk(original)]
    assert group[0].size > group[1].size  # the PNG is the bigger file, in the "better" format
    choice = choose(group)
    assert choice.photo.path == str(original)
    assert choice.reason == "original: has camera data"


def test_a_png_that_kept_the_camera_data_is_still_a_converted_copy(tmp_path: Path) -> None:
    original = tmp_path / "photos" / "IMG_0001.jpg"
    original.parent.mkdir()
    shutil.copy2(camera_jpeg(), original)
    png = tmp_path / "photos" / "IMG_0001.png"
    with Image.open(original) as im:
        im.save(png, exif=im.getexif())
    group = [on_disk(png), on_disk(original)]
    assert group[0].camera == group[1].camera and group[0].taken_at == group[1].taken_at
    choice = choose(group)
    assert choice.photo.path == str(original)
    assert choice.reason == "original: the others are converted copies"


def test_a_png_of_turned_pixels_is_recognised_as_a_conversion(tmp_path: Path) -> None:
    # The camera stored the pixels sideways with "turn right" in its EXIF; the converter turned
    # the pixels upright but copied the EXIF, turn tag and all.
    exif = Image.Exif()
    exif.update({0x0112: 6, 0x010F: "Phone", 0x0110: "P1", 0x0132: "2021:05:01 10:00:00"})
    jpeg = save(sample("astronaut.png", 640).crop((0, 0, 640, 480)), tmp_path / "P1.jpg",
                quality=92, exif=exif.tobytes())
    with Image.open(jpeg) as im:
        ImageOps.exif_transpose(im).save(tmp_path / "P1.png", exif=exif.tobytes())
    group = [on_disk(tmp_path / "P1.png"), on_disk(jpeg)]
    assert group[0].width * group[0].height == group[1].width * group[1].height
    choice = choose(group)
    assert choice.photo.path == str(jpeg)
    assert choice.reason == "original: the others are converted copies"


def test_a_lossless_master_is_kept_over_a_jpeg_saved_from_it(tmp_path: Path) -> None:
    im = sample("chelsea.png", 600)
    png = save(im, tmp_path / "cat.png")
    jpeg = save(im, tmp_path / "cat.jpg", quality=95)
    choice = choose([on_disk(jpeg), on_disk(png)])
    assert choice.photo.path == str(png)
    assert choice.reason == "the least compressed copy"


def test_the_most_detail_comes_first() -> None:
    original = photo("/p/IMG_1.jpg", 4000, 3000, taken_at="2012-01-01T10:00:00", camera="X")
    upscaled_meta = photo("/p/export/IMG_1.jpg", 2000, 1500, taken_at="2012-01-01T10:00:00",
                          camera="X")
    messenger = photo("/p/IMG-20200101-WA0001.jpg", 1600, 1200, size=300_000)
    assert best_photo([messenger, upscaled_meta, original]).path == "/p/IMG_1.jpg"
    assert choose([messenger, original]).reason == "the most detail: the others are smaller"
    # A few pixels more (a RAW's sensor border) is not more detail: the RAW is kept.
    jpeg = photo("/p/DSC_1.jpg", 6000, 4000, taken_at="2020-01-01T00:00:00", camera="N")
    raw = photo("/p/DSC_1.nef", 5990, 3990, size=25_000_000, fmt="RAW",
                taken_at="2020-01-01T00:00:00", camera="N")
    choice = choose([jpeg, raw])
    assert choice.photo is raw and choice.reason == "original: the camera's RAW file"


def test_byte_copies_keep_the_one_where_the_user_keeps_photos() -> None:
    same = b"s" * 32
    mine = photo("/home/me/Pictures/2022/20220312_124816.jpg", digest=same,
                 taken_at="2022-03-12T12:48:16", mtime="2022-03-12")
    named_copy = photo("/home/me/Pictures/2022/20220312_124816-2.jpg", digest=same,
                       taken_at="2022-03-12T12:48:16", mtime="2022-03-12")
    downloaded = photo("/home/me/Downloads/x (1).jpg", digest=same,
                       taken_at="2022-03-12T12:48:16", mtime="2023-01-01")
    backup = photo("/b/Backup/20220312_124816.jpg", digest=same,
                   taken_at="2022-03-12T12:48:16", mtime="2024-05-01")
    group = [backup, downloaded, named_copy, mine]
    assert best_photo(group).path == mine.path
    assert best_photo([named_copy, mine]).path == mine.path  # the longer name, kept anyway
    assert choose([named_copy, mine]).reason == \
        "the original name: the others are named like copies"
    assert choose([backup, mine]).reason.startswith("in your photo folders")
    # Same folder, same name pattern: the older file.
    older = photo("/p/a/x.jpg", digest=same, mtime="2020-01-01")
    newer = photo("/p/b/x.jpg", digest=same, mtime="2021-01-01")
    assert choose([newer, older]).photo is older
    assert choose([newer, older]).reason == "the oldest copy"


@pytest.mark.parametrize("name", ["IMG_1234 (1).jpg", "IMG_1234 copy.jpg", "Copy of IMG_1234.jpg",
                                  "IMG_1234 - Copy.jpg", "IMG_1234_1.jpg", "20220312_124816-2.jpg",
                                  "IMG_1234 copy 2.jpg"])
def test_copy_marks_are_recognised(name: str) -> None:
    assert has_copy_mark(f"/p/{name}")


@pytest.mark.parametrize("name", ["IMG_1234.jpg", "20220312_124816.jpg", "DSC01234.JPG",
                                  "IMG-20200101-WA0001.jpg", "PXL_20230101_101010123.jpg",
                                  "holiday-2.jpg", "copyright.jpg"])
def test_ordinary_names_are_not_copies(name: str) -> None:
    assert not has_copy_mark(f"/p/{name}")


def test_a_number_after_another_files_name_is_a_copy_mark() -> None:
    assert has_copy_mark("/p/beach-2.jpg", ["/p/beach.jpg", "/p/beach-2.jpg"])
    assert not has_copy_mark("/p/beach-2.jpg", ["/p/beach-3.jpg"])


def test_any_camera_data_counts_gps_too(tmp_path: Path) -> None:
    # A photo that only says where it was taken (no date, no camera) still has camera data.
    with Image.open(camera_jpeg("Apple iPhone 6 plus.jpg")) as im:
        exif = im.getexif()
        assert exif.get_ifd(0x8825)  # the iPhone wrote where it was
        rgb = im.convert("RGB")
    for tag in (0x010F, 0x0110, 0x0132, 0x8769):  # make, model, date, the sub-IFD's dates
        exif.pop(tag, None)
    located = save(rgb, tmp_path / "a" / "IMG.jpg", quality=90, exif=exif.tobytes())
    bare = save(rgb, tmp_path / "b" / "IMG.jpg", quality=90)
    os.utime(bare, (1e9, 1e9))  # older: only the camera data can keep the other
    photos = [on_disk(bare), on_disk(located)]
    assert photos[1].taken_at is None and photos[1].camera is None
    choice = choose(photos)
    assert choice.photo.path == str(located)
    assert choice.reason == "original: has camera data"


# -- rules the user orders -----------------------------------------------------------------------

def test_each_rule_picks_its_photo() -> None:
    big = photo("/p/big.jpg", 4000, 3000, 2_000_000)
    heavy = photo("/p/heavy.jpg", 2000, 1500, 2_500_000)  # smaller, but more bytes per pixel
    raw = photo("/p/raw.cr2", 2000, 1500, 1_000_000, fmt="RAW")
    old = photo("/p/old.jpg", 1000, 750, 100_000, taken_at="2003-05-01T10:00:00")
    group = [big, heavy, raw, old]
    assert kept(group, only(KeepRule.MOST_DETAIL)) == {"/p/big.jpg"}
    assert kept([big, heavy, old], only(KeepRule.LEAST_COMPRESSED)) == {"/p/heavy.jpg"}
    assert kept(group, only(KeepRule.ORIGINAL_FORMAT)) == {"/p/raw.cr2"}
    assert kept(group, only(KeepRule.PREFERRED_FORMAT)) == {"/p/raw.cr2"}
    assert kept(group, only(KeepRule.OLDEST)) == {"/p/old.jpg"}
    assert kept(group, only(KeepRule.CAMERA_DATA)) == {"/p/old.jpg"}


def test_size_says_more_detail_only_within_one_format() -> None:
    jpeg = photo("/p/a.jpg", 4032, 3024, 2_000_000, mtime="2024-01-02")
    heic = photo("/p/a.heic", 4032, 3024, 1_200_000, fmt="HEIF", mtime="2024-01-01")
    small_q = photo("/p/b.jpg", 4032, 3024, 900_000, mtime="2020-01-01")
    # The HEIC holds as much as the bigger JPEG; the re-saved JPEG holds less than it.
    assert kept([jpeg, heic, small_q]) == {"/p/a.heic"}  # then: the older of the two
    assert kept([jpeg, small_q]) == {"/p/a.jpg"}
    # The user's format order decides where they put it first.
    plan = KeepPlan(rules=(KeepRule.PREFERRED_FORMAT,), format_order=("JPEG", "HEIF"))
    assert kept([jpeg, heic, small_q], plan) == {"/p/a.jpg"}


def test_oldest_capture_date_falls_back_to_the_file_date() -> None:
    exif_2010 = photo("/p/a.jpg", taken_at="2010-06-01T12:00:00", mtime="2024-01-01")
    file_2008 = photo("/p/b.jpg", taken_at=None, mtime="2008-01-01")
    exif_2012 = photo("/p/c.jpg", taken_at="2012-01-01T00:00:00", mtime="2001-01-01")
    assert kept([exif_2010, file_2008, exif_2012], only(KeepRule.OLDEST)) == {"/p/b.jpg"}
    assert kept([exif_2010, exif_2012], only(KeepRule.OLDEST)) == {"/p/a.jpg"}


def test_photos_in_reference_folders_are_always_kept() -> None:
    best = photo("/home/me/Downloads/best.jpg", 6000, 4000, 9_000_000)
    ref = photo("/home/me/Archive/2019/copy.jpg", 1000, 750, 200_000)
    ref2 = photo("/home/me/Archive/copy2.jpg", 800, 600, 100_000)
    group = [best, ref, ref2]
    plan = KeepPlan(reference_folders=("/home/me/Archive/",))
    # Reference folder first (the default): only the reference copies are kept.
    assert kept(group, plan) == {ref.path, ref2.path}
    marked = DuplicateGroup("near", group, choose_keepers(group, plan), 0.9)
    assert [str(r) for r in group_keep_reasons(marked, plan)] == ["in a reference folder"]
    assert keep_reasons(marked, plan) == {ref.file_id: "in a reference folder",
                                          ref2.file_id: "in a reference folder"}
    # Ranked below resolution, the best copy is kept too; reference copies still never go.
    later = KeepPlan(rules=(KeepRule.MOST_DETAIL, KeepRule.REFERENCE_FOLDER),
                     reference_folders=plan.reference_folders)
    assert kept(group, later) == {best.path, ref.path, ref2.path}
    # A folder is a folder, not a prefix of names.
    lookalike = photo("/home/me/Archive-old/x.jpg", 100, 100, 10)
    assert not plan.is_reference(lookalike.path)


def test_every_group_keeps_at_least_one_and_the_choice_is_stable() -> None:
    same = b"x" * 32
    a = photo("/p/b/x.jpg", digest=same)
    b = photo("/p/a/x.jpg", digest=same)
    c = photo("/p/x.jpg", digest=same)
    for order in itertools.permutations([a, b, c]):
        assert kept(list(order)) == {"/p/x.jpg"}  # all alike: the shortest path
    assert choose([a, b, c]).reason == "the copies are alike: the shortest path is kept"
    two = [photo("/p/1.jpg", digest=same), photo("/p/2.jpg", digest=same)]
    assert kept(two) == {"/p/1.jpg"}
    with pytest.raises(ValueError):
        best_photo([])


def test_saved_orders_of_earlier_versions_keep_working() -> None:
    # Never changed from the earlier default: today's default order.
    assert rules_from_settings(list(FORMER_DEFAULT_RULES)) == DEFAULT_RULES
    assert rules_from_settings([]) == DEFAULT_RULES
    # Changed: the user's order, old names mapped, unknown ones skipped, the new rules where
    # the default has them.
    plan = KeepPlan(rules=rules_from_settings(
        ["reference-folder", "oldest-capture", "highest-resolution", "no-such-rule",
         "preferred-format", "largest-file", "least-compressed"]))
    assert plan.rules == (
        KeepRule.REFERENCE_FOLDER, KeepRule.OLDEST, KeepRule.MOST_DETAIL, KeepRule.CAMERA_DATA,
        KeepRule.ORIGINAL_FORMAT, KeepRule.SIDECARS, KeepRule.PREFERRED_FORMAT,
        KeepRule.LEAST_COMPRESSED, KeepRule.PHOTO_FOLDER, KeepRule.ORIGINAL_NAME)


def test_a_plan_from_partial_settings_still_ranks_on_every_rule() -> None:
    plan = KeepPlan(rules=(KeepRule.OLDEST, KeepRule.OLDEST))
    assert plan.rules[0] is KeepRule.OLDEST
    assert sorted(plan.rules) == sorted(DEFAULT_RULES)


def test_grouping_and_apply_plan_use_the_same_default_rules() -> None:
    group = [photo("/p/Downloads/a.jpg", 4032, 3024, 2_000_000),
             photo("/p/Photos/a.jpg", 4032, 3024, 2_000_000)]
    assert choose_keeper(group).path == "/p/Photos/a.jpg"
    groups = [DuplicateGroup("near", group, {group[0].file_id}, 0.95)]
    apply_plan(groups, KeepPlan())
    assert groups[0].keep == {group[1].file_id}
    assert groups[0].reclaimable_bytes == 2_000_000
