"""A development set of real "other shots of one scene" and of generated tone-edited copies.

    .venv/bin/python bench/other_shots_set.py [--mirrors /work/.mirror] [--out DIR]

The Duplicates view must group copies of one capture (re-encoded, resized, recoloured,
tone-edited, cropped) but must not group other captures of the same scene: exposure brackets,
frames of a still-camera video, hand-held shots of a distant scene moments apart. For those,
pHash/dHash are (nearly) equal and one global map fits the pair, so only noise, clipping, light
and what moved tell them apart. This set gives both sides with ground truth decided by eye:

- `other_shots`: series of real photos from public GitHub repositories (the table `SERIES`
  below: repository, commit, path, licence, kind). Each series is several captures of one scene
  and must never be grouped as duplicates at strict or normal.
- `groups`: copy groups generated here from other real photos (`COPY_SOURCES`): the original plus
  edits that look like other shots (brightness, linear exposure x0.5 and x2 with clipping,
  contrast, gamma tone curves, a slight crop + downscale, a low-quality re-encode). Fixed
  parameters, so every run writes the same files.

Rebuild: bring each repository of the tables here with the `fetch` tool (it leaves a bare git
directory under /work/.mirror/OWNER+NAME/), then run this script. It reads each file with
`git --git-dir MIRROR show COMMIT:PATH`, writes it unchanged to OUT/images/SERIES/FILE (BMP
sources are converted losslessly to PNG) and writes OUT/groundtruth.json in the format of the
sets in /work/shared/datasets. A missing mirror is reported as the `fetch` source to bring, and
the script exits 1. See docs/other-shots-set.md.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

DEFAULT_MIRRORS = Path("/work/.mirror")
DEFAULT_OUT = Path("/work/datasets/other_shots")
# MPO is a JPEG with a multi-picture index (Sony cameras write it): kept as it is.
KEEP_FORMATS = {"JPEG", "MPO", "PNG", "TIFF"}


@dataclass(frozen=True)
class Repo:
    name: str  # owner/name
    commit: str
    license: str


@dataclass(frozen=True)
class Series:
    name: str
    kind: str
    repo: Repo
    paths: tuple[str, ...]
    what: str  # what differs between the shots


GHOSTFREE = Repo("imusil/ghostfreeHDR", "9a7ff03d5917e84f3e5b8146a55092f0549827f4",
                 "no licence stated (README: the author's own HDR sets)")
MERIANOS = Repo("murilo-goncalves/IMA201", "31824c6b17e17f32ecbda2ce8470216fed571ec4",
                "no repository licence; HDR_fusion_DataSet/README.txt: photos by Ioannis "
                "Merianos, free to use when citing Merianos & Mitianoudis, IST 2016")
SYCLIN = Repo("sycLin/VFX-Project-1", "ba10160fd5ec7e01d1c3fa7f8dd6c05e871792d0",
              "no licence stated (students' own photos)")
NINGNING = Repo("ningning1317/VFX2018", "82cf8f0b5c2694357d0de62a1584e2251a94f5ba",
                "no licence stated (students' own photos)")
LIOU = Repo("ChengYehLIOU/HDR-Deghosting-Using-Motion-Registration-Free-Fusion-in-the-"
            "Luminance-Gradient-Domain", "e41927a69ff53c5fa1cd41133aebe56325d62e89",
            "MIT (repository licence; SculptureGarden is the Gallo et al. 2009 deghosting "
            "sequence, pingpong's source is not stated)")
ZIHENG = Repo("ZihengZZH/deghosting-hdr", "951c8cd06e3a701478e91ff28b63d560e63a84b1",
              "no licence stated (Lady: test data of Hu et al. 2013)")
SPRING = Repo("jkotula89/image_spring_cleaning", "70c71ae022407c78b88846759dfa93cf12c46b8e",
              "MIT (repository licence; the author's holiday photos)")
DETECTDUP = Repo("jpvaishnav/Detect-Duplicate", "8ec4c61d9a6b8bca31940dfeef3bb4b6c1fb68f0",
                 "no licence stated (the author's phone photos)")
ESHA = Repo("e-sha/Background-subtraction", "6fec8854e076ca5e53fab3ec343e58935c9f56dc",
            "GPL-2.0 (repository licence; frames of changedetection.net 2012 'office')")
YAKOV = Repo("yakovdan/Background-Subtraction", "131c8bc8b7ca7804b0be7108ba97ef29ab9ed35d",
             "no licence stated (frames of changedetection.net 'highway' and of the I2R "
             "'WaterSurface' sequence)")
CURRENCY = Repo("carlosmccosta/Currency-Recognition", "445eb406a81dde099da7b3fc8e7c48d5ef35a284",
                "MIT (repository licence; the author's test photos of Euro banknotes, "
                "Galaxy Nexus and Canon IXUS 70 with EXIF)")
BIF = Repo("dsoprea/bracketed-image-finder", "07e0a1e1456b5603f2935a2a1bb49e2219084013",
           "GPL-2.0 (licence in setup.py; the author's test photos, Sony RX100 VI, reduced to "
           "200x113 with the full EXIF kept)")
GOPRO = Repo("cmutnik/computational_photography", "c635848a5b517d26ad66a5aafc40705606370caf",
             "GPL-3.0 (repository licence; the author's GoPro frames for image stacking)")
MAGAMIG = Repo("magamig/duplicate-images-finder", "0c8f1691e53678fecb0b51bf0d6fc912e7fc440f",
               "MIT (repository licence; the author's test photos)")

_GF = "images/{}/Grey_Image_00{}.bmp"
_CUR = "CurrencyRecognition/imgs/testDB/{}"
_MER = "HDR_fusion_DataSet/{0}/{0}{1}.jpg"

SERIES: tuple[Series, ...] = (
    # exposure brackets
    Series("bracket-horse", "bracket-tripod", GHOSTFREE,
           tuple(f"images/horse/{i}.png" for i in (1, 2, 3)),
           "3 exposures on a tripod, the horse's head moves a little"),
    Series("bracket-car-bmw", "bracket-video", GHOSTFREE,
           tuple(_GF.format("bmw_x5", i) for i in range(3)),
           "3 exposures (grey) from a camera in a driving car; the oncoming car and traffic move"),
    Series("bracket-car-sandero", "bracket-video", GHOSTFREE,
           tuple(_GF.format("sandero", i) for i in range(3)),
           "3 exposures (grey) from a camera in a car; the car ahead comes closer"),
    Series("bracket-flowers", "bracket-registered", MERIANOS,
           tuple(_MER.format("Flowers", i) for i in (1, 2, 3)),
           "under/normal/over exposure, registered; garden and sea"),
    Series("bracket-oldhouse", "bracket-registered", MERIANOS,
           tuple(_MER.format("OldHouse", i) for i in (1, 2, 3)),
           "under/normal/over exposure, registered; house against the sky"),
    Series("bracket-searock", "bracket-registered", MERIANOS,
           tuple(_MER.format("SeaRock", i) for i in (1, 2, 3)),
           "under/normal/over exposure, registered; waves move between shots"),
    Series("bracket-secretbeach", "bracket-registered", MERIANOS,
           tuple(_MER.format("SecretBeach", i) for i in (1, 2, 3)),
           "under/normal/over exposure, registered; sunset, sea moves"),
    Series("bracket-iphone-window", "bracket-phone", SYCLIN,
           tuple(f"input/scene1/{i}.JPG" for i in (1, 4, 6)),
           "iPhone 6, 8 MP, 1/3049, 1/501, 1/181 s about 15 s apart; phone moved a few pixels"),
    Series("bracket-ex2f-courtyard", "bracket-tripod", SYCLIN,
           tuple(f"input/scene2/SAM_00{i}.JPG" for i in (17, 20, 23, 26)),
           "Samsung EX2F, 1/20, 1/60, 1/180, 1/500 s, 25 s apart, no shift; leaves move"),
    Series("bracket-550d-street", "bracket-tripod", NINGNING,
           tuple(f"hw1/artifact/1_{t}.jpg" for t in (4, 30, 160)),
           "Canon 550D, 1/4, 1/30, 1/160 s about 40 s apart; leaves and light change"),
    Series("bracket-small-building", "bracket-tripod", NINGNING,
           tuple(f"hw1/jpg/2_{t}.jpg" for t in (8, 50, 200)),
           "450x300, 1/8, 1/50, 1/200 s on a tripod; trees move"),
    Series("bracket-pingpong", "bracket-handheld", LIOU,
           tuple(f"Data/pingpong/Img{i}.JPG" for i in (1, 2, 3)),
           "Canon 1000D auto-bracket EV -2/0/+2 within one second, 1920x1080; the player moves"),
    Series("bracket-sculpture-garden", "bracket-tripod", LIOU,
           tuple(f"Data/SculptureGardenSequence/{i}.tif" for i in (1, 3, 5)),
           "5-shot bracket on a tripod (shots 1, 3, 5); walkers move"),
    Series("bracket-lady", "bracket-tripod", ZIHENG,
           tuple(f"src/hu2013/Data/Lady/Img{i}.jpg" for i in (1, 2, 3)),
           "3 exposures, 370x553; the girl raises her arm (large motion)"),
    Series("bracket-rx100-night", "bracket-handheld", BIF,
           tuple(f"tests/assets/images/DSC0{i}.JPG" for i in range(8201, 8206)),
           "Sony RX100 VI auto-bracket EV 0, -0.7, +0.7, -1.3, +1.3 within one second, "
           "200x113 with EXIF; night street seen from a balcony"),
    # hand-held shots of a distant scene moments apart
    Series("handheld-cityhall", "handheld-distant", SPRING, ("images/ae_0.JPG", "images/ae_1.JPG"),
           "hand-held, reframed slightly; police car and walkers moved"),
    Series("handheld-cathedral", "handheld-distant", SPRING,
           ("images/ai_0.JPG", "images/ai_1.JPG"),
           "hand-held, reframed (tilt, zoom); people on the steps moved"),
    Series("handheld-cathedral-portrait", "handheld-distant", SPRING,
           ("images/aj_0.JPG", "images/aj_1.JPG"), "hand-held portrait, small zoom/shift"),
    Series("handheld-cathedral-side", "handheld-distant", SPRING,
           ("images/ak_0.JPG", "images/ak_1.JPG"), "hand-held portrait, shifted a little"),
    Series("handheld-palace", "handheld-distant", SPRING,
           ("images/am_0.JPG", "images/am_1.JPG"), "hand-held, almost the same framing"),
    Series("handheld-promenade", "handheld-distant", SPRING,
           ("images/an_0.JPG", "images/an_1.JPG"), "hand-held, tilted; walkers moved"),
    Series("handheld-arch", "handheld-distant", SPRING,
           ("images/ao_0.JPG", "images/ao_1.JPG"), "hand-held, crowd in front of the arch moved"),
    Series("handheld-window-arch", "handheld-distant", DETECTDUP,
           ("data/input/i10.jpg", "data/input/i9.jpg"),
           "Samsung phone 8 MP, 2 s apart, hand-held; view through a window arch"),
    Series("handheld-rx100-night", "handheld-distant", BIF,
           tuple(f"tests/assets/images/DSC0{i}.JPG" for i in (8191, 8192, 8193)),
           "Sony RX100 VI, 1/4 s each, 3 s and 27 s apart, 200x113 with EXIF; night street "
           "from a balcony, reframed a little, then more"),
    # a flat object photographed hand-held moments apart: one affine map fits the pair
    Series("object-banknote10-back", "object-handheld", CURRENCY,
           (_CUR.format("10__(5).jpg"), _CUR.format("10__(6).jpg")),
           "Galaxy Nexus 1280x960, 7 s apart; a 10-euro note on paper, reframed a little"),
    Series("object-banknote10-front", "object-handheld", CURRENCY,
           (_CUR.format("10__(7).jpg"), _CUR.format("10__(8).jpg")),
           "Galaxy Nexus, 7 s apart; close-up, then from further away"),
    Series("object-banknote20-front", "object-handheld", CURRENCY,
           (_CUR.format("20__(8).jpg"), _CUR.format("20__(9).jpg")),
           "Galaxy Nexus, 60 s apart; a 20-euro note on paper, zoomed out and shifted"),
    Series("object-banknote20-back", "object-handheld", CURRENCY,
           (_CUR.format("20__(10).jpg"), _CUR.format("20__(11).jpg")),
           "Galaxy Nexus, 12 s apart; the note's back, zoomed out and tilted"),
    Series("object-banknote50-back", "object-handheld", CURRENCY,
           (_CUR.format("50__(2).JPG"), _CUR.format("50__(4).JPG")),
           "Canon IXUS 70 640x480, 47 s apart; a 50-euro note on a grey table, shifted"),
    # frames of still-camera video
    Series("video-office-1", "video-frames", ESHA,
           ("data/office/input/in001400.jpg", "data/office/input/in001401.jpg"),
           "frames 1 apart, man reading barely moves"),
    Series("video-office-5", "video-frames", ESHA,
           ("data/office/input/in001500.jpg", "data/office/input/in001505.jpg"),
           "frames 5 apart, man turns a page"),
    Series("video-office-walk", "video-frames", ESHA,
           ("data/office/input/in000600.jpg", "data/office/input/in000603.jpg"),
           "frames 3 apart, man walks in"),
    Series("video-highway-1", "video-frames", YAKOV,
           ("input/in000700.jpg", "input/in000701.jpg"), "frames 1 apart, cars move"),
    Series("video-highway-4", "video-frames", YAKOV,
           ("input/in000850.jpg", "input/in000854.jpg"), "frames 4 apart, cars move"),
    Series("video-watersurface", "video-frames", YAKOV,
           ("watersurface/input/input0010.bmp", "watersurface/input/input0012.bmp"),
           "grey 160x128 frames 2 apart, walker and waves move"),
    # bursts from a camera that did not move
    Series("burst-gopro-anemone", "burst-still", GOPRO,
           tuple(f"figs/image_stacking/G00201{i}.JPG" for i in (85, 86, 87, 88)),
           "GoPro 4000x3000 (heavily compressed), camera nearly still under water (2-3 px "
           "at 1024 px); a diver's torch "
           "lights the anemone differently in each frame"),
)

# Real photos, not used in any series, from which copy groups are generated.
COPY_SOURCES: tuple[tuple[str, Repo, str, str], ...] = (
    ("copies-lake", DETECTDUP, "data/input/i12.jpg", "phone photo 3264x2448 with EXIF"),
    ("copies-square", SPRING, "images/ac_0.JPG", "1296x864 holiday photo"),
    ("copies-park", SPRING, "images/al_0.JPG", "1296x864 holiday photo"),
    ("copies-sony-a57", MAGAMIG, "test7/DSC04827.JPG",
     "Sony SLT-A57 camera photo 4912x3264 with EXIF"),
    ("copies-banknote-phone", CURRENCY, _CUR.format("20__(16).jpg"),
     "Galaxy Nexus phone photo 800x600 with EXIF"),
)


def _to_linear(a: np.ndarray) -> np.ndarray:
    return np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)


def _to_srgb(a: np.ndarray) -> np.ndarray:
    a = np.clip(a, 0.0, 1.0)
    return np.where(a <= 0.0031308, a * 12.92, 1.055 * a ** (1 / 2.4) - 0.055)


def _exposure(factor: float) -> Callable[[Image.Image], Image.Image]:
    def edit(im: Image.Image) -> Image.Image:
        a = np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0
        out = _to_srgb(_to_linear(a) * factor)
        return Image.fromarray(np.round(out * 255.0).astype(np.uint8))
    return edit


def _gamma(g: float) -> Callable[[Image.Image], Image.Image]:
    lut = [round(255.0 * (i / 255.0) ** g) for i in range(256)]

    def edit(im: Image.Image) -> Image.Image:
        return im.convert("RGB").point(lut * 3)
    return edit


def _s_curve(im: Image.Image) -> Image.Image:
    x = np.arange(256) / 255.0
    y = x + 0.35 * x * (1 - x) * (2 * x - 1) * 2  # steeper midtones, flatter ends
    lut = [int(v) for v in np.round(np.clip(y, 0, 1) * 255)]
    return im.convert("RGB").point(lut * 3)


def _crop_resize(im: Image.Image) -> Image.Image:
    w, h = im.size
    dx, dy = round(w * 0.04), round(h * 0.04)
    box = (dx, dy, w - dx, h - dy)
    size = (round(w * 0.7), round(h * 0.7))
    return im.convert("RGB").resize(size, Image.Resampling.LANCZOS, box=box)


def _enhance(kind: type[ImageEnhance._Enhance], factor: float
             ) -> Callable[[Image.Image], Image.Image]:
    def edit(im: Image.Image) -> Image.Image:
        return kind(im.convert("RGB")).enhance(factor)
    return edit


# name, edit, JPEG quality
EDITS: tuple[tuple[str, Callable[[Image.Image], Image.Image], int], ...] = (
    ("brightness+25", _enhance(ImageEnhance.Brightness, 1.25), 92),
    ("brightness-20", _enhance(ImageEnhance.Brightness, 0.8), 92),
    ("exposure-x0.5", _exposure(0.5), 92),
    ("exposure-x2", _exposure(2.0), 92),
    ("contrast+35", _enhance(ImageEnhance.Contrast, 1.35), 92),
    ("gamma-0.7", _gamma(0.7), 92),
    ("gamma-1.5", _gamma(1.5), 92),
    ("s-curve", _s_curve, 92),
    ("crop4-resize70", _crop_resize, 90),
    ("reencode-q40", lambda im: im, 40),
)


def mirror_dir(mirrors: Path, repo: Repo) -> Path | None:
    """The git directory of a fetched repository, or None if it is not here."""
    base = mirrors / repo.name.replace("/", "+")
    for candidate in (base / "repo" / ".git", base / "repo", base / ".git", base):
        if (candidate / "objects").is_dir() and (candidate / "HEAD").is_file():
            return candidate
    return None


def git_bytes(git_dir: Path, commit: str, path: str) -> bytes:
    result = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"],
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{git_dir}: cannot read {commit}:{path}: "
                           f"{result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def write_source(data: bytes, dest_dir: Path, path: str) -> str:
    """Write a source file unchanged (lossless PNG if not in KEEP_FORMATS); return its name."""
    im = Image.open(io.BytesIO(data))
    name = Path(path).name
    dest_dir.mkdir(parents=True, exist_ok=True)
    if im.format in KEEP_FORMATS:
        (dest_dir / name).write_bytes(data)
        return name
    name = Path(name).with_suffix(".png").name
    im.save(dest_dir / name, format="PNG")
    return name


def source_ref(repo: Repo, path: str) -> str:
    return f"{repo.name}@{repo.commit}:{path} ({repo.license})"


def build(mirrors: Path, out: Path) -> dict[str, object]:
    repos = {s.repo for s in SERIES} | {r for _, r, _, _ in COPY_SOURCES}
    git_dirs: dict[Repo, Path] = {}
    missing = []
    for repo in sorted(repos, key=lambda r: r.name):
        found = mirror_dir(mirrors, repo)
        if found is None:
            missing.append(repo.name)
        else:
            git_dirs[repo] = found
    if missing:
        for name in missing:
            print(f"missing mirror: fetch github:{name}", file=sys.stderr)
        raise SystemExit(1)

    images = out / "images"
    if images.exists():
        shutil.rmtree(images)
    sources: dict[str, str] = {}
    other_shots: list[list[str]] = []
    other_labels: list[str] = []
    for series in SERIES:
        members = []
        for path in series.paths:
            data = git_bytes(git_dirs[series.repo], series.repo.commit, path)
            name = write_source(data, images / series.name, path)
            rel = f"{series.name}/{name}"
            members.append(rel)
            sources[rel] = source_ref(series.repo, path)
        other_shots.append(members)
        other_labels.append(f"{series.kind}: {series.what}")

    groups: list[list[str]] = []
    group_labels: list[str] = []
    for folder, repo, path, what in COPY_SOURCES:
        data = git_bytes(git_dirs[repo], repo.commit, path)
        name = write_source(data, images / folder, path)
        original = f"{folder}/{name}"
        sources[original] = source_ref(repo, path)
        members = [original]
        im = Image.open(io.BytesIO(data))
        im.load()
        exif = im.info.get("exif")
        icc = im.info.get("icc_profile")
        stem = Path(name).stem
        for edit_name, edit, quality in EDITS:
            copy = edit(im)
            rel = f"{folder}/{stem}_{edit_name}.jpg"
            extra: dict[str, bytes] = {}
            if exif:
                extra["exif"] = exif
            if icc:
                extra["icc_profile"] = icc
            copy.save(images / rel, format="JPEG", quality=quality, **extra)
            members.append(rel)
            sources[rel] = f"generated from {original}: {edit_name}, JPEG q{quality}"
        groups.append(members)
        group_labels.append(f"copies of one capture ({what}): brightness, linear exposure x0.5 "
                            "and x2 with clipping, contrast, gamma, S-curve, crop+downscale, "
                            "re-encode q40")

    truth: dict[str, object] = {
        "source": "real photo series from public GitHub repositories (see sources) and copies "
                  "generated by bench/other_shots_set.py",
        "license": "mixed, per file in sources (MIT, GPL-2.0, citation-only, or none stated): "
                   "for development and benchmarks only; never ship or commit the images",
        "kind": "other-shots",
        "groups": groups,
        "group_labels": group_labels,
        "other_shots": other_shots,
        "other_shot_labels": other_labels,
        "sources": sources,
        "notes": "other_shots: each list is several captures of one scene (exposure brackets, "
                 "still-camera video frames, hand-held shots moments apart); they must never be "
                 "grouped as duplicates at strict or normal. groups: an original real photo and "
                 "edits of its pixels that must be grouped. Edited copies keep the original's "
                 "EXIF. Series and copy sources are disjoint photos. Ground truth decided by eye "
                 "(see docs/other-shots-set.md).",
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "groundtruth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return truth


TEST_PAIR = ("images/an_0.JPG", "images/an_1.JPG")  # MIT: may go into tests/data
TEST_SIDE = 1024


def write_test_pair(mirrors: Path, out: Path) -> None:
    """The two hand-held shots of tests/data/handheld: SPRING's an_0/an_1, reduced."""
    git_dir = mirror_dir(mirrors, SPRING)
    if git_dir is None:
        raise SystemExit(f"{SPRING.name} is not under {mirrors}: fetch it first")
    out.mkdir(parents=True, exist_ok=True)
    for path in TEST_PAIR:
        with Image.open(io.BytesIO(git_bytes(git_dir, SPRING.commit, path))) as im:
            im.thumbnail((TEST_SIDE, TEST_SIDE), Image.Resampling.LANCZOS)
            im.save(out / Path(path).name, quality=88)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS,
                        help=f"folder of fetched repositories (default {DEFAULT_MIRRORS})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--test-data", type=Path,
                        help="write only the MIT-licensed hand-held pair of tests/data/handheld "
                             "to this folder")
    args = parser.parse_args(argv)
    if args.test_data:
        write_test_pair(args.mirrors, args.test_data)
        return 0
    truth = build(args.mirrors, args.out)
    n_series = len(truth["other_shots"])  # type: ignore[arg-type]
    n_groups = len(truth["groups"])  # type: ignore[arg-type]
    print(f"wrote {args.out}: {n_series} series, {n_groups} copy groups, "
          f"{len(truth['sources'])} images")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
