"""The user's decisions about duplicate groups: making them, listing them (with where their
photos are now), undoing them, exporting and importing them. The Duplicates view, its
Decisions panel and the command line share these. The "keep all" decisions about series of
similar shots (app.series) are listed and undone here too: they are kept apart in the
catalog and named by a reference with an "s" before their id ("s3"), so that the two kinds
never mix up."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from simfinder.core.atomic import write_bytes_atomic
from simfinder.core.matching.decisions import (
    GROUP,
    KEEP_ALL,
    PHOTOS,
    DecisionError,
    copies_seen,
    decisions_as_json,
    import_decisions,
    new_decision_files,
    pick_copies,
)
from simfinder.core.matching.grouping import DuplicateGroup
from simfinder.core.store.catalog import Catalog, DecisionRecord, PhotoRecord
from simfinder.core.translatable import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)

KIND_WORDS = {KEEP_ALL: QT_TRANSLATE_NOOP("engine", "Keep all"),
              "not-duplicates": QT_TRANSLATE_NOOP("engine", "Not duplicates")}
DUPLICATES, SERIES = "duplicates", "series"  # what a decision is about
SERIES_PREFIX = "s"  # a series decision's reference: "s" and its id


def decide(catalog: Catalog, kind: str, photos: Sequence[PhotoRecord], scope: str) -> int:
    """Record a decision about these photos (a whole group, or some photos of one); returns
    its id. Raises DecisionError for fewer than two photos or an unknown kind."""
    return catalog.add_decision(kind, scope, new_decision_files(kind, photos))


def decide_group(catalog: Catalog, kind: str, group: DuplicateGroup) -> int:
    return decide(catalog, kind, group.photos, GROUP)


def decide_paths(catalog: Catalog, kind: str, paths: Sequence[str]) -> int:
    """A decision about indexed photos named by path (absolute or relative to here)."""
    photos: list[PhotoRecord] = []
    for path in paths:
        record = catalog.photo(str(Path(path).expanduser().resolve()))
        if record is None:
            raise DecisionError(f"not in the library: {path}")
        photos.append(record)
    return decide(catalog, kind, photos, PHOTOS)


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A decision with the photos it names as the library has them now (renamed or moved
    files at their new paths); none when every file has left the library."""

    record: DecisionRecord
    present: list[PhotoRecord]
    about: str = DUPLICATES  # or SERIES: keep all the shots of a series

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def ref(self) -> str:
        """How the user names it: its id ("3"), or "s3" for a series decision."""
        return f"{SERIES_PREFIX}{self.id}" if self.about == SERIES else str(self.id)

    @property
    def kind(self) -> str:
        return self.record.kind

    @property
    def gone(self) -> bool:
        return not self.present

    def names(self) -> list[str]:
        """The current paths, or the paths the decision saw if the files are gone."""
        return [p.path for p in self.present] if self.present else \
            [f.path for f in self.record.files]

    def describe(self) -> str:
        """"Keep all: 3 photos (cat.jpg, cat-small.jpg, ...)"."""
        names = [Path(n).name for n in self.names()]
        shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
        if self.about == SERIES:
            return f"{KIND_WORDS[self.kind]} (similar shots): {len(names)} photos ({shown})"
        return f"{KIND_WORDS[self.kind]}: {len(names)} photos ({shown})"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ref": self.ref,
            "about": self.about,
            "kind": self.kind,
            "scope": self.record.scope,
            "made_at": datetime.fromtimestamp(self.record.made_at).isoformat(timespec="seconds"),
            "files": [{"digest": f.digest.hex(), "path": f.path} for f in self.record.files],
            "present": [p.path for p in self.present],
        }


def list_decisions(catalog: Catalog) -> list[DecisionView]:
    """Every decision about duplicate groups, newest first, with the files of its contents
    in the library now (as many copies of each as the decision saw, those at the paths it saw
    first)."""
    return _views(catalog, catalog.decisions(), DUPLICATES)


def list_series_decisions(catalog: Catalog) -> list[DecisionView]:
    """Every "keep all" about a series of similar shots, newest first, as list_decisions."""
    return _views(catalog, catalog.series_decisions(), SERIES)


def list_all_decisions(catalog: Catalog) -> list[DecisionView]:
    """The decisions of both kinds, newest first."""
    views = [*list_decisions(catalog), *list_series_decisions(catalog)]
    return sorted(views, key=lambda v: (-v.record.made_at, v.about, -v.id))


def _views(catalog: Catalog, records: list[DecisionRecord], about: str) -> list[DecisionView]:
    if not records:
        return []
    content_of = {digest: cid for cid, digest in catalog.content_digests().items()}
    wanted = {content_of[f.digest] for d in records for f in d.files if f.digest in content_of}
    by_digest: dict[bytes, list[PhotoRecord]] = defaultdict(list)
    for p in catalog.photos_of_contents(sorted(wanted)):
        by_digest[p.digest].append(p)
    out: list[DecisionView] = []
    for d in records:
        present = [p for digest, paths in copies_seen(d).items()
                   for p in pick_copies(by_digest.get(digest, []), paths)]
        out.append(DecisionView(d, sorted(present, key=lambda p: p.path), about))
    return out


def undo_decisions(catalog: Catalog, ids: Sequence[int]) -> int:
    """Take decisions back: their groups are reviewed again. Returns how many were found."""
    return catalog.remove_decisions(ids)


def parse_refs(refs: Sequence[str]) -> tuple[list[int], list[int]]:
    """Decision references ("3", "s3") as (duplicate-group ids, series ids). Raises
    DecisionError for one that is neither."""
    groups: list[int] = []
    series: list[int] = []
    for ref in refs:
        text = ref.strip().lower()
        target = series if text.startswith(SERIES_PREFIX) else groups
        digits = text.removeprefix(SERIES_PREFIX)
        if not digits.isdigit() or int(digits) < 1:
            raise DecisionError(f"not a decision: {ref!r} (an id such as 3, or s3 for a "
                                "series)")
        target.append(int(digits))
    return groups, series


def undo_refs(catalog: Catalog, refs: Sequence[str]) -> int:
    """Take back decisions of either kind, by reference; returns how many were found."""
    groups, series = parse_refs(refs)
    undone = catalog.remove_decisions(groups) if groups else 0
    return undone + (catalog.remove_series_decisions(series) if series else 0)


def export_decisions(catalog: Catalog, path: Path) -> int:
    """Write every decision, about duplicate groups and about series of similar shots, to a
    JSON file (atomically); returns how many."""
    records, series = catalog.decisions(), catalog.series_decisions()
    text = json.dumps(decisions_as_json(records, series), indent=2) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))
    return len(records) + len(series)


def import_decisions_file(catalog: Catalog, path: Path) -> tuple[int, int]:
    """Add the decisions of an exported file; returns (added, already there)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DecisionError(f"cannot read {path}: {exc}") from None
    return import_decisions(catalog, text)
