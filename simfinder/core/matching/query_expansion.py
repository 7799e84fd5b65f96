"""Query expansion over the library's neighbour graph (alpha-QE, Radenovic et al. 2018).

A query's nearest photos are mostly of the same place or thing; their embeddings see it from
other viewpoints and in other light. Adding them to the query, each weighted by its cosine to
the power ALPHA (so that the closest count most and the doubtful hardly), and searching again
finds the photos of the same thing that the query alone ranks lower.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]

# Measured on the retrieval development set (bench/retrieval.py): the nearest EXPANSION photos,
# weighted by cosine ** ALPHA.
EXPANSION: Final = 3
ALPHA: Final = 3.0


def expand(query: FloatArray, neighbours: FloatArray, cosines: FloatArray) -> FloatArray:
    """The query (d,) plus its neighbours (k, d) weighted by their cosines (k,) ** ALPHA, unit
    length. Neighbours at a cosine of 0 or less count for nothing."""
    out: FloatArray = expand_rows(np.asarray(query)[np.newaxis],
                                  np.asarray(neighbours)[np.newaxis],
                                  np.asarray(cosines)[np.newaxis])[0]
    return out


def expand_rows(rows: FloatArray, neighbours: FloatArray, cosines: FloatArray) -> FloatArray:
    """`expand` of each row (n, d) with its own neighbours (n, k, d) and cosines (n, k)."""
    weights = np.clip(np.asarray(cosines, dtype=np.float32), 0.0, None) ** ALPHA
    out = np.asarray(rows, dtype=np.float32) + np.einsum(
        "ij,ijd->id", weights, np.asarray(neighbours, dtype=np.float32))
    norms = np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return np.asarray(out / norms, dtype=np.float32)


def expand_queries(queries: FloatArray, database: FloatArray,
                   expansion: int = EXPANSION) -> FloatArray:
    """`expand` for each row of `queries` with its `expansion` nearest rows of `database`
    (brute force; a row equal to the query, i.e. the query itself, is skipped)."""
    sims = queries @ database.T
    sims[sims >= 1.0 - 1e-6] = -np.inf
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :expansion]
    out = np.empty_like(queries, dtype=np.float32)
    for i, idx in enumerate(nearest):
        out[i] = expand(queries[i], database[idx], sims[i, idx])
    return out
