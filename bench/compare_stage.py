"""Comparing likely copies after indexing: what it costs, and what it saves the first grouping.

    .venv/bin/python bench/compare_stage.py [--seed N ...] [--write]

On one library of every shared dataset plus the generated stress set (both splits; `--seed N`
adds both splits drawn again with seed N, for a bigger library):

* the library is indexed without the stage and copied; the copy runs the stage
  (`compare_likely_copies`, as `simfinder index` does after indexing): pairs, seconds, pairs/s;
* the same-run baseline: the first `simfinder duplicates --json` (a new process) on the library
  indexed without the stage, which verifies those pairs while the user waits, against the first
  on the library that ran the stage; both must print the same groups.

And the lookup of which pairs are stored (the stage and every grouping make it), on a synthetic
catalog of 100,000 contents and 400,000 stored verifications: the catalog's lookup against the
one it replaced ((a, b) IN (VALUES ...), 400 pairs a query), timed on 40,000 pairs (it costs one
scan of the table a query, so it grows linearly with the pairs asked for) and scaled to 400,000.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.accuracy import datasets  # noqa: E402
from bench.report import write_section  # noqa: E402
from simfinder.app.usecases import EmbedderProvider  # noqa: E402
from simfinder.core.indexing.indexer import Indexer  # noqa: E402
from simfinder.core.matching.pending_checks import ComparisonReport, compare_likely_copies  # noqa: E402
from simfinder.core.store.catalog import Catalog  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402

SECTION = "## Comparing likely copies after indexing"
LOOKUP_CONTENTS = 100_000
LOOKUP_PAIRS = 400_000
OLD_LOOKUP_SAMPLE = 40_000


@dataclass(frozen=True, slots=True)
class RealRun:
    sets: list[str]
    photos: int
    index_seconds: float  # indexing without the stage
    report: ComparisonReport  # the stage, on a copy
    cold: float  # first `duplicates --json` without the stage
    after: float  # first `duplicates --json` after the stage
    again: float  # second `duplicates --json` without the stage
    same_groups: bool
    groups: int


def duplicates_json(library: Path) -> tuple[float, dict[str, object]]:
    """Seconds for `simfinder duplicates --json` in a new process, and its document."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "simfinder", "--library", str(library), "duplicates", "--json"],
        capture_output=True, text=True, env=env, check=True, cwd=REPO)
    return time.perf_counter() - started, json.loads(done.stdout)


def real_library(work: Path, seeds: list[int]) -> RealRun:
    truths = datasets(work, seeds)
    folders = [t.images for t in truths]
    plain = work / "plain"
    lib = Library.open(plain)
    started = time.perf_counter()
    Indexer(lib, EmbedderProvider("cpu")).run(folders)
    index_seconds = time.perf_counter() - started
    photos = lib.catalog.file_count()
    lib.close()
    compared = work / "compared"
    shutil.copytree(plain, compared)

    lib = Library.open(compared)
    with lib.writing():
        report = compare_likely_copies(lib)
    lib.close()
    assert not report.cancelled and report.left == 0
    cold, cold_doc = duplicates_json(plain)
    after, after_doc = duplicates_json(compared)
    again, _ = duplicates_json(plain)  # plain has its verifications now too
    groups = cold_doc["groups"]
    assert isinstance(groups, list)
    return RealRun([t.name for t in truths], photos, index_seconds, report, cold, after, again,
                   cold_doc == after_doc, len(groups))


