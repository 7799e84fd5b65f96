"""Each photo's nearest photos by CNN embedding: the table duplicate grouping starts from.

The neighbours are kept with the index (rclip's incremental idea) instead of searched again on
every grouping: when a batch of embeddings is stored, each photo's *forward list* — its LISTED
nearest other contents in the vector index at that moment, with their cosines — is stored in
the same transaction (`keep_forward_lists`). A photo indexed early saw only the photos before
it; photos indexed later that have it among their nearest list it in their own forward lists,
so `neighbour_table` gives each photo the best NEIGHBOURS of its forward list and of these
*reverse* edges together.
"""

from __future__ import annotations

import logging
import sqlite3

import numpy as np
import numpy.typing as npt

from simfinder.core.store.library import Library
from simfinder.core.store.sorted_ids import first_of_runs, positions
from simfinder.core.store.vector_index import VectorIndex

log = logging.getLogger(__name__)

NEIGHBOURS = 12
# Entries of a stored forward list: more than the table keeps, so that a later photo that is
# among a photo's NEIGHBOURS nearest lists it even when the later photo has closer ones of its
# own (kNN is not symmetric). On 20,000 synthetic photos, of the true 12 nearest at cos >= 0.45
# the table found 0.891 with lists of 12, 0.957 with lists of 24, and a fresh search of every
# photo 0.979 (0.9955, 0.9974 and 0.9984 at cos >= 0.6; all of them at a duplicate's cosine).
LISTED = 2 * NEIGHBOURS
_QUERY_CHUNK = 2048
# Search breadth of the kNN that makes the lists. A narrower search (ef 24) is ~2x cheaper and
# finds every neighbour at a duplicate's cosine up to 100,000 photos, but only 83% of them at
# 1,000,000 (bench/knn_breadth.py, against brute force): the lists keep the breadth of a
# single query.
BATCH_EF = 64
# A stored list that lost up to this many of its entries to photos that left the library is
# still used (see _usable).
_MAY_LOSE = LISTED // 4
# Rows of the table worked on at once: bounds the temporary arrays (~1.6 M edges, ~60 MB).
_ROW_CHUNK = 32_768

NeighbourTable = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]


def forward_lists(
    index: VectorIndex, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]
) -> NeighbourTable:
    """The LISTED nearest other contents in `index` of the contents `ids` (whose vectors are
    the rows of `vectors`), self excluded, best first: labels (n, LISTED) and cosines, padded
    with label -1 and cosine -inf where the index holds fewer."""
    n = len(ids)
    labels = np.full((n, LISTED), -1, dtype=np.int64)
    sims = np.full((n, LISTED), -np.inf, dtype=np.float32)
    for start in range(0, n, _QUERY_CHUNK):
        stop = min(n, start + _QUERY_CHUNK)
        found, cos = index.query(vectors[start:stop], LISTED + 1, ef=BATCH_EF)
        other = found != ids[start:stop, None]
        # Each row's own label (if the search found it) goes to the end, the order kept.
        order = np.argsort(~other, axis=1, kind="stable")[:, :LISTED]
        width = order.shape[1]
        keep = np.take_along_axis(other, order, axis=1)
        labels[start:stop, :width] = np.where(keep, np.take_along_axis(found, order, axis=1),
                                              -1)
        sims[start:stop, :width] = np.where(keep, np.take_along_axis(cos, order, axis=1),
                                            -np.inf)
    return labels, sims


def keep_forward_lists(
    library: Library, ids: npt.NDArray[np.int64], vectors: npt.NDArray[np.float32]
) -> NeighbourTable:
    """Make the forward lists of contents `ids` (already in the vector index; `vectors` their
    rows) and store them in the catalog. Call inside the catalog transaction that stores their
    embeddings, so that a kill leaves both or neither. Returns the lists."""
    table = forward_lists(library.vectors, ids, vectors)
    library.catalog.put_neighbour_lists(library.model_name, ids, *table)
    return table


def neighbour_table(
    library: Library, ids: npt.NDArray[np.int64], width: int = NEIGHBOURS
) -> NeighbourTable:
    """Labels (n, width) and cosines of the nearest other contents of each content in `ids`
    (sorted, all in the vector index), best first, among `ids` only; rows with fewer
    neighbours (a small library) are padded with label -1 and cosine -inf. Wider than
    NEIGHBOURS (up to LISTED), the rows reach past a photo's copies (see candidates).

    Built from the stored forward lists and their reverse edges; contents without a usable
    list are searched in the vector index now, and their lists stored for the next time."""
    n = len(ids)
    if n == 0:
        return (np.empty((0, width), dtype=np.int64),
                np.empty((0, width), dtype=np.float32))
    stored, labels, sims = library.catalog.neighbour_lists(library.model_name, LISTED)
    has = np.ones(n, dtype=bool)
    if len(stored) != n or not np.array_equal(stored, ids):
        # Some contents have no list (or lists of contents not asked for are stored): place
        # the lists by row.
        row = positions(ids, stored)
        asked = row >= 0
        has[:] = False
        has[row[asked]] = True
        placed = np.full((n, LISTED), -1, dtype=np.int32), np.full((n, LISTED), -np.inf,
                                                                   dtype=np.float32)
        placed[0][row[asked]] = labels[asked]
        placed[1][row[asked]] = sims[asked]
        labels, sims = placed
        del row, asked, placed
    del stored

    live = np.fromiter(library.vectors.labels(), dtype=np.int64)
    live.sort()
    # Asked for every content in the index (grouping does): in the index = among ids.
    every = np.array_equal(live, ids)
    pos = np.empty((n, LISTED), dtype=np.int32)
    for lo in range(0, n, _ROW_CHUNK):
        part = labels[lo : lo + _ROW_CHUNK]
        pos[lo : lo + _ROW_CHUNK] = positions(ids, part)
        alive = pos[lo : lo + _ROW_CHUNK] >= 0 if every else positions(live, part) >= 0
        has[lo : lo + _ROW_CHUNK] &= _usable(part, alive, len(live))
    del labels
    stale = np.flatnonzero(~has)
    if len(stale):
        log.info("searching the neighbours of %d of %d photos (no usable stored list)",
                 len(stale), n)
        fresh_labels, sims[stale] = _search_and_keep(library, ids[stale])
        pos[stale] = positions(ids, fresh_labels)
    return _merge(ids, pos, sims, width)


