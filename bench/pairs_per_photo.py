"""How many candidate pairs the comparison stage verifies geometrically, per photo.

    .venv/bin/python bench/pairs_per_photo.py [--keep DIR] [--synthetic N ...] [--write]

For every set bench/accuracy.py measures (the shared datasets, the other-shots set when built,
both splits of the stress set), each indexed into a library of its own without the comparison
stage, it prints the photos, the candidate pairs and the pairs grouping verifies
(`grouping.pairs_to_verify`) per photo, and the seconds the stage then takes on that library
(`compare_likely_copies`: verification, features and capture checks). Then the same counts on
synthetic libraries of N photo contents (bench/grouping_scale.py's builder: random CNN-like
embeddings and hashes, 5% planted near-duplicate pairs; default 100,000).

`--keep DIR` indexes into DIR and reuses what is there (the stage runs on a copy).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.accuracy import datasets  # noqa: E402
from bench.report import write_section  # noqa: E402
from simfinder.app.usecases import EmbedderProvider  # noqa: E402
from simfinder.core.indexing.indexer import Indexer  # noqa: E402
from simfinder.core.matching.candidates import find_candidates  # noqa: E402
from simfinder.core.matching.pending_checks import compare_likely_copies  # noqa: E402
from simfinder.core.matching.similarity import Strictness  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402

SECTION = "## Pairs verified per photo"


@dataclass(frozen=True, slots=True)
class Counted:
    name: str
    photos: int
    candidates: int
    verified: int
    screened: int  # of them, ruled out by the cheap look without SIFT (-1: not run)
    features: int  # photos whose SIFT features the stage computed (-1: not run)
    stage_seconds: float  # nan: not run

    @property
    def per_photo(self) -> float:
        return self.verified / self.photos if self.photos else 0.0

    @property
    def sift_per_photo(self) -> float:
        """Pairs verified with SIFT a photo (the screen's rule-outs taken off)."""
        if self.screened < 0 or not self.photos:
            return float("nan")
        return (self.verified - self.screened) / self.photos


def count(lib: Library) -> tuple[int, int]:
    found = find_candidates(lib, Strictness.LOOSE)
    return len(found), int(found.verify.sum())


def real_set(name: str, images: Path, root: Path) -> Counted:
    plain = root / name
    if not (plain / "catalog.sqlite").exists() and plain.exists():
        shutil.rmtree(plain)
    lib = Library.open(plain)
    if not lib.catalog.file_count():
        Indexer(lib, EmbedderProvider("cpu")).run([images])
    photos = lib.catalog.file_count()
    pairs, verified = count(lib)
    lib.close()
    staged = root / f"{name}.staged"
    if staged.exists():
        shutil.rmtree(staged)
    shutil.copytree(plain, staged)
    lib = Library.open(staged)
    with lib.writing():
        report = compare_likely_copies(lib)
    lib.close()
    shutil.rmtree(staged)
    return Counted(name, photos, pairs, verified, report.screened, report.features,
                   report.seconds)


def synthetic(n: int, root: Path) -> Counted:
    from bench.grouping_scale import build

    lib, _planted, _build_s, _lists_s = build(root / f"synthetic{n}", n)
    pairs, verified = count(lib)
    lib.close()
    shutil.rmtree(root / f"synthetic{n}")
    return Counted(f"synthetic {n:,}", n, pairs, verified, -1, -1, float("nan"))


def body(rows: list[Counted]) -> str:
    lines = ["| library | photos | candidate pairs | pairs to verify | per photo | ruled out "
             "by ORB | SIFT-verified per photo | photos with SIFT features | stage s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        stage = "-" if r.stage_seconds != r.stage_seconds else f"{r.stage_seconds:.2f}"
        feats = "-" if r.features < 0 else str(r.features)
        screened = "-" if r.screened < 0 else str(r.screened)
        sift = "-" if r.screened < 0 else f"{r.sift_per_photo:.2f}"
        lines.append(f"| {r.name} | {r.photos:,} | {r.candidates:,} | {r.verified:,} | "
                     f"{r.per_photo:.2f} | {screened} | {sift} | {feats} | {stage} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="index into this folder and reuse it")
    parser.add_argument("--synthetic", type=int, nargs="*", default=[100_000],
                        help="synthetic library sizes (default 100000)")
    parser.add_argument("--only", nargs="*", help="just these sets")
    parser.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simfinder-pairs-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        rows = []
        for truth in datasets(root / "sets"):
            if args.only and truth.name not in args.only:
                continue
            rows.append(real_set(truth.name, truth.images, root))
            print(rows[-1], file=sys.stderr, flush=True)
        for n in args.synthetic:
            rows.append(synthetic(n, Path(tmp)))
            print(rows[-1], file=sys.stderr, flush=True)
    text = body(rows)
    print(text)
    if args.write:
        write_section(SECTION, text, "bench/pairs_per_photo.py --write")


if __name__ == "__main__":
    main()
