"""Another exposure or moment of a scene is not a copy: the capture data and the pixels of the
originals say so where the thumbnails cannot (issue: other shots are not copies)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance, TiffImagePlugin

from simfinder.app.usecases import EmbedderProvider
from simfinder.core.indexing.indexer import Indexer
from simfinder.core.matching.capture import (
    OTHER_EXPOSURE_DETAIL,
    CaptureCheck,
    capture_data,
    capture_difference,
    clipped_detail,
    judge_capture,
)
from simfinder.core.matching.grouping import find_duplicate_groups
from simfinder.core.matching.search import find_similar
from simfinder.core.matching.similarity import Strictness
from simfinder.core.store.library import Library
from tests.photos import sample


def save_with_capture(im: Image.Image, path: Path, *, moment: str | None = None,
                      subsec: str | None = None, exposure: tuple[int, int] | None = None,
                      quality: int = 92) -> Path:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS 550D"
    ifd = exif.get_ifd(0x8769)
    if moment is not None:
        ifd[0x9003] = moment
    if subsec is not None:
        ifd[0x9291] = subsec
    if exposure is not None:
        ifd[0x829A] = TiffImagePlugin.IFDRational(*exposure)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, quality=quality, exif=exif)
    return path


def frame(seed: int, size: int = 512) -> Image.Image:
    """A frame of a still camera: the same scene, its own sensor noise."""
    base = np.asarray(sample("chelsea.png", size), np.float32)
    noise = np.random.default_rng(seed).normal(0, 3.0, base.shape)
    return Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))


def test_capture_data_tells_another_moment_and_another_exposure(tmp_path: Path) -> None:
    im = frame(0)
    first = save_with_capture(im, tmp_path / "IMG_1.jpg", moment="2024:05:01 10:00:00",
                              subsec="10", exposure=(1, 60))
    later = save_with_capture(frame(1), tmp_path / "IMG_2.jpg", moment="2024:05:01 10:00:00",
                              subsec="45", exposure=(1, 60))
    darker = save_with_capture(im, tmp_path / "IMG_3.jpg", moment="2024:05:01 10:00:00",
                               subsec="10", exposure=(1, 250))
    edit = save_with_capture(ImageEnhance.Brightness(im).enhance(1.2), tmp_path / "edit.jpg",
                             moment="2024:05:01 10:00:00", subsec="10", exposure=(1, 60))
    stripped = tmp_path / "IMG-20240501-WA0001.jpg"
    im.save(stripped, quality=70)

    data = capture_data(first)
    assert data is not None and data.moment == "2024:05:01 10:00:00.10"
    assert "another moment" in (capture_difference(data, capture_data(later)) or "")
    assert capture_difference(data, capture_data(darker)) == (
        "another exposure of the scene (1/60 s and 1/250 s)")
    assert capture_difference(data, capture_data(edit)) is None  # an edit keeps them
    no_subsec = save_with_capture(im, tmp_path / "export.jpg", moment="2024:05:01 10:00:00",
                                  exposure=(1, 60))
    assert capture_difference(data, capture_data(no_subsec)) is None  # fewer digits, one moment
    assert capture_data(stripped) is None  # a messenger's copy lost them: no evidence
    assert capture_difference(data, capture_data(stripped)) is None


def bracket(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two exposures of one high-contrast scene two stops apart (each with its own noise), and
    a copy of the bright one with its highlights pushed further."""
    grey = np.asarray(sample("camera.png", 512).convert("L"), np.float32) / 255.0
    rng = np.random.default_rng(1)
    texture = rng.normal(0, 1, grey.shape)  # fine detail everywhere, as foliage or gravel
    scene = np.exp(9.0 * (grey - 0.5) + 0.5 * texture)  # ~13 stops of light

    def expose(gain: float) -> Image.Image:
        encoded = np.clip(scene * gain, 0, 1) ** (1 / 2.2) * 255
        noisy = encoded + rng.normal(0, 1.0, scene.shape)  # each frame's own noise
        return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))

    dark = expose(0.004)
    bright = expose(0.25)
    bright_path = tmp_path / "bright.png"
    bright.save(bright_path)
    dark_path = tmp_path / "dark.png"
    dark.save(dark_path)
    copy = tmp_path / "bright-edit.jpg"
    ImageEnhance.Brightness(bright).enhance(1.3).save(copy, quality=90)
    return dark_path, bright_path, copy


