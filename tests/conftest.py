"""Shared fixtures: real sample photos (scikit-image's public-domain set) and generated copies."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import ImageEnhance

from simfinder.app.usecases import EmbedderProvider
from simfinder.config import CACHE_ENV
from tests.photos import sample, save

# Distinct real photos used as originals in the fixtures.
SAMPLES = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "camera.png",
           "coins.png", "hubble_deep_field.jpg", "motorcycle_left.png"]


@pytest.fixture(scope="session", autouse=True)
def _model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One ONNX export for the whole test session, shared with CLI subprocesses."""
    cache = tmp_path_factory.mktemp("cache")
    old = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(cache)
    yield cache
    if old is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = old


@pytest.fixture(scope="session")
def embedder(_model_cache: Path) -> EmbedderProvider:
    provider = EmbedderProvider("cpu")
    provider()  # load once
    return provider


@pytest.fixture
def photo_folder(tmp_path: Path) -> Callable[..., dict[str, Path]]:
    """Make a folder of originals plus known duplicates; returns name -> path."""

    def make(root: Path | None = None) -> dict[str, Path]:
        root = root or tmp_path / "photos"
        out: dict[str, Path] = {}
        for name in SAMPLES:
            stem = Path(name).stem
            out[stem] = save(sample(name), root / f"{stem}.jpg", quality=92)
        cat = sample("chelsea.png")
        out["cat-small"] = save(cat.resize((cat.width // 2, cat.height // 2)),
                                root / "edits" / "cat-small.jpg", quality=80)
        out["cat-png"] = save(cat, root / "edits" / "cat.png")
        coffee = sample("coffee.png")
        out["coffee-q30"] = save(coffee, root / "edits" / "coffee-q30.jpg", quality=30)
        out["coffee-bright"] = save(ImageEnhance.Brightness(coffee).enhance(1.15),
                                    root / "edits" / "coffee-bright.jpg", quality=90)
        copy = root / "backup" / "rocket.jpg"
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out["rocket"], copy)
        out["rocket-copy"] = copy
        return out

    return make


@pytest.fixture
def temp_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A trash of the test's own: the user's real trash is never touched. send2trash follows
    HOME and XDG_DATA_HOME (read once, when it is first imported: its copy is pointed here
    too). Returns the trash folder (`files/`, `info/`)."""
    import send2trash.plat_other as freedesktop

    home = tmp_path / "home"
    data = home / ".local" / "share"
    data.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setattr(freedesktop, "XDG_DATA_HOME", os.fsencode(data))
    monkeypatch.setattr(freedesktop, "HOMETRASH_B", os.fsencode(data / "Trash"))
    monkeypatch.setattr(freedesktop, "HOMETRASH", str(data / "Trash"))
    return data / "Trash"
