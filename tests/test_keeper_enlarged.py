"""The most detail is not the most pixels: a copy enlarged from a smaller one loses Keep to the
photo it was made from, and a real larger photo still wins over its reductions (real camera
photos of the shared datasets; the tests skip without them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageFilter, ImageOps

from simfinder.core.cleanup import enlargement
from simfinder.core.cleanup.keeper import choose
from tests.photos import save
from tests.test_keeper import camera_jpeg, on_disk

R = Image.Resampling
HANDHELD = Path(__file__).parent / "data" / "handheld" / "an_0.JPG"


def _camera_original(folder: Path, name: str = "Nikon D70.jpg",
                     side: int | None = None) -> tuple[Path, Image.Image, bytes]:
    """A real camera photo with its EXIF in a photo folder (reduced to `side` so tests stay
    fast), its upright pixels and its EXIF."""
    with Image.open(camera_jpeg(name)) as im:
        exif = im.info["exif"]
        rgb = ImageOps.exif_transpose(im).convert("RGB")
    if side:
        rgb.thumbnail((side, side), R.LANCZOS)
    path = save(rgb, folder / "Pictures" / "DSC_0001.jpg", quality=92, exif=exif)
    os.utime(path, (1.3e9, 1.3e9))
    return path, rgb, exif


def _resized(im: Image.Image, factor: float, kernel: R) -> Image.Image:
    return im.resize((round(im.width * factor), round(im.height * factor)), kernel)


@pytest.mark.parametrize(("factor", "kernel", "sharpen", "fmt"), [
    (2, R.BICUBIC, False, "jpeg"),
    (1.5, R.BILINEAR, False, "png"),
    (2.5, R.LANCZOS, True, "jpeg"),
])
def test_an_enlarged_copy_without_camera_data_loses_keep_to_its_original(
        tmp_path: Path, factor: float, kernel: R, sharpen: bool, fmt: str) -> None:
    original, rgb, _ = _camera_original(tmp_path, side=1200)
    # An editor's export: more pixels, no camera data, maybe sharpened, maybe lossless.
    big = _resized(rgb, factor, kernel)
    if sharpen:
        big = big.filter(ImageFilter.UnsharpMask(2, 100, 3))
    path = tmp_path / "Pictures" / f"DSC_0001_large.{fmt}"
    enlarged = save(big, path, **({"quality": 90} if fmt == "jpeg" else {}))
    group = [on_disk(enlarged), on_disk(original)]
    assert group[0].width > group[1].width
    choice = choose(group)
    assert choice.photo.path == str(original)
    assert choice.reason.startswith("the most detail: the others are enlarged copies")


def test_a_messenger_copy_blown_up_past_the_original_ranks_below_it(tmp_path: Path) -> None:
    original, rgb, _ = _camera_original(tmp_path, side=2000)
    messenger = rgb.copy()
    messenger.thumbnail((1000, 1000), R.LANCZOS)
    small = save(messenger, tmp_path / "WhatsApp Images" / "IMG-20200101-WA0001.jpg",
                 quality=75)
    # "Enhanced" to 2500 px: larger than the 2000 px original, but only the messenger's detail.
    big = save(_resized(messenger, 2.5, R.BICUBIC), tmp_path / "Downloads" / "enhanced.jpg",
               quality=90)
    group = [on_disk(big), on_disk(small), on_disk(original)]
    choice = choose(group)
    assert choice.photo.path == str(original)
    assert choice.reason.startswith("the most detail: the others are smaller or enlarged copies")


@pytest.mark.parametrize("factor", [0.5, 0.67])
def test_a_larger_photo_without_camera_data_still_wins_over_its_reduction_with_it(
        tmp_path: Path, factor: float) -> None:
    # The full camera photo re-saved without its metadata (a scan, a download) and a reduced
    # copy that kept the camera data: the larger one has the detail, so it is kept.
    _, rgb, exif = _camera_original(tmp_path)
    large = save(rgb, tmp_path / "Pictures" / "photo.jpg", quality=95)
    reduced = save(_resized(rgb, factor, R.LANCZOS), tmp_path / "web" / "DSC_0001.jpg",
                   quality=90, exif=exif)
    choice = choose([on_disk(reduced), on_disk(large)])
    assert choice.photo.path == str(large)
    assert choice.reason.startswith("the most detail: the others are smaller")


def test_an_original_with_camera_data_is_kept_without_reading_its_reductions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The common case: a camera photo and a resized export of it that kept the same EXIF.
    # Nothing about the smaller one looks more original, so no file is decoded to compare.
    original, rgb, exif = _camera_original(tmp_path, side=1600)
    export = save(_resized(rgb, 0.5, R.LANCZOS), tmp_path / "Pictures" / "web" / "DSC_0001.jpg",
                  quality=90, exif=exif)

    def never(*args: object) -> bool:
        raise AssertionError("files compared where the answer cannot change the keeper")

    monkeypatch.setattr(enlargement, "is_enlarged_copy", never)
    choice = choose([on_disk(export), on_disk(original)])
    assert choice.photo.path == str(original)


@pytest.mark.parametrize(("factor", "kernel", "sharpen", "quality"), [
    (1.25, R.LANCZOS, False, 95),
    (1.5, R.LANCZOS, False, 85),
    (1.5, R.BICUBIC, True, 85),
])
def test_a_slight_enlargement_of_the_file_loses_keep_to_it(
        tmp_path: Path, factor: float, kernel: R, sharpen: bool, quality: int) -> None:
    # An editor's "enlarge" of the camera file itself by 1.25x or 1.5x, re-encoded, maybe
    # sharpened, which the spectrum alone took for more detail.
    original, _, _ = _camera_original(tmp_path, side=1600)
    with Image.open(original) as im:
        big = _resized(im.convert("RGB"), factor, kernel)
    if sharpen:
        big = big.filter(ImageFilter.UnsharpMask(2, 100, 3))
    enlarged = save(big, tmp_path / "Pictures" / "DSC_0001_large.jpg", quality=quality)
    choice = choose([on_disk(enlarged), on_disk(original)])
    assert choice.photo.path == str(original)
    assert choice.reason.startswith("the most detail: the others are enlarged copies")


def test_an_enlargement_that_kept_the_camera_data_loses_keep_by_its_exif_pixel_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both carry the camera's EXIF, so nothing looks more original than the other and no
    # pixel is compared; the EXIF's pixel size, left as it was, tells the enlarged one.
    _, rgb, exif_bytes = _camera_original(tmp_path, side=1200)
    exif = Image.Exif()
    exif.load(exif_bytes)
    exif[0x0112] = 1
    ifd = exif.get_ifd(0x8769)
    ifd[0xA002], ifd[0xA003] = rgb.width, rgb.height
    original = save(rgb, tmp_path / "Pictures" / "DSC_0001.jpg", quality=92, exif=exif)
    enlarged = save(_resized(rgb, 1.3, R.BICUBIC), tmp_path / "Pictures" / "DSC_0001_big.jpg",
                    quality=92, exif=exif)

    def never(*args: object) -> bool:
        raise AssertionError("pixels compared where the EXIF tells")

    monkeypatch.setattr(enlargement, "is_enlarged_copy", never)
    choice = choose([on_disk(enlarged), on_disk(original)])
    assert choice.photo.path == str(original)
    assert choice.reason.startswith("the most detail: the others are enlarged copies")


@pytest.mark.slow
@pytest.mark.parametrize(("kernel", "quality"), [(R.LANCZOS, 85), (R.BICUBIC, 90)])
def test_a_2x_enlargement_sharpened_and_saved_again_loses_keep_to_its_original(
        tmp_path: Path, kernel: R, quality: int) -> None:
    # An editor's "enlarge 200 %" of the camera's file, sharpened and saved as JPEG without
    # the metadata: at exactly 2x neither enlargement trace can be asked (its period is the
    # colour mosaic's, its enlarged block grid every re-saved photo's), and the spectrum took
    # it for more detail; a filter of the original predicts it.
    original = tmp_path / "Pictures" / "DSC_0001.jpg"
    original.parent.mkdir()
    original.write_bytes(camera_jpeg("Nikon D70.jpg").read_bytes())
    with Image.open(original) as im:
        big = _resized(ImageOps.exif_transpose(im).convert("RGB"), 2, kernel)
    big = big.filter(ImageFilter.UnsharpMask(2, 100, 3))
    enlarged = save(big, tmp_path / "Pictures" / "DSC_0001_large.jpg", quality=quality)
    choice = choose([on_disk(enlarged), on_disk(original)])
    assert choice.photo.path == str(original)
    assert choice.reason.startswith("the most detail: the others are enlarged copies")


def test_a_photo_twice_the_size_of_its_copy_stays_kept(tmp_path: Path) -> None:
    # The other way round at 2x: the photo itself (re-saved without metadata, as a download
    # has it) beside its half-size copy that kept some camera data; the larger holds detail.
    with Image.open(HANDHELD) as im:
        rgb = ImageOps.exif_transpose(im).convert("RGB")
    exif = Image.Exif()
    exif[0x0110] = "Phone"  # camera model
    large = save(rgb, tmp_path / "Pictures" / "photo.jpg", quality=92)
    half = save(_resized(rgb, 0.5, R.LANCZOS), tmp_path / "Pictures" / "an_0.jpg", quality=85,
                exif=exif)
    group = [on_disk(half), on_disk(large)]
    assert group[0].camera is not None and group[1].camera is None
    choice = choose(group)
    assert choice.photo.path == str(large)
    assert choice.reason.startswith("the most detail: the others are smaller")
