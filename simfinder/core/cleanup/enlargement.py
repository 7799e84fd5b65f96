"""Whether a larger photo is an enlargement of a smaller copy: more pixels, no more detail.

A copy blown up from a smaller one (a 1600 px messenger copy enlarged to 4000 px, a photo
enlarged by an editor) holds nothing above the smaller photo's resolution but what the
enlarging made of it: the interpolation's images of the smaller photo's own detail (bilinear
and bicubic leave some), sharpening of those, and the noise of re-encoding. A photo really
taken at the higher resolution holds detail there that carries on the detail just below it.

So on a few aligned full-resolution crops (the smaller photo's most detailed places, away
from clipped highlights and shadows, where sharpening stops being linear) this compares the
larger photo's spectrum above the smaller one's Nyquist frequency with the smaller photo
enlarged onto the same grid. Per small cell of frequencies, what the larger photo holds there
in step with the enlarged smaller one (any linear filter of it: the interpolation kernel, a
sharpening) is explained by it; what is left over is detail beyond it. The measure is that
left-over power just above the smaller photo's Nyquist frequency over the power the smaller
photo holds just below it (the same band of a real capture carries on at a few tenths of it).

That spectrum leaves two kinds of enlargement uncaught: small factors (1.25x-1.5x), where the
band above the smaller photo's resolution is where re-encoding noise lives, and sharpened ones
(sharpening with a threshold is not a linear filter). And a soft original holds little there
either. So the spectrum's threshold is kept low enough for blurred originals, and two traces
of the enlarging itself are asked too, at the exact ratio of the two sizes
(`resampling_trace`): sharpness that repeats with the enlargement's period, and the block
grid of a JPEG it was made from, enlarged. Neither is in a photo taken at its size, and
neither is undone by sharpening or re-encoding. Before any pixel, the cheapest cue: EXIF
pixel dimensions smaller than the file's own mean the file was enlarged after capture.

At exactly 2x (and the few other ratios whose period falls on a JPEG grid) neither trace can
be asked: the period is the colour mosaic's, and the enlarged block grid is the 16-pixel grid
every photo saved again carries. There a small linear filter of the smaller photo is fitted to
the larger one (`linear_prediction`): an enlargement, sharpened and re-encoded or not, is
predicted above the smaller photo's resolution but for its encoding's noise; an original's
detail there is not.

Both files are decoded once, in full (Pillow cannot decode a JPEG's middle alone; a JPEG's own
luma plane is read, without the colour conversion), so the keeper asks only where the answer
can change the photo kept; answers are cached by the two contents' digests. A file that
cannot be read answers "not an enlargement".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import BinaryIO, Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from simfinder.core.cleanup import linear_prediction, resampling_trace
from simfinder.core.photos.decode import photo_formats
from simfinder.core.photos.provenance import Cache

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

# Left-over power above the smaller photo's Nyquist frequency under this share of the power it
# holds just below, and at least EXPLAINED_AT_LEAST of the larger photo's power there explained
# by the smaller one enlarged: the larger photo is an enlargement of it (see docs/benchmarks.md,
# "Keep rules: telling enlarged copies from originals"). A blurred original holds as little
# there as an enlargement (a camera photo blurred by 1.2 px: 0.01-0.03 against its half), but
# none of it is an image of its reduction's detail (explained 0.02-0.04; sharp originals
# against reductions by nearest neighbour, whose aliases are such images, up to 0.42).
ENLARGED_BELOW: Final = 0.08
EXPLAINED_AT_LEAST: Final = 0.5
# Strength of the enlargement's period (rows and columns summed) at or above this: enlarged.
# Photos taken at their size measure under 10 at any ratio the trace is asked at; enlargements
# of camera photos from about 60 (1.5x Lanczos) to thousands.
PERIOD_AT_LEAST: Final = 30.0
# Strength of a JPEG's block grid enlarged by the ratio (the weaker of rows and columns) at or
# above this: enlarged. Photos taken at their size, blurred and saved again too, measure under
# 10 where the trace is asked (not on the 16-pixel grid of subsampled colour: up to 46 there).
GRID_AT_LEAST: Final = 30.0
# Share of the larger photo's power just above the smaller one's Nyquist frequency that a small
# linear filter of the smaller one leaves unpredicted (beyond the encoding's noise) under this:
# enlarged. Asked where the period trace cannot be. Originals against their 1/2 reductions
# measure 0.86 and more (sharp, blurred, noisy), but for a camera that interpolates its own
# pixels (FinePix 4900's Super CCD: 0.74); 2x enlargements, sharpened and saved at JPEG quality
# 85-90 or not, 0.64 at most (a soft phone photo), most under 0.3. A thin margin on both sides.
UNPREDICTED_BELOW: Final = 0.7
# The larger photo must be this much larger on each side for its extra band to be measured.
MIN_FACTOR: Final = 1.15

_CROP: Final = 128  # crop side, pixels of the larger photo
_CROPS: Final = 8
_CELL: Final = 4  # frequency cells of 4x4 samples, pooled over the crops
_CLIPPED: Final = (4, 251)  # luma levels at or beyond these count as clipped

@dataclass(frozen=True)
class Measures:
    """What tells a larger photo from an enlargement of a smaller one; None where a measure
    cannot tell at the two sizes (see the module's and `resampling_trace`'s notes)."""
    share: float | None  # left-over power above the smaller photo's resolution
    explained: float | None  # share of the power there that the smaller one enlarged explains
    period: float | None  # sharpness repeating with the enlargement's period
    grid: float | None  # a JPEG's block grid enlarged by the ratio
    # Detail above the smaller photo's resolution a linear filter of it leaves unpredicted
    # (asked only where the period trace cannot be).
    unpredicted: float | None = None

    @property
    def enlarged(self) -> bool:
        return ((self.share is not None and self.share < ENLARGED_BELOW
                 and self.explained is not None and self.explained >= EXPLAINED_AT_LEAST)
                or (self.period is not None and self.period >= PERIOD_AT_LEAST)
                or (self.grid is not None and self.grid >= GRID_AT_LEAST)
                or (self.unpredicted is not None and self.unpredicted < UNPREDICTED_BELOW))


_measures: Cache[tuple[bytes, bytes], Measures | None] = Cache(20_000)
_told: Cache[tuple[bytes, bytes], bool] = Cache(20_000)


@dataclass(frozen=True)
class LumaFile:
    """A photo file's luma, upright, and the luma quantisation table of the JPEG it is (None
    for any other file, or one turned by its EXIF: then its block grid is not the luma's)."""
    luma: Image.Image
    table: F64 | None


