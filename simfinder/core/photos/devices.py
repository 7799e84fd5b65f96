"""The devices the embedder runs on, by the names the CLI, the app's settings and the
embedder use: one list, so that a choice offered is one the embedder knows."""

from __future__ import annotations

import logging
from typing import Final

log = logging.getLogger(__name__)

AUTO: Final = "auto"  # a GPU if torch finds one, else ONNX Runtime on the CPU
CPU: Final = "cpu"
CUDA: Final = "cuda"
MPS: Final = "mps"

ONNX_CPU_DEVICES: Final = (CPU, "cpu-onnx")  # ONNX Runtime on the CPU (the ONNX file)
TORCH_DEVICES: Final = ("cpu-torch", CUDA, MPS)  # torch eager
# What a user chooses from (the CLI's --device, the app's settings).
USER_DEVICES: Final = (AUTO, CPU, CUDA, MPS)
