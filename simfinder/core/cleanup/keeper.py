"""Which photo of a duplicate group to keep: an ordered list of rules the user can reorder.

The default order is what a person keeps among copies of one photo: the most detail; then the
original capture over anything derived from it (camera data over none, RAW over its JPEG, the
camera's JPEG over a PNG saved from it); the copy with the user's edits or metadata (its
companion files: sidecars, Apple edits, Live Photo video, Takeout metadata, its RAW); the less
compressed file where its pixels hold more;
then, among copies alike, the one where the user keeps photos (not a backup, download or export
folder), the name without a copy mark, the oldest; the shorter path as the last word.

Each rule narrows the photos still in the running to those it prefers; the first rule that
tells them apart decides, the next ones only break its ties. Rules that need more than the
catalog knows (lens and GPS, whether a PNG holds a JPEG's pixels) read the files of the photos
still tied, and only when their contents differ (see provenance).

Photos in a *reference folder* are never marked for removal: they are always kept, whatever the
rules say, and the `REFERENCE_FOLDER` rule lets them count as the best copy too (a group with a
reference photo then keeps only that).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Final, Protocol

from simfinder.core.cleanup import enlargement
from simfinder.core.photos import provenance
from simfinder.core.photos.companions import RAW_PARTNER_EXTENSIONS, companion_kind
from simfinder.core.store.catalog import PhotoRecord
from simfinder.core.translatable import QT_TRANSLATE_NOOP, Phrase

log = logging.getLogger(__name__)


class KeepRule(str, Enum):
    REFERENCE_FOLDER = "reference-folder"
    MOST_DETAIL = "most-detail"
    CAMERA_DATA = "camera-data"
    ORIGINAL_FORMAT = "original-format"
    SIDECARS = "sidecars"
    LEAST_COMPRESSED = "least-compressed"
    PHOTO_FOLDER = "photo-folder"
    ORIGINAL_NAME = "original-name"
    OLDEST = "oldest"
    PREFERRED_FORMAT = "preferred-format"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]

    @classmethod
    def named(cls, value: str) -> KeepRule | None:
        """The rule saved under `value`, by this version or an earlier one; None if unknown."""
        value = RENAMED_RULES.get(value, value)
        try:
            return cls(value)
        except ValueError:
            return None


# Names earlier versions saved the rules under (settings keep them).
RENAMED_RULES: Final = {
    "highest-resolution": KeepRule.MOST_DETAIL.value,
    "largest-file": KeepRule.LEAST_COMPRESSED.value,
    "oldest-capture": KeepRule.OLDEST.value,
}

# The order earlier versions started with: saved settings still in it were never changed.
FORMER_DEFAULT_RULES: Final = ("reference-folder", "highest-resolution", "preferred-format",
                               "largest-file", "least-compressed", "oldest-capture")

_LABELS = {
    KeepRule.REFERENCE_FOLDER: QT_TRANSLATE_NOOP("engine", "In a reference folder"),
    KeepRule.MOST_DETAIL: QT_TRANSLATE_NOOP("engine", "Most detail"),
    KeepRule.CAMERA_DATA: QT_TRANSLATE_NOOP("engine", "Camera data"),
    KeepRule.ORIGINAL_FORMAT: QT_TRANSLATE_NOOP("engine", "Original, not converted"),
    KeepRule.SIDECARS: QT_TRANSLATE_NOOP("engine", "Has edits or metadata (sidecars)"),
    KeepRule.LEAST_COMPRESSED: QT_TRANSLATE_NOOP("engine", "Least compressed"),
    KeepRule.PHOTO_FOLDER: QT_TRANSLATE_NOOP("engine", "In your photo folders"),
    KeepRule.ORIGINAL_NAME: QT_TRANSLATE_NOOP("engine", "Name without a copy mark"),
    KeepRule.OLDEST: QT_TRANSLATE_NOOP("engine", "Oldest"),
    KeepRule.PREFERRED_FORMAT: QT_TRANSLATE_NOOP("engine", "Preferred format"),
}

_EXPLANATIONS = {
    KeepRule.REFERENCE_FOLDER: QT_TRANSLATE_NOOP(
        "engine", "a photo in one of your reference folders"),
    KeepRule.MOST_DETAIL: QT_TRANSLATE_NOOP(
        "engine", "the largest resolution (not a copy enlarged from a smaller one)"),
    KeepRule.CAMERA_DATA: QT_TRANSLATE_NOOP(
        "engine", "capture time, camera, lens and GPS over none"),
    KeepRule.ORIGINAL_FORMAT: QT_TRANSLATE_NOOP(
        "engine", "RAW over its JPEG; a camera JPEG over a PNG or TIFF saved from it"),
    KeepRule.SIDECARS: QT_TRANSLATE_NOOP(
        "engine", "XMP sidecars, Apple edits, Live Photo video, Takeout metadata, the RAW of a "
                  "RAW+JPEG pair: the copy that has more kinds of them"),
    KeepRule.LEAST_COMPRESSED: QT_TRANSLATE_NOOP(
        "engine", "more bytes per pixel, where the pixels hold more (same format, or lossless over "
                  "lossy)"),
    KeepRule.PHOTO_FOLDER: QT_TRANSLATE_NOOP(
        "engine", "not in a backup, copy, old, Downloads, messenger, export or trash folder"),
    KeepRule.ORIGINAL_NAME: QT_TRANSLATE_NOOP(
        "engine", "not named like a copy: ' (1)', '-2', ' copy', 'Copy of '"),
    KeepRule.OLDEST: QT_TRANSLATE_NOOP(
        "engine", "the earliest capture date (EXIF), else the oldest file"),
    KeepRule.PREFERRED_FORMAT: QT_TRANSLATE_NOOP(
        "engine", "the format highest in your format order"),
}

# What the Duplicates view and `duplicates --json` say when a rule chose the photo kept.
_REASONS = {
    KeepRule.REFERENCE_FOLDER: QT_TRANSLATE_NOOP("engine", "in a reference folder"),
    KeepRule.MOST_DETAIL: QT_TRANSLATE_NOOP("engine", "the most detail: the others are smaller"),
    KeepRule.CAMERA_DATA: QT_TRANSLATE_NOOP("engine", "original: has camera data"),
    KeepRule.ORIGINAL_FORMAT: QT_TRANSLATE_NOOP(
        "engine", "original: the others are converted copies"),
    KeepRule.SIDECARS: QT_TRANSLATE_NOOP("engine", "has edits or metadata the others lack"),
    KeepRule.LEAST_COMPRESSED: QT_TRANSLATE_NOOP("engine", "the least compressed copy"),
    KeepRule.PHOTO_FOLDER: QT_TRANSLATE_NOOP(
        "engine", "in your photo folders: the others are in backup, download or export folders"),
    KeepRule.ORIGINAL_NAME: QT_TRANSLATE_NOOP(
        "engine", "the original name: the others are named like copies"),
    KeepRule.OLDEST: QT_TRANSLATE_NOOP("engine", "the oldest copy"),
    KeepRule.PREFERRED_FORMAT: QT_TRANSLATE_NOOP("engine", "your preferred format"),
}
_RAW_REASON: Final = QT_TRANSLATE_NOOP(
    "engine", "original: the camera's RAW file")
_ENLARGED_REASON: Final = QT_TRANSLATE_NOOP(
    "engine", "the most detail: the others are enlarged copies")
_SMALLER_OR_ENLARGED_REASON: Final = QT_TRANSLATE_NOOP(
    "engine", "the most detail: the others are smaller or enlarged copies")
ALIKE_REASON: Final = QT_TRANSLATE_NOOP(
    "engine", "the copies are alike: the shortest path is kept")
_SIDECAR_KINDS_REASON: Final = QT_TRANSLATE_NOOP(
    "engine", "has edits or metadata the others lack: {kinds}")
_KEPT_BY_YOU: Final = QT_TRANSLATE_NOOP("engine", "kept by you")

# The order the CLI and a fresh GUI use (see the module's docstring).
DEFAULT_RULES: tuple[KeepRule, ...] = (
    KeepRule.REFERENCE_FOLDER,
    KeepRule.MOST_DETAIL,
    KeepRule.CAMERA_DATA,
    KeepRule.ORIGINAL_FORMAT,
    KeepRule.SIDECARS,
    KeepRule.LEAST_COMPRESSED,
    KeepRule.PHOTO_FOLDER,
    KeepRule.ORIGINAL_NAME,
    KeepRule.OLDEST,
    KeepRule.PREFERRED_FORMAT,
)

# Formats as the catalog names them (decode.DecodedPhoto.format), best first, for the
# PREFERRED_FORMAT rule. A format not listed ranks after all these.
DEFAULT_FORMAT_ORDER: tuple[str, ...] = (
    "RAW", "TIFF", "PNG", "HEIF", "AVIF", "WEBP", "JPEG", "MPO", "BMP", "GIF",
)  # fmt: skip

# Resolutions this close count as the same detail (a RAW's sensor is a few pixels wider than
# its JPEG; a trimmed border is no loss of detail).
SAME_DETAIL: Final = 0.98
# How many of the next smaller photos of a group a larger one is compared with.
ENLARGED_CHECKS: Final = 2

# Folder names that hold copies rather than the user's photos: one word of a folder's name.
_COPY_FOLDER_WORDS: Final = re.compile(
    r"(?:^|[^a-z0-9])(backups?|bak|copy|copies|old|duplicates?|downloads?|trash|recycle"
    r"|recycle\.bin|deleted|whatsapp|telegram|signal|viber|wechat|messenger|takeout|exports?)"
    r"(?:[^a-z0-9]|$)"
)
# File names (without the extension) that mark a copy of another file.
_COPY_NAME: Final = re.compile(
    r" \(\d+\)$"  # "name (1)"
    r"|(?:[ _-]+)copy(?: ?\(?\d+\)?)?$"  # "name copy", "name - Copy (2)", "name_copy"
    r"|^copy (?:\(\d+\) )?of "  # "Copy of name"
    # A camera's name pattern with a "_1" / "-2" after it: IMG_1234_1, 20220312_124816-2.
    r"|^(?:img|dsc[fn]?|pxl|dji|gopr|sam|wp|p)?[_-]?\d{4,}(?:[_-]\d{4,})*[_-]\d{1,2}$",
    re.IGNORECASE,
)
_NUMBER_SUFFIX: Final = re.compile(r"[ _-]\(?\d{1,2}\)?$")


@dataclass(frozen=True, slots=True)
class KeepPlan:
    """The rules in the user's order, their reference folders and their format order; whether
    the JPEG of a RAW+JPEG pair goes (then the RAW is a photo of its own, not the JPEG's
    companion, and a group holding both never keeps the JPEG)."""

    rules: tuple[KeepRule, ...] = DEFAULT_RULES
    reference_folders: tuple[str, ...] = ()
    format_order: tuple[str, ...] = DEFAULT_FORMAT_ORDER
    remove_raw_jpegs: bool = False
    _refs: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Every rule exactly once, in the given order; a rule left out (one newer than the
        # saved settings) goes after the rule the default order has before it, else last.
        seen = list(dict.fromkeys(self.rules))
        for i, rule in enumerate(DEFAULT_RULES):
            if rule not in seen:
                before = DEFAULT_RULES[i - 1] if i else None
                seen.insert(seen.index(before) + 1 if before in seen else len(seen), rule)
        object.__setattr__(self, "rules", tuple(seen))
        refs = tuple(_norm_folder(f) for f in self.reference_folders if f)
        object.__setattr__(self, "_refs", refs)

    def is_reference(self, path: str) -> bool:
        """True if `path` is in (or below) one of the reference folders."""
        return any(path == ref or path.startswith(ref + os.sep) for ref in self._refs)


DEFAULT_PLAN = KeepPlan()


def rules_from_settings(values: Sequence[str]) -> tuple[KeepRule, ...]:
    """The rule order saved as `values` (names of any version). Never changed from an earlier
    version's default: today's default."""
    if not values or tuple(values) == FORMER_DEFAULT_RULES:
        return DEFAULT_RULES
    rules = [KeepRule.named(v) for v in values]
    return tuple(r for r in rules if r is not None) or DEFAULT_RULES


def _norm_folder(folder: str) -> str:
    return folder.rstrip(os.sep) or os.sep


def capture_time(photo: PhotoRecord) -> float:
    """When the photo was taken (EXIF, seconds), else when its file was last modified."""
    if photo.taken_at:
        try:
            return datetime.fromisoformat(photo.taken_at).timestamp()
        except (ValueError, OverflowError, OSError):
            pass
    return photo.mtime_ns / 1e9


def bytes_per_pixel(photo: PhotoRecord) -> float:
    return photo.size / max(1, photo.width * photo.height)


def copy_folder_count(path: str) -> int:
    """How many of the path's folders are named like a place for copies (backup, Downloads…)."""
    folders = os.path.dirname(path).lower().replace("\\", "/").split("/")
    return sum(1 for f in folders if _COPY_FOLDER_WORDS.search(f))


