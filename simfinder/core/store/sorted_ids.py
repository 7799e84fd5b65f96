"""Where values stand in a sorted array of ids: the lookup grouping does over a library's
content ids (and pair keys) many times, on arrays of up to millions; and each value once."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def positions(
    ids: npt.NDArray[np.int64], values: npt.NDArray[np.int32] | npt.NDArray[np.int64]
) -> npt.NDArray[np.int32]:
    """Each value's row in `ids` (sorted, distinct), -1 where it is not there; int32, half the
    memory of the values."""
    if not len(ids):
        return np.full(values.shape, -1, dtype=np.int32)
    if ids[0] >= 0 and ids[-1] < 16 * len(ids) + (1 << 20):
        # Content ids are dense (counted up as photos are indexed): a lookup table by id is
        # ~10x faster than a binary search per value, for 4 bytes per id.
        row_of = np.full(int(ids[-1]) + 2, -1, dtype=np.int32)
        row_of[ids] = np.arange(len(ids), dtype=np.int32)
        looked = np.where((values >= 0) & (values <= ids[-1]), values, -1)
        pos: npt.NDArray[np.int32] = row_of[looked]  # -1 looks up the last entry: -1
        return pos
    at = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
    return np.where(ids[at] == values, at, -1).astype(np.int32)


def member(values: npt.NDArray[np.int64], ids: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Which values are in `ids` (sorted, distinct)."""
    found: npt.NDArray[np.bool_] = positions(ids, values) >= 0
    return found


def first_of_runs(ordered: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Where each run of equal values starts in a sorted array: the mask that keeps each
    value once."""
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return first
