"""Geometric verification: is one photo the other's pixels, transformed, or another shot?

A copy of a photo (cropped, scaled, rotated by any angle, mirrored, recoloured, re-encoded,
framed, screenshotted) relates to its original by one 2-D affine map: every local feature that
survives the edit lands where that map says, to within a fraction of a pixel, and once aligned
the two images agree pixel for pixel (up to brightness and contrast) wherever both show the
photo. Another shot of the same scene or object (another viewpoint, a moment later in a burst,
the other half of a stereo pair) has parallax and perspective that no affine map absorbs: its
features fit only loosely (a pixel or more off) and the aligned pixels disagree in places.

So for one candidate pair this module matches SIFT features (ratio test, one-to-one), fits an
affine map by RANSAC (trying the mirror image of one side too), and measures

* `inliers` and `inlier_ratio`: how many matches the map explains, and what share,
* `residual`: the median distance (pixels of the smaller image) between where the map puts a
  feature and where it is: ~0.1-0.3 px for copies, ~0.5-2 px for other shots,
* `agreement`: the median, over tiles of the overlap, of the normalised cross-correlation of
  the aligned greyscale images (text, borders and watermarks spoil a few tiles, not the median),
* `overlap`: the share of the smaller image the other one covers.

Some photos have too little texture for local features to decide anything (a blurred, foggy
or flat picture: a dozen features, half of them on a caption someone wrote over it). When
fewer than `FEW_MATCHES` features match, the two images are compared on the same grid instead
(if their shapes agree): `agreement` is then the median tile correlation of their fine detail
(the picture minus its smooth shading) over the tiles where both have detail, and about as
much (a tile with much more in one of them has something drawn over it). A copy keeps its
detail wherever it was not drawn over; another shot of a scene does not (things moved by a
few pixels). `inliers` is then 0.

Pixels come from the thumbnail cache (256 px): no original file is opened, so it works for
photos on drives that are not plugged in, and costs a few milliseconds per photo. The decision
rules that use these measures are in `similarity`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image
from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

__all__ = ["FEW_MATCHES", "VERIFY_SIDE", "VERIFY_VERSION", "LocalFeatures", "Verification",
           "local_features", "verify_pair"]

# Bump when a change to this module changes its measures: stored verifications are redone.
VERIFY_VERSION: Final = 5
VERIFY_SIDE: Final = 256  # the thumbnail cache's size: features are found at most this large
_MAX_FEATURES: Final = 500
_FEW_FEATURES: Final = 60  # fewer than this: look again with a lower contrast threshold
_RATIO: Final = 0.8  # Lowe's ratio test
_RANSAC_PX: Final = 3.0  # inlier distance, pixels of the smaller image
_TILES: Final = 6
_MIN_TILE_STD: Final = 5.0  # grey levels: flatter tiles say little about alignment
# Fewer feature matches than this cannot tell a copy from another photo: compare on the grid.
FEW_MATCHES: Final = 10
_GRID_SHAPE_TOLERANCE: Final = 0.05  # |log| of the ratio of the two aspect ratios
_GRID_SHADING: Final = 1 / 40  # of the long side: smoother than this is shading, not detail
_GRID_TILES: Final = 12  # finer than for aligned images: what is drawn over spoils fewer
_GRID_MIN_TILES: Final = 8  # textured tiles needed for a grid comparison
# A tile with this many times more detail (standard deviation) in one image than in the other
# has something drawn over it, or taken away: a caption, a logo, a date stamp.
_GRID_OVERLAY: Final = 3.0

# A SIFT descriptor is 4 x 4 cells (rows across the keypoint's orientation, columns along it)
# of 8 gradient-orientation bins. Mirrored, a keypoint's orientation is mirrored too, so in its
# own frame the rows come in reverse order and every gradient angle changes sign: the mirror
# image's descriptor is the original's with its 128 values in this order (checked against SIFT
# run on mirrored pixels: the same values wherever both find the same keypoint).
_MIRROR_ORDER: Final = np.array([((3 - row) * 4 + col) * 8 + (8 - o) % 8
                                 for row in range(4) for col in range(4) for o in range(8)])
# OpenCV's SIFT reports positions a quarter pixel right of (and below) the pixel centres (its
# first octave is the image doubled): the mirror of x is width - 1 - x shifted by twice that.
_SIFT_X_SHIFT: Final = 0.25

U8Image = npt.NDArray[np.uint8]
F32Array = npt.NDArray[np.float32]

# OpenCV objects are not thread-safe to share; one detector per call is cheap enough.
cv2.setNumThreads(1)


@dataclass(frozen=True, slots=True)
class LocalFeatures:
    """SIFT keypoints of one photo's working image, with the image for the pixel check."""

    points: F32Array  # (n, 2) x, y
    sizes: F32Array  # (n,) keypoint diameters: localisation is about this good, relatively
    descriptors: npt.NDArray[np.uint8]  # (n, 128): SIFT's values are whole numbers 0..255
    image: U8Image  # greyscale, longest side <= VERIFY_SIDE

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])

    def mirrored(self) -> LocalFeatures:
        """The features of the mirror image, from these (SIFT on the mirrored pixels costs as
        much as on the photo; its features are these mirrored, up to the pyramid's rounding)."""
        points = self.points.copy()
        points[:, 0] = self.image.shape[1] - 1 + 2 * _SIFT_X_SHIFT - points[:, 0]
        return LocalFeatures(points, self.sizes, self.descriptors[:, _MIRROR_ORDER],
                             np.ascontiguousarray(self.image[:, ::-1]))


