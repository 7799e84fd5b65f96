"""A development set for `similar`: the same place, the same thing, the same variety.

    .venv/bin/python bench/retrieval_set.py [--mirrors /work/.mirror] [--out DIR]

Three kinds of groups, each a set of photos a person would want listed first when clicking any
one of them (each photo queries all the others; bench/retrieval.py scores mAP per kind):

- `landmark`: one building or site photographed by many people (web photos of 13 historic
  landmarks; PhotoTourism photos of the Sacre Coeur, London Bridge and Piazza San Marco).
- `object`: the same object shot again (the UKBench objects of the shared
  `ukbench_holidays_mini`: 4 views each).
- `variety`: fine-grained varieties of one fruit (Fruits-360: apples, pears, grapes, peaches,
  grapefruit, lemons, bananas; frames spread over the fruit's turn).

None of these comes from a repository of /work/shared/datasets/RESERVED.md.

Rebuild: bring each repository of `REPOS` here with the `fetch` tool (a bare git directory under
/work/.mirror/OWNER+NAME/), then run this script. Files are read with `git show COMMIT:PATH` and
written unchanged to OUT/images/GROUP/; OUT/groundtruth.json lists the groups, their kind and
where each file came from. The selection is deterministic (sorted names, unique contents), so
every run writes the same files. See docs/retrieval-set.md.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

DEFAULT_MIRRORS = Path("/work/.mirror")
DEFAULT_OUT = Path("/work/datasets/retrieval")
SHARED = Path("/work/shared/datasets")


@dataclass(frozen=True)
class Repo:
    name: str
    commit: str
    license: str


LANDMARKS = Repo("Atquiya-Labiba/Historical-Architectural-Landmark-Recognizer",
                 "ac5a7f489d3c8449e3be22b7a91cf7e6176a3112",
                 "MIT (repository licence); web photos gathered by the author")
FRUITS = Repo("Horea94/fruit_shapes", "1e2f904ec7c1a811b71bf07bed3320c2901544e8",
              "Fruits-360 (Muresan & Oltean 2018), CC BY-SA 4.0 per its readme")
SUPERGLUE = Repo("magicleap/SuperGluePretrainedNetwork",
                 "ddcf11f42e7e0732a0c4607648f9448ea8d73590",
                 "PhotoTourism / YFCC100M photos (Flickr, CC licences) in the repo's assets; "
                 "repository code: non-commercial research licence")
HLOC = Repo("cvg/Hierarchical-Localization", "c13273bd0ecc2917a35910fd843712a1c6243193",
            "Apache-2.0 (repository); Sacre Coeur photos from PhotoTourism (Flickr)")
REPOS = (LANDMARKS, FRUITS, SUPERGLUE, HLOC)

LANDMARK_CLASSES = (
    "alhambra palace", "angkor wat", "chichen itza", "cologne cathedral", "colosseum rome",
    "dome of the rock", "forbidden city", "great pyramid of giza", "hagia sophia",
    "machu picchu", "palace of versailles", "petra jordan", "taj mahal",
)
LANDMARK_PHOTOS = 16
LANDMARK_MIN_BYTES = 30_000  # smaller files are icons and thumbnails
# Of the first LANDMARK_PHOTOS candidates of each class, these are not photos of the landmark
# (drawings, maps, souvenirs, a monkey, a beach, portraits): left out by eye.
LANDMARK_EXCLUDED = frozenset(
    f"{name}.{ext}" for name, ext in (
        ("16374e9e-b4fe-4947-aa1e-885fd0168ac9", "jpg"),
        ("3dbe485d-323e-4ac6-a8e8-a9753736d82f", "img"),
        ("03df66b8-a4ed-4e52-869c-884e00f376cd", "jpg"),
        ("15d67f86-ba95-40f0-8384-28176cb0e913", "png"),
        ("18d43ba1-e602-49b2-8e70-57c3b831cd5f", "jpg"),
        ("241297f1-3a5a-4062-87a6-da6ba1603b0e", "jpg"),
        ("2dce2cc0-3a79-4a86-89b8-3a96f060be01", "jpeg"),
        ("47fabd45-c7d4-44c5-bd24-f2dc2acb8098", "jpg"),
        ("065a1ffc-5cc1-4eda-9bd1-ef45833e011b", "jpg"),
        ("234e278f-acd9-4a7c-b6a7-22d5e1a8b65a", "jpg"),
        ("4e623729-a0cf-475f-81b0-8be28d7ddf3b", "png"),
        ("0f22456a-9c74-432b-b427-13576b6927f9", "jpg"),
        ("1f1c7f0e-302d-4635-a953-b660472e089c", "jpg"),
        ("328cf9e4-d438-4f67-9fd5-7386c105375f", "jpg"),
        ("0b0052e3-279b-4f5a-b6b8-cafb04a2f527", "jpg"),
        ("15350f94-a164-40de-a8f4-2fe906a8e26f", "jpg"),
        ("00f4e83e-294d-4986-87ca-744abffae7a4", "jpg"),
        ("01faf184-f003-439d-ac89-62f087afa2a8", "jpg"),
        ("14fbd7f1-97d4-4090-9aff-d4b5f8ac58d1", "jpg"),
        ("250c79b6-bbc3-4dfc-a158-980e7d2be216", "jpg"),
        ("c07d30c3-635b-442c-8a47-bd23a53fa003", "jpg"),
        ("0b39b343-b880-4dd8-ae95-3411ee1d5762", "jpg"),
        ("0d6a5ae4-5b87-41c4-8e82-b5bf9f158ee1", "jpg"),
        ("0a574c88-c329-4f64-bdd7-2066645445b5", "jpg"),
        ("34f1887a-fd16-4c43-883d-e45e8d4376dc", "png"),
        ("5752e04c-49b5-4af0-9b32-ffb8c2d2ecef", "jpeg"),
    )
)

FRUIT_CLASSES = (
    "Apple Braeburn", "Apple Golden 1", "Apple Golden 2", "Apple Golden 3",
    "Apple Granny Smith", "Apple Red 1", "Apple Red 2", "Apple Red 3",
    "Apple Red Delicious", "Apple Red Yellow", "Pear", "Pear Abate", "Pear Monster",
    "Pear Williams", "Grape Pink", "Grape White", "Grape White 2", "Peach", "Peach Flat",
    "Grapefruit Pink", "Grapefruit White", "Lemon", "Lemon Meyer", "Banana", "Banana Red",
)
FRUIT_PHOTOS = 8

# PhotoTourism photos by scene (file-name prefix) in the SuperGlue assets.
PHOTOTOURISM = ("london_bridge", "piazza_san_marco")


def mirror(mirrors: Path, repo: Repo) -> Path:
    base = mirrors / repo.name.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def git(mirrors: Path, repo: Repo, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(mirror(mirrors, repo)), *args],
                          check=True, capture_output=True).stdout


def tree(mirrors: Path, repo: Repo, folder: str) -> list[tuple[str, str, int]]:
    """(path, blob, size) of the files under `folder`, sorted by path."""
    out = git(mirrors, repo, "ls-tree", "-r", "-l", repo.commit, "--", folder).decode()
    rows = []
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        _, _, blob, size = meta.split()
        if size.isdigit():  # "BAD": a blob the snapshot lacks (files of 4 MiB and more)
            rows.append((path, blob, int(size)))
    return sorted(rows)


def is_photo(data: bytes, min_side: int) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.format in ("JPEG", "PNG") and min(im.size) >= min_side
    except Exception:
        return False


class Builder:
    def __init__(self, mirrors: Path, out: Path) -> None:
        self.mirrors, self.out = mirrors, out
        self.groups: list[list[str]] = []
        self.labels: list[str] = []
        self.kinds: list[str] = []
        self.sources: dict[str, dict[str, str]] = {}

    def add_group(self, name: str, kind: str, repo: Repo, paths: list[str]) -> None:
        files = []
        for path in paths:
            data = git(self.mirrors, repo, "show", f"{repo.commit}:{path}")
            rel = f"{name}/{Path(path).name}"
            target = self.out / "images" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            files.append(rel)
            self.sources[rel] = {"repo": repo.name, "commit": repo.commit, "path": path,
                                 "license": repo.license}
        self.groups.append(files)
        self.labels.append(name)
        self.kinds.append(kind)

    def landmarks(self) -> None:
        for cls in LANDMARK_CLASSES:
            seen: set[str] = set()
            chosen: list[str] = []
            for path, blob, size in tree(self.mirrors, LANDMARKS, f"data/{cls}"):
                if len(chosen) == LANDMARK_PHOTOS:
                    break
                if blob in seen or size < LANDMARK_MIN_BYTES:
                    continue
                seen.add(blob)
                data = git(self.mirrors, LANDMARKS, "show", f"{LANDMARKS.commit}:{path}")
                if is_photo(data, 300):
                    chosen.append(path)
            chosen = [p for p in chosen if Path(p).name not in LANDMARK_EXCLUDED]
            self.add_group("landmark-" + cls.replace(" ", "-"), "landmark", LANDMARKS, chosen)
        sg = [p for p, _, _ in tree(self.mirrors, SUPERGLUE, "assets/phototourism_sample_images")]
        for scene in PHOTOTOURISM:
            self.add_group(f"landmark-{scene}", "landmark", SUPERGLUE,
                           [p for p in sg if Path(p).name.startswith(scene)])
        sc = [p for p, _, _ in tree(self.mirrors, HLOC, "datasets/sacre_coeur/mapping")]
        self.add_group("landmark-sacre-coeur", "landmark", HLOC, sc)

    def fruits(self) -> None:
        for cls in FRUIT_CLASSES:
            rows = tree(self.mirrors, FRUITS, f"Training/{cls}")
            step = len(rows) // FRUIT_PHOTOS
            chosen = [rows[i * step][0] for i in range(FRUIT_PHOTOS)]
            self.add_group("variety-" + cls.lower().replace(" ", "-"), "variety", FRUITS, chosen)

    def objects(self) -> None:
        src = SHARED / "ukbench_holidays_mini"
        gt = json.loads((src / "groundtruth.json").read_text())
        for group in gt["groups"]:
            if not all(p.startswith("ukbench/") for p in group):
                continue
            name = "object-ukbench-" + Path(group[0]).stem[-5:]
            files = []
            for p in group:
                rel = f"{name}/{Path(p).name}"
                target = self.out / "images" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src / "images" / p, target)
                files.append(rel)
                self.sources[rel] = {"repo": "shared/datasets/ukbench_holidays_mini",
                                     "path": p, "license": gt["license"]}
            self.groups.append(files)
            self.labels.append(name)
            self.kinds.append("object")

    def write(self) -> None:
        gt = {
            "source": "see `sources` (repository, commit, path per file)",
            "license": "per file, see `sources`; for benchmarks only, never shipped",
            "kind": "retrieval",
            "groups": self.groups,
            "group_labels": self.labels,
            "group_kinds": self.kinds,
            "sources": self.sources,
            "notes": "Built by bench/retrieval_set.py; see docs/retrieval-set.md.",
        }
        (self.out / "groundtruth.json").write_text(json.dumps(gt, indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    missing = [r.name for r in REPOS if not mirror(args.mirrors, r).is_dir()]
    if missing:
        for name in missing:
            print(f"missing mirror: fetch github:{name}", file=sys.stderr)
        return 1
    if args.out.exists():
        shutil.rmtree(args.out)
    (args.out / "images").mkdir(parents=True)
    b = Builder(args.mirrors, args.out)
    b.landmarks()
    b.objects()
    b.fruits()
    b.write()
    n = sum(len(g) for g in b.groups)
    print(f"{args.out}: {n} photos in {len(b.groups)} groups")
    return 0


if __name__ == "__main__":
    sys.exit(main())
