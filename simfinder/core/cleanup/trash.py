"""The system trash: files go there through send2trash; Undo finds them there and puts them back.

send2trash moves a file into the platform's trash but does not say where it ended up, so after
each move the entry is looked up and its place recorded (Undo looks it up again if it moved):

- Linux and other freedesktop systems: `$XDG_DATA_HOME/Trash` (or a volume's `.Trash/$uid`,
  `.Trash-$uid`), `files/NAME` with `info/NAME.trashinfo` holding the original `Path=`. Putting
  back moves the file to its original path and removes the `.trashinfo`, as file managers do.
- Windows: the Recycle Bin of the file's drive, `$Recycle.Bin/<SID>/$Rxxxxxx.ext` with a
  `$Ixxxxxx.ext` record of the original path.
- macOS: the Trash keeps no readable record of the original path; the entry is the file in
  `~/.Trash` (or a volume's `.Trashes/$uid`) with the same name stem, size and content digest.

When an entry cannot be found or moved back, `RestoreError` says so in words and names where
the file is, so the person can put it back from the trash themselves.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote_to_bytes

from simfinder.core.photos.digest import file_digest
from simfinder.core.translatable import QT_TRANSLATE_NOOP

log = logging.getLogger(__name__)


class TrashError(OSError):
    """A file could not be moved to the trash."""


class RestoreError(Exception):
    """A trashed file could not be put back automatically; the message says where it is."""


@dataclass(frozen=True, slots=True)
class TrashEntry:
    """Where a trashed file is: the file in the trash and its record (.trashinfo / $I file)."""

    location: str
    record: str | None
    deleted_at: float  # for choosing the newest of several entries for one path


def trash_name() -> str:
    """What the platform calls its trash, in a sentence ("to the Trash")."""
    if sys.platform == "win32":
        return QT_TRANSLATE_NOOP("engine", "the Recycle Bin")
    return QT_TRANSLATE_NOOP("engine", "the Trash")


def trash_title() -> str:
    """What the platform calls its trash, as a title ("Move to Trash")."""
    if sys.platform == "win32":
        return QT_TRANSLATE_NOOP("engine", "Recycle Bin")
    return QT_TRANSLATE_NOOP("engine", "Trash")


class SystemTrash:
    """The platform's trash (tests point it at a temporary one through XDG_DATA_HOME)."""

    def send(
        self, path: str, *, digest: bytes | None = None, size: int | None = None
    ) -> TrashEntry | None:
        """Move `path` to the trash; returns where it went (None if that cannot be told).
        `digest` and `size` (of the file's bytes) help find it on macOS."""
        from send2trash import send2trash
        from send2trash.exceptions import TrashPermissionError

        try:
            send2trash(path)
        except TrashPermissionError as exc:
            raise TrashError(errno.EACCES, f"permission denied: {exc}") from exc
        return self.locate(path, digest=digest, size=size)

    def locate(
        self, original: str, *, digest: bytes | None = None, size: int | None = None
    ) -> TrashEntry | None:
        """The newest trash entry for a file that was at `original`."""
        best: TrashEntry | None = None
        for entry in _entries_for(original, digest, size):
            if best is None or entry.deleted_at > best.deleted_at:
                best = entry
        return best

    def restore(
        self,
        original: str,
        location: str | None,
        *,
        digest: bytes | None = None,
        size: int | None = None,
    ) -> None:
        """Put a trashed file back at `original`. Raises RestoreError with where the file is
        when that cannot be done."""
        entry = None
        if location is not None and os.path.lexists(location):
            entry = TrashEntry(location, _record_for(location), 0.0)
        if entry is None:
            entry = self.locate(original, digest=digest, size=size)
        if entry is None:
            if digest is not None and os.path.isfile(original) and _digest_or_none(original) \
                    == digest:
                return  # put back already (from the file manager)
            raise RestoreError(
                f"{os.path.basename(original)} is no longer in {trash_name()} (emptied, or "
                "put back elsewhere), so it cannot be restored")
        if os.path.lexists(original):
            raise RestoreError(
                f"another file is now at {original}; the trashed copy stays in "
                f"{trash_name()} at {entry.location}")
        try:
            os.makedirs(os.path.dirname(original), exist_ok=True)
            _move(entry.location, original)
        except OSError as exc:
            raise RestoreError(
                f"could not move {os.path.basename(original)} back "
                f"({exc.strerror or exc}); it is in {trash_name()} at {entry.location}"
            ) from exc
        if entry.record is not None:
            try:
                os.unlink(entry.record)
            except OSError:
                log.warning("could not remove the trash record %s", entry.record)


def _digest_or_none(path: str) -> bytes | None:
    try:
        return file_digest(path)
    except OSError:
        return None


