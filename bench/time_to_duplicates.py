"""Time to duplicates: a whole first `simfinder index` (indexing and comparing the likely copies,
i.e. until the Duplicates view is ready) against the single-thread draft-decode floor.

    .venv/bin/python bench/time_to_duplicates.py [FOLDER ...] [--rounds 3] [--engine DIR] [--write]

FOLDERs default to ../shared/datasets/camera_photos/images and the generated stress set (both
splits, bench/stress_set.py). Each round, for each folder:

* the floor: every file decoded in draft mode (`decode_photo`, what indexing decodes), one
  thread, files already in the OS cache;
* `simfinder index FOLDER` into a new library, in a new process (2 cores), minus the same
  command on a folder of one photo of it (process start-up, CNN load, one photo: a fixed cost
  that is not per photo).

The figure is (index - one-photo index) / floor, the median over the rounds (all in one run, so
that the machine's load is shared alike). Beside it, the same ratio of CPU seconds (the index
processes' user + system time, the floor's process time): on a machine other work keeps busy,
the wall clock of a 2-core run swings by 2x from round to round, its CPU time far less; CPU /
2 is what the wall figure would be with both cores kept busy throughout. `--engine DIR` runs
another checkout's CLI too (e.g. a `git worktree` of main), in the same rounds, for a
before/after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from bench.stress_set import build_stress_set  # noqa: E402
from simfinder.core.indexing.scan import scan_folders  # noqa: E402
from simfinder.core.photos.decode import decode_photo  # noqa: E402
from tests.datasets import DATASETS  # noqa: E402

SECTION = "## Time to duplicates"


def floor_seconds(files: list[Path]) -> tuple[float, float]:
    """Wall and CPU seconds of the draft decode of every file, one thread."""
    for f in files:
        f.read_bytes()  # from the OS cache, as indexing will read them
    started, cpu = time.perf_counter(), time.process_time()
    for f in files:
        decode_photo(f)
    return time.perf_counter() - started, time.process_time() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def index_seconds(engine: Path, folder: Path, library: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `simfinder index FOLDER` into a new library."""
    env = {**os.environ, "PYTHONPATH": str(engine)}
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-m", "simfinder", "--library", str(library), "index",
                    str(folder)], env=env, check=True, capture_output=True, cwd=engine)
    return time.perf_counter() - started, _children_cpu() - cpu


def one_photo_folder(files: list[Path], work: Path) -> Path:
    folder = work / "one"
    folder.mkdir(parents=True, exist_ok=True)
    if not any(folder.iterdir()):
        shutil.copy2(files[0], folder / files[0].name)
    return folder


def stress_folder(work: Path) -> Path:
    """Both splits of the stress set in one folder."""
    both = work / "stress"
    if not both.exists():
        for split in ("train", "holdout"):
            build_stress_set(work / f"stress_{split}", split, None)
            shutil.copytree(work / f"stress_{split}" / "images", both / split)
    return both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", type=Path, action="append", default=[],
                        help="another simfinder checkout to time in the same rounds")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    engines = {"this": REPO, **{str(e): e.resolve() for e in args.engine}}
    with tempfile.TemporaryDirectory(prefix="simfinder-ttd-") as tmp:
        work = Path(tmp)
        folders = args.folders or [DATASETS / "camera_photos" / "images", stress_folder(work)]
        ratios: dict[tuple[str, str], list[float]] = {}
        cpu_ratios: dict[tuple[str, str], list[float]] = {}
        sizes: dict[str, int] = {}
        for r in range(args.rounds):
            for folder in folders:
                files = [Path(f.path) for f in scan_folders([folder]).files]
                sizes[str(folder)] = len(files)
                one = one_photo_folder(files, work / f"one-{folder.name}")
                floor, floor_cpu = floor_seconds(files)
                for e, (name, engine) in enumerate(engines.items()):
                    lib = work / f"lib-{r}-{folder.name}-{e}"  # a new library each time
                    whole, whole_cpu = index_seconds(engine, folder, lib)
                    start, start_cpu = index_seconds(engine, one, work / f"{lib.name}-one")
                    ratio = (whole - start) / floor
                    cpu_ratio = (whole_cpu - start_cpu) / floor_cpu
                    ratios.setdefault((name, str(folder)), []).append(ratio)
                    cpu_ratios.setdefault((name, str(folder)), []).append(cpu_ratio)
                    print(f"round {r + 1} {folder.name} {name}: index {whole:.2f} s "
                          f"({whole_cpu:.2f} CPU), one photo {start:.2f} s ({start_cpu:.2f}), "
                          f"floor {floor:.2f} s ({floor_cpu:.2f}): {ratio:.2f}x, CPU "
                          f"{cpu_ratio:.2f}x", file=sys.stderr, flush=True)
    lines = [f"Median of {args.rounds} rounds in one run; load average before: "
             f"{load:.1f}. Ratio: (first `simfinder index` - the same on one photo)"
             " / single-thread draft-decode floor of the same files, same round.", "",
             "| folder | photos | engine | rounds | median | CPU: rounds | CPU: median |",
             "|---|---|---|---|---|---|---|"]
    for (name, folder), values in ratios.items():
        shown = Path(folder).name if Path(folder).name != "images" else Path(folder).parent.name
        lines.append(f"| {shown} | {sizes[folder]} | {name} | "
                     f"{', '.join(f'{v:.2f}' for v in values)} | "
                     f"**{statistics.median(values):.2f}x** | "
                     f"{', '.join(f'{v:.2f}' for v in cpu_ratios[(name, folder)])} | "
                     f"{statistics.median(cpu_ratios[(name, folder)]):.2f}x |")
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(SECTION, text, "bench/time_to_duplicates.py --write")


if __name__ == "__main__":
    main()
