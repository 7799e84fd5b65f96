"""Help > About: versions, without importing the heavy libraries just to name their version."""

from __future__ import annotations

import html
import platform
import sys
from importlib import metadata

import PySide6
from PySide6.QtCore import qVersion

from simfinder import __version__


def _library_version(module: str, distribution: str) -> str:
    loaded = sys.modules.get(module)
    if loaded is not None:
        return str(getattr(loaded, "__version__", "?"))
    try:
        return metadata.version(distribution) + " (not loaded yet)"
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    return {
        "simfinder": __version__,
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "ONNX Runtime": _library_version("onnxruntime", "onnxruntime"),
        "PyTorch": _library_version("torch", "torch"),
        "Platform": platform.platform(terse=True),
    }


def about_html() -> str:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>&nbsp;{html.escape(v)}</td></tr>"
                   for k, v in versions().items())
    return (
        f"<h3>simfinder {html.escape(__version__)}</h3>"
        "<p>Finds duplicate and similar photos in your photo library, privately: everything "
        "runs on this computer and nothing is uploaded.</p>"
        f"<table>{rows}</table>"
        "<p>Similarity: EfficientNet-Lite0 image embeddings with perceptual hashes.</p>"
    )
