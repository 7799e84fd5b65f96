"""An original is never taken for an enlargement of its reduction, soft or noisy as it may be,
and enlargements by small factors or sharpened ones are told (real photos: the hand-held shot
in tests/data and camera photos of the shared datasets, which skip without them)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter, ImageOps

from simfinder.core.cleanup import enlargement
from tests.test_keeper import camera_jpeg

R = Image.Resampling
HANDHELD = Path(__file__).parent / "data" / "handheld" / "an_0.JPG"


def _saved(im: Image.Image, quality: int | None = None) -> enlargement.LumaFile:
    """The photo saved (JPEG at `quality`, PNG if None) and decoded as the keeper decodes it."""
    buf = io.BytesIO()
    if quality is None:
        im.save(buf, "PNG", compress_level=1)
    else:
        im.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    out = enlargement.decoded_luma_file(buf)
    assert out is not None
    return out


def _luma(im: Image.Image, quality: int | None = None) -> Image.Image:
    return _saved(im, quality).luma


def _resized(im: Image.Image, factor: float, kernel: R) -> Image.Image:
    return im.resize((round(im.width * factor), round(im.height * factor)), kernel)


def _path(which: str) -> Path:
    return HANDHELD if which == "handheld" else camera_jpeg(which)


def _photo(which: str) -> tuple[Image.Image, Image.Image]:
    """A real photo: its luma as the keeper decodes the file, and its RGB pixels; of a camera
    photo the middle 1600 x 1200 pixels as they are (no resampling, the JPEG grid kept), so
    that the test stays quick."""
    path = _path(which)
    luma = enlargement.decoded_luma(str(path))
    assert luma is not None
    with Image.open(path) as im:
        rgb = ImageOps.exif_transpose(im).convert("RGB")
    x0, y0 = max(0, (rgb.width - 1600) // 32 * 16), max(0, (rgb.height - 1200) // 32 * 16)
    box = (x0, y0, min(rgb.width, x0 + 1600), min(rgb.height, y0 + 1200))
    return luma.crop(box), rgb.crop(box)


def _soft_or_noisy(rgb: Image.Image, how: str) -> Image.Image:
    if how == "blurred":
        return rgb.filter(ImageFilter.GaussianBlur(1.2))
    noise = np.random.default_rng(1).normal(0, 5, (rgb.height, rgb.width, 3))
    return Image.fromarray(np.clip(np.asarray(rgb, np.float32) + noise, 0, 255).astype(np.uint8))


PHOTOS = ["handheld", "Nikon D70.jpg", "FujiFilm FinePix4900Zoom.jpg"]


@pytest.mark.slow
@pytest.mark.parametrize("which", PHOTOS)
@pytest.mark.parametrize("how", ["as taken", "blurred", "noisy"])
def test_an_original_is_not_an_enlargement_of_its_reductions(which: str, how: str) -> None:
    luma, rgb = _photo(which)
    if how != "as taken":
        rgb = _soft_or_noisy(rgb, how)
        saved = _saved(rgb, 92)
        luma, table = saved.luma, saved.table
    else:  # the camera's file (cropped on its block grid): its own quantisation
        camera = enlargement.decoded_luma_file(str(_path(which)))
        assert camera is not None
        table = camera.table
    for factor in (1.25, 1.5, 2):
        found = enlargement.measure(luma, _luma(_resized(rgb, 1 / factor, R.LANCZOS), 85),
                                    table)
        assert found is not None
        assert not found.enlarged, (factor, found)


@pytest.mark.slow
@pytest.mark.parametrize("which", PHOTOS)
@pytest.mark.parametrize(("factor", "kernel", "sharpen", "quality"), [
    (1.25, R.LANCZOS, False, 95),
    (1.25, R.BICUBIC, True, 85),
    (1.5, R.BILINEAR, False, 90),
    (1.5, R.LANCZOS, False, 85),
    (2, R.BICUBIC, False, None),
    (2, R.LANCZOS, True, 85),
    (2, R.BICUBIC, True, 90),
])
def test_an_enlargement_is_told_from_the_photo_it_was_made_of(
        which: str, factor: float, kernel: R, sharpen: bool, quality: int | None) -> None:
    luma, rgb = _photo(which)
    big = _resized(rgb, factor, kernel)
    if sharpen:
        big = big.filter(ImageFilter.UnsharpMask(2, 100, 3))
    saved = _saved(big, quality)
    found = enlargement.measure(saved.luma, luma, saved.table)
    assert found is not None
    assert found.enlarged, found


def test_exif_pixel_size_smaller_than_the_file_means_enlarged_after_capture(
        tmp_path: Path) -> None:
    with Image.open(HANDHELD) as im:
        exif = im.getexif()
        rgb = ImageOps.exif_transpose(im).convert("RGB")
    exif[0x0112] = 1
    ifd = exif.get_ifd(0x8769)
    ifd[0xA002], ifd[0xA003] = rgb.width, rgb.height
    small = tmp_path / "photo.jpg"
    rgb.save(small, quality=92, exif=exif)
    # An editor enlarged it 1.3x and kept the metadata as it was.
    big = tmp_path / "photo_large.jpg"
    _resized(rgb, 1.3, R.LANCZOS).save(big, quality=92, exif=exif)
    assert enlargement.enlarged_after_capture((b"big", str(big)), (b"small", str(small)))
    # The original against its own reduction: its EXIF size is its own.
    reduced = tmp_path / "photo_small.jpg"
    _resized(rgb, 0.7, R.LANCZOS).save(reduced, quality=92, exif=exif)
    assert not enlargement.enlarged_after_capture((b"small", str(small)),
                                                  (b"reduced", str(reduced)))
