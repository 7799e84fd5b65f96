"""Where a copy comes from, as far as its file tells: the camera data it carries beyond what the
catalog keeps (lens, GPS), and whether a lossless file holds the decoded pixels of a lossy one
(a PNG or TIFF saved from a camera JPEG holds nothing more than that JPEG).

The keeper asks these questions only of the few photos of a group that the catalog's facts leave
tied, so nothing here runs at index time. Answers depend on a file's bytes only: they are cached
by content digest. A file that cannot be read answers "nothing known", never an exception.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from simfinder.core.photos.decode import EXIF_IFD, photo_formats
from simfinder.core.photos.formats import is_raw_path

log = logging.getLogger(__name__)

_GPS_IFD: Final = 0x8825
_TAG_LENS_MAKE: Final = 0xA433
_TAG_LENS_MODEL: Final = 0xA434
_TAG_GPS_LATITUDE: Final = 2

# Formats whose files hold exactly the pixels they were given (WebP and TIFF: see _is_lossless).
_LOSSLESS_FORMATS: Final = frozenset({"PNG", "TIFF", "BMP", "DIB", "PPM", "GIF", "WEBP"})

# A lossless file "holds a lossy photo's pixels" when the two differ by less than this on
# average (0..255 levels): decoders of one JPEG differ by a level here and there, while a JPEG
# saved from a lossless photo, even at quality 95, is off by one level or more on average.
SAME_PIXELS_MEAN_DIFF: Final = 0.35

# JPEG's 8x8 blocks: the strongest of the 8 column/row phases of neighbour differences against
# their median. Lossless photos and resized ones stay below ~1.05; from 1.25 on, the pixels went
# through a JPEG (high-quality camera JPEGs show too little of it to tell: the same-pixels test
# catches those).
BLOCKING_RATIO: Final = 1.25

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


class Cache(dict[_K, _V]):
    """A small, thread-safe, least-recently-filled cache (the GUI marks groups in a worker)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._order: OrderedDict[_K, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get_or(self, key: _K, compute: Callable[[], _V]) -> _V:
        with self._lock:
            if key in self:
                return self[key]
        value = compute()
        with self._lock:
            self[key] = value
            self._order[key] = None
            while len(self._order) > self._size:
                old, _ = self._order.popitem(last=False)
                self.pop(old, None)
        return value


_extra_fields: Cache[bytes, int] = Cache(20_000)
_converted: Cache[tuple[bytes, bytes], bool] = Cache(20_000)
_blocky: Cache[bytes, bool] = Cache(20_000)


def _open_exif(path: str) -> Image.Exif | None:
    if is_raw_path(path):
        # TIFF-structured RAWs: the camera's IFDs, read without decoding (like decode does).
        with open(path, "rb") as fp:
            head = fp.read(1 << 20)
        if head[:2] not in (b"II", b"MM"):
            return None
        exif = Image.Exif()
        exif.load((b"II*\x00" if head[:2] == b"II" else b"MM\x00*") + head[4:])
        return exif
    with Image.open(path, formats=photo_formats()) as im:
        if im.format == "PNG" and "exif" not in im.info:
            return None  # an eXIf chunk after the pixels would cost a full decode: not worth it
        return im.getexif()


def extra_camera_fields(digest: bytes, path: str) -> int:
    """How many of lens and GPS position the file's EXIF names (0-2)."""

    def read() -> int:
        try:
            exif = _open_exif(path)
            if exif is None:
                return 0
            sub = exif.get_ifd(EXIF_IFD)
            lens = bool(sub.get(_TAG_LENS_MODEL) or sub.get(_TAG_LENS_MAKE))
            gps = bool(exif.get_ifd(_GPS_IFD).get(_TAG_GPS_LATITUDE))
            return int(lens) + int(gps)
        except Exception:  # unreadable or odd EXIF: nothing known
            log.debug("no EXIF extras for %s", path, exc_info=True)
            return 0

    return _extra_fields.get_or(digest, read)


def is_lossless(path: str, fmt: str) -> bool:
    """True if the file keeps its pixels exactly (PNG, BMP, lossless WebP, TIFF unless it is
    JPEG-compressed)."""
    fmt = fmt.upper()
    if fmt not in _LOSSLESS_FORMATS:
        return False
    try:
        if fmt == "WEBP":
            return _webp_is_lossless(path)
        if fmt == "TIFF":
            with Image.open(path, formats=("TIFF",)) as im:
                return "jpeg" not in str(im.info.get("compression", "")).lower()
    except Exception:
        log.debug("cannot tell whether %s is lossless", path, exc_info=True)
        return False
    return True


def _webp_is_lossless(path: str) -> bool:
    # RIFF chunks: "VP8L" holds lossless pixels, "VP8 " lossy ones (after an optional "VP8X").
    with open(path, "rb") as fp:
        data = fp.read(1 << 16)
    pos = 12
    while pos + 8 <= len(data):
        tag = data[pos:pos + 4]
        if tag == b"VP8L":
            return True
        if tag == b"VP8 ":
            return False
        size = int.from_bytes(data[pos + 4:pos + 8], "little")
        pos += 8 + size + (size & 1)
    return False


def _pixels(path: str, upright: bool) -> npt.NDArray[np.uint8] | None:
    try:
        with Image.open(path, formats=photo_formats()) as im:
            im.load()
            out = ImageOps.exif_transpose(im) if upright else im
            return np.asarray(out.convert("RGB"))
    except Exception:
        log.debug("cannot decode %s", path, exc_info=True)
        return None


def holds_pixels_of(lossless: tuple[bytes, str], lossy: tuple[bytes, str]) -> bool:
    """True if the lossless file (digest, path) holds the lossy file's decoded pixels: it was
    saved from them (a lossy file cannot have been made from it without losing something)."""

    def compare() -> bool:
        # Converters do not all apply the JPEG's orientation, and some copy its EXIF (with the
        # orientation tag) onto pixels they turned: try each file's pixels both ways.
        theirs = [_pixels(lossy[1], upright) for upright in (False, True)]
        for upright in (False, True):
            mine = _pixels(lossless[1], upright)
            for other in theirs:
                if mine is not None and other is not None and other.shape == mine.shape:
                    diff = np.abs(mine.astype(np.int16) - other.astype(np.int16))
                    if float(diff.mean()) < SAME_PIXELS_MEAN_DIFF:
                        return True
        return False

    return _converted.get_or((lossless[0], lossy[0]), compare)


def shows_jpeg_blocks(digest: bytes, path: str) -> bool:
    """True if the photo's pixels show JPEG's 8x8 block grid (see BLOCKING_RATIO)."""

    def measure() -> bool:
        pixels = _pixels(path, upright=False)
        if pixels is None or min(pixels.shape[:2]) < 64:
            return False
        return blocking_ratio(pixels) >= BLOCKING_RATIO

    return _blocky.get_or(digest, measure)


def blocking_ratio(pixels: npt.NDArray[np.uint8]) -> float:
    """Mean neighbour difference at the strongest of the 8 grid phases over the median phase,
    columns and rows together (1.0: no grid at all)."""
    luma = pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    per_phase = np.zeros(8, dtype=np.float64)
    for plane in (luma, luma.T):
        diff = np.abs(np.diff(plane, axis=1))
        width = diff.shape[1] // 8 * 8
        per_phase += diff[:, :width].reshape(diff.shape[0], -1, 8).mean(axis=(0, 1))
    median = float(np.median(per_phase))
    return float(per_phase.max() / median) if median > 0 else 1.0
