"""Same capture or another: is one photo the other's pixels, transformed, or another exposure or
another moment of a still scene?

The hashes and geometric verification (`verify`) look at 256-pixel thumbnails. There, two
exposures of a bracket on a tripod, or two frames of a still camera, are the same picture on
the same grid: what tells them apart (sensor noise, detail in the highlights one of them blew,
a walker) is gone. For the pairs the rules accept as copies this module looks where it shows:

1. The capture data the camera wrote (EXIF): the moment (to the sub-second where the camera
   records it) and the exposure (time, aperture, sensitivity, bias). A copy keeps them (an
   export, an edit) or loses them (a conversion, a messenger); it never has other values. Two
   photos that both carry them and differ are two captures.
2. The pixels, decoded larger from both originals and aligned: a copy's pixels are a function
   of the other's (a tone curve, coding noise), so where its source is clipped (blown
   highlights, crushed shadows) the copy is flat too. Where each of the two shows detail that
   the other has clipped, neither can be made from the other: two exposures of the scene.

3. Their names, where a camera or a frame grabber numbered them: two files named alike but for
   the counter (IMG_0017 and IMG_0020, frame_0001 and frame_0002), of one kind and size, are
   two frames of a sequence (unless their capture data says they are one moment). A short
   counter (Flowers1 and Flowers2, ao_0 and ao_1) is also how people name the shots of a
   bracket; it is read as one only where the two are exposed differently: a folder of
   downloads numbered image1, image2 holds copies too, but not copies in another light.
4. What moved: a copy is its source's pixels under one map (resized, cropped, rotated,
   mirrored), so once the two are aligned, every part of one lies where the other map puts
   it, to a fraction of a pixel. Shots taken moments apart from the hand fit one map only
   roughly: people walk, leaves move, the nearer things shift against the farther ones as
   the camera moves. Measured tile by tile on a decode twice as large.

The result is kept with the pair (`capture_checks`), redone when CAPTURE_VERSION changes. A
photo whose file cannot be read now (offline, gone) is not judged: the pair keeps the verdict
of the thumbnails.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from simfinder.core.matching import capture_cache
from simfinder.core.photos.decode import EXIF_IFD, TAG_DATETIME_ORIGINAL, exif_text

log = logging.getLogger(__name__)

# Bump when a change here changes verdicts: stored checks are redone.
CAPTURE_VERSION: Final = 4
CAPTURE_SIDE: Final = 768  # pixels of the larger decode (longest side)
MOTION_SIDE: Final = 1536  # the decode that tells what moved (longest side)

# Sub-IFD tags of the capture: exposure time, f-number, ISO, exposure bias and the moment's
# sub-second digits (the moment itself: decode.TAG_DATETIME_ORIGINAL).
_EXPOSURE_TIME: Final = 0x829A
_F_NUMBER: Final = 0x829D
_ISO: Final = 0x8827
_EXPOSURE_BIAS: Final = 0x9204
_SUBSEC_ORIGINAL: Final = 0x9291

_FEATURES: Final = 1500
_RATIO: Final = 0.8
_MIN_INLIERS: Final = 12
_CLIP_HIGH: Final = 250.0  # grey levels at or above this: blown
_CLIP_LOW: Final = 5.0  # at or below: crushed
_MIN_CLIPPED: Final = 400  # pixels of a clipped area worth looking into (at CAPTURE_SIDE)
_DETAIL_SIGMA: Final = 1.5  # detail: the image minus its Gaussian blur at this radius
# Two photos whose fine detail correlates less than this once aligned are not lined up well
# enough to look inside each other's clipped areas (edges would pass for detail). Copies and
# brackets that line up: 0.7-1.0.
_MIN_ALIGNED: Final = 0.5
_ON_THE_GRID: Final = 0.8  # this well lined up on the same grid: no need to look for a map
# Detail (standard deviation of the fine structure, grey levels) inside what the other photo
# has clipped, the smaller of the two directions. A copy's clipped areas are flat, so one
# direction is ~0 for a copy and its source (at most 0.6 on tone-, exposure-, re-encoded,
# noisy, blurred and cropped copies); two copies edited apart from one source (one darkened,
# one blown out) reach 3.0; exposures of a bracket that differ by two stops or more reach
# 3.5-9 (docs/benchmarks.md, other shots). Closer exposures keep most of their detail in
# both: this measure does not see them.
OTHER_EXPOSURE_DETAIL: Final = 3.5
# Two shots of a numbered series (short counters) are exposed differently when their grey levels
# at the same ranks differ this much on average (tone_step): brackets differ by 20-80;
# re-encoded, resized or cropped copies by 0-3.
TONE_STEP: Final = 12.0

_TILES_ACROSS: Final = 20  # tiles whose shift is measured, across the shorter side
_MIN_TILE: Final = 32  # pixels
_MIN_TILES: Final = 40  # textured tiles needed to say anything about motion
_DISPLACED_PX: Final = 1.0  # a tile this far off the common map has moved
# Share of the textured tiles off the common map for "something moved": copies off the grid
# (cropped, turned, mirrored, framed, and blurred or noisy besides) 0-0.04, where coding noise
# or blur fools the measure in a tile or two; shots from the hand moments apart 0.10-0.25,
# brackets from the hand 0.12-0.35 (docs/benchmarks.md, other shots).
MOVED_SHARE: Final = 0.06
# ... of which this many match well at their other place (phase-correlation peak) and not in
# their own (correlation of their detail): shots from the hand 8-58 (reduced to 800 px: 8),
# copies none.
_MIN_MOVED_TILES: Final = 6
_MATCHED: Final = 0.6
_IN_PLACE: Final = 0.5

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class CaptureData:
    """What the camera wrote about the capture; None where it wrote nothing."""

    moment: str | None = None  # DateTimeOriginal, with its sub-second digits when written
    exposure_time: Fraction | None = None
    f_number: Fraction | None = None
    iso: int | None = None
    bias: Fraction | None = None

    @property
    def exposure(self) -> tuple[Fraction | None, Fraction | None, int | None, Fraction | None]:
        return (self.exposure_time, self.f_number, self.iso, self.bias)


@dataclass(frozen=True, slots=True)
class CaptureCheck:
    other_capture: bool  # another exposure or moment: not a copy of the other
    reason: str  # in plain words, for the user
    clipped_detail: float  # the smaller of the two directions (nan: not measured)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"other_capture": self.other_capture, "reason": self.reason}
        if math.isfinite(self.clipped_detail):
            out["clipped_detail"] = round(self.clipped_detail, 2)
        return out


def _fraction(value: object) -> Fraction | None:
    try:
        f = Fraction(str(value)) if not isinstance(value, tuple) else Fraction(*value)
    except (ValueError, ZeroDivisionError, TypeError):
        try:
            f = Fraction(float(value)).limit_denominator(100_000)  # type: ignore[arg-type]
        except (ValueError, TypeError, OverflowError):
            return None
    return f.limit_denominator(100_000)


def capture_data(path: Path) -> CaptureData | None:
    """The capture data in the file's EXIF; None when it has none (or cannot be read)."""
    try:
        with Image.open(path) as im:
            sub = dict(im.getexif().get_ifd(EXIF_IFD))
    except Exception:  # an unreadable header is no evidence either way
        log.debug("no capture data from %s", path, exc_info=True)
        return None
    moment = exif_text(sub.get(TAG_DATETIME_ORIGINAL))
    subsec = exif_text(sub.get(_SUBSEC_ORIGINAL))
    if moment and subsec:
        moment = f"{moment}.{subsec}"
    iso = sub.get(_ISO)
    if isinstance(iso, tuple):
        iso = iso[0] if iso else None
    data = CaptureData(
        moment=moment,
        exposure_time=_fraction(sub[_EXPOSURE_TIME]) if _EXPOSURE_TIME in sub else None,
        f_number=_fraction(sub[_F_NUMBER]) if _F_NUMBER in sub else None,
        iso=int(iso) if isinstance(iso, int) and iso > 0 else None,
        bias=_fraction(sub[_EXPOSURE_BIAS]) if _EXPOSURE_BIAS in sub else None,
    )
    return data if data != CaptureData() else None


