"""Verify that a library's catalog, vector index and thumbnails agree, and repair them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from simfinder.core.photos.decode import DecodeFailure, decode_photo
from simfinder.core.photos.thumbs import encode_thumbnail
from simfinder.core.store.library import Library
from simfinder.core.store.vector_index import VectorIndex

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CheckReport:
    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems or len(self.repaired) >= len(self.problems)


def check_library(library: Library, *, repair: bool = False) -> CheckReport:
    """Report (and with `repair`, fix) every disagreement between the parts of a library."""
    report = CheckReport()
    cat = library.catalog

    bad = cat.integrity_problems()
    if bad:
        # SQLite damage cannot be fixed here; the photos themselves are untouched.
        report.problems.append(f"catalog is damaged: {'; '.join(bad[:3])}")
        return report

    with cat.transaction():
        orphans = cat.remove_orphan_contents() if repair else []
    if orphans:
        report.problems.append(f"{len(orphans)} stored photo contents have no file")
        report.repaired.append(f"removed {len(orphans)} contents without a file")
        for _, digest in orphans:
            library.thumbs.remove(digest)

    stale = {m: n for m, n in cat.models().items() if m != library.model_name}
    for model, n in stale.items():
        report.problems.append(
            f"{n} photos were indexed with another model ({model}): index their folders again"
        )

    _check_vectors(library, report, repair)
    _check_thumbnails(library, report, repair)
    return report


def _check_vectors(library: Library, report: CheckReport, repair: bool) -> None:
    expected_ids, _ = library.catalog.embeddings(
        library.model_name, library.dim, with_vectors=False
    )
    expected = set(expected_ids.tolist())
    path = library.vectors_path
    problem: str | None = None
    if not path.exists():
        if expected:
            problem = "the vector index file is missing"
    else:
        try:
            on_disk = VectorIndex.load(path, library.dim)
        except (OSError, RuntimeError, ValueError) as exc:
            problem = f"the vector index file is unreadable ({exc})"
        else:
            missing, stale = on_disk.retain(expected)
            if missing or stale:
                problem = (
                    f"the vector index is out of step with the catalog ({len(missing)} photos"
                    f" missing, {stale} stale entries)"
                )
    if problem is None:
        return
    report.problems.append(problem)
    if repair:
        library.drop_vectors()
        library.vectors  # noqa: B018 - loading reconciles the index with the catalog
        library.save_vectors(force=True)
        report.repaired.append(f"rebuilt the vector index ({len(library.vectors)} photos)")


def _check_thumbnails(library: Library, report: CheckReport, repair: bool) -> None:
    digests = library.catalog.content_digests()
    wanted = set(digests.values())
    cached = set(library.thumbs.digests())
    stray = cached - wanted
    missing = [cid for cid, d in digests.items() if d not in cached]
    if stray:
        report.problems.append(f"{len(stray)} thumbnails belong to no photo")
        if repair:
            for digest in stray:
                library.thumbs.remove(digest)
            report.repaired.append(f"removed {len(stray)} stray thumbnails")
    if missing:
        report.problems.append(f"{len(missing)} photos have no thumbnail")
        if repair:
            made = _remake_thumbnails(library, missing, digests)
            report.repaired.append(f"made {made} of {len(missing)} missing thumbnails")


def _remake_thumbnails(library: Library, content_ids: list[int], digests: dict[int, bytes]) -> int:
    made = 0
    for record in library.catalog.photos_of_contents(content_ids):
        digest = digests[record.content_id]
        if library.thumbs.has(digest):
            continue  # another file of the same content already made it
        decoded = decode_photo(Path(record.path))
        if isinstance(decoded, DecodeFailure):
            log.info("cannot remake thumbnail from %s: %s", record.path, decoded.reason)
            continue
        library.thumbs.put(digest, encode_thumbnail(decoded.image))
        made += 1
    return made