def decoded_luma_file(fp: str | BinaryIO) -> LumaFile | None:
    """The photo's luma (mode L) at its full size, turned upright; a JPEG's own luma plane
    (without the colour conversion, whose 16-pixel grid of subsampled colour would look like an
    enlarged block grid), and its quantisation table."""
    try:
        with Image.open(fp, formats=photo_formats()) as im:
            table = None
            if im.format == "JPEG" and im.mode in ("RGB", "YCbCr", "L"):
                if im.mode != "L":
                    im.draft("L", im.size)
                tables = getattr(im, "quantization", None) or {}
                if 0 in tables and len(tables[0]) == 64 and im.getexif().get(0x0112, 1) == 1:
                    table = np.asarray(tables[0], dtype=np.float64).reshape(8, 8)
            im.load()
            upright = ImageOps.exif_transpose(im)
            luma = upright if upright.mode == "L" else upright.convert("RGB").convert("L")
            return LumaFile(luma, table)
    except Exception:
        log.debug("cannot decode %s", fp, exc_info=True)
        return None


def decoded_luma(fp: str | BinaryIO) -> Image.Image | None:
    """The photo's luma as `decoded_luma_file` reads it."""
    found = decoded_luma_file(fp)
    return found.luma if found is not None else None


def _luma(im: Image.Image) -> F32:
    return np.asarray(im if im.mode == "L" else im.convert("RGB").convert("L"), dtype=np.float32)