@dataclass(frozen=True, slots=True)
class Verification:
    matches: int  # feature matches that pass the ratio test
    inliers: int  # matches the affine map explains
    residual: float  # median inlier error, pixels of the smaller image (inf: no map)
    misfit: float  # median inlier error in units of the feature's size (inf: no map)
    drift: float  # median inlier error averaged with its neighbours', px (inf: too few)
    # median tile NCC of the aligned images, -1..1 (-1: nothing to compare); with fewer than
    # FEW_MATCHES matches, of their fine detail on the same grid
    agreement: float
    overlap: float  # share of the smaller image covered by the other, 0..1
    mirrored: bool  # the map includes a mirror image
    angle: float  # rotation of the map, degrees
    scale: float  # linear scale from the smaller to the larger image

    @property
    def inlier_ratio(self) -> float:
        return self.inliers / self.matches if self.matches else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "matches": self.matches,
            "inliers": self.inliers,
            "inlier_ratio": round(self.inlier_ratio, 3),
            "residual_px": round(self.residual, 3) if math.isfinite(self.residual) else None,
            "misfit": round(self.misfit, 3) if math.isfinite(self.misfit) else None,
            "drift_px": round(self.drift, 3) if math.isfinite(self.drift) else None,
            "pixel_agreement": round(self.agreement, 3),
            "overlap": round(self.overlap, 3),
            "mirrored": self.mirrored,
            "rotation_degrees": round(self.angle, 1),
            "scale": round(self.scale, 3),
        }


NO_MATCH: Final = Verification(0, 0, math.inf, math.inf, math.inf, -1.0, 0.0, False, 0.0, 1.0)


