"""Tests for core.photos.embed / cnn_model: weights, ONNX export and cache, embedding sanity.

The photos are scikit-image's bundled public-domain sample images (no network needed).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from simfinder.core.photos import embed

skdata = pytest.importorskip("skimage.data")

REPO_ROOT = Path(__file__).resolve().parents[1]

# ImageNet-1k class ids that must appear in the top-5 of each photo.
EXPECTED_TOP5 = {
    "chelsea": {281, 282, 285},  # tabby, tiger cat, Egyptian cat
    "coffee": {967, 968},  # espresso, cup
    "motorcycle": {665, 670},  # moped, motor scooter (ImageNet has no "motorcycle")
}


def _arrays() -> dict[str, np.ndarray]:
    return {
        "chelsea": skdata.chelsea(),
        "coffee": skdata.coffee(),
        "motorcycle": skdata.stereo_motorcycle()[0],
        "rocket": skdata.rocket(),
        "astronaut": skdata.astronaut(),
    }


def _thumb(image: Image.Image, size: int = 256) -> Image.Image:
    """What the app hands the embedder: RGB, longest side ~256 px."""
    image = image.convert("RGB")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    return image


def _jpeg_copy(original: np.ndarray, scale: float = 0.6, quality: int = 80) -> Image.Image:
    """A downsized, re-encoded JPEG copy of a photo, decoded and thumbnailed like the app does."""
    image = Image.fromarray(original)
    image = image.resize(
        (int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS
    )
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return _thumb(Image.open(buf))


@pytest.fixture(scope="session")
def originals() -> dict[str, np.ndarray]:
    return _arrays()


@pytest.fixture(scope="session")
def photos(originals: dict[str, np.ndarray]) -> dict[str, Image.Image]:
    return {name: _thumb(Image.fromarray(a)) for name, a in originals.items()}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def onnx_embedder(cache_dir: Path) -> embed.OnnxEmbedder:
    e = embed.load_embedder(cache_dir, device="cpu")
    assert isinstance(e, embed.OnnxEmbedder)
    return e


@pytest.fixture(scope="session")
def torch_embedder(cache_dir: Path) -> embed.TorchEmbedder:
    e = embed.load_embedder(cache_dir, device="cpu-torch")
    assert isinstance(e, embed.TorchEmbedder)
    return e


def _variants(
    photos: dict[str, Image.Image], originals: dict[str, np.ndarray]
) -> list[Image.Image]:
    """Photos plus transformed copies (JPEG copy, crop, brighter, mirrored) of some of them."""
    out = list(photos.values())
    for name in ("chelsea", "coffee", "motorcycle"):
        im = photos[name]
        w, h = im.size
        out.append(_jpeg_copy(originals[name]))
        out.append(im.crop((w // 10, h // 10, w - w // 10, h - h // 10)))
        out.append(ImageEnhance.Brightness(im).enhance(1.25))
        out.append(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    return out


# ----------------------------------------------------------------------------- weights


def test_weights_classify_real_photos(photos: dict[str, Image.Image]) -> None:
    from torchvision.models import ResNet18_Weights

    categories = ResNet18_Weights.IMAGENET1K_V1.meta["categories"]
    names = list(EXPECTED_TOP5)
    logits = embed.classify([photos[n] for n in names])
    assert logits.shape == (len(names), 1000)
    assert logits.dtype == np.float32
    for name, row in zip(names, logits, strict=True):
        top5 = [int(i) for i in np.argsort(-row)[:5]]
        labels = [f"{i}:{categories[i]}" for i in top5]
        assert EXPECTED_TOP5[name] <= set(top5), f"{name}: top-5 {labels}"
        assert top5[0] in EXPECTED_TOP5[name], f"{name}: top-5 {labels}"


def test_normalisation_matches_training_statistics(photos: dict[str, Image.Image]) -> None:
    """The stem BatchNorm's running variance fits (x-127)/128 input, not ImageNet mean/std.

    With the wrong normalisation the variance of the first conv's output is several times the
    variance seen in training (the ImageNet std ~0.226 vs 0.5 scales inputs by ~2.2x).
    """
    import torch

    from simfinder.core.photos.cnn_model import build_model

    model = build_model(embed.weights_path())
    x = embed.preprocess(list(photos.values()))
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    x_imagenet = ((x * embed.NORM_STD + embed.NORM_MEAN) - mean) / std

    def log_var_ratio(inp: np.ndarray) -> float:
        with torch.inference_mode():
            y = model._conv_stem(torch.from_numpy(inp))
        var = y.var(dim=(0, 2, 3))
        running = model._bn0.running_var
        assert running is not None
        keep = running > 1e-6
        return float(torch.median(torch.log(var[keep] / running[keep])))

    assert abs(log_var_ratio(x)) < 0.7
    assert log_var_ratio(x_imagenet) > 0.9


def test_tf_same_padding_convention() -> None:
    from simfinder.core.photos.cnn_model import same_padding

    assert same_padding(224, 3, 2) == (0, 1)
    assert same_padding(112, 5, 2) == (1, 2)
    assert same_padding(56, 3, 1) == (1, 1)
    assert same_padding(7, 1, 1) == (0, 0)


# ----------------------------------------------------------------------------- onnx vs torch


def test_onnx_matches_torch(
    onnx_embedder: embed.OnnxEmbedder,
    torch_embedder: embed.TorchEmbedder,
    photos: dict[str, Image.Image],
    originals: dict[str, np.ndarray],
) -> None:
    images = _variants(photos, originals)
    a = onnx_embedder.embed(images)
    b = torch_embedder.embed(images)
    assert a.shape == b.shape == (len(images), embed.EMBED_DIM)
    cos = np.sum(a * b, axis=1)
    assert cos.min() >= 0.999, cos
    sim_a, sim_b = a @ a.T, b @ b.T
    np.fill_diagonal(sim_a, -np.inf)
    np.fill_diagonal(sim_b, -np.inf)
    np.testing.assert_array_equal(np.argmax(sim_a, axis=1), np.argmax(sim_b, axis=1))
    np.testing.assert_allclose(sim_a, sim_b, atol=2e-3)


def test_onnx_batching_is_consistent(
    onnx_embedder: embed.OnnxEmbedder, photos: dict[str, Image.Image]
) -> None:
    images = list(photos.values())
    whole = onnx_embedder.embed(images)
    one_by_one = np.concatenate([onnx_embedder.embed([im]) for im in images])
    np.testing.assert_allclose(whole, one_by_one, atol=1e-5)


# ----------------------------------------------------------------------------- behaviour


def test_embeddings_behave(
    onnx_embedder: embed.OnnxEmbedder,
    photos: dict[str, Image.Image],
    originals: dict[str, np.ndarray],
) -> None:
    names = list(photos)
    emb = onnx_embedder.embed([photos[n] for n in names])
    assert emb.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)

    copies = onnx_embedder.embed([_jpeg_copy(originals[n]) for n in names])
    same = np.sum(emb * copies, axis=1)
    assert same.min() > 0.9, dict(zip(names, same, strict=True))

    sim = emb @ emb.T
    different = sim[~np.eye(len(names), dtype=bool)]
    assert different.max() < 0.6, sim
    assert same.min() - different.max() > 0.3


@pytest.mark.parametrize("which", ["onnx", "torch"])
def test_empty_input(
    which: str, onnx_embedder: embed.OnnxEmbedder, torch_embedder: embed.TorchEmbedder
) -> None:
    e: embed.Embedder = onnx_embedder if which == "onnx" else torch_embedder
    out = e.embed([])
    assert out.shape == (0, embed.EMBED_DIM)
    assert out.dtype == np.float32
    assert e.model_name == embed.MODEL_NAME
    assert e.dim == embed.EMBED_DIM


def test_embedder_attributes(
    onnx_embedder: embed.OnnxEmbedder, torch_embedder: embed.TorchEmbedder
) -> None:
    assert onnx_embedder.device == "cpu-onnx"
    assert torch_embedder.device == "cpu-torch"
    assert embed.INPUT_SIZE == 224
    assert embed.EMBED_DIM == 256


# ----------------------------------------------------------------------------- projection


def test_the_projection_is_fixed_orthonormal_and_the_same_everywhere() -> None:
    from simfinder.core.photos.cnn_model import EMBED_DIM, FEATURE_DIM, embedding_projection

    p = embedding_projection()
    assert p.shape == (FEATURE_DIM, EMBED_DIM) and EMBED_DIM == embed.EMBED_DIM
    np.testing.assert_allclose(p.T @ p, np.eye(EMBED_DIM), atol=1e-5)
    # Stored embeddings are only comparable with new ones while the matrix stays the same:
    # these entries pin it (a change must come with a new MODEL_NAME).
    np.testing.assert_allclose(p[0, :3], [-0.01572157, 0.03325627, 0.00313105], atol=1e-6)
    np.testing.assert_allclose(p[:3, 0], [-0.01572157, 0.01592901, 0.00087446], atol=1e-6)


def test_the_learned_projection_is_the_shipped_file_pinned_by_its_digest() -> None:
    from simfinder.core.photos import cnn_model

    mean, matrix = cnn_model.learned_projection()
    assert mean.shape == (cnn_model.FEATURE_DIM,)
    assert matrix.shape == (cnn_model.FEATURE_DIM, cnn_model.EMBED_DIM)
    assert np.isfinite(matrix).all() and np.linalg.matrix_rank(matrix) == cnn_model.EMBED_DIM
    # A new fit must come with a new file and a new MODEL_NAME (libraries then re-embed).
    assert "lw1" in cnn_model.LEARNED_PROJECTION_FILE.name and "lw1" in embed.MODEL_NAME


def test_a_changed_projection_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simfinder.core.photos import cnn_model

    changed = tmp_path / cnn_model.LEARNED_PROJECTION_FILE.name
    mean, matrix = cnn_model.learned_projection()
    np.savez_compressed(changed, mean=mean, matrix=matrix * 1.01)
    monkeypatch.setattr(cnn_model, "LEARNED_PROJECTION_FILE", changed)
    cnn_model.learned_projection.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="pinned"):
            cnn_model.learned_projection()
    finally:
        monkeypatch.undo()
        cnn_model.learned_projection.cache_clear()


def test_the_projection_keeps_copies_copy_close(
    torch_embedder: embed.TorchEmbedder,
    photos: dict[str, Image.Image],
    originals: dict[str, np.ndarray],
) -> None:
    """Copies (resized, recompressed, retouched) of one photo stay where the duplicate
    thresholds (0.85-0.99) read them: the learned projection moves their cosines little from
    the full 1280-d descriptor's, and different photos stay apart."""
    import torch

    images = _variants(photos, originals)
    from simfinder.core.photos.cnn_model import gem

    with torch.inference_mode():
        pooled = gem(torch_embedder._model.feature_map(torch.from_numpy(embed.preprocess(images))))
    full = pooled.numpy()
    full /= np.linalg.norm(full, axis=1, keepdims=True)
    reduced = torch_embedder.embed(images)
    before, after = full @ full.T, reduced @ reduced.T
    upper = np.triu_indices(len(images), 1)
    before, after = before[upper], after[upper]
    close = before > 0.8  # the copies: where the duplicate thresholds (0.85-0.99) are
    assert close.sum() >= 9
    assert np.abs(after[close] - before[close]).max() < 0.06
    assert after[~close].max() < 0.8  # no other photo comes copy-close


