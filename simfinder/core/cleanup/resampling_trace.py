"""Traces an enlarger leaves in a photo's pixel grid, at the known ratio of two copies' sizes.

An enlargement by a factor f computes each new pixel from the old ones at a position that
falls between them with a fraction that repeats every f pixels. How sharp a pixel is (the size
of its second difference) depends on that fraction: near an old pixel it is a sample, half-way
it is an average. So the mean sharpness of each column (and row) of an enlarged photo rises and
falls with period f, whatever sharpening (which acts the same everywhere) or re-encoding came
after. A photo taken at its size has no such period, and neither has its reduction's ratio any
meaning in it (Popescu and Farid's resampling traces, with the period known beforehand).

Two periods are asked:

* the enlargement's own, 1/f cycles per pixel: `period_strength`. It says nothing where it falls
  on a JPEG's 8-pixel grid or the 16-pixel grid of its subsampled colour (k/16 cycles per
  pixel), or on 1/2, where a camera's colour filter mosaic and the grid of a centred 2x
  enlargement (whose two fractions, 1/4 and 3/4, are mirror images, so equally sharp) leave
  it: those ratios answer None.
* the enlarged grid of a JPEG it was made from, 8f pixels: `enlarged_grid_strength`. An
  enlargement of a JPEG carries that JPEG's block edges at every 8f pixels; a photo taken at its
  size has its own JPEG grids only (8 pixels, and 16 for subsampled colour: never asked, so not
  at 2x).

Each strength is the power of the column (row) sharpness at the asked frequency over the median
power at other frequencies (about 1.4 for a photo with no such period; see docs/benchmarks.md,
"Keep rules: telling enlarged copies from originals").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

SIDE: Final = 4096  # the middle of the photo this large at most is measured (16 MP)
_TREND: Final = 31  # columns in the moving mean taken off (the scene's own slow changes)
_NEAR: Final = 0.006  # frequencies this close (cycles per pixel) count as one
_LOWEST: Final = 0.03  # frequencies under this are the scene's, not a grid's
# A JPEG's 8-pixel block grid, and the 16-pixel one of colour subsampled 2x2: a photo decoded
# from such a JPEG, edited and saved again carries the latter faintly in its luma (a blurred
# camera photo saved again reaches the strength of an enlargement's grid there). No trace is
# asked on either.
_COLOUR_GRID: Final = tuple(k / 16 for k in range(9))


def _fold(nu: float) -> float:
    """A frequency in cycles per pixel as the sampled columns see it (0 to 1/2)."""
    return abs((nu + 0.5) % 1 - 0.5)


def _middle(luma: F32) -> F32:
    h, w = luma.shape
    y0, x0 = max(0, (h - SIDE) // 2), max(0, (w - SIDE) // 2)
    return luma[y0:y0 + SIDE, x0:x0 + SIDE]


def _profile(luma: F32, order: int, axis: int) -> F64:
    """Mean absolute difference of `order` (1: block edges, 2: sharpness) across `axis` (1:
    each column's, 0: each row's), less its moving mean."""
    d = np.abs(np.diff(luma, n=order, axis=axis)).mean(axis=1 - axis, dtype=np.float64)
    if d.size <= 3 * _TREND:
        return np.zeros(0)
    trend = np.convolve(d, np.ones(_TREND) / _TREND, mode="same")
    return np.asarray((d - trend)[_TREND:-_TREND])


def _power(profile: F64, nus: Sequence[float]) -> F64:
    x = np.arange(profile.size)
    waves = np.exp(-2j * np.pi * np.outer(np.asarray(nus, dtype=np.float64), x))
    return np.asarray(np.abs(waves @ profile) ** 2)


def _strengths(profile: F64, asked: Sequence[float], known: Sequence[float]) -> F64:
    """Power at each asked frequency over the median power of the profile's own frequencies
    away from it and the known ones."""
    power = np.abs(np.fft.rfft(profile)) ** 2
    nus = np.fft.rfftfreq(profile.size)
    avoid = np.asarray([*asked, *known])
    away = (nus > _LOWEST) & (nus < 0.47) & \
        (np.abs(nus[:, None] - avoid[None, :]).min(axis=1) > _NEAR)
    median = float(np.median(power[away])) if away.any() else 0.0
    if median <= 0:
        return np.zeros(len(asked))
    return _power(profile, asked) / median


def _profiles(luma: F32, order: int) -> list[F64]:
    middle = _middle(luma)
    return [_profile(middle, order, axis) for axis in (1, 0)]


def _enlargement_frequencies(factor: float) -> list[float]:
    """The first two harmonics of an enlargement by `factor` that no JPEG grid or colour
    mosaic covers."""
    seen: list[float] = []
    for m in (1, 2):
        nu = _fold(m / factor)
        if nu > _LOWEST and all(abs(nu - g) > _NEAR for g in _COLOUR_GRID) \
                and all(abs(nu - s) > _NEAR for s in seen):
            seen.append(nu)
    return seen


def period_strength(luma: F32, factor: float) -> float | None:
    """How strongly the photo's sharpness repeats with the period of an enlargement by
    `factor`: the sum over rows and columns of the stronger harmonic; None where that period
    falls on a JPEG grid or the colour mosaic's."""
    asked = _enlargement_frequencies(factor)
    if not asked:
        return None
    known = list(_COLOUR_GRID)
    total = 0.0
    for profile in _profiles(luma, 2):
        if profile.size == 0:
            return None
        total += float(_strengths(profile, asked, known).max())
    return total


def _grid_frequencies(factor: float) -> list[float]:
    own = [*_COLOUR_GRID, *(_fold(m / factor) for m in (1, 2, 3))]
    out: list[float] = []
    for m in range(1, 8):
        nu = _fold(m / (8 * factor))
        if nu > _LOWEST and all(abs(nu - o) > _NEAR for o in own) \
                and all(abs(nu - s) > _NEAR for s in out):
            out.append(nu)
    return out


def enlarged_grid_strength(luma: F32, factor: float) -> float | None:
    """How strongly a JPEG's 8-pixel block grid enlarged by `factor` shows in the photo: the
    weaker of rows and columns, each the mean strength over that grid's harmonics that no
    grid of the photo's own covers; None if none is left."""
    asked = _grid_frequencies(factor)
    if not asked:
        return None
    known = [*_COLOUR_GRID, *(_fold(m / factor) for m in (1, 2, 3))]
    weakest = float("inf")
    for profile in _profiles(luma, 1):
        if profile.size == 0:
            return None
        weakest = min(weakest, float(_strengths(profile, asked, known).mean()))
    return weakest