def local_features(image: Image.Image | U8Image, max_side: int = VERIFY_SIDE) -> LocalFeatures:
    """Features of a photo (PIL image in any mode, or a greyscale array), shrunk to max_side."""
    if isinstance(image, Image.Image):
        grey = np.asarray(image.convert("L"), dtype=np.uint8)
    else:
        grey = np.asarray(image, dtype=np.uint8)
    h, w = grey.shape[:2]
    if max(h, w) > max_side:
        s = max_side / max(h, w)
        grey = np.asarray(cv2.resize(grey, (max(1, round(w * s)), max(1, round(h * s))),
                                     interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return _detect(np.ascontiguousarray(grey))


def _detect(grey: U8Image) -> LocalFeatures:
    found = _sift(grey, 0.04)
    if len(found[0]) < _FEW_FEATURES:  # low contrast (fog, night, blur): look harder
        more = _sift(grey, 0.01)
        if len(more[0]) > len(found[0]):
            found = more
    return LocalFeatures(found[0], found[1], found[2], grey)


def _sift(grey: U8Image, contrast: float) -> tuple[F32Array, F32Array, U8Image]:
    sift = cv2.SIFT.create(nfeatures=_MAX_FEATURES, contrastThreshold=contrast)
    keypoints, descriptors = sift.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        return (np.zeros((0, 2), np.float32), np.zeros(0, np.float32),
                np.zeros((0, 128), np.uint8))
    points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
    sizes = np.array([k.size for k in keypoints], dtype=np.float32)
    return points, sizes, np.clip(np.rint(descriptors), 0, 255).astype(np.uint8)


_Matches = tuple[F32Array, F32Array, F32Array, F32Array]
# numpy's OpenBLAS on one thread: the descriptor product (500 x 500 x 128, ~1 ms on one core)
# spread over OpenBLAS threads of its own, beside pairchecks' two workers on a busy machine,
# took 10-50 times as long; cut into blocks of a few rows, which OpenBLAS keeps on the calling
# thread, it took 5-8 times as long as one product on one thread (each block packs the whole
# of the other side again). Verification's threads are the parallelism, as for OpenCV above.
threadpool_limits(limits=1, user_api="blas")


def _match(a: LocalFeatures, b: LocalFeatures) -> _Matches:
    """Matched points of a and b and their keypoint sizes (ratio test, each feature once).

    The same matches, in the same order, as OpenCV's brute-force matcher (`knnMatch`, k=2)
    followed by keeping, for each feature of b, its nearest feature of a (the first of equals),
    in the order b's features first appear; only computed by a matrix product (a third of the
    time or less). SIFT's values are whole numbers 0..255, so |x|^2 + |y|^2 - 2 x.y is exact in
    float32 (every term is a whole number below 2^24): the very squared distances the matcher
    sums descriptor by descriptor, and their square roots are its distances."""
    none = (np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32),
            np.zeros(0, np.float32), np.zeros(0, np.float32))
    if len(a.points) < 2 or len(b.points) < 2:
        return none
    x, y = a.descriptors.astype(np.float32), b.descriptors.astype(np.float32)
    d2 = x @ y.T
    d2 *= -2.0
    d2 += np.einsum("ij,ij->i", x, x)[:, None]
    d2 += np.einsum("ij,ij->i", y, y)[None, :]
    rows = np.arange(len(d2))
    nearest = d2.argmin(axis=1)  # the first of equals, as the matcher keeps them
    first = np.sqrt(d2[rows, nearest])
    d2[rows, nearest] = np.inf
    second = np.sqrt(d2[rows, d2.argmin(axis=1)])
    # the ratio test as it was done on the matcher's float32 distances, in double precision
    query = np.flatnonzero(first.astype(np.float64) < _RATIO * second.astype(np.float64))
    if not len(query):
        return none
    train, distance = nearest[query], first[query]
    by_train = np.lexsort((query, distance, train))  # each train feature's nearest query first
    ranked = train[by_train]
    winners = by_train[np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])]
    _, first_seen = np.unique(train, return_index=True)  # both sorted by train feature
    winners = winners[np.argsort(first_seen)]
    q, t = query[winners], train[winners]
    return a.points[q], b.points[t], a.sizes[q], b.sizes[t]


