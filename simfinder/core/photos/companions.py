"""Companion files: the files beside a photo that belong to it and must travel with it.

Found by name, case-insensitively, among the other files of the photo's folder (the listing
the scan already has):

- XMP sidecars: `IMG_1234.CR2.xmp` (darktable, digiKam) or `IMG_1234.xmp` (Lightroom,
  Capture One);
- Apple edit files: `IMG_1234.AAE` (and `IMG_O1234.AAE`, the original's adjustments);
- the video half of a Live Photo or a Motion Photo: `IMG_1234.MOV` or `IMG_1234.MP4` beside
  `IMG_1234.HEIC` or `.JPG` (Samsung's and Google's `MVIMG_`/`PXL_….MP.jpg` carry their video
  inside the JPEG: nothing to find);
- Google Takeout metadata: `IMG_1234.jpg.json`, `IMG_1234.jpg.supplemental-metadata.json`, the
  names Takeout truncates (`IMG_1234.jp.json`, `IMG_1234.jpg.suppl.json`) and its numbered
  copies (`IMG_1234(1).jpg` with `IMG_1234.jpg(1).json`);
- files that are photos themselves but one capture with another photo of the folder: the RAW of
  a RAW+JPEG pair (`DSC_0001.NEF` beside `DSC_0001.JPG` or `.HEIC`) goes with its JPEG, and
  Apple's edited rendering `IMG_E1234.JPG` with its original `IMG_1234.HEIC`. They are the
  photo's companions, not photos of their own: the pair is shown, grouped and moved as one
  photo, and never offered for removal against itself. Their own sidecars (`DSC_0001.NEF.xmp`)
  go with the photo too. (`pair_raw=False`: a RAW stays a photo of its own, for the users who
  want the JPEG of their RAW+JPEG pairs removed as a copy of the RAW.)

A file that no photo claims is left alone; one that two photos claim (`IMG_1234.xmp` beside
`IMG_1234.JPG` and `IMG_1234.HEIC`) goes with neither: moving it with one would orphan the other
(`FolderCompanions.shared` lists them, for the confirmation to say why they stay).
"""

from __future__ import annotations

import json
import logging
import os
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from simfinder.core.photos.formats import RAW_EXTENSIONS

log = logging.getLogger(__name__)

# Extensions of the files that can be companions and are not photos (lower case).
COMPANION_EXTENSIONS = frozenset((".xmp", ".aae", ".json", ".mov", ".mp4"))

# Photos a Live Photo's or Motion Photo's video, and a RAW's camera JPEG, go with.
_LIVE_PHOTO_EXTENSIONS = frozenset((".heic", ".heif", ".jpg", ".jpeg"))
RAW_PARTNER_EXTENSIONS = frozenset((".jpg", ".jpeg", ".heic", ".heif", ".hif"))
_VIDEO_EXTENSIONS = frozenset((".mov", ".mp4"))

# Apple's edited rendering IMG_E1234.JPG (of IMG_1234.*) and the original's adjustments
# IMG_O1234.AAE.
_APPLE_EDIT = re.compile(r"^img_e(\d+)$")
_APPLE_ORIGINAL_AAE = re.compile(r"^img_o(\d+)$")

# Takeout cuts a metadata file's name (before ".json") to this many characters.
_TAKEOUT_NAME_LIMIT = 46
_TAKEOUT_SUFFIX = ".supplemental-metadata"
_NUMBERED = re.compile(r"^(?P<base>.*)\((?P<n>\d+)\)$")

# The library setting (JSON true/false) that keeps a RAW apart from its JPEG: the RAW is then a
# photo of its own, a copy of its JPEG the keep rules keep over it (app.library_settings).
RAW_JPEGS_REMOVED = "remove-jpeg-of-raw-pairs"

# A sidecar larger than this is not read to check it (no real one comes close).
_MAX_SIDECAR_BYTES = 16 << 20