def _seconds(value: Fraction) -> str:
    return f"1/{round(1 / value)} s" if 0 < value < 1 else f"{float(value):g} s"


def capture_difference(a: CaptureData | None, b: CaptureData | None) -> str | None:
    """In words, how the capture data says the two are other captures; None if it does not
    (one has none, or they agree)."""
    if a is None or b is None:
        return None
    if a.exposure_time and b.exposure_time and a.exposure_time != b.exposure_time:
        return (f"another exposure of the scene ({_seconds(a.exposure_time)} and "
                f"{_seconds(b.exposure_time)})")
    if a.bias is not None and b.bias is not None and a.bias != b.bias:
        return f"another exposure of the scene (bias {float(a.bias):+g} and {float(b.bias):+g} EV)"
    if a.f_number and b.f_number and a.f_number != b.f_number:
        return (f"another exposure of the scene (f/{float(a.f_number):g} and "
                f"f/{float(b.f_number):g})")
    if a.iso and b.iso and a.iso != b.iso:
        return f"another exposure of the scene (ISO {a.iso} and {b.iso})"
    if a.moment and b.moment and not _same_moment(a.moment, b.moment):
        return f"another moment of the scene (taken {a.moment} and {b.moment})"
    return None


def _same_moment(a: str, b: str) -> bool:
    """The same moment to the precision both give: an editor that keeps the capture time may
    drop its sub-second digits (or write fewer of them)."""
    (sa, _, fa), (sb, _, fb) = a.partition("."), b.partition(".")
    if sa != sb:
        return False
    digits = min(len(fa), len(fb))
    return fa[:digits] == fb[:digits]


