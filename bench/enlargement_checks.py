"""How often and at what cost the keeper asks whether a larger photo is an enlarged copy.

    .venv/bin/python bench/enlargement_checks.py LIBRARY... [--threshold normal] [--write]

For each library (indexed beforehand, e.g. the accuracy libraries of bench/accuracy.py) this
lists its duplicate groups at the given strictness, chooses every group's keeper with the
default keep rules twice (first with the enlargement check as shipped, then with it answering
"no" without reading anything) and prints how many groups asked it, how many photos it found
enlarged, and the time the keeper took per asking group (files decoded, cold cache) against
the time of the same groups without it.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.app.review import review_groups  # noqa: E402
from simfinder.app.usecases import open_library  # noqa: E402
from simfinder.core.cleanup import enlargement, keeper  # noqa: E402
from simfinder.core.matching.similarity import Strictness  # noqa: E402

SECTION = "## Keep rules: cost of telling enlarged copies"


def measure(library_dir: Path, strictness: Strictness) -> dict[str, float]:
    real = enlargement.is_enlarged_copy
    library = open_library(library_dir)
    try:
        # Listing the groups marks their keepers: without the check, so the timed runs below
        # start with nothing cached.
        enlargement.is_enlarged_copy = lambda larger, smaller: False  # type: ignore[assignment]
        groups = review_groups(library, strictness, keeper.DEFAULT_PLAN)
    finally:
        enlargement.is_enlarged_copy = real  # type: ignore[assignment]
        library.close()
    asked: list[bool] = []
    found = 0

    def counting(larger: tuple[bytes, str], smaller: tuple[bytes, str]) -> bool:
        nonlocal found
        asked[-1] = True
        answer = real(larger, smaller)
        found += int(answer)
        return answer

    def timed(check: Callable[[tuple[bytes, str], tuple[bytes, str]], bool]) -> list[float]:
        enlargement.is_enlarged_copy = check  # type: ignore[assignment]
        times = []
        for g in groups:
            asked.append(False)
            started = time.perf_counter()
            keeper.choose(g.photos)
            times.append(time.perf_counter() - started)
        return times

    try:
        with_check = timed(counting)
        flags = asked[:]
        without = timed(lambda larger, smaller: False)
    finally:
        enlargement.is_enlarged_copy = real  # type: ignore[assignment]
    hit = [i for i, a in enumerate(flags) if a]
    return {
        "groups": len(groups), "asked": len(hit), "enlarged": found,
        "ms_with": 1000 * sum(with_check[i] for i in hit) / max(1, len(hit)),
        "ms_without": 1000 * sum(without[i] for i in hit) / max(1, len(hit)),
        "total_with": sum(with_check), "total_without": sum(without),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("libraries", nargs="+", type=Path)
    parser.add_argument("--threshold", default="normal", choices=[s.value for s in Strictness])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    lines = ["| library | groups | groups asking | photos found enlarged | keeper per asking "
             "group: with the check | without | all groups: with | without |",
             "|---|---|---|---|---|---|---|---|"]
    for lib in args.libraries:
        m = measure(lib, Strictness(args.threshold))
        lines.append(f"| {lib.name} | {m['groups']:.0f} | {m['asked']:.0f} | {m['enlarged']:.0f}"
                     f" | {m['ms_with']:.0f} ms | {m['ms_without']:.1f} ms"
                     f" | {m['total_with']:.2f} s | {m['total_without']:.2f} s |")
        print(lines[-1], file=sys.stderr)
    text = (f"Duplicate groups at {args.threshold} strictness of each library, keepers chosen "
            "with the default rules; *groups asking*: groups where the keeper compared a "
            "larger photo with a smaller one (the largest has no camera data, or a smaller "
            "copy looks more original); the time is the keeper's for those groups, files "
            "decoded from a cold cache, against the same groups with the check answering "
            "'no' unread.\n\n" + "\n".join(lines))
    print(text)
    if args.write:
        write_section(SECTION, text, "bench/enlargement_checks.py " + " ".join(
            str(p) for p in args.libraries) + f" --threshold {args.threshold} --write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
