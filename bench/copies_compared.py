"""Copy grouping of two engines compared copy by copy, at every strictness.

    .venv/bin/python bench/copies_compared.py run CHECKOUT LABEL OUT.json SET...
    .venv/bin/python bench/copies_compared.py compare MAIN.json BRANCH.json

`run` indexes each SET (a shared dataset's name, other_shots, or a stress set's name as
bench/accuracy.py names them: stress_holdout_seed303 ...; stress sets are built under
$SIMFINDER_STRESS_SETS, default /tmp/simfinder-stress-sets) with CHECKOUT's command line, in the
order given, and keeps the groups `duplicates --json` finds at each strictness with their
precision and recall (bench/accuracy.py's scoring) in OUT.json after each set, so that two
engines can run side by side (each with its own SIMFINDER_CACHE_DIR) and a run stopped early
keeps what it finished. `compare` prints, for the sets both files have, each engine's P / R /
groups found exactly, and the copies one engine puts in their original's group and the other
does not: no copy lost means the branch's column of copies main groups is empty everywhere.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.accuracy import (  # noqa: E402
    DATASETS,
    OTHER_SHOTS,
    THRESHOLDS,
    Engine,
    Truth,
    image_files,
    load_truth,
    score_groups,
)
from bench.stress_set import build_stress_set  # noqa: E402

STRESS = Path(os.environ.get("SIMFINDER_STRESS_SETS", "/tmp/simfinder-stress-sets"))


def folder_of(name: str) -> Path:
    if name == "other_shots":
        return OTHER_SHOTS
    if name.startswith("stress_"):
        folder = STRESS / name
        if not (folder / "groundtruth.json").exists():
            seed = int(name.split("seed")[1]) if "seed" in name else None
            build_stress_set(folder, "train" if "train" in name else "holdout", seed)
        return folder
    return DATASETS / name


def run(checkout: Path, label: str, out: Path, names: list[str]) -> None:
    engine = Engine(checkout.resolve())
    work = out.parent / f"libraries-{label}"
    work.mkdir(parents=True, exist_ok=True)
    results = json.loads(out.read_text()) if out.exists() else {}
    for name in names:
        if name in results:
            continue
        truth = load_truth(folder_of(name))
        library = work / f"lib-{name}"
        t0 = time.perf_counter()
        engine.run(library, "index", str(truth.images))
        found: dict[str, object] = {"index_s": round(time.perf_counter() - t0)}
        universe = image_files(truth.images)
        for threshold in THRESHOLDS:
            doc = json.loads(engine.run(library, "duplicates", "--json", "--threshold",
                                        threshold))
            groups = [sorted(Path(f["path"]).relative_to(truth.images.resolve()).as_posix()
                             for f in g["files"]) for g in doc["groups"]]
            s = score_groups(truth.at(threshold), [set(g) for g in groups], universe)
            found[threshold] = {"groups": groups, "P": s.precision, "R": s.recall,
                                "exact": s.exact, "true_groups": s.true_groups,
                                "merged": s.merged, "view_pairs": s.view_pairs}
        results[name] = found
        out.write_text(json.dumps(results, indent=1))
        print(name, time.strftime("%H:%M:%S"), file=sys.stderr, flush=True)


def left_out(truth: Truth, groups: list[list[str]]) -> set[str]:
    """Copies not in their original's group (the first file of a true group otherwise)."""
    out: set[str] = set()
    for g in truth.groups:
        first = sorted(g, key=lambda f: ("original" not in f, f))[0]
        home = next((set(h) for h in groups if first in h), {first})
        out |= g - home
    return out


def compare(main_file: Path, branch_file: Path) -> None:
    main, branch = json.loads(main_file.read_text()), json.loads(branch_file.read_text())

    def cell(r: dict[str, object]) -> str:
        p, rec = r["P"], r["R"]
        return (f"{'-' if p is None else f'{p:.3f}'} / {'-' if rec is None else f'{rec:.3f}'}"
                f" / {r['exact']}/{r['true_groups']}")

    print("| set | strictness | main: P / R / groups exact | branch: P / R / groups exact | "
          "copies main groups, the branch not | copies the branch groups, main not |")
    print("|---|---|---|---|---|---|")
    for name in [n for n in main if n in branch]:
        truth = load_truth(folder_of(name))
        for threshold in THRESHOLDS:
            m, b = main[name][threshold], branch[name][threshold]
            at = truth.at(threshold)
            lm, lb = left_out(at, m["groups"]), left_out(at, b["groups"])
            lost, gained = ", ".join(sorted(lb - lm)), ", ".join(sorted(lm - lb))
            print(f"| {name} | {threshold} | {cell(m)} | {cell(b)} | {lost or 'none'} | "
                  f"{gained or 'none'} |")


def main() -> int:
    if len(sys.argv) >= 5 and sys.argv[1] == "run":
        run(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), sys.argv[5:])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
