"""Fast decoding of a photo into a small upright RGB working image, plus its EXIF basics.

:func:`decode_photo` never raises for a bad file: anything that goes wrong while reading or
decoding becomes a :class:`DecodeFailure` with a one-line reason a user can read.

Speed: JPEG (and MPO) files are decoded with libjpeg's DCT scaling (``Image.draft``), which makes
a 20 MP camera JPEG several times faster to decode; HEIF files use an embedded thumbnail when it is
big enough (pillow-heif's ``draft``); RAW files use the camera's embedded JPEG preview.

Safety: Pillow's decompression-bomb guard stays in force (``Image.MAX_IMAGE_PIXELS`` is not
touched), truncated images are not silently accepted (``ImageFile.LOAD_TRUNCATED_IMAGES`` is not
touched) and only a fixed list of raster photo formats is ever handed to Pillow, so a file that
merely *claims* to be a photo cannot reach plugins such as EPS (which would run Ghostscript).
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import stat
import struct
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from PIL import Image, UnidentifiedImageError, features

from simfinder.core.photos.formats import RAW_EXTENSIONS, raw_support_available
from simfinder.core.photos.image_magic import HEAD_BYTES, TIFF_MAGIC, starts_like_image
from simfinder.core.translatable import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    import rawpy

log = logging.getLogger(__name__)

__all__ = [
    "THUMB_SIDE",
    "DecodeFailure",
    "DecodedPhoto",
    "decode_photo",
    "photo_formats",
]

THUMB_SIDE: Final = 256
"""Longest side of the decoded working image."""

# Raster formats we let Pillow sniff. PPM covers the netpbm family, harmless and sometimes misnamed.
_BASE_FORMATS: Final = ("JPEG", "PNG", "WEBP", "TIFF", "GIF", "BMP", "DIB", "PPM")

EXIF_IFD: Final = 0x8769
_TAG_ORIENTATION: Final = 0x0112
_TAG_MAKE: Final = 0x010F
_TAG_MODEL: Final = 0x0110
_TAG_DATETIME: Final = 0x0132
TAG_DATETIME_ORIGINAL: Final = 0x9003
_TAG_DATETIME_DIGITIZED: Final = 0x9004

# EXIF orientation -> the transpose that makes the image upright.
_TRANSPOSE: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

# LibRaw's ``sizes.flip`` code -> EXIF orientation (inverse of LibRaw's "50132467" table).
_LIBRAW_FLIP_TO_ORIENTATION: Final[dict[int, int]] = {
    0: 1, 1: 2, 2: 4, 3: 3, 4: 5, 5: 8, 6: 6, 7: 7,
}  # fmt: skip

_CORRUPT: Final = QT_TRANSLATE_NOOP("engine", "truncated or corrupt image data")
_NOT_AN_IMAGE: Final = QT_TRANSLATE_NOOP("engine", "not an image file")
_RAW_NOT_INSTALLED: Final = "RAW support not installed"

# Final resize: LANCZOS after an integer box reduction that keeps >= 3x the target size, which is
# visually indistinguishable from a plain LANCZOS resize and much faster on big images.
_REDUCING_GAP: Final = 3.0


@dataclass(frozen=True, slots=True)
class DecodedPhoto:
    """A decoded photo: small upright RGB working image plus full-size facts."""

    image: Image.Image
    """Mode "RGB", EXIF orientation applied, longest side <= max_side (never upscaled)."""
    width: int
    """Full-resolution width after orientation."""
    height: int
    """Full-resolution height after orientation."""
    format: str
    """Pillow format name ("JPEG", "PNG", "WEBP", "HEIF", "TIFF", "GIF", "BMP", "MPO") or "RAW"."""
    taken_at: str | None
    """EXIF DateTimeOriginal (fallbacks: DateTimeDigitized, DateTime) as "YYYY-MM-DDTHH:MM:SS"."""
    camera: str | None
    """"Make Model", cleaned; None if the file names no camera."""


@dataclass(frozen=True, slots=True)
class DecodeFailure:
    """Why a file could not be decoded, as one human-readable line."""

    reason: str


class _Failed(Exception):
    """Internal: abort decoding with a ready-made reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- plugin registration

_plugins_lock = threading.Lock()
_allowed_formats: tuple[str, ...] | None = None


