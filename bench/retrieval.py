"""`similar` on the retrieval development set: mAP per kind, each step against today's.

    .venv/bin/python bench/retrieval.py [--set DIR] [--base DIR] [--write]

The set (bench/retrieval_set.py, docs/retrieval-set.md): landmarks photographed by many
people, the same object or product shot again, fine-grained fruit varieties. Each photo queries
all the others; a query's AP is over the whole ranked list (mAP@all), averaged per kind.

Rows, all in the same run on the same decoded photos:

* `similar` end to end (index the set with the command line's engine, then `find_similar` for
  every photo, top 100; photos not returned count as missed), for this checkout and, with
  `--base DIR` (a `git worktree` of main), for today's engine;
* the descriptors alone, ranked by cosine: today's (1280-d average-pooled head activations
  through the fixed random projection to 256-d), the plain 1280-d average-pooled features, GeM
  pooling (1280-d), GeM through the same projection (the shipped embedding, run through ONNX
  Runtime as the indexer runs it), and that plus query expansion over the neighbour graph
  (alpha-QE of the query with its nearest neighbours, as `similar` does).

`--write` replaces this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402

DEFAULT_SET = Path(os.environ.get("SIMFINDER_RETRIEVAL_SET", "/work/datasets/retrieval"))
SECTION = "## Similar: the same place, the same thing"
KINDS = ("landmark", "object", "variety")
TOP = 100

# What a child process prints: for each photo of the set (in groundtruth order), the indexes
# of the photos `similar` lists for it, best first. Runs with ENGINE's code on sys.path.
_SIMILAR_PROGRAM = r"""
import json, sys
from pathlib import Path
engine, root, library, top = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, engine)
from simfinder.app.usecases import EmbedderProvider
from simfinder.core.store.library import Library
from simfinder.core.matching.search import find_similar
paths = json.loads(sys.stdin.read())
where = {str((root / p).resolve()): i for i, p in enumerate(paths)}
lib = Library.open(library)
provider = EmbedderProvider("cpu")
out = []
for p in paths:
    hits = find_similar(lib, root / p, provider, top=top)
    out.append([where[h.photo.path] for h in hits if h.photo.path in where])
