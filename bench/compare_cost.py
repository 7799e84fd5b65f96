"""The comparing stage of two engines on the same libraries, rounds taking turns: CPU seconds.

    .venv/bin/python bench/compare_cost.py BASE_CHECKOUT LIBRARY... [--rounds 3] [--captures]

Each LIBRARY (e.g. those bench/copies_compared.py indexed) is copied, its stored verifications,
capture checks and stage fingerprint removed, and `compare_likely_copies` run on the copy by
this checkout and by BASE_CHECKOUT (each in a process of its own, the order swapped every
round). `--captures` keeps the stored verifications: only the capture checks are redone. The
figure is the process's CPU time (both verification threads), which the machine's load moves
far less than the wall clock; the stored checks of the two engines must be the same.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def one_run(source: Path, work: Path, captures_only: bool) -> dict[str, object]:
    """The stage on a copy of `source` (in this process, with this process's simfinder)."""
    from simfinder.core.matching.pending_checks import compare_likely_copies
    from simfinder.core.store.library import Library

    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work)
    db = sqlite3.connect(work / "catalog.sqlite")
    tables = ["stages_done", "capture_checks"] + ([] if captures_only else ["pair_checks"])
    for table in tables:
        db.execute(f"DELETE FROM {table}")
    db.commit()
    db.close()
    with Library.open(work) as library:
        wall, cpu = time.perf_counter(), time.process_time()
        report = compare_likely_copies(library)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    db = sqlite3.connect(work / "catalog.sqlite")
    stored = [list(map(str, r)) for table in ("pair_checks", "capture_checks")
              for r in db.execute(f"SELECT * FROM {table} ORDER BY a, b")]
    db.close()
    shutil.rmtree(work, ignore_errors=True)
    return {"cpu": cpu, "wall": wall, "pairs": report.pairs, "stored": stored}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("libraries", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--captures", action="store_true")
    parser.add_argument("--one", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one[0], args.one[1], args.captures)))
        return
    engines = {"base": args.base.resolve(), "this": REPO}
    cpu: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="simfinder-compare-cost-") as tmp:
        for r in range(args.rounds):
            for library in args.libraries:
                stored: dict[str, object] = {}
                order = list(engines.items())
                for name, checkout in order if r % 2 == 0 else order[::-1]:
                    cmd = [sys.executable, str(Path(__file__).resolve()), str(args.base),
                           str(library), "--one", str(library), str(Path(tmp) / name)]
                    done = subprocess.run(cmd + (["--captures"] if args.captures else []),
                                          env={**os.environ, "PYTHONPATH": str(checkout)},
                                          cwd=checkout, capture_output=True, text=True,
                                          check=True)
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                    stored[name] = result.pop("stored")
                    cpu.setdefault((library.name, name), []).append(float(result["cpu"]))
                    print(f"round {r + 1} {library.name} {name}: {result}", file=sys.stderr,
                          flush=True)
                print(f"round {r + 1} {library.name}: the same stored checks: "
                      f"{stored['base'] == stored['this']}", file=sys.stderr, flush=True)
    print("| library | base CPU s | this CPU s | this / base (medians) |")
    print("|---|---|---|---|")
    for library in args.libraries:
        base, this = cpu[(library.name, "base")], cpu[(library.name, "this")]
        print(f"| {library.name} | {', '.join(f'{x:.2f}' for x in base)} | "
              f"{', '.join(f'{x:.2f}' for x in this)} | "
              f"{statistics.median(this) / statistics.median(base):.2f}x |")


if __name__ == "__main__":
    main()
