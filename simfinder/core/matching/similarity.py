"""How alike two photo contents are: the evidence, the decision rules, a calibrated 0..1 score.

The line that matters is between a *copy* (the same pixels: re-encoded, resized, cropped,
rotated, mirrored, recoloured, framed, screenshotted) and *another shot* (the same scene or
object from another viewpoint or another moment). No threshold on one number draws it: CNN
cosines of heavily edited copies (0.35-0.8) overlap those of other views of one object
(0.6-0.93), and of burst shots (0.95-0.99). So the evidence is combined:

1. Perceptual hashes (pHash, dHash) of the photo as it is and after each of the seven flips and
   quarter-turns: (nearly) equal hashes mean the same picture on the same grid. Blur, noise,
   greyscale and JPEG at any quality keep them; the CNN is only asked not to disagree badly.
2. Geometric verification (`verify`) for candidate pairs the hashes leave open: a copy's local
   features fit one affine map to a small fraction of their size and the aligned pixels agree;
   another shot's fit loosely (parallax, perspective). When there are enough features to judge,
   this verdict decides, whatever the cosine says.
3. Without enough features to judge (flat, foggy, blurred, tiny photos), verification compares
   the two on the same grid: a fairly close layout whose fine detail agrees tile by tile is the
   same picture (a caption or a logo over part of it spoils a few tiles, not the median); else
   the cosine and the plain hashes as before: a high cosine with close hashes.

Strictness in plain words picks the thresholds; each level accepts everything the stricter one
does. *Strict* takes the same picture with little or nothing cut away (re-encodes, resizes,
format changes, flips, turns, colour edits); *normal* adds heavy crops, framing, screenshots and
overlays; at *loose*, moments of one scene that align well (burst shots seconds apart) count too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from simfinder.core.matching.verify import FEW_MATCHES, Verification
from simfinder.core.translatable import QT_TRANSLATE_NOOP


class Strictness(str, Enum):
    STRICT = "strict"
    NORMAL = "normal"
    LOOSE = "loose"


# The seven flips and quarter-turns of hashes.TRANSFORMS, in words (same order).
TURN_WORDS: Final = ("mirrored", "flipped upside down", "turned 90°", "turned 180°",
                     "turned 270°", "mirrored and turned 90°", "mirrored and turned 270°")


@dataclass(frozen=True, slots=True)
class Evidence:
    cosine: float  # CNN embedding cosine, -1..1
    phash_distance: int  # 0..64
    dhash_distance: int  # 0..64
    # The closest the hashes come when one photo is flipped or turned by quarter turns: the
    # pHash plus dHash distance for the best of hashes.TRANSFORMS, and which one.
    turned_distance: int | None = None
    turn: int | None = None
    verification: Verification | None = field(default=None, compare=False)

    @property
    def hash_distance(self) -> int:
        """The larger of the pHash and dHash distances."""
        return max(self.phash_distance, self.dhash_distance)

    @property
    def hash_bits(self) -> int:
        """pHash plus dHash distance: the bits in which the two layouts differ, 0..128."""
        return self.phash_distance + self.dhash_distance

    def with_verification(self, verification: Verification | None) -> Evidence:
        return Evidence(self.cosine, self.phash_distance, self.dhash_distance,
                        self.turned_distance, self.turn, verification)


@dataclass(frozen=True, slots=True)
class MatchRule:
    # 1. Same picture on the same grid (or flipped / quarter-turned): pHash and dHash differ in
    #    at most `same_hash_bits` bits together and the CNN does not contradict (cosine >=
    #    `cosine_same_hashes`).
    same_hash_bits: int
    cosine_same_hashes: float
    # 2. Verified copy: at least `min_inliers` features fit one affine map, a share of at least
    #    `min_inlier_ratio` of the matches, to within `max_misfit` of their size, and the aligned
    #    pixels agree (median tile correlation >= `min_agreement`). Matches that are nearly all
    #    consistent (a share >= `consistent_ratio`) may fit a little less precisely (noisy and
    #    resampled photos): to within `max_misfit_consistent`.
    min_inliers: int
    min_inlier_ratio: float
    max_misfit: float
    min_agreement: float
    consistent_ratio: float
    max_misfit_consistent: float
    # ... and the map is off by at most `max_drift` px where neighbouring features agree (what
    #    moved between two shots), and the photos overlap this much (strict: nothing much
    #    cropped away or framed).
    max_drift: float
    min_overlap: float
    #    Drift needs a few inliers in distinct places (a dark or flat photo, or a small crop of
    #    one, may have fewer): without it, nearly all matches must fit (a share of at least
    #    `sparse_ratio`) and the aligned pixels must agree closely (>= `sparse_agreement`),
    #    which is where what moved between two shots shows instead.
    sparse_ratio: float
    sparse_agreement: float
    # 2b. (loose only) Another moment of the same scene: a high cosine and pixels that agree
    #     once aligned, though not to a copy's precision.
    scene_cosine: float
    scene_agreement: float
    # 3. No verdict from verification (too few features match). The same picture on the same
    #    grid: fine detail that agrees (median tile correlation >= `grid_agreement`) and a
    #    layout that is not another one (hashes within `grid_hash_bits` bits together: the
    #    pHash of a low-contrast photo is fragile, unrelated photos differ in ~64). Or a high
    #    cosine alone, or a fairly high cosine with close hashes.
    grid_hash_bits: int
    grid_agreement: float
    cosine_alone: float
    cosine_with_hashes: float
    max_hash_bits: int


# Measured on the shared peer suites and the generated stress set (bench/accuracy.py):
# re-encodes, resizes, blur, noise and greyscale keep pHash + dHash within 5 bits (cosine down
# to 0.5 for blur and greyscale) while other shots of one scene differ in 11 or more; copies'
# features fit with a misfit of 0.02-0.10 of their size (99%: 0.13, the noisiest with nearly
# every match consistent) and agreement >= 0.93; other views of one object and the two halves
# of a stereo pair fit with a misfit of 0.10-0.5 and fewer consistent matches; shots of one
# scene seconds apart reach cosine 0.95 with agreement 0.88-0.99. Where drift cannot be
# measured (fewer than 9 inliers in distinct places), other shots fit at most 54% of their
# matches and agree at most 0.40; copies (dark crops, screenshots of night photos) fit 82-90%
# and agree 0.99. On the same grid, the fine detail of captioned copies of flat photos agrees
# 0.86-1.0; that of other shots and other photos at most 0.31 (their hashes differ in 10 or
# more bits; a caption over a foggy photo moves its fragile pHash by up to 16, dHash by 2-5).
RULES: dict[Strictness, MatchRule] = {
    Strictness.STRICT: MatchRule(
        same_hash_bits=2, cosine_same_hashes=0.70,
        min_inliers=12, min_inlier_ratio=0.8, max_misfit=0.07, min_agreement=0.95,
        consistent_ratio=0.97, max_misfit_consistent=0.10, max_drift=0.12,
        min_overlap=0.8, sparse_ratio=0.85, sparse_agreement=0.98,
        scene_cosine=2.0, scene_agreement=2.0,
        grid_hash_bits=0, grid_agreement=2.0,
        cosine_alone=0.99, cosine_with_hashes=0.93, max_hash_bits=4),
    Strictness.NORMAL: MatchRule(
        same_hash_bits=5, cosine_same_hashes=0.50,
        min_inliers=8, min_inlier_ratio=0.7, max_misfit=0.085, min_agreement=0.93,
        consistent_ratio=0.95, max_misfit_consistent=0.13, max_drift=0.18,
        min_overlap=0.0, sparse_ratio=0.8, sparse_agreement=0.97,
        scene_cosine=2.0, scene_agreement=2.0,
        grid_hash_bits=24, grid_agreement=0.7,
        cosine_alone=0.97, cosine_with_hashes=0.88, max_hash_bits=6),
    Strictness.LOOSE: MatchRule(
        same_hash_bits=8, cosine_same_hashes=0.45,
        min_inliers=8, min_inlier_ratio=0.6, max_misfit=0.11, min_agreement=0.90,
        consistent_ratio=0.93, max_misfit_consistent=0.15, max_drift=0.25,
        min_overlap=0.0, sparse_ratio=0.75, sparse_agreement=0.95,
        scene_cosine=0.93, scene_agreement=0.85,
        grid_hash_bits=32, grid_agreement=0.6,
        cosine_alone=0.94, cosine_with_hashes=0.85, max_hash_bits=12),
}

# On the same grid with no feature matching at all, only near-perfect agreement counts: two
# photos of nearly no detail (a fruit on white at 100 px: 1-4 SIFT features each, none
# matching) agree there by their outlines alone (0.70-0.85 for different fruits of one shape).
# The copies the grid decides on the benchmark sets keep 1-9 matches (captions over flat photos,
# 10-500 features); a foggy photo with words over most of its detail, none, and agrees 1.0.
GRID_MIN_MATCHES: Final = 1
GRID_UNMATCHED_AGREEMENT: Final = 0.95
# Verification can judge a pair when this many features match (fewer: a flat or tiny photo,
# compared on the same grid, or where the cosine and the hashes decide). The same for every
# strictness, so that each level accepts what the stricter ones do.
MIN_MATCHES_TO_JUDGE: Final = FEW_MATCHES
# Pairs below this cosine are not worth verifying: on the stress set 99% of copies of a photo
# are above it, including rotations by any angle and screenshots inside a window.
VERIFY_FLOOR: Final = 0.45


def same_layout(ev: Evidence, rule: MatchRule) -> bool:
    """The same picture on the same grid, as is or flipped / quarter-turned."""
    if ev.cosine < rule.cosine_same_hashes:
        return False
    if ev.hash_bits <= rule.same_hash_bits:
        return True
    return ev.turned_distance is not None and ev.turned_distance <= rule.same_hash_bits


def verdict_possible(v: Verification | None) -> bool:
    return v is not None and v.matches >= MIN_MATCHES_TO_JUDGE


def is_copy(v: Verification, rule: MatchRule) -> bool:
    precise = v.misfit <= rule.max_misfit or (
        v.misfit <= rule.max_misfit_consistent and v.inlier_ratio >= rule.consistent_ratio
    )
    nothing_moved = v.drift <= rule.max_drift or (
        math.isinf(v.drift)
        and v.inlier_ratio >= rule.sparse_ratio
        and v.agreement >= rule.sparse_agreement
    )
    return (
        precise
        and v.inliers >= rule.min_inliers
        and v.inlier_ratio >= rule.min_inlier_ratio
        and v.agreement >= rule.min_agreement
        and nothing_moved
        and v.overlap >= rule.min_overlap
    )


def shows_copy(v: Verification) -> bool:
    """The features alone show a copy at normal, whatever the cosine and the hashes say
    (`verdicts.copies_by_features` on arrays)."""
    return verdict_possible(v) and is_copy(v, RULES[Strictness.NORMAL])


def same_grid(ev: Evidence, rule: MatchRule) -> bool:
    """Too few features to align by, but the same picture on the same grid: a fairly close
    layout whose fine detail agrees wherever nothing was drawn over it (nearly perfectly when
    no feature matches: outlines alone agree up to 0.85)."""
    v = ev.verification
    return (
        v is not None
        and not verdict_possible(v)
        and v.inliers == 0
        and ev.hash_bits <= rule.grid_hash_bits
        and v.agreement >= rule.grid_agreement
        and (v.matches >= GRID_MIN_MATCHES or v.agreement >= GRID_UNMATCHED_AGREEMENT)
    )


# What moved_apart asks (verdicts.py applies the same to arrays): enough inliers to judge, then
# a poor fit with drift, or a poorer fit with many features off it.
MOVED_MIN_INLIERS = 20
MOVED_MISFIT = 0.15
MOVED_DRIFT = 0.3
MOVED_MISFIT_SCATTERED = 0.18
MOVED_MAX_INLIER_RATIO = 0.85


def moved_apart(v: Verification | None) -> bool:
    """Many features match, but they do not line up as in any copy: what a camera that moved
    (another viewpoint) or a scene that moved (a burst, people, leaves) leaves behind. Of the
    1,155 copy pairs of the benchmark sets with 20 or more inliers, none fits this loosely
    (misfit <= 0.17, drift <= 0.32 px)."""
    if v is None or v.inliers < MOVED_MIN_INLIERS:
        return False
    return ((v.misfit >= MOVED_MISFIT and v.drift >= MOVED_DRIFT)
            or (v.misfit >= MOVED_MISFIT_SCATTERED and v.inlier_ratio < MOVED_MAX_INLIER_RATIO))


def is_near_duplicate(ev: Evidence, strictness: Strictness) -> bool:
    rule = RULES[strictness]
    if same_layout(ev, rule):
        # Close hashes are the same picture, unless the features show a moved camera or
        # scene: two frames of a burst (a duplicate at loose only). Never seen for a copy in
        # the benchmark sets, blurred, noisy and JPEG-5 ones included.
        return strictness == Strictness.LOOSE or not moved_apart(ev.verification)
    v = ev.verification
    if v is not None and verdict_possible(v):
        if is_copy(v, rule):
            return True
        return ev.cosine >= rule.scene_cosine and v.agreement >= rule.scene_agreement
    if same_grid(ev, rule):
        return True
    return ev.cosine >= rule.cosine_alone or (
        ev.cosine >= rule.cosine_with_hashes and ev.hash_distance <= rule.max_hash_bits
    )


def clearly_another_shot(ev: Evidence) -> bool:
    """Many features match but do not line up as in any copy: the same scene or object from
    another viewpoint or moment. Such a pair never ends up in one group, even through others."""
    return moved_apart(ev.verification) and not is_near_duplicate(ev, Strictness.LOOSE)


# Hashes this close are the same picture without asking the features (a burst frame this close
# is as good as a copy).
SURE_HASH_BITS: Final = 1


def settled_by_hashes(ev: Evidence) -> bool:
    """The same picture by its hashes alone: (nearly) equal, or equal once flipped or turned
    (which no burst does)."""
    if ev.cosine < RULES[Strictness.STRICT].cosine_same_hashes:
        return False
    return ev.hash_bits <= SURE_HASH_BITS or (
        ev.turned_distance is not None
        and ev.turned_distance <= RULES[Strictness.STRICT].same_hash_bits
    )


def needs_verification(ev: Evidence) -> bool:
    """Whether a look at the features could change the verdict: the cosine makes a copy
    possible, or the hashes say "same picture" but not for sure (one verification serves
    every strictness)."""
    if settled_by_hashes(ev):
        return False
    return ev.cosine >= VERIFY_FLOOR or same_layout(ev, RULES[Strictness.LOOSE])


def strictest_match(ev: Evidence) -> Strictness | None:
    """The strictest level at which the pair is a near-duplicate (None: similar at most)."""
    for level in (Strictness.STRICT, Strictness.NORMAL, Strictness.LOOSE):
        if is_near_duplicate(ev, level):
            return level
    return None


def match_kind(ev: Evidence, *, same_content: bool = False) -> str:
    """A plain word for how two photos relate: exact, near-duplicate or similar."""
    if same_content:
        return "exact"
    if is_near_duplicate(ev, Strictness.NORMAL):
        return "near-duplicate"
    return "similar"


# Score bands: the score says at which strictness a pair is a duplicate, so one number sorts
# and thresholds consistently with the duplicate groups.
_BANDS: Final = {Strictness.STRICT: (0.95, 1.0), Strictness.NORMAL: (0.9, 0.95),
                 Strictness.LOOSE: (0.8, 0.9)}
SIMILAR_BAND_TOP: Final = 0.8


def score(ev: Evidence, *, same_content: bool = False) -> float:
    """0..1, higher is more alike, calibrated to the decisions:

    * 1.0: the same bytes;
    * 0.95-1.0: a near-duplicate even at strict; 0.9-0.95: at normal; 0.8-0.9: at loose only;
    * below 0.8: similar, and then the score is the CNN cosine (compressed above 0.6 so that it
      stays under 0.8): 0.5 means "as alike as the other views of one object usually are".

    Within a band, a higher cosine ranks first."""
    if same_content:
        return 1.0
    c = max(0.0, min(1.0, ev.cosine))
    level = strictest_match(ev)
    if level is not None:
        lo, hi = _BANDS[level]
        return max(lo, _down(lo + (hi - lo) * c))  # rounding down stays inside the band
    return similar_score(c)


def similar_score(likeness: float) -> float:
    """The score of a photo that is not a duplicate: its cosine (or its likeness to the
    expanded query, see search), compressed above 0.6 so that it stays under 0.8."""
    c = max(0.0, min(1.0, likeness))
    if c < 0.6:
        return _down(c)
    return _down(0.6 + (SIMILAR_BAND_TOP - 0.6) * (c - 0.6) / 0.4)


def shot_score(ev: Evidence) -> float:
    """The score of another exposure or moment of the scene (capture.judge_capture) that the
    thumbnails call a copy: in the loose band, where such shots may group."""
    lo, hi = _BANDS[Strictness.LOOSE]
    return max(lo, _down(lo + (hi - lo) * max(0.0, min(1.0, ev.cosine))))


def _down(x: float) -> float:
    """Four decimals, rounded down, and below the top of its band (1.0 means the same bytes)."""
    return max(0.0, math.floor(x * 10_000 - 1e-6) / 10_000)


def explain(ev: Evidence | None, *, same_content: bool = False) -> dict[str, Any]:
    """The evidence behind a match, as plain data (for `similar --json` and the GUI)."""
    if same_content or ev is None:
        return {"why": QT_TRANSLATE_NOOP("engine", "the same file contents (byte for byte)")}
    level = strictest_match(ev)
    out: dict[str, Any] = {
        "cnn_cosine": round(ev.cosine, 4),
        "phash_distance": ev.phash_distance,
        "dhash_distance": ev.dhash_distance,
        "duplicate_at": level.value if level is not None else None,
    }
    if ev.turned_distance is not None and ev.turned_distance < ev.hash_bits:
        # only when a flip or quarter-turn brings the hashes closer than they are
        out["turned_hash_distance"] = ev.turned_distance
        out["turn"] = TURN_WORDS[ev.turn] if ev.turn is not None else None
    v = ev.verification
    if v is not None:
        out["verification"] = v.as_dict()
    out["why"] = _why(ev, level)
    return out


def _why(ev: Evidence, level: Strictness | None) -> str:
    rule = RULES[level or Strictness.LOOSE]
    v = ev.verification
    if level is not None and same_layout(ev, rule):
        if ev.hash_bits <= rule.same_hash_bits:
            return QT_TRANSLATE_NOOP("engine", "the same picture: perceptual hashes agree")
        turn = TURN_WORDS[ev.turn] if ev.turn is not None else "flipped or turned"
        return f"the same picture, {turn}: perceptual hashes agree"
    if v is not None and verdict_possible(v):
        if level is not None and is_copy(v, rule):
            how = []
            if v.mirrored:
                how.append("mirrored")
            if abs(v.angle) >= 1.0:
                how.append(f"rotated {abs(v.angle):.0f}°")
            if v.overlap < 0.9 or v.scale >= 1.25:
                how.append("cropped or framed")
            what = f" ({', '.join(how)})" if how else ""
            return (f"the same pixels{what}: {v.inliers} local features line up under one "
                    "transform and the aligned pixels agree")
        if level is not None:
            return QT_TRANSLATE_NOOP(
                "engine", "another shot of the same scene that aligns closely (a duplicate at "
                          "loose only): the features line up nearly, not exactly")
        if v.inliers >= rule.min_inliers:
            return QT_TRANSLATE_NOOP(
                "engine", "the same scene or object, another shot: features match but do not "
                          "line up as in a copy (another viewpoint or moment)")
        return QT_TRANSLATE_NOOP(
            "engine", "alike in content, but not the same picture: few local features match")
    if level is not None and same_grid(ev, rule):
        return QT_TRANSLATE_NOOP(
            "engine", "the same picture on the same grid: too few local features to align by, "
                      "but its fine detail agrees wherever nothing was drawn over it")
    if level is not None:
        return QT_TRANSLATE_NOOP("engine", "very alike to the CNN, with close perceptual hashes")
    if math.isfinite(ev.cosine) and ev.cosine >= 0.5:
        return QT_TRANSLATE_NOOP("engine", "alike in content (CNN similarity)")
    return QT_TRANSLATE_NOOP("engine", "somewhat alike in content (CNN similarity)")
