"""Which photo of a duplicate group to keep: an ordered list of rules the user can reorder.

Each rule ranks the photos of a group on one property; the first rule that tells two photos
apart decides, the next ones only break its ties (then the shorter path, then the path, so the
choice is always the same). Photos in a *reference folder* are never marked for removal: they
are always kept, whatever the rules say, and the `REFERENCE_FOLDER` rule lets them count as the
best copy too (a group with a reference photo then keeps only that).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Protocol

from simfinder.core.catalog import PhotoRecord


class KeepRule(str, Enum):
    REFERENCE_FOLDER = "reference-folder"
    HIGHEST_RESOLUTION = "highest-resolution"
    PREFERRED_FORMAT = "preferred-format"
    LARGEST_FILE = "largest-file"
    LEAST_COMPRESSED = "least-compressed"
    OLDEST_CAPTURE = "oldest-capture"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]


_LABELS = {
    KeepRule.REFERENCE_FOLDER: "In a reference folder",
    KeepRule.HIGHEST_RESOLUTION: "Highest resolution",
    KeepRule.PREFERRED_FORMAT: "Preferred format",
    KeepRule.LARGEST_FILE: "Largest file",
    KeepRule.LEAST_COMPRESSED: "Least compressed",
    KeepRule.OLDEST_CAPTURE: "Oldest capture date",
}

_EXPLANATIONS = {
    KeepRule.REFERENCE_FOLDER: "a photo in one of your reference folders",
    KeepRule.HIGHEST_RESOLUTION: "the most pixels",
    KeepRule.PREFERRED_FORMAT: "the format highest in your format order (e.g. RAW over JPEG)",
    KeepRule.LARGEST_FILE: "the biggest file",
    KeepRule.LEAST_COMPRESSED: "the most bytes per pixel",
    KeepRule.OLDEST_CAPTURE: "the earliest capture date (EXIF), else the oldest file",
}

# The order the CLI and a fresh GUI use: a reference copy first, then the most pixels, the
# better format, the bigger file.
DEFAULT_RULES: tuple[KeepRule, ...] = (
    KeepRule.REFERENCE_FOLDER,
    KeepRule.HIGHEST_RESOLUTION,
    KeepRule.PREFERRED_FORMAT,
    KeepRule.LARGEST_FILE,
    KeepRule.LEAST_COMPRESSED,
    KeepRule.OLDEST_CAPTURE,
)

# Formats as the catalog names them (decode.DecodedPhoto.format), best first: camera RAW, then
# lossless, then the modern lossy formats over JPEG. A format not listed ranks after all these.
DEFAULT_FORMAT_ORDER: tuple[str, ...] = (
    "RAW", "TIFF", "PNG", "HEIF", "AVIF", "WEBP", "JPEG", "MPO", "BMP", "GIF",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class KeepPlan:
    """The rules in the user's order, their reference folders and their format order."""

    rules: tuple[KeepRule, ...] = DEFAULT_RULES
    reference_folders: tuple[str, ...] = ()
    format_order: tuple[str, ...] = DEFAULT_FORMAT_ORDER
    _refs: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Every rule exactly once, in the given order (rules left out go last, in the default
        # order), so a plan read from old or edited settings still ranks completely.
        seen = list(dict.fromkeys(self.rules))
        seen += [r for r in DEFAULT_RULES if r not in seen]
        object.__setattr__(self, "rules", tuple(seen))
        refs = tuple(_norm_folder(f) for f in self.reference_folders if f)
        object.__setattr__(self, "_refs", refs)

    def is_reference(self, path: str) -> bool:
        """True if `path` is in (or below) one of the reference folders."""
        return any(path == ref or path.startswith(ref + os.sep) for ref in self._refs)


DEFAULT_PLAN = KeepPlan()


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


def _format_rank(photo: PhotoRecord, order: Sequence[str]) -> int:
    fmt = photo.format.upper()
    try:
        return len(order) - order.index(fmt)
    except ValueError:
        return 0


def _score(photo: PhotoRecord, plan: KeepPlan) -> tuple[float, ...]:
    """Higher is better, rule by rule in the plan's order."""
    out: list[float] = []
    for rule in plan.rules:
        if rule is KeepRule.REFERENCE_FOLDER:
            out.append(1.0 if plan.is_reference(photo.path) else 0.0)
        elif rule is KeepRule.HIGHEST_RESOLUTION:
            out.append(float(photo.width * photo.height))
        elif rule is KeepRule.PREFERRED_FORMAT:
            out.append(float(_format_rank(photo, plan.format_order)))
        elif rule is KeepRule.LARGEST_FILE:
            out.append(float(photo.size))
        elif rule is KeepRule.LEAST_COMPRESSED:
            out.append(bytes_per_pixel(photo))
        elif rule is KeepRule.OLDEST_CAPTURE:
            out.append(-capture_time(photo))
    return tuple(out)


def best_photo(photos: Sequence[PhotoRecord], plan: KeepPlan = DEFAULT_PLAN) -> PhotoRecord:
    """The photo the rules rank first (ties: the shorter path, then the path)."""
    if not photos:
        raise ValueError("no photos to choose from")
    return max(photos, key=lambda p: (*_score(p, plan), -len(p.path), _reverse(p.path)))


def _reverse(text: str) -> tuple[int, ...]:
    # max() with "smaller path wins" on a tie: compare negated code points.
    return tuple(-ord(c) for c in text)


def choose_keepers(photos: Sequence[PhotoRecord], plan: KeepPlan = DEFAULT_PLAN) -> set[int]:
    """File ids to keep in one group: every photo in a reference folder, and the photo the rules
    rank first. Never empty for a non-empty group."""
    keep = {p.file_id for p in photos if plan.is_reference(p.path)}
    keep.add(best_photo(photos, plan).file_id)
    return keep


class Group(Protocol):
    """What a duplicate group offers the keeper (grouping.DuplicateGroup)."""

    photos: list[PhotoRecord]
    keep: set[int]


def apply_plan(groups: Iterable[Group], plan: KeepPlan) -> None:
    """Mark the keepers of every group by the plan (replacing earlier marks)."""
    for group in groups:
        group.keep = choose_keepers(group.photos, plan)


def why_kept(group: Group, plan: KeepPlan) -> str:
    """A short sentence saying which rules chose the photo kept in a group."""
    photos = group.photos
    keepers = [p for p in photos if p.file_id in group.keep]
    if not keepers or len(keepers) == len(photos):
        return ""
    if all(plan.is_reference(p.path) for p in keepers):
        return "Kept: in a reference folder."
    scores = {p.file_id: _score(p, plan) for p in photos}
    remaining = list(photos)
    deciders: list[KeepRule] = []
    for i, rule in enumerate(plan.rules):
        top = max(scores[p.file_id][i] for p in remaining)
        narrowed = [p for p in remaining if scores[p.file_id][i] == top]
        if len(narrowed) < len(remaining):
            deciders.append(rule)
            remaining = narrowed
        if len(remaining) == 1:
            break
    if not deciders:
        return "Kept: the copies are alike on every rule; the first by name is kept."
    return "Kept: " + ", then ".join(r.explanation for r in deciders) + "."
