"""Test photos: scikit-image's public-domain sample photos, reduced, and ways to save copies."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from simfinder.app.demo import sample_photo_dir

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def sample(name: str, max_side: int = 400) -> Image.Image:
    """A real photo, reduced so tests stay fast."""
    with Image.open(sample_photo_dir() / name) as im:
        im = im.convert("RGB")
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return im


def save(im: Image.Image, path: Path, **options: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, **options)
    return path