def test_two_exposures_each_show_detail_where_the_other_is_clipped(tmp_path: Path) -> None:
    dark, bright, copy = bracket(tmp_path)
    detail = clipped_detail(dark, bright)
    assert detail is not None and detail >= OTHER_EXPOSURE_DETAIL
    check = judge_capture(dark, bright)
    assert check is not None and check.other_capture
    assert "blown out or black" in check.reason
    # A copy brightened further blows more, but never shows detail its source had clipped.
    edited = clipped_detail(bright, copy)
    assert edited is not None and edited < OTHER_EXPOSURE_DETAIL / 2
    same = judge_capture(bright, copy)
    assert same is not None and not same.other_capture


def test_a_photo_that_cannot_be_read_now_is_not_judged(tmp_path: Path) -> None:
    dark = bracket(tmp_path)[0]
    assert judge_capture(dark, tmp_path / "offline" / "bright.png") is None


@pytest.fixture
def burst_library(tmp_path: Path, embedder: EmbedderProvider) -> tuple[Library, Path]:
    photos = tmp_path / "photos"
    for k in range(3):  # three frames of a burst, a fraction of a second apart
        save_with_capture(frame(k), photos / f"IMG_{k}.jpg", moment="2024:05:01 10:00:00",
                          subsec=f"{10 + 20 * k}", exposure=(1, 125))
    first = Image.open(photos / "IMG_0.jpg")
    save_with_capture(first.resize((256, 256)), photos / "export" / "IMG_0-small.jpg",
                      moment="2024:05:01 10:00:00", subsec="10", exposure=(1, 125), quality=80)
    lib = Library.open(tmp_path / "library")
    Indexer(lib, embedder).run([photos])
    return lib, photos


def names(groups: list) -> list[set[str]]:  # type: ignore[type-arg]
    return [{Path(p.path).name for p in g.photos} for g in groups]


def test_burst_frames_are_never_copies_at_strict_or_normal_but_the_export_is(
        burst_library: tuple[Library, Path], embedder: EmbedderProvider) -> None:
    lib, photos = burst_library
    for strictness in (Strictness.STRICT, Strictness.NORMAL):
        assert names(find_duplicate_groups(lib, strictness)) == [{"IMG_0.jpg", "IMG_0-small.jpg"}]
    # `similar` calls another frame a similar shot, the export a near-duplicate.
    hits = {Path(h.photo.path).name: h for h in find_similar(lib, photos / "IMG_0.jpg", embedder)}
    assert hits["IMG_0-small.jpg"].match == "near-duplicate"
    assert hits["IMG_1.jpg"].match == "similar shot"
    assert hits["IMG_1.jpg"].kind == "similar"
    assert hits["IMG_1.jpg"].score < hits["IMG_0-small.jpg"].score
    lib.close()