def _retrieval_groups() -> dict[str, list[Path]]:
    root = Path(os.environ.get("SIMFINDER_RETRIEVAL_SET", "/work/datasets/retrieval")) / "images"
    if not root.is_dir():
        pytest.skip(f"the retrieval development set is not here: {root} (bench/retrieval_set.py)")
    # Classes the projection was not fitted on: three PhotoTourism landmarks (all their photos)
    # and the Fruits-360 varieties (every other frame of the first six; the fit has other fruit
    # classes only).
    places = ("landmark-london_bridge", "landmark-piazza_san_marco", "landmark-sacre-coeur")
    groups = {n: sorted((root / n).iterdir()) for n in places}
    for name in sorted(os.listdir(root)):
        if name.startswith("variety-"):
            groups[name] = sorted((root / name).iterdir())[0:6:2]
    return groups


def _mean_average_precision(x: np.ndarray, labels: np.ndarray) -> float:
    sims = x @ x.T
    np.fill_diagonal(sims, -np.inf)
    aps = []
    for q in range(len(x)):
        order = np.argsort(-sims[q], kind="stable")[:-1]
        hits = labels[order] == labels[q]
        ranks = np.flatnonzero(hits) + 1
        aps.append(float(np.mean(np.arange(1, len(ranks) + 1) / ranks)))
    return float(np.mean(aps))