print(json.dumps(out))
"""


def load_set(root: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    gt = json.loads((root / "groundtruth.json").read_text())
    paths = [p for g in gt["groups"] for p in g]
    labels = np.array([i for i, g in enumerate(gt["groups"]) for _ in g])
    kinds = np.array([gt["group_kinds"][i] for i in labels])
    return paths, labels, kinds


def average_precision(ranked: list[int], query: int, labels: np.ndarray) -> float:
    relevant = int((labels == labels[query]).sum()) - 1
    if relevant <= 0:
        return float("nan")
    hits, total = 0, 0.0
    for rank, idx in enumerate(ranked, start=1):
        if labels[idx] == labels[query]:
            hits += 1
            total += hits / rank
    return total / relevant


def scores(rankings: list[list[int]], labels: np.ndarray, kinds: np.ndarray) -> dict[str, float]:
    aps = np.array([average_precision(r, q, labels) for q, r in enumerate(rankings)])
    out = {k: float(np.nanmean(aps[kinds == k])) for k in KINDS}
    out["all"] = float(np.nanmean(aps))
    return out


def cosine_rankings(x: np.ndarray) -> list[list[int]]:
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    return [list(np.argsort(-row, kind="stable")[:-1]) for row in sim]


def similar_rankings(engine: Path, root: Path, paths: list[str]) -> list[list[int]]:
    """Index the set with `engine`'s command line, then ask its `find_similar` for each photo."""
    with tempfile.TemporaryDirectory(prefix="simfinder-retrieval-") as tmp:
        library = Path(tmp) / "library"
        env = {**os.environ, "PYTHONPATH": str(engine)}
        subprocess.run([sys.executable, "-m", "simfinder", "--library", str(library), "index",
                        str(root / "images")], check=True, env=env, cwd=engine,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done = subprocess.run(
            [sys.executable, "-c", _SIMILAR_PROGRAM, str(engine), str(root / "images"),
             str(library), str(TOP)], input=json.dumps(paths), capture_output=True, text=True,
            check=True, env=env, cwd=engine)
    rankings: list[list[int]] = json.loads(done.stdout)
    return rankings


def today_projection() -> np.ndarray:
    """Today's fixed random orthogonal projection 1280 -> 256 (cnn_model at 4ffff76)."""
    raw = np.random.PCG64(9_2026).random_raw(2 * 1280 * 256)
    uniform = ((raw >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    u1, u2 = uniform[0::2], uniform[1::2]
    gauss = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
    q, r = np.linalg.qr(gauss.reshape(1280, 256))
    q *= np.sign(np.diag(r))
    return q


def descriptor_rows(root: Path, paths: list[str]) -> dict[str, np.ndarray]:
    import torch

    from simfinder.config import model_cache_dir
    from simfinder.core.matching.query_expansion import expand_queries
    from simfinder.core.photos.cnn_model import build_model, embedding_projection, gem
    from simfinder.core.photos.decode import DecodedPhoto, decode_photo
    from simfinder.core.photos.embed import load_embedder, preprocess

    images = []
    for p in paths:
        decoded = decode_photo(root / "images" / p)
        assert isinstance(decoded, DecodedPhoto), p
        images.append(decoded.image)
    model = build_model()
    average, generalised = [], []
    with torch.inference_mode():
        for i in range(0, len(images), 32):
            fmap = model.feature_map(torch.from_numpy(preprocess(images[i:i + 32])))
            average.append(fmap.mean(dim=(2, 3)).numpy())
            generalised.append(gem(fmap).numpy())
    plain = np.concatenate(average)
    pooled = np.concatenate(generalised)
    unit = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    random = unit @ embedding_projection()
    random /= np.linalg.norm(random, axis=1, keepdims=True)
    shipped = load_embedder(model_cache_dir(), device="cpu").embed(images)
    return {
        "today's descriptor: average pool, random projection to 256-d": plain @ today_projection(),
        "plain average pool, 1280-d": plain,
        "GeM pool, 1280-d": pooled,
        "GeM pool, random projection to 256-d (model v3)": random,
        "+ query expansion over the neighbour graph (similar2)": expand_queries(random, random),
        "GeM pool, learned projection lw1 to 256-d (the embedding, v4)": shipped,
        "+ query expansion over the neighbour graph": expand_queries(shipped, shipped),
    }


def table(rows: dict[str, dict[str, float]]) -> str:
    lines = ["| | mAP | landmarks | same object | same variety |", "|---|---|---|---|---|"]
    for name, s in rows.items():
        lines.append(f"| {name} | {s['all']:.3f} | {s['landmark']:.3f} | {s['object']:.3f} | "
                     f"{s['variety']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=DEFAULT_SET)
    ap.add_argument("--base", type=Path, help="a checkout of today's engine (git worktree)")
    ap.add_argument("--descriptors-only", action="store_true",
                    help="skip the end-to-end `similar` rows (indexing the set twice)")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    if not (args.set / "groundtruth.json").is_file():
        print(f"no retrieval set at {args.set}: run bench/retrieval_set.py", file=sys.stderr)
        return 1
    paths, labels, kinds = load_set(args.set)
    rows: dict[str, dict[str, float]] = {}
    if args.base is not None and not args.descriptors_only:
        base = args.base.resolve()
        rows[f"`similar` today ({_commit(base)})"] = scores(
            similar_rankings(base, args.set, paths), labels, kinds)
    if not args.descriptors_only:
        rows[f"`similar` now ({_commit(REPO)})"] = scores(
            similar_rankings(REPO, args.set, paths), labels, kinds)
    for name, x in descriptor_rows(args.set, paths).items():
        rows[name] = scores(cosine_rankings(x), labels, kinds)
    groups = len(set(labels.tolist()))
    counts = ", ".join(f"{k} {int((kinds == k).sum())}" for k in KINDS)
    body = (f"{len(paths)} photos in {groups} groups ({counts} photos) from {args.set} "
            f"(bench/retrieval_set.py, docs/retrieval-set.md); each photo queries all the "
            f"others, mAP over the whole ranking (`similar`: its top {TOP}).\n\n{table(rows)}")
    print(body)
    if args.write:
        write_section(SECTION, body, "bench/retrieval.py --base DIR --write  # DIR: main's "
                      "worktree")
    return 0


def _commit(checkout: Path) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() or checkout.name


if __name__ == "__main__":
    sys.exit(main())
