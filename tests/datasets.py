"""Where the shared datasets are: the one definition, for the tests and the benchmarks.

`../shared/datasets` beside the repository (SIMFINDER_DATASETS overrides). A clone without it
runs every other test: those that need a dataset skip, with one reason naming the missing folder.
In CI (CI=true) the datasets are part of the run, so a missing one fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.environment import unavailable

DATASETS = Path(os.environ.get("SIMFINDER_DATASETS")
                or Path(__file__).resolve().parents[1].parent / "shared" / "datasets")


def dataset(*parts: str) -> Path:
    """DATASETS/parts, or the test skips (fails in CI) when the datasets are not here."""
    path = DATASETS.joinpath(*parts)
    if not path.exists():
        missing = DATASETS if not DATASETS.is_dir() else path
        unavailable(f"the shared datasets are not here: {missing} is missing")
    return path
