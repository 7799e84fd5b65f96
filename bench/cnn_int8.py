"""int8 quantisation of the ONNX CNN: speed and agreement with the float32 model, same run.

    .venv/bin/python bench/cnn_int8.py [--write]

Exports the embedding network as the app does (float32, into a temporary cache), then quantises
it with onnxruntime.quantization two ways: dynamic (int8 weights, activations quantised on the
fly) and static (QDQ, int8 weights per channel, uint8 activations calibrated with the percentile
method on scikit-image's sample photos and their flips and crops, none of them from the
benchmark datasets). It times each on the photos of every benchmark dataset (batch 32, 2
threads, the best of 3 rounds, the models taking turns) and compares their embeddings with the
float32 model's: the cosine of each photo's int8 embedding to its float32 one, and how far the
cosines between photos move, overall and for pairs above 0.8 (where the duplicate thresholds
are).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import write_section  # noqa: E402
from simfinder.core.photos.decode import DecodeFailure, decode_photo  # noqa: E402
from simfinder.core.photos.embed import ensure_onnx, preprocess  # noqa: E402
from tests.datasets import DATASETS  # noqa: E402

SECTION = "## CNN int8 quantisation"
SAMPLES = ("chelsea", "coffee", "astronaut", "rocket", "camera", "cat", "immunohistochemistry",
           "retina", "hubble_deep_field", "coins", "page", "text", "moon", "horse", "grass",
           "gravel", "brick", "colorwheel")


def calibration_inputs() -> list[npt.NDArray[np.float32]]:
    from PIL import Image
    from skimage import data

    out = []
    for name in SAMPLES:
        a = getattr(data, name)()
        if a.dtype != np.uint8:
            a = (a * 255).astype(np.uint8)
        im = Image.fromarray(a).convert("RGB")
        for variant in (im, im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                        im.crop((0, 0, im.width // 2, im.height // 2))):
            out.append(preprocess([variant]))
    return out


def quantise(fp32: Path, work: Path) -> dict[str, Path]:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    pre = work / "pre.onnx"
    quant_pre_process(str(fp32), str(pre))
    dynamic = work / "dynamic.onnx"
    quantize_dynamic(str(pre), str(dynamic), weight_type=QuantType.QInt8)
    inputs = calibration_inputs()

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter([{"input": x} for x in inputs])

        def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
            return next(self._it, None)

    static = work / "static.onnx"
    quantize_static(str(pre), str(static), Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.Percentile)
    return {"float32": fp32, "int8 dynamic": dynamic, "int8 static (QDQ)": static}


def photos() -> npt.NDArray[np.float32]:
    files = sorted(p for p in DATASETS.glob("*/images/**/*") if p.is_file())
    images = []
    for f in files:
        decoded = decode_photo(f)
        if not isinstance(decoded, DecodeFailure):
            images.append(decoded.image.convert("RGB"))
    return preprocess(images)


def main() -> int:
    import onnxruntime as ort

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    x = photos()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        models = quantise(ensure_onnx(work / "cache"), work)
        sessions = {}
        for name, path in models.items():
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 2
            opts.inter_op_num_threads = 1
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            sessions[name] = ort.InferenceSession(str(path), opts,
                                                  providers=["CPUExecutionProvider"])
        sizes = {name: path.stat().st_size / 1e6 for name, path in models.items()}
        best = {name: np.inf for name in models}
        emb: dict[str, npt.NDArray[np.float32]] = {}
        for _ in range(3):
            for name, sess in sessions.items():
                t0 = time.perf_counter()
                ys = [sess.run(None, {"input": x[i : i + 32]})[0] for i in range(0, len(x), 32)]
                best[name] = min(best[name], (time.perf_counter() - t0) / len(x))
                y = np.concatenate(ys)
                emb[name] = y / np.linalg.norm(y, axis=1, keepdims=True)
    ref = emb["float32"]
    upper = np.triu_indices(len(ref), 1)
    base = (ref @ ref.T)[upper]
    close = base > 0.8
    lines = [f"{len(x)} photos of ../shared/datasets, batch 32, 2 threads; best of 3 rounds.", "",
             "| model | ms / photo | speed-up | file MB | cosine to float32: min / mean |"
             " pair cosines moved: max / at > 0.8 max (sd) |", "|---|---|---|---|---|---|"]
    for name in models:
        y = emb[name]
        own = np.sum(y * ref, axis=1)
        moved = (y @ y.T)[upper] - base
        lines.append(f"| {name} | {best[name] * 1000:.1f} | {best['float32'] / best[name]:.2f}x |"
                     f" {sizes[name]:.1f} | {own.min():.4f} / {own.mean():.4f} |"
                     f" {np.abs(moved).max():.4f} / {np.abs(moved[close]).max():.4f}"
                     f" ({moved[close].std():.4f}) |")
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section(SECTION, text + "\n\n" + VERDICT, "bench/cnn_int8.py --write")
    return 0


VERDICT = """\
Not kept. The accuracy benchmark, run on an engine that embeds with the static int8 model (the
model file swapped in, everything else as in this branch), holds every target: peer suites exact
at all thresholds, camera_photos no group, UKBench different-view pairs grouped 0 / 0 / 1
(strict / normal / loose, as with float32), similar recall@4 0.977, mAP 0.988; stress holdout
recall 0.621 / 0.981 / 1.000 (float32: 0.586 / 0.981 / 1.000). But each photo's int8 embedding
moves away from its float32 one (cosine down to the value in the table), so a library indexed
on the CPU in int8 and on a GPU in float32 (torch, same model name) would compare photos across
the two at a lower cosine than a copy deserves; keeping int8 would mean a model name per backend
and re-embedding a library whenever the backend changes, for a CNN pass that is not what bounds
indexing (the full pipeline is within 1.3x of the decode floor, see *Indexing throughput*).
Dynamic quantisation is slower than float32 here (ONNX Runtime's ConvInteger kernels)."""


if __name__ == "__main__":
    raise SystemExit(main())
