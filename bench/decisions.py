"""What a decision costs: finding the groups again after "keep all" / "not duplicates".

    .venv/bin/python bench/decisions.py [N] [--write]

On the synthetic library of bench/grouping_scale.py (N photo contents, default 20,000, 5% of
them in planted near-duplicate pairs), the user decides about a fifth of the groups (half "keep
all", half "not duplicates"). Times, in the same run: grouping from scratch (judge the candidate
pairs, then cluster: what the Duplicates view did on any change before), and grouping again
after the decisions from the pairs already judged (what it does now). Checks that the decided
groups are left out and the "not duplicates" pairs are apart.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.grouping_scale import build  # noqa: E402
from bench.report import write_section  # noqa: E402
from simfinder.core.matching.candidates import find_candidates  # noqa: E402
from simfinder.core.matching.decisions import GROUP, KEEP_ALL, NOT_DUPLICATES  # noqa: E402
from simfinder.core.matching.grouping import group_judged, judge_pairs  # noqa: E402
from simfinder.core.matching.similarity import Strictness  # noqa: E402
from simfinder.core.store.catalog import Catalog  # noqa: E402
from simfinder.core.store.layout import CATALOG_FILE  # noqa: E402

SECTION = "## Decisions: grouping again after the user decides"


def measure(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        lib, _planted, _ = build(Path(tmp) / "lib", n)
        t0 = time.perf_counter()
        judged = judge_pairs(lib, Strictness.NORMAL)
        judge_s = time.perf_counter() - t0  # the pairs that group: what the view keeps
        candidates = len(find_candidates(lib, Strictness.NORMAL))
        t0 = time.perf_counter()
        groups = group_judged(lib, judged, [])
        cluster_s = time.perf_counter() - t0
        chosen = groups[::5]
        # Saved as the app saves them: one transaction each, flushed to the disk.
        durable = Catalog(lib.root / CATALOG_FILE, durable=True)
        t0 = time.perf_counter()
        for k, g in enumerate(chosen):
            kind = KEEP_ALL if k % 2 == 0 else NOT_DUPLICATES
            durable.add_decision(kind, GROUP, [(p.digest, p.path) for p in g.photos])
        store_s = time.perf_counter() - t0
        durable.close()
        decisions = lib.catalog.decisions()
        t0 = time.perf_counter()
        again = group_judged(lib, judged)
        regroup_s = time.perf_counter() - t0
        shown = [g for g in again if not g.decided]
        apart = [{p.digest for p in g.photos} for k, g in enumerate(chosen) if k % 2]
        merged = sum(1 for g in again for a in apart if len(a & {p.digest for p in g.photos}) > 1)
        lib.close()
    return {"n": n, "judge_s": judge_s, "cluster_s": cluster_s, "groups": len(groups),
            "decisions": len(decisions), "store_ms": store_s * 1000 / max(1, len(decisions)),
            "regroup_s": regroup_s, "shown": len(shown), "merged": merged,
            "candidates": candidates, "kept": len(judged)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=20_000)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    r = measure(args.n)
    load = os.getloadavg()[0]
    full = r["judge_s"] + r["cluster_s"]
    lines = [
        "| photos | groups | decisions | grouping from scratch s | again after the decisions s"
        " | ratio | groups shown after | 'not duplicates' pairs grouped"
        " | saving one decision (flushed) ms |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {r['n']:,} | {r['groups']:,} | {r['decisions']:,} | {full:.2f} |"
        f" {r['regroup_s']:.3f} | {full / max(r['regroup_s'], 1e-9):.0f}x faster |"
        f" {r['shown']:,} | {r['merged']} | {r['store_ms']:.1f} |",
        "",
        "Grouping again reuses the pairs judged (and verified) for the strictness shown, so a "
        "decision costs one clustering with the decisions as cannot-link constraints; the "
        "Duplicates view keeps the judged pairs that group (accepted or clearly another shot: "
        f"{r['kept']:,} of {r['candidates']:,} candidate pairs here) until the library "
        "changes. Load average "
        f"at the end of the run: {load:.1f} on {os.cpu_count()} cores (the ratio is what "
        "carries over to another machine).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(SECTION, text, f"bench/decisions.py {args.n} --write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
