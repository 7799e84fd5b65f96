"""The user's decisions about duplicate groups, and how they apply to groups found later.

A decision says of some photos either "not duplicates" (they must never be grouped together
again: a cannot-link constraint between their contents, whatever photo would join them) or
"keep all" (they are duplicates, and every one of them stays). It names its files by content
digest, with the path each had then; so it holds across renames and moves, and counts copies:
a group of files all named by one decision (no more copies of a content than it saw) is
*decided* and left out of the review, while a group with files a whole-group decision did not
see *comes back*, its decided files kept and only the new ones to look at.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from simfinder.core.store.catalog import Catalog, DecisionRecord, PhotoRecord

log = logging.getLogger(__name__)

KEEP_ALL = "keep-all"
NOT_DUPLICATES = "not-duplicates"
KINDS = (KEEP_ALL, NOT_DUPLICATES)

GROUP = "group"  # the decision was about a whole group as the review showed it
PHOTOS = "photos"  # ... about some photos of a group (a pair, a selection)
SCOPES = (GROUP, PHOTOS)

EXPORT_FORMAT = "simfinder-decisions"
# 2: "series", the "keep all" decisions about series of similar shots (a version-1 file has
# none and still imports).
EXPORT_VERSION = 2


class DecisionError(ValueError):
    """A decision that cannot be made or read (too few photos, unknown kind, bad file)."""


def group_key(photos: Iterable[PhotoRecord]) -> bytes:
    """What identifies a group in the review: its contents, with how many copies of each (the
    same after renames and moves; another once a file joins or leaves)."""
    h = hashlib.blake2b(digest_size=16)
    for digest in sorted(p.digest for p in photos):
        h.update(digest)
    return h.digest()


@dataclass(frozen=True, slots=True)
class DecisionMatch:
    """The decision that speaks for most of a group's files, and which files it covers."""

    decision: DecisionRecord
    covered: frozenset[int]  # file ids


def cannot_link(
    decisions: Iterable[DecisionRecord], content_of: dict[bytes, int]
) -> set[tuple[int, int]]:
    """Content id pairs (a < b) that "not duplicates" decisions keep apart (contents that are
    not in the library now are left out)."""
    out: set[tuple[int, int]] = set()
    for d in decisions:
        if d.kind != NOT_DUPLICATES:
            continue
        ids = sorted({content_of[f.digest] for f in d.files if f.digest in content_of})
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                out.add((a, b))
    return out


def copies_seen(decision: DecisionRecord) -> dict[bytes, set[str]]:
    """The paths a decision saw for each content it names (how many copies, and where)."""
    seen: dict[bytes, set[str]] = defaultdict(set)
    for f in decision.files:
        seen[f.digest].add(f.path)
    return seen


def pick_copies(files: Iterable[PhotoRecord], paths_seen: set[str]) -> list[PhotoRecord]:
    """Of one content's files, those a decision that saw `paths_seen` speaks for: as many as
    it saw, the ones at the paths it saw first, then the others by path."""
    ranked = sorted(files, key=lambda p: (p.path not in paths_seen, p.path))
    return ranked[: len(paths_seen)]


class DecisionIndex:
    """Decisions by the digests they name, to match found groups against them quickly."""

    def __init__(self, decisions: Iterable[DecisionRecord]) -> None:
        self.decisions = list(decisions)
        self._by_digest: dict[bytes, list[int]] = defaultdict(list)
        self._copies = [copies_seen(d) for d in self.decisions]
        for n, copies in enumerate(self._copies):
            for digest in copies:
                self._by_digest[digest].append(n)

    def __len__(self) -> int:
        return len(self.decisions)

    def match(self, photos: Sequence[PhotoRecord]) -> DecisionMatch | None:
        """The decision covering the most files of this group (at least two; ties: the newest),
        or None. Of a content with more copies than the decision saw, the copies at the paths
        it saw count first, then the others by path."""
        candidates = {n for p in photos for n in self._by_digest.get(p.digest, ())}
        best: tuple[tuple[int, float, int], DecisionMatch] | None = None
        for n in candidates:
            covered = self._covered(photos, self._copies[n])
            if len(covered) < 2:
                continue
            d = self.decisions[n]
            rank = (len(covered), d.made_at, d.id)
            if best is None or rank > best[0]:
                best = (rank, DecisionMatch(d, covered))
        return None if best is None else best[1]

    @staticmethod
    def _covered(photos: Sequence[PhotoRecord], copies: dict[bytes, set[str]]) -> frozenset[int]:
        by_digest: dict[bytes, list[PhotoRecord]] = defaultdict(list)
        for p in photos:
            if p.digest in copies:
                by_digest[p.digest].append(p)
        return frozenset(p.file_id for digest, files in by_digest.items()
                         for p in pick_copies(files, copies[digest]))


