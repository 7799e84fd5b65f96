"""Tests for simfinder.core.photos.formats and simfinder.core.photos.decode."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile, JpegImagePlugin

from simfinder.core.photos import decode as decode_mod
from simfinder.core.photos import formats
from simfinder.core.photos.decode import THUMB_SIDE, DecodedPhoto, DecodeFailure, decode_photo
from tests.datasets import dataset

# Pillow reports damaged metadata through warnings.warn; the fixtures here are damaged on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")

pillow_heif.register_heif_opener()  # so that the tests can *write* HEIF files with Pillow

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


# --------------------------------------------------------------------------- helpers


def ok(result: DecodedPhoto | DecodeFailure, max_side: int = THUMB_SIDE) -> DecodedPhoto:
    assert isinstance(result, DecodedPhoto), result
    assert result.image.mode == "RGB"
    assert max(result.image.size) <= max_side
    return result


def failed(result: DecodedPhoto | DecodeFailure) -> str:
    assert isinstance(result, DecodeFailure), result
    assert result.reason and "\n" not in result.reason
    return result.reason


def mean_rgb(im: Image.Image, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    region = im.crop(box) if box else im
    mean: np.ndarray = np.asarray(region.convert("RGB"), np.float64).reshape(-1, 3).mean(axis=0)
    return mean


def near(color: np.ndarray, expected: tuple[int, int, int], tol: float = 20) -> bool:
    return bool(np.abs(color - np.asarray(expected)).max() <= tol)


def quadrants(width: int, height: int) -> Image.Image:
    """Stored image: top-left red, top-right green, bottom-left blue, bottom-right white."""
    im = Image.new("RGB", (width, height), RED)
    im.paste(GREEN, (width // 2, 0, width, height // 2))
    im.paste(BLUE, (0, height // 2, width // 2, height))
    im.paste(WHITE, (width // 2, height // 2, width, height))
    return im


def corner_color(im: Image.Image, corner: str) -> np.ndarray:
    w, h = im.size
    x0 = 0 if corner[1] == "L" else w - w // 4
    y0 = 0 if corner[0] == "T" else h - h // 4
    return mean_rgb(im, (x0 + 1, y0 + 1, x0 + w // 4 - 1, y0 + h // 4 - 1))


def exif_bytes(**tags: object) -> bytes:
    exif = Image.Exif()
    for key, value in tags.items():
        if key == "orientation":
            exif[0x0112] = value
        elif key == "make":
            exif[0x010F] = value
        elif key == "model":
            exif[0x0110] = value
        elif key == "datetime":
            exif[0x0132] = value
        elif key == "original":
            exif.get_ifd(0x8769)[0x9003] = value
    return exif.tobytes()


def encoded(im: Image.Image, fmt: str, **save: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def jpeg_bytes(im: Image.Image, **save: object) -> bytes:
    return encoded(im, "JPEG", **save)


# --------------------------------------------------------------------------- formats


def test_photo_extensions() -> None:
    for name in ["a.jpg", "b.JPEG", "c.jpe", "d.jfif", "e.png", "f.webp", "g.tif", "h.TIFF",
                 "i.bmp", "j.dib", "k.gif", "l.heic", "m.HEIF", "n.hif", "o.mpo", "p.CR2",
                 "q.nef", "r.dng", "s.arw", "t.3fr", "u.x3f"]:  # fmt: skip
        assert formats.is_photo_path(name), name
        assert formats.is_photo_path(Path("/some/dir") / name), name
    for name in ["a.svg", "b.txt", "c.mp4", "d", "e.jpg.part", ".jpg", "f.xmp", "g.psd"]:
        assert not formats.is_photo_path(name), name
    assert formats.is_raw_path("X.ORF") and not formats.is_raw_path("x.jpg")
    assert formats.RAW_EXTENSIONS <= formats.PHOTO_EXTENSIONS
    assert all(ext == ext.lower() and ext.startswith(".") for ext in formats.PHOTO_EXTENSIONS)
    assert formats.raw_support_available() is True  # rawpy is in the dev environment
    assert (".avif" in formats.PHOTO_EXTENSIONS) == formats.avif_support_available()


# --------------------------------------------------------------------------- orientation

# EXIF 2.3, Orientation: where the stored image's top-left / top-right corner are displayed.
EXIF_CORNERS = {
    1: ("TL", "TR"),
    2: ("TR", "TL"),
    3: ("BR", "BL"),
    4: ("BL", "BR"),
    5: ("TL", "BL"),
    6: ("TR", "BR"),
    7: ("BR", "TR"),
    8: ("BL", "TL"),
}


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("stored_size", [(96, 48), (1600, 800)])  # no draft / draft path
def test_exif_orientation(tmp_path: Path, orientation: int, stored_size: tuple[int, int]) -> None:
    path = tmp_path / f"o{orientation}.jpg"
    quadrants(*stored_size).save(path, quality=95, exif=exif_bytes(orientation=orientation))
    photo = ok(decode_photo(path))
    w, h = stored_size
    expected = (h, w) if orientation >= 5 else (w, h)
    assert (photo.width, photo.height) == expected
    assert photo.image.size[0] > photo.image.size[1] if expected[0] > expected[1] else True
    tl, tr = EXIF_CORNERS[orientation]
    assert near(corner_color(photo.image, tl), RED), (tl, corner_color(photo.image, tl))
    assert near(corner_color(photo.image, tr), GREEN), (tr, corner_color(photo.image, tr))


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "WEBP", "HEIF", "AVIF"])
def test_orientation_in_other_containers(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"o6.{fmt.lower()}"
    quadrants(128, 64).save(path, format=fmt, exif=exif_bytes(orientation=6), quality=95)
    photo = ok(decode_photo(path))
    assert photo.format == fmt
    assert (photo.width, photo.height) == (64, 128)  # rotated once, never twice
    assert near(corner_color(photo.image, "TR"), RED, 30)
    assert near(corner_color(photo.image, "BR"), GREEN, 30)


def test_garbage_orientation_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bad.jpg"
    quadrants(64, 32).save(path, exif=exif_bytes(orientation=42))
    photo = ok(decode_photo(path))
    assert (photo.width, photo.height) == (64, 32)
    assert near(corner_color(photo.image, "TL"), RED)


# --------------------------------------------------------------------------- sizes and draft


@pytest.fixture
def draft_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[object, tuple[int, int]]]]:
    calls: list[tuple[object, tuple[int, int]]] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(
        self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None
    ) -> tuple[str, tuple[int, int, float, float]] | None:
        result = original(self, mode, size)
        calls.append((size, self.size))
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    yield calls


def big_photo_like(width: int, height: int) -> Image.Image:
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    r = 255 * x * np.ones_like(y)
    g = 255 * y * np.ones_like(x)
    b = 127 + 127 * np.sin(12 * x) * np.cos(9 * y)
    return Image.fromarray(np.dstack([r, g, b]).astype(np.uint8))


def test_big_jpeg_uses_draft(
    tmp_path: Path, draft_spy: list[tuple[object, tuple[int, int]]]
) -> None:
    path = tmp_path / "big.jpg"
    big_photo_like(4000, 3000).save(path, quality=90)
    photo = ok(decode_photo(path))
    assert (photo.width, photo.height) == (4000, 3000)
    assert photo.image.size == (256, 192)
    assert photo.format == "JPEG"
    (requested, drafted) = draft_spy[-1]
    assert requested is not None
    assert max(drafted) >= THUMB_SIDE  # DCT-scaled, yet never below the target
    assert drafted == (500, 375)  # libjpeg's 1/8 scale
    full = ok(decode_photo(path, use_draft=False))
    assert full.image.size == photo.image.size
    diff = np.abs(np.asarray(full.image, np.int16) - np.asarray(photo.image, np.int16))
    assert diff.mean() < 3


def test_draft_with_custom_max_side_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "big6.jpg"
    big_photo_like(2000, 1000).save(path, exif=exif_bytes(orientation=6))
    photo = ok(decode_photo(path, max_side=300), 300)
    assert (photo.width, photo.height) == (1000, 2000)
    assert photo.image.size == (150, 300)
    tiny = ok(decode_photo(path, max_side=16))
    assert tiny.image.size == (8, 16)


def test_small_images_are_not_upscaled(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    quadrants(100, 40).save(path)
    photo = ok(decode_photo(path))
    assert photo.image.size == (100, 40) == (photo.width, photo.height)
    assert photo.taken_at is None and photo.camera is None


def test_invalid_max_side() -> None:
    with pytest.raises(ValueError):
        decode_photo(Path("whatever.jpg"), max_side=0)


# --------------------------------------------------------------------------- modes


def test_cmyk_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    im = Image.new("CMYK", (400, 300), (0, 255, 255, 0))  # red
    im.paste((255, 0, 255, 0), (200, 0, 400, 300))  # green
    im.save(path, quality=95)
    assert Image.open(path).mode == "CMYK"
    photo = ok(decode_photo(path, max_side=100))
    assert photo.image.size == (100, 75)
    assert near(mean_rgb(photo.image, (5, 5, 45, 70)), RED, 25)
    assert near(mean_rgb(photo.image, (55, 5, 95, 70)), GREEN, 25)


def test_16bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    path = tmp_path / "gray16.png"
    ramp = np.tile(np.linspace(0, 65535, 512).astype(np.uint16), (64, 1))
    Image.fromarray(ramp).save(path)
    assert Image.open(path).mode.startswith("I")
    photo = ok(decode_photo(path))
    arr = np.asarray(photo.image, dtype=np.int32)
    assert arr.shape == (32, 256, 3)
    row = arr[16, :, 0]
    assert row[0] <= 3 and row[-1] >= 252
    assert abs(int(row[128]) - 128) <= 4
    assert np.all(np.diff(row) >= 0)
    assert np.array_equal(arr[..., 0], arr[..., 2])  # grey


@pytest.mark.parametrize(
    ("mode", "values", "expected_mid"),
    [
        ("I", np.linspace(0, 65535, 256), 128),  # 16-bit data in a 32-bit container
        ("I", np.linspace(-1000, 1000, 256), 128),  # signed data: min-max scaled
        ("F", np.linspace(0.0, 1.0, 256), 128),  # float 0..1
        ("F", np.full(256, np.nan), 0),  # NaNs must not crash
    ],
)
def test_wide_greyscale_modes(
    tmp_path: Path, mode: str, values: np.ndarray, expected_mid: int
) -> None:
    dtype = np.int32 if mode == "I" else np.float32
    arr = np.tile(values.astype(dtype), (32, 1))
    path = tmp_path / f"{mode}.tif"
    Image.fromarray(arr, mode).save(path)
    photo = ok(decode_photo(path))
    pixels = np.asarray(photo.image)
    assert abs(int(pixels[16, 128, 0]) - expected_mid) <= 4


def test_rgba_png_composited_on_white(tmp_path: Path) -> None:
    path = tmp_path / "rgba.png"
    im = Image.new("RGBA", (200, 100), (0, 0, 0, 0))  # transparent black
    im.paste((255, 0, 0, 128), (100, 0, 200, 100))  # half-transparent red
    im.save(path)
    photo = ok(decode_photo(path))
    assert near(mean_rgb(photo.image, (5, 5, 90, 95)), WHITE, 2)
    assert near(mean_rgb(photo.image, (110, 5, 195, 95)), (255, 127, 127), 3)


def test_la_png_composited_on_white(tmp_path: Path) -> None:
    path = tmp_path / "la.png"
    im = Image.new("LA", (64, 64), (0, 0))
    im.paste((0, 255), (32, 0, 64, 64))
    im.save(path)
    photo = ok(decode_photo(path))
    assert near(mean_rgb(photo.image, (2, 2, 30, 62)), WHITE, 1)
    assert near(mean_rgb(photo.image, (34, 2, 62, 62)), (0, 0, 0), 1)


def test_animated_gif_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (300, 150), c).convert("P") for c in (RED, BLUE, GREEN)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as check:
        assert getattr(check, "n_frames", 1) == 3 and check.mode == "P"
    photo = ok(decode_photo(path))
    assert photo.format == "GIF"
    assert (photo.width, photo.height) == (300, 150)
    assert near(mean_rgb(photo.image), RED, 2)


def test_palette_with_transparency(tmp_path: Path) -> None:
    path = tmp_path / "pal.png"
    im = Image.new("P", (40, 40), 0)
    im.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    im.paste(1, (20, 0, 40, 40))
    im.save(path, transparency=0)
    photo = ok(decode_photo(path))
    assert near(mean_rgb(photo.image, (1, 1, 19, 39)), WHITE, 1)
    assert near(mean_rgb(photo.image, (21, 1, 39, 39)), BLUE, 1)


def test_animated_webp_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "anim.webp"
    frames = [Image.new("RGB", (64, 64), c) for c in (GREEN, RED)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, lossless=True)
    photo = ok(decode_photo(path))
    assert photo.format == "WEBP"
    assert near(mean_rgb(photo.image), GREEN, 2)


def test_bilevel_and_bmp(tmp_path: Path) -> None:
    path = tmp_path / "mono.bmp"
    im = Image.new("1", (64, 32), 0)
    im.paste(1, (32, 0, 64, 32))
    im.save(path)
    photo = ok(decode_photo(path))
    assert photo.format == "BMP"
    assert near(mean_rgb(photo.image, (34, 2, 62, 30)), WHITE, 1)


# --------------------------------------------------------------------------- HEIF


def test_heic_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "photo.heic"
    big_photo_like(640, 480).save(path, format="HEIF", quality=90)
    photo = ok(decode_photo(path))
    assert photo.format == "HEIF"
    assert (photo.width, photo.height) == (640, 480)
    reference = big_photo_like(640, 480).resize(photo.image.size, Image.Resampling.LANCZOS)
    diff = np.abs(np.asarray(photo.image, np.int16) - np.asarray(reference, np.int16))
    assert diff.mean() < 6


def test_heic_named_jpg_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "really_heic.jpg"
    quadrants(64, 64).save(path, format="HEIF")
    assert ok(decode_photo(path)).format == "HEIF"


# --------------------------------------------------------------------------- EXIF metadata


def test_exif_date_and_camera(tmp_path: Path) -> None:
    path = tmp_path / "exif.jpg"
    exif = exif_bytes(
        make="Canon\x00",
        model="Canon EOS 5D  \x00",
        original="2021:07:04 12:34:56",
        datetime="2022:01:01 00:00:00",
    )
    quadrants(64, 64).save(path, exif=exif)
    photo = ok(decode_photo(path))
    assert photo.taken_at == "2021-07-04T12:34:56"
    assert photo.camera == "Canon EOS 5D"


def test_exif_datetime_fallback_and_make_model_join(tmp_path: Path) -> None:
    path = tmp_path / "exif2.jpg"
    exif = exif_bytes(make="OLYMPUS OPTICAL CO.,LTD", model="C720UZ", datetime="2004:04:25 17:10")
    quadrants(64, 64).save(path, exif=exif)
    photo = ok(decode_photo(path))
    assert photo.taken_at == "2004-04-25T17:10:00"
    assert photo.camera == "OLYMPUS OPTICAL CO.,LTD C720UZ"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021:07:04 12:34:56", "2021-07-04T12:34:56"),
        ("2021:07:04 12:34:56\x00", "2021-07-04T12:34:56"),
        (b"2021:07:04 12:34:56", "2021-07-04T12:34:56"),
        ("2021-07-04T12:34:56+02:00", "2021-07-04T12:34:56"),
        ("  2021:7:4 1:02:03", "2021-07-04T01:02:03"),
        ("0000:00:00 00:00:00", None),
        ("    :  :     :  :  ", None),
        ("2021:13:45 99:99:99", None),
        ("2021:02:29 10:00:00", None),  # not a leap year
        ("garbage", None),
        ("", None),
        (12345, None),
        (None, None),
    ],
)
def test_parse_exif_datetime(raw: object, expected: str | None) -> None:
    assert decode_mod._parse_exif_datetime(raw) == expected


@pytest.mark.parametrize(
    ("make", "model", "expected"),
    [
        ("Canon", "Canon PowerShot G2", "Canon PowerShot G2"),
        ("NIKON CORPORATION", "NIKON D70", "NIKON D70"),
        (
            "EASTMAN KODAK COMPANY",
            "KODAK DX6490 ZOOM DIGITAL CAMERA",
            "KODAK DX6490 ZOOM DIGITAL CAMERA",
        ),
        ("SAMSUNG", "SAMSUNG-SM-N900A", "SAMSUNG-SM-N900A"),
        ("Apple", "iPhone 12", "Apple iPhone 12"),
        ("  Apple\x00\x00", "  iPhone\x00 12 ", "Apple iPhone 12"),
        ("Apple", None, "Apple"),
        (None, "iPhone 12", "iPhone 12"),
        ("\x00\x00", "   ", None),
        (None, None, None),
        (b"FUJIFILM", b"X-T3", "FUJIFILM X-T3"),
        (17, ("tuple",), None),
    ],
)
def test_camera_name(make: object, model: object, expected: str | None) -> None:
    assert decode_mod._camera_name(make, model) == expected


def test_corrupt_exif_does_not_fail_the_photo(tmp_path: Path) -> None:
    path = tmp_path / "badexif.jpg"
    data = jpeg_bytes(
        quadrants(64, 64), exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff" + b"\x01" * 40
    )
    path.write_bytes(data)
    photo = ok(decode_photo(path))
    assert photo.taken_at is None


# --------------------------------------------------------------------------- failures


def test_text_file_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a photo\n" * 20)
    assert failed(decode_photo(path)) == "not an image file"


def test_real_svg_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "logo.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    assert failed(decode_photo(path)) == "not an image file"


def test_jpeg_named_svg_decodes_as_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "photo.svg"
    path.write_bytes(jpeg_bytes(quadrants(64, 64)))
    assert ok(decode_photo(path)).format == "JPEG"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    assert failed(decode_photo(path)) == "empty file"


def test_vanished_file(tmp_path: Path) -> None:
    assert failed(decode_photo(tmp_path / "gone.jpg")) == "file vanished"
    assert failed(decode_photo(str(tmp_path / "no_dir" / "gone.jpg"))) == "file vanished"


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "album.jpg"
    folder.mkdir()
    assert failed(decode_photo(folder)) == "not a regular file"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, so chmod 000 would not stop the read: simulate the OS refusing.
    path = tmp_path / "secret.jpg"
    path.write_bytes(jpeg_bytes(quadrants(64, 64)))

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(decode_mod, "open", refuse, raising=False)
    assert failed(decode_photo(path)) == "permission denied"
    raw_path = tmp_path / "secret.nef"
    raw_path.write_bytes(b"II*\x00" + bytes(100))
    assert failed(decode_photo(raw_path)) == "permission denied"


def test_os_read_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "disk.jpg"
    path.write_bytes(jpeg_bytes(quadrants(64, 64)))

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(decode_mod, "open", broken, raising=False)
    assert failed(decode_photo(path)) == "read error: Input/output error"


def test_unexpected_exception_becomes_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(jpeg_bytes(quadrants(64, 64)))

    class Weird(Exception):
        pass

    def explode(*args: object, **kwargs: object) -> None:
        raise Weird("boom")

    monkeypatch.setattr(decode_mod, "_finish", explode)
    assert failed(decode_photo(path)) == "could not decode image (Weird)"


@pytest.mark.parametrize("keep", [0.2, 0.6, 0.95])
def test_truncated_jpeg(tmp_path: Path, keep: float) -> None:
    data = jpeg_bytes(big_photo_like(800, 600), quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * keep)])
    assert failed(decode_photo(path)) == "truncated or corrupt image data"
    # ...also without draft, and the global Pillow switches are untouched
    assert failed(decode_photo(path, use_draft=False)) == "truncated or corrupt image data"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_damaged_header_is_corrupt_not_non_image(tmp_path: Path) -> None:
    path = tmp_path / "header.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert failed(decode_photo(path)) == "truncated or corrupt image data"


def test_decompression_bomb_guard_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # Pillow's default: we never raise it globally
    path = tmp_path / "bomb.png"
    Image.new("RGB", (300, 300)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 40_000)  # 90 000 px > 2 x limit -> error
    assert failed(decode_photo(path)).startswith("image too large")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 60_000)  # between 1x and 2x: warning only
    with pytest.warns(Image.DecompressionBombWarning):
        ok(decode_photo(path))


def test_too_large_reason_text() -> None:
    exc = Image.DecompressionBombError(
        "Image size (400000000 pixels) exceeds limit of 178956970 pixels, could be decompression "
        "bomb DOS attack."
    )
    assert decode_mod._failure_reason(exc) == "image too large (400 megapixels, limit 178)"
    assert decode_mod._failure_reason(Image.DecompressionBombError("?")) == "image too large"
    assert decode_mod._failure_reason(MemoryError()) == "out of memory while decoding"
    assert decode_mod._failure_reason(struct.error("x")) == "truncated or corrupt image data"


# --------------------------------------------------------------------------- fuzzing


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


_SEEDS = {
    "jpg": jpeg_bytes(big_photo_like(96, 64), quality=80, exif=exif_bytes(make="A", model="B")),
    "png": encoded(quadrants(48, 32).convert("RGBA"), "PNG"),
    "gif": encoded(quadrants(48, 32).convert("P"), "GIF"),
    "tif": encoded(quadrants(48, 32), "TIFF", compression="tiff_lzw"),
    "webp": encoded(quadrants(48, 32), "WEBP"),
    "heic": encoded(quadrants(48, 32), "HEIF"),
}


@settings(
    max_examples=150,
    deadline=3000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(sorted(_SEEDS)),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=12),
    cut=st.one_of(st.none(), st.floats(0.05, 1.0)),
)
def test_fuzzed_files_never_raise(
    fuzz_dir: Path, kind: str, edits: list[tuple[float, int]], cut: float | None
) -> None:
    data = bytearray(_SEEDS[kind])
    for where, value in edits:
        data[min(len(data) - 1, int(where * len(data)))] = value
    if cut is not None:
        data = data[: max(1, int(len(data) * cut))]
    path = fuzz_dir / f"fuzz.{kind}"
    path.write_bytes(bytes(data))
    result = decode_photo(path)
    if isinstance(result, DecodedPhoto):
        ok(result)
    else:
        failed(result)


# --------------------------------------------------------------------------- RAW

_BYTE, _ASCII, _SHORT, _LONG, _SRATIONAL = 1, 2, 3, 4, 10
_FMT = {_BYTE: "B", _SHORT: "H", _LONG: "I"}

Tag = tuple[int, object]


def _tiff(ifds: list[tuple[dict[int, Tag], bytes]]) -> bytes:
    """Minimal little-endian TIFF writer: each IFD has tags and one data blob; tag values may
    be ("blob",) for the offset of the IFD's blob or ("ifd", k) for the offset of IFD k."""

    def packed(typ: int, value: object) -> bytes:
        if typ == _ASCII:
            assert isinstance(value, str)
            return value.encode() + b"\0"
        if typ == _SRATIONAL:
            assert isinstance(value, list)
            return b"".join(struct.pack("<ii", n, d) for n, d in value)
        assert isinstance(value, list)
        return struct.pack("<" + _FMT[typ] * len(value), *value)

    def ifd_len(tags: dict[int, Tag]) -> int:
        extra = 0
        for typ, value in tags.values():
            if not isinstance(value, tuple):
                size = len(packed(typ, value))
                extra += (size + 1) & ~1 if size > 4 else 0
        return 2 + 12 * len(tags) + 4 + extra

    ifd_pos, pos = [], 8
    for tags, _ in ifds:
        ifd_pos.append(pos)
        pos += ifd_len(tags)
    blob_pos = []
    for _, blob in ifds:
        blob_pos.append(pos)
        pos += (len(blob) + 1) & ~1
    out = bytearray(b"II*\0" + struct.pack("<I", ifd_pos[0]))
    for k, (tags, _) in enumerate(ifds):
        table, extra = struct.pack("<H", len(tags)), b""
        ext_pos = ifd_pos[k] + 2 + 12 * len(tags) + 4
        for tag in sorted(tags):
            typ, value = tags[tag]
            if isinstance(value, tuple):
                offset = blob_pos[k] if value[0] == "blob" else ifd_pos[int(value[1])]
                typ, raw, count = _LONG, struct.pack("<I", offset), 1
            else:
                raw = packed(typ, value)
                count = len(raw) if typ == _ASCII else len(raw) // {1: 1, 3: 2, 4: 4, 10: 8}[typ]
            if len(raw) <= 4:
                table += struct.pack("<HHI", tag, typ, count) + raw.ljust(4, b"\0")
            else:
                table += struct.pack("<HHII", tag, typ, count, ext_pos + len(extra))
                extra += raw + b"\0" * (len(raw) & 1)
        out += table + struct.pack("<I", 0) + extra
    for _, blob in ifds:
        out += blob + b"\0" * (len(blob) & 1)
    return bytes(out)