def has_copy_mark(path: str, others: Iterable[str] = ()) -> bool:
    """True if the file's name marks it as a copy: ' (1)', ' copy', 'Copy of ', a camera name
    with '_1' after it, or another file's name (of `others`) with a number after it."""
    stem = _stem(path)
    if _COPY_NAME.search(stem):
        return True
    bare = _NUMBER_SUFFIX.sub("", stem)
    return bare != stem and any(_stem(o) == bare for o in others)


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0].lower()


# -- the rules --------------------------------------------------------------------------------

Narrow = Callable[[list[PhotoRecord], Sequence[PhotoRecord], KeepPlan], list[PhotoRecord]]


def _best(photos: list[PhotoRecord], value: Callable[[PhotoRecord], float]) -> list[PhotoRecord]:
    values = [value(p) for p in photos]
    top = max(values)
    return [p for p, v in zip(photos, values, strict=True) if v == top]


def _alike(photos: Sequence[PhotoRecord]) -> bool:
    """One content: rules on what the bytes hold cannot tell them apart (no file to read)."""
    return len({p.digest for p in photos}) <= 1


def _by_reference(left: list[PhotoRecord], group: Sequence[PhotoRecord],
                  plan: KeepPlan) -> list[PhotoRecord]:
    return _best(left, lambda p: float(plan.is_reference(p.path)))


