"""Each photo's nearest photos by CNN embedding: the table duplicate grouping starts from.

`neighbour_table` gives, for each content id asked for, its NEIGHBOURS nearest other contents
in the vector index with their cosine similarities, best first.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

from simfinder.core.library import Library

log = logging.getLogger(__name__)

NEIGHBOURS = 12
_QUERY_CHUNK = 2048
# Search breadth of the batch kNN over every photo. A narrower search (ef 24) is ~2x cheaper and
# finds every neighbour at a duplicate's cosine up to 100,000 photos, but only 83% of them at
# 1,000,000 (bench/knn_breadth.py, against brute force): the batch search keeps the breadth of
# a single query.
BATCH_EF = 64

NeighbourTable = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]


def neighbour_table(library: Library, ids: npt.NDArray[np.int64]) -> NeighbourTable:
    """Labels (n, NEIGHBOURS) and cosines of the nearest other contents of each content in
    `ids` (sorted, all in the vector index), best first; rows with fewer neighbours (a small
    library) are padded with label -1 and cosine -inf."""
    n = len(ids)
    labels = np.full((n, NEIGHBOURS), -1, dtype=np.int64)
    sims = np.full((n, NEIGHBOURS), -np.inf, dtype=np.float32)
    vectors = library.vectors
    # The query vectors come from the catalog (reading them back from hnswlib costs ~15x
    # more), in chunks so that memory stays bounded on big libraries.
    for start in range(0, n, _QUERY_CHUNK):
        got, matrix = library.catalog.embeddings(library.model_name, library.dim,
                                                 only=ids[start : start + _QUERY_CHUNK].tolist())
        rows = np.searchsorted(ids, got)
        found, cos = vectors.query(matrix, NEIGHBOURS + 1, ef=BATCH_EF)
        for row, own, near, near_cos in zip(rows.tolist(), got.tolist(), found, cos,
                                            strict=True):
            keep = near != own
            take = min(NEIGHBOURS, int(keep.sum()))
            labels[row, :take] = near[keep][:take]
            sims[row, :take] = near_cos[keep][:take]
    return labels, sims