def make_dng(
    width: int, height: int, orientation: int = 1, preview: Image.Image | None = None
) -> bytes:
    """A tiny but valid DNG (CFA, 16-bit, bright left half) LibRaw can develop; optionally with an
    embedded JPEG preview in IFD0 and the raw data in a SubIFD, like camera DNGs."""
    cfa = np.where(np.arange(width)[None, :] < width // 2, 50000, 3000) * np.ones((height, 1))
    raw = cfa.astype("<u2").tobytes()
    raw_tags: dict[int, Tag] = {
        254: (_LONG, [0]), 256: (_LONG, [width]), 257: (_LONG, [height]), 258: (_SHORT, [16]),
        259: (_SHORT, [1]), 262: (_SHORT, [32803]), 273: (_LONG, ("blob",)), 277: (_SHORT, [1]),
        278: (_LONG, [height]), 279: (_LONG, [len(raw)]), 284: (_SHORT, [1]),
        33421: (_SHORT, [2, 2]), 33422: (_BYTE, [0, 1, 1, 2]), 50717: (_LONG, [65535]),
    }  # fmt: skip
    identity = [(1, 1), (0, 1), (0, 1), (0, 1), (1, 1), (0, 1), (0, 1), (0, 1), (1, 1)]
    common: dict[int, Tag] = {
        271: (_ASCII, "Simfinder"), 272: (_ASCII, "Simfinder TestCam"),
        274: (_SHORT, [orientation]), 306: (_ASCII, "2020:02:29 23:59:58"),
        50706: (_BYTE, [1, 4, 0, 0]), 50708: (_ASCII, "Simfinder TestCam"),
        50721: (_SRATIONAL, identity), 50778: (_SHORT, [21]),
    }  # fmt: skip
    if preview is None:
        return _tiff([({**raw_tags, **common}, raw)])
    jpg = jpeg_bytes(preview, quality=90)
    preview_tags: dict[int, Tag] = {
        254: (_LONG, [1]), 256: (_LONG, [preview.width]), 257: (_LONG, [preview.height]),
        258: (_SHORT, [8, 8, 8]), 259: (_SHORT, [7]), 262: (_SHORT, [6]),
        273: (_LONG, ("blob",)), 277: (_SHORT, [3]), 278: (_LONG, [preview.height]),
        279: (_LONG, [len(jpg)]), 284: (_SHORT, [1]), 330: (_LONG, ("ifd", 1)), **common,
    }  # fmt: skip
    return _tiff([(preview_tags, jpg), (raw_tags, raw)])


def test_raw_without_preview_is_developed(tmp_path: Path) -> None:
    path = tmp_path / "plain.dng"
    path.write_bytes(make_dng(96, 64))
    photo = ok(decode_photo(path))
    assert photo.format == "RAW"
    assert (photo.width, photo.height) == (96, 64)
    assert photo.image.size == (48, 32)  # half-size development, not upscaled
    left, right = mean_rgb(photo.image, (2, 2, 20, 30)), mean_rgb(photo.image, (28, 2, 46, 30))
    assert left.mean() > right.mean() + 50
    assert photo.camera == "Simfinder TestCam"
    assert photo.taken_at == "2020-02-29T23:59:58"


def test_raw_embedded_preview_and_orientation(tmp_path: Path) -> None:
    path = tmp_path / "camera.DNG"
    preview = quadrants(480, 300)  # same 1.6 aspect as the 320x200 sensor
    path.write_bytes(make_dng(320, 200, orientation=6, preview=preview))
    photo = ok(decode_photo(path))
    assert photo.format == "RAW"
    assert (photo.width, photo.height) == (200, 320)
    assert photo.image.size == (160, 256)
    assert near(corner_color(photo.image, "TR"), RED)  # the preview was used, rotated once
    assert near(corner_color(photo.image, "BR"), GREEN)
    assert photo.camera == "Simfinder TestCam"


def test_raw_letterboxed_preview_is_not_used(tmp_path: Path) -> None:
    path = tmp_path / "letterbox.dng"
    path.write_bytes(make_dng(320, 200, preview=Image.new("RGB", (400, 300), BLUE)))
    photo = ok(decode_photo(path))
    assert not near(mean_rgb(photo.image), BLUE, 60)  # developed from the raw data instead
    assert photo.image.size == (160, 100)


def test_raw_support_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decode_mod, "raw_support_available", lambda: False)
    dng = tmp_path / "a.dng"
    dng.write_bytes(make_dng(32, 32))
    assert failed(decode_photo(dng)) == "RAW support not installed"
    renamed_jpeg = tmp_path / "b.nef"
    renamed_jpeg.write_bytes(jpeg_bytes(quadrants(64, 64)))
    assert ok(decode_photo(renamed_jpeg)).format == "JPEG"  # content wins