def _detailed_tiles(small: F32, side: int) -> list[tuple[int, int]]:
    """Top-left corners (in the smaller photo) of its most detailed tiles of `side` pixels,
    not on the border and with no clipped pixel."""
    h, w = small.shape
    ny, nx = (h - 1) // side, (w - 1) // side
    if ny < 3 or nx < 3:
        return []
    grad = np.abs(np.diff(small, axis=1))[:-1, :] + np.abs(np.diff(small, axis=0))[:, :-1]
    detail = grad[:ny * side, :nx * side].reshape(ny, side, nx, side).mean(axis=(1, 3))
    tiles = small[:ny * side, :nx * side].reshape(ny, side, nx, side)
    clipped = ((tiles <= _CLIPPED[0]) | (tiles >= _CLIPPED[1])).any(axis=(1, 3))
    detail[clipped] = -1
    detail[0, :] = detail[-1, :] = detail[:, 0] = detail[:, -1] = -1
    order = np.argsort(detail.ravel())[::-1][:_CROPS]
    return [(int(i % nx) * side, int(i // nx) * side) for i in order if detail.flat[i] > 0]


def _window() -> F32:
    hann = np.hanning(_CROP).astype(np.float32)
    return np.outer(hann, hann)


def _enlarged_crop(small: Image.Image, box: tuple[float, float, float, float]) -> F32:
    return _luma(small.resize((_CROP, _CROP), Image.Resampling.BILINEAR, box=box))


def spectrum(big: Image.Image, small: Image.Image) -> tuple[float, float] | None:
    """Power the larger photo holds above the smaller one's Nyquist frequency that the smaller
    one enlarged does not explain, over the power the smaller one holds just below it; and the
    share of the larger photo's power there that it does explain (the images of the smaller
    photo's detail that bilinear and bicubic enlargers leave). None if they do not frame one
    picture at two sizes far enough apart to tell."""
    kx, ky = small.width / big.width, small.height / big.height
    if kx > 1 / MIN_FACTOR or ky > 1 / MIN_FACTOR or abs(kx / ky - 1) > 0.01:
        return None
    small_l = small if small.mode == "L" else small.convert("RGB").convert("L")
    corners = _detailed_tiles(_luma(small_l), max(8, int(_CROP * kx)))
    window = _window()
    mine, theirs = [], []
    for sx, sy in corners:
        x0, y0 = round(sx / kx), round(sy / ky)
        if x0 + _CROP > big.width or y0 + _CROP > big.height:
            continue
        crop = _luma(big.crop((x0, y0, x0 + _CROP, y0 + _CROP)))
        box = (x0 * kx, y0 * ky, (x0 + _CROP) * kx, (y0 + _CROP) * ky)
        enlarged = _enlarged_crop(small_l, box)
        # Enlargers put the pixel grid a fraction of a pixel apart: align to the larger one.
        (dx, dy), _ = cv2.phaseCorrelate(enlarged.astype(np.float64), crop.astype(np.float64),
                                         window.astype(np.float64))
        if 0.05 < max(abs(dx), abs(dy)) < 4:
            box = (box[0] - dx * kx, box[1] - dy * ky, box[2] - dx * kx, box[3] - dy * ky)
            enlarged = _enlarged_crop(small_l, box)
        mine.append(np.fft.fft2((crop - crop.mean()) * window))
        theirs.append(np.fft.fft2((enlarged - enlarged.mean()) * window))
    if len(mine) < 3:
        return None
    big_f, small_f = np.stack(mine), np.stack(theirs)
    n, cells = len(mine), _CROP // _CELL

    def pooled(a: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return np.asarray(a.reshape(n, cells, _CELL, cells, _CELL).sum(axis=(0, 2, 4)))

    cross = pooled(big_f * np.conj(small_f))
    power_big = pooled(np.abs(big_f) ** 2).real.astype(np.float64)
    power_small = pooled(np.abs(small_f) ** 2).real.astype(np.float64)
    in_step = np.abs(cross) ** 2 / np.maximum(power_big * power_small, 1e-9)
    left_over = power_big * (1 - np.clip(in_step, 0, 1))
    # Each cell's frequency as a share of the smaller photo's Nyquist frequency (the larger of
    # the two axes: the smaller photo's grid holds a square of frequencies).
    freq = np.abs(np.fft.fftfreq(_CROP))
    share = np.maximum(freq[None, :] / (kx / 2), freq[:, None] / (ky / 2))
    share = share.reshape(cells, _CELL, cells, _CELL).mean(axis=(1, 3))
    above = (share > 1.08) & (share < 1.4)
    below = (share > 0.6) & (share < 0.92)
    reference = float(power_small[below].mean()) if below.any() else 0.0
    if not above.any() or reference <= 0:
        return None
    # Rounding to 8 bits leaves white noise of 1/12 level² in every photo, enlarged or not:
    # in a faint, soft picture it is as strong as the detail near the Nyquist frequency.
    floor = n * _CELL * _CELL * float((window ** 2).sum()) / 12
    explained = float((power_big - left_over)[above].sum()) / max(float(power_big[above].sum()),
                                                                  1e-9)
    return max(0.0, float(left_over[above].mean()) - floor) / reference, explained


def measure(big: Image.Image, small: Image.Image, big_table: F64 | None = None) -> Measures | None:
    """The measures of a larger photo against a smaller one (both upright, any mode); None if
    they do not frame one picture at two sizes far enough apart to tell. `big_table`: the
    larger file's JPEG luma quantisation table (`LumaFile.table`), None if not a JPEG."""
    kx, ky = small.width / big.width, small.height / big.height
    if kx > 1 / MIN_FACTOR or ky > 1 / MIN_FACTOR or abs(kx / ky - 1) > 0.01:
        return None
    found = spectrum(big, small)
    share, explained = found if found is not None else (None, None)
    side = resampling_trace.SIDE
    x0, y0 = max(0, (big.width - side) // 2), max(0, (big.height - side) // 2)
    middle = big.crop((x0, y0, min(big.width, x0 + side), min(big.height, y0 + side)))
    luma = _luma(middle)
    factor = big.width / small.width
    period = resampling_trace.period_strength(luma, factor)
    unpredicted = None
    if period is None:
        small_l = small if small.mode == "L" else small.convert("RGB").convert("L")
        corners = _detailed_tiles(_luma(small_l), max(8, int(linear_prediction.TILE * kx)))
        unpredicted = linear_prediction.unpredicted_share(_luma(big), small_l, corners,
                                                          big_table)
    return Measures(share, explained, period,
                    resampling_trace.enlarged_grid_strength(luma, factor), unpredicted)


def _exif_pixel_size(path: str) -> tuple[int, int, tuple[int, int]] | None:
    """The pixel size the EXIF gives (PixelXDimension, PixelYDimension) and the file's own."""
    try:
        with Image.open(path, formats=photo_formats()) as im:
            exif = im.getexif().get_ifd(0x8769)
            w, h = exif.get(0xA002), exif.get(0xA003)
            if isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0:
                return w, h, im.size
    except Exception:
        log.debug("cannot read %s", path, exc_info=True)
    return None


def _told_smaller(larger: str, smaller: str) -> bool:
    declared = _exif_pixel_size(larger)
    if declared is None:
        return False
    w, h, actual = declared
    told, own = sorted((w, h)), sorted(actual)  # a turned photo may keep its old EXIF size
    if own[1] < told[1] * MIN_FACTOR or abs(own[0] / own[1] - told[0] / told[1]) > 0.02:
        return False
    try:
        with Image.open(smaller, formats=photo_formats()) as im:
            return max(im.size) >= told[1] * 0.98
    except Exception:
        log.debug("cannot read %s", smaller, exc_info=True)
        return False


def enlarged_after_capture(larger: tuple[bytes, str], smaller: tuple[bytes, str]) -> bool:
    """True if the larger file's (digest, path) EXIF says it had fewer pixels when taken (an
    editor enlarged it and kept the metadata) and the smaller file holds at least as many as
    that. Reads the two files' headers only."""
    return _told.get_or((larger[0], smaller[0]), lambda: _told_smaller(larger[1], smaller[1]))


def is_enlarged_copy(larger: tuple[bytes, str], smaller: tuple[bytes, str]) -> bool:
    """True if the larger photo (digest, path) holds no detail beyond the smaller one's
    resolution: it is an enlargement of it (or of a copy smaller still), re-encoded or not,
    as its pixels tell (`enlarged_after_capture` asks its EXIF)."""

    def measured() -> Measures | None:
        small = decoded_luma(smaller[1])
        big = decoded_luma_file(larger[1]) if small is not None else None
        if big is None or small is None:
            return None
        found = measure(big.luma, small, big.table)
        log.debug("%s against %s: %s", larger[1], smaller[1], found)
        return found

    found = _measures.get_or((larger[0], smaller[0]), measured)
    return found is not None and found.enlarged
