"""A small demo photo folder for trying simfinder before pointing it at your own photos.

The originals are the public-domain sample photos that the scikit-image wheel carries (read from
the installed package, never downloaded); the copies are made here the ways duplicates arise in
real libraries: resized, re-encoded, cropped, colour-edited, converted, copied. Three shots of
one scene taken from the hand (one sharp, one out of focus, one shaken; CC0, in demo-shots/
beside this module) make a series for the Similar shots view.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageEnhance

from simfinder.core.atomic import write_bytes_atomic

log = logging.getLogger(__name__)

# scikit-image sample photos (public domain, see skimage/data/README.txt) and the demo names.
ORIGINALS: dict[str, str] = {
    "astronaut.png": "astronaut.png",
    "chelsea.png": "cat.png",
    "coffee.png": "coffee.png",
    "rocket.jpg": "rocket.jpg",
    "motorcycle_left.png": "motorcycle-left.png",
    "motorcycle_right.png": "motorcycle-right.png",
    "hubble_deep_field.jpg": "hubble.jpg",
    "camera.png": "cameraman.png",
    "coins.png": "coins.png",
    "retina.jpg": "retina.jpg",
}

_Edit = Callable[[Image.Image], Image.Image]


def _half(im: Image.Image) -> Image.Image:
    return im.resize((max(1, im.width // 2), max(1, im.height // 2)), Image.Resampling.LANCZOS)


def _crop(im: Image.Image) -> Image.Image:
    dx, dy = im.width // 30, im.height // 30
    return im.crop((dx, dy, im.width - dx, im.height - dy))


def _warmer(im: Image.Image) -> Image.Image:
    im = ImageEnhance.Color(im.convert("RGB")).enhance(1.3)
    return ImageEnhance.Brightness(im).enhance(1.1)


# (original demo name, copy name, edit, save format and options)
COPIES: list[tuple[str, str, _Edit, str, dict[str, int]]] = [
    ("cat.png", "copies/cat-small.jpg", _half, "JPEG", {"quality": 85}),
    ("cat.png", "copies/cat-cropped.jpg", _crop, "JPEG", {"quality": 90}),
    ("coffee.png", "copies/coffee-low-quality.jpg", lambda im: im, "JPEG", {"quality": 30}),
    ("coffee.png", "copies/coffee-warmer.png", _warmer, "PNG", {}),
    ("astronaut.png", "copies/astronaut.webp", lambda im: im, "WEBP", {"quality": 80}),
    ("rocket.jpg", "copies/rocket-half.png", _half, "PNG", {}),
    ("hubble.jpg", "copies/hubble-75%.png",
     lambda im: im.resize((im.width * 3 // 4, im.height * 3 // 4), Image.Resampling.BICUBIC),
     "PNG", {}),
]

# Byte-identical copies: what backups and imports leave behind.
EXACT_COPIES: list[tuple[str, str]] = [
    ("cat.png", "backup/cat.png"),
    ("coins.png", "backup/coins (1).png"),
]


# The installers ship just these photos here instead of all of scikit-image.
BUNDLED_SAMPLES = Path(__file__).resolve().with_name("sample-photos")
# A series of three shots of one scene (see its README.md), copied into the demo's shots/.
DEMO_SHOTS = Path(__file__).resolve().with_name("demo-shots")
SHOTS_FOLDER = "shots"


def sample_photo_dir() -> Path:
    if BUNDLED_SAMPLES.is_dir():
        return BUNDLED_SAMPLES
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the demo needs scikit-image, which ships its sample photos")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def build_demo_folder(dest: Path) -> list[Path]:
    """Write the demo photos into `dest` (kept if already complete); returns their paths."""
    source = sample_photo_dir()
    written: list[Path] = []
    for src_name, name in ORIGINALS.items():
        target = dest / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(target, (source / src_name).read_bytes())
        written.append(target)
    for original, name, edit, fmt, options in COPIES:
        target = dest / name
        if not target.exists():
            with Image.open(dest / original) as im:
                edited = edit(im.convert("RGB"))
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            edited.save(tmp, format=fmt, **options)
            tmp.replace(target)
        written.append(target)
    for original, name in EXACT_COPIES:
        target = dest / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(dest / original, target)
        written.append(target)
    for shot in sorted(DEMO_SHOTS.glob("*.jpg")):
        target = dest / SHOTS_FOLDER / shot.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(target, shot.read_bytes())
        written.append(target)
    log.info("demo folder %s: %d photos", dest, len(written))
    return written