def _usable(
    labels: npt.NDArray[np.int32], alive: npt.NDArray[np.bool_], live: int
) -> npt.NDArray[np.bool_]:
    """Which stored lists are used as they are (`alive`: which entries are still in the
    vector index, which holds `live` contents).

    A list is searched again when it was made while the library held fewer than LISTED + 1
    photos and the library has grown since (its first photos), or when more than _MAY_LOSE of
    its entries have left the vector index (photos deleted). Losing a few entries is harmless:
    what the list lacks are the photos a new search would rank just after its last entry (its
    weakest), which usually reach it as reverse edges anyway; and searching again every list
    that lost one entry would, after the user trashes the copies grouping found, search again
    most photos that had a copy."""
    entries = (labels >= 0).sum(axis=1)
    usable: npt.NDArray[np.bool_] = (entries >= min(LISTED, live - 1)) & (
        entries - alive.sum(axis=1) <= _MAY_LOSE)
    return usable


def _search_and_keep(library: Library, ids: npt.NDArray[np.int64]) -> NeighbourTable:
    """Forward lists of contents searched now (libraries indexed before lists were kept,
    contents whose lists lost too much); stored unless the library is read-only."""
    labels = np.full((len(ids), LISTED), -1, dtype=np.int64)
    sims = np.full((len(ids), LISTED), -np.inf, dtype=np.float32)
    writable = True
    for start in range(0, len(ids), _QUERY_CHUNK):
        # The query vectors come from the catalog (reading them back from hnswlib costs ~15x
        # more), in chunks so that memory stays bounded on big libraries.
        got, matrix = library.catalog.embeddings(library.model_name, library.dim,
                                                 only=ids[start : start + _QUERY_CHUNK].tolist())
        rows = np.searchsorted(ids, got)
        table: NeighbourTable | None = None
        if writable:
            try:
                with library.catalog.transaction():
                    table = keep_forward_lists(library, got, matrix)
            except sqlite3.Error as exc:  # read-only or busy library: just not kept
                log.info("could not keep neighbour lists: %s", exc)
                writable = False
        if table is None:
            table = forward_lists(library.vectors, got, matrix)
        labels[rows], sims[rows] = table
    return labels, sims


def _merge(
    ids: npt.NDArray[np.int64], pos: npt.NDArray[np.int32], sims: npt.NDArray[np.float32],
    keep: int = NEIGHBOURS,
) -> NeighbourTable:
    """Each row's best `keep` among its forward list (row positions `pos`, cosines `sims`)
    and its reverse edges (the rows whose forward list holds it), each neighbour once.

    Rows are merged in chunks: a chunk's reverse edges are the forward entries that point
    into it, so the temporary edge arrays stay a few times the chunk's share of the lists."""
    n, width = pos.shape
    flat, flat_cos = pos.ravel(), sims.ravel()
    labels = np.full((n, keep), -1, dtype=np.int64)
    out = np.full((n, keep), -np.inf, dtype=np.float32)
    for lo in range(0, n, _ROW_CHUNK):
        hi = min(n, lo + _ROW_CHUNK)
        fwd = pos[lo:hi]
        has = fwd >= 0
        into = np.flatnonzero((flat >= lo) & (flat < hi))
        # The chunk's edges: row (in the chunk), other (a row of the table), cosine.
        row = np.concatenate([np.nonzero(has)[0].astype(np.int32), flat[into] - np.int32(lo)])
        other = np.concatenate([fwd[has], (into // width).astype(np.int32)])
        cos = np.concatenate([sims[lo:hi][has], flat_cos[into]])
        del has, into
        # An edge found from both ends counts once; this leaves the edges ordered by row,
        # then neighbour.
        pair = row.astype(np.int64) * n + other
        seen = np.argsort(pair)
        pair = pair[seen]
        first = seen[first_of_runs(pair)]
        del pair, seen
        row, other, cos = row[first], other[first], cos[first]
        # Best first within each row; equal cosines stay in the order of their neighbours.
        order = np.argsort((row.astype(np.uint64) << np.uint64(32)) | _descending(cos),
                           kind="stable")
        row, other, cos = row[order], other[order], cos[order]
        del order, first
        rank = np.arange(len(row)) - np.searchsorted(row, np.arange(hi - lo))[row]
        top = rank < keep
        labels[lo + row[top], rank[top]] = ids[other[top]]
        out[lo + row[top], rank[top]] = cos[top]
    return labels, out


def _descending(values: npt.NDArray[np.float32]) -> npt.NDArray[np.uint64]:
    """Unsigned keys that sort finite float32 values from the largest to the smallest."""
    bits = values.astype(np.float32).view(np.uint32)
    ascending = np.where(bits & np.uint32(0x8000_0000), ~bits, bits | np.uint32(0x8000_0000))
    return (~ascending).astype(np.uint64)
