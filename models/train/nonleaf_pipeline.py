#!/usr/bin/env python3
"""Non-leaf pictures through the whole leaf check (Rust CLI: quality gate, then model).

    cargo build -p yannong-cli
    python models/train/nonleaf_pipeline.py --cli target/debug/yannong

Writes every picture of nonleaf.images(seed) (the set the training report checks against the
model alone) and nonleaf.extra_images(seed) (pipeline-only extras) as PNG into a temporary
directory, runs `yannong leaf check --json` on all of them (default leaf position, the model in
--out), and writes `<out>/eval/nonleaf_pipeline.json`. The PNGs are deleted afterwards: nothing
but the JSON is kept. Then `python models/train/report.py --report-only models/leaf` puts the
numbers into REPORT.md.

Exits non-zero if the CLI fails, prints a line that is not a JSON object, or answers a
different set of files than it was given.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

VERDICTS = ("ok", "retake", "not_sure", "no_leaf")
OUTPUT = os.path.join("eval", "nonleaf_pipeline.json")


class PipelineError(Exception):
    """The CLI's output cannot be trusted; the run must fail."""


def default_seed():
    """The training's default seed (train.py's --seed), so both checks use the same pictures."""
    import train  # heavy imports (onnx): only when no --seed is given
    return train.parse(["--data", "-"]).seed


def pictures(seed):
    """[(name, source, set, uint8 array)]; set is 'training report' or 'pipeline only'."""
    import nonleaf
    out = [(n, s, "training report", a) for n, s, a in nonleaf.images(seed)]
    out += [(n, s, "pipeline only", a) for n, s, a in nonleaf.extra_images(seed)]
    names = [p[0] for p in out]
    if len(set(names)) != len(names):
        raise PipelineError("duplicate picture names")
    return out


def file_name(i, name):
    """A file name for picture i: '07-render_sky_1.png'."""
    safe = "".join(c if c.isalnum() else "_" for c in name).strip("_")
    return f"{i:02d}-{safe}.png"


def write_pngs(pics, folder):
    """Saves each picture as PNG exactly as the training check converts it; returns the paths."""
    import preprocess as pp
    paths = []
    for i, (name, _, _, arr) in enumerate(pics):
        p = os.path.join(folder, file_name(i, name))
        pp.from_array(arr).save(p, format="PNG")
        paths.append(p)
    return paths


def cli_command(cli, model, files):
    return [cli, "leaf", "check", "--json", "--model", model, *files]


def run_cli(cli, model, files):
    """Runs the CLI once on all files; returns its stdout. Raises PipelineError when it fails."""
    try:
        r = subprocess.run(cli_command(cli, model, files), capture_output=True, text=True, check=False)
    except OSError as e:
        raise PipelineError(f"cannot run {cli}: {e}") from e
    if r.returncode != 0:
        raise PipelineError(f"{cli} leaf check exited with {r.returncode}\nstderr:\n{r.stderr.strip()}\n"
                            f"stdout:\n{r.stdout.strip()}")
    return r.stdout


def parse_lines(text, files):
    """The CLI's stdout -> {file: answer}. Every non-empty line must be a JSON object with a known
    verdict, and the files answered must be exactly `files`, each once."""
    answers = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            v = json.loads(line)
        except json.JSONDecodeError as e:
            raise PipelineError(f"line {n} is not valid JSON ({e.msg}): {line[:200]!r}") from e
        if not isinstance(v, dict):
            raise PipelineError(f"line {n} is not a JSON object: {line[:200]!r}")
        f = v.get("file")
        if f not in files:
            raise PipelineError(f"line {n} answers a file that was not given: {f!r}")
        if f in answers:
            raise PipelineError(f"line {n} answers {f} a second time")
        if v.get("verdict") not in VERDICTS:
            raise PipelineError(f"line {n} ({f}): verdict {v.get('verdict')!r}"
                                + (f", error {v['error']!r}" if "error" in v else ""))
        answers[f] = v
    missing = [f for f in files if f not in answers]
    if missing:
        raise PipelineError(f"no answer for {len(missing)} of {len(files)} files, e.g. {missing[0]}")
    return answers


def _en(hints):
    return [h["en"] if isinstance(h, dict) else str(h) for h in hints or []]