def verify_pair(
    a: LocalFeatures,
    b: LocalFeatures,
    *,
    a_mirrored: LocalFeatures | Callable[[], LocalFeatures] | None = None,
) -> Verification:
    """How well one affine map explains b's features in a, or in a's mirror image (given, or
    made on demand, and only tried when a as it is does not fit convincingly)."""
    result = _Alignment.of(a, b, mirrored=False)
    convincing = result.inliers >= 20 and result.inlier_ratio >= 0.8
    if a_mirrored is not None and not convincing:
        mirrored = a_mirrored() if callable(a_mirrored) else a_mirrored
        other = _Alignment.of(mirrored, b, mirrored=True)
        if other.inliers > result.inliers:
            result = other
    if result.matches < FEW_MATCHES:
        return _on_the_grid(a.image, b.image, result.matches)
    # the pixel check and the drift only for the orientation that is kept
    return result.verification()


def _on_the_grid(a: U8Image, b: U8Image, matches: int) -> Verification:
    """Too few features to align by: the two images as they are, one stretched onto the other
    (the same picture on the same grid, e.g. a blurred photo with a caption written over it)."""
    (ha, wa), (hb, wb) = a.shape, b.shape
    scale = math.sqrt((wa * ha) / (wb * hb))
    if abs(math.log((wa / ha) / (wb / hb))) > _GRID_SHAPE_TOLERANCE:
        return Verification(matches, 0, math.inf, math.inf, math.inf, -1.0, 0.0, False, 0.0,
                            max(scale, 1 / scale))
    small, large = (a, b) if wa * ha <= wb * hb else (b, a)
    h, w = small.shape
    shrunk = np.asarray(cv2.resize(large, (w, h), interpolation=cv2.INTER_AREA), dtype=np.uint8)
    shading = _GRID_SHADING * max(w, h)
    x, y = _detail(small, shading), _detail(shrunk, shading)
    scores = _tile_scores(x, y, np.ones((h, w), dtype=bool), tiles=_GRID_TILES,
                          overlay=_GRID_OVERLAY)
    agreement = float(np.median(scores)) if len(scores) >= _GRID_MIN_TILES else -1.0
    return Verification(matches, 0, math.inf, math.inf, math.inf, agreement, 1.0, False, 0.0,
                        max(scale, 1 / scale))


