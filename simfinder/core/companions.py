"""Companion files: the files beside a photo that belong to it and must travel with it.

Found by name, case-insensitively, among the other files of the photo's folder (the listing
the scan already has):

- XMP sidecars: `IMG_1234.CR2.xmp` (darktable, digiKam) or `IMG_1234.xmp` (Lightroom,
  Capture One);
- Apple edit files: `IMG_1234.AAE`;
- the video half of a Live Photo: `IMG_1234.MOV` beside `IMG_1234.HEIC` or `.JPG`;
- Google Takeout metadata: `IMG_1234.jpg.json`, `IMG_1234.jpg.supplemental-metadata.json`, the
  names Takeout truncates (`IMG_1234.jp.json`, `IMG_1234.jpg.suppl.json`) and its numbered
  copies (`IMG_1234(1).jpg` with `IMG_1234.jpg(1).json`).

A file that no photo claims is left alone; one that two photos claim (`IMG_1234.xmp` beside
`IMG_1234.JPG` and `IMG_1234.HEIC`) goes with neither: moving it with one would orphan the other.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable

# Extensions of the files that can be companions (lower case).
COMPANION_EXTENSIONS = frozenset((".xmp", ".aae", ".json", ".mov"))

# Photos a Live Photo's video goes with.
_LIVE_PHOTO_EXTENSIONS = frozenset((".heic", ".heif", ".jpg", ".jpeg"))

# Takeout cuts a metadata file's name (before ".json") to this many characters.
_TAKEOUT_NAME_LIMIT = 46
_TAKEOUT_SUFFIX = ".supplemental-metadata"
_NUMBERED = re.compile(r"^(?P<base>.*)\((?P<n>\d+)\)$")


def is_companion_name(name: str) -> bool:
    """Could a file of this name be a photo's companion?"""
    return os.path.splitext(name)[1].lower() in COMPANION_EXTENSIONS


def find_companions(photos: Iterable[str], others: Iterable[str]) -> dict[str, list[str]]:
    """The companions of the photos of one folder: photo path -> its companion paths (sorted),
    for the photos that have any. `photos` and `others` are the paths of the folder's photos
    and of its other files."""
    photo_list = list(photos)
    found: dict[str, list[str]] = {}
    for other in others:
        name = os.path.basename(other)
        if not is_companion_name(name):
            continue
        claims = _claimants(name, photo_list)
        if len(claims) == 1:
            found.setdefault(claims[0], []).append(other)
    for paths in found.values():
        paths.sort()
    return found


def _claimants(name: str, photos: list[str]) -> list[str]:
    lower = name.lower()
    base, ext = os.path.splitext(lower)
    if ext == ".xmp":
        # The photo's full name first (IMG_1234.CR2.xmp), then its stem (IMG_1234.xmp).
        return (_matching(photos, lambda n: n == base)
                or _matching(photos, lambda n: _stem(n) == base))
    if ext == ".aae":
        return _matching(photos, lambda n: _stem(n) == base)
    if ext == ".mov":
        return _matching(photos, lambda n: _stem(n) == base
                         and os.path.splitext(n)[1] in _LIVE_PHOTO_EXTENSIONS)
    if ext == ".json":
        return _matching(photos, lambda n: _takeout_match(base, n))
    return []


def _matching(photos: list[str], test: Callable[[str], bool]) -> list[str]:
    return [p for p in photos if test(os.path.basename(p).lower())]


def _stem(name: str) -> str:
    return os.path.splitext(name)[0]


def _takeout_match(json_base: str, photo: str) -> bool:
    """Is `json_base` (a Takeout metadata file's lower-case name without ".json") the one of
    the lower-case photo name `photo`?"""
    number: str | None = None
    m = _NUMBERED.match(json_base)
    if m is not None:
        json_base, number = m.group("base"), m.group("n")
    keys: list[tuple[str, str | None]] = [(photo, None)]
    stem, ext = os.path.splitext(photo)
    pm = _NUMBERED.match(stem)
    if pm is not None:
        # IMG_1234(1).jpg: Takeout names its metadata IMG_1234.jpg(1).json.
        keys.append((pm.group("base") + ext, pm.group("n")))
    for key, key_number in keys:
        if key_number != number:
            continue
        full = key + _TAKEOUT_SUFFIX
        if not full.startswith(json_base):
            continue
        # Long enough not to be another photo's name cut short: the whole stem at least
        # (IMG_1234.json, of old exports), or cut at Takeout's limit.
        if len(json_base) >= len(_stem(key)) or len(json_base) >= _TAKEOUT_NAME_LIMIT:
            return True
    return False