def pairs_raw(settings: Mapping[str, str]) -> bool:
    """Do the library's settings (key -> JSON) make the RAW of a RAW+JPEG pair its JPEG's
    companion (the default)?"""
    try:
        return json.loads(settings.get(RAW_JPEGS_REMOVED, "false")) is not True
    except ValueError:
        return True


def is_companion_name(name: str) -> bool:
    """Could a file of this name, not a photo, be a photo's companion?"""
    return os.path.splitext(name)[1].lower() in COMPANION_EXTENSIONS


@dataclass(slots=True)
class FolderCompanions:
    """What belongs to what in one folder."""

    # The folder's photos, less those that are another photo's companion (a paired RAW, an
    # Apple edited rendering): the photos to index.
    photos: list[str] = field(default_factory=list)
    # Photo path -> its companion paths (sorted), for the photos that have any.
    companions: dict[str, list[str]] = field(default_factory=dict)
    # A file two or more photos claim -> those photos: it goes with none of them.
    shared: dict[str, list[str]] = field(default_factory=dict)


def folder_companions(photos: Iterable[str], others: Iterable[str], *,
                      pair_raw: bool = True) -> FolderCompanions:
    """Who owns what in one folder: see FolderCompanions and the module's docstring. Names
    are looked up, never compared pairwise: a folder of thousands of photos and sidecars
    costs a few dictionary lookups per file."""
    photo_list = list(photos)
    out = FolderCompanions()
    found: dict[str, list[str]] = {}
    # Photos that are another photo's companion first: their names then count as the
    # photo's for the sidecars (DSC_0001.NEF.xmp goes where DSC_0001.NEF goes).
    alone = _Names((p, [os.path.basename(p).lower()]) for p in photo_list)
    names: dict[str, list[str]] = {p: [os.path.basename(p).lower()] for p in photo_list}
    taken: set[str] = set()
    for photo in photo_list:
        claims = _photo_claimants(os.path.basename(photo).lower(), alone, pair_raw)
        if len(claims) == 1:
            found.setdefault(claims[0], []).append(photo)
            names[claims[0]].append(os.path.basename(photo).lower())
            taken.add(photo)
    out.photos = [p for p in photo_list if p not in taken]
    owners = _Names((p, names[p]) for p in out.photos)
    for other in others:
        name = os.path.basename(other)
        if not is_companion_name(name):
            continue
        claims = _claimants(name, owners)
        if len(claims) == 1:
            found.setdefault(claims[0], []).append(other)
        elif len(claims) > 1:
            out.shared[other] = sorted(claims)
    for paths in found.values():
        paths.sort()
    out.companions = found
    return out


class _Names:
    """The photos of a folder by their lower-case names (each photo may answer to several:
    its own and its paired files'), their stems, and the first characters of long stems."""

    def __init__(self, owners: Iterable[tuple[str, list[str]]]) -> None:
        self.by_name: dict[str, list[tuple[str, str]]] = {}
        self.by_stem: dict[str, list[tuple[str, str]]] = {}
        self.by_long_stem: dict[str, list[tuple[str, str]]] = {}
        for photo, names in owners:
            for name in names:
                self.by_name.setdefault(name, []).append((photo, name))
                stem = _stem(name)
                self.by_stem.setdefault(stem, []).append((photo, name))
                numbered = _NUMBERED.match(stem)
                if numbered is not None:  # IMG_1234(1).jpg: Takeout's IMG_1234.jpg(1).json
                    self.by_stem.setdefault(numbered.group("base"), []).append((photo, name))
                if len(stem) > _TAKEOUT_NAME_LIMIT:
                    key = stem[:_TAKEOUT_NAME_LIMIT]
                    self.by_long_stem.setdefault(key, []).append((photo, name))

    def named(self, name: str, test: Callable[[str], bool] = lambda n: True) -> list[str]:
        return _photos(self.by_name.get(name, ()), test)

    def stemmed(self, stem: str, test: Callable[[str], bool] = lambda n: True) -> list[str]:
        """The photos with a name of this stem (passing `test`)."""
        return _photos(self.by_stem.get(stem, ()), lambda n: _stem(n) == stem and test(n))

    def takeout(self, json_base: str) -> list[str]:
        """The photos whose Takeout metadata file is `json_base` (its name before ".json"):
        those whose stem begins it, or begins with it when Takeout cut it short."""
        candidates: list[tuple[str, str]] = []
        bare = _NUMBERED.match(json_base)
        for base in {json_base, bare.group("base") if bare is not None else json_base}:
            for end in range(1, len(base) + 1):
                candidates.extend(self.by_stem.get(base[:end], ()))
            if len(base) >= _TAKEOUT_NAME_LIMIT:
                candidates.extend(self.by_long_stem.get(base[:_TAKEOUT_NAME_LIMIT], ()))
        return _photos(candidates, lambda n: _takeout_match(json_base, n))


