"""Time to duplicates per 1,000 photos at 1,000 / 10,000 / 100,000 photos, against Czkawka's full
similar-images run on the same files.

    .venv/bin/python bench/time_to_duplicates_scale.py [--sizes 1000 10000] [--cache DIR] [--write]

The libraries are bench/scale_library.py's (real photos, then synthetic ones: nine distinct in
ten, one copy in ten), built into the cache folder first (not timed). For each size, in one run:

* the floor: every file decoded in draft mode (`decode_photo`, what indexing decodes), one
  thread, files already in the OS cache;
* `simfinder index FOLDER` into a new library, in a new process (2 cores), wall and CPU
  seconds (user + system): indexing *and* comparing the likely copies, until the Duplicates
  view is ready; the comparing stage's seconds and pairs verified are read from what the CLI
  prints ("Compared likely copies in ...: P pairs verified now");
* Czkawka's similar images (PyPI `czkawka`, from the `bench` extra; its Rust engine hashes every
  photo and groups them), in a new process with an empty cache, wall and CPU seconds.

Then, not timed: which of the synthetic copies each tool put in one group with its original
(`simfinder duplicates --json` at the default strictness, Czkawka's groups at its default
similarity), and how many groups each made of distinct synthetic photos only (false groups).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from bench.scale_library import CACHE, build_library  # noqa: E402
from simfinder.core.indexing.scan import scan_folders  # noqa: E402
from simfinder.core.photos.decode import decode_photo  # noqa: E402

SECTION = "## Time to duplicates per 1,000 photos, against Czkawka"
COMPARED = re.compile(r"Compared likely copies in (?P<t>[^:]+): (?P<pairs>\d+) pairs verified")

CZKAWKA = """
import json, sys, czkawka
finder = czkawka.ImageSimilarity()
finder.set_directories([sys.argv[1]])
groups = finder.find_similar()
with open(sys.argv[2], "w") as out:
    json.dump([[str(p) for p in g] for g in groups], out)
"""


@dataclass
class Run:
    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[Run, str]:
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=REPO)
    return Run(time.perf_counter() - started, _children_cpu() - cpu), done.stdout + done.stderr


def spoken_seconds(text: str) -> float:
    """Seconds from the CLI's "42 s", "3 min 05 s", "25 min", "2 h 07 min"."""
    units = {"h": 3600, "min": 60, "s": 1}
    return float(sum(int(n) * units[u] for n, u in re.findall(r"(\d+)\s*(h|min|s)\b", text)))


def floor_seconds(files: list[Path]) -> Run:
    """The draft decode of every file, one thread, from the OS cache."""
    for f in files:
        f.read_bytes()
    started, cpu = time.perf_counter(), time.process_time()
    for f in files:
        decode_photo(f)
    return Run(time.perf_counter() - started, time.process_time() - cpu)


