"""Evaluation numbers (metrics.json) and the human-readable REPORT.md.

    python models/train/report.py --report-only models/leaf

rebuilds REPORT.md from eval/metrics.json (and eval/nonleaf_pipeline.json when present) without
training: the model, manifest and metrics are not touched.
"""
import argparse
import json
import os
import sys

import numpy as np

from calibrate import ece, nll, softmax, top2

NOT_SURE_SCOPE = "not sure (out of scope)"
NOT_SURE_LOW = "not sure (low confidence)"


def verdicts(logits, sims, labels, cfg):
    """What the app would say for each image: a label id or a 'not sure' reason."""
    p = softmax(np.asarray(logits) / cfg["temperature"])
    top, margin = top2(p)
    out = []
    for i in range(len(p)):
        if sims[i] < cfg["min_similarity"]:
            out.append(NOT_SURE_SCOPE)
        elif top[i] < cfg["min_probability"] or margin[i] < cfg["min_margin"]:
            out.append(NOT_SURE_LOW)
        else:
            out.append(labels[int(p[i].argmax())])
    return out, p


def classification(y, pred, labels):
    k = len(labels)
    y, pred = np.asarray(y), np.asarray(pred)
    cm = np.zeros((k, k), int)
    for a, b in zip(y, pred):
        cm[a, b] += 1
    per = {}
    for c, name in enumerate(labels):
        tp = cm[c, c]
        prec = tp / cm[:, c].sum() if cm[:, c].sum() else 0.0
        rec = tp / cm[c].sum() if cm[c].sum() else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[name] = {"precision": prec, "recall": rec, "f1": f1, "support": int(cm[c].sum())}
    return {"accuracy": float((y == pred).mean()), "macro_f1": float(np.mean([v["f1"] for v in per.values()])),
            "per_class": per, "confusion": cm.tolist()}


def group_balanced_accuracy(y, pred, groups):
    """Mean over source groups of the per-group accuracy (each original photo counts once)."""
    y, pred, groups = np.asarray(y), np.asarray(pred), np.asarray(groups)
    return float(np.mean([(y[groups == g] == pred[groups == g]).mean() for g in np.unique(groups)]))