def _pixels(photo: PhotoRecord) -> int:
    return photo.width * photo.height


def _same_framing(a: PhotoRecord, b: PhotoRecord) -> bool:
    return abs(a.width * b.height - b.width * a.height) <= 0.01 * a.width * b.height


def _provenance_rank(photo: PhotoRecord, paths: Sequence[str]) -> tuple[int, ...]:
    """What the catalog and a file's header say of where a photo comes from, larger is more
    original: camera data, a camera format (not a lossless file), the name and the folder."""
    return (int(has_camera_data(photo, read_file=False)),
            int(_is_raw(photo) or not provenance.is_lossless(photo.path, photo.format)),
            -int(has_copy_mark(photo.path, paths)),
            -copy_folder_count(photo.path))


def _worth_checking(largest: PhotoRecord, smaller: PhotoRecord,
                    group: Sequence[PhotoRecord]) -> bool:
    """Whether telling if `largest` is an enlargement of `smaller` can change the photo kept:
    only if the largest has no camera data or the smaller one looks more original in one
    respect (an enlargement has whatever the enlarger wrote; a real original usually keeps
    its camera data, and its reductions seldom look more original than it)."""
    if not has_camera_data(largest, read_file=False):
        return True
    paths = [p.path for p in group]
    mine, theirs = _provenance_rank(largest, paths), _provenance_rank(smaller, paths)
    return any(t > m for m, t in zip(mine, theirs, strict=True))