# A numbered name: a prefix and a counter (IMG_1234, DSC01234, SAM_0017, frame_0001, in001400,
# Flowers2, ao_1).
_NUMBERED: Final = re.compile(r"^(.*?)(\d+)$")
_LONG_COUNTER: Final = 3  # digits of a camera's or a frame grabber's counter


def _counters(path_a: Path, path_b: Path) -> tuple[str, str] | None:
    """The two counters of names alike but for them (the same prefix, the same kind of file,
    counters that differ); None otherwise. Copies keep their source's name or add to it
    (IMG_1234 (1), IMG_1234-edited): their prefixes differ."""
    a, b = _NUMBERED.match(path_a.stem), _NUMBERED.match(path_b.stem)
    if a is None or b is None or a.group(1).lower() != b.group(1).lower():
        return None
    if path_a.suffix.lower() != path_b.suffix.lower() or int(a.group(2)) == int(b.group(2)):
        return None
    return a.group(2), b.group(2)


def _same_size(path_a: Path, path_b: Path) -> bool:
    try:
        with Image.open(path_a) as im_a, Image.open(path_b) as im_b:
            return bool(im_a.size == im_b.size)
    except Exception:  # unreadable now: no evidence
        return False


def other_frame(path_a: Path, path_b: Path) -> bool:
    """Two frames of one numbered sequence: the same name but for a camera's counter (three
    digits or more, as many in both), the same kind of file and the same size in pixels. A
    camera or a video's frame export counts on; a copy does not."""
    counters = _counters(path_a, path_b)
    if counters is None or len(counters[0]) < _LONG_COUNTER:
        return False
    return len(counters[0]) == len(counters[1]) and _same_size(path_a, path_b)


def numbered_series(path_a: Path, path_b: Path) -> bool:
    """Named as shots of one series by a person (Flowers1 and Flowers2, 2_50 and 2_200): the
    same name but for a counter, the same kind of file and size. Not evidence alone (copies
    downloaded as image1, image2 are named so too): see TONE_STEP."""
    return _counters(path_a, path_b) is not None and _same_size(path_a, path_b)


# --------------------------------------------------------------------------- pixels


def _load(path: Path, side: int = CAPTURE_SIDE) -> F32 | None:
    """Greyscale at `side` at most, upright (read-only); None if it cannot be decoded. The
    decode at CAPTURE_SIDE is kept for the photo's next checks (capture_cache)."""
    if side == CAPTURE_SIDE:
        return capture_cache.decoded(path, side, _decode)
    return _decode(path, side)


def _decode(path: Path, side: int) -> F32 | None:
    try:
        with Image.open(path) as opened:
            opened.draft("RGB", (side, side))
            grey = ImageOps.exif_transpose(opened).convert("L")
            if max(grey.size) > side:
                grey.thumbnail((side, side), Image.Resampling.BOX)
            return np.asarray(grey, np.float32)
    except Exception:
        log.debug("cannot decode %s for the capture check", path, exc_info=True)
        return None


