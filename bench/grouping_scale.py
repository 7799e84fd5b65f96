"""Duplicate grouping, similar search and index size on large synthetic libraries.

    .venv/bin/python bench/grouping_scale.py [N ...] [--write]

For each N (default 100,000) it builds a library of N photo contents with random embeddings and
hashes, 5% of them planted near-duplicate pairs (embeddings shaped like CNN features:
non-negative, from a 96-dimensional latent space), then measures:

* the build as the indexer does it, in batches of the indexer's size: catalog rows, vectors into
  hnswlib, and each batch's forward neighbour lists (neighbours.keep_forward_lists, timed
  apart: the cost indexing pays so that grouping does not search every photo),
* `find_duplicate_groups` at normal (the library has no thumbnails, so this is candidate search
  and judging; the pairs that would be verified geometrically fail fast for want of pixels), and
  within it the neighbour table (read from the kept lists) and any kNN search,
* the same-run baseline of the neighbour table: every photo searched in hnswlib (what grouping
  did before the lists were kept), and the candidate pairs by cosine (>= 0.45, the verification
  floor, and >= the duplicate cosine) of both tables,
* the recall of grouping's batch kNN (its narrower search breadth) against brute force: of the
  true 12 nearest photos of 500 photos, the share it finds, and the share of those at a cosine
  that can make them a candidate pair (>= 0.45),
* `find_similar` for an indexed photo (stored vector: no decoding, no CNN), p50 and p95 over 200
  photos: the call the CLI's `similar` and a gallery click make,
* the index on disk and in memory per photo: the catalog's vector and hash columns, the hnswlib
  file, and the process's memory growth when the hnswlib file is loaded.

The baseline in the same run is the same library at N/10: the ratio shows how grouping scales
(10x means linear).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.core.indexing.indexer import BATCH_SIZE  # noqa: E402
from simfinder.core.indexing.neighbours import (  # noqa: E402
    BATCH_EF,
    LISTED,
    NEIGHBOURS,
    forward_lists,
    keep_forward_lists,
    neighbour_table,
)
from simfinder.core.matching import candidates  # noqa: E402
from simfinder.core.matching.grouping import find_duplicate_groups, pairs_to_verify  # noqa: E402
from simfinder.core.matching.pairchecks import PairChecker, to_row  # noqa: E402
from simfinder.core.matching.pending_checks import STAGE, library_fingerprint  # noqa: E402
from simfinder.core.matching.search import find_similar  # noqa: E402
from simfinder.core.matching.similarity import RULES, VERIFY_FLOOR, Strictness  # noqa: E402
from simfinder.core.matching.verify import NO_MATCH, VERIFY_VERSION  # noqa: E402
from simfinder.core.photos.embed import EMBED_DIM, MODEL_NAME  # noqa: E402
from simfinder.core.photos.hashes import TRANSFORMS, to_sqlite_int  # noqa: E402
from simfinder.core.store.catalog import ContentFeatures, as_stored  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402
from simfinder.core.store.vector_index import VectorIndex  # noqa: E402

SECTION = "## Grouping at scale"
# The lowest cosine at which any rule takes a pair as a duplicate (with close hashes, at loose).
DUPLICATE_COSINE = min(r.cosine_with_hashes for r in RULES.values())
_CHUNK = 50_000


def synthetic_vectors(n: int, seed: int = 0) -> tuple[npt.NDArray[np.float32], int]:
    """CNN-like unit vectors, the last n // 40 rows near copies of the first n // 40."""
    rng = np.random.default_rng(seed)
    planted = n // 40  # pairs: 5% of photos are in one
    # CNN features are non-negative (pooled ReLU6) and lie near a low-dimensional manifold;
    # plain Gaussian vectors would be an unrealistically hard case for the HNSW graph.
    mixing = rng.normal(size=(96, EMBED_DIM)).astype(np.float32)
    vecs = np.empty((n, EMBED_DIM), dtype=np.float32)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        latent = rng.normal(size=(hi - lo, 96)).astype(np.float32)
        vecs[lo:hi] = (np.maximum(latent @ mixing, 0.0)
                       + 0.5 * rng.random((hi - lo, EMBED_DIM), dtype=np.float32))
    vecs[n - planted :] = vecs[:planted] * (1 + 0.1 * rng.random((planted, EMBED_DIM),
                                                                  dtype=np.float32))
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs, planted


