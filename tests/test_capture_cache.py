"""Capture checks read each original once for all the checks it takes part in (a photo with
many copies is in many), with the same answers as reading it for each; a file changed on disk
is read again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from simfinder.core.matching import capture, capture_cache
from simfinder.core.matching.capture import judge_capture
from tests.photos import sample


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    capture_cache.clear()
    yield
    capture_cache.clear()


def copies(root: Path) -> tuple[Path, list[Path]]:
    """An original and copies of it off its grid (turned and cropped, so that the check looks
    for features) that keep it all to themselves."""
    root.mkdir(parents=True, exist_ok=True)
    im = sample("astronaut.png", 640)
    original = root / "original.jpg"
    im.save(original, quality=92)
    out = []
    for k, angle in enumerate((3, -4, 6)):
        w, h = im.size
        edit = im.rotate(angle, resample=Image.Resampling.BICUBIC).crop(
            (40 + 5 * k, 30, w - 40, h - 30 - 5 * k))
        path = root / f"copy-{k}.jpg"
        edit.save(path, quality=85)
        out.append(path)
    return original, out


def counting(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[int]]:
    decodes: list[str] = []
    sifts: list[int] = []
    decode = capture._decode

    def counted_decode(path: Path, side: int) -> object:
        if side == capture.CAPTURE_SIDE:  # (what moved is looked at larger, once a check)
            decodes.append(path.name)
        return decode(path, side)

    real_create = cv2.SIFT.create

    class CountedSift:
        def __init__(self, **kwargs: object) -> None:
            self.sift = real_create(**kwargs)

        def detectAndCompute(self, image: object, mask: object) -> object:
            sifts.append(1)
            return self.sift.detectAndCompute(image, mask)

    monkeypatch.setattr(capture, "_decode", counted_decode)
    monkeypatch.setattr(cv2.SIFT, "create", CountedSift)
    return decodes, sifts


def test_an_original_checked_against_each_of_its_copies_is_read_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original, edits = copies(tmp_path)
    uncached = []
    for edit in edits:
        capture_cache.clear()
        uncached.append(judge_capture(original, edit))
    capture_cache.clear()

    decodes, sifts = counting(monkeypatch)
    cached = [judge_capture(original, edit) for edit in edits]
    assert cached == uncached
    assert all(c is not None and not c.other_capture for c in cached)
    assert decodes.count("original.jpg") == 1
    # features of the original once, of each copy once (none of them mirrored)
    assert len(sifts) == 1 + len(edits)
    # and asked again (another strictness), nothing is read at all
    assert [judge_capture(original, edit) for edit in edits] == uncached
    assert len(decodes) == 1 + len(edits) and len(sifts) == 1 + len(edits)


def test_a_file_changed_on_disk_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original, edits = copies(tmp_path)
    decodes, _ = counting(monkeypatch)
    before = judge_capture(original, edits[0])
    assert before is not None and not before.other_capture
    # Another photo saved under the copy's name: read again, and judged for what it is now.
    other = np.asarray(sample("chelsea.png", 640))
    Image.fromarray(np.ascontiguousarray(other[::-1])).save(edits[0], quality=85)
    stat = edits[0].stat()
    os.utime(edits[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    judge_capture(original, edits[0])
    assert decodes.count(edits[0].name) == 2


def test_what_the_cache_hands_out_cannot_be_changed_by_its_caller(tmp_path: Path) -> None:
    original, _ = copies(tmp_path)
    grey = capture._load(original)
    assert grey is not None and capture._load(original) is grey
    with pytest.raises(ValueError):
        grey[0, 0] = 0
