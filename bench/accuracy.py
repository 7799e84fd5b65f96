"""Accuracy of duplicate groups and similar-photo search, against imagededup's PHash, same run.

    .venv/bin/python bench/accuracy.py [--write] [--engine DIR --label NAME] [--before FILE]

Runs the real command line (`simfinder --library L index`, `duplicates --json --threshold T`,
`similar IMAGE --json`) on every folder of ../shared/datasets and on the generated stress set
(bench/stress_set.py: its "train" split and its "holdout" split), and imagededup's PHash
(`pip install .[bench]`) on the same folders. Per dataset and threshold it reports:

* pairwise precision, recall and F1 (a pair of files is right if both are in one true group),
* groups split (a true group not inside one found group) and groups merged (a found group with
  files of more than one true group or distinct photo),
* for ukbench_holidays_mini, whose groups are other views of one object (similar, never
  duplicates): the different-view pairs wrongly grouped, and mAP and recall@4 of `similar`.

`--seed N` (repeatable) adds both splits of the stress set drawn again with seed N (the same
photos, other edits at other strengths): rules decided on the default seeds are checked on
edits they were not developed with.

`--engine DIR` runs another checkout's CLI (e.g. a `git worktree` of an older commit) and saves
its figures with `--label`; `--before FILE` puts saved figures beside the current ones.
`--write` puts the tables and a precision-recall plot into docs/benchmarks.md and docs/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.report import DOC, write_section  # noqa: E402
from bench.stress_set import build_stress_set  # noqa: E402
from tests.datasets import DATASETS  # noqa: E402

OTHER_SHOTS = Path(os.environ.get("SIMFINDER_OTHER_SHOTS", "/work/datasets/other_shots"))

SECTION = "## Accuracy: duplicates and similar photos"
THRESHOLDS = ("strict", "normal", "loose")
PEER_DEFAULT = 10  # imagededup's default max_distance_threshold for PHash
PEER_CURVE = tuple(range(0, 33, 2))
RETRIEVAL = "ukbench_holidays_mini"
PLOT = DOC.parent / "accuracy-pr.png"


@dataclass
class Scores:
    tp: int
    found_pairs: int
    true_pairs: int
    split: int  # true groups not found inside one group
    merged: int  # found groups spanning several true groups
    exact: int  # true groups found as exactly one group
    true_groups: int
    groups: int
    view_pairs: int = 0  # pairs of different shots of one scene or object grouped

    @property
    def precision(self) -> float | None:
        return self.tp / self.found_pairs if self.found_pairs else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.true_pairs if self.true_pairs else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Retrieval:
    queries: int
    mean_ap: float
    recall_at_4: float  # mean over queries of (relevant in the top 4) / (relevant)
    all_in_top_4: float  # share of queries with every relevant photo in the top 4
    seconds_per_query: float


@dataclass
class Grouping:
    seconds: float  # the whole `duplicates` command
    candidates: int | None = None  # candidate pairs judged (None: not reported)
    verified: int | None = None  # pairs that needed geometric verification
    verified_now: int | None = None  # of them, verified in this command (not kept earlier)
    verify_seconds: float | None = None


@dataclass
class DatasetRun:
    files: int
    index_seconds: float
    scores: dict[str, Scores] = field(default_factory=dict)
    retrieval: Retrieval | None = None
    grouping: dict[str, Grouping] = field(default_factory=dict)
    # at normal: each true group's files not in the group its first file is in
    missed: list[str] = field(default_factory=list)


# -- ground truth ---------------------------------------------------------------------------


@dataclass
class Truth:
    name: str
    images: Path
    groups: list[set[str]]  # duplicate groups (empty for the retrieval set)
    similar: list[set[str]]  # other shots of one object or scene: never duplicates
    series: list[set[str]] = field(default_factory=list)  # duplicates at loose only

    def at(self, threshold: str) -> Truth:
        """The truth a threshold is held to: same-scene series are duplicates at loose only."""
        if threshold == "loose":
            return Truth(self.name, self.images, self.groups + self.series, self.similar)
        return Truth(self.name, self.images, self.groups, self.similar + self.series)


def load_truth(folder: Path) -> Truth:
    doc = json.loads((folder / "groundtruth.json").read_text())
    groups = [set(g) for g in doc.get("groups", [])]
    if doc.get("kind") == "retrieval":
        return Truth(folder.name, folder / "images", [], groups)
    if doc.get("kind") == "other-shots":  # bench/other_shots_set.py: series are never copies
        return Truth(folder.name, folder / "images", groups,
                     [set(g) for g in doc.get("other_shots", [])])
    labels = doc.get("group_labels") or [""] * len(groups)
    series = [g for g, label in zip(groups, labels, strict=True) if "same-scene series" in label]
    plain = [g for g, label in zip(groups, labels, strict=True)
             if "same-scene series" not in label]
    return Truth(folder.name, folder / "images", plain, [], series)


def image_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def score_groups(truth: Truth, found: Sequence[set[str]], universe: Iterable[str]) -> Scores:
    """Pairwise and group-level scores of `found` (sets of paths relative to images/)."""
    label: dict[str, int] = {}
    for i, g in enumerate(truth.groups):
        for f in g:
            label[f] = i
    for f in universe:
        label.setdefault(f, -1 - len(label))  # each other file is its own true group
    found = [g for g in found if len(g) > 1]
    found_pairs = sum(len(g) * (len(g) - 1) // 2 for g in found)
    tp = sum(1 for g in found for a, b in combinations(sorted(g), 2) if label[a] == label[b])
    true_pairs = sum(len(g) * (len(g) - 1) // 2 for g in truth.groups)
    where = {f: i for i, g in enumerate(found) for f in g}
    split = exact = 0
    for g in truth.groups:
        homes = {where.get(f) for f in g}
        home = homes.pop() if len(homes) == 1 else None
        if home is None:
            split += 1
        elif found[home] == g:
            exact += 1
    merged = sum(1 for g in found if len({label[f] for f in g}) > 1)
    view_pairs = sum(1 for g in found for a, b in combinations(sorted(g), 2)
                     if any(a in s and b in s for s in truth.similar))
    return Scores(tp, found_pairs, true_pairs, split, merged, exact, len(truth.groups),
                  len(found), view_pairs)


# -- simfinder through its command line ------------------------------------------------------


class Engine:
    def __init__(self, checkout: Path) -> None:
        self.checkout = checkout
        self.env = dict(os.environ, PYTHONPATH=str(checkout))

    def run(self, library: Path, *args: str, verbose: bool = False) -> str:
        return self.run_full(library, *args, verbose=verbose)[0]

    def run_full(self, library: Path, *args: str, verbose: bool = False) -> tuple[str, str]:
        cmd = [sys.executable, "-m", "simfinder", *(["-v"] if verbose else []),
               "--library", str(library), *args]
        done = subprocess.run(cmd, cwd=self.checkout, env=self.env, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout, done.stderr


def run_simfinder(engine: Engine, truth: Truth, work: Path, similar: bool = True) -> DatasetRun:
    library = work / f"lib-{truth.name}"
    t0 = time.perf_counter()
    engine.run(library, "index", str(truth.images))
    index_seconds = time.perf_counter() - t0
    universe = image_files(truth.images)
    result = DatasetRun(len(universe), round(index_seconds, 2))
    for threshold in THRESHOLDS:
        t0 = time.perf_counter()
        out, err = engine.run_full(library, "duplicates", "--json", "--threshold", threshold,
                                   verbose=True)
        result.grouping[threshold] = grouping_stats(err, time.perf_counter() - t0)
        doc = json.loads(out)
        found = [{Path(f["path"]).relative_to(truth.images.resolve()).as_posix()
                  for f in g["files"]} for g in doc["groups"]]
        result.scores[threshold] = score_groups(truth.at(threshold), found, universe)
        if threshold == "normal":
            result.missed = missed_copies(truth, found)
    if truth.similar and similar:
        result.retrieval = run_retrieval(engine, truth, library)
    return result


def missed_copies(truth: Truth, found: Sequence[set[str]]) -> list[str]:
    """Files not grouped with the first file of their true group (its original, in the stress
    set), with the edit that made them where the ground truth says."""
    doc = json.loads((truth.images.parent / "groundtruth.json").read_text())
    edits: dict[str, str] = doc.get("edits", {})
    out = []
    for g in truth.groups:
        first = sorted(g, key=lambda f: ("original" not in f, f))[0]
        home = next((h for h in found if first in h), {first})
        out += [f"{f} ({edits[f]})" if f in edits else f for f in sorted(g - home)]
    return out


_GROUPING_LOG = re.compile(r"grouping: (\d+) candidate pairs, (\d+) verified "
                           r"\((\d+) from earlier runs\) in ([\d.]+) s")


def grouping_stats(log: str, seconds: float) -> Grouping:
    m = _GROUPING_LOG.search(log)
    if m is None:
        return Grouping(round(seconds, 2))
    candidates, verified, earlier, verify_seconds = m.groups()
    return Grouping(round(seconds, 2), int(candidates), int(verified),
                    int(verified) - int(earlier), float(verify_seconds))


def run_retrieval(engine: Engine, truth: Truth, library: Path) -> Retrieval:
    aps: list[float] = []
    recalls: list[float] = []
    complete = 0
    t0 = time.perf_counter()
    queries = sorted(f for g in truth.similar for f in g)
    for q in queries:
        relevant = next(g for g in truth.similar if q in g) - {q}
        doc = json.loads(engine.run(library, "similar", str(truth.images / q), "--json",
                                    "--top", "10"))
        ranked = [Path(r["path"]).relative_to(truth.images.resolve()).as_posix()
                  for r in doc["results"]]
        ranked = [r for r in ranked if r != q]
        hits, precisions = 0, []
        for rank, r in enumerate(ranked, 1):
            if r in relevant:
                hits += 1
                precisions.append(hits / rank)
        aps.append(sum(precisions) / len(relevant))
        top4 = len(relevant & set(ranked[:4]))
        recalls.append(top4 / len(relevant))
        complete += top4 == len(relevant)
    seconds = (time.perf_counter() - t0) / len(queries)
    return Retrieval(len(queries), sum(aps) / len(aps), sum(recalls) / len(recalls),
                     complete / len(queries), round(seconds, 3))


# -- imagededup's PHash on the same folders --------------------------------------------------


def run_imagededup(truth: Truth) -> dict[str, Scores]:
    import logging

    from imagededup.methods import PHash

    hasher = PHash(verbose=False)
    logging.disable(logging.WARNING)  # it logs every file it cannot read
    try:
        encodings = hasher.encode_images(image_dir=str(truth.images), recursive=True)
    finally:
        logging.disable(logging.NOTSET)
    universe = image_files(truth.images)
    out: dict[str, Scores] = {}
    for t in sorted({PEER_DEFAULT, *PEER_CURVE}):
        dupes = (hasher.find_duplicates(encoding_map=encodings, max_distance_threshold=t)
                 if encodings else {})
        out[str(t)] = score_groups(truth.at("normal"), connected_groups(dupes), universe)
    return out


def connected_groups(pairs: dict[str, list[str]]) -> list[set[str]]:
    """imagededup's {file: [duplicates]} as groups, joined the way a user would follow them."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, bs in pairs.items():
        for b in bs:
            parent[find(a)] = find(b)
    groups: dict[str, set[str]] = {}
    for x in list(parent):
        groups.setdefault(find(x), set()).add(x)
    return [g for g in groups.values() if len(g) > 1]


