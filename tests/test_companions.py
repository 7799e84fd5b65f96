"""Companion files found with their photo, for each naming convention, on generated trees."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from simfinder.core.indexing.scan import scan_folders

JPEG_HEAD = b"\xff\xd8\xff\xe0" + b"\x00" * 60


def tree(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(JPEG_HEAD if name.lower().endswith((".jpg", ".heic", ".cr2"))
                         else b"sidecar")


def companions(root: Path) -> dict[str, list[str]]:
    """photo name -> its companions' names, as the scan finds them."""
    found = scan_folders([root]).companions
    return {Path(p).name: [Path(c).name for c in cs] for p, cs in found.items()}


@pytest.mark.parametrize(("photo", "sidecars"), [
    ("IMG_1234.CR2", ["IMG_1234.CR2.xmp"]),             # darktable, digiKam
    ("IMG_1234.jpg", ["IMG_1234.jpg.xmp"]),
    ("IMG_1234.CR2", ["IMG_1234.xmp"]),                 # Lightroom, Capture One
    ("IMG_1234.HEIC", ["IMG_1234.AAE", "IMG_1234.MOV"]),  # Apple edits, Live Photo video
    ("IMG_1234.JPG", ["IMG_1234.aae", "IMG_1234.mov"]),
    ("IMG_1234.jpg", ["IMG_1234.jpg.json"]),            # Google Takeout
    ("IMG_1234.jpg", ["IMG_1234.jpg.supplemental-metadata.json"]),
    ("IMG_1234.jpg", ["IMG_1234.jp.json"]),             # Takeout's truncated names
    ("IMG_1234.jpg", ["IMG_1234.jpg.suppl.json"]),
    ("IMG_1234.jpg", ["IMG_1234.json"]),
    ("IMG_1234(1).jpg", ["IMG_1234.jpg(1).json"]),      # Takeout's numbered copies
    ("IMG_1234(1).jpg", ["IMG_1234.jpg.supplemental-metadata(1).json"]),
    ("PXL_20230615_183412345.PORTRAIT.ORIGINAL.jpg",
     ["PXL_20230615_183412345.PORTRAIT.ORIGINAL.jp.json"]),
    ("a_very_long_photo_name_that_takeout_has_to_cut_short_here.jpg",
     ["a_very_long_photo_name_that_takeout_has_to_cut.json"]),
])
def test_each_convention_finds_the_photos_companions(
    tmp_path: Path, photo: str, sidecars: list[str]
) -> None:
    tree(tmp_path, photo, *sidecars, "notes.txt")
    assert companions(tmp_path) == {photo: sorted(sidecars)}


def test_names_match_whatever_their_case(tmp_path: Path) -> None:
    tree(tmp_path, "img_0001.jpg", "IMG_0001.JPG.XMP", "Img_0001.Aae")
    assert companions(tmp_path) == {"img_0001.jpg": ["IMG_0001.JPG.XMP", "Img_0001.Aae"]}


def test_each_photo_gets_its_own_companions_in_a_mixed_folder(tmp_path: Path) -> None:
    tree(tmp_path, "IMG_1.HEIC", "IMG_1.MOV", "IMG_1.AAE", "IMG_2.jpg", "IMG_2.jpg.json",
         "IMG_2(1).jpg", "IMG_2.jpg(1).json", "IMG_12.jpg", "IMG_12.jpg.xmp",
         "sub/IMG_3.CR2", "sub/IMG_3.CR2.xmp")
    assert companions(tmp_path) == {
        "IMG_1.HEIC": ["IMG_1.AAE", "IMG_1.MOV"],
        "IMG_2.jpg": ["IMG_2.jpg.json"],
        "IMG_2(1).jpg": ["IMG_2.jpg(1).json"],
        "IMG_12.jpg": ["IMG_12.jpg.xmp"],
        "IMG_3.CR2": ["IMG_3.CR2.xmp"],
    }


def test_a_sidecar_without_its_photo_is_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tree(tmp_path, "IMG_1.jpg", "IMG_2.xmp", "IMG_2.MOV", "IMG_2.jpg.json", "IMG_12.json",
         "sub/IMG_1.xmp", "IMG_3.AAE", "IMG_E4.AAE", "DSC_5.NEF.xmp", "IMG_6.mp4")
    with caplog.at_level(logging.INFO):
        assert companions(tmp_path) == {}
    assert caplog.records == []  # not an error, nothing to say


def test_a_sidecar_two_photos_claim_goes_with_neither(tmp_path: Path) -> None:
    tree(tmp_path, "IMG_1234.JPG", "IMG_1234.HEIC", "IMG_1234.xmp", "IMG_1234.AAE",
         "IMG_1234.MOV", "IMG_1234.json", "IMG_1234.HEIC.xmp")
    # Only the sidecar named after one photo's full name goes with it.
    assert companions(tmp_path) == {"IMG_1234.HEIC": ["IMG_1234.HEIC.xmp"]}


def test_a_video_does_not_go_with_a_raw_photo(tmp_path: Path) -> None:
    tree(tmp_path, "IMG_1.CR2", "IMG_1.MOV")
    assert companions(tmp_path) == {}


def photos_found(root: Path, *, pair_raw: bool = True) -> list[str]:
    return sorted(Path(f.path).name for f in scan_folders([root], pair_raw=pair_raw).files)


@pytest.mark.parametrize("raw", ["DSC_0001.NEF", "DSC_0001.cr2", "DSC_0001.CR3", "DSC_0001.ARW",
                                 "DSC_0001.DNG", "DSC_0001.RAF", "DSC_0001.ORF", "DSC_0001.RW2",
                                 "DSC_0001.PEF", "DSC_0001.SRW"])