def is_enlarged(photo: PhotoRecord, smaller: Sequence[PhotoRecord],
                group: Sequence[PhotoRecord]) -> bool:
    """True if the photo holds no more detail than one of the two largest of the `smaller`
    photos (largest first) that frame the same picture far enough below its size to tell: it
    is an enlargement of that one or of a copy smaller still (a copy blown up from a messenger
    copy holds less than the original between them, which the second one tells more surely).
    Files are read only where the answer can change the photo kept."""
    if _is_raw(photo):
        return False
    candidates = [other for other in smaller
                  if not _is_raw(other) and other.digest != photo.digest
                  and _same_framing(photo, other)
                  and photo.width >= other.width * enlargement.MIN_FACTOR][:ENLARGED_CHECKS]
    # The EXIF's pixel size is read always (an enlargement that kept the camera data looks as
    # original as its source); the pixels only where the answer can change the photo kept.
    return any(enlargement.enlarged_after_capture((photo.digest, photo.path),
                                                  (other.digest, other.path))
               or (_worth_checking(photo, other, group)
                   and enlargement.is_enlarged_copy((photo.digest, photo.path),
                                                    (other.digest, other.path)))
               for other in candidates)


def _by_detail(left: list[PhotoRecord], group: Sequence[PhotoRecord],
               plan: KeepPlan) -> list[PhotoRecord]:
    # The largest resolution, unless it is an enlargement of a smaller photo of the group:
    # then the photos of the next size down are the most detail. Among photos of one size the
    # most original-looking is asked first, and the first one that holds its detail ends the
    # asking (its peers stay in the running: later rules tell them apart).
    paths = [p.path for p in group]
    while True:
        most = max(_pixels(p) for p in left)
        top = [p for p in left if _pixels(p) >= most * SAME_DETAIL]
        smaller = sorted((p for p in left if p not in top), key=_pixels, reverse=True)
        if not smaller:
            return top
        enlarged = set()
        for p in sorted(top, key=lambda p: _provenance_rank(p, paths), reverse=True):
            if not is_enlarged(p, smaller, group):
                break
            enlarged.add(p.file_id)
        real = [p for p in top if p.file_id not in enlarged]
        if real:
            return real
        left = smaller


