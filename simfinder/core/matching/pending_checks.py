"""Comparing likely copies ahead of grouping: the pairs grouping verifies geometrically
(`grouping.pairs_to_verify`) are verified after indexing and kept in the catalog, and so are the
capture checks of the pairs then accepted as copies (`capture_checks`), so that the Duplicates
view and `duplicates` find them stored instead of computing them while the user waits.

The stage is cancellable and resumable: pairs are verified in chunks, each stored in its own
transaction (a kill loses at most the chunk in hand), and a run verifies only the pairs not yet
stored. When a run finishes, the library's fingerprint (its contents, their models, the
verifier's and simfinder's versions) is kept with it: a later run on an unchanged library skips
the stage without looking for pairs. Pairs with a photo that has no pixels now (no thumbnail,
file gone) cannot be verified and are not stored; they are counted, and tried again only once
the library has changed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from simfinder import __version__
from simfinder.core.progress import CancelToken, Progress, ProgressCallback, ProgressMeter
from simfinder.core.store.library import Library

log = logging.getLogger(__name__)

STAGE = "compare-likely-copies"  # its name in the catalog's stages_done
PHASE = "comparing"  # the phase of its Progress reports (total 0: looking for the pairs)
CHUNK = 256  # pairs verified and stored together: ~2 s of work on two cores


@dataclass(frozen=True, slots=True)
class ComparisonReport:
    pairs: int = 0  # the pairs grouping verifies
    stored_before: int = 0  # of them, verified earlier (an earlier run, or grouping)
    verified: int = 0  # verified and stored by this run
    unverifiable: int = 0  # a photo without pixels: not verified, not stored
    seconds: float = 0.0
    cancelled: bool = False
    skipped: bool = False  # the library had not changed since the stage last finished

    @property
    def left(self) -> int:
        """Pairs still to verify (after a cancelled run)."""
        return max(0, self.pairs - self.stored_before - self.verified - self.unverifiable)

    @property
    def rate(self) -> float:
        """Pairs verified per second."""
        return self.verified / self.seconds if self.seconds > 0 else 0.0


def library_fingerprint(library: Library) -> bytes:
    """What the pairs to verify depend on: the contents, their models and the versions of the
    verifier and of simfinder (whose grouping rules choose the pairs)."""
    from simfinder.core.matching.capture import CAPTURE_VERSION
    from simfinder.core.matching.verify import VERIFY_VERSION

    cat = library.catalog
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{VERIFY_VERSION}|{CAPTURE_VERSION}|{__version__}|"
                  f"{sorted(cat.models().items())}|".encode())
    digest.update(cat.content_ids().tobytes())
    return digest.digest()


def compare_likely_copies(
    library: Library,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    chunk: int | None = None,
) -> ComparisonReport:
    """Verify and store the pairs grouping would verify that are not stored yet, `chunk` (by
    default CHUNK) at a time; stops between chunks when `cancel` is set (the next run carries
    on)."""
    # Imported here: OpenCV (verification) is loaded by the stage, not by its callers.
    from simfinder.core.matching.grouping import group_judged, judge_pairs, pairs_to_verify
    from simfinder.core.matching.pairchecks import PairChecker
    from simfinder.core.matching.similarity import Strictness, shows_copy
    from simfinder.core.matching.verify import VERIFY_VERSION

    started = time.perf_counter()
    fingerprint = library_fingerprint(library)
    if library.catalog.stage_fingerprint(STAGE) == fingerprint:
        log.info("likely copies: nothing changed since they were last compared")
        return ComparisonReport(skipped=True, seconds=time.perf_counter() - started)
    if progress is not None:
        progress(Progress(PHASE, 0, 0, 0.0))
    pairs = pairs_to_verify(library)
    stored = library.catalog.checked_pairs(pairs, VERIFY_VERSION)
    pending = [pair for pair in pairs if pair not in stored]
    asked = set(pairs)
    meter = ProgressMeter(progress, PHASE, len(pending))
    checker = PairChecker(library)  # one for all chunks: its features LRU carries over
    verified = unverifiable = 0
    cancelled = False
    size = chunk or CHUNK
    while pending and not cancelled:
        copies_found = False
        for start in range(0, len(pending), size):
            if cancel is not None and cancel.cancelled:
                cancelled = True
                meter.advance(0, force=True)  # where it stopped, however soon after the last
                break
            part = pending[start : start + size]
            before = checker.stats.verified
            found = checker.check(part)  # stores what it verified, in one transaction
            verified += checker.stats.verified - before
            unverifiable += len(part) - len(found)
            copies_found = copies_found or any(shows_copy(v) for v in found.values())
            meter.advance(len(part))
        if cancelled or not copies_found:
            break
        # Copies just verified let the photos near them look past them (candidates): the
        # pairs grouping verifies may have grown.
        more = [pair for pair in pairs_to_verify(library) if pair not in asked]
        asked.update(more)
        stored_more = library.catalog.checked_pairs(more, VERIFY_VERSION)
        stored |= stored_more
        pairs += more
        pending = [pair for pair in more if pair not in stored_more]
        meter.total += len(pending)
    if not cancelled and not (cancel is not None and cancel.cancelled):
        # The pairs that join groups of copies get their capture checks (another exposure
        # or moment?) from the originals, stored for grouping: grouping asks for them.
        for level in (Strictness.STRICT, Strictness.NORMAL):
            group_judged(library, judge_pairs(library, level, checker))
    cancelled = cancelled or (cancel is not None and cancel.cancelled)
    if not cancelled:
        library.catalog.put_stage_fingerprint(STAGE, fingerprint)
    report = ComparisonReport(len(pairs), len(stored), verified, unverifiable,
                              time.perf_counter() - started, cancelled)
    log.info("likely copies: %d pairs, %d verified earlier, %d verified now, %d without "
             "pixels, in %.1f s%s", report.pairs, report.stored_before, report.verified,
             report.unverifiable, report.seconds, " (cancelled)" if cancelled else "")
    return report