@pytest.mark.parametrize("jpeg", ["DSC_0001.JPG", "dsc_0001.jpeg", "DSC_0001.HEIC"])
def test_the_raw_of_a_raw_jpeg_pair_is_its_jpegs_companion(
    tmp_path: Path, raw: str, jpeg: str
) -> None:
    tree(tmp_path, raw, jpeg)
    # One photo: the JPEG, the RAW going with it (it is not indexed on its own).
    assert photos_found(tmp_path) == [jpeg]
    assert companions(tmp_path) == {jpeg: [raw]}


def test_a_raw_pairs_sidecars_go_with_it_and_the_video_only_with_a_jpeg(tmp_path: Path) -> None:
    # darktable's sidecar is named after the RAW, Lightroom's after the stem; the Takeout
    # metadata after either file.
    tree(tmp_path, "DSC_1.NEF", "DSC_1.JPG", "DSC_1.NEF.xmp", "DSC_1.xmp", "DSC_1.NEF.json",
         "DSC_2.NEF", "DSC_2.NEF.xmp")
    assert photos_found(tmp_path) == ["DSC_1.JPG", "DSC_2.NEF"]
    assert companions(tmp_path) == {
        "DSC_1.JPG": ["DSC_1.NEF", "DSC_1.NEF.json", "DSC_1.NEF.xmp", "DSC_1.xmp"],
        "DSC_2.NEF": ["DSC_2.NEF.xmp"],  # a RAW alone is a photo with its own sidecar
    }


def test_a_raw_in_another_folder_or_with_two_partners_stays_a_photo(tmp_path: Path) -> None:
    tree(tmp_path, "a/DSC_1.JPG", "a/raw/DSC_1.NEF", "b/IMG_2.JPG", "b/IMG_2.HEIC",
         "b/IMG_2.DNG")
    assert photos_found(tmp_path) == ["DSC_1.JPG", "DSC_1.NEF", "IMG_2.DNG", "IMG_2.HEIC",
                                      "IMG_2.JPG"]
    assert companions(tmp_path) == {}


def test_with_the_remove_raw_jpegs_setting_a_raw_is_a_photo_of_its_own(tmp_path: Path) -> None:
    tree(tmp_path, "DSC_1.NEF", "DSC_1.JPG", "DSC_1.NEF.xmp")
    assert photos_found(tmp_path, pair_raw=False) == ["DSC_1.JPG", "DSC_1.NEF"]
    found = scan_folders([tmp_path], pair_raw=False).companions
    assert {Path(p).name: [Path(c).name for c in cs] for p, cs in found.items()} == {
        "DSC_1.NEF": ["DSC_1.NEF.xmp"]}


@pytest.mark.parametrize("photo", ["IMG_1234.JPG", "IMG_1234.heic"])
def test_a_motion_photos_mp4_video_goes_with_it(tmp_path: Path, photo: str) -> None:
    tree(tmp_path, photo, "IMG_1234.MP4", "IMG_9.MP4", "clip.mp4")
    assert companions(tmp_path) == {photo: ["IMG_1234.MP4"]}


def test_apples_edited_rendering_and_adjustments_go_with_the_original(tmp_path: Path) -> None:
    tree(tmp_path, "IMG_1234.HEIC", "IMG_E1234.JPG", "IMG_1234.AAE", "IMG_O1234.AAE",
         "IMG_1234.MOV", "IMG_E777.JPG")
    # The edited rendering is the original's companion; one without its original is a photo.
    assert photos_found(tmp_path) == ["IMG_1234.HEIC", "IMG_E777.JPG"]
    assert companions(tmp_path) == {
        "IMG_1234.HEIC": ["IMG_1234.AAE", "IMG_1234.MOV", "IMG_E1234.JPG", "IMG_O1234.AAE"]}


def test_an_edited_rendering_two_originals_claim_stays_a_photo(tmp_path: Path) -> None:
    tree(tmp_path, "IMG_1234.HEIC", "IMG_1234.JPG", "IMG_E1234.JPG")
    assert photos_found(tmp_path) == ["IMG_1234.HEIC", "IMG_1234.JPG", "IMG_E1234.JPG"]
    assert companions(tmp_path) == {}


def test_shared_sidecars_are_listed_with_the_photos_that_claim_them(tmp_path: Path) -> None:
    from simfinder.core.indexing.scan import folder_owners

    tree(tmp_path, "IMG_1234.JPG", "IMG_1234.HEIC", "IMG_1234.xmp", "IMG_1234.MOV",
         "IMG_9.xmp")
    owners = folder_owners(str(tmp_path))
    assert {Path(k).name: sorted(Path(p).name for p in v) for k, v in owners.shared.items()} \
        == {"IMG_1234.xmp": ["IMG_1234.HEIC", "IMG_1234.JPG"],
            "IMG_1234.MOV": ["IMG_1234.HEIC", "IMG_1234.JPG"]}
    assert owners.companions == {}


@pytest.mark.parametrize(("name", "data", "problem"), [
    ("IMG_1.xmp", b'<?xml version="1.0"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>', None),
    ("IMG_1.xmp", b"\x00\x01 not xml", "not valid XMP"),
    ("IMG_1.xmp", b"", "not valid XMP"),
    ("IMG_1.jpg.json", b'{"title": "IMG_1.jpg"}', None),
    ("IMG_1.jpg.json", b'{"title": ', "not valid JSON"),
    ("IMG_1.AAE", b"anything", None),  # not read
])
def test_a_sidecar_that_is_not_what_its_name_says_is_told(
    tmp_path: Path, name: str, data: bytes, problem: str | None
) -> None:
    from simfinder.core.photos.companions import sidecar_problem

    (tmp_path / name).write_bytes(data)
    assert sidecar_problem(str(tmp_path / name)) == problem
