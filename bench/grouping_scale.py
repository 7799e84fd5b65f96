"""Duplicate grouping and similar search on a large synthetic library.

    .venv/bin/python bench/grouping_scale.py [N] [--write]

Builds a library of N photo contents (default 100,000) with random unit embeddings and random
hashes, 5% of them planted near-duplicate pairs (embeddings shaped like CNN features:
non-negative, from a 96-dimensional latent space), then times `find_duplicate_groups` at normal
and similar-photo queries by stored vector. The baseline in the same run is the same grouping on
N/10 photos: the ratio shows how grouping scales (10x means linear).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.core.catalog import ContentFeatures  # noqa: E402
from simfinder.core.embed import EMBED_DIM, MODEL_NAME  # noqa: E402
from simfinder.core.grouping import find_duplicate_groups  # noqa: E402
from simfinder.core.hashes import to_sqlite_int  # noqa: E402
from simfinder.core.library import Library  # noqa: E402
from simfinder.core.similarity import Strictness  # noqa: E402

SECTION = "## Grouping at scale"


def build(root: Path, n: int, seed: int = 0) -> tuple[Library, int, float]:
    rng = np.random.default_rng(seed)
    lib = Library.open(root)
    planted = n // 40  # pairs: 5% of photos are in one
    # CNN features are non-negative (pooled ReLU6) and lie near a low-dimensional manifold;
    # plain Gaussian vectors would be an unrealistically hard case for the HNSW graph.
    latent = rng.normal(size=(n, 96)).astype(np.float32)
    mixing = rng.normal(size=(96, EMBED_DIM)).astype(np.float32)
    vecs = np.maximum(latent @ mixing, 0.0) + 0.5 * rng.random((n, EMBED_DIM), dtype=np.float32)
    vecs[n - planted :] = vecs[:planted] * (1 + 0.1 * rng.random((planted, EMBED_DIM)))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ph = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    ph[n - planted :] = ph[:planted] ^ np.uint64(0b101)
    dh = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    dh[n - planted :] = dh[:planted] ^ np.uint64(0b1)
    t0 = time.perf_counter()
    ids = []
    with lib.catalog.transaction():
        for i in range(n):
            cid = lib.catalog.put_content(ContentFeatures(
                i.to_bytes(16, "big"), 4000, 3000, "JPEG", None, None,
                to_sqlite_int(int(ph[i])), to_sqlite_int(int(dh[i])), MODEL_NAME, vecs[i]))
            lib.catalog.put_file(f"/photos/{i:07d}.jpg", 3_000_000, i, cid)
            ids.append(cid)
    lib.vectors.add(np.asarray(ids, dtype=np.int64), vecs)
    return lib, planted, time.perf_counter() - t0


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        lib, planted, build_s = build(Path(tmp) / "lib", n)
        t0 = time.perf_counter()
        groups = find_duplicate_groups(lib, Strictness.NORMAL)
        group_s = time.perf_counter() - t0
        found = sum(1 for g in groups if len(g.photos) == 2)
        rng = np.random.default_rng(1)
        queries = lib.vectors.vectors(rng.choice(n, size=200, replace=False).tolist())
        lat = []
        for q in queries:
            t0 = time.perf_counter()
            lib.vectors.query(q[np.newaxis, :], 21)
            lat.append(time.perf_counter() - t0)
        lib.close()
    return {"n": n, "build_s": build_s, "group_s": group_s, "planted": planted, "found": found,
            "p95_ms": float(np.percentile(lat, 95) * 1000)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    base = measure(max(1000, args.n // 10))
    big = measure(args.n)
    lines = ["| photos | build (catalog + index) s | group (normal) s | pairs planted/found |"
             " kNN query p95 ms |", "|---|---|---|---|---|"]
    for r in (base, big):
        lines.append(f"| {r['n']:,} | {r['build_s']:.1f} | {r['group_s']:.2f} |"
                     f" {r['planted']}/{r['found']} | {r['p95_ms']:.2f} |")
    lines.append("")
    lines.append(f"Grouping time ratio for {big['n'] // base['n']}x the photos:"
                 f" {big['group_s'] / base['group_s']:.1f}x")
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(SECTION, text, f"bench/grouping_scale.py {args.n} --write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