def test_the_learned_projection_ranks_unseen_places_and_varieties_better(
    torch_embedder: embed.TorchEmbedder,
) -> None:
    """Clicking a photo of a landmark or a fruit variety the projection never saw lists more
    of its other photos first than the random projection it replaces did."""
    import torch

    from simfinder.core.photos.cnn_model import embedding_projection, gem, learned_projection
    from simfinder.core.photos.decode import THUMB_SIDE, DecodedPhoto, decode_photo

    groups = _retrieval_groups()
    images, labels = [], []
    for i, paths in enumerate(groups.values()):
        for path in paths:
            decoded = decode_photo(path, THUMB_SIDE)
            assert isinstance(decoded, DecodedPhoto)
            images.append(decoded.image)
            labels.append(i)
    y = np.array(labels)
    with torch.inference_mode():
        pooled = gem(torch_embedder._model.feature_map(torch.from_numpy(embed.preprocess(images))))
    full = pooled.numpy() / np.linalg.norm(pooled.numpy(), axis=1, keepdims=True)

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    mean, matrix = learned_projection()
    learned = unit((full - mean) @ matrix)
    # ... which is what the embedder gives (one pass of the CNN for both projections).
    np.testing.assert_allclose(learned[:4], torch_embedder.embed(images[:4]), atol=1e-4)
    random = unit(full @ embedding_projection())
    assert _mean_average_precision(learned, y) > _mean_average_precision(random, y) + 0.02