def has_camera_data(photo: PhotoRecord, read_file: bool = True) -> bool:
    """True if the photo's metadata names any of capture time, camera, lens or GPS position
    (the file is read only for a photo without the first two, if `read_file`)."""
    if photo.taken_at is not None or photo.camera is not None:
        return True
    return read_file and provenance.extra_camera_fields(photo.digest, photo.path) > 0


def _by_camera_data(left: list[PhotoRecord], group: Sequence[PhotoRecord],
                    plan: KeepPlan) -> list[PhotoRecord]:
    # Files are read only when the catalog knows no date or camera of any of them (a photo
    # with only a GPS position or a lens then stands out): the common case reads no file.
    read = not any(has_camera_data(p, False) for p in left) and not _alike(left)
    return _best(left, lambda p: float(has_camera_data(p, read)))


def _is_raw(photo: PhotoRecord) -> bool:
    return photo.format.upper() == "RAW"


def is_converted(photo: PhotoRecord, group: Sequence[PhotoRecord]) -> bool:
    """A lossless file holding lossy pixels: a lossy photo of the group decodes to its pixels,
    or JPEG's 8x8 blocks show in them."""
    if _is_raw(photo) or not provenance.is_lossless(photo.path, photo.format):
        return False
    pixels = photo.width * photo.height
    for other in group:
        if (other.digest != photo.digest and not _is_raw(other)
                and other.width * other.height == pixels
                and not provenance.is_lossless(other.path, other.format)
                and provenance.holds_pixels_of((photo.digest, photo.path),
                                               (other.digest, other.path))):
            return True
    return provenance.shows_jpeg_blocks(photo.digest, photo.path)


def _by_original_format(left: list[PhotoRecord], group: Sequence[PhotoRecord],
                        plan: KeepPlan) -> list[PhotoRecord]:
    if _alike(left):
        return left
    raws = [p for p in left if _is_raw(p)]
    if raws:
        return raws
    originals = [p for p in left if not is_converted(p, group)]
    return originals or left


Companions = Mapping[str, Sequence[str]]


def _by_sidecars(left: list[PhotoRecord], companions: Companions) -> list[PhotoRecord]:
    """The photos with the most kinds of companion files (an XMP sidecar and a Live Photo
    video: two), that is the user's edits and metadata."""
    return _best(left, lambda p: float(len(companion_kinds(companions.get(p.path, ())))))


def companion_kinds(paths: Iterable[str]) -> set[str]:
    return {companion_kind(c) for c in paths}


def _raw_jpegs(photos: Sequence[PhotoRecord]) -> set[int]:
    """File ids of the JPEGs (or HEICs) whose RAW of the same name and folder is among
    `photos`."""
    raws = {os.path.splitext(p.path)[0].lower() for p in photos if _is_raw(p)}
    return {p.file_id for p in photos if not _is_raw(p)
            and os.path.splitext(p.path)[1].lower() in RAW_PARTNER_EXTENSIONS
            and os.path.splitext(p.path)[0].lower() in raws}


