"""The file the app runs: the trained ONNX graph converted to NNEF by tract, in one plain tar.

The Rust core loads models with tract's NNEF reader only, so the app links neither tract's ONNX
front end nor its operator zoo (docs/size.md). The conversion runs here, at training time,
with the same tract version the core pins (0.23.9). The graph uses standard NNEF operators; only
the model's properties (ONNX producer and IR version) go through tract's `tract_core_properties`
fragment. (Writing without the tract_core extension puts them in a form tract 0.23.9 cannot read
back: it panics on load.)

The tar is deterministic (sorted names, zero times and owners), so the same ONNX bytes give the
same tar bytes and the manifest's SHA-256 is reproducible. It is not gzipped: the weights barely
compress (≈ 8 %) and the platform's HTTP layer may compress downloads anyway.
"""
import io
import os
import tarfile
import tempfile

import numpy as np
import tract

FILE = "leaf.nnef.tar"
TRACT_VERSION = "0.23.9"


def convert(onnx_path):
    """NNEF tar bytes for the ONNX file at `onnx_path` (typed and decluttered by tract)."""
    if tract.version() != TRACT_VERSION:
        raise SystemExit(f"tract {tract.version()} installed, the core reads {TRACT_VERSION}")
    model = tract.onnx().load(onnx_path).into_model()
    with tempfile.TemporaryDirectory() as d:
        folder = os.path.join(d, "model")  # tract refuses to write into an existing folder
        tract.nnef().write_model_to_dir(model, folder)
        return _tar(folder)


def _tar(folder):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(os.listdir(folder)):
            path = os.path.join(folder, name)
            info = tarfile.TarInfo(name)
            info.size = os.path.getsize(path)
            info.mode = 0o644
            with open(path, "rb") as f:
                tar.addfile(info, f)
    return buf.getvalue()


def runner(blob):
    """A function running the NNEF bytes with tract: NCHW float32 input → list of outputs."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, FILE)
        with open(path, "wb") as f:
            f.write(blob)
        plan = tract.nnef().load(path).into_runnable()

    def run(x):
        return [o.to_numpy() for o in plan.run([np.ascontiguousarray(x, dtype=np.float32)])]
    return run
