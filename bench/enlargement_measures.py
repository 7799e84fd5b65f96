"""What core/enlargement measures on real camera photos: originals (as taken, blurred, noisy)
against their reductions (must never be called enlarged) and enlargements (must be).

    .venv/bin/python bench/enlargement_measures.py [--photos N] [--write]

For the first N camera photos of shared/datasets/camera_photos (sorted by path), upright:

* "real": the camera's file against its reduction by 1/1.25, 1/1.5 and 1/2 (Lanczos, JPEG q85);
  "blurred" and "noisy": the photo blurred (Gaussian, radius 1.2 or 2 px) or with noise added
  (sigma 5 levels), saved as JPEG q92, against its reductions the same way: soft originals;
* "enlarged": the camera's photo (as the keeper benchmark enlarges it) enlarged by the factor,
  interpolation, sharpening (unsharp mask radius 2, 100 %, threshold 3) and encoding named,
  against the camera's file; the 2.5x and 3x enlargements are of a 1600 px messenger copy
  (JPEG q80), against it.

Every file is decoded as the keeper decodes it (`enlargement.decoded_luma`). It prints, per
kind, each measure's least, median and largest value and how many pairs get the wrong verdict.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.core.cleanup import enlargement  # noqa: E402
from simfinder.core.cleanup.enlargement import (  # noqa: E402
    ENLARGED_BELOW,
    EXPLAINED_AT_LEAST,
    GRID_AT_LEAST,
    PERIOD_AT_LEAST,
    UNPREDICTED_BELOW,
    LumaFile,
    Measures,
    decoded_luma,
    decoded_luma_file,
    measure,
)
from tests.datasets import DATASETS  # noqa: E402

MAX_PIXELS = 13_000_000  # larger photos are left out to keep the run short
SECTION = "## Keep rules: telling enlarged copies from originals"
R = Image.Resampling
# (factor, interpolation, JPEG quality or None for PNG, sharpened, of the messenger copy)
ENLARGEMENTS = [(1.25, R.LANCZOS, 95, False, False), (1.25, R.BICUBIC, 85, True, False),
                (1.5, R.BILINEAR, 90, False, False), (1.5, R.LANCZOS, 85, False, False),
                (2, R.BICUBIC, None, False, False), (2, R.LANCZOS, 85, True, False),
                (2, R.BICUBIC, 90, True, False),
                (2.5, R.BICUBIC, 90, False, True), (3, R.BILINEAR, None, True, True)]


def _encoded(im: Image.Image, quality: int | None) -> io.BytesIO:
    buf = io.BytesIO()
    if quality is None:
        im.save(buf, "PNG", compress_level=1)
    else:
        im.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return buf


def _file(im: Image.Image, quality: int | None) -> LumaFile:
    out = decoded_luma_file(_encoded(im, quality))
    assert out is not None
    return out


def _luma(im: Image.Image, quality: int | None) -> Image.Image:
    return _file(im, quality).luma


def _resized(im: Image.Image, factor: float, kernel: R) -> Image.Image:
    return im.resize((round(im.width * factor), round(im.height * factor)), kernel)


def _originals(path: Path, rgb: Image.Image) -> dict[str, tuple[LumaFile, Image.Image]]:
    """Each kind of original: (its file as decoded, its RGB pixels)."""
    camera = decoded_luma_file(str(path))
    assert camera is not None
    noise = np.random.default_rng(0).normal(0, 5, (rgb.height, rgb.width, 3))
    noisy = np.asarray(rgb, np.float32) + noise
    noisy_rgb = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    out = {"real": (camera, rgb)}
    for radius in (1.2, 2):
        soft = rgb.filter(ImageFilter.GaussianBlur(radius))
        out[f"blurred {radius} px"] = (_file(soft, 92), soft)
    out["noisy"] = (_file(noisy_rgb, 92), noisy_rgb)
    return out


def measures(path: Path) -> dict[str, Measures | None]:
    with Image.open(path) as im:
        rgb = ImageOps.exif_transpose(im).convert("RGB")
    out: dict[str, Measures | None] = {}
    for kind, (file, pixels) in _originals(path, rgb).items():
        for f in (1.25, 1.5, 2):
            out[f"{kind}: vs its 1/{f} reduction"] = measure(
                file.luma, _luma(_resized(pixels, 1 / f, R.LANCZOS), 85), file.table)
    camera = decoded_luma(str(path))
    messenger = rgb.copy()
    messenger.thumbnail((1600, 1600), R.LANCZOS)
    messenger = Image.open(_encoded(messenger, 80)).convert("RGB")
    for f, kernel, quality, sharpen, of_messenger in ENLARGEMENTS:
        src = messenger if of_messenger else rgb
        big = _resized(src, f, kernel)
        if sharpen:
            big = big.filter(ImageFilter.UnsharpMask(2, 100, 3))
        name = (f"enlarged {f}x ({kernel.name.lower()}, " + ("sharpened, " if sharpen else "")
                + (f"JPEG q{quality})" if quality else "PNG)")
                + (" of a messenger copy" if of_messenger else ""))
        small = _luma(messenger, None) if of_messenger else camera
        assert small is not None
        saved = _file(big, quality)
        out[name] = measure(saved.luma, small, saved.table)
    return out


def _pixels(path: Path) -> int:
    with Image.open(path) as im:
        return im.width * im.height


def cost(path: Path, work: Path, factor: float) -> tuple[float, float]:
    """Seconds to decode the camera file and an enlargement of it by `factor` (JPEG q90) once,
    as a viewer does, and seconds of the keeper's whole check of the pair (from the files,
    nothing cached); each the least of three runs."""
    small = work / "small.jpg"
    small.write_bytes(path.read_bytes())
    with Image.open(path) as im:
        _resized(ImageOps.exif_transpose(im).convert("RGB"), factor, R.LANCZOS).save(
            work / "big.jpg", quality=90)
    big = work / "big.jpg"

    def decode() -> None:
        for f in (small, big):
            with Image.open(f) as im:
                im.load()

    def check() -> None:
        enlargement._measures.clear()
        enlargement.is_enlarged_copy((b"big", str(big)), (b"small", str(small)))

    times = []
    for job in (decode, check):
        best = float("inf")
        for _ in range(3):
            began = time.perf_counter()
            job()
            best = min(best, time.perf_counter() - began)
        times.append(best)
    return times[0], times[1]


def _ratios(costs: list[tuple[float, float]]) -> str:
    ratios = sorted(check / decode for decode, check in costs)
    return (f"{statistics.median(ratios):.2f}x median ({ratios[0]:.2f}x-{ratios[-1]:.2f}x); "
            f"decoding took {statistics.median(d for d, _ in costs) * 1000:.0f} ms median")


def _cell(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    return f"{min(known):.3g} / {statistics.median(known):.3g} / {max(known):.3g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=12)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    photos = [p for p in sorted((DATASETS / "camera_photos" / "images").rglob("*.*"))
              if _pixels(p) <= MAX_PIXELS][:args.photos]
    rows: dict[str, list[Measures | None]] = {}
    began = time.monotonic()
    costs: dict[float, list[tuple[float, float]]] = {1.25: [], 2: []}
    for path in photos:
        for factor, timings in costs.items():
            with tempfile.TemporaryDirectory() as tmp:
                timings.append(cost(path, Path(tmp), factor))
            print(f"{path.name}: {factor}x: decode, check: {timings[-1]}", file=sys.stderr,
                  flush=True)
        for kind, found in measures(path).items():
            rows.setdefault(kind, []).append(found)
            print(f"{path.name}: {kind}: {found}", file=sys.stderr, flush=True)
    lines = ["| pair | spectrum share (min / median / max) | explained there | period | "
             "enlarged grid | unpredicted | called enlarged | wrong |",
             "|---|---|---|---|---|---|---|---|"]
    for kind, found in rows.items():
        enlarged = kind.startswith("enlarged")
        called = sum(1 for m in found if m is not None and m.enlarged)
        wrong = len(found) - called if enlarged else called
        lines.append(
            f"| {kind} | {_cell([m.share if m else None for m in found])} | "
            f"{_cell([m.explained if m else None for m in found])} | "
            f"{_cell([m.period if m else None for m in found])} | "
            f"{_cell([m.grid if m else None for m in found])} | "
            f"{_cell([m.unpredicted if m else None for m in found])} | {called}/{len(found)} | "
            f"{wrong} |")
    text = (f"The first {len(photos)} camera photos of shared/datasets/camera_photos of up to "
            "13 MP. A larger photo is called enlarged when the spectrum share (left-over power "
            f"above the smaller photo's Nyquist frequency over its power just below) is under "
            f"{ENLARGED_BELOW} with at least {EXPLAINED_AT_LEAST:g} of the larger photo's "
            "power there explained by the smaller one enlarged, the period strength (rows and "
            "columns summed) is "
            f"{PERIOD_AT_LEAST:g} or more, or the enlarged-grid strength (the weaker axis) is "
            f"{GRID_AT_LEAST:g} or more; or, where the period cannot be asked (2x: a JPEG grid "
            "and a colour mosaic share it), the share of the larger photo's power just above "
            "the smaller one's Nyquist frequency that a 7x7 filter of the smaller one leaves "
            f"unpredicted, beyond its encoding's noise, is under {UNPREDICTED_BELOW:g}; '-' "
            "where a measure cannot tell or is not asked at that ratio. Run time "
            f"{time.monotonic() - began:.0f} s.\n\n" + "\n".join(lines)
            + "\n\nCost: the keeper's check of a photo against an enlargement of it (JPEG "
            "q90), from the files, against decoding the two files once as a viewer does (Pillow, "
            "full size, RGB), least of three runs each, same photos: at 1.25x "
            f"{_ratios(costs[1.25])}; at 2x (the prediction asked) {_ratios(costs[2])}. Load "
            f"average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
    print(text)
    if args.write:
        write_section(SECTION, text, f"bench/enlargement_measures.py --photos {args.photos} "
                      "--write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
