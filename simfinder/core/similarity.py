"""How alike two photo contents are: the evidence, the decision rules, a 0..1 score.

Strictness in plain words maps to rules over three pieces of evidence: CNN cosine, and the
Hamming distances of the 64-bit pHash and dHash. Hashes are precise for re-encodes and resizes;
the CNN carries crops and edits the hashes miss; demanding both for borderline cosines keeps
different shots of one scene apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Strictness(str, Enum):
    STRICT = "strict"
    NORMAL = "normal"
    LOOSE = "loose"


@dataclass(frozen=True, slots=True)
class Evidence:
    cosine: float  # CNN embedding cosine, -1..1
    phash_distance: int  # 0..64
    dhash_distance: int  # 0..64


@dataclass(frozen=True, slots=True)
class MatchRule:
    # A pair is a near-duplicate if its cosine reaches `cosine_alone`, or if both hashes are
    # within their limits and the cosine reaches `cosine_with_hashes`, or if the hashes are
    # (nearly) identical and the cosine reaches `cosine_same_hashes`: blur and greyscale move
    # the CNN a long way but leave the low frequencies, and so the hashes, untouched.
    cosine_alone: float
    cosine_with_hashes: float
    max_phash: int
    max_dhash: int
    cosine_same_hashes: float
    same_hash_bits: int


# Measured on the shared peer suites (bench/): re-encodes, resizes and format changes of one
# photo keep pHash/dHash within 2 bits and cosine >= 0.93; shots of one scene seconds apart reach
# cosine 0.96 with hashes 8-20 bits apart; other views of one object reach 0.93 (hashes >= 6).
RULES: dict[Strictness, MatchRule] = {
    Strictness.STRICT: MatchRule(cosine_alone=0.985, cosine_with_hashes=0.90, max_phash=4,
                                 max_dhash=4, cosine_same_hashes=0.80, same_hash_bits=1),
    Strictness.NORMAL: MatchRule(cosine_alone=0.97, cosine_with_hashes=0.88, max_phash=6,
                                 max_dhash=6, cosine_same_hashes=0.70, same_hash_bits=2),
    Strictness.LOOSE: MatchRule(cosine_alone=0.94, cosine_with_hashes=0.85, max_phash=10,
                                max_dhash=12, cosine_same_hashes=0.65, same_hash_bits=4),
}


def is_near_duplicate(ev: Evidence, strictness: Strictness) -> bool:
    rule = RULES[strictness]
    if ev.cosine >= rule.cosine_alone:
        return True
    if (
        ev.cosine >= rule.cosine_same_hashes
        and ev.phash_distance <= rule.same_hash_bits
        and ev.dhash_distance <= rule.same_hash_bits
    ):
        return True
    return (
        ev.cosine >= rule.cosine_with_hashes
        and ev.phash_distance <= rule.max_phash
        and ev.dhash_distance <= rule.max_dhash
    )


def match_kind(ev: Evidence, *, same_content: bool = False) -> str:
    """A plain word for how two photos relate: exact, near-duplicate or similar."""
    if same_content:
        return "exact"
    if is_near_duplicate(ev, Strictness.NORMAL):
        return "near-duplicate"
    return "similar"


def score(ev: Evidence, *, same_content: bool = False) -> float:
    """0..1, higher is more alike: the CNN cosine, lifted when the hashes agree too."""
    if same_content:
        return 1.0
    base = max(0.0, min(1.0, ev.cosine))
    hash_agreement = max(0.0, 1.0 - (ev.phash_distance + ev.dhash_distance) / 64.0)
    # Hash agreement closes up to half the remaining gap to 1.0: a re-encode outranks a
    # different shot with the same cosine.
    return round(base + (1.0 - base) * 0.5 * hash_agreement**2, 4)