def _move(src: str, dst: str) -> None:
    """Rename, or copy and delete across file systems (the copy keeps times and bytes)."""
    try:
        os.rename(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.move(src, dst)


def _record_for(location: str) -> str | None:
    if sys.platform == "win32":
        folder, name = os.path.split(location)
        record = os.path.join(folder, "$I" + name[2:]) if name.startswith("$R") else None
    elif sys.platform == "darwin":
        return None
    else:
        files_dir, name = os.path.split(location)
        record = os.path.join(os.path.dirname(files_dir), "info", name + ".trashinfo")
    return record if record is not None and os.path.isfile(record) else None


def _entries_for(
    original: str, digest: bytes | None, size: int | None
) -> Iterator[TrashEntry]:
    if sys.platform == "win32":
        yield from _windows_entries(original)
    elif sys.platform == "darwin":
        yield from _mac_entries(original, digest, size)
    else:
        yield from _freedesktop_entries(original)


# -- freedesktop (Linux, BSD) ---------------------------------------------------------------


def freedesktop_trash_dirs(original: str) -> list[tuple[Path, Path]]:
    """(trash folder, the folder its relative `Path=` entries start from) that may hold a file
    trashed from `original`: the home trash, and the trash folders of the file's volume."""
    out: list[tuple[Path, Path]] = []
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    out.append((data_home / "Trash", data_home))
    plat = sys.modules.get("send2trash.plat_other")
    if plat is not None:  # send2trash reads XDG_DATA_HOME once, when first imported
        cached = Path(os.fsdecode(plat.XDG_DATA_HOME))
        if cached != data_home:
            out.append((cached / "Trash", cached))
    mount = Path(_mount_point(os.path.dirname(original) or os.sep))
    uid = str(os.getuid()) if hasattr(os, "getuid") else ""
    out.append((mount / ".Trash" / uid, mount))
    out.append((mount / f".Trash-{uid}", mount))
    return out


def _mount_point(path: str) -> str:
    path = os.path.realpath(path)
    while not os.path.ismount(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def parse_trashinfo(text: str, topdir: Path) -> tuple[str, float] | None:
    """The original path and deletion time of a `.trashinfo` (None if it is not one)."""
    path: str | None = None
    when = 0.0
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "Path":
            raw = os.fsdecode(unquote_to_bytes(value.strip()))
            path = raw if os.path.isabs(raw) else os.path.join(str(topdir), raw)
        elif key.strip() == "DeletionDate":
            try:
                when = datetime.fromisoformat(value.strip()).timestamp()
            except ValueError:
                when = 0.0
    if path is None:
        return None
    return os.path.normpath(path), when


def _freedesktop_entries(original: str) -> Iterator[TrashEntry]:
    wanted = os.path.normpath(original)
    stem = os.path.splitext(os.path.basename(original))[0]
    seen: set[Path] = set()
    for trash, topdir in freedesktop_trash_dirs(original):
        info_dir = trash / "info"
        if trash in seen or not info_dir.is_dir():
            continue
        seen.add(trash)
        try:
            names = os.listdir(info_dir)
        except OSError:
            continue
        # send2trash (and GLib) name the entry after the file, with a number on a clash.
        for name in names:
            if not name.endswith(".trashinfo") or not name.startswith(stem):
                continue
            record = info_dir / name
            try:
                parsed = parse_trashinfo(record.read_text(errors="surrogateescape"), topdir)
            except OSError:
                continue
            if parsed is None or parsed[0] != wanted:
                continue
            location = trash / "files" / name[: -len(".trashinfo")]
            if os.path.lexists(location):
                when = max(parsed[1], record.stat().st_mtime)
                yield TrashEntry(str(location), str(record), when)


# -- Windows --------------------------------------------------------------------------------


def parse_recycle_record(data: bytes) -> tuple[str, float] | None:
    """The original path and deletion time of a Recycle Bin `$I` record (Vista and later:
    version 1 with a fixed 260-character path, version 2 with a counted one)."""
    if len(data) < 28:
        return None
    version = int.from_bytes(data[0:8], "little")
    filetime = int.from_bytes(data[16:24], "little")
    if version == 1:
        raw = data[24 : 24 + 520]
    elif version == 2:
        count = int.from_bytes(data[24:28], "little")
        raw = data[28 : 28 + 2 * count]
    else:
        return None
    path = raw.decode("utf-16-le", errors="replace").split("\0", 1)[0]
    # FILETIME: 100 ns ticks since 1601-01-01.
    when = filetime / 1e7 - 11_644_473_600 if filetime else 0.0
    return (path, when) if path else None


def _windows_entries(original: str) -> Iterator[TrashEntry]:
    drive = os.path.splitdrive(os.path.abspath(original))[0]
    bin_dir = Path(drive + os.sep) / "$Recycle.Bin"
    ext = os.path.splitext(original)[1].lower()
    wanted = os.path.normcase(os.path.abspath(original))
    try:
        users = [p for p in bin_dir.iterdir() if p.is_dir()]
    except OSError:
        return
    for folder in users:
        try:
            records = [p for p in folder.iterdir() if p.name.startswith("$I")]
        except OSError:
            continue  # another user's bin
        for record in records:
            if record.suffix.lower() != ext:
                continue
            try:
                parsed = parse_recycle_record(record.read_bytes())
            except OSError:
                continue
            if parsed is None or os.path.normcase(parsed[0]) != wanted:
                continue
            location = folder / ("$R" + record.name[2:])
            if location.exists():
                yield TrashEntry(str(location), str(record), parsed[1])


# -- macOS ----------------------------------------------------------------------------------


def _mac_entries(
    original: str, digest: bytes | None, size: int | None
) -> Iterator[TrashEntry]:
    stem = os.path.splitext(os.path.basename(original))[0]
    folders = [Path.home() / ".Trash"]
    mount = _mount_point(os.path.dirname(original))
    if mount != "/" and hasattr(os, "getuid"):
        folders.append(Path(mount) / ".Trashes" / str(os.getuid()))
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue  # no access (macOS asks for Full Disk Access to list the Trash)
        for name in names:
            if not name.startswith(stem):
                continue
            location = folder / name
            try:
                st = location.stat()
            except OSError:
                continue
            if size is not None and st.st_size != size:
                continue
            if digest is not None and _digest_or_none(str(location)) != digest:
                continue
            yield TrashEntry(str(location), None, st.st_ctime)  # ctime: when it was moved
