"""Which copy the default keep rules keep: groups of copies of the kinds people have, made from
real camera photos, run through the real CLI.

    .venv/bin/python bench/keeper.py [--photos N] [--before ENGINE] [--kinds WORD...] [--write]

For each camera photo of shared/datasets/camera_photos (N of them, default 8, the same ones each
run), the bench lays the original in a photo folder (its file dated at its capture time) and
makes one copy of each kind: PNG (as an image viewer saves it: no metadata) and PNG keeping the
EXIF, lossy WebP, HEIC keeping the EXIF, a messenger's re-encode (1600 px, metadata stripped,
renamed IMG-20200101-WA0001.jpg), ` (1)` and `Copy of ` byte copies in Downloads, a byte copy in
a backup folder (newer file time), a resized export (2048 px, EXIF kept), a DNG whose preview
Pillow reads in a RAW subfolder, the same DNG beside its camera JPEG (one capture: a RAW+JPEG
pair), and a re-saved JPEG (same size, quality 80, EXIF kept: a smaller file) with the user's
XMP sidecar. Every kind is indexed in a library of its own (N groups of two), and the kinds of
copies of one photo together in one more ("all kinds": N groups; not the DNGs or the sidecar).

Then copies larger than the photo they were made from, saved without camera data (an editor's
or an "enhance" tool's export beside the original): the original enlarged 1.25x-2x and the
messenger copy enlarged 2.5x-3x, by bicubic, Lanczos or bilinear interpolation, saved as JPEG
or PNG, some sharpened; and the other way round, a real larger photo with no metadata (the
camera's pixels re-saved without it, as a scan or a download has them) beside a reduction of
it that kept the camera data: the larger photo is the one to keep. These are left out of
"all kinds", whose figures stay comparable with earlier runs.

The ground truth is set before the rules run, by the order a person keeps copies in: the most
detail; the original capture over anything derived from it (RAW over its JPEG, the camera's JPEG
over a conversion); the copy with the user's edits (its sidecar) over a larger file; among the
same bytes the photo folder, the name without a copy mark, the oldest file. That is the
camera's original everywhere, the DNG over its JPEG, the re-saved copy with the sidecar. The
figure is the share of groups whose only kept photo is that one; a group the engine did not
find counts as a miss. A RAW+JPEG pair of one capture (same name, same folder) is one photo:
right when neither file is marked for removal (in no group, or both kept).
`--kinds WORD...` runs only the kinds whose name holds one of the words ("all" for the all-kinds
libraries), written to a section of their own. `--before ENGINE` also runs `duplicates --json`
of another checkout (e.g. `git worktree add /tmp/keeper-before c2893ba`) on the same libraries,
for a before/after table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pillow_heif
from PIL import Image, ImageFilter, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from tests.datasets import DATASETS  # noqa: E402

SECTION = "## Keep rules: which copy is kept"
CAMERA = DATASETS / "camera_photos" / "images"
# Varied on purpose: GPS and lens (iPhone 6 plus), none at all (Issue 131), blocky JPEGs
# (FinePix 4900), 2-13 MP.
PICKS = ["metadata-extractor-images/Apple iPhone 4S.jpg",
         "metadata-extractor-images/Apple iPhone 6 plus.jpg",
         "metadata-extractor-images/Canon EOS 5D.jpg",
         "metadata-extractor-images/Issue 131.jpg",
         "metadata-extractor-images/FujiFilm FinePix4900Zoom.jpg",
         "metadata-extractor-images/Nexus 4.jpg",
         "metadata-extractor-images/Nikon D70.jpg",
         "metadata-extractor-images/Sony DSC-H9.jpg",
         "metadata-extractor-images/Canon PowerShot A610.jpg",
         "metadata-extractor-images/Olympus E-20.jpg",
         "exif-samples/mobile/jolla.jpg",
         "metadata-extractor-images/Kodak DX6490.jpg"]
pillow_heif.register_heif_opener()  # to save the HEIC copies
OLD_FILE_TIME = datetime(2015, 6, 1).timestamp()  # an original without a capture date


@dataclass(frozen=True)
class Original:
    path: Path  # in the photo folder
    stem: str
    n: int


# A kind of copy: makes the copy of one original; returns (copy, ground-truth keeper).
Maker = Callable[[Original, Path], tuple[Path, Path]]


def _rgb(orig: Original) -> Image.Image:
    with Image.open(orig.path) as im:
        return im.convert("RGB")


def _exif(orig: Original) -> bytes:
    with Image.open(orig.path) as im:
        return im.info.get("exif", b"")


def _png(orig: Original, root: Path) -> tuple[Path, Path]:
    out = orig.path.with_suffix(".png")
    with Image.open(orig.path) as im:
        im.save(out)  # what a viewer's "Save as PNG" does: pixels only
    return out, orig.path


def _png_exif(orig: Original, root: Path) -> tuple[Path, Path]:
    out = orig.path.with_suffix(".png")
    with Image.open(orig.path) as im:
        im.save(out, exif=im.info.get("exif", b""))
    return out, orig.path


def _webp(orig: Original, root: Path) -> tuple[Path, Path]:
    out = orig.path.with_suffix(".webp")
    _rgb(orig).save(out, quality=90)
    return out, orig.path


def _heic(orig: Original, root: Path) -> tuple[Path, Path]:
    out = orig.path.with_suffix(".heic")
    exif = _exif(orig)
    _rgb(orig).save(out, format="HEIF", quality=90, **({"exif": exif} if exif else {}))
    return out, orig.path


def _messenger(orig: Original, root: Path) -> tuple[Path, Path]:
    out = root / "WhatsApp Images" / f"IMG-20200101-WA{orig.n:04d}.jpg"
    out.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(orig.path) as im:
        small = ImageOps.exif_transpose(im).convert("RGB")
    small.thumbnail((1600, 1600), Image.Resampling.LANCZOS)
    small.save(out, quality=75)
    return out, orig.path


def _byte_copy(orig: Original, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(orig.path, out)  # a new file: dated now
    return out


def _downloads_1(orig: Original, root: Path) -> tuple[Path, Path]:
    return _byte_copy(orig, root / "Downloads" / f"{orig.stem} (1).jpg"), orig.path


def _copy_of(orig: Original, root: Path) -> tuple[Path, Path]:
    return _byte_copy(orig, root / "Downloads" / f"Copy of {orig.stem}.jpg"), orig.path


def _backup(orig: Original, root: Path) -> tuple[Path, Path]:
    # A shorter path than the original's, and a newer file.
    return _byte_copy(orig, root / "Backup" / orig.path.name), orig.path


def _resized(orig: Original, root: Path) -> tuple[Path, Path]:
    out = root / "Pictures" / "web" / f"{orig.stem}.jpg"
    out.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(orig.path) as im:
        exif = im.info.get("exif", b"")
        small = im.convert("RGB")
    small.thumbnail((2048, 2048), Image.Resampling.LANCZOS)
    small.save(out, quality=90, exif=exif)
    return out, orig.path


def _raw_pair(orig: Original, root: Path) -> tuple[Path, Path]:
    """A DNG of the photo (its pixels as an RGGB mosaic, a 1600 px RGB preview Pillow reads,
    the camera and date of the JPEG's EXIF) beside the JPEG: the RAW is the one to keep."""
    import tifffile

    im = _rgb(orig)
    with Image.open(orig.path) as src:
        exif = src.getexif()
    a = np.asarray(im).astype(np.uint16) * 16
    h, w = a.shape[:2]
    h, w = h // 2 * 2, w // 2 * 2
    cfa = np.empty((h, w), np.uint16)
    cfa[0::2, 0::2] = a[0:h:2, 0:w:2, 0]
    cfa[0::2, 1::2] = a[0:h:2, 1:w:2, 1]
    cfa[1::2, 0::2] = a[1:h:2, 0:w:2, 1]
    cfa[1::2, 1::2] = a[1:h:2, 1:w:2, 2]
    preview = im.copy()
    preview.thumbnail((1600, 1600))
    tags = [(50706, "B", 4, (1, 4, 0, 0), True), (50707, "B", 4, (1, 1, 0, 0), True)]
    for tag in (271, 272, 306):  # Make, Model, DateTime
        if exif.get(tag):
            tags.append((tag, "s", 0, str(exif[tag]).strip("\x00 "), True))
    out = orig.path.with_suffix(".dng")
    with tifffile.TiffWriter(out) as tif:
        tif.write(np.asarray(preview), photometric="rgb", subfiletype=1, extratags=tags,
                  subifds=1)
        tif.write(cfa, photometric=32803, subfiletype=0,
                  extratags=[(33421, "H", 2, (2, 2), True), (33422, "B", 4, (0, 1, 1, 2), True),
                             (50717, "I", 1, 4095, True)])
    os.utime(out, (orig.path.stat().st_mtime,) * 2)  # written by the camera with the JPEG
    return out, out


def _raw_elsewhere(orig: Original, root: Path) -> tuple[Path, Path]:
    """The DNG in a RAW subfolder: a copy of the capture, the RAW the one to keep."""
    dng, _ = _raw_pair(orig, root)
    out = dng.parent / "RAW" / dng.name
    out.parent.mkdir(exist_ok=True)
    dng.rename(out)
    return out, out


def _sidecar_copy(orig: Original, root: Path) -> tuple[Path, Path]:
    """A re-saved JPEG (same size, quality 80, EXIF kept: a smaller file than the original)
    with the user's XMP sidecar (a rating and a keyword, as Lightroom writes them)."""
    out = root / "Pictures" / "Lightroom" / orig.path.name
    out.parent.mkdir(parents=True, exist_ok=True)
    _rgb(orig).save(out, quality=80, exif=_exif(orig))
    out.with_suffix(".xmp").write_text(
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmp:Rating="5"><dc:subject><rdf:Bag><rdf:li>holiday</rdf:li></rdf:Bag></dc:subject>'
        '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>\n')
    return out, out


def _enlarge(im: Image.Image, factor: float, kernel: Image.Resampling,
             sharpen: bool) -> Image.Image:
    big = im.resize((round(im.width * factor), round(im.height * factor)), kernel)
    return big.filter(ImageFilter.UnsharpMask(2, 100, 3)) if sharpen else big


def _enlarged(factor: float, kernel: Image.Resampling, quality: int | None = None,
              sharpen: bool = False, of_messenger: bool = False) -> Maker:
    """The original (or its messenger copy) enlarged by `factor`, no metadata, saved beside
    the original as JPEG at `quality` (PNG if None)."""

    def make(orig: Original, root: Path) -> tuple[Path, Path]:
        if of_messenger:
            small, _ = _messenger(orig, root)
            with Image.open(small) as im:
                src = im.convert("RGB")
        else:
            with Image.open(orig.path) as im:
                src = ImageOps.exif_transpose(im).convert("RGB")
        big = _enlarge(src, factor, kernel, sharpen)
        out = orig.path.with_name(f"{orig.stem}_large.{'png' if quality is None else 'jpg'}")
        if quality is None:
            big.save(out, compress_level=1)
        else:
            big.save(out, quality=quality)
        return out, orig.path

    return make


def _reduced_with_exif(factor: float) -> Maker:
    """The original's pixels re-saved without metadata (JPEG q95) where the original was, and
    a reduction by `factor` that kept the camera data in a web folder: the larger is kept."""

    def make(orig: Original, root: Path) -> tuple[Path, Path]:
        with Image.open(orig.path) as im:
            exif = im.info.get("exif", b"")
            rgb = ImageOps.exif_transpose(im).convert("RGB")
        stat = orig.path.stat()
        rgb.save(orig.path, quality=95)  # no metadata: a scan or a download has none
        os.utime(orig.path, (stat.st_atime, stat.st_mtime))
        out = root / "Pictures" / "web" / orig.path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        small = rgb.resize((round(rgb.width * factor), round(rgb.height * factor)),
                           Image.Resampling.LANCZOS)
        small.save(out, quality=90, **({"exif": exif} if exif else {}))
        return out, orig.path

    return make


R = Image.Resampling
LARGER_COPIES: dict[str, Maker] = {
    "enlarged 1.25x (Lanczos, JPEG q95)": _enlarged(1.25, R.LANCZOS, 95),
    "enlarged 1.5x (bilinear, JPEG q90)": _enlarged(1.5, R.BILINEAR, 90),
    "enlarged 2x (bicubic, PNG)": _enlarged(2, R.BICUBIC),
    "enlarged 2x (Lanczos, sharpened, JPEG q85)": _enlarged(2, R.LANCZOS, 85, sharpen=True),
    "messenger copy enlarged 2.5x (bicubic, JPEG q90)":
        _enlarged(2.5, R.BICUBIC, 90, of_messenger=True),
    "messenger copy enlarged 3x (bilinear, sharpened, PNG)":
        _enlarged(3, R.BILINEAR, sharpen=True, of_messenger=True),
    "larger photo without metadata vs its 80% reduction with camera data":
        _reduced_with_exif(0.8),
    "larger photo without metadata vs its 50% reduction with camera data":
        _reduced_with_exif(0.5),
}

KINDS: dict[str, Maker] = {
    "PNG conversion (no metadata)": _png,
    "PNG conversion (EXIF kept)": _png_exif,
    "WebP conversion (lossy)": _webp,
    "HEIC conversion (EXIF kept)": _heic,
    "messenger re-encode (1600 px, renamed)": _messenger,
    "` (1)` byte copy in Downloads": _downloads_1,
    "`Copy of` byte copy in Downloads": _copy_of,
    "byte copy in a backup folder (newer)": _backup,
    "resized export (2048 px, EXIF kept)": _resized,
    "RAW (DNG) in a RAW subfolder": _raw_elsewhere,
    "RAW (DNG) + its JPEG, one capture (same name, same folder)": _raw_pair,
    "re-saved copy with the user's XMP sidecar (smaller file)": _sidecar_copy,
    **LARGER_COPIES,
}
ALL = "all kinds of copies of one photo together"
# Kinds left out of ALL (another DNG of the same name; the sidecar copy would be the truth).
NOT_IN_ALL = (_raw_elsewhere, _raw_pair, _sidecar_copy)
# Kinds whose two files are one photo: right when neither is marked for removal.
ONE_PHOTO = (_raw_pair,)


def lay_original(src: Path, root: Path, n: int) -> Original:
    folder = root / "Pictures" / "2019"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / src.name
    shutil.copyfile(src, out)
    with Image.open(src) as im:
        exif = im.getexif()
        stamp = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
    try:
        when = datetime.strptime(str(stamp).strip("\x00 "), "%Y:%m:%d %H:%M:%S").timestamp()
    except ValueError:
        when = OLD_FILE_TIME
    os.utime(out, (when, when))
    return Original(out, out.stem, n)


def cli(engine: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Run from the engine's folder: `python -m` puts the working folder first on the path.
    env = {**os.environ, "PYTHONPATH": str(engine)}
    return subprocess.run([sys.executable, "-m", "simfinder", *args], env=env, cwd=engine,
                          text=True, capture_output=True, check=True)


def score(doc: dict[str, object], truths: dict[str, str], one_photo: bool = False) -> int:
    """How many ground-truth keepers are the only photo kept in their group (`one_photo`: how
    many pairs of truth and original have neither marked for removal)."""
    right = 0
    groups = doc["groups"]
    assert isinstance(groups, list)
    if one_photo:
        removed = {f["path"] for g in groups for f in g["files"] if not f["keep"]}
        return sum(1 for orig, truth in truths.items() if not {orig, truth} & removed)
    for truth in truths.values():
        group = next((g for g in groups if any(f["path"] == truth for f in g["files"])), None)
        if group is not None and [f["path"] for f in group["files"] if f["keep"]] == [truth]:
            right += 1
    return right


def run(photos: int, before: Path | None, work: Path,
        words: list[str] | None = None) -> list[dict[str, object]]:
    picks = [CAMERA / p for p in PICKS[:photos]]
    rows: list[dict[str, object]] = []
    kinds = [k for k in [*KINDS, ALL] if not words or any(w in k for w in words)]
    for kind in kinds:
        root = (work / f"kind{len(rows)}").resolve()
        truths: dict[str, str] = {}
        for n, src in enumerate(picks, 1):
            orig = lay_original(src, root, n)
            makers = list(KINDS.values()) if kind != ALL else \
                [m for m in KINDS.values()
                 if m not in NOT_IN_ALL and m not in LARGER_COPIES.values()]
            for make in makers:
                if kind == ALL and make is _png_exif:
                    continue  # one PNG per photo (the same name)
                if kind == ALL or make is KINDS[kind]:
                    _, truth = make(orig, root)
                    truths[str(orig.path)] = str(truth)
        library = work / f"lib{len(rows)}"
        cli(REPO, "--library", str(library), "index", str(root))
        row: dict[str, object] = {"kind": kind, "groups": len(truths)}
        for name, engine in (("after", REPO), ("before", before)):
            if engine is None:
                continue
            doc = json.loads(cli(engine, "--library", str(library), "duplicates", "--json").stdout)
            one = kind in KINDS and KINDS[kind] in ONE_PHOTO
            row[name] = score(doc, truths, one)
            row[f"{name}_found"] = len(truths) if one else sum(
                1 for t in truths.values() if any(f["path"] == t for g in doc["groups"]
                                                  for f in g["files"]))
            if name == "after":
                row["reasons"] = sorted({f["keep_reason"] for g in doc["groups"]
                                         for f in g["files"] if f["keep"]})
                if one:
                    paired = sum(1 for o, t in truths.items() if t != o and any(
                        f["path"] == o and t in f.get("companions", [])
                        for g in doc["groups"] for f in g["files"]))
                    grouped = sum(1 for o in truths if any(
                        f["path"] == o for g in doc["groups"] for f in g["files"]))
                    row["reasons"] = [f"one photo: in no group ({len(truths) - grouped}), "
                                      f"grouped with its RAW as companion ({paired})"]
        print(f"{kind}: {row}", file=sys.stderr)
        rows.append(row)
    return rows


def table(rows: list[dict[str, object]], before: bool) -> str:
    head = "| kind of copy | groups | original kept: before | after | why (after) |" if before \
        else "| kind of copy | groups | original kept | why |"
    lines = [head, "|---|---|---|---|---|" if before else "|---|---|---|---|"]
    total = {"groups": 0, "before": 0, "after": 0}
    for r in rows:
        n = int(str(r["groups"]))
        why = "; ".join(f"'{w}'" for w in r["reasons"]) if isinstance(r["reasons"], list) else ""
        after = f"{r['after']}/{n}"
        if r.get("after_found") != n:
            after += f" ({r['after_found']} grouped)"
        cells = [str(r["kind"]), str(n)]
        if before:
            cells.append(f"{r['before']}/{n}")
            total["before"] += int(str(r["before"]))
        cells += [after, why]
        lines.append("| " + " | ".join(cells) + " |")
        total["groups"] += n
        total["after"] += int(str(r["after"]))
    cells = ["**all groups**", str(total["groups"])]
    if before:
        cells.append(f"**{total['before']}/{total['groups']}**")
    cells += [f"**{total['after']}/{total['groups']}**", ""]
    lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8, help=f"camera photos (1-{len(PICKS)})")
    parser.add_argument("--before", type=Path, help="another checkout's engine to compare")
    parser.add_argument("--kinds", nargs="+", metavar="WORD",
                        help="only the kinds of copies whose name holds one of these words")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(max(1, min(args.photos, len(PICKS))), args.before, Path(tmp), args.kinds)
    before_rev = ""
    if args.before is not None:
        before_rev = subprocess.run(["git", "-C", str(args.before), "rev-parse", "--short",
                                     "HEAD"], text=True, capture_output=True).stdout.strip()
    text = "\n".join([
        f"{args.photos} camera photos of shared/datasets/camera_photos (2-13 MP; one with no "
        "metadata at all), one original each in a photo folder (dated at its capture), one "
        "copy of each kind per library; the figure is the share of groups whose only kept "
        "photo is the ground truth (the camera's original; the DNG over its JPEG; the copy "
        "with the user's XMP sidecar; for a RAW+JPEG pair of one capture: neither file "
        "marked for removal), with `duplicates --json` at the default strictness and keep "
        "rules. "
        + (f"Before: `duplicates --json` of commit {before_rev} on the same libraries "
           "(indexed by this checkout). " if before_rev else "")
        + "A HEIC or WebP conversion that kept the EXIF differs from its original only in "
        "being the newer file: the 'oldest' rule keeps the original there. "
        + f"Run time {time.perf_counter() - started:.0f} s.",
        "",
        table(rows, args.before is not None),
    ])
    print(text)
    if args.write:
        kinds = " --kinds " + " ".join(f"'{w}'" for w in args.kinds) if args.kinds else ""
        command = "bench/keeper.py --photos {}{}{} --write".format(
            args.photos, f" --before {args.before}" if args.before else "", kinds)
        section = SECTION if not args.kinds else \
            f"{SECTION}: only the kinds {', '.join(args.kinds)}"
        write_section(section, text, command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