def test_broken_raw_files(tmp_path: Path) -> None:
    for name, data in [
        ("junk.cr2", b"II*\x00" + bytes(range(256)) * 4),
        ("junk.nef", os.urandom(4096)),
        ("cut.dng", make_dng(96, 64)[:300]),
        ("text.arw", b"hello" * 100),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        failed(decode_photo(path))


def test_jpeg_with_raw_extension_and_rawpy(tmp_path: Path) -> None:
    path = tmp_path / "photo.cr2"
    path.write_bytes(jpeg_bytes(quadrants(64, 64)))
    assert ok(decode_photo(path)).format == "JPEG"


# --------------------------------------------------------------------------- real datasets


def dataset_files(*parts: str) -> list[Path]:
    root = dataset(*parts)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert files, f"dataset missing: {root}"
    return files


def test_corrupt_jpeg_suite_never_raises() -> None:
    files = dataset_files("corrupt_jpeg_suite", "images")
    assert len(files) == 88
    for path in files:
        result = decode_photo(path)
        if isinstance(result, DecodedPhoto):
            ok(result)
        else:
            failed(result)


def test_decompression_bomb_png_is_refused() -> None:
    for name in ("huge.png", "huge2.png"):
        reason = failed(decode_photo(dataset("duplicateimages_tests/images/huge") / name))
        assert "too large" in reason
        assert reason == "image too large (400 megapixels, limit 178)"


def test_dataset_non_images_and_truncated() -> None:
    base = dataset("duplicateimages_tests")
    assert failed(decode_photo(base / "nonimages/garbage.txt")) == "not an image file"
    assert failed(decode_photo(base / "nonimages/is_not_image/test.mp3")) == "not an image file"
    assert failed(decode_photo(base / "nonimages/is_not_image/test.ogg")) == "not an image file"
    assert failed(decode_photo(base / "images/broken/47ff(1).jpg")) == (
        "truncated or corrupt image data"
    )


def test_dataset_format_sniffing_and_must_not_crash() -> None:
    base = dataset("imagededup_tests/images")
    for name in ("bmp", "jpeg", "png", "svg"):
        photo = ok(decode_photo(base / f"formats_images/ukbench09380.{name}"))
        assert photo.format == "JPEG"  # same JPEG bytes under other extensions
        assert (photo.width, photo.height) == (640, 480)
    for rel in ("mixed_images/ukbench09268_corrupt.jpg", "formats_images/marbles.pbm",
                "alpha_channel_image.png", "formats_images/giphy.gif"):  # fmt: skip
        decode_photo(base / rel)


def test_dataset_heic_matches_jpeg() -> None:
    base = dataset("duplicateimages_tests/images/equal_but_binary_different")
    jpeg = ok(decode_photo(base / "jpeg_vs_heic/20221026_124702.jpg"))
    for heic in ("jpeg_vs_heic/20221026_124702.heic", "heic_bit_depth/20221026_124702_10bit.heic"):
        photo = ok(decode_photo(base / heic))
        assert photo.format == "HEIF"
        assert (photo.width, photo.height) == (jpeg.width, jpeg.height)
        assert photo.image.size == jpeg.image.size
        diff = np.abs(np.asarray(photo.image, np.int16) - np.asarray(jpeg.image, np.int16))
        assert diff.mean() < 8


def test_camera_photos_all_decode() -> None:
    files = dataset_files("camera_photos", "images")
    assert len(files) == 52
    with_date = with_camera = 0
    for path in files:
        photo = ok(decode_photo(path))
        assert photo.format in ("JPEG", "MPO")
        assert max(photo.image.size) == THUMB_SIDE
        assert max(photo.width, photo.height) >= 1000
        ratio = photo.width / photo.height
        assert abs(photo.image.width / photo.image.height - ratio) < 0.02 * ratio + 0.01
        with_date += photo.taken_at is not None
        with_camera += photo.camera is not None
    assert with_date >= 48 and with_camera >= 50
    nikon = ok(decode_photo(dataset("camera_photos/images/metadata-extractor-images",
                                     "Nikon D70.jpg")))
    assert nikon.camera == "NIKON D70"
    assert nikon.taken_at == "2004-11-21T21:29:12"
