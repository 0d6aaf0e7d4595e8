"""The file the app runs: the trained ONNX graph converted to NNEF by tract, in one plain tar.

The Rust core loads models with tract's NNEF reader only, so the app links neither tract's ONNX
front end nor its operator zoo (docs/size.md). The conversion runs here, at training time,
with the same tract version the core pins (0.23.9). The graph uses standard NNEF operators; only
the model's properties (ONNX producer and IR version) go through tract's `tract_core_properties`
fragment. (Writing without the tract_core extension puts them in a form tract 0.23.9 cannot read
back: it panics on load.) The app reads models with the operators listed in
core/src/leaf/model/operators.txt and no others (keeping the rest of tract out of the app), so
`convert` refuses a graph that invokes anything else.

The tar is deterministic (sorted names, zero times and owners), so the same ONNX bytes give the
same tar bytes and the manifest's SHA-256 is reproducible. It is not gzipped: the weights barely
compress (≈ 8 %) and the platform's HTTP layer may compress downloads anyway.
"""
import io
import os
import re
import tarfile
import tempfile

import numpy as np
import tract

FILE = "leaf.nnef.tar"
TRACT_VERSION = "0.23.9"
# The operators the app's NNEF reader knows, shared with the core.
OPERATORS_TXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "core", "src",
                             "leaf", "model", "operators.txt")


def convert(onnx_path):
    """NNEF tar bytes for the ONNX file at `onnx_path` (typed and decluttered by tract)."""
    if tract.version() != TRACT_VERSION:
        raise SystemExit(f"tract {tract.version()} installed, the core reads {TRACT_VERSION}")
    model = tract.onnx().load(onnx_path).into_model()
    with tempfile.TemporaryDirectory() as d:
        folder = os.path.join(d, "model")  # tract refuses to write into an existing folder
        tract.nnef().write_model_to_dir(model, folder)
        with open(os.path.join(folder, "graph.nnef"), encoding="utf-8") as f:
            check_operators(f.read())
        return _tar(folder)


def app_operators():
    """The operator names in the core's operators.txt."""
    with open(OPERATORS_TXT, encoding="utf-8") as f:
        return {line.split("#")[0].strip() for line in f} - {""}


def check_operators(graph):
    """Stops if the NNEF text invokes an operator, or names a tract extension, the app lacks.

    Conservative: a standard fragment (`relu`, …) is refused by name even where the primitives
    it expands into are listed."""
    text = re.sub(r'"[^"]*"', '""', graph)  # string values are not invocations
    defined = set(re.findall(r"^\s*(?:fragment|graph)\s+(\w+)", text, re.M))
    registries = set(re.findall(r"^extension\s+tract_registry\s+(\w+)\s*;", text, re.M))
    invoked = set(re.findall(r"\b([A-Za-z_]\w*)\s*(?:<[^<>()]*>)?\s*\(", text))
    unknown = sorted(registries - {"tract_core"})
    unknown += sorted(invoked - defined - app_operators())
    if unknown:
        raise SystemExit(
            f"the model needs {', '.join(unknown)}, which the app's NNEF reader does not have "
            "(core/src/leaf/model/operators.txt)")


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
