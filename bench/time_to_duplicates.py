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
that the machine's load is shared alike). `--engine DIR` runs another checkout's CLI too (e.g. a
`git worktree` of main), in the same rounds, for a before/after.
"""

from __future__ import annotations

import argparse
import os
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


def floor_seconds(files: list[Path]) -> float:
    for f in files:
        f.read_bytes()  # from the OS cache, as indexing will read them
    started = time.perf_counter()
    for f in files:
        decode_photo(f)
    return time.perf_counter() - started


def index_seconds(engine: Path, folder: Path, library: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(engine)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "simfinder", "--library", str(library), "index",
                    str(folder)], env=env, check=True, capture_output=True, cwd=engine)
    return time.perf_counter() - started


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
        sizes: dict[str, int] = {}
        for r in range(args.rounds):
            for folder in folders:
                files = [Path(f.path) for f in scan_folders([folder]).files]
                sizes[str(folder)] = len(files)
                one = one_photo_folder(files, work / f"one-{folder.name}")
                floor = floor_seconds(files)
                for e, (name, engine) in enumerate(engines.items()):
                    lib = work / f"lib-{r}-{folder.name}-{e}"  # a new library each time
                    whole = index_seconds(engine, folder, lib)
                    start = index_seconds(engine, one, work / f"{lib.name}-one")
                    ratio = (whole - start) / floor
                    ratios.setdefault((name, str(folder)), []).append(ratio)
                    print(f"round {r + 1} {folder.name} {name}: index {whole:.2f} s, one photo "
                          f"{start:.2f} s, floor {floor:.2f} s: {ratio:.2f}x", file=sys.stderr,
                          flush=True)
    lines = [f"Median of {args.rounds} rounds in one run; load average before: "
             f"{load:.1f}. Ratio: (first `simfinder index` - the same on one photo)"
             " / single-thread draft-decode floor of the same files, same round.", "",
             "| folder | photos | engine | rounds | median |", "|---|---|---|---|---|"]
    for (name, folder), values in ratios.items():
        shown = Path(folder).name if Path(folder).name != "images" else Path(folder).parent.name
        lines.append(f"| {shown} | {sizes[folder]} | {name} | "
                     f"{', '.join(f'{v:.2f}' for v in values)} | "
                     f"**{statistics.median(values):.2f}x** |")
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(SECTION, text, "bench/time_to_duplicates.py --write")


if __name__ == "__main__":
    main()
