"""Geometric verification and the decision rules: copies line up, other shots and other photos
do not, and the rules are consistent across strictness levels and with the score."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from simfinder.core.matching.similarity import (
    RULES,
    Evidence,
    Strictness,
    clearly_another_shot,
    explain,
    is_copy,
    is_near_duplicate,
    score,
)
from simfinder.core.matching.verify import (
    FEW_MATCHES,
    LocalFeatures,
    Verification,
    _match,
    _nearest,
    local_features,
    verify_pair,
)
from simfinder.core.photos.hashes import compute_hashes
from tests.photos import sample


def check(a: Image.Image, b: Image.Image) -> Verification:
    fa = local_features(a)
    return verify_pair(fa, local_features(b), a_mirrored=fa.mirrored)


def evidence(a: Image.Image, b: Image.Image, v: Verification, cosine: float) -> Evidence:
    ha, hb = compute_hashes(a), compute_hashes(b)
    return Evidence(cosine, bin(ha.phash ^ hb.phash).count("1"),
                    bin(ha.dhash ^ hb.dhash).count("1"), verification=v)


def test_a_cropped_and_rotated_copy_lines_up() -> None:
    photo = sample("astronaut.png", 512)
    w, h = photo.size
    copy = photo.crop((w // 5, h // 6, w * 4 // 5, h * 5 // 6)).rotate(
        33, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(20, 90, 200))
    v = check(photo, copy)
    assert is_copy(v, RULES[Strictness.NORMAL])
    assert not v.mirrored
    assert abs(abs(v.angle) - 33) < 2
    assert v.overlap < 0.8  # much was cut away: a duplicate at normal, not at strict
    assert not is_copy(v, RULES[Strictness.STRICT])


def test_a_mirrored_smaller_copy_lines_up_mirrored() -> None:
    photo = sample("chelsea.png", 400)
    copy = ImageOps.mirror(photo).resize((photo.width * 3 // 5, photo.height * 3 // 5))
    v = check(photo, copy)
    assert v.mirrored
    assert is_copy(v, RULES[Strictness.STRICT])


def test_the_mirror_images_features_are_what_sift_finds_on_the_mirrored_pixels() -> None:
    """They are derived from the photo's own (at no cost: finding them again cost as much as
    the photo's): SIFT on the mirrored pixels finds most of them at the same places with the
    same descriptors (the rest, at coarse scales, differ because its pyramid halves the image
    from the other side)."""
    photo = local_features(sample("astronaut.png", 256))
    derived = photo.mirrored()
    found = local_features(np.ascontiguousarray(photo.image[:, ::-1]))
    assert np.array_equal(derived.image, found.image)
    placed = same = 0
    for point, size, descriptor in zip(found.points, found.sizes, found.descriptors,
                                       strict=True):
        # (one place can hold several keypoints: one per dominant orientation)
        near = np.hypot(*(derived.points - point).T) + np.abs(derived.sizes - size) < 0.05
        placed += bool(near.any())
        same += bool((derived.descriptors[near] == descriptor).all(axis=1).any())
    assert len(found.points) > 100
    assert placed >= 0.5 * len(found.points)
    assert same >= 0.8 * placed


def test_two_different_photos_do_not_line_up() -> None:
    v = check(sample("astronaut.png"), sample("coffee.png"))
    assert v.inliers < 8
    assert not is_copy(v, RULES[Strictness.LOOSE])


def test_two_viewpoints_of_one_scene_are_another_shot_not_a_copy() -> None:
    # scikit-image's stereo pair: the same motorcycle from two cameras side by side
    left, right = sample("motorcycle_left.png", 512), sample("motorcycle_right.png", 512)
    v = check(left, right)
    assert v.inliers >= 20  # plenty of features match: the same scene...
    assert not is_copy(v, RULES[Strictness.LOOSE])  # ... but they do not line up as in a copy
    # even with a cosine as high as a burst's, it is similar, not a near-duplicate
    ev = evidence(left, right, v, cosine=0.95)
    assert not is_near_duplicate(ev, Strictness.NORMAL)
    assert clearly_another_shot(ev)
    assert "another shot" in explain(ev)["why"]


def test_a_burst_frame_is_not_a_duplicate_though_its_hashes_are_close() -> None:
    # the next frame of a burst: the scene moved a little, unevenly (nearer things more)
    photo = sample("astronaut.png", 400)
    a = np.asarray(photo)
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dx = 4 * np.sin(2 * np.pi * yy / h) * np.cos(np.pi * xx / w)
    dy = 2 * np.cos(2 * np.pi * xx / w)
    frame = Image.fromarray(cv2.remap(a, xx + dx, yy + dy, cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REFLECT))
    ev = evidence(photo, frame, check(photo, frame), cosine=0.98)
    assert ev.hash_bits <= RULES[Strictness.NORMAL].same_hash_bits  # the hashes alone: "same"
    assert not is_near_duplicate(ev, Strictness.STRICT)
    assert not is_near_duplicate(ev, Strictness.NORMAL)
    assert is_near_duplicate(ev, Strictness.LOOSE)  # moments of one scene count at loose


def test_verification_does_not_depend_on_anything_but_the_pixels() -> None:
    photo = sample("coffee.png", 400)
    copy = photo.crop((40, 30, 330, 250)).resize((200, 152))
    assert check(photo, copy) == check(photo, copy)
    empty = local_features(Image.new("L", (64, 64), 128))
    assert isinstance(empty, LocalFeatures) and len(empty.points) == 0
    assert verify_pair(empty, local_features(photo)).inliers == 0


def test_a_small_crop_of_a_night_photo_lines_up_though_its_few_features_cluster() -> None:
    # A dark photo has few features, and a crop of it fewer: too few in distinct places to
    # tell local motion from noise. Nearly all of them fit, and the aligned pixels agree.
    night = ImageEnhance.Brightness(sample("hubble_deep_field.jpg", 640)).enhance(0.2)
    w, h = night.size
    crop = night.crop((w // 4, h // 4, w * 3 // 4, h * 3 // 4))
    v = check(night, crop)
    assert math.isinf(v.drift)  # too few inliers apart from each other to measure it
    assert is_copy(v, RULES[Strictness.NORMAL])
    assert not is_copy(v, RULES[Strictness.STRICT])  # most of the photo was cut away


def _brute_force_matches(a: LocalFeatures, b: LocalFeatures) -> list[tuple[int, int]]:
    """(feature of a, feature of b) as OpenCV's brute-force matcher pairs them: the two nearest
    of b for each feature of a, Lowe's ratio test, then for each feature of b its nearest
    feature of a (the first of equals), in the order b's features first turn up."""
    best: dict[int, tuple[float, int]] = {}
    for m, n in cv2.BFMatcher(cv2.NORM_L2).knnMatch(a.descriptors.astype(np.float32),
                                                    b.descriptors.astype(np.float32), k=2):
        if m.distance < 0.8 * n.distance:
            known = best.get(m.trainIdx)
            if known is None or m.distance < known[0]:
                best[m.trainIdx] = (m.distance, m.queryIdx)
    return [(q, t) for t, (_, q) in best.items()]