def _formats() -> tuple[str, ...]:
    """Register the HEIF (and, if Pillow lacks it, AVIF) opener once; return allowed formats."""
    global _allowed_formats
    if _allowed_formats is not None:
        return _allowed_formats
    with _plugins_lock:
        if _allowed_formats is not None:
            return _allowed_formats
        allowed = list(_BASE_FORMATS)
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
            allowed.append("HEIF")
            if features.check("avif"):
                allowed.append("AVIF")
            elif hasattr(pillow_heif, "register_avif_opener"):
                pillow_heif.register_avif_opener()
                allowed.append("AVIF")
        except Exception:
            log.warning("pillow-heif unavailable: HEIC/HEIF files cannot be decoded", exc_info=True)
            if features.check("avif"):
                allowed.append("AVIF")
        _allowed_formats = tuple(allowed)
        return _allowed_formats


def photo_formats() -> tuple[str, ...]:
    """The formats Pillow may open a photo as (HEIF and AVIF when this install reads them)."""
    return _formats()


# --------------------------------------------------------------------------- EXIF


_EXIF_DATE_RE: Final = re.compile(
    r"\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?"
)


def exif_text(value: object) -> str | None:
    """An EXIF ASCII value as clean text (NULs and surrounding blanks removed), or None."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.replace("\x00", " ").split())
    return cleaned or None


def _parse_exif_datetime(value: object) -> str | None:
    text = exif_text(value)
    if text is None:
        return None
    match = _EXIF_DATE_RE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute = (int(g) for g in match.groups()[:5])
    second = int(match.group(6) or 0)
    if not 1800 <= year <= 2200:
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:  # month 13, 31 February, second 60, ...
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _camera_name(make_value: object, model_value: object) -> str | None:
    make, model = exif_text(make_value), exif_text(model_value)
    if make is None:
        return model
    if model is None:
        return make
    # Don't repeat the brand: "Canon" + "Canon PowerShot G2", "NIKON CORPORATION" + "NIKON D70",
    # "EASTMAN KODAK COMPANY" + "KODAK DX6490", "SAMSUNG" + "SAMSUNG-SM-N900A".
    if model.lower().startswith(make.lower()):
        return model
    make_words = {w for w in re.split(r"[^0-9a-z]+", make.lower()) if w}
    model_first = re.split(r"[^0-9a-z]+", model.lower(), maxsplit=1)[0]
    if model_first in make_words:
        return model
    return f"{make} {model}"


@dataclass(frozen=True, slots=True)
class _Meta:
    orientation: int = 1
    taken_at: str | None = None
    camera: str | None = None


def _valid_orientation(value: object) -> int:
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _pending_orientation(im: Image.Image) -> int:
    try:
        return _valid_orientation(im.getexif().get(_TAG_ORIENTATION, 1))
    except Exception:
        return 1


def _read_meta(im: Image.Image) -> _Meta:
    """Orientation, capture time and camera from an opened image; never raises."""
    try:
        exif = im.getexif()
    except Exception:  # garbage EXIF must not make a decodable photo fail
        log.debug("unreadable EXIF", exc_info=True)
        return _Meta()
    return _meta_from_exif(exif)


def _meta_from_exif(exif: Image.Exif) -> _Meta:
    orientation = _valid_orientation(exif.get(_TAG_ORIENTATION, 1))
    sub: dict[int, Any] = {}
    try:
        sub = dict(exif.get_ifd(EXIF_IFD))
    except Exception:
        log.debug("unreadable EXIF sub-IFD", exc_info=True)
    taken_at = None
    for value in (
        sub.get(TAG_DATETIME_ORIGINAL),
        sub.get(_TAG_DATETIME_DIGITIZED),
        exif.get(_TAG_DATETIME),
    ):
        taken_at = _parse_exif_datetime(value)
        if taken_at is not None:
            break
    camera = _camera_name(exif.get(_TAG_MAKE), exif.get(_TAG_MODEL))
    return _Meta(orientation, taken_at, camera)


# --------------------------------------------------------------------------- pixels


def _draft_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """Smallest size with the image's aspect ratio whose longest side is >= max_side."""
    width, height = size
    longest = max(width, height)
    return (
        max(1, math.ceil(width * max_side / longest)),
        max(1, math.ceil(height * max_side / longest)),
    )