def _align(a: F32, b: F32, path_a: Path | None = None,
           path_b: Path | None = None) -> npt.NDArray[np.float64] | None:
    """The affine map taking b's pixels onto a's (2x3), from SIFT on equalised images (so
    that two exposures match), mirror images included; None if nothing fits. Given the files
    they were decoded from (at CAPTURE_SIDE), their features are kept for their next checks."""
    sift = cv2.SIFT.create(nfeatures=_FEATURES)

    def sift_of(image: F32, mirrored: bool) -> capture_cache.Features:
        equalised = cv2.equalizeHist(np.clip(image, 0, 255).astype(np.uint8))
        if mirrored:
            equalised = np.ascontiguousarray(equalised[:, ::-1])
        keypoints, descriptors = sift.detectAndCompute(equalised, None)
        points = np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2)
        return points, (np.zeros((0, 128), np.float32) if descriptors is None
                        else np.asarray(descriptors, np.float32))

    pa_all, da = capture_cache.features(path_a, CAPTURE_SIDE, False, lambda: sift_of(a, False))
    if len(da) < _MIN_INLIERS:
        return None
    best: tuple[int, npt.NDArray[np.float64]] | None = None
    for mirrored in (False, True):
        if mirrored and best is not None:
            break  # the mirror image only where the photo as it is does not fit
        pb_all, db = capture_cache.features(path_b, CAPTURE_SIDE, mirrored,
                                            partial(sift_of, b, mirrored))
        if len(db) < _MIN_INLIERS:
            continue
        pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(db, da, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < _RATIO * p[1].distance]
        if len(good) < _MIN_INLIERS:
            continue
        pb = pb_all[[g.queryIdx for g in good]]
        pa = pa_all[[g.trainIdx for g in good]]
        cv2.setRNGSeed(len(good))  # RANSAC samples at random: the same pair, the same answer
        m, inliers = cv2.estimateAffine2D(pb, pa, method=cv2.RANSAC, ransacReprojThreshold=2.0,
                                          maxIters=2000, refineIters=10)
        if m is None or inliers is None:
            continue
        count = int(inliers.sum())
        if count >= _MIN_INLIERS and (best is None or count > best[0]):
            if mirrored:  # compose with the mirror: x -> w - 1 - x
                flip = np.array([[-1.0, 0.0, b.shape[1] - 1.0], [0.0, 1.0, 0.0], [0, 0, 1]])
                m = (np.vstack([m, [0, 0, 1]]) @ flip)[:2]
            best = (count, m.astype(np.float64))
    return None if best is None else best[1]


def _detail(image: F32) -> F32:
    return image - cv2.GaussianBlur(image, (0, 0), _DETAIL_SIGMA)


def _detail_where_clipped(clipped_in: F32, other: F32, inside: npt.NDArray[np.bool_]) -> float:
    """The fine detail `other` holds where `clipped_in` is blown or crushed (inner parts of
    those areas only: their edges are where the detail of any copy is)."""
    found = 0.0
    detail = _detail(other)
    kernel = np.ones((7, 7), np.uint8)
    for area in (clipped_in >= _CLIP_HIGH, clipped_in <= _CLIP_LOW):
        core = cv2.erode((area & inside).astype(np.uint8), kernel).astype(bool)
        if int(core.sum()) >= _MIN_CLIPPED:
            found = max(found, float(np.std(detail[core])))
    return found


def _has_clipped_area(image: F32) -> bool:
    kernel = np.ones((7, 7), np.uint8)
    return any(int(cv2.erode(area.astype(np.uint8), kernel).sum()) >= _MIN_CLIPPED
               for area in (image >= _CLIP_HIGH, image <= _CLIP_LOW))


@dataclass(frozen=True, slots=True)
class _Aligned:
    """Two photos decoded at CAPTURE_SIDE, the larger mapped onto the smaller's grid."""

    small: F32
    warped: F32  # the larger, on the smaller's grid; -1 outside it
    inside: npt.NDArray[np.bool_]
    fit: float  # how well their fine detail lines up (_detail_correlation)
    grid_fit: float  # the same, lined up by scaling alone (on the same grid)
    small_path: Path
    large_path: Path
    large_shape: tuple[int, int]
    warp: npt.NDArray[np.float64]  # 2x3: large's CAPTURE_SIDE pixels onto small's