def lookup(work: Path) -> dict[str, float]:
    """The stored-pairs lookup at LOOKUP_PAIRS pairs, now and as it was."""
    cat = Catalog(work / "lookup.sqlite")
    db = cat._db
    with cat.transaction():
        db.executemany(
            "INSERT INTO contents(id, digest, width, height, format, phash, dhash, model,"
            " embedding, created_at) VALUES (?, ?, 1, 1, 'JPEG', 0, 0, 'm', x'00', 0)",
            [(i, i.to_bytes(16, "big")) for i in range(1, LOOKUP_CONTENTS + 1)])
    rng = random.Random(9)
    stored: set[tuple[int, int]] = set()
    while len(stored) < LOOKUP_PAIRS:
        a, b = rng.randint(1, LOOKUP_CONTENTS), rng.randint(1, LOOKUP_CONTENTS)
        if a != b:
            stored.add((min(a, b), max(a, b)))
    pairs = sorted(stored)
    values = (40, 30, 1.0, 1.0, 1.0, 0.9, 0.8, 0, 0.0, 1.0)
    cat.put_pair_checks(((a, b, values) for a, b in pairs), 1)

    started = time.perf_counter()
    assert len(cat.pair_checks(pairs, 1)) == LOOKUP_PAIRS
    rows = time.perf_counter() - started
    started = time.perf_counter()
    assert len(cat.checked_pairs(pairs, 1)) == LOOKUP_PAIRS
    keys = time.perf_counter() - started
    sample = pairs[:: LOOKUP_PAIRS // OLD_LOOKUP_SAMPLE]
    started = time.perf_counter()
    found = 0
    for start in range(0, len(sample), 400):
        chunk = sample[start : start + 400]
        marks = ",".join(["(?,?)"] * len(chunk))
        found += len(db.execute(
            "SELECT a, b, matches, inliers, residual, misfit, drift, agreement, overlap,"
            f" mirrored, angle, scale FROM pair_checks WHERE version = ? AND (a, b) IN"
            f" (VALUES {marks})", (1, *[v for pair in chunk for v in pair])).fetchall())
    assert found == len(sample)
    old = (time.perf_counter() - started) * LOOKUP_PAIRS / len(sample)
    cat.close()
    return {"rows": rows, "keys": keys, "old": old}


def body(real: RealRun, looked: dict[str, float]) -> str:
    report = real.report
    speed = (f"| Stage throughput | {report.rate:.0f} pairs/s | {1000 / report.rate:.1f} ms a "
             "pair on two threads, finding the pairs included |" if report.rate
             else "| Stage throughput | - | nothing verified |")
    lines = [
        f"Library: {real.photos:,} photos of {', '.join(real.sets)} (indexed in "
        f"{real.index_seconds:.1f} s without the stage). CPU: 2 cores, no GPU.",
        "",
        "| measure | value | note |",
        "|---|---|---|",
        f"| Pairs grouping verifies (`pairs_to_verify`) | {report.pairs:,} | "
        f"{report.pairs / real.photos:.1f} a photo |",
        f"| Stage after indexing | {report.seconds:.1f} s | {report.verified:,} verified, "
        f"{report.unverifiable:,} without pixels |",
        speed,
        f"| First `duplicates --json`, indexed without the stage (baseline) | {real.cold:.1f} s"
        " | verifies the pairs while the user waits |",
        f"| First `duplicates --json`, after the stage | {real.after:.1f} s | "
        f"{real.cold / real.after:.1f}x faster; same groups: "
        f"{'yes' if real.same_groups else 'NO'} ({real.groups} groups) |",
        f"| Second `duplicates --json`, indexed without the stage | {real.again:.1f} s | "
        "its verifications are stored by then |",
        "",
        f"Looking up which of {LOOKUP_PAIRS:,} pairs are stored (synthetic catalog of "
        f"{LOOKUP_CONTENTS:,} contents and {LOOKUP_PAIRS:,} stored verifications):",
        "",
        "| lookup | seconds |",
        "|---|---|",
        f"| (a, b) IN (VALUES ...), 400 pairs a query (before; timed on "
        f"{OLD_LOOKUP_SAMPLE:,} pairs, scaled) | {looked['old']:.1f} |",
        f"| `Catalog.pair_checks` (rows, as grouping reads them) | {looked['rows']:.2f} |",
        f"| `Catalog.checked_pairs` (which are stored, as the stage asks) | {looked['keys']:.2f} |",
        "",
        f"Lookup ratio to before: {looked['old'] / looked['rows']:.0f}x faster.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, action="append", default=[],
                        help="add both stress splits drawn again with this seed")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simfinder-compare-") as tmp:
        work = Path(tmp)
        looked = lookup(work)
        print(f"lookup: {looked}", file=sys.stderr)
        real = real_library(work, args.seed)
    text = body(real, looked)
    print(text)
    if args.write:
        command = "bench/compare_stage.py" + "".join(f" --seed {n}" for n in args.seed)
        write_section(SECTION, text, command + " --write")


if __name__ == "__main__":
    main()
