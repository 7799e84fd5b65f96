"""What capture checks read from an original, kept for its next checks: the decode at the
capture size and its SIFT features (as they are and mirrored).

Grouping asks for the capture check of each accepted pair that would join two groups, one pair
at a time: a photo with ten copies takes part in ten checks, and each decoded both originals
again and ran SIFT on them at 768 px (well over half a second a photo: most of the comparing
stage on a library with many copies). An entry is found by the file's path, size and
modification time, so a file changed on disk is read again; the arrays handed out are
read-only, so that no caller can change what the next one gets.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Final, Generic, TypeVar

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
Features = tuple[F32, F32]  # keypoint positions (n, 2) and their descriptors (n, 128)

_DECODES: Final = 16  # greyscale at 768 px: ~2 MB each
_FEATURE_SETS: Final = 48  # up to 1,500 descriptors: ~0.8 MB each

V = TypeVar("V")


class _Lru(Generic[V]):
    """A small thread-safe least-recently-used map (the capture checks run on two threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_decoded: _Lru[F32] = _Lru(_DECODES)
_features: _Lru[Features] = _Lru(_FEATURE_SETS)


def file_key(path: Path) -> tuple[str, int, int] | None:
    """The file as it is now (path, size, modification time); None if it cannot be seen."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_size, stat.st_mtime_ns


def decoded(path: Path, side: int, decode: Callable[[Path, int], F32 | None]) -> F32 | None:
    """`decode(path, side)`, from the cache when this file was decoded so lately."""
    key = file_key(path)
    if key is None:
        return decode(path, side)
    found = _decoded.get((key, side))
    if found is None:
        found = decode(path, side)
        if found is not None:
            found.flags.writeable = False
            _decoded.put((key, side), found)
    return found


def features(path: Path | None, side: int, mirrored: bool,
             compute: Callable[[], Features]) -> Features:
    """`compute()` (the SIFT features of the file's decode at `side`, mirrored or not), from
    the cache when they were computed so lately; computed each time without a path."""
    key = None if path is None else file_key(path)
    if key is None:
        return compute()
    found = _features.get((key, side, mirrored))
    if found is None:
        found = compute()
        for array in found:
            array.flags.writeable = False
        _features.put((key, side, mirrored), found)
    return found


def clear() -> None:
    """Forget everything kept (tests; a long-running process that wants the memory back)."""
    _decoded.clear()
    _features.clear()
