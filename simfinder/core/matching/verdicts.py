"""The rules of `similarity`, applied to many pairs at once.

Grouping judges ~10 candidate pairs per photo (~1,000,000 in a library of 100,000 photos, a few
hundred thousand of them verified): one Python call per pair costs seconds. These functions give
the verdicts of `similarity.is_near_duplicate`, `clearly_another_shot` and `settled_by_hashes`
on arrays; a property test holds them to the one-pair rules, which stay the reference (`similar`
and the explanations use them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from simfinder.core.matching.similarity import (
    GRID_MIN_MATCHES,
    GRID_UNMATCHED_AGREEMENT,
    MIN_MATCHES_TO_JUDGE,
    MOVED_DRIFT,
    MOVED_MAX_INLIER_RATIO,
    MOVED_MIN_INLIERS,
    MOVED_MISFIT,
    MOVED_MISFIT_SCATTERED,
    RULES,
    SURE_HASH_BITS,
    MatchRule,
    Strictness,
)
from simfinder.core.matching.verify import Verification

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class EvidenceArrays:
    """`similarity.Evidence` of n pairs, a field an array. Pairs without a verification have
    matches = inliers = 0 and agreement = -inf (nothing any rule can take)."""

    cosine: Floats
    phash: Ints
    dhash: Ints
    turned: Ints  # -1: no turned distance
    matches: Ints
    inliers: Ints
    misfit: Floats
    drift: Floats
    agreement: Floats
    overlap: Floats

    @classmethod
    def unverified(cls, cosine: Floats, phash: Ints, dhash: Ints, turned: Ints) -> EvidenceArrays:
        n = len(cosine)
        return cls(cosine, phash, dhash, turned, np.zeros(n, dtype=np.int64),
                   np.zeros(n, dtype=np.int64), np.full(n, np.inf), np.full(n, np.inf),
                   np.full(n, -np.inf), np.zeros(n))

    def with_verifications(self, found: Mapping[int, Verification]) -> EvidenceArrays:
        """A copy with the verifications of the pairs at the given positions."""
        at = np.fromiter(found, dtype=np.int64, count=len(found))
        table = np.array([[v.matches, v.inliers, v.misfit, v.drift, v.agreement, v.overlap]
                          for v in found.values()], dtype=np.float64).reshape(-1, 6)
        return self.with_measures(at, table)

    def with_measures(self, at: Ints, table: Floats) -> EvidenceArrays:
        """A copy with the verifications of the pairs at positions `at`: a row each of
        matches, inliers, misfit, drift, agreement and overlap."""
        fields = (self.matches.copy(), self.inliers.copy(), self.misfit.copy(),
                  self.drift.copy(), self.agreement.copy(), self.overlap.copy())
        for column, field in enumerate(fields):
            field[at] = table[:, column]
        return EvidenceArrays(self.cosine, self.phash, self.dhash, self.turned, *fields)

    @property
    def inlier_ratio(self) -> Floats:
        ratio: Floats = np.divide(self.inliers, self.matches, out=np.zeros(len(self.matches)),
                                  where=self.matches > 0)
        return ratio


def settled_by_hashes(e: EvidenceArrays) -> Bools:
    """`similarity.settled_by_hashes` of each pair."""
    strict = RULES[Strictness.STRICT]
    turned_close = (e.turned >= 0) & (e.turned <= strict.same_hash_bits)
    out: Bools = (e.cosine >= strict.cosine_same_hashes) & (
        (e.phash + e.dhash <= SURE_HASH_BITS) | turned_close)
    return out


def near_duplicates(e: EvidenceArrays, strictness: Strictness) -> Bools:
    """`similarity.is_near_duplicate` of each pair at `strictness`."""
    rule = RULES[strictness]
    same = _same_layout(e, rule)
    if strictness != Strictness.LOOSE:
        same &= ~_moved_apart(e)
    judged = e.matches >= MIN_MATCHES_TO_JUDGE
    by_features = judged & (_is_copy(e, rule) | ((e.cosine >= rule.scene_cosine)
                                                 & (e.agreement >= rule.scene_agreement)))
    same_grid = (~judged & (e.inliers == 0)
                 & (e.phash + e.dhash <= rule.grid_hash_bits)
                 & (e.agreement >= rule.grid_agreement)
                 & ((e.matches >= GRID_MIN_MATCHES) | (e.agreement >= GRID_UNMATCHED_AGREEMENT)))
    cheap = (e.cosine >= rule.cosine_alone) | (
        (e.cosine >= rule.cosine_with_hashes)
        & (np.maximum(e.phash, e.dhash) <= rule.max_hash_bits))
    out: Bools = np.where(_same_layout(e, rule), same,
                          np.where(judged, by_features, same_grid | cheap))
    return out


def copies_by_features(measures: Floats, strictness: Strictness) -> Bools:
    """Which verifications (rows of matches, inliers, misfit, drift, agreement, overlap) show
    a copy at `strictness` by the features alone: `near_duplicates` takes such a pair
    whatever its cosine and hashes say."""
    n = len(measures)
    none = np.zeros(n, dtype=np.int64)
    e = EvidenceArrays.unverified(np.zeros(n), none, none, none - 1).with_measures(
        np.arange(n), measures)
    out: Bools = (e.matches >= MIN_MATCHES_TO_JUDGE) & _is_copy(e, RULES[strictness])
    return out


def other_shots(e: EvidenceArrays) -> Bools:
    """`similarity.clearly_another_shot` of each pair."""
    out: Bools = _moved_apart(e) & ~near_duplicates(e, Strictness.LOOSE)
    return out


def _same_layout(e: EvidenceArrays, rule: MatchRule) -> Bools:
    turned_close = (e.turned >= 0) & (e.turned <= rule.same_hash_bits)
    out: Bools = (e.cosine >= rule.cosine_same_hashes) & (
        (e.phash + e.dhash <= rule.same_hash_bits) | turned_close)
    return out


def _moved_apart(e: EvidenceArrays) -> Bools:
    out: Bools = (e.inliers >= MOVED_MIN_INLIERS) & (
        ((e.misfit >= MOVED_MISFIT) & (e.drift >= MOVED_DRIFT))
        | ((e.misfit >= MOVED_MISFIT_SCATTERED) & (e.inlier_ratio < MOVED_MAX_INLIER_RATIO)))
    return out


def _is_copy(e: EvidenceArrays, rule: MatchRule) -> Bools:
    ratio = e.inlier_ratio
    precise = (e.misfit <= rule.max_misfit) | (
        (e.misfit <= rule.max_misfit_consistent) & (ratio >= rule.consistent_ratio))
    nothing_moved = (e.drift <= rule.max_drift) | (
        np.isinf(e.drift) & (ratio >= rule.sparse_ratio)
        & (e.agreement >= rule.sparse_agreement))
    out: Bools = (precise & (e.inliers >= rule.min_inliers)
                  & (ratio >= rule.min_inlier_ratio) & (e.agreement >= rule.min_agreement)
                  & nothing_moved & (e.overlap >= rule.min_overlap))
    return out

