"""`similar` latency at a large library size: this checkout against another, on one library.

    .venv/bin/python bench/similar_scale.py 1000000 --base DIR [--rounds 2]

Builds one synthetic library of N photo contents (bench/grouping_scale.py's CNN-like vectors,
random hashes and their flips/turns, 5% planted near-duplicate pairs) in bulk: catalog rows in
large transactions and the vectors added to hnswlib in large chunks (the search does not read
the neighbour lists, so they are not built; grouping_scale.py builds the library as the indexer
does, batch by batch, which at 10^6 costs most of an hour per engine). Then each checkout, in
a child process with its own code on the path, times `find_similar` (the call the CLI's
`similar` and a gallery click make) for the same 200 indexed photos, by their stored vectors:
p50 and p95. The engines take turns for `--rounds` rounds, so that the machine's load falls on
both alike; the ratio is measured per round.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.grouping_scale import real_query_files, synthetic_vectors  # noqa: E402
from simfinder.core.photos.embed import MODEL_NAME  # noqa: E402
from simfinder.core.photos.hashes import TRANSFORMS, to_sqlite_int  # noqa: E402
from simfinder.core.store.catalog import ContentFeatures  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402
from simfinder.core.store.vector_index import VectorIndex  # noqa: E402

QUERIES = 200
_ROWS = 20_000  # catalog rows per transaction
_CHUNK = 50_000  # vectors per hnswlib add

# Run in each checkout's child process: its own simfinder times its own find_similar.
_CHILD = """
import json, sys, time
from pathlib import Path
import numpy as np
from simfinder.core.store.library import Library
from simfinder.core.matching.search import find_similar
root, model, paths = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
lib = Library.open(root)
lib.model_name = model  # the vectors were stored under the building checkout's model name
t0 = time.perf_counter()
lib.vectors  # load hnswlib (not timed per query: a running app has it loaded)
load_s = time.perf_counter() - t0
def no_embedder():
    raise AssertionError("an indexed photo is searched by its stored vector")
lat = []
for path in paths:
    t0 = time.perf_counter()
    hits = find_similar(lib, Path(path), no_embedder, top=20)
    lat.append(time.perf_counter() - t0)
    assert hits
print(json.dumps({"load_s": load_s, "p50_ms": float(np.percentile(lat, 50) * 1000),
                  "p95_ms": float(np.percentile(lat, 95) * 1000)}))
"""


def build(root: Path, n: int, seed: int = 0) -> tuple[float, float]:
    """The library in bulk; returns the seconds of the catalog rows and of hnswlib."""
    vecs, planted = synthetic_vectors(n, seed)
    rng = np.random.default_rng(seed + 1)
    ph = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    ph[n - planted :] = ph[:planted] ^ np.uint64(0b101)
    dh = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    dh[n - planted :] = dh[:planted] ^ np.uint64(0b1)
    lib = Library.open(root)
    t0 = time.perf_counter()
    ids = np.empty(n, dtype=np.int64)
    for lo in range(0, n, _ROWS):
        hi = min(n, lo + _ROWS)
        turned = rng.integers(0, 2**64, size=(hi - lo, 2, len(TRANSFORMS)), dtype=np.uint64)
        with lib.catalog.transaction():
            for i in range(lo, hi):
                cid = lib.catalog.put_content(ContentFeatures(
                    i.to_bytes(16, "big"), 4000, 3000, "JPEG", None, None,
                    to_sqlite_int(int(ph[i])), to_sqlite_int(int(dh[i])), MODEL_NAME, vecs[i]))
                lib.catalog.put_file(f"/photos/{i:07d}.jpg", 3_000_000, i, cid)
                lib.catalog.put_turned_hashes(cid, turned[i - lo, 0].tolist(),
                                              turned[i - lo, 1].tolist())
                ids[i] = cid
        print(f"  rows {hi:,}", file=sys.stderr, flush=True)
    rows_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    # A new index, not lib.vectors: that would first add the catalog's every vector in one go
    # (bringing the index in step with the catalog), and each chunk below would insert it again.
    index = VectorIndex(lib.dim)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        index.add(ids[lo:hi], vecs[lo:hi])
        print(f"  vectors {hi:,}", file=sys.stderr, flush=True)
    index.save(lib.vectors_path)
    vectors_s = time.perf_counter() - t0
    lib.close()
    return rows_s, vectors_s


def real_queries(root: Path, n: int, work: Path) -> list[str]:
    """QUERIES indexed photos given real files (so `find_similar` takes them as unchanged)."""
    lib = Library.open(root)
    paths = [str(p) for p in real_query_files(lib, work, n, QUERIES)]
    lib.close()
    return paths


def time_engine(checkout: Path, root: Path, paths: list[str]) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    done = subprocess.run([sys.executable, "-c", _CHILD, str(root), MODEL_NAME,
                           json.dumps(paths)], cwd=checkout, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{checkout}: {done.stderr.strip()[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--base", type=Path, required=True, help="the other checkout (main)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    engines = {"base": args.base.resolve(), "this": REPO}
    with tempfile.TemporaryDirectory(prefix="simfinder-similar-scale-") as tmp:
        root = Path(tmp) / "lib"
        rows_s, vectors_s = build(root, args.n)
        print(f"built {args.n:,} photos: catalog rows {rows_s:.0f} s, hnswlib {vectors_s:.0f} s",
              file=sys.stderr, flush=True)
        paths = real_queries(root, args.n, Path(tmp) / "queries")
        print("| round | engine | hnswlib load s | similar p50 ms | p95 ms |")
        print("|---|---|---|---|---|")
        for r in range(1, args.rounds + 1):
            for name, checkout in engines.items():
                res = time_engine(checkout, root, paths)
                print(f"| {r} | {name} ({checkout}) | {res['load_s']:.1f} | "
                      f"{res['p50_ms']:.2f} | {res['p95_ms']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