# ----------------------------------------------------------------------------- preprocess


def _torchvision_reference(images: list[Image.Image]) -> np.ndarray:
    from torchvision import transforms

    tf = transforms.Compose(
        [
            transforms.Resize(
                (embed.INPUT_SIZE, embed.INPUT_SIZE),
                interpolation=transforms.InterpolationMode.BICUBIC,
            ),
            transforms.ToTensor(),
            transforms.Normalize([embed.NORM_MEAN] * 3, [embed.NORM_STD] * 3),
        ]
    )
    return np.stack([tf(im).numpy() for im in images])


def test_preprocess_matches_torchvision(photos: dict[str, Image.Image]) -> None:
    rng = np.random.default_rng(0)
    images = [
        *photos.values(),
        Image.fromarray(rng.integers(0, 256, (40, 300, 3), dtype=np.uint8)),  # tiny, wide
        Image.fromarray(rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)),  # exact size
    ]
    x = embed.preprocess(images)
    assert x.shape == (len(images), 3, embed.INPUT_SIZE, embed.INPUT_SIZE)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, _torchvision_reference(images), atol=1e-5)
    assert embed.preprocess([]).shape == (0, 3, embed.INPUT_SIZE, embed.INPUT_SIZE)


def test_preprocess_converts_other_modes(photos: dict[str, Image.Image]) -> None:
    rgb = photos["coffee"]
    for mode in ("L", "RGBA", "P"):
        converted = rgb.convert(mode)
        expected = embed.preprocess([converted.convert("RGB")])
        np.testing.assert_array_equal(embed.preprocess([converted]), expected)


def test_preprocess_keeps_borders() -> None:
    """Whole-image squash, no centre crop: a mark in the corner stays visible."""
    a = np.zeros((100, 400, 3), np.uint8)
    a[:, :20] = 255  # left edge band of a wide image, would be cropped away by a centre crop
    x = embed.preprocess([Image.fromarray(a)])
    assert x[0, :, :, :5].mean() > 0.9
    assert x[0, :, :, 20:].max() < -0.9


# ----------------------------------------------------------------------------- cache


