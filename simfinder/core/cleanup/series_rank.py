"""Ranking the shots of one series: the one a person culling would keep, and why, in words.

Every measure is read against the series' other shots (`shot_quality`): sharpness where the
series' subject is (the saliency of all its shots averaged into one map, or its faces), motion
blur, clipped highlights and shadows, noise; where faces are found, the faces' detail and how
open their eyes look. A reason is given only where the shots differ enough for a person to
see it: of three equally sharp shots none is "sharpest".
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simfinder.core.photos.shot_quality import Face, ShotQuality
from simfinder.core.translatable import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

# Differences a person sees between shots of one scene (log of the mean squared Laplacian:
# 0.5 is about a third less fine detail; a defocused or shaken shot is 2-4 below a sharp one).
_SHARPER = 0.5
_STREAKED = 0.25  # coherence above the series' lowest: one way of motion blur
_CLIPPED = 0.01  # share of the frame more blown or crushed
_NOISIER = 1.3  # times the least noisy shot's noise
# The eye cascade's confidence in a face's eyes (shot_quality.Face.eyes) this much below
# another shot's of the same face: eyes shut or half shut. Between shots of open eyes it
# varies by up to 0.8; a blink takes 1.5 (half shut) to 2.3 off it (bench/eyes_open.py).
_EYES_OPEN = 1.0
_SAME_FACE = 0.5  # overlap (intersection over union) of two shots' boxes of one face


@dataclass(frozen=True, slots=True)
class ShotRank:
    """One shot's place in its series (0: the pick) and the reasons it is the pick, or what
    it lacks against the pick, in plain words."""

    index: int  # position in the series as given
    place: int
    score: float
    reasons: tuple[str, ...]


def rank_shots(shots: Sequence[ShotQuality | None]) -> list[ShotRank]:
    """The shots in the order a person would keep them, best first. A shot without measures
    (it could not be read) goes last, with no reasons."""
    measured = [(i, q) for i, q in enumerate(shots) if q is not None]
    if not measured:
        return [ShotRank(i, i, 0.0, ()) for i in range(len(shots))]
    qs = [q for _, q in measured]
    subject = _subject_map(qs)
    sharp = np.array([float((q.detail * subject).sum()) for q in qs])
    streak = np.array([q.streak for q in qs])
    clipped = np.array([q.blown + q.crushed for q in qs])
    noise = np.log(np.array([max(q.noise, 0.05) for q in qs]))
    face_detail, shut = _face_scores(qs)

    # Points, in units of "a difference a person sees", against the best of the series.
    score = ((sharp - sharp.max()) / _SHARPER
             - (streak - streak.min()) / _STREAKED
             - (clipped - clipped.min()) / _CLIPPED
             - 0.5 * _extra_noise(noise, sharp) / math.log(_NOISIER))
    if face_detail is not None:
        score += (face_detail - np.nanmax(face_detail)) / _SHARPER
    if shut is not None:
        # A face with its eyes shut costs at least two differences a person sees.
        score -= 2.0 * shut / _EYES_OPEN
    order = sorted(range(len(qs)), key=lambda k: (-score[k], measured[k][0]))
    best = order[0]
    out: list[ShotRank] = []
    for place, k in enumerate(order):
        reasons = (_why_best(best, sharp, streak, clipped, noise, face_detail, shut)
                   if place == 0 else
                   _what_it_lacks(k, best, sharp, streak, clipped, noise, face_detail, shut))
        out.append(ShotRank(measured[k][0], place, round(float(score[k]), 3), reasons))
    unread = [i for i, q in enumerate(shots) if q is None]
    out.extend(ShotRank(i, len(qs) + n, float("-inf"), ()) for n, i in enumerate(unread))
    return out


def _extra_noise(noise: np.ndarray, sharp: np.ndarray) -> np.ndarray:
    """Each shot's noise above the least noisy of the shots about as sharp as it or sharper:
    blur smooths noise away, and a blurred shot must not make the sharp one look noisy."""
    out = np.zeros(len(noise))
    for k in range(len(noise)):
        peers = sharp >= sharp[k] - _SHARPER
        out[k] = noise[k] - noise[peers].min()
    return out


def _subject_map(qs: Sequence[ShotQuality]) -> np.ndarray:
    """Where the series' subject is: its faces, if any shot has some, else the saliency of
    its shots averaged (the shots are of one scene, so their subject lies about where)."""
    grid = qs[0].detail.shape[0]
    faces = [f for q in qs for f in q.faces]
    if faces:
        weights = np.zeros((grid, grid), np.float64)
        for f in faces:
            x, y, w, h = f.box
            x0, y0 = int(x * grid), int(y * grid)
            x1, y1 = max(x0 + 1, math.ceil((x + w) * grid)), max(y0 + 1, math.ceil((y + h) * grid))
            weights[y0:y1, x0:x1] += 1.0
        out: np.ndarray = weights / weights.sum()
        return out
    mean = np.mean([q.saliency for q in qs], axis=0).astype(np.float64)
    # The most salient fifth of the frame is the subject; the rest counts a little.
    cut = np.quantile(mean, 0.8)
    weights = np.where(mean >= cut, mean, 0.1 * mean)
    subject: np.ndarray = weights / weights.sum()
    return subject


def _face_scores(qs: Sequence[ShotQuality]) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per shot, the mean over the series' faces of each face's detail, and how shut their
    eyes are: over the faces whose eye measure is visibly below that face's best shot's,
    how far below (0: no face with its eyes shut). The same face is matched between shots by
    its box; None, None when no face is seen in two shots."""
    tracks: list[list[Face | None]] = []
    for n, q in enumerate(qs):
        for f in q.faces:
            track = next((t for t in tracks if t[n] is None and any(
                g is not None and _overlap(g.box, f.box) >= _SAME_FACE for g in t)), None)
            if track is None:
                track = [None] * len(qs)
                tracks.append(track)
            track[n] = f
    tracks = [t for t in tracks if sum(f is not None for f in t) >= 2]
    if not tracks:
        return None, None
    detail = np.zeros(len(qs))
    shut = np.zeros(len(qs))
    for t in tracks:
        d = np.array([f.detail if f is not None else np.nan for f in t])
        e = np.array([f.eyes if f is not None else np.nan for f in t])
        # A face the cascade missed in a shot counts as average there: detection is
        # not sure enough to count a miss against the shot.
        detail += np.where(np.isnan(d), np.nanmean(d), d)
        # Eyes count only where they visibly differ (the measure varies between open
        # eyes), face by face: one face blinking in a group is a shot to drop.
        below = np.nan_to_num(np.nanmax(e) - e)
        shut += np.where(below >= _EYES_OPEN, below, 0.0)
    return detail / len(tracks), shut


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _why_best(
    k: int, sharp: np.ndarray, streak: np.ndarray, clipped: np.ndarray, noise: np.ndarray,
    face_detail: np.ndarray | None, shut: np.ndarray | None,
) -> tuple[str, ...]:
    """The ways the pick is visibly better than at least one other shot."""
    reasons: list[str] = []
    if face_detail is not None and face_detail[k] >= face_detail.max() - 0.1 \
            and face_detail[k] - face_detail.min() >= _SHARPER:
        reasons.append(QT_TRANSLATE_NOOP("engine", "faces in focus"))
    elif sharp[k] >= sharp.max() - 0.1 and sharp[k] - sharp.min() >= _SHARPER:
        reasons.append(QT_TRANSLATE_NOOP("engine", "sharpest"))
    if shut is not None and shut[k] == 0 and shut.max() > 0:
        reasons.append(QT_TRANSLATE_NOOP("engine", "eyes open"))
    if streak[k] <= streak.min() + 0.05 and streak.max() - streak[k] >= _STREAKED:
        reasons.append(QT_TRANSLATE_NOOP("engine", "no motion blur"))
    if clipped[k] <= clipped.min() + 0.002 and clipped.max() - clipped[k] >= _CLIPPED:
        reasons.append(QT_TRANSLATE_NOOP("engine", "best exposed"))
    if noise[k] <= noise.min() + 0.05 and noise.max() - noise[k] >= math.log(_NOISIER) \
            and sharp[k] >= sharp.max() - _SHARPER:
        reasons.append(QT_TRANSLATE_NOOP("engine", "least noise"))
    if not reasons:
        reasons.append(QT_TRANSLATE_NOOP("engine", "as good as the others"))
    return tuple(reasons)