def _aligned(a: F32, b: F32, path_a: Path, path_b: Path) -> _Aligned | None:
    """The pair (decoded at CAPTURE_SIDE from these paths) lined up (see _Aligned); None when
    they do not line up well enough to compare inside them."""
    if a.size > b.size:  # align onto the smaller
        a, b, path_a, path_b = b, a, path_b, path_a
    h, w = a.shape
    # The map from features, or the same grid (one photo scaled onto the other): whichever
    # lines up the fine detail better. Features are few on a photo half blown out.
    grid = np.array([[w / b.shape[1], 0.0, 0.0], [0.0, h / b.shape[0], 0.0]])
    best: _Aligned | None = None
    grid_fit = -1.0
    for m in (grid, None):
        if m is None:
            if grid_fit >= _ON_THE_GRID:
                break  # most copies and every tripod shot: no features needed
            m = _align(a, b, path_a, path_b)
            if m is None:
                break
        warped = np.asarray(cv2.warpAffine(b, m, (w, h), flags=cv2.INTER_LINEAR,
                                           borderValue=-1.0), np.float32)
        inside = cv2.erode((warped >= 0).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        fit = _detail_correlation(a, warped, inside)
        if m is grid:
            grid_fit = fit
        if best is None or fit > best.fit:
            best = _Aligned(a, warped, inside, fit, grid_fit, path_a, path_b,
                            (b.shape[0], b.shape[1]), m)
    if best is None or best.fit < _MIN_ALIGNED:
        return None  # not lined up well enough to look inside them
    return best


def _clipped_detail(pair: _Aligned) -> float:
    return min(_detail_where_clipped(pair.small, pair.warped, pair.inside),
               _detail_where_clipped(pair.warped, pair.small, pair.inside))


def clipped_detail(path_a: Path, path_b: Path) -> float | None:
    """The smaller of: the detail b shows where a is clipped, and a where b is (see the module
    docstring); None when the two cannot be decoded or aligned."""
    a, b = _load(path_a), _load(path_b)
    if a is None or b is None:
        return None
    if not (_has_clipped_area(a) and _has_clipped_area(b)):
        return 0.0  # detail where both are clipped needs clipped areas in both: no alignment
    pair = _aligned(a, b, path_a, path_b)
    return None if pair is None else _clipped_detail(pair)


def tone_step(a: F32, b: F32) -> float:
    """How differently the two are exposed: the mean gap between their grey levels at the
    same ranks (percentiles 5-95), which needs no alignment (a bracket shot from the hand
    may not line up)."""
    ranks = np.arange(5, 96, 5)
    return float(np.mean(np.abs(np.percentile(a, ranks) - np.percentile(b, ranks))))


def moved_share(pair: _Aligned) -> float | None:
    """The share of the textured parts of the smaller photo that lie off the map fitted to all
    of them by more than a pixel, measured at MOTION_SIDE (see the module docstring); 0 unless
    _MIN_MOVED_TILES of them have truly moved (they match elsewhere, not in place), as in no
    copy whatever its map; None when there is too little texture to tell."""
    small, large = _load(pair.small_path, MOTION_SIDE), _load(pair.large_path, MOTION_SIDE)
    if small is None or large is None:
        return None
    # The map found at CAPTURE_SIDE, carried to these sizes, onto the one with fewer pixels
    # here (at CAPTURE_SIDE both may have been reduced to one size): the same answer in
    # either order. The larger is first brought near the smaller's scale by averaging (a
    # copy's fine detail is an average of its source's).
    to_small = np.diag([small.shape[1] / pair.small.shape[1],
                        small.shape[0] / pair.small.shape[0], 1.0])
    from_large = np.diag([pair.large_shape[1] / large.shape[1],
                          pair.large_shape[0] / large.shape[0], 1.0])
    warp = to_small @ np.vstack([pair.warp, [0.0, 0.0, 1.0]]) @ from_large
    if large.size < small.size:
        small, large, warp = large, small, np.linalg.inv(warp)
    scale = math.sqrt(abs(float(np.linalg.det(warp[:2, :2]))))
    if scale < 0.8:
        large = np.asarray(cv2.resize(large, None, fx=scale, fy=scale,
                                      interpolation=cv2.INTER_AREA), np.float32)
        warp = warp @ np.diag([1 / scale, 1 / scale, 1.0])
    h, w = small.shape
    tile = max(_MIN_TILE, min(h, w) // _TILES_ACROSS)  # as many tiles at any size
    warped = cv2.warpAffine(large, warp[:2], (w, h), flags=cv2.INTER_LINEAR, borderValue=-1.0)
    window = cv2.createHanningWindow((tile, tile), cv2.CV_32F)
    centres, shifts, responses, in_place = [], [], [], []
    for y in range(0, h - tile + 1, tile):
        for x in range(0, w - tile + 1, tile):
            tile_b = warped[y:y + tile, x:x + tile]
            if bool((tile_b < 0).any()):
                continue  # outside the other photo
            da = _detail(np.ascontiguousarray(small[y:y + tile, x:x + tile]))
            db = _detail(np.ascontiguousarray(tile_b))
            if float(da.std()) < 2.0 or float(db.std()) < 2.0:
                continue  # no texture to tell a shift by
            (dx, dy), response = cv2.phaseCorrelate(da, db, window)
            if response > 0.1:
                centres.append((x + tile / 2, y + tile / 2))
                shifts.append((dx, dy))
                responses.append(response)
                in_place.append(float(np.corrcoef(da.ravel(), db.ravel())[0, 1]))
    if len(centres) < _MIN_TILES:
        return None
    where = np.c_[np.asarray(centres), np.ones(len(centres))]
    shift = np.asarray(shifts)
    # What is left once an affine correction is fitted to the shifts (the map carried from a
    # smaller decode is a fraction of a pixel off), fitted again without the tiles off it.
    keep = np.ones(len(shift), bool)
    for _ in range(3):
        coef = np.linalg.lstsq(where[keep], shift[keep], rcond=None)[0]
        off = np.hypot(*(shift - where @ coef).T)
        keep = off < max(0.3, 3.0 * float(np.median(off[keep])))
        if int(keep.sum()) < _MIN_TILES // 2:
            break
    displaced = off > _DISPLACED_PX
    # A moved thing matches itself elsewhere (a strong peak at another shift) and not in its
    # place. A caption, heavy coding or noise makes a tile's peak weak wherever it lands; a
    # repeated pattern (bricks, tiles) peaks a period away but matches in place too.
    moved = displaced & (np.asarray(responses) >= _MATCHED) & (np.asarray(in_place) < _IN_PLACE)
    return float(displaced.mean()) if int(moved.sum()) >= _MIN_MOVED_TILES else 0.0


def _detail_correlation(a: F32, b: F32, inside: npt.NDArray[np.bool_]) -> float:
    """How well the two line up: the correlation of their fine detail where both have some
    (clipped areas have none)."""
    usable = inside & (a > _CLIP_LOW) & (a < _CLIP_HIGH) & (b > _CLIP_LOW) & (b < _CLIP_HIGH)
    if int(usable.sum()) < _MIN_CLIPPED:
        return -1.0
    da, db = _detail(a)[usable], _detail(b)[usable]
    spread = float(da.std() * db.std())
    return float(np.mean((da - da.mean()) * (db - db.mean())) / spread) if spread > 0 else -1.0


def judge_capture(path_a: Path, path_b: Path) -> CaptureCheck | None:
    """Same capture or another, for two photos the thumbnails call copies; None when a file
    cannot be read now (offline, gone), so nothing can be said."""
    if not (path_a.is_file() and path_b.is_file()):
        return None
    path_a, path_b = sorted((path_a, path_b))  # either order, one answer
    data_a, data_b = capture_data(path_a), capture_data(path_b)
    reason = capture_difference(data_a, data_b)
    if reason is not None:
        return CaptureCheck(True, reason, math.nan)
    same_moment = bool(data_a and data_b and data_a.moment and data_b.moment
                       and _same_moment(data_a.moment, data_b.moment))
    if not same_moment and other_frame(path_a, path_b):
        return CaptureCheck(True, "another frame of the same sequence (the camera numbered "
                            f"them {path_a.stem} and {path_b.stem})", math.nan)
    a, b = _load(path_a), _load(path_b)  # once, for every measure below
    if (a is not None and b is not None and not same_moment
            and numbered_series(path_a, path_b) and tone_step(a, b) >= TONE_STEP):
        return CaptureCheck(True, f"another exposure of a numbered series ({path_a.stem} and "
                            f"{path_b.stem}, exposed differently)", math.nan)
    pair = None if a is None or b is None else _aligned(a, b, path_a, path_b)
    if pair is None:
        return CaptureCheck(False, "not compared: the two do not align at a larger size",
                            math.nan)
    detail = _clipped_detail(pair)
    if detail >= OTHER_EXPOSURE_DETAIL:
        return CaptureCheck(True, "another exposure of the scene: each shows detail where the "
                            "other is blown out or black", detail)
    # Off the same grid (the camera moved, or a crop): did anything move?
    if not same_moment and pair.grid_fit < _MIN_ALIGNED:
        moved = moved_share(pair)
        if moved is not None and moved >= MOVED_SHARE:
            return CaptureCheck(True, "another moment of the scene: parts of it moved between "
                                f"the two ({moved:.0%} of the picture)", detail)
    return CaptureCheck(False, "the same capture", detail)
