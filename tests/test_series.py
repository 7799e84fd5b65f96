"""Similar shots: series of one scene found, copies counted as one shot, the best shot picked
with its reasons, brackets kept whole, and "keep all" remembered."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter

from simfinder.core.cleanup.series_rank import rank_shots
from simfinder.core.photos.shot_quality import measure_image
from tests.photos import sample, save
from tests.test_cli import run


def _motion_blurred(image: Image.Image, length: int = 15) -> Image.Image:
    import cv2

    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return Image.fromarray(cv2.filter2D(np.asarray(image), -1, kernel))


def _burst(root: Path) -> dict[str, Path]:
    """Three frames of one scene, numbered as a camera numbers them: the second defocused,
    the third shaken; the sharp one also backed up as a byte copy elsewhere."""
    scene = sample("astronaut.png").convert("RGB")
    frames = {
        "IMG_0001": scene.filter(ImageFilter.GaussianBlur(3)),
        "IMG_0002": scene,
        "IMG_0003": _motion_blurred(scene),
    }
    out = {name: save(image, root / "burst" / f"{name}.jpg", quality=92)
           for name, image in frames.items()}
    backup = root / "backup" / "IMG_0002.jpg"
    backup.parent.mkdir(parents=True)
    shutil.copyfile(out["IMG_0002"], backup)
    out["backup"] = backup
    out["other"] = save(sample("coffee.png"), root / "burst" / "IMG_0100.jpg", quality=92)
    return out


def test_the_sharp_shot_is_picked_and_the_blurred_are_ranked_below_with_reasons() -> None:
    scene = sample("astronaut.png").convert("RGB")
    shots = [measure_image(scene.filter(ImageFilter.GaussianBlur(2.5))),
             measure_image(_motion_blurred(scene)), measure_image(scene)]
    ranks = rank_shots(shots)
    assert ranks[0].index == 2
    assert {"sharpest", "faces in focus"} & set(ranks[0].reasons)
    worse = {r.index: r.reasons for r in ranks[1:]}
    assert {"less sharp", "faces less sharp"} & set(worse[0])
    assert "motion blur" in worse[1]


def test_a_blown_out_shot_is_not_the_pick() -> None:
    scene = sample("coffee.png").convert("RGB")
    blown = ImageEnhance.Brightness(scene).enhance(1.8)
    ranks = rank_shots([measure_image(blown), measure_image(scene)])
    assert ranks[0].index == 1
    assert "best exposed" in ranks[0].reasons
    assert "clipped highlights or shadows" in ranks[1].reasons


def test_series_are_found_ranked_and_kept_whole_on_request(tmp_path: Path,
                                                           embedder: object) -> None:
    photos = _burst(tmp_path / "photos")
    lib = tmp_path / "lib"
    assert run("--library", str(lib), "index", str(tmp_path / "photos")).returncode == 0

    result = run("--library", str(lib), "series", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert len(doc["series"]) == 1
    series = doc["series"][0]
    assert series["kind"] == "series"
    shots = series["shots"]
    # Three shots: the byte copy in backup/ is the same shot as the sharp frame.
    assert len(shots) == 3
    best = shots[0]
    assert best["best"]
    assert "sharpest" in best["reasons"] or "faces in focus" in best["reasons"]
    assert {f["path"] for f in best["files"]} == {str(photos["IMG_0002"]),
                                                  str(photos["backup"])}
    assert all(f["keep"] for s in shots for f in s["files"])  # nothing marked for removal
    assert str(photos["other"]) not in result.stdout

    text = run("--library", str(lib), "series")
    assert "Series 1: 3 similar shots" in text.stdout
    assert "1 series, 3 shots" in text.stdout

    kept = run("--library", str(lib), "series", "--keep-all", "1")
    assert kept.returncode == 0 and "keep all 3 shots" in kept.stdout
    after = json.loads(run("--library", str(lib), "series", "--json").stdout)
    assert after["series"] == []
    listed = json.loads(run("--library", str(lib), "series", "--json", "--all").stdout)
    assert listed["series"][0]["decided"]
    decision = listed["series"][0]["decision"]["id"]
    assert run("--library", str(lib), "series", "--undo", str(decision)).returncode == 0
    assert len(json.loads(run("--library", str(lib), "series", "--json").stdout)["series"]) == 1

    # `decisions` lists a series' "keep all" beside the duplicates' (as s1), and undoes it.
    kept = run("--library", str(lib), "series", "--keep-all", "1")
    assert "decisions undo s" in kept.stdout
    listing = run("--library", str(lib), "decisions")
    line = next(x for x in listing.stdout.splitlines() if "similar shots" in x)
    ref = line.split()[0]
    assert ref.startswith("s") and "Keep all (similar shots): 4 photos" in line
    doc = json.loads(run("--library", str(lib), "decisions", "--json").stdout)
    assert [(d["about"], d["ref"]) for d in doc["decisions"]] == [("series", ref)]
    assert run("--library", str(lib), "decisions", "undo", "s999").returncode == 2
    undone = run("--library", str(lib), "decisions", "undo", ref)
    assert undone.returncode == 0, undone.stderr
    assert len(json.loads(run("--library", str(lib), "series", "--json").stdout)["series"]) == 1
    assert "No decisions yet" in run("--library", str(lib), "decisions").stdout


def test_keep_only_the_best_trashes_the_other_shots_and_undo_puts_them_back(
        tmp_path: Path, embedder: object, temp_trash: Path) -> None:
    photos = _burst(tmp_path / "photos")
    lib = tmp_path / "lib"
    assert run("--library", str(lib), "index", str(tmp_path / "photos")).returncode == 0
    blurred = {str(photos["IMG_0001"]), str(photos["IMG_0003"])}

    dry = run("--library", str(lib), "series", "--keep-best", "1", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert set(dry.stdout.splitlines()[:2]) == blurred
    assert all(Path(p).exists() for p in blurred)

    done = run("--library", str(lib), "series", "--keep-best", "all")
    assert done.returncode == 0, done.stderr
    assert "Moved 2 photos" in done.stdout
    assert not any(Path(p).exists() for p in blurred)
    # The best shot and its copy stay; the trash holds the two others.
    assert photos["IMG_0002"].exists() and photos["backup"].exists()
    assert len(list((temp_trash / "files").iterdir())) == 2

    assert run("--library", str(lib), "undo").returncode == 0
    assert all(Path(p).exists() for p in blurred)


def test_a_bracket_keeps_every_exposure_and_picks_none(tmp_path: Path,
                                                       embedder: object) -> None:
    scene = sample("chelsea.png").convert("RGB")
    root = tmp_path / "photos"
    for n, factor in enumerate((0.55, 1.0, 1.6), start=1):
        save(ImageEnhance.Brightness(scene).enhance(factor), root / f"DSC_{n:04d}.jpg",
             quality=92)
    lib = tmp_path / "lib"
    assert run("--library", str(lib), "index", str(root)).returncode == 0
    doc = json.loads(run("--library", str(lib), "series", "--json").stdout)
    assert len(doc["series"]) == 1
    bracket = doc["series"][0]
    assert bracket["kind"] == "bracket" and bracket["freeable_bytes"] == 0
    assert not any(s["best"] for s in bracket["shots"])
    assert all("bracket" in s["reasons"] for s in bracket["shots"])


def test_a_shot_that_cannot_be_read_goes_last_without_reasons() -> None:
    scene = sample("coffee.png").convert("RGB")
    ranks = rank_shots([None, measure_image(scene), measure_image(scene.filter(
        ImageFilter.GaussianBlur(3)))])
    assert [r.index for r in ranks] == [1, 2, 0]
    assert ranks[-1].reasons == ()


def test_the_faces_of_a_series_are_searched_once_and_measured_on_every_shot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from simfinder.core.matching import series as series_module
    from simfinder.core.photos.shot_quality import face_boxes, measure_without_faces

    photos = _burst(tmp_path)
    frames = [photos[name] for name in ("IMG_0001", "IMG_0002", "IMG_0003")]
    reframed = save(sample("astronaut.png").convert("RGB").crop((60, 0, 400, 300)),
                    tmp_path / "burst" / "IMG_0004.jpg", quality=92)
    searched: list[int] = []

    def counting(grey):  # type: ignore[no-untyped-def]
        searched.append(grey.shape[1])
        return face_boxes(grey)

    monkeypatch.setattr(series_module, "face_boxes", counting)
    measured = [(n, measure_without_faces(p)) for n, p in enumerate(frames)]
    qualities, searches = series_module.series_faces(measured)
    # One search for the three frames of one framing, on the sharp one; every frame has the
    # astronaut's face measured where it is, the blurred ones' with less detail.
    assert searches == 1 and len(searched) == 1
    assert all(len(qualities[n].faces) >= 1 for n in range(3))
    sharp = measure_image(Image.open(frames[1]))
    assert qualities[1].faces == sharp.faces
    assert qualities[1].faces[0].detail > qualities[0].faces[0].detail + 0.5
    ranks = rank_shots([qualities[n] for n in range(3)])
    assert ranks[0].index == 1 and "faces in focus" in ranks[0].reasons
    # A shot framed otherwise is searched itself.
    _, searches = series_module.series_faces([*measured, (3, measure_without_faces(reframed))])
    assert searches == 2


BLINK = Path(__file__).parent / "data" / "blink"  # frames 21, 24 (eyes open), 27 (a blink)


def test_a_series_with_a_blink_picks_a_frame_with_the_eyes_open(tmp_path: Path,
                                                                  embedder: object) -> None:
    # The blink first in file order: the frames are otherwise alike, so nothing but the
    # eyes puts another frame before it.
    photos = tmp_path / "photos"
    photos.mkdir()
    for name, new in (("frame_0027.jpg", "IMG_0001.jpg"), ("frame_0024.jpg", "IMG_0002.jpg"),
                      ("frame_0021.jpg", "IMG_0003.jpg")):
        shutil.copyfile(BLINK / name, photos / new)
    lib = tmp_path / "lib"
    assert run("--library", str(lib), "index", str(photos)).returncode == 0

    result = run("--library", str(lib), "series", "--json")
    assert result.returncode == 0, result.stderr
    series = json.loads(result.stdout)["series"]
    assert len(series) == 1 and len(series[0]["shots"]) == 3
    best, *rest = series[0]["shots"]
    assert Path(best["files"][0]["path"]).name in {"IMG_0002.jpg", "IMG_0003.jpg"}
    assert "eyes open" in best["reasons"]
    blink = rest[-1]
    assert Path(blink["files"][0]["path"]).name == "IMG_0001.jpg"
    assert "eyes closed" in blink["reasons"]
    # The other frame with the eyes open is not said to have them closed.
    assert "eyes closed" not in rest[0]["reasons"]


def test_frames_with_the_eyes_open_alike_are_not_told_apart_by_the_eyes() -> None:
    ranks = rank_shots([measure_image(Image.open(BLINK / name).convert("RGB"))
                        for name in ("frame_0021.jpg", "frame_0024.jpg")])
    reasons = {reason for r in ranks for reason in r.reasons}
    assert not reasons & {"eyes open", "eyes closed"}


def test_one_face_blinking_in_a_group_is_the_shot_not_picked() -> None:
    import dataclasses

    from simfinder.core.photos.shot_quality import Face, ShotQuality

    # Two shots of two people, alike but for the eyes: in the first the second person
    # blinks. Averaged over the two faces the blink would be half as deep and not count.
    base = measure_image(Image.open(BLINK / "frame_0024.jpg").convert("RGB"))
    left, right = (0.1, 0.2, 0.3, 0.5), (0.6, 0.2, 0.3, 0.5)

    def shot(right_eyes: float) -> ShotQuality:
        faces = (Face(left, 3.0, 3.2), Face(right, 3.0, right_eyes))
        return dataclasses.replace(base, faces=faces)

    ranks = rank_shots([shot(1.8), shot(3.1)])
    assert ranks[0].index == 1 and "eyes open" in ranks[0].reasons
    assert "eyes closed" in ranks[1].reasons
