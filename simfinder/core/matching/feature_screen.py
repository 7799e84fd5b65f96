"""A cheap first look at a candidate pair: could SIFT verification find it aligned at all?

Most pairs the comparison stage verifies are a photo and one of its nearest photos by CNN kept
only because a heavily edited copy (cropped, turned by an odd angle, screenshotted) looks like
that to the CNN: in a library of distinct photos nearly every one of them is two different
pictures. For such a pair (one the cheap rules reject at every strictness, whose hashes are too
far apart for the same-grid comparison, and whose cosine is below the loose "scene" rule:
`candidates.CandidatePairs.screenable`), verification changes the verdict only if at least
`similarity` loose `min_inliers` SIFT features fit one map (a copy) or 20 (another shot); with
fewer, every rule gives what it gives without a verification.

ORB features (FAST corners, binary descriptors) cost a tenth of SIFT's at the thumbnail size
and are as invariant to rotation, scale and mirroring (the mirror image's are computed too).
`could_align` says no only when both photos have plenty of ORB features and hardly any of them
match under one affine map; the pair then is not verified with SIFT (and SIFT's features of
a photo whose every pair is ruled out are never computed). Measured on the labelled pairs of
camera_photos, imagededup_tests, ukbench_holidays_mini and the stress set (bench/feature_screen.py):
every pair with 8 or more SIFT inliers passes; of camera_photos' pairs (distinct photos) a
third do not.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

_ORB_FEATURES: Final = 500
_PATCH: Final = 15  # px: a 256 px thumbnail is small; ORB's default 31 leaves out its borders
_RATIO: Final = 0.8
_RANSAC_PX: Final = 3.0
# Fewer ORB features than this in either photo (flat, blurred, tiny): the screen cannot tell,
# SIFT (which looks harder on such photos) decides.
MIN_FEATURES: Final = 100
# Degrees a matched keypoint's orientation may differ from the map's turn (perspective bends
# it a little; a chance match's is anywhere).
_ANGLE_TOLERANCE: Final = 30.0
_TURN_SIGN: Final = 1  # ORB's angles and the map's turn are measured the same way round
# A pair goes on to SIFT verification from this many affine-map inliers, or this many of them
# that turn with the map. Measured (bench/feature_screen.py): of the pairs with 8 or more SIFT
# inliers, the fewest were 7 inliers (another view of a scene) and 4 turning ones (a crop of
# a scaled copy); of camera_photos' pairs of different photos, most have 3-8 chance inliers
# but fewer than 4 turning ones.
MIN_INLIERS: Final = 7
MIN_TURNING_INLIERS: Final = 4

U8Image = npt.NDArray[np.uint8]
F32Array = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class ScreenFeatures:
    """ORB features of a photo's greyscale thumbnail and of its mirror image."""

    points: F32Array  # (n, 2) x, y
    angles: F32Array  # (n,) keypoint orientations, degrees
    descriptors: U8Image  # (n, 32)
    mirrored_points: F32Array
    mirrored_angles: F32Array
    mirrored_descriptors: U8Image

    def __len__(self) -> int:
        return len(self.points)


def screen_features(grey: U8Image) -> ScreenFeatures:
    orb = cv2.ORB.create(nfeatures=_ORB_FEATURES, edgeThreshold=_PATCH, patchSize=_PATCH)
    plain = _detect(orb, np.ascontiguousarray(grey))
    mirrored = _detect(orb, np.ascontiguousarray(grey[:, ::-1]))
    return ScreenFeatures(*plain, *mirrored)


def _detect(orb: cv2.ORB, grey: U8Image) -> tuple[F32Array, F32Array, U8Image]:
    keypoints, descriptors = orb.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        return np.zeros((0, 2), np.float32), np.zeros(0, np.float32), np.zeros((0, 32), np.uint8)
    return (np.array([k.pt for k in keypoints], dtype=np.float32).reshape(-1, 2),
            np.array([k.angle for k in keypoints], dtype=np.float32),
            np.asarray(descriptors, dtype=np.uint8))


def could_align(a: ScreenFeatures, b: ScreenFeatures) -> bool:
    """False when the two are surely not aligned by one map (as is, or one mirrored): both
    have at least MIN_FEATURES ORB features and fewer than MIN_INLIERS of them fit."""
    if len(a) < MIN_FEATURES or len(b) < MIN_FEATURES:
        return True
    for fitted, turning in (aligned_matches(a.points, a.angles, a.descriptors, b),
                            aligned_matches(a.mirrored_points, a.mirrored_angles,
                                            a.mirrored_descriptors, b)):
        if fitted >= MIN_INLIERS or turning >= MIN_TURNING_INLIERS:
            return True
    return False


def aligned_matches(
    points: F32Array, angles: F32Array, descriptors: U8Image, b: ScreenFeatures
) -> tuple[int, int]:
    """ORB matches (ratio test) of these features in b that fit one affine map, and how many
    of them turn as it turns (a keypoint's orientation follows the picture's; a chance
    match's does not)."""
    if len(points) < 2 or len(b.points) < 2:
        return 0, 0
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(descriptors, b.descriptors, k=2)
    good = [m[0] for m in pairs if len(m) == 2 and m[0].distance < _RATIO * m[1].distance]
    if len(good) < 4:
        return 0, 0
    query = np.array([m.queryIdx for m in good])
    train = np.array([m.trainIdx for m in good])
    cv2.setRNGSeed(len(good))  # the same pair, the same answer
    m, mask = cv2.estimateAffine2D(points[query], b.points[train], method=cv2.RANSAC,
                                   ransacReprojThreshold=_RANSAC_PX)
    if m is None or mask is None:
        return 0, 0
    turn = math.degrees(math.atan2(float(m[1, 0]), float(m[0, 0])))
    off = (b.angles[train] - angles[query] - _TURN_SIGN * turn + 180.0) % 360.0 - 180.0
    inliers = mask.ravel().astype(bool)
    return int(inliers.sum()), int((inliers & (np.abs(off) < _ANGLE_TOLERANCE)).sum())
