"""Test photos: scikit-image's public-domain sample photos, reduced, and ways to save copies."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageEnhance, ImageOps

from simfinder.app.demo import sample_photo_dir


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


EDITED_SAMPLES = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "camera.png",
                  "coins.png", "hubble_deep_field.jpg", "motorcycle_left.png"]


def edited_copies(root: Path) -> Path:
    """Originals and copies that mostly only geometric verification can tell: a crop, a
    mirrored and a slightly turned re-encode of each (32 photos, some 40 pairs to verify)."""
    for name in EDITED_SAMPLES:
        im = sample(name)
        stem = Path(name).stem
        w, h = im.size
        edits = root / "edits"
        save(im, root / f"{stem}.jpg", quality=92)
        save(im.crop((w // 8, h // 8, w * 7 // 8, h * 6 // 8)), edits / f"{stem}-crop.png")
        save(ImageOps.mirror(im), edits / f"{stem}-mirror.jpg", quality=80)
        save(ImageEnhance.Contrast(im.rotate(7)).enhance(1.3), edits / f"{stem}-turned.jpg",
             quality=85)
    return root


def photo_series(root: Path, count: int, *, prefix: str = "photo") -> list[Path]:
    """`count` distinct small photos (crops of the samples at shifting places) in `root`."""
    names = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "camera.png",
             "coins.png", "hubble_deep_field.jpg", "motorcycle_left.png"]
    out = []
    for i in range(count):
        im = sample(names[i % len(names)], max_side=160)
        shift = 3 * (i // len(names))
        im = im.crop((shift, shift, im.width - 20 + shift, im.height - 20 + shift))
        out.append(save(im, root / f"{prefix}-{i:03d}.jpg", quality=85))
    return out
