"""Companion files found with their photo, for each naming convention, on generated trees."""

from __future__ import annotations

from pathlib import Path

import pytest

from simfinder.core.scan import scan_folders

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


def test_a_sidecar_without_its_photo_is_left_alone(tmp_path: Path) -> None:
    tree(tmp_path, "IMG_1.jpg", "IMG_2.xmp", "IMG_2.MOV", "IMG_2.jpg.json", "IMG_12.json",
         "sub/IMG_1.xmp")
    assert companions(tmp_path) == {}


def test_a_sidecar_two_photos_claim_goes_with_neither(tmp_path: Path) -> None:
    tree(tmp_path, "IMG_1234.JPG", "IMG_1234.HEIC", "IMG_1234.xmp", "IMG_1234.AAE",
         "IMG_1234.MOV", "IMG_1234.json", "IMG_1234.HEIC.xmp")
    # Only the sidecar named after one photo's full name goes with it.
    assert companions(tmp_path) == {"IMG_1234.HEIC": ["IMG_1234.HEIC.xmp"]}


def test_a_video_does_not_go_with_a_raw_photo(tmp_path: Path) -> None:
    tree(tmp_path, "IMG_1.CR2", "IMG_1.MOV")
    assert companions(tmp_path) == {}
