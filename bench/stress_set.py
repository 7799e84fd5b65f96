"""A generated stress set of edited copies, from scikit-image's public-domain sample photos.

    .venv/bin/python bench/stress_set.py OUT_DIR [--split train|holdout] [--seed N]

Every original gets one copy per kind of edit that makes duplicates in real libraries, each at a
strength drawn from a fixed range with a fixed seed (never chosen per file):

    crop to 25-80% of the area, rotation by any angle (corners filled or cropped away), mirror,
    scaling to 10-50%, JPEG quality 5-75, blur, noise, colour shifts (hue, saturation,
    brightness, contrast, greyscale, sepia), text overlays, borders, and screenshots of the photo
    at another size inside a window frame

plus, for half of the copies, a mild second edit (re-encode, resize, colour) on top.

Two disjoint splits: "train" (the photos and seed the rules were developed with) and "holdout"
(other photos, another seed), to check that the rules generalise. The holdout split includes the
motorcycle_left/right stereo pair: the same scene from two viewpoints, which must stay two groups.

The output folder looks like the shared datasets: `images/` plus `groundtruth.json` whose
`groups` list the original and its copies (paths relative to `images/`).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from simfinder.app.demo import sample_photo_dir  # noqa: E402

SPLITS: dict[str, tuple[list[str], int]] = {
    "train": (["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "camera.png",
               "coins.png", "hubble_deep_field.jpg", "retina.jpg", "moon.png"], 8),
    "holdout": (["motorcycle_left.png", "motorcycle_right.png", "immunohistochemistry.png",
                 "cell.png", "clock_motion.png", "brick.png", "grass.png", "gravel.png",
                 "page.png"], 1009),
}
# scikit-image renamed a few files over the years; the first that exists is used.
_ALIASES = {"immunohistochemistry.png": ["immunohistochemistry.png", "ihc.png"]}

_WORDS = ("holiday summer beach family birthday party 2019 2023 copyright all rights reserved "
          "sample draft photo by me look at this wow best day ever").split()

Edit = Callable[[Image.Image, np.random.Generator], tuple[Image.Image, str]]


def _uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def crop(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    area = _uniform(rng, 0.25, 0.8)
    aspect = math.exp(_uniform(rng, -0.4, 0.4))
    w = min(im.width, round(im.width * math.sqrt(area) * math.sqrt(aspect)))
    h = min(im.height, round(im.height * area * im.width / max(w, 1)))
    x = int(rng.integers(0, im.width - w + 1))
    y = int(rng.integers(0, im.height - h + 1))
    return im.crop((x, y, x + w, y + h)), f"crop {w * h / (im.width * im.height):.0%} of the area"


def rotate(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    if rng.random() < 0.3:
        angle = float(rng.choice([90, 180, 270]))
        return im.rotate(angle, expand=True), f"rotate {angle:.0f}"
    angle = _uniform(rng, -180, 180)
    if rng.random() < 0.5:
        fill = tuple(int(c) for c in rng.integers(0, 256, 3))
        out = im.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
        return out, f"rotate {angle:.0f} (corners filled)"
    # The largest axis-aligned rectangle inside the rotated photo: no fill, some loss.
    out = im.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    a = math.radians(abs(angle) % 180)
    a = min(a, math.pi - a)
    w, h = im.size
    side_long, side_short = max(w, h), min(w, h)
    sin, cos = math.sin(a), math.cos(a)
    if side_short <= 2 * sin * cos * side_long or abs(sin - cos) < 1e-10:
        x = 0.5 * side_short
        wr, hr = (x / sin, x / cos) if w >= h else (x / cos, x / sin)
    else:
        cos2 = cos * cos - sin * sin
        wr, hr = (w * cos - h * sin) / cos2, (h * cos - w * sin) / cos2
    cx, cy = out.width / 2, out.height / 2
    box = (round(cx - wr / 2), round(cy - hr / 2), round(cx + wr / 2), round(cy + hr / 2))
    return out.crop(box), f"rotate {angle:.0f} (cropped to the inner rectangle)"


def mirror(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    if rng.random() < 0.75:
        return ImageOps.mirror(im), "mirror left-right"
    return ImageOps.flip(im), "mirror top-bottom"


def scale(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    f = _uniform(rng, 0.1, 0.5)
    size = (max(8, round(im.width * f)), max(8, round(im.height * f)))
    return im.resize(size, Image.Resampling.LANCZOS), f"scale to {f:.0%}"


def jpeg(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    q = int(rng.integers(5, 76))
    return _reencode(im, q), f"JPEG quality {q}"


def blur(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    r = _uniform(rng, 1.0, 4.0) * max(im.size) / 512
    return im.filter(ImageFilter.GaussianBlur(r)), f"Gaussian blur {r:.1f} px"


def noise(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    sigma = _uniform(rng, 5, 30)
    arr = np.asarray(im.convert("RGB"), dtype=np.float32)
    arr += rng.normal(0, sigma, arr.shape).astype(np.float32)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)), f"noise sigma {sigma:.0f}"


def colour(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    kind = int(rng.integers(0, 5))
    rgb = im.convert("RGB")
    if kind == 0:
        return ImageOps.grayscale(rgb).convert("RGB"), "greyscale"
    if kind == 1:
        grey = ImageOps.grayscale(rgb)
        return ImageOps.colorize(grey, (40, 26, 13), (255, 240, 192)), "sepia"
    if kind == 2:
        shift = int(rng.integers(20, 100)) * int(rng.choice([-1, 1]))
        h, s, v = rgb.convert("HSV").split()
        h = h.point(lambda x: (x + shift) % 256)
        return Image.merge("HSV", (h, s, v)).convert("RGB"), f"hue shift {shift}"
    b = _uniform(rng, 0.6, 1.4)
    c = _uniform(rng, 0.6, 1.5)
    s = _uniform(rng, 0.0, 2.0)
    out = ImageEnhance.Brightness(rgb).enhance(b)
    out = ImageEnhance.Contrast(out).enhance(c)
    out = ImageEnhance.Color(out).enhance(s)
    if kind == 4:
        gamma = _uniform(rng, 0.5, 2.0)
        out = out.point(lambda x: round(255 * (x / 255) ** gamma))
        return out, f"brightness {b:.2f} contrast {c:.2f} saturation {s:.2f} gamma {gamma:.2f}"
    return out, f"brightness {b:.2f} contrast {c:.2f} saturation {s:.2f}"


def text(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    out = im.convert("RGBA")
    layer = Image.new("RGBA", out.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    lines = int(rng.integers(1, 4))
    for _ in range(lines):
        size = max(8, round(out.height * _uniform(rng, 0.06, 0.2)))
        font = ImageFont.load_default(size=size)
        words = " ".join(str(w) for w in rng.choice(_WORDS, int(rng.integers(1, 5))))
        colour_ = (*(int(c) for c in rng.integers(0, 256, 3)), int(rng.integers(160, 256)))
        x = int(rng.integers(0, max(1, out.width // 2)))
        y = int(rng.integers(0, max(1, out.height - size)))
        draw.text((x, y), words, font=font, fill=colour_)
    return Image.alpha_composite(out, layer).convert("RGB"), f"{lines} lines of text"


def border(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    frac = _uniform(rng, 0.03, 0.2)
    fill = tuple(int(c) for c in rng.integers(0, 256, 3))
    if rng.random() < 0.5:
        pad = round(max(im.size) * frac)
        return ImageOps.expand(im.convert("RGB"), pad, fill), f"border {frac:.0%}"
    # Letterbox to another aspect ratio (what social media and slideshows do).
    w, h = im.size
    side = max(w, h) + round(max(w, h) * frac)
    canvas = Image.new("RGB", (side, side), fill)
    canvas.paste(im.convert("RGB"), ((side - w) // 2, (side - h) // 2))
    return canvas, f"letterboxed to a square ({frac:.0%} margin)"


def screenshot(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    f = _uniform(rng, 0.5, 1.6)
    shown = im.convert("RGB").resize((max(8, round(im.width * f)), max(8, round(im.height * f))),
                                     Image.Resampling.BILINEAR)
    grey = int(rng.integers(20, 240))
    margin_x = round(shown.width * _uniform(rng, 0.05, 0.4))
    margin_y = round(shown.height * _uniform(rng, 0.05, 0.3))
    bar = max(12, round(shown.height * 0.06))
    canvas = Image.new("RGB", (shown.width + 2 * margin_x, shown.height + 2 * margin_y + bar),
                       (grey, grey, grey))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, canvas.width, bar), fill=(60, 60, 70))
    for k in range(3):
        draw.ellipse((6 + k * bar, 3, 3 + k * bar + bar - 6, bar - 3), fill=(200, 90, 80))
    canvas.paste(shown, (margin_x, bar + margin_y))
    return canvas, f"screenshot at {f:.0%} inside a window"


PRIMARY: list[tuple[str, Edit]] = [
    ("crop", crop), ("rotate", rotate), ("mirror", mirror), ("scale", scale), ("jpeg", jpeg),
    ("blur", blur), ("noise", noise), ("colour", colour), ("text", text), ("border", border),
    ("screenshot", screenshot),
]


def _reencode(im: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as out:
        return out.convert("RGB")


def mild(im: Image.Image, rng: np.random.Generator) -> tuple[Image.Image, str]:
    """A second, everyday edit on top of the first."""
    kind = int(rng.integers(0, 3))
    if kind == 0:
        q = int(rng.integers(50, 91))
        return _reencode(im, q), f"JPEG quality {q}"
    if kind == 1:
        f = _uniform(rng, 0.5, 0.9)
        size = (max(8, round(im.width * f)), max(8, round(im.height * f)))
        return im.resize(size, Image.Resampling.BICUBIC), f"resize to {f:.0%}"
    b = _uniform(rng, 0.85, 1.15)
    return ImageEnhance.Brightness(im.convert("RGB")).enhance(b), f"brightness {b:.2f}"


def _source(name: str) -> Path:
    root = sample_photo_dir()
    for candidate in _ALIASES.get(name, [name]):
        if (root / candidate).is_file():
            return root / candidate
    raise FileNotFoundError(f"scikit-image sample photo {name} not found in {root}")


def _save(im: Image.Image, path: Path, rng: np.random.Generator, *, lossless: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = im.convert("RGB")
    if lossless:
        out = path.with_suffix(".png")
        im.save(out)
        return out
    fmt = str(rng.choice(["JPEG", "JPEG", "PNG", "WEBP"]))
    out = path.with_suffix({"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}[fmt])
    options = {"quality": int(rng.integers(80, 96))} if fmt != "PNG" else {}
    im.save(out, format=fmt, **options)
    return out


def build_stress_set(
    out: Path,
    split: str = "train",
    seed: int | None = None,
    *,
    originals: list[str] | None = None,
    max_side: int | None = None,
) -> dict[str, object]:
    """Write the split's originals and copies under `out/images`, and `out/groundtruth.json`.

    `originals` replaces the split's photos and `max_side` shrinks them first (small sets for
    tests)."""
    split_originals, default_seed = SPLITS[split]
    originals = originals or split_originals
    rng = np.random.default_rng(default_seed if seed is None else seed)
    images = out / "images"
    groups: list[list[str]] = []
    edits: dict[str, str] = {}
    for name in originals:
        stem = Path(name).stem
        with Image.open(_source(name)) as src:
            original = src.convert("RGB")
        if max_side is not None:
            original.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        members = [_save(original, images / stem / "original", rng, lossless=True)]
        for kind, edit in PRIMARY:
            copy, what = edit(original, rng)
            if kind not in ("jpeg", "scale") and rng.random() < 0.5:
                copy, extra = mild(copy, rng)
                what += f", then {extra}"
            # The JPEG edits keep their own quality: saved losslessly after it.
            path = _save(copy, images / stem / kind, rng, lossless=kind == "jpeg")
            members.append(path)
            edits[path.relative_to(images).as_posix()] = what
        groups.append([p.relative_to(images).as_posix() for p in members])
    truth: dict[str, object] = {
        "source": "scikit-image sample photos (public domain), edited by bench/stress_set.py",
        "license": "public domain (scikit-image data/README.txt)",
        "kind": "near-duplicate",
        "split": split,
        "groups": groups,
        "edits": edits,
        "notes": "each group is one original and its edited copies; all are duplicates",
    }
    if split == "holdout":
        truth["negatives"] = [["motorcycle_left/original.png", "motorcycle_right/original.png"]]
    out.mkdir(parents=True, exist_ok=True)
    (out / "groundtruth.json").write_text(json.dumps(truth, indent=1))
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--split", choices=sorted(SPLITS), default="train")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    truth = build_stress_set(args.out, args.split, args.seed)
    groups = truth["groups"]
    assert isinstance(groups, list)
    print(f"{sum(len(g) for g in groups)} images in {len(groups)} groups under {args.out}")


if __name__ == "__main__":
    main()
