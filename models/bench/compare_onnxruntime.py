#!/usr/bin/env python3
"""tract against onnxruntime on the shipped leaf model, one thread each, from one run.

onnxruntime runs in this process (intra- and inter-op threads 1, sequential execution, graph
optimisation ALL) on the fixed tensor x[i] = sin(i * 0.001) (1x3xSxS, f32, computed in
float64 like the Rust side). tract runs in the leaf_model criterion bench of yannong-core
(core/benches/leaf_model.rs), started here with LEAF_BENCH_REPORT=inference so that only its
inference report runs, on the same tensor; it prints `tract_inference_median_us=...` and its
raw outputs, which this script parses and checks against onnxruntime's.

Order: build the bench, time onnxruntime, time tract, time onnxruntime again (the machine may
be shared: the two onnxruntime halves show how much it drifted). The ratio is tract's median
over the median of all onnxruntime runs.

    .venv-train/bin/python models/bench/compare_onnxruntime.py [--runs 50] [--warmup 5]
        [--tract-us 12345]   # skip cargo, use this tract median (microseconds)

Needs numpy and onnxruntime (models/bench/README.md).
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "models" / "leaf"


def sine_tensor(side: int) -> np.ndarray:
    n = 3 * side * side
    return np.sin(np.arange(n, dtype=np.float64) * 0.001).astype(np.float32).reshape(1, 3, side, side)


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, len(s) * q // 100)]


def ort_session(model: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(model), sess_options=opts, providers=["CPUExecutionProvider"])


def time_ort(sess, feed, outputs, runs, warmup):
    for _ in range(warmup):
        sess.run(outputs, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(outputs, feed)
        times.append((time.perf_counter() - t) * 1e6)
    return times


def run_tract(ort_us: float) -> dict:
    env = dict(os.environ, LEAF_BENCH_REPORT="inference", LEAF_BENCH_ORT_US=f"{ort_us:.1f}")
    cmd = ["cargo", "bench", "-p", "yannong-core", "--bench", "leaf_model"]
    print("$", " ".join(cmd), "(LEAF_BENCH_REPORT=inference)", flush=True)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        sys.exit(f"the leaf_model bench failed ({proc.returncode})")
    found = {}
    for line in proc.stderr.splitlines():
        if line.startswith("leaf_model:"):
            print("  " + line)
        if line.startswith("tract_") and "=" in line:
            key, value = line.split("=", 1)
            found[key] = value
    if "tract_inference_median_us" not in found:
        sys.exit("the bench printed no tract_inference_median_us line")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50, help="timed onnxruntime runs per half")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--tract-us", type=float, help="tract median in µs instead of running cargo")
    args = ap.parse_args()

    manifest = json.loads((MODEL_DIR / "manifest.json").read_text())
    side = manifest["input"]["side"]
    outputs = [h["output"] for h in manifest["heads"]]
    if manifest.get("in_scope"):
        outputs.append(manifest["in_scope"]["output"])
    x = sine_tensor(side)
    feed = {manifest["input"]["name"]: x}

    if args.tract_us is None:
        build = ["cargo", "bench", "-p", "yannong-core", "--bench", "leaf_model", "--no-run"]
        print("$", " ".join(build), flush=True)
        subprocess.run(build, cwd=ROOT, check=True, capture_output=True)

    # onnxruntime reads the ONNX file the app's NNEF file was made from (models/train/to_nnef.py).
    onnx = MODEL_DIR / "leaf.onnx"
    if hashlib.sha256(onnx.read_bytes()).hexdigest() != manifest["training"]["onnx_sha256"]:
        raise SystemExit(f"{onnx} is not the file the shipped model was made from")
    t = time.perf_counter()
    sess = ort_session(onnx)
    load_ms = (time.perf_counter() - t) * 1e3
    ort_out = sess.run(outputs, feed)
    first = time_ort(sess, feed, outputs, args.runs, args.warmup)
    print(
        f"onnxruntime {ort.__version__}: session created in {load_ms:.0f} ms; "
        f"before tract: median {statistics.median(first) / 1e3:.2f} ms, "
        f"p90 {percentile(first, 90) / 1e3:.2f} ms over {args.runs} runs",
        flush=True,
    )

    if args.tract_us is None:
        tract = run_tract(statistics.median(first))
        tract_us = float(tract["tract_inference_median_us"])
        tract_p90 = float(tract.get("tract_inference_p90_us", "nan"))
        second = time_ort(sess, feed, outputs, args.runs, args.warmup)
        print(
            f"onnxruntime after tract: median {statistics.median(second) / 1e3:.2f} ms, "
            f"p90 {percentile(second, 90) / 1e3:.2f} ms"
        )
        got = np.array([float(v) for v in tract["tract_outputs"].split(",")], dtype=np.float64)
        want = np.concatenate([np.asarray(o, dtype=np.float64).ravel() for o in ort_out])
        if got.shape != want.shape:
            sys.exit(f"tract gave {got.size} output values, onnxruntime {want.size}")
        print(
            f"outputs ({', '.join(outputs)}): tract and onnxruntime differ by at most "
            f"{np.max(np.abs(got - want)):.2e}"
        )
        print(f"tract threads while running: {tract.get('tract_threads', '?')}")
    else:
        tract_us, tract_p90, second = args.tract_us, float("nan"), []

    ort_all = first + second
    ort_us = statistics.median(ort_all)
    print(
        f"tract median {tract_us / 1e3:.2f} ms (p90 {tract_p90 / 1e3:.2f}), onnxruntime median "
        f"{ort_us / 1e3:.2f} ms (p90 {percentile(ort_all, 90) / 1e3:.2f}, {len(ort_all)} runs)"
    )
    print(f"tract / onnxruntime = {tract_us / ort_us:.2f}  (goal <= 1.3)")


if __name__ == "__main__":
    main()