def build(root: Path, n: int, seed: int = 0) -> tuple[Library, int, float, float]:
    """The library, as the indexer stores it: batches of BATCH_SIZE photos, each committed
    with its vectors added to hnswlib and its forward neighbour lists. Returns the library,
    the planted pairs, the build seconds without the lists and the seconds of the lists."""
    vecs, planted = synthetic_vectors(n, seed)
    stored = as_stored(vecs)
    rng = np.random.default_rng(seed + 1)
    lib = Library.open(root)
    ph = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    ph[n - planted :] = ph[:planted] ^ np.uint64(0b101)
    dh = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    dh[n - planted :] = dh[:planted] ^ np.uint64(0b1)
    turned = rng.integers(0, 2**64, size=(n, 2, len(TRANSFORMS)), dtype=np.uint64)
    t0 = time.perf_counter()
    lists_s = 0.0
    index = lib.vectors  # loaded (empty) before the rows go in, as the indexer has it
    for lo in range(0, n, BATCH_SIZE):
        hi = min(n, lo + BATCH_SIZE)
        ids = []
        with lib.catalog.transaction():
            for i in range(lo, hi):
                cid = lib.catalog.put_content(ContentFeatures(
                    i.to_bytes(16, "big"), 4000, 3000, "JPEG", None, None,
                    to_sqlite_int(int(ph[i])), to_sqlite_int(int(dh[i])), MODEL_NAME, vecs[i]))
                lib.catalog.put_file(f"/photos/{i:07d}.jpg", 3_000_000, i, cid)
                lib.catalog.put_turned_hashes(cid, turned[i, 0].tolist(),
                                              turned[i, 1].tolist())
                ids.append(cid)
            labels = np.asarray(ids, dtype=np.int64)
            index.add(labels, stored[lo:hi])
            t1 = time.perf_counter()
            keep_forward_lists(lib, labels, stored[lo:hi])
            lists_s += time.perf_counter() - t1
    lib.save_vectors()
    return lib, planted, time.perf_counter() - t0 - lists_s, lists_s


def _pair_keys(ids: npt.NDArray[np.int64], labels: npt.NDArray[np.int64],
               sims: npt.NDArray[np.float32], floor: float) -> npt.NDArray[np.int64]:
    """The table's pairs (a < b) at cosine >= floor, as sorted unique keys a << 32 | b."""
    a = np.broadcast_to(ids[:, None], labels.shape)
    keep = (labels >= 0) & (sims >= floor)
    lo = np.minimum(a[keep], labels[keep])
    hi = np.maximum(a[keep], labels[keep])
    return np.unique((lo << 32) | hi)


def table_against_fresh(lib: Library) -> dict[str, float]:
    """The neighbour table from the kept lists against every photo searched in hnswlib now
    (the batch kNN grouping ran before the lists were kept): seconds of each, peak memory of
    the table, and the candidate pairs by cosine of each and of both."""
    ids, _ = lib.catalog.embeddings(lib.model_name, lib.dim, with_vectors=False)
    tracemalloc.start()
    t0 = time.perf_counter()
    kept = neighbour_table(lib, ids)
    table_s = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    labels = np.empty((len(ids), NEIGHBOURS), dtype=np.int64)
    sims = np.empty((len(ids), NEIGHBOURS), dtype=np.float32)
    t0 = time.perf_counter()
    for start in range(0, len(ids), 2048):
        got, matrix = lib.catalog.embeddings(lib.model_name, lib.dim,
                                             only=ids[start : start + 2048].tolist())
        found, cos = forward_lists(lib.vectors, got, matrix)
        labels[start : start + len(got)] = found[:, :NEIGHBOURS]
        sims[start : start + len(got)] = cos[:, :NEIGHBOURS]
    fresh_s = time.perf_counter() - t0
    out = {"table_again_s": table_s, "table_peak_mb": peak / 2**20, "fresh_knn_s": fresh_s}
    for name, floor in (("floor", VERIFY_FLOOR), ("dup", DUPLICATE_COSINE)):
        kept_pairs = _pair_keys(ids, *kept, floor)
        fresh_pairs = _pair_keys(ids, labels, sims, floor)
        out[f"{name}_kept"] = len(kept_pairs)
        out[f"{name}_fresh"] = len(fresh_pairs)
        out[f"{name}_both"] = len(np.intersect1d(kept_pairs, fresh_pairs, assume_unique=True))
    return out