def carried_to_copies(
    decisions: Iterable[DecisionRecord],
    left: Iterable[tuple[PhotoRecord, Sequence[PhotoRecord]]],
) -> list[list[tuple[bytes, str]]]:
    """"Not duplicates" decisions carried to the copies that stay when a photo they name
    leaves as a duplicate of them. `left`: each photo moved away with the photos kept in its
    group (the user said, by removing it, that they are the same picture). "A is not B"
    then holds for B's kept copy C too: a decision naming A and C, the (digest, path) rows of
    each new decision that is not there yet. Without it, once B is gone nothing keeps A and
    C apart, and the photo the user set aside comes back grouped with B's copy."""
    named = [(d, {f.digest for f in d.files}) for d in decisions if d.kind == NOT_DUPLICATES]
    have = {frozenset(digests) for _, digests in named}
    out: list[list[tuple[bytes, str]]] = []
    for gone, kept in left:
        for d, digests in named:
            if gone.digest not in digests:
                continue
            others = [(f.digest, f.path) for f in d.files if f.digest != gone.digest]
            for copy in kept:
                if copy.digest in digests:
                    continue  # the decision already says this photo is another picture
                wanted = frozenset(digests - {gone.digest} | {copy.digest})
                if wanted in have or len(wanted) < 2:
                    continue
                have.add(wanted)
                out.append(sorted([*others, (copy.digest, copy.path)]))
    return out


def new_decision_files(
    kind: str, photos: Sequence[PhotoRecord]
) -> list[tuple[bytes, str]]:
    """The (digest, path) rows of a decision about these photos, checked."""
    if kind not in KINDS:
        raise DecisionError(f"unknown decision {kind!r}: use one of {', '.join(KINDS)}")
    files = {(p.digest, p.path) for p in photos}
    if len(files) < 2:
        raise DecisionError("a decision is about two photos or more")
    if kind == NOT_DUPLICATES and len({digest for digest, _ in files}) < 2:
        raise DecisionError("these files are exact copies (the same bytes): they are "
                            "duplicates; to keep them all, decide keep-all")
    return sorted(files)


def decisions_as_json(decisions: Sequence[DecisionRecord],
                      series: Sequence[DecisionRecord] = ()) -> dict[str, Any]:
    """The exported decisions, about duplicate groups and (`series`) about series of similar
    shots: portable to another library of the same photos (contents are named by digest;
    paths are what they were, to show)."""
    def entry(d: DecisionRecord, with_scope: bool) -> dict[str, Any]:
        return {"id": d.id, "kind": d.kind, **({"scope": d.scope} if with_scope else {}),
                "made_at": d.made_at,
                "files": [{"digest": f.digest.hex(), "path": f.path} for f in d.files]}

    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "decisions": [entry(d, True) for d in decisions],
        "series": [entry(d, False) for d in series],
    }


@dataclass(frozen=True, slots=True)
class ExportedDecision:
    kind: str
    scope: str  # GROUP for a series (always the whole series)
    made_at: float
    files: list[tuple[bytes, str]]

    @property
    def key(self) -> tuple[str, frozenset[tuple[bytes, str]]]:
        return self.kind, frozenset(self.files)


def parse_decisions(text: str) -> tuple[list[ExportedDecision], list[ExportedDecision]]:
    """Read an exported decisions file: its decisions about duplicate groups, and those about
    series of similar shots."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DecisionError(f"not a decisions file: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != EXPORT_FORMAT:
        raise DecisionError("not a simfinder decisions file")
    if not isinstance(doc.get("version"), int) or doc["version"] > EXPORT_VERSION:
        raise DecisionError("the decisions file was written by a newer simfinder")
    try:
        return ([_parse_entry(d, KINDS) for d in doc["decisions"]],
                [_parse_entry(d, (KEEP_ALL,)) for d in doc.get("series", [])])
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, DecisionError):
            raise
        raise DecisionError(f"the decisions file is damaged: {exc}") from None


def _parse_entry(d: Any, kinds: Sequence[str]) -> ExportedDecision:
    kind, scope = str(d["kind"]), str(d.get("scope", GROUP))
    if kind not in kinds or scope not in SCOPES:
        raise DecisionError(f"unknown decision {kind!r} ({scope!r})")
    files = [(bytes.fromhex(f["digest"]), str(f["path"])) for f in d["files"]]
    if len(files) < 2:
        raise DecisionError("a decision in the file names fewer than two photos")
    return ExportedDecision(kind, scope, float(d["made_at"]), files)


def import_decisions(catalog: Catalog, text: str) -> tuple[int, int]:
    """Add the decisions of an exported file that the library does not have yet, about
    duplicate groups and about series alike. Returns (added, already there)."""
    groups, series = parse_decisions(text)
    added = _add_new(groups, catalog.decisions(),
                     lambda d: catalog.add_decision(d.kind, d.scope, d.files, d.made_at))
    added += _add_new(series, catalog.series_decisions(),
                      lambda d: catalog.add_series_decision(d.kind, d.files, d.made_at))
    known = len(groups) + len(series) - added
    log.info("imported %d decisions (%d already there)", added, known)
    return added, known


def _add_new(found: Sequence[ExportedDecision], stored: Sequence[DecisionRecord],
             add: Callable[[ExportedDecision], object]) -> int:
    """Add each of `found` that is not among `stored` (nor earlier in `found`); how many."""
    have = {(d.kind, frozenset((f.digest, f.path) for f in d.files)) for d in stored}
    added = 0
    for d in found:
        if d.key not in have:
            add(d)
            have.add(d.key)
            added += 1
    return added