def rounded(x, nd=4):
    if isinstance(x, dict):
        return {k: rounded(v, nd) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [rounded(v, nd) for v in x]
    if isinstance(x, (float, np.floating)):
        return round(float(x), nd)
    if isinstance(x, np.integer):
        return int(x)
    return x


def write_metrics(path, m):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(rounded(m), f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")


def pct(x):
    return f"{100 * x:.1f} %"


def _table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def load_pipeline(out):
    """eval/nonleaf_pipeline.json of an output folder (nonleaf_pipeline.py), or None."""
    p = os.path.join(out, "eval", "nonleaf_pipeline.json")
    if not os.path.exists(p):
        return None
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def _pipeline_section(m, pl):
    """'Full pipeline (Rust CLI)' under '## Non-leaf pictures'."""
    t = pl["totals"]
    v = t["verdicts"]
    s = ["### Full pipeline (Rust CLI)\n"]
    if pl["model"]["sha256"] != m["sha256"]:
        s.append(f"**Stale:** measured on model sha256 `{pl['model']['sha256']}`, not this one; rerun the command "
                 "below.\n")
    sets = pl.get("totals_by_set", {})
    tr, ex = sets.get("training report"), sets.get("pipeline only")
    s.append(f"{t['not_ok']} of {t['count']} non-leaf pictures ({pct(t['not_ok_rate'])}) do not come back \"ok\" "
             f"from the whole check (`yannong leaf check --json`: quality gate, then the model; middle leaves): "
             f"{v['no_leaf']} \"no leaf\", {v['not_sure']} \"not sure\", {v['retake']} \"retake\" and {v['ok']} "
             f"\"ok\". {t['with_maturity']} got a maturity. \"Retake\" (here: too dark or too bright) gives no "
             "maturity either, but it is not the issue's \"not sure\" / \"no leaf\": those two alone are "
             f"{t['not_sure_or_no_leaf']} of {t['count']} ({pct(t['not_sure_or_no_leaf_rate'])}).")
    if tr and ex:
        s.append(f"\nThe {tr['count']} pictures of the table above: {tr['not_ok']} not ok. {ex['count']} more are used "
                 f"only here (`nonleaf.extra_images`: scikit-image photos not in that list, a hand filling the frame, "
                 f"a hand over soil, and green/yellow walls and a green tarp that the core's leaf-colour rule counts "
                 f"as leaf, so they reach the model): {ex['not_ok']} not ok. The extras are not part of the training "
                 "run's check, so adding them changed no model number.")
    rows = pl["pictures"]
    seen = [r for r in rows if r.get("similarity") is not None]
    cut = pl["model"].get("min_similarity")
    below = sum(cut is not None and r["similarity"] < cut for r in seen)
    retakes = [r for r in rows if r["verdict"] == "retake"]
    cov = pl.get("gate_thresholds", {}).get("no_leaf")
    s.append("\nHow: the gate answers \"no leaf\" when less than "
             + (pct(cov) if cov is not None else "the minimum share") + " of the picture has leaf colour (ExG or "
             "yellow hue, `docs/leaf-quality-gate.md`); it answers \"retake\" when the picture is too dark or too "
             "bright (before \"no leaf\": leaf colour cannot be judged then) or, with enough leaf, blurred or "
             "glared; only pictures that pass the gate reach the model. "
             f"{len(rows) - len(seen)} of {len(rows)} stopped at the gate"
             + (f" ({sum('no_leaf' in r['gate_failures'] for r in retakes)} of the {len(retakes)} \"retake\" "
                "pictures also failed the coverage check)" if retakes else "")
             + f"; {len(seen)} reached the model, {below} of them below its similarity cut-off ({cut}). "
             "Similarity is shown only for pictures the model saw; the model-only table above is what the "
             "model says of the others.\n")
    oks = [r for r in pl["pictures"] if r["verdict"] == "ok"]
    if oks:
        s.append("Answered \"ok\": " + "; ".join(
            f"{r['name']} (maturity {r.get('maturity', '—')}, {r.get('disease', '—')} "
            f"{r.get('confidence', '')}, similarity {r.get('similarity', '—')}, leaf coverage "
            f"{r.get('leaf_coverage', '—')})" for r in oks) + ". Thresholds were not changed for them.\n")

    def num(x):
        return "—" if x is None else f"{x:.3f}"

    s.append(_table(["picture", "set", "leaf coverage", "gate failures", "similarity", "verdict", "first hint"],
                    [[r["name"], "above" if r["set"] == "training report" else "extra", num(r.get("leaf_coverage")),
                      ", ".join(r["gate_failures"]) or "—", num(r.get("similarity")),
                      r["verdict"] + (f" ({r['maturity']})" if "maturity" in r else ""),
                      (r["hints"][0] if r["hints"] else "—").replace("|", "\\|")] for r in pl["pictures"]]))
    s.append(f"\nProduced with (the PNGs live in a temporary folder and are deleted; seed {pl['seed']}):\n")
    s.append(f"```\ncargo build -p yannong-cli\n{pl['command']}\npython models/train/report.py --report-only "
             f"{_out_of(m)}\n```\n")
    return s


def _out_of(m):
    parts = m["command"].split()
    return parts[parts.index("--out") + 1] if "--out" in parts[:-1] else "models/leaf"


def markdown(m, pipeline=None):
    L = m["labels"]
    t = m["test"]
    cfg = m["manifest_values"]
    s = []
    s.append(f"# Leaf-check model — `{m['name']}` v{m['version']} ({m['head']} head)\n")
    s.append(f"`leaf.nnef.tar` (what the app runs) sha256 `{m['sha256']}`, {m['size']:,} bytes; made "
             f"by tract from `leaf.onnx` sha256 `{m['onnx_sha256']}`, {m['onnx_size']:,} bytes. "
             f"Trained with `{m['command']}` (seed {m['seed']}).\n")
    s.append("## Read this first\n")
    s.append("- All numbers below come from the development data set only. The test split "
             f"({t['groups']} source photos, {t['images']} images) was never used for any choice "
             "(weight decay, temperature, thresholds, similarity cut-off were chosen on the training "
             "and validation groups). It is still small: one photo more or less right moves the "
             "per-class numbers a lot. The grouped cross-validation below is the steadier estimate.")
    for c in m["caveats"]:
        s.append(f"- {c}")
    s.append("")
    s.append("## Model\n")
    side = m.get("side", 224)
    s.append(f"- Backbone: {m['backbone']}; input {side}×{side} (the weights were trained at 224; "
             f"docs/leaf-model.md says why the app runs it at {side}); global-average-pooled 1280-d features.")
    s.append(f"- Head: multinomial logistic regression on standardised features (standardisation "
             f"folded into the exported Gemm), L2 weight decay λ = {m['head_fit']['lambda']} chosen by "
             f"{m['head_fit']['cv_folds']}-fold grouped CV on the training groups (balanced NLL per λ: "
             + ", ".join(f"{k}: {v:.3f}" for k, v in m['head_fit']['cv_nll'].items()) + "). "
             "Each class weighs the same, and each source photo weighs the same within its class.")
    s.append(f"- Training images: {m['head_fit']['train_rows']} feature rows = {m['split_counts']['train']['images']} "
             f"images × (1 plain + {m['augmentations']} seeded augmentations: crop/zoom 0.8–1.0, flip, 90° rotations, "
             "brightness/contrast ±10 %; no hue changes).")
    s.append(f"- Calibration on validation: temperature T = {cfg['temperature']}; "
             f"not sure if top probability < {cfg['min_probability']} or margin < {cfg['min_margin']} "
             f"(chosen so that ≥ 90 % of answered validation images are right"
             + ("" if m["thresholds_met_target"] else " — NOT reachable on validation; the most accurate setting "
                "answering ≥ 10 % is used") + f"). On validation ({m['validation']['images']} images, argmax accuracy "
             f"{pct(m['validation']['accuracy'])}) these answer {m['validation']['answered']}, "
             + (pct(m['validation']['answered_accuracy']) if m['validation']['answered'] else "n/a") + " of them right.")
    s.append(f"- In-scope score: cosine between the raw pooled feature and the nearest class centroid "
             f"(training features); not sure if below {cfg['min_similarity']} (2nd percentile on validation). "
             "Raw rather than standardised features: centring on the training mean removes what all leaf photos "
             "share. (A first run used standardised features: validation cosines lay around 0–0.25, the cut-off "
             "fell at 0.02 and gated almost nothing; that run's non-leaf results were seen before switching, so "
             "the non-leaf check below is not fully independent of this choice.)")
    s.append("")
    s.append("## Split (by source photo, stratified by class)\n")
    rows = [[lab] + [f"{m['split_table'][lab][sd]['groups']} / {m['split_table'][lab][sd]['images']}"
                     for sd in ("train", "validation", "test")] for lab in L]
    s.append(_table(["class", "train groups / images", "validation", "test"], rows))
    s.append("\nThe full assignment is in `eval/split.csv`; the test images are listed in `eval/test.csv` "
             "(same columns as the data manifest, `file` relative to the data folder "
             f"`{m['data_root']}` — pass that folder as the root when evaluating).\n")
    if m["skipped"]:
        s.append("**Skipped unreadable images:** " + ", ".join(f"`{x['file']}`" for x in m["skipped"]) + "\n")
    s.append("## Test split\n")
    s.append(f"Accuracy {pct(t['accuracy'])} ({t['images']} images), macro F1 {t['macro_f1']:.3f}, "
             f"accuracy averaged over source photos {pct(t['group_balanced_accuracy'])}.\n")
    rows = [[lab, f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}", v["support"]]
            for lab, v in t["per_class"].items()]
    s.append(_table(["class", "precision", "recall", "F1", "images"], rows))
    s.append("\nConfusion matrix (rows: true, columns: predicted, argmax without \"not sure\"):\n")
    s.append(_table(["true \\ predicted"] + L, [[L[i]] + row for i, row in enumerate(t["confusion"])]))
    s.append("\nCalibration (15-bin ECE, mean NLL):\n")
    s.append(_table(["", "ECE", "NLL"], [
        ["raw logits (T = 1)", f"{t['ece_raw']:.3f}", f"{t['nll_raw']:.3f}"],
        [f"temperature T = {cfg['temperature']}", f"{t['ece_calibrated']:.3f}", f"{t['nll_calibrated']:.3f}"]]))
    ns = t["not_sure"]
    s.append(f"\n\"Not sure\" with the manifest thresholds: {pct(ns['rate'])} of test images "
             f"({ns['out_of_scope']} out of scope, {ns['low_confidence']} low confidence); "
             f"accuracy of the {ns['answered']} answered: "
             + (pct(ns['answered_accuracy']) if ns['answered'] else "n/a") + ".\n")
    s.append("Per source photo:\n")
    s.append(_table(["source group", "label", "images", "correct (argmax)", "answered", "answered & correct"],
                    [[f"`{g['group']}`", g["label"], g["images"], g["correct"], g["answered"], g["answered_correct"]]
                     for g in t["per_group"]]))
    b = m["baselines"]
    s.append("\n## Baselines on the same test split\n")
    s.append(_table(["model", "accuracy", "macro F1", "per-photo accuracy"], [
        [f"this model (backbone + head)", pct(t["accuracy"]), f"{t['macro_f1']:.3f}", pct(t["group_balanced_accuracy"])],
        [f"majority class ({b['majority']['class']})", pct(b["majority"]["accuracy"]), f"{b['majority']['macro_f1']:.3f}",
         pct(b["majority"]["group_balanced_accuracy"])],
        [f"colour only (λ = {b['colour']['lambda']})", pct(b["colour"]["accuracy"]), f"{b['colour']['macro_f1']:.3f}",
         pct(b["colour"]["group_balanced_accuracy"])]]))
    s.append("\nColour-only: logistic regression (same fitting and weighting) on 9 numbers from a 224×224 copy "
             "of the same centre square: fraction of pixels with excess green ExG = 2g−r−b > 0 (chromatic coordinates), and "
             "mean and standard deviation of CIE L\\*, a\\*, b\\* and hue angle over those pixels (all pixels if < 1 % qualify).\n")
    cv = m["cross_validation"]
    s.append("## Grouped 5-fold cross-validation over all labelled photos (steadier estimate)\n")
    s.append(f"Each fold's head (and its λ, by inner grouped CV) is fitted without that fold's source photos; "
             f"plain features, no augmentation; all {cv['groups']} labelled source photos ({cv['images']} images) "
             "are held out exactly once. This is NOT the shipped model: it estimates how the recipe does on new photos.\n")
    s.append(_table(["model", "mean fold accuracy ± s.d.", "folds", "pooled accuracy", "per-photo accuracy"], [
        ["backbone + head", f"{pct(cv['backbone']['mean'])} ± {pct(cv['backbone']['sd'])}",
         ", ".join(pct(a) for a in cv["backbone"]["folds"]), pct(cv["backbone"]["pooled"]),
         pct(cv["backbone"]["group_balanced"])],
        ["colour only", f"{pct(cv['colour']['mean'])} ± {pct(cv['colour']['sd'])}",
         ", ".join(pct(a) for a in cv["colour"]["folds"]), pct(cv["colour"]["pooled"]),
         pct(cv["colour"]["group_balanced"])]]))
    nl = m["non_leaf"]
    s.append("\n## Non-leaf pictures\n")
    s.append(f"{nl['not_sure']} of {nl['count']} non-leaf pictures ({pct(nl['not_sure_rate'])}) come back \"not sure\" "
             f"from the model alone ({nl['out_of_scope']} by the similarity cut-off, {nl['low_confidence']} by the "
             f"probability/margin thresholds); {nl['count'] - nl['not_sure']} are answered with a {m['head']} class. "
             "Pictures: scikit-image's bundled photos that load offline, and seeded renders made at run time "
             "(nothing is stored). The Rust core runs a leaf-coverage gate (ExG segmentation) before the model, "
             "which rejects many of these before the model sees them; "
             + ("the full-pipeline number, measured with the Rust CLI, is in the subsection below.\n" if pipeline else
                "the full-pipeline number will be measured with the Rust CLI and added separately.\n"))
    s.append(_table(["picture", "similarity", "top class", "p (calibrated)", "margin", "result"],
                    [[r["name"], f"{r['similarity']:.3f}", r["top"], f"{r['probability']:.3f}", f"{r['margin']:.3f}",
                      r["verdict"]] for r in nl["images"]]))
    s.append("\nFor comparison, validation images' similarity: "
             f"min {m['validation']['similarity_min']:.3f}, median {m['validation']['similarity_median']:.3f}.\n")
    if pipeline:
        s += _pipeline_section(m, pipeline)
    u = m.get("unlabelled") or {}
    if u.get("count"):
        s.append("## Unlabelled fresh-leaf photos (data subset B, never trained on)\n")
        s.append(f"What the shipped model says about the {u['count']} unlabelled single-leaf photos (field shots and "
                 "cut-outs on black, green to yellow): these are real leaves the app will see, so the share sent to "
                 "\"not sure (out of scope)\" shows how narrow the in-scope gate is outside this data set's look. "
                 "Their true disease status is unknown, so no accuracy.\n")
        s.append(_table(["result", "photos"], [[k, v] for k, v in u["verdicts"].items()]))
        s.append("")
    s.append("## Reproduce\n")
    s.append(f"```\n{m['command']}\n```\nSee `models/train/README.md`. Same inputs and seed give byte-identical `leaf.onnx` and `leaf.nnef.tar`.\n")
    return "\n".join(s)


def rebuild(out):
    """The REPORT.md text for <out>/eval/metrics.json (+ nonleaf_pipeline.json)."""
    with open(os.path.join(out, "eval", "metrics.json"), encoding="utf-8") as f:
        m = json.load(f)
    # metrics.json has sorted keys; the λ grid reads in numeric order, as train.py writes it.
    cv = m["head_fit"]["cv_nll"]
    m["head_fit"]["cv_nll"] = {k: cv[k] for k in sorted(cv, key=float)}
    return markdown(rounded(m), load_pipeline(out))


def report_only(out):
    """Rewrites <out>/REPORT.md from its eval/ files, without training; returns the text."""
    text = rebuild(out)
    with open(os.path.join(out, "REPORT.md"), "w", encoding="utf-8") as f:
        f.write(text)
    return text


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report-only", metavar="OUT", required=True,
                    help="output folder of a training run (e.g. models/leaf): rebuild its REPORT.md")
    report_only(ap.parse_args().report_only)
    sys.exit(0)