# -- report ---------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _cell(s: Scores | None) -> str:
    if s is None:  # not run in that column
        return "- | - | - | - | - |"
    exact = f"{s.exact}/{s.true_groups}" if s.true_groups else "-"
    return (f"{_pct(s.precision)} | {_pct(s.recall)} | {_pct(s.f1)} | {exact} | "
            f"{s.split} / {s.merged} |")


def tables(results: dict[str, object]) -> str:
    runs: dict[str, dict[str, DatasetRun]] = results["runs"]  # type: ignore[assignment]
    peer: dict[str, dict[str, Scores]] = results["imagededup"]  # type: ignore[assignment]
    labels = list(runs)
    lines = [
        "Pairwise precision (P), recall (R) and F1 over pairs of files; *exact*: true groups "
        "found as exactly one group; *split / merged*: true groups not found inside one group / "
        "found groups mixing photos. The same-scene series of duplicateimages_tests count as "
        "duplicates at loose only (at strict and normal, grouping them is an error). imagededup "
        f"PHash at its default `max_distance_threshold={PEER_DEFAULT}`, in the same run on the "
        "same files, is set beside *normal*. '-': no pairs to score.",
        "",
    ]
    head = "| dataset | threshold | " + " | ".join(
        f"{label} P | R | F1 | exact | split / merged" for label in labels
    ) + " | imagededup P | R | F1 | exact | split / merged |"
    lines += [head, "|" + "---|" * (2 + 5 * (len(labels) + 1))]
    names = list(dict.fromkeys(name for run in runs.values() for name in run))
    for name in names:
        for threshold in THRESHOLDS:
            cells = [_cell(runs[label][name].scores.get(threshold) if name in runs[label]
                           else None) for label in labels]
            peer_cell = (_cell(peer[name][str(PEER_DEFAULT)])
                         if threshold == "normal" and name in peer else "| | | | |")
            lines.append(f"| {name} | {threshold} | " + " ".join(cells) + " " + peer_cell)
    current = runs[labels[-1]]
    missed = [(name, f) for name in names if name in current for f in current[name].missed]
    if missed:
        lines += ["", f"Copies that *{labels[-1]}* does not group with their original at normal:",
                  ""]
        lines += [f"- {name}: {f}" for name, f in missed]
    if not all(RETRIEVAL in runs[label] for label in labels):
        return "\n".join(lines)  # `--only` left the retrieval set out
    lines += ["", f"{RETRIEVAL}: other views of one object are *similar*, never duplicates.",
              "", "| | " + " | ".join(labels) + " | imagededup |", "|---|" + "---|" * (
                  len(labels) + 1)]
    for threshold in THRESHOLDS:
        row = [str(runs[label][RETRIEVAL].scores[threshold].view_pairs) for label in labels]
        peer_row = (str(peer[RETRIEVAL][str(PEER_DEFAULT)].view_pairs)
                    if threshold == "normal" and RETRIEVAL in peer else "")
        total = sum(len(g) * (len(g) - 1) // 2 for g in load_truth(DATASETS / RETRIEVAL).similar)
        lines.append(f"| different-view pairs grouped at {threshold} (of {total}) | "
                     + " | ".join(row) + f" | {peer_row} |")
    for key, title in (("mean_ap", "similar: mAP (top 10)"),
                       ("recall_at_4", "similar: recall@4"),
                       ("all_in_top_4", "similar: queries with every other view in the top 4"),
                       ("seconds_per_query", "similar: seconds per query (CLI process)")):
        row = []
        for label in labels:
            r = runs[label][RETRIEVAL].retrieval
            row.append("-" if r is None else f"{getattr(r, key):.3f}")
        lines.append(f"| {title} | " + " | ".join(row) + " | |")
    lines += ["", "Grouping cost: candidate pairs judged, pairs that needed geometric verification "
              "(all verified by the first `duplicates` run, at strict; later runs read them from "
              "the catalog), the verification time, and the whole `duplicates --json` command "
              "at strict (first) / normal / loose, seconds:", "",
              "| dataset | " + " | ".join(f"{label} candidates | verified | verify s | "
                                          "duplicates s" for label in labels) + " |",
              "|---|" + "---|" * (4 * len(labels))]
    for name in names:
        cells = []
        for label in labels:
            run = runs[label].get(name)
            g = run.grouping if run else {}
            first = g.get("strict")
            normal = g.get("normal")
            if first is None or normal is None:
                cells.append("- | - | - | -")
                continue
            cand = "-" if normal.candidates is None else str(normal.candidates)
            ver = "-" if first.verified_now is None else str(first.verified_now)
            vs = "-" if first.verify_seconds is None else f"{first.verify_seconds:.2f}"
            wall = " / ".join(f"{g[t].seconds:.1f}" for t in THRESHOLDS if t in g)
            cells.append(f"{cand} | {ver} | {vs} | {wall}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Index time per dataset (seconds, whole CLI run incl. model load):", "",
              "| dataset | files | " + " | ".join(labels) + " |",
              "|---|---|" + "---|" * len(labels)]
    for name in names:
        files = runs[labels[-1]][name].files if name in runs[labels[-1]] else 0
        lines.append(f"| {name} | {files} | " + " | ".join(
            f"{runs[label][name].index_seconds:.1f}" if name in runs[label] else "-"
            for label in labels) + " |")
    return "\n".join(lines)


def pooled(scores: Iterable[Scores]) -> tuple[float, float]:
    items = list(scores)
    tp = sum(s.tp for s in items)
    found = sum(s.found_pairs for s in items)
    true = sum(s.true_pairs for s in items)
    return (tp / found if found else 1.0), (tp / true if true else 0.0)


def plot(results: dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs: dict[str, dict[str, DatasetRun]] = results["runs"]  # type: ignore[assignment]
    peer: dict[str, dict[str, Scores]] = results["imagededup"]  # type: ignore[assignment]
    # the datasets every column has, so that the curves pool the same pairs
    common = [name for name in peer if all(name in run for run in runs.values())]
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    xs, ys = [], []
    for t in PEER_CURVE:
        p, r = pooled(peer[name][str(t)] for name in common)
        xs.append(r)
        ys.append(p)
    ax.plot(xs, ys, "o-", color="grey", label="imagededup PHash, max distance 0..32")
    for t, x, y in zip(PEER_CURVE, xs, ys, strict=True):
        if t in (0, PEER_DEFAULT, 20, 32):
            ax.annotate(str(t), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    markers = ["s", "D", "^", "v"]
    for k, (label, run) in enumerate(runs.items()):
        px, py = [], []
        for threshold in THRESHOLDS:
            p, r = pooled(run[name].scores[threshold] for name in common)
            px.append(r)
            py.append(p)
        ax.plot(px, py, markers[k % len(markers)] + "-", color=f"C{k}",
                label=f"simfinder {label}")
        last = k == len(runs) - 1  # the current run's labels below its points, others above
        for n, (threshold, x, y) in enumerate(zip(THRESHOLDS, px, py, strict=True)):
            ax.annotate(threshold, (x, y), textcoords="offset points", fontsize=8,
                        xytext=(-12, -14 - 9 * n) if last else (-12, 6 + 9 * n),
                        color=f"C{k}")
    ax.set_xlabel("recall (pairs of copies grouped)")
    ax.set_ylabel("precision (grouped pairs that are copies)")
    ax.set_title("Duplicate pairs, all datasets pooled")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.12)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# -- saving and loading figures ----------------------------------------------------------------


def to_json(run: dict[str, DatasetRun]) -> dict[str, object]:
    return {name: asdict(d) for name, d in run.items()}


def from_json(doc: dict[str, dict[str, object]]) -> dict[str, DatasetRun]:
    out: dict[str, DatasetRun] = {}
    for name, d in doc.items():
        scores = {t: Scores(**s) for t, s in d["scores"].items()}  # type: ignore[union-attr]
        retrieval = Retrieval(**d["retrieval"]) if d.get("retrieval") else None  # type: ignore[arg-type]
        grouping = {t: Grouping(**g) for t, g in d.get("grouping", {}).items()}  # type: ignore[union-attr]
        out[name] = DatasetRun(d["files"], d["index_seconds"], scores, retrieval,  # type: ignore[arg-type]
                               grouping, list(d.get("missed", [])))  # type: ignore[call-overload]
    return out


def datasets(work: Path, seeds: Sequence[int] = ()) -> list[Truth]:
    out = [load_truth(p) for p in sorted(DATASETS.iterdir()) if (p / "groundtruth.json").is_file()]
    if (OTHER_SHOTS / "groundtruth.json").is_file():  # built by bench/other_shots_set.py
        out.append(load_truth(OTHER_SHOTS))
    for seed in (None, *seeds):
        for split in ("train", "holdout"):
            folder = work / (f"stress_{split}" if seed is None else f"stress_{split}_seed{seed}")
            if not folder.exists():
                build_stress_set(folder, split, seed)
            out.append(load_truth(folder))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", type=Path, default=REPO, help="simfinder checkout to run")
    parser.add_argument("--label", default="now", help="name of this engine's column")
    parser.add_argument("--save", type=Path, help="save this engine's figures (JSON)")
    parser.add_argument("--before", type=Path, action="append", default=[],
                        help="figures saved by an earlier --save, shown beside these")
    parser.add_argument("--seed", type=int, action="append", default=[],
                        help="also the stress set drawn with this seed (both splits)")
    parser.add_argument("--only", nargs="*", help="just these datasets")
    parser.add_argument("--no-peer", action="store_true", help="skip imagededup")
    parser.add_argument("--no-similar", action="store_true",
                        help="skip the `similar` queries (copy grouping only)")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()

    engine = Engine(args.engine.resolve())
    results: dict[str, object] = {"runs": {}, "imagededup": {}}
    runs: dict[str, dict[str, DatasetRun]] = {}
    for saved in args.before:
        doc = json.loads(saved.read_text())
        runs[doc["label"]] = from_json(doc["runs"])
    with tempfile.TemporaryDirectory(prefix="simfinder-accuracy-") as tmp:
        work = Path(tmp)
        current: dict[str, DatasetRun] = {}
        peer: dict[str, dict[str, Scores]] = {}
        for truth in datasets(work, args.seed):
            if args.only and truth.name not in args.only:
                continue
            print(f"{truth.name} ...", file=sys.stderr, flush=True)
            current[truth.name] = run_simfinder(engine, truth, work, not args.no_similar)
            for t, s in current[truth.name].scores.items():
                print(f"  {t:>6}: P {_pct(s.precision)} R {_pct(s.recall)} split {s.split} "
                      f"merged {s.merged} exact {s.exact}/{s.true_groups} "
                      f"views {s.view_pairs}", file=sys.stderr)
            if current[truth.name].retrieval:
                print(f"  similar: {current[truth.name].retrieval}", file=sys.stderr)
            if not args.no_peer:
                peer[truth.name] = run_imagededup(truth)
                s = peer[truth.name][str(PEER_DEFAULT)]
                print(f"  imagededup: P {_pct(s.precision)} R {_pct(s.recall)} "
                      f"split {s.split} merged {s.merged}", file=sys.stderr)
    runs[args.label] = current
    results["runs"] = runs
    results["imagededup"] = peer
    if args.save:
        args.save.write_text(json.dumps({"label": args.label, "runs": to_json(current)},
                                        indent=1))
    body = tables(results)
    print(body)
    if args.write and peer:
        plot(results, PLOT)
        note = ("\n\nColumns other than *now* are figures saved earlier by this script with "
                "`--save` (e.g. `before`: the engine at a3969b9, before geometric verification, "
                "run from a `git worktree` with `--engine DIR --label before --save "
                "bench/results/accuracy-before.json`; `1280-d`: main at 5111022, the last engine "
                "with 1280-dimension float32 embeddings, run with `--engine /work/main --label "
                "1280-d --save bench/results/accuracy-1280d.json`). The plot pools the datasets "
                "every column has; imagededup's curve runs its threshold from 0 to 32 bits."
                + (" *stress_…_seedN*: the stress set drawn again with seed N (the same photos, "
                   "other edits at other strengths), which the rules were not developed with: "
                   "what they still miss there is what a library of real photos should expect "
                   "to be missed." if args.seed else ""))
        write_section(SECTION, body + note + f"\n\n![precision-recall](./{PLOT.name})\n",
                      "bench/accuracy.py --write" + "".join(
                          f" --seed {n}" for n in args.seed) + "".join(
                          f" --before {p}" for p in args.before))


if __name__ == "__main__":
    main()