def picture_row(name, source, subset, a):
    """One picture's entry in nonleaf_pipeline.json."""
    row = {"name": name, "source": source, "set": subset, "verdict": a["verdict"], "hints": _en(a.get("hints"))}
    if a.get("maturity") is not None:
        row["maturity"] = a["maturity"]
        row["maturity_source"] = a.get("maturity_source")
    if a.get("disease") is not None:
        row["disease"] = a["disease"]
        row["confidence"] = a.get("confidence")
    if a.get("similarity") is not None:
        row["similarity"] = a["similarity"]
    q = a.get("quality") or {}
    if "leaf_coverage" in q:
        row["leaf_coverage"] = q["leaf_coverage"]
    row["gate_failures"] = [f.get("check") for f in q.get("failures") or []]
    return row


def totals(rows):
    n = len(rows)
    per = {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS}
    not_ok = n - per["ok"]
    with_maturity = sum("maturity" in r for r in rows)
    return {"count": n, "verdicts": per, "not_ok": not_ok, "not_ok_rate": round(not_ok / n, 4) if n else 0.0,
            "not_sure_or_no_leaf": per["not_sure"] + per["no_leaf"],
            "not_sure_or_no_leaf_rate": round((per["not_sure"] + per["no_leaf"]) / n, 4) if n else 0.0,
            "with_maturity": with_maturity}


def gate_thresholds(answers):
    """{check: threshold} as the CLI reported them with failures (e.g. no_leaf: 0.12)."""
    out = {}
    for a in answers:
        for f in (a.get("quality") or {}).get("failures") or []:
            if f.get("threshold") is not None:
                out.setdefault(f["check"], f["threshold"])
    return dict(sorted(out.items()))


def summarise(pics, files, answers):
    """pics: [(name, source, set, ...)] in the order of files -> the JSON document's body."""
    rows = [picture_row(p[0], p[1], p[2], answers[f]) for p, f in zip(pics, files)]
    doc = {"totals": totals(rows), "pictures": rows, "gate_thresholds": gate_thresholds(answers.values())}
    for subset in sorted({r["set"] for r in rows}):
        doc.setdefault("totals_by_set", {})[subset] = totals([r for r in rows if r["set"] == subset])
    return doc


def model_info(model_dir):
    with open(os.path.join(model_dir, "manifest.json"), encoding="utf-8") as f:
        m = json.load(f)
    with open(os.path.join(model_dir, m["model_file"]), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    if sha != m["sha256"]:
        raise PipelineError(f"{m['model_file']} does not match its manifest's sha256")
    return {"name": m["name"], "version": m["version"], "sha256": sha,
            "min_similarity": m.get("in_scope", {}).get("min_similarity")}


def _rel(p):
    """Repository-relative when inside the current folder, so no machine path lands in the file."""
    r = os.path.relpath(os.path.abspath(p))
    return (p if r.startswith("..") else r).replace(os.sep, "/")


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", required=True, help="the yannong binary, e.g. target/debug/yannong")
    ap.add_argument("--out", default="models/leaf", help="model folder; the JSON goes to <out>/eval/")
    ap.add_argument("--seed", type=int, default=None, help="picture seed (default: train.py's --seed)")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    seed = args.seed if args.seed is not None else default_seed()
    pics = pictures(seed)
    model = model_info(args.out)
    with tempfile.TemporaryDirectory(prefix="nonleaf-") as tmp:
        paths = write_pngs(pics, tmp)
        answers = parse_lines(run_cli(args.cli, args.out, paths), paths)
    doc = summarise(pics, paths, answers)
    parts = ["python models/train/nonleaf_pipeline.py", f"--cli {_rel(args.cli)}"]
    if args.out != "models/leaf":
        parts.append(f"--out {_rel(args.out)}")
    if args.seed is not None:
        parts.append(f"--seed {args.seed}")
    doc.update({
        "command": " ".join(parts),
        "cli_command": f"{_rel(args.cli)} leaf check --json --model {_rel(args.out)} <{len(paths)} PNG files>",
        "seed": seed,
        "model": model,
        "position": "middle (the CLI's default)",
    })
    out = os.path.join(args.out, OUTPUT)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")
    t = doc["totals"]
    print(f"{t['not_ok']} of {t['count']} non-leaf pictures not answered ({100 * t['not_ok_rate']:.1f} %): "
          + ", ".join(f"{k} {v}" for k, v in t["verdicts"].items()) + f"; wrote {out}")
    for r in doc["pictures"]:
        if r["verdict"] == "ok":
            print(f"  answered: {r['name']} maturity {r.get('maturity')} disease {r.get('disease')} "
                  f"similarity {r.get('similarity')} coverage {r.get('leaf_coverage')}")
    return doc


if __name__ == "__main__":
    try:
        main()
    except PipelineError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