def _by_compression(left: list[PhotoRecord], group: Sequence[PhotoRecord],
                    plan: KeepPlan) -> list[PhotoRecord]:
    # Bytes per pixel say "more detail" only between files of one format, or for a lossless
    # file over a lossy one; a HEIC is smaller than its JPEG and holds as much.
    if _alike(left):
        return left
    lossless = {p.file_id: provenance.is_lossless(p.path, p.format) for p in left}
    if any(lossless.values()) and not all(lossless.values()):
        left = [p for p in left if lossless[p.file_id]]

    def beaten(p: PhotoRecord) -> bool:
        return any(q.format == p.format and bytes_per_pixel(q) > bytes_per_pixel(p) * 1.02
                   for q in left)

    return [p for p in left if not beaten(p)]


def _by_folder(left: list[PhotoRecord], group: Sequence[PhotoRecord],
               plan: KeepPlan) -> list[PhotoRecord]:
    return _best(left, lambda p: -float(copy_folder_count(p.path)))


def _by_name(left: list[PhotoRecord], group: Sequence[PhotoRecord],
             plan: KeepPlan) -> list[PhotoRecord]:
    paths = [p.path for p in group]
    return _best(left, lambda p: -float(has_copy_mark(p.path, paths)))


def _by_age(left: list[PhotoRecord], group: Sequence[PhotoRecord],
            plan: KeepPlan) -> list[PhotoRecord]:
    left = _best(left, lambda p: -capture_time(p))
    return _best(left, lambda p: -float(p.mtime_ns))


def _format_rank(photo: PhotoRecord, order: Sequence[str]) -> int:
    fmt = photo.format.upper()
    try:
        return len(order) - order.index(fmt)
    except ValueError:
        return 0


def _by_format(left: list[PhotoRecord], group: Sequence[PhotoRecord],
               plan: KeepPlan) -> list[PhotoRecord]:
    return _best(left, lambda p: float(_format_rank(p, plan.format_order)))


_NARROW: dict[KeepRule, Narrow] = {
    KeepRule.REFERENCE_FOLDER: _by_reference,
    KeepRule.MOST_DETAIL: _by_detail,
    KeepRule.CAMERA_DATA: _by_camera_data,
    KeepRule.ORIGINAL_FORMAT: _by_original_format,
    KeepRule.LEAST_COMPRESSED: _by_compression,
    KeepRule.PHOTO_FOLDER: _by_folder,
    KeepRule.ORIGINAL_NAME: _by_name,
    KeepRule.OLDEST: _by_age,
    KeepRule.PREFERRED_FORMAT: _by_format,
}


@dataclass(frozen=True, slots=True)
class KeepChoice:
    """The photo the rules keep, the rules that chose it (in order) and why, in plain words."""

    photo: PhotoRecord
    deciders: tuple[KeepRule, ...]
    reasons: tuple[Phrase, ...]

    @property
    def reason(self) -> str:
        return "; ".join(map(str, self.reasons))


def choose(photos: Sequence[PhotoRecord], plan: KeepPlan = DEFAULT_PLAN,
           companions: Companions | None = None) -> KeepChoice:
    """The photo the rules rank first (ties: the shorter path, then the path). `companions`:
    the photos' companion files by path (core.photos.companions), for the SIDECARS rule."""
    if not photos:
        raise ValueError("no photos to choose from")
    left = list(photos)
    deciders: list[tuple[KeepRule, list[PhotoRecord]]] = []
    if plan.remove_raw_jpegs:
        jpegs = _raw_jpegs(photos)
        if jpegs and len(jpegs) < len(left):
            deciders.append((KeepRule.ORIGINAL_FORMAT, [p for p in left if p.file_id in jpegs]))
            left = [p for p in left if p.file_id not in jpegs]
    for rule in plan.rules:
        if len(left) == 1:
            break
        if rule is KeepRule.SIDECARS:
            narrowed = _by_sidecars(left, companions or {})
        else:
            narrowed = _NARROW[rule](left, photos, plan)
        if len(narrowed) < len(left):
            deciders.append((rule, [p for p in left if p not in narrowed]))
            left = narrowed
    best = min(left, key=lambda p: (len(p.path), p.path))
    reasons = list(dict.fromkeys(_reason(rule, best, out, companions or {})
                                 for rule, out in deciders))
    if len(left) > 1:
        reasons.append(Phrase(ALIKE_REASON))
    return KeepChoice(best, tuple(r for r, _ in deciders), tuple(reasons))


