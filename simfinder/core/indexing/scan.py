"""Walk photo folders: which files are photos, with the stat data that tells if they changed."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from simfinder.core.photos.companions import FolderCompanions, folder_companions, is_companion_name
from simfinder.core.photos.formats import is_photo_path
from simfinder.core.photos.image_magic import HEAD_BYTES, starts_like_image
from simfinder.core.progress import CancelToken

log = logging.getLogger(__name__)

# Extensions that are certainly not photos: skipped without opening them.
_NOT_PHOTOS = frozenset(
    (
        ".txt .md .pdf .doc .docx .xls .xlsx .ppt .pptx .odt .ods .csv .json .xml .html .htm"
        " .css .js .py .c .h .zip .gz .tar .7z .rar .xz .bz2 .iso .dmg .exe .dll .so .bin .dat"
        " .db .sqlite .mp3 .ogg .flac .wav .m4a .aac .opus .mp4 .mov .avi .mkv .webm .m4v .mts"
        " .m2ts .3gp .wmv .xmp .aae .thm .lrv .ini .log .nfo .url .lnk .torrent .pp3 .dop"
    ).split()
)

def looks_like_image(path: str) -> bool:
    """True if the file starts like an image we can decode, whatever its name says."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError:
        return False
    return starts_like_image(head)


@dataclass(frozen=True, slots=True)
class ScannedFile:
    path: str
    size: int
    mtime_ns: int


@dataclass(slots=True)
class ScanResult:
    files: list[ScannedFile] = field(default_factory=list)
    # Folders (or roots) that could not be listed, with a reason. Files below them that the
    # catalog knows must not be taken as deleted.
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    # Photo path -> its companion files (core.photos.companions), for the photos that have any.
    companions: dict[str, list[str]] = field(default_factory=dict)
    # The folders listed: their companions are all in `companions`.
    listed: list[str] = field(default_factory=list)


def scan_folders(
    roots: Iterable[Path],
    *,
    exclude: Iterable[Path] = (),
    cancel: CancelToken | None = None,
    pair_raw: bool = True,
) -> ScanResult:
    """Every photo below `roots` (hidden folders and `exclude` skipped, symlink loops cut),
    less the photos that are another's companion (core.photos.companions: the RAW of a RAW+JPEG
    pair unless not `pair_raw`, an Apple edited rendering)."""
    result = ScanResult()
    excluded = {os.path.normcase(str(p)) for p in exclude}
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[str] = set()
    for root in roots:
        top = str(root)
        try:
            st = os.stat(top)
        except OSError as exc:
            result.unreadable.append((top, _reason(exc)))
            continue
        if not stat.S_ISDIR(st.st_mode):
            # A single file given as a root.
            if top not in seen_files and (is_photo_path(top) or looks_like_image(top)):
                seen_files.add(top)
                result.files.append(ScannedFile(top, st.st_size, st.st_mtime_ns))
            continue
        stack = [top]
        while stack:
            if cancel is not None:
                cancel.raise_if_cancelled()
            folder = stack.pop()
            try:
                dst = os.stat(folder)
            except OSError as exc:
                result.unreadable.append((folder, _reason(exc)))
                continue
            key = (dst.st_dev, dst.st_ino)
            if key in seen_dirs:
                continue  # a symlink loop or a folder reached twice
            seen_dirs.add(key)
            try:
                entries = list(os.scandir(folder))
            except OSError as exc:
                result.unreadable.append((folder, _reason(exc)))
                continue
            result.listed.append(folder)
            photos_here: dict[str, ScannedFile] = {}
            others_here: list[str] = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    if entry.is_dir():
                        if os.path.normcase(entry.path) not in excluded:
                            stack.append(entry.path)
                        continue
                    if not entry.is_file():
                        continue
                    if not _is_candidate(entry.path):
                        if is_companion_name(entry.name):
                            others_here.append(entry.path)
                        continue
                    fst = entry.stat()
                except OSError as exc:
                    log.info("skipping %s: %s", entry.path, exc)
                    continue
                if entry.path in seen_files:
                    continue
                seen_files.add(entry.path)
                photos_here[entry.path] = ScannedFile(entry.path, fst.st_size, fst.st_mtime_ns)
            owned = folder_companions(photos_here, others_here, pair_raw=pair_raw)
            result.files.extend(photos_here[p] for p in owned.photos)
            result.companions.update(owned.companions)
    return result


def folder_owners(folder: str, *, pair_raw: bool = True) -> FolderCompanions:
    """Who owns what in `folder` now, as a scan would find it (nothing if it cannot be
    listed): for the confirmation of a move, which may name the files that stay."""
    photos: list[str] = []
    others: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                if _is_candidate(entry.path):
                    photos.append(entry.path)
                elif is_companion_name(entry.name):
                    others.append(entry.path)
    except OSError as exc:
        log.info("cannot list %s: %s", folder, exc)
        return FolderCompanions()
    return folder_companions(photos, others, pair_raw=pair_raw)


def _is_candidate(path: str) -> bool:
    if is_photo_path(path):
        return True
    ext = os.path.splitext(path)[1].lower()
    if ext in _NOT_PHOTOS:
        return False
    return looks_like_image(path)


def _reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "folder not found"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)
