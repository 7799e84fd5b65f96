"""How much of a larger photo's detail above a smaller copy's resolution a small linear filter
of that copy predicts: what tells an enlargement at exactly 2x (and other ratios whose period
falls on a JPEG grid) from an original.

An enlargement is the smaller photo put through an interpolation kernel, maybe sharpened, then
re-encoded: all but the re-encoding is close to one shift-invariant filter. So a 7x7 kernel
fitted by least squares from the smaller photo (enlarged by bicubic onto the larger one's
grid) to the larger photo predicts what the larger one holds just above the smaller one's
Nyquist frequency (the interpolation's images of the smaller photo's own detail), but for the
noise its encoding left. A real original holds detail there that no filter of its reduction
can predict (only what the reduction's anti-alias filter let fold back: a few hundredths).

The measure is the power in that band left unpredicted over the larger photo's power there,
each less the noise that the larger file's own encoding would leave in the prediction: the
prediction saved again with the larger JPEG's quantisation table on its block grid (rounded to
8 bits for a lossless file). Without that correction a soft photo enlarged and saved at JPEG
quality 85-90 left 0.7-0.8 unpredicted, as much as a real original's interpolated camera file
(see docs/benchmarks.md, "Keep rules: telling enlarged copies from originals").
"""

from __future__ import annotations

import logging
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

log = logging.getLogger(__name__)

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

TILE: Final = 128  # tile side, pixels of the larger photo (a multiple of JPEG's 8)
TILES: Final = 8
RADIUS: Final = 3  # the fitted kernel is (2 RADIUS + 1) square
# The band asked, in the smaller photo's Nyquist frequency (the larger of the two axes): where
# an interpolator's images are strongest and an anti-alias filter lets least fold back.
BAND: Final = (1.0, 1.3)
# Where its encoding's noise is more than this share of what the larger photo holds in the band
# (a camera's coarse JPEG: 0.69), what is left is too little to tell an original by (soft
# photos enlarged and saved at quality 85: up to 0.5).
NOISE_AT_MOST: Final = 0.6


def _dct_matrix() -> F64:
    n = np.arange(8)
    d = np.sqrt(2 / 8) * np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / 16)
    d[0] /= np.sqrt(2)
    return np.asarray(d, dtype=np.float64)


_DCT: Final = _dct_matrix()


def _saved_again(tile: F64, table: F64 | None) -> F64:
    """The tile as a JPEG with this luma quantisation table (natural order, 8x8) would decode,
    its block grid at the tile's corner; rounded to 8 bits if no table."""
    if table is None:
        return np.asarray(np.round(tile))
    n = tile.shape[0] // 8
    blocks = (tile - 128).reshape(n, 8, n, 8).transpose(0, 2, 1, 3)
    coeffs = _DCT @ blocks @ _DCT.T
    quantised = np.round(coeffs / table) * table
    back = (_DCT.T @ quantised @ _DCT).transpose(0, 2, 1, 3).reshape(tile.shape)
    return np.asarray(back + 128)


def unpredicted_share(big: F32, small: Image.Image, corners: list[tuple[int, int]],
                      table: F64 | None) -> float | None:
    """Share of the larger photo's power just above the smaller one's Nyquist frequency that a
    small linear filter of the smaller one does not predict, beyond its encoding's noise.

    `big`: the larger photo's luma; `small`: the smaller one's (mode L, the same picture);
    `corners`: top-left corners, in the smaller photo, of the places to measure (its most
    detailed ones); `table`: the larger JPEG's luma quantisation table (its block grid at the
    photo's top-left corner), None for a lossless file. None if fewer than 3 places fit."""
    h, w = big.shape
    kx, ky = small.width / w, small.height / h
    r, t = RADIUS, TILE
    inputs, targets = [], []
    for sx, sy in corners[:TILES]:
        x0, y0 = int(sx / kx) // 8 * 8, int(sy / ky) // 8 * 8
        if x0 < r or y0 < r or x0 + t + r > w or y0 + t + r > h:
            continue
        box = ((x0 - r) * kx, (y0 - r) * ky, (x0 + t + r) * kx, (y0 + t + r) * ky)
        enlarged = small.resize((t + 2 * r, t + 2 * r), Image.Resampling.BICUBIC, box=box)
        inputs.append(np.asarray(enlarged, dtype=np.float64))
        targets.append(big[y0:y0 + t, x0:x0 + t].astype(np.float64))
    if len(inputs) < 3:
        return None
    # Least squares over all places at once: one column per kernel tap (each tile's mean off),
    # one row per pixel (every one: an enlargement's pixels differ by their phase against the
    # smaller grid), in single precision (as good a fit, four times as quick). OpenCV's
    # products, not numpy's: OpenBLAS's threads crawl on a busy machine.
    side = 2 * r + 1
    normal = np.zeros((side * side, side * side), dtype=np.float32)
    right = np.zeros((side * side, 1), dtype=np.float32)
    for u, b in zip(inputs, targets, strict=True):
        taps = np.stack([u[dy:dy + t, dx:dx + t].ravel()
                         for dy in range(side) for dx in range(side)], axis=1)
        taps = (taps - taps.mean(axis=0)).astype(np.float32)
        wanted = (b.reshape(-1, 1) - b.mean()).astype(np.float32)
        normal += np.asarray(cv2.gemm(taps, taps, 1, normal, 0, flags=cv2.GEMM_1_T))
        right += np.asarray(cv2.gemm(taps, wanted, 1, right, 0, flags=cv2.GEMM_1_T))
    kernel = np.linalg.lstsq(normal.astype(np.float64), right.ravel().astype(np.float64),
                             rcond=None)[0].reshape(side, side)

    freq = np.abs(np.fft.fftfreq(t))
    nyquist = max(kx, ky) / 2
    share = np.maximum(freq[None, :], freq[:, None]) / nyquist
    band = (share > BAND[0]) & (share < BAND[1])
    hann = np.hanning(t)
    window = np.outer(hann, hann)

    def power(a: F64) -> float:
        return float((np.abs(np.fft.fft2((a - a.mean()) * window)) ** 2)[band].sum())

    left = total = noise = 0.0
    for u, b in zip(inputs, targets, strict=True):
        predicted = np.asarray(cv2.filter2D(u, -1, kernel, anchor=(r, r),
                                            borderType=cv2.BORDER_REPLICATE)[r:r + t, r:r + t],
                               dtype=np.float64)
        predicted += b.mean() - predicted.mean()
        left += power(b - predicted)
        total += power(b)
        noise += power(_saved_again(predicted, table) - predicted)
    log.debug("band power: %.4g, left unpredicted %.4g, encoding's noise %.4g", total, left, noise)
    if noise > NOISE_AT_MOST * total:
        return None  # the larger photo holds little there but its encoding's noise
    return max(0.0, left - noise) / (total - noise)