def simfinder_index(folder: Path, library: Path) -> tuple[Run, float, int]:
    """The whole first index; the comparing stage's seconds and pairs verified."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run, out = _timed([sys.executable, "-m", "simfinder", "--library", str(library), "index",
                       str(folder)], env)
    found = COMPARED.search(out)
    if found is None:
        return run, 0.0, 0
    return run, spoken_seconds(found["t"]), int(found["pairs"])


def simfinder_groups(library: Path) -> list[list[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "simfinder", "--library", str(library),
                           "duplicates", "--json"], env=env, check=True, capture_output=True,
                          text=True, cwd=REPO)
    return [[p["path"] for p in g["files"]] for g in json.loads(done.stdout)["groups"]]


def czkawka(folder: Path, work: Path) -> tuple[Run, list[list[str]]]:
    """Czkawka's similar images with an empty cache (it keeps hashes under the user's cache)."""
    home = work / "czkawka-home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home),
           "XDG_CONFIG_HOME": str(home)}
    out = work / "czkawka-groups.json"
    run, _ = _timed([sys.executable, "-c", CZKAWKA, str(folder), str(out)], env)
    return run, json.loads(out.read_text())


def copies_found(groups: list[list[str]], images: Path) -> tuple[int, int, int]:
    """(synthetic copies grouped with their original, copies, groups of distinct synthetic
    photos only)."""
    truth = json.loads((images.parent / "groundtruth.json").read_text())
    group_of: dict[str, int] = {}
    for n, g in enumerate(groups):
        for p in g:
            group_of[Path(p).resolve().relative_to(images.resolve()).as_posix()] = n
    found = sum(1 for c in truth["copies"]
                if group_of.get(c["original"], -1) == group_of.get(c["copy"], -2))
    distinct = set(truth["distinct"])
    false_groups = sum(1 for g in groups if all(
        Path(p).resolve().relative_to(images.resolve()).as_posix() in distinct for p in g))
    return found, len(truth["copies"]), false_groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    rows, notes = [], []
    loads = [os.getloadavg()[0]]
    for size in args.sizes:
        images = build_library(size, args.cache)
        files = [Path(f.path) for f in scan_folders([images]).files]
        loads.append(os.getloadavg()[0])
        with tempfile.TemporaryDirectory(prefix="simfinder-ttd-scale-") as tmp:
            work = Path(tmp)
            floor = floor_seconds(files)
            print(f"{size}: floor {floor.wall:.1f} s ({floor.cpu:.1f} CPU)", file=sys.stderr,
                  flush=True)
            index, compare, pairs = simfinder_index(images, work / "library")
            print(f"{size}: simfinder index {index.wall:.1f} s ({index.cpu:.1f} CPU), comparing "
                  f"{compare:.0f} s, {pairs} pairs", file=sys.stderr, flush=True)
            czk, czk_groups = czkawka(images, work)
            print(f"{size}: czkawka {czk.wall:.1f} s ({czk.cpu:.1f} CPU)", file=sys.stderr,
                  flush=True)
            ours = copies_found(simfinder_groups(work / "library"), images)
            theirs = copies_found(czk_groups, images)
        loads.append(os.getloadavg()[0])
        n = len(files)
        per_k = 1000 / n
        rows.append(
            f"| {n:,} | {floor.wall * per_k:.1f} | {index.wall * per_k:.1f} "
            f"({index.cpu * per_k:.0f} CPU) | {compare * per_k:.1f} "
            f"({compare / index.wall:.0%}) | {pairs / n:.2f} | {czk.wall * per_k:.1f} "
            f"({czk.cpu * per_k:.0f} CPU) | **{index.wall / czk.wall:.2f}x** "
            f"({index.cpu / czk.cpu:.2f}x) | {index.wall / floor.wall:.2f}x "
            f"({index.cpu / floor.cpu:.2f}x) | {czk.wall / floor.wall:.2f}x "
            f"({czk.cpu / floor.cpu:.2f}x) |")
        notes.append(
            f"- {n:,} photos: synthetic copies grouped with their original: simfinder "
            f"{ours[0]} of {ours[1]}, Czkawka {theirs[0]} of {theirs[1]}; groups of distinct "
            f"synthetic photos only: simfinder {ours[2]}, Czkawka {theirs[2]}.")
    lines = [
        "Load average (1 min) before, between and after the sizes: "
        + ", ".join(f"{v:.1f}" for v in loads) + "; 2 cores. Seconds per 1,000 photos (CPU "
        "seconds in brackets); ratios of wall time (of CPU time in brackets), same run.", "",
        "| photos | floor s | simfinder index s | of which comparing s (share) | pairs verified "
        "a photo | Czkawka s | simfinder / Czkawka | simfinder / floor | Czkawka / floor |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows, "", *notes]
    text = "\n".join(lines)
    print(text)
    if args.write:
        sizes = " ".join(str(s) for s in args.sizes)
        write_section(SECTION, text,
                      f"bench/time_to_duplicates_scale.py --sizes {sizes} --write")


if __name__ == "__main__":
    main()
