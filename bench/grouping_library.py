"""Duplicate grouping on one large synthetic library kept on disk (e.g. 1,000,000 photos).

    .venv/bin/python bench/grouping_library.py DIR [N] [--write]

`bench/grouping_scale.py` builds its libraries in a temporary folder and measures much else
besides; at 1,000,000 photos the build alone takes most of an hour on this machine. This one
builds the library of N photos (default 1,000,000) in DIR once, the same way
(`grouping_scale.build`), and reuses it on later runs. It then:

* finds the neighbour table as grouping does (a library built before neighbour lists were kept
  gets them searched and kept here: timed apart),
* stores what indexing's comparison stage leaves (`grouping_scale.emulate_comparison_stage`),
* times `find_duplicate_groups` at normal twice (the second run is the one a user repeats) with
  the neighbour table, the hash searches and the stored verifications timed within it, and the
  process's peak memory.

The same-run baseline is the first grouping: the ratio shows what a repeated grouping costs.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.grouping_scale import _timed, build, emulate_comparison_stage  # noqa: E402
from bench.report import write_section  # noqa: E402
from simfinder.core.matching import candidates  # noqa: E402
from simfinder.core.matching.grouping import find_duplicate_groups  # noqa: E402
from simfinder.core.matching.pairchecks import PairChecker  # noqa: E402
from simfinder.core.matching.similarity import Strictness  # noqa: E402
from simfinder.core.store.layout import CATALOG_FILE  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402

SECTION = "## Grouping a library of 1,000,000 photos"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    built = "reused"
    if not (args.folder / CATALOG_FILE).exists():
        lib, _, build_s, lists_s = build(args.folder, args.n)
        lib.close()
        built = f"built in {build_s:.0f} s + {lists_s:.0f} s of neighbour lists"
    lib = Library.open(args.folder)
    t0 = time.perf_counter()
    ids, _, _ = lib.catalog.hashes()
    candidates.neighbour_table(lib, ids)
    table_s = time.perf_counter() - t0
    pairs, stage_s = emulate_comparison_stage(lib)
    rows = []
    for _ in range(2):
        with _timed(candidates, "neighbour_table") as table, \
                _timed(candidates, "pairs_within") as hashes, \
                _timed(PairChecker, "check_table") as checks:
            t0 = time.perf_counter()
            groups = find_duplicate_groups(lib, Strictness.NORMAL)
            rows.append((time.perf_counter() - t0, table[0], hashes[0], checks[0],
                         sum(1 for g in groups if len(g.photos) == 2)))
            print(rows[-1], file=sys.stderr, flush=True)
    lib.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"{args.n:,} synthetic photos (grouping_scale's library: 2.5% planted pairs), {built}."
        f" Neighbour table before grouping (lists read, or searched and kept where missing):"
        f" {table_s:.1f} s. " + (
            f"Comparison stage as indexing leaves it ({pairs:,} pairs to verify, found and"
            f" stored with synthetic verdicts): {stage_s:.1f} s." if pairs >= 0 else
            "Comparison stage: skipped, as indexing skips it (the library is unchanged since"
            " an earlier run stored its pairs' verdicts)."),
        "",
        "| grouping at normal | s | of which neighbour table s | of which hash searches s |"
        " of which stored verifications s | pairs planted/found |",
        "|---|---|---|---|---|---|",
    ]
    for k, (group_s, tab_s, hash_s, check_s, found) in enumerate(rows):
        lines.append(f"| {'first' if k == 0 else 'again'} | {group_s:.1f} | {tab_s:.1f} |"
                     f" {hash_s:.1f} | {check_s:.1f} | {args.n // 40:,}/{found:,} |")
    lines += ["", f"Again / first: {rows[1][0] / rows[0][0]:.2f}x. Peak memory of the process:"
              f" {peak_mb:,.0f} MB. Load average at the end: {os.getloadavg()[0]:.1f} on"
              f" {os.cpu_count()} cores."]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(SECTION, text, f"bench/grouping_library.py DIR {args.n} --write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