def _features(descriptors: np.ndarray) -> LocalFeatures:
    n = len(descriptors)
    points = np.stack([np.arange(n), np.arange(n)[::-1]], axis=1).astype(np.float32)
    return LocalFeatures(points, np.arange(1, n + 1, dtype=np.float32),
                         descriptors.astype(np.uint8), np.zeros((8, 8), np.uint8))


def test_features_match_exactly_as_with_opencvs_brute_force_matcher() -> None:
    # The matches and their order decide what RANSAC fits: verdicts stay as they were
    # calibrated only if matching them faster finds the very same ones, in the same order.
    photo = sample("astronaut.png", 300)
    copy = photo.crop((30, 20, 260, 240)).rotate(20, expand=True)
    pairs = [(local_features(photo), local_features(copy)),
             (local_features(photo), local_features(sample("coffee.png", 300)))]
    # and descriptors made to tie: repeated features of a (equally near one feature of b:
    # the first is kept) and features of b that are not all matched first in their order
    rng = np.random.default_rng(7)
    b = rng.integers(0, 120, (300, 128))
    a = np.clip(b[rng.permutation(300)[:200]] + rng.integers(-9, 10, (200, 128)), 0, 255)
    a[50:80] = a[20:50]
    a[150:160] = a[0:10]
    pairs.append((_features(a), _features(b)))
    for fa, fb in pairs:
        expected = _brute_force_matches(fa, fb)
        q, t = [m[0] for m in expected], [m[1] for m in expected]
        found = _match(fa, fb)
        for got, want in zip(found, (fa.points[q], fb.points[t], fa.sizes[q], fb.sizes[t]),
                             strict=True):
            assert len(want) and np.array_equal(got, want)


