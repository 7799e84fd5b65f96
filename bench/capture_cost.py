"""The capture check's cost per pair, by the cue that decided it, against decoding the two.

For each labelled pair of the other-shots set (bench/other_shots_set.py: other shots and tone-edited
copies) and of the generated stress set (copies made by every kind of edit), times
`capture.judge_capture` on the original files, and, in the same run, the floor of any check that
looks at the pixels: decoding both files at CAPTURE_SIDE. Prints ms per pair for each verdict's
reason (the capture data, the names, detail where clipped, what moved, the same capture), the
ratio to the decoding floor, and the pairs judged wrongly (a copy called another capture, or the
reverse); --write puts the table into docs/benchmarks.md.

The check runs only for the pairs that grouping accepts as copies at strict and normal and that
would join two groups, not for every pair: see the compare-stage benchmark for its share of the
whole.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.accuracy import OTHER_SHOTS  # noqa: E402
from bench.report import write_section  # noqa: E402
from bench.stress_set import build_stress_set  # noqa: E402
from simfinder.core.matching.capture import CAPTURE_SIDE, _load, judge_capture  # noqa: E402

SECTION = "## Capture check: cost per pair"
CUES = (("capture data", "another exposure of the scene (", "another moment of the scene (t"),
        ("names", "another frame", "another exposure of a numbered"),
        ("detail where clipped", "each shows detail"),
        ("what moved", "parts of it moved"),
        ("not aligned", "not compared"),
        ("the same capture", "the same capture"))


def cue(reason: str) -> str:
    return next((name for name, *starts in CUES if any(s in reason for s in starts)), reason)


def labelled(root: Path) -> list[tuple[str, Path, Path]]:
    truth = json.loads((root / "groundtruth.json").read_text())
    images = root / "images"
    out = [("copy", images / a, images / b) for g in truth["groups"]
           for a, b in combinations(sorted(g), 2)]
    out += [("other shot", images / a, images / b) for g in truth.get("other_shots", [])
            for a, b in combinations(sorted(g), 2)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--copies-per-group", type=int, default=6,
                        help="stress-set copy pairs per original (each with its original)")
    args = parser.parse_args()
    pairs: list[tuple[str, Path, Path]] = []
    if (OTHER_SHOTS / "groundtruth.json").is_file():
        pairs += labelled(OTHER_SHOTS)
    else:
        print(f"{OTHER_SHOTS} missing: stress set only", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="simfinder-capture-") as tmp:
        stress = Path(tmp) / "stress"
        build_stress_set(stress, "train")
        truth = json.loads((stress / "groundtruth.json").read_text())
        for g in truth["groups"]:
            first = next((p for p in g if "/original." in p), sorted(g)[0])
            others = [p for p in sorted(g) if p != first][:args.copies_per_group]
            pairs += [("copy", stress / "images" / first, stress / "images" / p) for p in others]
        for _, a, b in pairs:  # the files in the page cache, for both measures
            a.read_bytes(), b.read_bytes()
        times: dict[str, list[float]] = defaultdict(list)
        floor: list[float] = []
        wrong: list[str] = []
        for kind, a, b in pairs:
            start = time.perf_counter()
            _load(a), _load(b)
            floor.append(time.perf_counter() - start)
            start = time.perf_counter()
            check = judge_capture(a, b)
            spent = time.perf_counter() - start
            if check is None:
                continue
            times[cue(check.reason)].append(spent)
            if check.other_capture != (kind == "other shot"):
                wrong.append(f"{kind}: {a.parent.name}/{a.name} | {b.name}: {check.reason}")
    every = [t for ts in times.values() for t in ts]
    base = statistics.mean(floor)
    lines = [
        f"Pairs: {len(pairs)} ({sum(k == 'copy' for k, *_ in pairs)} copies, "
        f"{sum(k == 'other shot' for k, *_ in pairs)} other shots) from the other-shots set and "
        f"the stress set (train, up to {args.copies_per_group} copies per original). *Floor*: "
        f"decoding both files at {CAPTURE_SIDE} px, same run: {1000 * base:.0f} ms per pair.",
        "",
        "| decided by | pairs | ms per pair (mean) | median | x the floor |",
        "|---|---|---|---|---|",
    ]
    for name, *_ in CUES:
        ts = times.get(name)
        if ts:
            lines.append(f"| {name} | {len(ts)} | {1000 * statistics.mean(ts):.0f} | "
                         f"{1000 * statistics.median(ts):.0f} | "
                         f"{statistics.mean(ts) / base:.1f}x |")
    lines.append(f"| **all** | {len(every)} | {1000 * statistics.mean(every):.0f} | "
                 f"{1000 * statistics.median(every):.0f} | {statistics.mean(every) / base:.1f}x |")
    lines += ["", f"Judged wrongly: {len(wrong)}" + (": " + "; ".join(wrong) if wrong else ".")]
    body = "\n".join(lines)
    print(body)
    if args.write:
        write_section(SECTION, body, " ".join(["bench/capture_cost.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