def _high_depth_to_l(im: Image.Image) -> Image.Image:
    """16-bit / 32-bit integer / float greyscale -> 8-bit "L", scaled (not clipped) to 0..255."""
    arr = np.asarray(im)
    if im.mode.startswith("I;16"):
        out = (arr.astype(np.uint16, copy=False) >> 8).astype(np.uint8)
        return Image.fromarray(out)
    data = np.nan_to_num(arr.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = (float(data.min()), float(data.max())) if data.size else (0.0, 0.0)
    if im.mode == "F" and lo >= 0.0 and hi <= 1.0:
        data = data * 255.0
    elif lo >= 0.0 and hi <= 255.0:
        pass  # 8-bit values stored in a wide container
    elif lo >= 0.0 and hi <= 65535.0:
        data = data / 257.0  # 16-bit values (old Pillow opened 16-bit PNGs as "I")
    elif hi > lo:
        data = (data - lo) * (255.0 / (hi - lo))
    else:
        data = np.zeros_like(data)
    return Image.fromarray(np.clip(data + 0.5, 0, 255).astype(np.uint8))


def _working_mode(im: Image.Image) -> Image.Image:
    """Convert to one of RGB, RGBA, L, LA (the modes Pillow resizes correctly)."""
    mode = im.mode
    if mode in ("RGB", "RGBA", "L", "LA"):
        return im
    if mode == "P":
        palette_alpha = im.palette is not None and im.palette.mode == "RGBA"
        has_alpha = "transparency" in im.info or palette_alpha
        return im.convert("RGBA" if has_alpha else "RGB")
    if mode in ("PA", "RGBa"):
        return im.convert("RGBA")
    if mode == "La":
        return im.convert("LA")
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I") or mode == "F":
        return _high_depth_to_l(im)  # normally done by _finish after shrinking
    try:
        return im.convert("RGB")  # CMYK, YCbCr, RGBX, HSV, ...
    except ValueError as exc:
        raise _Failed(f"unsupported image mode {mode}") from exc


def _flatten_to_rgb(im: Image.Image) -> Image.Image:
    """Composite any alpha over white and return an RGB image."""
    if im.mode in ("RGBA", "LA"):
        rgba = im if im.mode == "RGBA" else im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if im.mode != "RGB":
        return im.convert("RGB")
    return im


def _shrink(im: Image.Image, max_side: int) -> Image.Image:
    width, height = im.size
    longest = max(width, height)
    if longest <= max_side:
        return im
    scale = max_side / longest
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    target = (max_side, target[1]) if width >= height else (target[0], max_side)
    return im.resize(target, Image.Resampling.LANCZOS, reducing_gap=_REDUCING_GAP)


def _finish(
    loaded: Image.Image,
    full_size: tuple[int, int],
    orientation: int,
    max_side: int,
    fmt: str,
    meta: _Meta,
) -> DecodedPhoto:
    """Loaded (possibly drafted) image -> small upright RGB DecodedPhoto."""
    if loaded.mode.startswith("I") or loaded.mode == "F":
        # Pillow resizes 16/32-bit greyscale natively: shrink first, then scale to 8 bits.
        im = _high_depth_to_l(_shrink(loaded, max_side))
    else:
        im = _shrink(_working_mode(loaded), max_side)
    im = _flatten_to_rgb(im)
    method = _TRANSPOSE.get(orientation)
    if method is not None:
        im = im.transpose(method)
    if im is loaded:  # never hand out the file-backed image object: it is closed on return
        im = im.copy()
    width, height = full_size
    if orientation >= 5:
        width, height = height, width
    return DecodedPhoto(im, width, height, fmt, meta.taken_at, meta.camera)


def _decode_opened(
    im: Image.Image,
    max_side: int,
    use_draft: bool,
    *,
    orientation_override: int | None = None,
) -> DecodedPhoto:
    fmt = im.format or "UNKNOWN"
    full_size = im.size
    # PNG's getexif() loads the whole image (eXIf may follow IDAT): read it after load() instead.
    meta = _read_meta(im) if fmt != "PNG" else None
    if use_draft and max(full_size) > max_side:
        im.draft("RGB", _draft_size(full_size, max_side))
    im.load()
    if meta is None:
        meta = _read_meta(im)
    # Re-read the orientation after load(): some plugins (TIFF in Pillow 13) apply it while
    # loading, report the upright size from the start and drop the tag; what is left is ours.
    orientation = orientation_override or _pending_orientation(im)
    return _finish(im, full_size, orientation, max_side, fmt, meta)


# --------------------------------------------------------------------------- RAW


_RAW_META_BYTES: Final = 1 << 20


def _raw_container_meta(path: Path) -> _Meta:
    """EXIF of TIFF-structured RAW files (CR2, NEF, ARW, DNG, PEF, ORF, RW2, ...), parsed from
    the first MiB of the file without decoding any pixels. Best effort: empty _Meta on failure."""
    try:
        with open(path, "rb") as fp:
            head = fp.read(_RAW_META_BYTES)
        if head[:2] not in (b"II", b"MM"):
            return _Meta()  # CR3 (ISO-BMFF), RAF, X3F, ...: fall back to LibRaw / the preview
        # ORF ("IIRO") and RW2 ("IIU") use TIFF IFDs behind a private magic number.
        head = (b"II*\x00" if head[:2] == b"II" else b"MM\x00*") + head[4:]
        exif = Image.Exif()
        exif.load(head)
        return _meta_from_exif(exif)
    except Exception:
        log.debug("no EXIF in RAW container %s", path, exc_info=True)
        return _Meta()


def _decode_raw(path: Path, max_side: int, use_draft: bool) -> DecodedPhoto:
    with open(path, "rb") as fp:
        head = fp.read(HEAD_BYTES)
    if starts_like_image(head) and not head.startswith(TIFF_MAGIC):
        # A JPEG/PNG/HEIF/... with a RAW extension (real RAWs are TIFF-like or have their own
        # magic): content wins.
        return _decode_with_pillow(path, max_side, use_draft)
    if not raw_support_available():
        raise _Failed(_RAW_NOT_INSTALLED)
    import rawpy

    container = _raw_container_meta(path)
    try:
        if os.name == "nt":  # LibRaw's narrow-char open_file cannot take every Windows path
            with open(path, "rb") as fp:
                raw = rawpy.imread(fp)
        else:
            raw = rawpy.imread(str(path))
    except rawpy.LibRawFileUnsupportedError:
        # Not something LibRaw knows: maybe an ordinary image with a RAW extension.
        return _decode_with_pillow(path, max_side, use_draft)
    with raw:
        sizes = raw.sizes
        orientation = _LIBRAW_FLIP_TO_ORIENTATION.get(sizes.flip, 1)
        full_size = (sizes.width, sizes.height)  # before orientation, like Pillow's im.size
        fallback = _Meta(orientation, container.taken_at, container.camera)
        if fallback.taken_at is None:
            try:
                stamp = raw.other.timestamp
                if stamp.year > 1970:
                    taken_at = stamp.strftime("%Y-%m-%dT%H:%M:%S")
                    fallback = _Meta(orientation, taken_at, fallback.camera)
            except Exception:
                log.debug("no RAW timestamp", exc_info=True)

        preview = _raw_preview(raw, max_side, use_draft, orientation, fallback)
        if preview is not None:
            return DecodedPhoto(
                preview.image,
                *((full_size[1], full_size[0]) if orientation >= 5 else full_size),
                "RAW",
                fallback.taken_at or preview.taken_at,
                fallback.camera or preview.camera,
            )
        # No usable preview: demosaic at half size (no interpolation needed, reasonably fast).
        rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
    image = Image.fromarray(np.ascontiguousarray(rgb))  # LibRaw already applied the rotation
    small = _flatten_to_rgb(_shrink(image, max_side))
    width, height = (full_size[1], full_size[0]) if orientation >= 5 else full_size
    return DecodedPhoto(small, width, height, "RAW", fallback.taken_at, fallback.camera)


def _same_shape(a: tuple[int, int], b: tuple[int, int], tolerance: float = 0.03) -> bool:
    """Same aspect ratio within ``tolerance``, ignoring a 90 degree rotation."""
    ratio_a = max(a) / max(1, min(a))
    ratio_b = max(b) / max(1, min(b))
    return abs(ratio_a / ratio_b - 1.0) <= tolerance


def _raw_preview(
    raw: rawpy.RawPy, max_side: int, use_draft: bool, orientation: int, fallback: _Meta
) -> DecodedPhoto | None:
    """The embedded camera preview, if there is one at least max_side big (or the RAW is small)."""
    import rawpy

    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawError, MemoryError):
        log.debug("no usable embedded preview", exc_info=True)
        return None
    raw_size = (raw.sizes.width, raw.sizes.height)

    def usable(size: tuple[int, int]) -> bool:
        # Big enough (unless the RAW itself is small) and not letterboxed or cropped, so that it
        # hashes like the photo (some cameras embed 160x120 or 16:9 previews).
        return max(size) >= min(max_side, max(raw_size)) and _same_shape(size, raw_size)

    try:
        data = thumb.data
        if isinstance(data, bytes):  # ThumbFormat.JPEG
            with Image.open(io.BytesIO(data), formats=("JPEG",)) as im:
                if not usable(im.size):
                    return None
                # A preview with its own EXIF orientation knows best; else the RAW's flip applies.
                own = _read_meta(im).orientation
                return _decode_opened(
                    im, max_side, use_draft, orientation_override=own if own != 1 else orientation
                )
        bitmap = Image.fromarray(np.ascontiguousarray(data))  # ThumbFormat.BITMAP: (h, w, 3)
        if not usable(bitmap.size):
            return None
        return _finish(bitmap, bitmap.size, orientation, max_side, "RAW", fallback)
    except Exception:
        log.debug("embedded preview undecodable", exc_info=True)
    return None


