"""What a person culling a series looks at in one shot, measured: sharpness where the subject
is, motion blur, exposure, noise, and the faces (in focus, eyes open).

The measures are meant to be compared between shots of one scene (`series_rank`), not read
alone: a night street is darker and noisier than a beach at noon, but of two shots of the same
night street the noisier one is the worse. So each shot keeps maps on a common grid (how much
fine detail each part holds, how salient each part is): the series averages the saliency of
its shots into one subject map, and each shot's sharpness is read under that same map; a
sharp background behind a blurred subject does not make a sharp shot.

Faces come from OpenCV's frontal-face cascade (haarcascade_frontalface_alt2.xml, in its 4.x
wheels). The cascade is much of the cost of measuring a shot, so the shots of a series that
line up are searched once (`face_boxes` on one of them, `faces_at` on each: see
matching.series); a shot measured alone (`measure_image`) is searched itself. Whether eyes
are open is read with OpenCV's eye cascade (haarcascade_eye.xml, in OpenCV's wheels), which
was trained on open eyes: on the upper part of each face, how sure it is of the two eyes it
finds best. A shut or half-shut eye is found with little confidence or not at all. The
measure only means something between shots of the same face.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from simfinder.core.photos.decode import DecodedPhoto, decode_photo

log = logging.getLogger(__name__)

# Bump when a change here changes measures: stored measures are redone. 3: the faces of a
# series' shots that line up are found once, on its sharpest shot, and measured on each.
# 4: faces found, and eyes open read, by OpenCV's cascades.
QUALITY_VERSION: Final = 4
ANALYSIS_SIDE: Final = 1024  # longest side the measures are taken at
FACE_SIDE: Final = 360  # longest side faces are looked for at
GRID: Final = 16  # cells across and down of the detail and saliency maps
_SALIENCY_SIDE: Final = 64  # spectral residual saliency works on a small image
_BLOWN: Final = 250  # grey levels at or above: blown highlights
_CRUSHED: Final = 5  # at or below: crushed shadows
_CLIP_SIDE: Final = 128  # width clipped areas are measured at
_MIN_FACE: Final = 20  # pixels at FACE_SIDE: faces from a sixteenth of the frame up
_FACE_CASCADE: Final = "haarcascade_frontalface_alt2.xml"
_EYE_CASCADE: Final = "haarcascade_eye.xml"
# Face widths the eye cascade reads each face at (its confidence varies with scale: the mean
# over three is steadier between shots of one face), and the share of the face's height from
# its top where the eyes are looked for.
_EYE_FACE_WIDTHS: Final = (160, 200, 240)
_EYE_PART: Final = 0.6

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]
Box = tuple[float, float, float, float]  # x, y, width, height, fractions of the frame


@dataclass(frozen=True, slots=True)
class Face:
    """A face found in the shot: its box in fractions of the frame, how much fine detail it
    holds (log of the mean squared Laplacian) and how open its eyes look (the eye cascade's
    confidence in the two eyes it finds best, 0 for none; comparable between shots of one
    face: open eyes about 2-4, shut ones 0-2 below the same face's open)."""

    box: tuple[float, float, float, float]  # x, y, width, height, fractions of the frame
    detail: float
    eyes: float


@dataclass(frozen=True, slots=True)
class ShotQuality:
    """One shot's measures (see the module's docstring)."""

    detail: F32  # GRID x GRID: log of the mean squared Laplacian of each cell
    saliency: F32  # GRID x GRID, sums to 1: how much each cell draws the eye
    streak: float  # 0..1: how much the fine detail runs one way (motion blur: high)
    blown: float  # share of pixels blown out
    crushed: float  # share of pixels crushed to black
    noise: float  # estimated noise, grey levels (0-255)
    faces: tuple[Face, ...]
    levels: tuple[float, ...] = ()  # grey levels at the 10th, 20th ... 90th percentiles

    def as_json(self) -> dict[str, Any]:
        return {
            "detail": [round(float(v), 3) for v in self.detail.ravel()],
            "saliency": [round(float(v), 5) for v in self.saliency.ravel()],
            "streak": round(self.streak, 4), "blown": round(self.blown, 5),
            "crushed": round(self.crushed, 5), "noise": round(self.noise, 3),
            "faces": [{"box": [round(v, 4) for v in f.box], "detail": round(f.detail, 3),
                       "eyes": round(f.eyes, 4)} for f in self.faces],
            "levels": [round(v, 2) for v in self.levels],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ShotQuality:
        return cls(
            np.asarray(doc["detail"], np.float32).reshape(GRID, GRID),
            np.asarray(doc["saliency"], np.float32).reshape(GRID, GRID),
            float(doc["streak"]), float(doc["blown"]), float(doc["crushed"]),
            float(doc["noise"]),
            tuple(Face((float(f["box"][0]), float(f["box"][1]), float(f["box"][2]),
                        float(f["box"][3])), float(f["detail"]), float(f["eyes"]))
                  for f in doc["faces"]),
            tuple(float(v) for v in doc.get("levels", ())),
        )


@dataclass(frozen=True, slots=True)
class MeasuredShot:
    """A shot's measures but its faces, and the grey image they were taken on (for its
    faces, found on it or on another shot of its series)."""

    quality: ShotQuality
    grey: U8


def measure_shot(path: Path) -> ShotQuality | None:
    """The measures of the photo at `path`; None if it cannot be decoded."""
    measured = measure_without_faces(path)
    if measured is None:
        return None
    return with_faces(measured.quality, faces_at(measured.grey, face_boxes(measured.grey)))


def measure_without_faces(path: Path) -> MeasuredShot | None:
    """The measures of the photo at `path` but its faces; None if it cannot be decoded."""
    decoded = decode_photo(path, ANALYSIS_SIDE)
    if not isinstance(decoded, DecodedPhoto):
        log.info("cannot measure %s: %s", path, decoded.reason)
        return None
    grey = _grey(decoded.image)
    return MeasuredShot(_measures(grey, ()), grey)


def measure_image(image: Image.Image) -> ShotQuality:
    """The measures of an upright image (at ANALYSIS_SIDE or smaller), its faces searched."""
    grey = _grey(image)
    return _measures(grey, faces_at(grey, face_boxes(grey)))


def with_faces(quality: ShotQuality, faces: tuple[Face, ...]) -> ShotQuality:
    return dataclasses.replace(quality, faces=faces)


def overall_detail(quality: ShotQuality) -> float:
    """How much fine detail the shot holds over the whole frame (its sharpest, of a series)."""
    return float(np.mean(quality.detail))


def _grey(image: Image.Image) -> U8:
    rgb = np.asarray(image.convert("RGB"))
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.uint8)


def _measures(grey8: U8, faces: tuple[Face, ...]) -> ShotQuality:
    grey: F32 = grey8.astype(np.float32)
    lap: F32 = np.asarray(cv2.Laplacian(grey, cv2.CV_32F, ksize=3), np.float32)
    # Clipped areas at a scale blur does not change: a blurred shot has no fewer blown pixels
    # than a sharp one of the same light (at full scale blur spreads the edge of a blown area).
    coarse = cv2.resize(grey8, (_CLIP_SIDE, _CLIP_SIDE * grey8.shape[0] // max(grey8.shape[1], 1)
                                or 1), interpolation=cv2.INTER_AREA)
    return ShotQuality(
        detail=_cell_detail(lap),
        saliency=_saliency(grey),
        streak=_streak(grey, lap),
        blown=float(np.mean(coarse >= _BLOWN)),
        crushed=float(np.mean(coarse <= _CRUSHED)),
        noise=_noise(grey),
        faces=faces,
        levels=tuple(float(v) for v in np.percentile(grey8[::2, ::2], range(10, 100, 10))),
    )


def _cells(values: F32) -> F32:
    """`values` averaged over a GRID x GRID grid of cells."""
    out = cv2.resize(values, (GRID, GRID), interpolation=cv2.INTER_AREA)
    return np.asarray(out, np.float32)


def tone_difference(a: ShotQuality, b: ShotQuality) -> float:
    """How far apart two shots' grey levels are at the same ranks, on average: exposures of
    a bracket 20-80, shots of one exposure a few (capture.TONE_STEP)."""
    if not a.levels or len(a.levels) != len(b.levels):
        return 0.0
    return float(np.mean(np.abs(np.subtract(a.levels, b.levels))))


def _cell_detail(lap: F32) -> F32:
    out: F32 = np.log1p(_cells(lap * lap)).astype(np.float32)
    return out


def _saliency(grey: F32) -> F32:
    """Spectral residual saliency (Hou and Zhang, CVPR 2007) on GRID cells: what stands out
    from the image's own statistics (a person against a wall, a boat on the sea)."""
    small = cv2.resize(grey, (_SALIENCY_SIDE, _SALIENCY_SIDE), interpolation=cv2.INTER_AREA)
    spectrum = np.fft.fft2(small)
    log_amp = np.log(np.abs(spectrum) + 1e-6)
    residual = log_amp - cv2.blur(log_amp.astype(np.float32), (3, 3))
    phase = np.angle(spectrum)
    back = np.abs(np.fft.ifft2(np.exp(residual + 1j * phase))) ** 2
    smooth: F32 = np.asarray(cv2.GaussianBlur(back.astype(np.float32), (0, 0), 2.5), np.float32)
    cells = _cells(smooth)
    total = float(cells.sum())
    if not math.isfinite(total) or total <= 0:
        return np.full((GRID, GRID), 1.0 / (GRID * GRID), np.float32)
    out: F32 = (cells / total).astype(np.float32)
    return out


def _streak(grey: F32, lap: F32) -> float:
    """Coherence of the gradient structure tensor summed over the most detailed places: near 0
    where edges run every way, towards 1 when blur along one direction has wiped out the
    edges that cross it (a shaken camera, a moving subject)."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    energy = gx * gx + gy * gy
    strong = energy >= np.quantile(energy[::4, ::4], 0.9)
    if not strong.any():
        return 0.0
    jxx = float(np.sum(gx[strong] ** 2))
    jyy = float(np.sum(gy[strong] ** 2))
    jxy = float(np.sum(gx[strong] * gy[strong]))
    trace = jxx + jyy
    if trace <= 0:
        return 0.0
    return float(math.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy) / trace)


_NOISE_KERNEL: Final = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def _noise(grey: F32) -> float:
    """Noise sigma in grey levels (Immerkaer's operator, which cancels smooth gradients),
    in the flatter half of the image, where detail does not pass for noise: for noise of
    sigma s the operator's mean absolute response is 6 s sqrt(2 / pi)."""
    response = np.abs(cv2.filter2D(grey, cv2.CV_32F, _NOISE_KERNEL))
    local = cv2.blur(response, (9, 9))
    flat = response[local <= np.median(local[::4, ::4])]
    if flat.size == 0:
        return 0.0
    return float(np.mean(flat)) * math.sqrt(math.pi / 2) / 6.0


_THREAD = threading.local()


def _cascade(name: str) -> Any:
    """One of the cascades in OpenCV's wheels (cv2.data.haarcascades); a classifier object
    is not shared between threads, so each thread loads its own."""
    cascades: dict[str, Any] = _THREAD.__dict__.setdefault("cascades", {})
    cascade = cascades.get(name)
    if cascade is None:
        cascade = cv2.CascadeClassifier(
            cv2.data.haarcascades + name)  # type: ignore[attr-defined]
        if cascade.empty():
            raise RuntimeError(f"OpenCV's {name} is missing from cv2.data")
        cascades[name] = cascade
    return cascade


def face_boxes(grey8: U8) -> tuple[Box, ...]:
    """Where the cascade finds faces, in fractions of the frame (searched at FACE_SIDE)."""
    h, w = grey8.shape
    scale = min(1.0, FACE_SIDE / max(h, w))
    small = grey8 if scale >= 1.0 else cv2.resize(
        grey8, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape
    found = _cascade(_FACE_CASCADE).detectMultiScale(
        small, scaleFactor=1.1, minNeighbors=5, minSize=(_MIN_FACE, _MIN_FACE))
    return tuple((float(x) / sw, float(y) / sh, float(fw) / sw, float(fh) / sh)
                 for x, y, fw, fh in found)


def faces_at(grey8: U8, boxes: tuple[Box, ...]) -> tuple[Face, ...]:
    """The faces in these boxes of a shot: each one's fine detail and how open its eyes
    look (the Laplacian taken on the box and a pixel around it, as over the whole frame)."""
    h, w = grey8.shape
    faces: list[Face] = []
    for x, y, fw, fh in boxes:
        x0, y0 = int(x * w), int(y * h)
        x1, y1 = min(w, int((x + fw) * w)), min(h, int((y + fh) * h))
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        mx0, my0 = max(0, x0 - 1), max(0, y0 - 1)
        around = grey8[my0: min(h, y1 + 1), mx0: min(w, x1 + 1)].astype(np.float32)
        lap = cv2.Laplacian(around, cv2.CV_32F, ksize=3)
        face_lap = lap[y0 - my0: y1 - my0, x0 - mx0: x1 - mx0]
        detail = float(np.log1p(np.mean(face_lap * face_lap)))
        faces.append(Face((x, y, fw, fh), detail, _eyes_open(grey8[y0:y1, x0:x1])))
    return tuple(faces)


def _eyes_open(face: U8) -> float:
    """How sure the open-eye cascade is of this face's eyes: the mean confidence (its last
    stage's sum, 0 below) of the two eyes it finds best in the upper part of the face, over
    the face read at a few widths."""
    if face.shape[0] < 8 or face.shape[1] < 8:
        return 0.0
    cascade = _cascade(_EYE_CASCADE)
    readings = []
    for width in _EYE_FACE_WIDTHS:
        height = max(1, round(face.shape[0] * width / face.shape[1]))
        scaled = cv2.resize(face, (width, height), interpolation=cv2.INTER_CUBIC)
        top = scaled[: max(1, int(height * _EYE_PART))]
        _, _, weights = cascade.detectMultiScale3(
            top, scaleFactor=1.05, minNeighbors=1, minSize=(width // 10, width // 10),
            maxSize=(width * 2 // 5, width * 2 // 5), outputRejectLevels=True)
        best = sorted((max(0.0, float(w)) for w in np.ravel(weights)), reverse=True)
        readings.append(sum(best[:2]) / 2)  # a missing eye counts 0
    return float(np.mean(readings))