def knn_recall(lib: Library, sample: int = 500) -> tuple[float, float]:
    """Grouping's batch kNN against brute force: recall of the true 12 nearest, and of those
    at a cosine where a pair can be a duplicate (>= DUPLICATE_COSINE)."""
    ids, matrix = lib.catalog.embeddings(lib.model_name, lib.dim)
    rows = np.random.default_rng(2).choice(len(ids), size=min(sample, len(ids)), replace=False)
    labels, _ = lib.vectors.query(matrix[rows], NEIGHBOURS + 1, ef=BATCH_EF)
    found = total = found_close = total_close = 0
    for q, row in enumerate(rows.tolist()):
        sims = matrix @ matrix[row]
        sims[row] = -np.inf
        best = np.argpartition(-sims, NEIGHBOURS)[:NEIGHBOURS]
        got = set(labels[q].tolist())
        for b in best.tolist():
            hit = int(ids[b]) in got
            found += hit
            total += 1
            if sims[b] >= DUPLICATE_COSINE:
                found_close += hit
                total_close += 1
    return found / total, (found_close / total_close if total_close else 1.0)


def real_query_files(lib: Library, work: Path, n: int, count: int = 200) -> list[Path]:
    """`count` of the n synthetic photos given real files in `work` (so that `find_similar`
    takes them as indexed and unchanged, and searches by their stored vectors)."""
    picks = np.random.default_rng(1).choice(n, size=min(count, n), replace=False).tolist()
    work.mkdir()
    paths = []
    with lib.catalog.transaction():
        for i in picks:
            path = work / f"{i:07d}.jpg"
            path.write_bytes(b"x")
            st = path.stat()
            fake = f"/photos/{i:07d}.jpg"
            cid = lib.catalog.photo(fake)
            assert cid is not None
            lib.catalog.remove_files([fake])
            lib.catalog.put_file(str(path), st.st_size, st.st_mtime_ns, cid.content_id)
            paths.append(path)
    return paths


def similar_latency(lib: Library, work: Path, n: int) -> tuple[float, float]:
    """find_similar for 200 indexed photos (their files made real so they count as unchanged)."""
    paths = real_query_files(lib, work, n)

    def no_embedder() -> object:
        raise AssertionError("an indexed photo is searched by its stored vector")

    lat = []
    for path in paths:
        t0 = time.perf_counter()
        hits = find_similar(lib, path, no_embedder, top=20)  # type: ignore[arg-type]
        lat.append(time.perf_counter() - t0)
        assert hits
    return float(np.percentile(lat, 50) * 1000), float(np.percentile(lat, 95) * 1000)


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def index_size(lib: Library, n: int) -> dict[str, float]:
    """Bytes per photo: catalog columns for vectors, hashes and neighbour lists, hnswlib file,
    hnswlib in RAM."""
    db = lib.catalog._db
    emb, hashes = db.execute(
        "SELECT sum(length(embedding)), count(*) * 16 FROM contents").fetchone()
    turned = db.execute("SELECT coalesce(sum(length(phashes) + length(dhashes)), 0)"
                        " FROM content_turns").fetchone()[0]
    lists = db.execute("SELECT coalesce(sum(length(labels) + length(cosines)), 0)"
                       " FROM content_neighbours").fetchone()[0]
    before = _rss_mb()
    loaded = VectorIndex.load(lib.vectors_path, lib.dim)
    grown = _rss_mb() - before
    del loaded
    return {"catalog_vec": emb / n, "catalog_hash": (hashes + turned) / n,
            "catalog_lists": lists / n,
            "hnsw_file": os.path.getsize(lib.vectors_path) / n, "hnsw_ram": grown * 2**20 / n,
            "catalog_file": sum(os.path.getsize(f) for f in lib.root.glob("catalog.sqlite*"))
            / n}