@settings(max_examples=200, deadline=None)
@given(st.integers(10, 300), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_the_nearest_neighbours_are_those_a_full_sort_puts_first(
    n: int, spread: int, seed: int
) -> None:
    # small whole-number distances: many ties, which must fall as np.argsort has them
    d2 = np.random.default_rng(seed).integers(0, spread * 3, (n, n)).astype(np.float32)
    assert (_nearest(d2, 9) == np.argsort(d2, axis=1)[:, :9]).all()


_CAPTION = (("copyright by me", 0.17, 0.15, 0.12), ("all rights reserved", 0.17, 0.75, 0.15))
# Big words across the middle, over most of what detail a foggy photo has.
_OVER_THE_MIDDLE = (("rights holiday by", 0.05, 0.35, 0.12), ("2023 2019 all", 0.25, 0.55, 0.12),
                    ("photo draft", 0.35, 0.42, 0.06))


def _captioned(im: Image.Image, lines: tuple[tuple[str, float, float, float], ...] = _CAPTION
               ) -> Image.Image:
    out = im.copy()
    draw = ImageDraw.Draw(out)
    for text, left, top, size in lines:
        draw.text((round(im.width * left), round(im.height * top)), text, fill=(30, 40, 90),
                  font=ImageFont.load_default(size=round(im.height * size)))
    return out


def _foggy(name: str) -> Image.Image:
    blurred = sample(name, 400).filter(ImageFilter.GaussianBlur(4))
    return Image.blend(blurred, Image.new("RGB", blurred.size, (150, 150, 150)), 0.7)


def test_a_caption_over_a_foggy_photo_is_a_duplicate_on_the_same_grid() -> None:
    # Too little texture for local features (most of what there is is the caption's), but on
    # the same grid the photo's fine detail agrees wherever the caption is not.
    photo = _foggy("camera.png")
    copy = _captioned(photo)
    v = check(photo, copy)
    assert v.matches < FEW_MATCHES
    assert v.agreement > 0.9
    ev = evidence(photo, copy, v, cosine=0.55)  # such copies are far apart for the CNN
    assert ev.hash_bits > RULES[Strictness.NORMAL].same_hash_bits  # the hashes alone: no
    assert is_near_duplicate(ev, Strictness.NORMAL)
    assert not is_near_duplicate(ev, Strictness.STRICT)
    assert "same grid" in explain(ev)["why"]
    # another foggy photo with the same caption: its detail does not agree
    other = _captioned(_foggy("coffee.png").resize(photo.size))
    w = check(photo, other)
    assert w.agreement < 0.3
    assert not is_near_duplicate(evidence(photo, other, w, cosine=0.9), Strictness.LOOSE)


def test_words_over_most_of_a_foggy_photos_detail_still_leave_it_a_duplicate() -> None:
    # Where the words are, one image has far more detail than the other: those tiles are left
    # out, and what is left of the photo agrees.
    photo = _foggy("coffee.png")
    copy = _captioned(photo, _OVER_THE_MIDDLE)
    v = check(photo, copy)
    assert v.matches < FEW_MATCHES
    ev = evidence(photo, copy, v, cosine=0.5)
    assert is_near_duplicate(ev, Strictness.NORMAL)


def test_two_fruits_on_white_are_not_one_picture_on_the_grid() -> None:
    # Nearly featureless 100-px photos of two different fruits: no local feature matches, and
    # on the same grid only their round outlines agree. Not duplicates at normal (the CNN
    # finds them very alike: 0.94).
    folder = Path(__file__).parent / "data" / "fruit_on_white"
    grape = Image.open(folder / "grape_white_2_r_157_100.jpg").convert("RGB")
    grapefruit = Image.open(folder / "grapefruit_white_31_100.jpg").convert("RGB")
    v = check(grape, grapefruit)
    assert v.matches == 0
    assert v.agreement > RULES[Strictness.NORMAL].grid_agreement  # the outlines
    ev = evidence(grape, grapefruit, v, cosine=0.944)
    assert ev.hash_bits <= RULES[Strictness.NORMAL].grid_hash_bits
    assert not is_near_duplicate(ev, Strictness.NORMAL)
    assert "same grid" not in explain(ev)["why"]


verifications = st.builds(
    Verification,
    matches=st.integers(0, 500),
    inliers=st.integers(0, 500),
    residual=st.floats(0, 5),
    misfit=st.one_of(st.floats(0, 1), st.just(math.inf)),
    drift=st.one_of(st.floats(0, 2), st.just(math.inf)),
    agreement=st.floats(-1, 1),
    overlap=st.floats(0, 1),
    mirrored=st.booleans(),
    angle=st.floats(-180, 180),
    scale=st.floats(1, 20),
).filter(lambda v: v.inliers <= v.matches)

evidences = st.builds(
    Evidence,
    cosine=st.floats(-1, 1),
    phash_distance=st.integers(0, 64),
    dhash_distance=st.integers(0, 64),
    turned_distance=st.one_of(st.none(), st.integers(0, 128)),
    turn=st.just(0),
    verification=st.one_of(st.none(), verifications),
)


@settings(max_examples=400, deadline=None)
@given(evidences)
def test_each_level_accepts_what_the_stricter_ones_do_and_the_score_says_which(
    ev: Evidence,
) -> None:
    strict, normal, loose = (is_near_duplicate(ev, s) for s in Strictness)
    assert not strict or normal
    assert not normal or loose
    s = score(ev)
    assert 0.0 <= s < 1.0
    assert (s >= 0.95) == strict
    assert (s >= 0.9) == normal
    assert (s >= 0.8) == loose
    assert isinstance(explain(ev)["why"], str)