def _reason(rule: KeepRule, kept: PhotoRecord, out: list[PhotoRecord],
            companions: Companions) -> Phrase:
    if rule is KeepRule.ORIGINAL_FORMAT and _is_raw(kept):
        return Phrase(_RAW_REASON)
    if rule is KeepRule.SIDECARS:
        kinds = sorted(companion_kinds(companions.get(kept.path, ())))
        return (Phrase(_SIDECAR_KINDS_REASON, (("kinds", ", ".join(kinds)),)) if kinds
                else Phrase(_REASONS[rule]))
    if rule is KeepRule.MOST_DETAIL and any(_pixels(p) > _pixels(kept) for p in out):
        if all(_pixels(p) > _pixels(kept) for p in out):
            return Phrase(_ENLARGED_REASON)
        return Phrase(_SMALLER_OR_ENLARGED_REASON)
    return Phrase(_REASONS[rule])


def best_photo(photos: Sequence[PhotoRecord], plan: KeepPlan = DEFAULT_PLAN,
               companions: Companions | None = None) -> PhotoRecord:
    """The photo the rules rank first (ties: the shorter path, then the path)."""
    return choose(photos, plan, companions).photo


def choose_keepers(photos: Sequence[PhotoRecord], plan: KeepPlan = DEFAULT_PLAN,
                   companions: Companions | None = None) -> set[int]:
    """File ids to keep in one group: every photo in a reference folder, and the photo the rules
    rank first. Never empty for a non-empty group."""
    keep = {p.file_id for p in photos if plan.is_reference(p.path)}
    keep.add(best_photo(photos, plan, companions).file_id)
    return keep


class Group(Protocol):
    """What a duplicate group offers the keeper (grouping.DuplicateGroup)."""

    photos: list[PhotoRecord]
    keep: set[int]
    companions: dict[str, list[str]]


def apply_plan(groups: Iterable[Group], plan: KeepPlan) -> None:
    """Mark the keepers of every group by the plan (replacing earlier marks)."""
    for group in groups:
        group.keep = choose_keepers(group.photos, plan, group.companions)


def keep_phrases(group: Group, plan: KeepPlan) -> dict[int, tuple[Phrase, ...]]:
    """Why each kept photo of the group is kept, by file id (the photo the rules chose, photos
    in reference folders; photos kept otherwise: "kept by you"), as texts to translate."""
    out: dict[int, tuple[Phrase, ...]] = {}
    keepers = [p for p in group.photos if p.file_id in group.keep]
    if not keepers:
        return out
    choice = choose(group.photos, plan, group.companions)
    for p in keepers:
        if plan.is_reference(p.path):
            out[p.file_id] = (Phrase(_REASONS[KeepRule.REFERENCE_FOLDER]),)
        elif p.file_id == choice.photo.file_id:
            out[p.file_id] = choice.reasons
        else:
            out[p.file_id] = (Phrase(_KEPT_BY_YOU),)
    return out


def keep_reasons(group: Group, plan: KeepPlan) -> dict[int, str]:
    """keep_phrases in English, the reasons of a photo joined by "; "."""
    return {file_id: "; ".join(map(str, phrases))
            for file_id, phrases in keep_phrases(group, plan).items()}


def group_keep_reasons(group: Group, plan: KeepPlan) -> tuple[Phrase, ...]:
    """Which rules chose the photo kept in a group; () when there is nothing to say (no photo,
    or every photo, is kept)."""
    photos = group.photos
    keepers = [p for p in photos if p.file_id in group.keep]
    if not keepers or len(keepers) == len(photos):
        return ()
    if all(plan.is_reference(p.path) for p in keepers):
        return (Phrase(_REASONS[KeepRule.REFERENCE_FOLDER]),)
    return choose(photos, plan, group.companions).reasons