@contextmanager
def _timed(cls: type, name: str) -> Iterator[list[float]]:
    """Add up the seconds spent in cls.name while in the block."""
    total = [0.0]
    original = getattr(cls, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - t0

    setattr(cls, name, wrapper)
    try:
        yield total
    finally:
        setattr(cls, name, original)


def emulate_comparison_stage(lib: Library) -> tuple[int, float]:
    """What indexing's last stage (pending_checks) leaves: a verification stored for every
    pair grouping verifies. The synthetic photos have no pixels, so each gets the verdict most
    real ones get (no features match); returns the pairs and the seconds to find and store them
    (real verification costs bench/verification.py's ms per pair on top); -1 pairs where the
    library is unchanged since the stage last ran (it is skipped, as indexing skips it)."""
    t0 = time.perf_counter()
    fingerprint = library_fingerprint(lib)
    if lib.catalog.stage_fingerprint(STAGE) == fingerprint:
        return -1, time.perf_counter() - t0  # skipped, as for a library unchanged since
    pairs = pairs_to_verify(lib)
    lib.catalog.put_pair_checks(((a, b, to_row(NO_MATCH)) for a, b in pairs), VERIFY_VERSION)
    lib.catalog.put_stage_fingerprint(STAGE, fingerprint)
    return len(pairs), time.perf_counter() - t0


def measure(n: int, group: bool = True) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        lib, planted, build_s, lists_s = build(Path(tmp) / "lib", n)
        size = index_size(lib, n)
        to_verify, stage_s = emulate_comparison_stage(lib)
        group_s = found = math.nan
        with _timed(VectorIndex, "query") as knn_s, \
                _timed(PairChecker, "check_table") as verify_s, \
                _timed(candidates, "neighbour_table") as table_s:
            if group:
                t0 = time.perf_counter()
                groups = find_duplicate_groups(lib, Strictness.NORMAL)
                group_s = time.perf_counter() - t0
                found = sum(1 for g in groups if len(g.photos) == 2)
        against = table_against_fresh(lib)
        recall, recall_close = knn_recall(lib)
        p50, p95 = similar_latency(lib, Path(tmp) / "queries", n)
        lib.close()
    out = {"n": n, "build_s": build_s, "lists_s": lists_s, "to_verify": to_verify,
           "stage_s": stage_s, "group_s": group_s,
           "table_s": table_s[0], "knn_s": knn_s[0], "verify_s": verify_s[0],
           "planted": planted, "found": found, **against,
           "recall": recall, "recall_close": recall_close, "p50_ms": p50, "p95_ms": p95, **size}
    print(out, file=sys.stderr, flush=True)
    return out


def report(results: list[dict[str, float]]) -> str:
    base = results[0]
    lines = [
        f"Embeddings: {EMBED_DIM} dimensions ({MODEL_NAME}); kNN at ef {BATCH_EF}; each photo's"
        f" {LISTED} nearest are kept when it is indexed (batches of {BATCH_SIZE}), and grouping"
        f" reads its {NEIGHBOURS} nearest from them and their reverse edges. The synthetic"
        " library has no thumbnails, so the pairs grouping verifies geometrically get stored"
        " verdicts as indexing's last stage (comparing likely copies) leaves them, here all"
        " 'no features match' (*stage*: finding and storing them; a real library also pays"
        " the verification itself, see *Geometric verification*); *verification* in grouping"
        " is reading them back. *Searched again* is the same-run baseline: every photo"
        " searched in hnswlib, as grouping did before the lists were kept.",
        "",
        "| photos | build (catalog + index) s | + neighbour lists s |"
        " stage: pairs to verify / s | group (normal) s |"
        " of which neighbour table s | of which kNN search s | of which verification s |"
        " pairs planted/found | neighbour table again s / peak MB |"
        " every photo searched again s |"
        f" table's pairs at cos >= {VERIFY_FLOOR}: kept lists / searched again / both |"
        f" at cos >= {DUPLICATE_COSINE} |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        grouped = not math.isnan(r["group_s"])
        timing = (f"{r['group_s']:.2f} | {r['table_s']:.2f} | {r['knn_s']:.2f} |"
                  f" {r['verify_s']:.2f} | {r['planted']}/{r['found']}" if grouped
                  else "not run | | | | ")
        lines.append(
            f"| {r['n']:,} | {r['build_s']:.1f} | {r['lists_s']:.1f} |"
            f" {r['to_verify']:,} / {r['stage_s']:.1f} | {timing} |"
            f" {r['table_again_s']:.2f} / {r['table_peak_mb']:.0f} | {r['fresh_knn_s']:.2f} |"
            f" {r['floor_kept']:,} / {r['floor_fresh']:,} / {r['floor_both']:,} |"
            f" {r['dup_kept']:,} / {r['dup_fresh']:,} / {r['dup_both']:,} |")
    lines += ["", "Grouping time ratio to the baseline:"
              + ",".join(f" {r['n'] // base['n']}x the photos {r['group_s'] / base['group_s']:.1f}x"
                         for r in results[1:] if not math.isnan(r["group_s"])),
              "",
              "| photos | batch kNN recall: true 12 nearest / those at cos >="
              f" {DUPLICATE_COSINE} | similar p50 / p95 ms |",
              "|---|---|---|"]
    for r in results:
        lines.append(f"| {r['n']:,} | {r['recall']:.3f} / {r['recall_close']:.3f}"
                     f" | {r['p50_ms']:.1f} / {r['p95_ms']:.1f} |")
    lines += ["", "Index size per photo (bytes; hashes: pHash, dHash and their 7 flips/turns):",
              "",
              "| photos | catalog: embedding | catalog: hashes | catalog: neighbour lists |"
              " vectors.hnsw file | hnswlib in RAM | vectors + hashes + lists on disk |"
              " whole catalog file |",
              "|---|---|---|---|---|---|---|---|"]
    for r in results:
        disk = r["catalog_vec"] + r["catalog_hash"] + r["catalog_lists"] + r["hnsw_file"]
        lines.append(f"| {r['n']:,} | {r['catalog_vec']:.0f} | {r['catalog_hash']:.0f} |"
                     f" {r['catalog_lists']:.0f} | {r['hnsw_file']:.0f} | {r['hnsw_ram']:.0f} |"
                     f" {disk:.0f} | {r['catalog_file']:.0f} |")
    return "\n".join([*lines, "", BEFORE])


BEFORE = """\
Before (main at 734beda: every photo searched in hnswlib on every grouping, each candidate pair
judged by a Python call, verification only when grouping asked for it): 100,000 photos: group
45.5 s, of which the batch kNN 14.1 s, verification attempts 13.7 s (pairs without pixels,
tried again on every grouping), judging ~790,000 candidate pairs one at a time ~18 s; similar
p50 / p95 2.0 / 2.1 ms. Vectors + hashes on disk 1,812 B a photo (the neighbour lists add 192 B
now). Earlier (main at 5111022: 1280-d float32 embeddings): 20,000 photos: group 17.08 s;
index per photo 10,517 B on disk for vectors + hashes."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="*", type=int, default=[100_000])
    parser.add_argument("--group-max", type=int, default=None,
                        help="time grouping only up to this many photos (the others: build,"
                             " size, kNN recall and similar search)")
    parser.add_argument("--write", action="store_true",
                        help="update docs/benchmarks.md (after each size, so a long run that"
                             " is stopped keeps the sizes done)")
    args = parser.parse_args()
    sizes = [max(1000, args.n[0] // 10), *args.n]
    results: list[dict[str, float]] = []
    for n in sizes:
        results.append(measure(n, args.group_max is None or n <= args.group_max))
        text = report(results)
        print(text if len(results) == len(sizes) else "", flush=True)
        if args.write and len(results) > 1:
            write_section(SECTION, text, "bench/grouping_scale.py"
                          + "".join(f" {n}" for n in args.n)
                          + (f" --group-max {args.group_max}" if args.group_max else "")
                          + " --write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