def _what_it_lacks(
    k: int, best: int, sharp: np.ndarray, streak: np.ndarray, clipped: np.ndarray,
    noise: np.ndarray, face_detail: np.ndarray | None, shut: np.ndarray | None,
) -> tuple[str, ...]:
    """How a shot is visibly worse than the pick."""
    out: list[str] = []
    if face_detail is not None and face_detail[best] - face_detail[k] >= _SHARPER:
        out.append(QT_TRANSLATE_NOOP("engine", "faces less sharp"))
    elif sharp[best] - sharp[k] >= _SHARPER:
        out.append(QT_TRANSLATE_NOOP("engine", "less sharp"))
    if shut is not None and shut[k] > shut[best]:
        out.append(QT_TRANSLATE_NOOP("engine", "eyes closed"))
    if streak[k] - streak[best] >= _STREAKED:
        out.append(QT_TRANSLATE_NOOP("engine", "motion blur"))
    if clipped[k] - clipped[best] >= _CLIPPED:
        out.append(QT_TRANSLATE_NOOP("engine", "clipped highlights or shadows"))
    if noise[k] - noise[best] >= math.log(_NOISIER) and sharp[k] >= sharp[best] - _SHARPER:
        out.append(QT_TRANSLATE_NOOP("engine", "noisier"))
    return tuple(out)
