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

Both files are decoded (the larger one fully: Pillow cannot decode a JPEG's middle alone), so
the keeper asks only where the answer can change the photo kept; answers are cached by the
two contents' digests. A file that cannot be read answers "not an enlargement".
"""

from __future__ import annotations

import logging
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from simfinder.core.photos.decode import photo_formats
from simfinder.core.photos.provenance import Cache

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]

# Left-over power above the smaller photo's Nyquist frequency under this share of the power it
# holds just below: the larger photo is an enlargement of it (see docs/benchmarks.md, "Keep
# rules: telling enlarged copies from originals": camera photos against their reductions and
# enlargements of them).
ENLARGED_BELOW: Final = 0.08
# The larger photo must be this much larger on each side for its extra band to be measured.
MIN_FACTOR: Final = 1.15

_DECODE_MARGIN: Final = 1.3  # decode the larger photo at least this much larger than the smaller
_CROP: Final = 128  # crop side, pixels of the larger photo
_CROPS: Final = 8
_CELL: Final = 4  # frequency cells of 4x4 samples, pooled over the crops
_CLIPPED: Final = (4, 251)  # luma levels at or beyond these count as clipped

_measures: Cache[tuple[bytes, bytes], float | None] = Cache(20_000)


def _upright(path: str, at_least: tuple[int, int] | None = None) -> Image.Image | None:
    """The photo's pixels turned upright; a JPEG decoded at 1/2, 1/4 or 1/8 of its size where
    that stays `at_least` this large on both sides (either way round)."""
    try:
        with Image.open(path, formats=photo_formats()) as im:
            if at_least is not None and im.format == "JPEG":
                w, h = im.size
                side = max(at_least) if w >= h else min(at_least)
                other = min(at_least) if w >= h else max(at_least)
                im.draft("RGB", (side, other))
            im.load()
            return ImageOps.exif_transpose(im)
    except Exception:
        log.debug("cannot decode %s", path, exc_info=True)
        return None


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


def beyond_share(big: Image.Image, small: Image.Image) -> float | None:
    """Power the larger photo holds above the smaller one's Nyquist frequency that the smaller
    one enlarged does not explain, over the power the smaller one holds just below it; None if
    they do not frame one picture at two sizes far enough apart to tell."""
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
    return max(0.0, float(left_over[above].mean()) - floor) / reference


def is_enlarged_copy(larger: tuple[bytes, str], smaller: tuple[bytes, str]) -> bool:
    """True if the larger photo (digest, path) holds no detail beyond the smaller one's
    resolution: it is an enlargement of it (or of a copy smaller still), re-encoded or not."""

    def measure() -> float | None:
        small = _upright(smaller[1])
        # The larger photo is needed only to a little beyond the smaller one's resolution: a
        # JPEG decodes its coarser scales several times faster.
        need = None if small is None else (round(small.width * _DECODE_MARGIN),
                                           round(small.height * _DECODE_MARGIN))
        big = _upright(larger[1], need) if small is not None else None
        if big is None or small is None:
            return None
        share = beyond_share(big, small)
        log.debug("%s beyond %s: %s", larger[1], smaller[1], share)
        return share

    share = _measures.get_or((larger[0], smaller[0]), measure)
    return share is not None and share < ENLARGED_BELOW
