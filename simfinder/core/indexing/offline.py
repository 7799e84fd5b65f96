"""Offline, not deleted: which folders' photos vanished because the folder cannot be seen now.

A photo that is gone from its folder is normally taken out of the library. But a NAS that is
down, an unplugged drive or an unmounted filesystem leaves its mount point behind, empty (or on
the disk underneath): every photo of the folder seems deleted at once, and taking them out
would throw away their features, thumbnails and the user's verifications, to be computed again
for hours when the drive is back. So a folder root is *offline* when its photos vanished and
it is now an empty folder, is no longer a mount point, or lies on another device than when it
was indexed; and a folder root or a subfolder is offline when many of its photos vanished at
once (more than OFFLINE_SHARE of them, at least OFFLINE_MIN_PHOTOS), none of it is seen, and
their contents did not turn up elsewhere (a moved or renamed folder is recognised by content
and handled as a move). An offline folder's photos stay in the library until it is back or the
user forgets them.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from simfinder.core.store.catalog import FolderDevice, OfflineFolder

log = logging.getLogger(__name__)

# Vanishing at once of more than this share of a folder's photos, and at least this many,
# makes the folder offline rather than emptied: a user deleting photos by hand deletes fewer.
OFFLINE_SHARE = 0.5
OFFLINE_MIN_PHOTOS = 20


@dataclass(frozen=True, slots=True)
class RootState:
    """A folder root as the scan found it."""

    device: FolderDevice
    empty: bool  # no entry at all: what an unmounted mount point looks like


def probe_root(root: str) -> RootState | None:
    """The root's device, mount state and emptiness; None if it cannot be read."""
    try:
        st = os.stat(root)
        with os.scandir(root) as entries:
            empty = next(entries, None) is None
        mounted = os.path.ismount(root)
    except OSError:
        return None
    return RootState(FolderDevice(st.st_dev, mounted), empty)


def root_offline_reason(state: RootState, recorded: FolderDevice | None) -> str | None:
    """Why a root whose photos vanished looks offline by its filesystem (None: it does not)."""
    if recorded is not None and recorded.mounted and not state.device.mounted:
        return "not mounted"
    if recorded is not None and recorded.device != state.device.device:
        return "on another drive than when it was indexed"
    if state.empty:
        return "empty"
    return None


def find_offline(
    root: str,
    known: Mapping[str, int],
    seen: Iterable[str],
    arrived: set[int],
    state: RootState,
    recorded: FolderDevice | None,
    was_offline: Iterable[str] = (),
) -> list[OfflineFolder]:
    """The offline folders at or below `root`: the root alone, or its outermost offline
    subfolders. `known`: the indexed files below the root with their content ids; `seen`: the
    paths the scan found below it; `arrived`: the contents found under new paths in this run
    (a file whose content arrived elsewhere was moved, not lost); `was_offline`: the folders
    below the root that were offline before (they stay so while nothing of them is seen)."""
    seen_set = set(seen)
    vanished = [p for p, cid in known.items() if p not in seen_set and cid not in arrived]
    if not vanished:
        return []
    now = time.time()
    reason = root_offline_reason(state, recorded)
    if reason is None and _many(len(vanished), len(known)):
        reason = f"{len(vanished)} of {len(known)} photos vanished at once"
    previous = set(was_offline)
    if reason is None and root in previous and not seen_set.intersection(known):
        reason = "still not seen"
    if reason is not None:
        return [OfflineFolder(root, reason, len(vanished), now)]

    known_under = _per_subfolder(known, root)
    seen_under = _per_subfolder(seen_set, root)
    vanished_under = _per_subfolder(vanished, root)
    out: list[OfflineFolder] = []
    for folder in sorted(vanished_under):  # parents sort before their subfolders
        if any(_is_at_or_under(folder, o.path) for o in out) or seen_under[folder]:
            continue
        count = vanished_under[folder]
        if folder in previous or _many(count, known_under[folder]):
            out.append(OfflineFolder(folder, f"{count} photos vanished at once", count, now))
    return out


def _many(vanished: int, known: int) -> bool:
    return vanished >= OFFLINE_MIN_PHOTOS and vanished > OFFLINE_SHARE * known


def _per_subfolder(paths: Iterable[str], root: str) -> Counter[str]:
    """How many of `paths` each subfolder of `root` holds (at any depth; the root itself not)."""
    counts: Counter[str] = Counter()
    prefix = root.rstrip(os.sep) + os.sep
    for path in paths:
        if not path.startswith(prefix):
            continue
        parts = path[len(prefix):].split(os.sep)[:-1]
        folder = prefix.rstrip(os.sep)
        for part in parts:
            folder = folder + os.sep + part
            counts[folder] += 1
    return counts


def _is_at_or_under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def is_offline(path: str, offline: Iterable[str]) -> bool:
    """Whether `path` lies in one of the `offline` folders."""
    return any(_is_at_or_under(path, folder) for folder in offline)