# --------------------------------------------------------------------------- entry point


def _decode_with_pillow(
    path: Path, max_side: int, use_draft: bool, formats: tuple[str, ...] | None = None
) -> DecodedPhoto:
    with open(path, "rb") as fp:
        try:
            im = Image.open(fp, formats=formats or _formats())
        except UnidentifiedImageError:
            fp.seek(0)
            damaged = starts_like_image(fp.read(HEAD_BYTES))
            raise _Failed(_CORRUPT if damaged else _NOT_AN_IMAGE) from None
        with im:
            return _decode_opened(im, max_side, use_draft)


def _decode(path: Path, max_side: int, use_draft: bool) -> DecodedPhoto:
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):  # directories, FIFOs (opening one would block), devices
        raise _Failed(QT_TRANSLATE_NOOP("engine", "not a regular file"))
    if st.st_size == 0:
        raise _Failed(QT_TRANSLATE_NOOP("engine", "empty file"))
    if path.suffix.lower() in RAW_EXTENSIONS:
        return _decode_raw(path, max_side, use_draft)
    return _decode_with_pillow(path, max_side, use_draft)


_BOMB_RE: Final = re.compile(r"\((\d+) pixels\) exceeds limit of (\d+) pixels")


def _too_large_reason(exc: BaseException) -> str:
    match = _BOMB_RE.search(str(exc))
    if match is None:
        return QT_TRANSLATE_NOOP("engine", "image too large")
    pixels, limit = (int(g) for g in match.groups())
    return f"image too large ({round(pixels / 1e6)} megapixels, limit {limit // 1_000_000})"


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, _Failed):
        return exc.reason
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return _too_large_reason(exc)
    if isinstance(exc, UnidentifiedImageError):
        return _NOT_AN_IMAGE
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return QT_TRANSLATE_NOOP("engine", "file vanished")
    if isinstance(exc, PermissionError):
        return QT_TRANSLATE_NOOP("engine", "permission denied")
    if isinstance(exc, IsADirectoryError):
        return QT_TRANSLATE_NOOP("engine", "not a regular file")
    if isinstance(exc, MemoryError):
        return QT_TRANSLATE_NOOP("engine", "out of memory while decoding")
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"read error: {exc.strerror or exc}"
    try:
        import rawpy

        if isinstance(exc, rawpy.LibRawTooBigError):
            return QT_TRANSLATE_NOOP("engine", "image too large")
        if isinstance(exc, (rawpy.LibRawUnsufficientMemoryError, rawpy.LibRawMemPoolOverflowError)):
            return QT_TRANSLATE_NOOP("engine", "out of memory while decoding")
        if isinstance(exc, (rawpy.LibRawIOError, rawpy.LibRawDataError)):
            return _CORRUPT
        if isinstance(exc, rawpy.LibRawFileUnsupportedError):
            return QT_TRANSLATE_NOOP("engine", "unsupported RAW file")
        if isinstance(exc, (rawpy.LibRawError, rawpy.NotSupportedError)):
            return QT_TRANSLATE_NOOP("engine", "unreadable RAW file")
    except ImportError:
        pass
    if isinstance(
        exc,
        (
            OSError,  # Pillow decoder errors: "image file is truncated", "broken data stream", ...
            ValueError,
            SyntaxError,
            struct.error,
            EOFError,
            IndexError,
            KeyError,
            TypeError,
            ZeroDivisionError,
            OverflowError,
            RuntimeError,
            AssertionError,
        ),
    ):
        return _CORRUPT
    return f"could not decode image ({type(exc).__name__})"


def decode_photo(
    path: Path | str, max_side: int = THUMB_SIDE, *, use_draft: bool = True
) -> DecodedPhoto | DecodeFailure:
    """Decode ``path`` into a small upright RGB image plus size/EXIF facts.

    Never raises for a bad, vanished or unreadable file: returns a :class:`DecodeFailure`.
    ``use_draft=False`` disables reduced-size JPEG/HEIF decoding (for benchmarks only).
    """
    if max_side < 1:
        raise ValueError(f"max_side must be >= 1, got {max_side}")
    file_path = Path(path)
    try:
        return _decode(file_path, max_side, use_draft)
    except Exception as exc:
        reason = _failure_reason(exc)
        unexpected = reason.startswith("could not decode image")
        log.log(
            logging.WARNING if unexpected else logging.DEBUG,
            "cannot decode %s: %s (%s: %s)",
            file_path,
            reason,
            type(exc).__name__,
            exc,
            exc_info=unexpected,
        )
        return DecodeFailure(reason)