def test_onnx_file_reused_from_cache(
    onnx_embedder: embed.OnnxEmbedder,
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    photos: dict[str, Image.Image],
) -> None:
    path = onnx_embedder.onnx_path
    assert path == embed.onnx_cache_path(cache_dir)
    assert path.name.endswith(".onnx") and path.name.startswith("efficientnet-lite0")
    stat = path.stat()

    def no_export(*args: object, **kwargs: object) -> Path:
        raise AssertionError("ONNX file re-exported although it was cached")

    monkeypatch.setattr(embed, "export_onnx", no_export)
    again = embed.load_embedder(cache_dir, device="cpu", threads=1)
    assert isinstance(again, embed.OnnxEmbedder)
    assert again.onnx_path == path
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert path.stat().st_ino == stat.st_ino
    assert sorted(p.name for p in cache_dir.iterdir()) == [path.name]  # no temp files left
    im = [photos["chelsea"]]
    np.testing.assert_allclose(again.embed(im), onnx_embedder.embed(im), atol=1e-5)


def test_cache_name_depends_on_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = embed.onnx_cache_path(tmp_path)
    fake = tmp_path / "other-weights.pth"
    fake.write_bytes(b"not the same weights")
    monkeypatch.setattr(embed, "weights_path", lambda: fake)
    other = embed.onnx_cache_path(tmp_path)
    assert other != real
    assert other.parent == real.parent


def test_damaged_cache_file_is_reexported(tmp_path: Path, photos: dict[str, Image.Image]) -> None:
    path = embed.onnx_cache_path(tmp_path)
    path.write_bytes(b"garbage")
    e = embed.load_embedder(tmp_path, device="cpu")
    assert path.stat().st_size > 1_000_000
    assert e.embed([photos["coffee"]]).shape == (1, embed.EMBED_DIM)


def test_stale_exports_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / "efficientnet-lite0-imagenet_gap-l2_v0-x1-0123456789ab.onnx"
    stale.write_bytes(b"old")
    unrelated = tmp_path / "someone-else.onnx"
    unrelated.write_bytes(b"keep")
    path = embed.ensure_onnx(tmp_path)
    assert path.is_file()
    assert not stale.exists()
    assert unrelated.exists()


@pytest.mark.slow
def test_dynamo_exporter_fallback_matches(
    tmp_path: Path, onnx_embedder: embed.OnnxEmbedder, photos: dict[str, Image.Image]
) -> None:
    """The fallback exporter (used if the legacy one is gone) gives the same embeddings."""
    path = embed.export_onnx(tmp_path / "dynamo.onnx", exporter="dynamo")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dynamo.onnx"]  # single file
    images = list(photos.values())
    np.testing.assert_allclose(
        embed.OnnxEmbedder(path).embed(images), onnx_embedder.embed(images), atol=1e-4
    )


# ----------------------------------------------------------------------------- lazy imports


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_import_does_not_import_torch() -> None:
    r = _run_python(
        "import sys, simfinder.core.photos.embed\n"
        "assert 'torch' not in sys.modules, 'torch'\n"
        "assert 'onnxruntime' not in sys.modules, 'onnxruntime'\n"
    )
    assert r.returncode == 0, r.stderr


def test_auto_with_cached_onnx_needs_no_torch(
    onnx_embedder: embed.OnnxEmbedder, cache_dir: Path
) -> None:
    r = _run_python(
        "import sys\n"
        "from simfinder.core.photos import embed\n"
        "if embed._gpu_plausible():\n"
        "    print('SKIP')\n"
        "    raise SystemExit(0)\n"
        f"e = embed.load_embedder({str(cache_dir)!r}, device='auto')\n"
        "assert e.device == 'cpu-onnx', e.device\n"
        "assert 'torch' not in sys.modules\n"
        "print('OK')\n"
    )
    assert r.returncode == 0, r.stderr
    if r.stdout.strip() == "SKIP":
        pytest.skip("a GPU driver is visible: 'auto' imports torch to check it")
    assert r.stdout.strip() == "OK"


def test_auto_device_choice(cache_dir: Path, onnx_embedder: embed.OnnxEmbedder) -> None:
    import torch

    e = embed.load_embedder(cache_dir, device="auto")
    if torch.cuda.is_available():
        assert e.device == "cuda"
    elif torch.backends.mps.is_available():
        assert e.device == "mps"
    else:
        assert e.device == "cpu-onnx"


def test_unknown_device(cache_dir: Path) -> None:
    with pytest.raises(ValueError):
        embed.load_embedder(cache_dir, device="tpu")