def _detail(grey: U8Image, shading: float) -> npt.NDArray[np.float64]:
    """The image without its smooth shading and its pixel noise (a band of mid frequencies)."""
    f = grey.astype(np.float32)
    fine = np.asarray(cv2.GaussianBlur(f, (0, 0), 1.0), dtype=np.float64)
    return fine - np.asarray(cv2.GaussianBlur(f, (0, 0), shading), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Map:
    """An affine map from the larger-scaled image's matched points onto the smaller one's."""

    small: LocalFeatures  # the image whose pixels the errors are measured in
    large: LocalFeatures
    m: npt.NDArray[np.float64]  # 2 x 3
    inliers: npt.NDArray[np.bool_]
    p_small: F32Array
    p_large: F32Array
    s_small: F32Array


@dataclass(frozen=True, slots=True)
class _Alignment:
    """How the matches of one orientation of a pair fit one affine map (none: too few matches,
    no fit, or a reflection, a collapse or a strong shear); measured further only if kept."""

    matches: int
    mirrored: bool
    map: _Map | None

    @property
    def inliers(self) -> int:
        return 0 if self.map is None else int(self.map.inliers.sum())

    @property
    def inlier_ratio(self) -> float:
        return self.inliers / self.matches if self.matches else 0.0

    @classmethod
    def of(cls, a: LocalFeatures, b: LocalFeatures, *, mirrored: bool) -> _Alignment:
        pa, pb, sa, sb = _match(a, b)
        n = len(pa)
        if n < 4:
            return cls(n, mirrored, None)
        # Map the bigger-scaled image into the smaller one's frame: errors are then in the
        # pixels where localisation is coarsest, the same yardstick for every pair.
        m, inliers = _fit(pb, pa)
        if m is None:
            return cls(n, mirrored, None)
        scale = math.sqrt(abs(float(np.linalg.det(m[:, :2]))))
        found = _Map(a, b, m, inliers, pa, pb, sa)
        if scale > 1.0:  # b is the smaller one: fit the map a -> b instead
            m, inliers = _fit(pa, pb)
            if m is None:
                return cls(n, mirrored, None)
            found = _Map(b, a, m, inliers, pb, pa, sb)
        linear = m[:, :2]
        singular = np.linalg.svd(linear, compute_uv=False)
        if (float(np.linalg.det(linear)) <= 0 or singular[1] <= 1e-6
                or singular[0] / singular[1] > 3.0):
            # A reflection, a collapse or a strong shear: not how copies are made (mirror
            # images are tried separately, with the features of the mirrored photo).
            return cls(n, mirrored, None)
        return cls(n, mirrored, found)

    def verification(self) -> Verification:
        """The measures of the fit: errors, drift and the aligned pixels' agreement."""
        if self.map is None:
            return Verification(self.matches, 0, math.inf, math.inf, math.inf, -1.0, 0.0,
                                self.mirrored, 0.0, 1.0)
        fit = self.map
        m, inliers = fit.m, fit.inliers
        linear = m[:, :2]
        det = float(np.linalg.det(linear))
        vectors = fit.p_large @ linear.T + m[:, 2] - fit.p_small
        errors = np.linalg.norm(vectors, axis=1)
        count = int(inliers.sum())
        residual = float(np.median(errors[inliers])) if count else math.inf
        # A feature is found to within a fraction of its own size: error in those units is
        # the same yardstick for sharp and blurred, large and small photos.
        misfit = (float(np.median(errors[inliers] / np.maximum(fit.s_small[inliers], 1.0)))
                  if count else math.inf)
        agreement, overlap = _pixel_agreement(fit.small.image, fit.large.image, m)
        angle = math.degrees(math.atan2(float(linear[1, 0]), float(linear[0, 0])))
        drift = _drift(fit.p_small[inliers], vectors[inliers])
        return Verification(self.matches, count, residual, misfit, drift, agreement, overlap,
                            self.mirrored, angle, 1.0 / math.sqrt(det))


_NEIGHBOURS: Final = 8


def _drift(points: F32Array, errors: npt.NDArray[np.float64]) -> float:
    """How far the map is off where the photo itself differs, not where detection is noisy.

    Each inlier's error is averaged with those of its nearest inliers: localisation noise (a
    copy's only error) averages away, while what moved between two shots (parallax, swaying
    leaves, a turned head) moves neighbouring features alike and stays."""
    cells = np.round(points * 2)  # one feature per half-pixel: the first, cells in x, y order
    order = np.lexsort((cells[:, 1], cells[:, 0]))
    ordered = cells[order]
    keep = order[np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]]
    points, errors = points[keep], errors[keep]
    if len(points) < _NEIGHBOURS + 1:
        return math.inf
    dx = points[:, 0, None] - points[None, :, 0]
    dy = points[:, 1, None] - points[None, :, 1]
    d2 = dx * dx + dy * dy
    nearest = _nearest(d2, _NEIGHBOURS + 1)  # itself included
    smoothed = errors[nearest].mean(axis=1)
    return float(np.median(np.linalg.norm(smoothed, axis=1)))


def _nearest(d2: F32Array, k: int) -> npt.NDArray[np.intp]:
    """The columns of each row's k smallest values, smallest first: what a full sort of the
    row (np.argsort) puts first, found by partitioning it; a row with equal values among its
    k smallest or at the edge of them is sorted in full, so that ties fall as they did."""
    if d2.shape[1] <= k:
        return np.argsort(d2, axis=1)[:, :k]
    part = np.argpartition(d2, k - 1, axis=1)[:, :k]
    part = np.take_along_axis(part, np.argsort(np.take_along_axis(d2, part, 1), axis=1), 1)
    values = np.take_along_axis(d2, part, 1)
    tied = ((values[:, 1:] == values[:, :-1]).any(axis=1)
            | ((d2 <= values[:, -1:]).sum(axis=1) > k))
    if tied.any():
        part[tied] = np.argsort(d2[tied], axis=1)[:, :k]
    return part


