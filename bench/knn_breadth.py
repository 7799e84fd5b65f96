"""How wide grouping's batch kNN must search: recall against brute force by hnswlib ef.

    .venv/bin/python bench/knn_breadth.py [N]

Builds an hnswlib index (the app's settings: cosine, M 16, ef_construction 200) of N (default
1,000,000) synthetic CNN-like vectors as bench/grouping_scale.py makes them, 5% of them planted
near-duplicate pairs, and queries 500 photos that have a planted duplicate (half originals, half
copies) with k 13 at several ef. Prints the ms per query (2 threads), the recall of the true 12
nearest, and how many of the neighbours at a duplicate's cosine (>= 0.85) each ef finds.
Prints only (about 10 minutes at 1,000,000, most of it building the index).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import hnswlib
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.grouping_scale import DUPLICATE_COSINE, synthetic_vectors  # noqa: E402
from simfinder.core.photos.embed import EMBED_DIM  # noqa: E402
from simfinder.core.store.catalog import as_stored  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.n
    vecs, planted = synthetic_vectors(n)
    vecs = as_stored(vecs)
    index = hnswlib.Index(space="cosine", dim=EMBED_DIM)
    index.init_index(max_elements=n, ef_construction=200, M=16, allow_replace_deleted=True)
    t0 = time.perf_counter()
    index.add_items(vecs, np.arange(n), replace_deleted=True)
    print(f"built {n:,} in {time.perf_counter() - t0:.0f} s", flush=True)
    rng = np.random.default_rng(2)
    rows = np.concatenate([rng.choice(planted, 250, replace=False),
                           n - planted + rng.choice(planted, 250, replace=False)])
    true, close = [], []
    for r in rows.tolist():
        sims = vecs @ vecs[r]
        sims[r] = -np.inf
        best = np.argpartition(-sims, 12)[:12]
        true.append(set(best.tolist()))
        close.append({int(i) for i in best if sims[i] >= DUPLICATE_COSINE})
    print("| ef | ms / query | recall of the 12 nearest |"
          f" neighbours at cos >= {DUPLICATE_COSINE} found |\n|---|---|---|---|")
    for ef in (24, 32, 48, 64, 96, 128):
        index.set_ef(ef)
        t0 = time.perf_counter()
        labels, _ = index.knn_query(vecs[rows], k=13)
        ms = (time.perf_counter() - t0) / len(rows) * 1000
        got = [set(row) for row in labels.tolist()]
        recall = np.mean([len(t & g) / 12 for t, g in zip(true, got, strict=True)])
        hit = sum(len(c & g) for c, g in zip(close, got, strict=True))
        print(f"| {ef} | {ms:.2f} | {recall:.3f} | {hit}/{sum(len(c) for c in close)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