def _photos(entries: Iterable[tuple[str, str]], test: Callable[[str], bool]) -> list[str]:
    """The photos of (photo, name) entries whose name passes `test`, each once, in order."""
    return list(dict.fromkeys(photo for photo, name in entries if test(name)))


def _photo_claimants(lower: str, photos: _Names, pair_raw: bool) -> list[str]:
    """The photos a photo named `lower` is the companion of (none: it is a photo of its own)."""
    base, ext = os.path.splitext(lower)
    if pair_raw and ext in RAW_EXTENSIONS:
        return photos.stemmed(base, lambda n: os.path.splitext(n)[1] in RAW_PARTNER_EXTENSIONS
                              and not _APPLE_EDIT.match(_stem(n)))
    edit = _APPLE_EDIT.match(base)
    if edit is not None:
        return photos.stemmed(f"img_{edit.group(1)}",
                              lambda n: os.path.splitext(n)[1] not in RAW_EXTENSIONS)
    return []


def _claimants(name: str, owners: _Names) -> list[str]:
    lower = name.lower()
    base, ext = os.path.splitext(lower)
    if ext == ".xmp":
        # A photo's full name first (IMG_1234.CR2.xmp), then its stem (IMG_1234.xmp).
        return owners.named(base) or owners.stemmed(base)
    if ext == ".aae":
        original = _APPLE_ORIGINAL_AAE.match(base)
        if original is not None:
            base = f"img_{original.group(1)}"
        if _APPLE_EDIT.match(base):
            return []
        return owners.stemmed(base)
    if ext in _VIDEO_EXTENSIONS:
        return owners.stemmed(base, lambda n: os.path.splitext(n)[1] in _LIVE_PHOTO_EXTENSIONS)
    if ext == ".json":
        return owners.takeout(base)
    return []


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


def companion_kind(path: str) -> str:
    """What a companion file is, in plain words ("XMP sidecar", "Live Photo video"…)."""
    lower = os.path.basename(path).lower()
    base, ext = os.path.splitext(lower)
    if ext == ".xmp":
        return "XMP sidecar"
    if ext == ".aae":
        return "Apple edits"
    if ext in _VIDEO_EXTENSIONS:
        return "Live Photo video"
    if ext == ".json":
        return "Google Takeout metadata"
    if ext in RAW_EXTENSIONS:
        return "RAW file"
    if _APPLE_EDIT.match(base):
        return "edited version"
    return "companion file"


def sidecar_problem(path: str) -> str | None:
    """Why a sidecar is not what its name says ("not valid XMP: …"), or None: an XMP file that
    does not parse as XML, a Takeout file that is not JSON. Other companions are not read.
    Such a file still goes with its photo: it is the user's, whatever it holds."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".xmp", ".json"):
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read(_MAX_SIDECAR_BYTES + 1)
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if len(data) > _MAX_SIDECAR_BYTES:
        return None  # too large to check; not a reason to doubt it
    what = "XMP" if ext == ".xmp" else "JSON"
    try:
        if ext == ".xmp":
            ElementTree.fromstring(data)
        else:
            json.loads(data)
    except (ElementTree.ParseError, ValueError) as exc:
        log.info("companion %s is not valid %s: %s", path, what, exc)
        return f"not valid {what}"
    return None