def test_the_capture_checks_a_grouping_asks_run_on_both_cores(
        burst_library: tuple[Library, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # Each check decodes two originals at 768 px and more: the joins that ask are judged
    # side by side, not one at a time, and the groups are the same.
    from simfinder.core.matching import capture_checks

    lib, _ = burst_library
    with lib.catalog.transaction():
        lib.catalog._db.execute("DELETE FROM capture_checks")  # as before the comparing stage
    threads: set[int] = set()

    def judged_on_a_thread(a: Path, b: Path) -> CaptureCheck | None:
        threads.add(threading.get_ident())
        time.sleep(0.05)  # long enough for the other worker to take the next pair
        return judge_capture(a, b)

    monkeypatch.setattr(capture_checks, "judge_capture", judged_on_a_thread)
    groups = find_duplicate_groups(lib, Strictness.NORMAL)
    assert names(groups) == [{"IMG_0.jpg", "IMG_0-small.jpg"}]
    # two workers judged the joins; a join a check changed was asked after, as it came
    assert len(threads - {threading.get_ident()}) == 2
    lib.close()


def test_frames_of_a_numbered_sequence_are_other_captures(tmp_path: Path) -> None:
    from simfinder.core.matching.capture import other_frame

    frames = [tmp_path / f"frame_{k:04d}.png" for k in range(2)]
    for k, path in enumerate(frames):
        frame(k).save(path)
    assert other_frame(*frames)
    check = judge_capture(*frames)
    assert check is not None and check.other_capture
    assert "frame_0000 and frame_0001" in check.reason
    # Copies keep their source's name or add to it; a number of one or two digits is a name.
    for copy_name in ("frame_0000 (1).png", "frame_0000-edited.png", "Copy of frame_0000.png"):
        frame(0).save(tmp_path / copy_name)
        assert not other_frame(frames[0], tmp_path / copy_name)
    frame(0).save(tmp_path / "photo1.png")
    frame(1).save(tmp_path / "photo2.png")
    assert not other_frame(tmp_path / "photo1.png", tmp_path / "photo2.png")
    frame(1, size=256).save(tmp_path / "frame_0002.png")  # another size: not one sequence
    assert not other_frame(frames[0], tmp_path / "frame_0002.png")


def test_still_camera_frames_without_capture_data_do_not_group_at_normal(
        tmp_path: Path, embedder: EmbedderProvider) -> None:
    photos = tmp_path / "photos"
    (photos / "backup").mkdir(parents=True)
    for k in range(3):  # frames of a fixed camera: the same picture but for sensor noise
        frame(k).save(photos / f"in{1400 + k:06d}.jpg", quality=90)
    frame(0).save(photos / "backup" / "in001400.jpg", quality=70)  # a re-saved copy
    lib = Library.open(tmp_path / "library")
    Indexer(lib, embedder).run([photos])
    for strictness in (Strictness.STRICT, Strictness.NORMAL):
        groups = [{Path(p.path).relative_to(photos).as_posix() for p in g.photos}
                  for g in find_duplicate_groups(lib, strictness)]
        assert groups == [{"in001400.jpg", "backup/in001400.jpg"}]
    lib.close()


HANDHELD = Path(__file__).parent / "data" / "handheld"


def test_shots_from_the_hand_moments_apart_are_other_captures_but_edits_are_copies(
        tmp_path: Path) -> None:
    """Two real shots of a promenade from the hand (people walked, the camera moved a little):
    one affine map fits them roughly, as it fits a crop. What moved tells them apart."""
    first, second = HANDHELD / "an_0.JPG", HANDHELD / "an_1.JPG"
    check = judge_capture(first, second)
    assert check is not None and check.other_capture
    assert "moved" in check.reason
    assert judge_capture(second, first) == check  # one answer in either order
    # The same photo turned a little, cropped, reduced and re-encoded is one map of its
    # pixels: a copy, however far it is off the first one's grid.
    with Image.open(first) as im:
        turned = im.rotate(3, resample=Image.Resampling.BICUBIC)
        w, h = turned.size
        edit = turned.crop((60, 50, w - 60, h - 50)).resize((760, 480))
    edit.save(tmp_path / "an_0-edit.jpg", quality=80)
    copy = judge_capture(first, tmp_path / "an_0-edit.jpg")
    assert copy is not None and not copy.other_capture


def test_a_numbered_series_exposed_differently_is_a_bracket(tmp_path: Path) -> None:
    """Shot1 and Shot2 (a person's numbering of a bracket, no capture data): other captures
    where their exposures differ; numbered downloads with the same pixels stay copies."""
    im = sample("coffee.png", 512)
    brighter = ImageEnhance.Brightness(im).enhance(1.6)
    im.save(tmp_path / "Shot1.jpg", quality=90)
    brighter.save(tmp_path / "Shot2.jpg", quality=90)
    check = judge_capture(tmp_path / "Shot1.jpg", tmp_path / "Shot2.jpg")
    assert check is not None and check.other_capture
    assert "Shot1 and Shot2" in check.reason
    im.save(tmp_path / "image1.jpg", quality=90)
    im.save(tmp_path / "image2.jpg", quality=75)  # the same download, saved again
    same = judge_capture(tmp_path / "image1.jpg", tmp_path / "image2.jpg")
    assert same is not None and not same.other_capture
    brighter.save(tmp_path / "Shot1-brighter.jpg", quality=90)  # an edit, named as one
    edit = judge_capture(tmp_path / "Shot1.jpg", tmp_path / "Shot1-brighter.jpg")
    assert edit is not None and not edit.other_capture


def test_shots_from_the_hand_do_not_group_at_normal_but_their_copy_does(
        tmp_path: Path, embedder: EmbedderProvider) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("an_0.JPG", "an_1.JPG"):
        (photos / name).write_bytes((HANDHELD / name).read_bytes())
    with Image.open(HANDHELD / "an_0.JPG") as im:
        im.resize((800, 533)).save(photos / "an_0 (1).jpg", quality=85)
    lib = Library.open(tmp_path / "library")
    Indexer(lib, embedder).run([photos])
    for strictness in (Strictness.STRICT, Strictness.NORMAL):
        assert names(find_duplicate_groups(lib, strictness)) == [{"an_0.JPG", "an_0 (1).jpg"}]
    lib.close()
