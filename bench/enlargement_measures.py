"""What core/enlargement measures on real camera photos: originals against their reductions
(must stay at or above the threshold) and enlargements (must fall under it).

    .venv/bin/python bench/enlargement_measures.py [--photos N] [--write]

For the first N camera photos of shared/datasets/camera_photos (sorted by path), upright:

* "real": the camera's photo against its reduction by 1/1.25, 1/1.5 and 1/2 (Lanczos, JPEG q85;
  bicubic, JPEG q95): the larger photo is the original, it holds more detail;
* "enlarged": the photo reduced to 2 MP (so that 3x stays in memory), then enlarged by the
  factor, interpolation, sharpening (unsharp mask radius 2, 100 %, threshold 3) and encoding
  named, against that 2 MP photo.

It prints, per kind, the least, median and largest share (left-over power above the smaller
photo's Nyquist frequency over its power just below) and how many of the N pairs land on the
wrong side of ENLARGED_BELOW.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
from pathlib import Path

from PIL import Image, ImageFilter, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.core.cleanup.enlargement import ENLARGED_BELOW, beyond_share  # noqa: E402
from tests.datasets import DATASETS  # noqa: E402

SECTION = "## Keep rules: telling enlarged copies from originals"
R = Image.Resampling
# (factor, interpolation, JPEG quality or None for PNG, sharpened)
ENLARGEMENTS = [(1.25, R.LANCZOS, 95, False), (1.25, R.BICUBIC, 85, True),
                (1.5, R.BILINEAR, 90, False), (1.5, R.LANCZOS, 85, False),
                (2, R.BICUBIC, None, False), (2, R.LANCZOS, 85, True),
                (2.5, R.BICUBIC, 90, False), (3, R.BILINEAR, None, True)]


def _jpeg(im: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _resized(im: Image.Image, factor: float, kernel: R) -> Image.Image:
    return im.resize((round(im.width * factor), round(im.height * factor)), kernel)


def measure(path: Path) -> dict[str, float | None]:
    with Image.open(path) as im:
        orig = ImageOps.exif_transpose(im).convert("RGB")
    out: dict[str, float | None] = {}
    for f in (1.25, 1.5, 2):
        out[f"real: vs its 1/{f} reduction (Lanczos, q85)"] = beyond_share(
            orig, _jpeg(_resized(orig, 1 / f, R.LANCZOS), 85))
        out[f"real: vs its 1/{f} reduction (bicubic, q95)"] = beyond_share(
            orig, _jpeg(_resized(orig, 1 / f, R.BICUBIC), 95))
    pixels = orig.width * orig.height
    src = _resized(orig, (2e6 / pixels) ** 0.5, R.LANCZOS) if pixels > 2e6 else orig
    for f, kernel, quality, sharpen in ENLARGEMENTS:
        big = _resized(src, f, kernel)
        if sharpen:
            big = big.filter(ImageFilter.UnsharpMask(2, 100, 3))
        if quality is not None:
            big = _jpeg(big, quality)
        name = (f"enlarged {f}x ({kernel.name.lower()}, "
                + ("sharpened, " if sharpen else "")
                + (f"JPEG q{quality})" if quality else "PNG)"))
        out[name] = beyond_share(big, src)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=17)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    photos = sorted((DATASETS / "camera_photos" / "images").rglob("*.*"))[:args.photos]
    rows: dict[str, list[float]] = {}
    for path in photos:
        for kind, share in measure(path).items():
            rows.setdefault(kind, []).append(share if share is not None else float("nan"))
        print(path.name, file=sys.stderr)
    lines = [f"| pair | least | median | largest | on the wrong side of {ENLARGED_BELOW} |",
             "|---|---|---|---|---|"]
    for kind, values in rows.items():
        real = kind.startswith("real")
        wrong = sum(1 for v in values if (v < ENLARGED_BELOW if real else v >= ENLARGED_BELOW))
        lines.append(f"| {kind} | {min(values):.3f} | {statistics.median(values):.3f} | "
                     f"{max(values):.3f} | {wrong}/{len(values)} |")
    text = (f"The first {len(photos)} camera photos of shared/datasets/camera_photos: the share "
            "of `core/enlargement.beyond_share` (left-over power above the smaller photo's "
            "Nyquist frequency over its power just below); a share under the threshold takes "
            "the larger photo for an enlargement.\n\n" + "\n".join(lines))
    print(text)
    if args.write:
        write_section(SECTION, text, f"bench/enlargement_measures.py --photos {args.photos} "
                      "--write")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
