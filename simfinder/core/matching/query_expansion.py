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
    weights = np.clip(np.asarray(cosines, dtype=np.float32), 0.0, None) ** ALPHA
    out = np.asarray(query, dtype=np.float32) + weights @ np.asarray(neighbours, np.float32)
    norm = float(np.linalg.norm(out))
    return np.asarray(out / max(norm, 1e-12), dtype=np.float32)


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