def _fit(src: F32Array, dst: F32Array) -> tuple[npt.NDArray[np.float64] | None,
                                                 npt.NDArray[np.bool_]]:
    cv2.setRNGSeed(len(src))  # RANSAC samples at random: the same pair, the same answer
    m, mask = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC,
                                   ransacReprojThreshold=_RANSAC_PX, maxIters=2000,
                                   confidence=0.995, refineIters=10)
    if m is None or mask is None:
        return None, np.zeros(len(src), dtype=bool)
    return np.asarray(m, dtype=np.float64), mask.ravel().astype(bool)


def _pixel_agreement(
    small: U8Image, large: U8Image, m: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """Median tile NCC of `large` warped onto `small` by m, and the share of `small` covered."""
    h, w = small.shape
    scale = 1.0 / math.sqrt(abs(float(np.linalg.det(m[:, :2]))))  # > 1: large is shrunk
    src = large.astype(np.float32)
    if scale > 1.2:  # shrink without aliasing
        src = np.asarray(cv2.GaussianBlur(src, (0, 0), 0.5 * scale), dtype=np.float32)
    warped = cv2.warpAffine(src, m.astype(np.float32), (w, h), flags=cv2.INTER_LINEAR)
    inside = cv2.warpAffine(np.full(large.shape, 255, np.uint8), m.astype(np.float32), (w, h),
                            flags=cv2.INTER_NEAREST)
    mask = cv2.erode(inside, np.ones((5, 5), np.uint8)) > 0
    overlap = float(mask.mean())
    if mask.sum() < 64:
        return -1.0, overlap
    x = np.asarray(cv2.GaussianBlur(small.astype(np.float32), (0, 0), 1.0), dtype=np.float64)
    y = np.asarray(cv2.GaussianBlur(warped, (0, 0), 1.0), dtype=np.float64)
    scores = _tile_scores(x, y, mask)
    return (float(np.median(scores)) if len(scores) else -1.0), overlap


def _tile_scores(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    mask: npt.NDArray[np.bool_],
    *,
    tiles: int = _TILES,
    overlay: float | None = None,
) -> list[float]:
    """NCC of x and y in each of tiles x tiles tiles of the masked area's bounding box, for
    the tiles mostly inside the mask and textured in both images (and, given `overlay`, not
    that many times more textured in one than in the other)."""
    ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
    rows = top + (bottom - top) * np.arange(tiles) // tiles
    cols = left + (right - left) * np.arange(tiles) // tiles
    m = mask[top:bottom, left:right].astype(np.float64)
    x, y = x[top:bottom, left:right] * m, y[top:bottom, left:right] * m

    def tile_sums(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        summed: npt.NDArray[np.float64] = np.add.reduceat(
            np.add.reduceat(values, rows - top, axis=0), cols - left, axis=1)
        return summed

    n = tile_sums(m)
    sx, sy = tile_sums(x), tile_sums(y)
    sxx, syy, sxy = tile_sums(x * x), tile_sums(y * y), tile_sums(x * y)
    sizes = np.diff(np.append(rows, bottom))[:, None] * np.diff(np.append(cols, right))[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        vx = sxx - sx * sx / n
        vy = syy - sy * sy / n
        cov = sxy - sx * sy / n
        ncc = cov / np.sqrt(vx * vy)
        textured = (n >= 0.5 * sizes) & (vx / n >= _MIN_TILE_STD**2) & (vy / n >= _MIN_TILE_STD**2)
        if overlay is not None:
            textured &= np.maximum(vx, vy) <= overlay**2 * np.minimum(vx, vy)
    scores: list[float] = ncc[textured & np.isfinite(ncc)].tolist()
    return scores
