"""nonleaf_pipeline.py's parsing and summary, and report.py's pipeline section, without the Rust
binary: canned JSON lines and a fake CLI script."""
import hashlib
import json
import os
import shutil
import stat
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import nonleaf  # noqa: E402
import nonleaf_pipeline as nlp  # noqa: E402
import report  # noqa: E402

LEAF = os.path.join(HERE, "..", "leaf")


def answer(file, verdict, **kw):
    a = {"file": file, "verdict": verdict, "maturity": None, "maturity_source": None, "disease": None,
         "confidence": None, "probabilities": {}, "hints": [], "similarity": None,
         "quality": {"passed": verdict != "retake", "failures": [], "leaf_coverage": 0.5}}
    a.update(kw)
    return json.dumps(a, ensure_ascii=False)


NO_LEAF_HINT = {"zh": "画面里烟叶太少", "en": "Too little leaf in the picture: move closer"}
NOT_SURE_HINT = {"zh": "看不准", "en": "Not sure: photograph a single leaf"}
FILES = ["/tmp/x/00-a.png", "/tmp/x/01-b.png", "/tmp/x/02-c.png", "/tmp/x/03-d.png"]
PICS = [("skimage:a", "scikit-image", "training report"), ("render:b#1", "rendered", "training report"),
        ("render:c#1", "rendered", "training report"), ("render:d#1", "rendered (pipeline only)", "pipeline only")]


def canned():
    return "\n".join([
        answer(FILES[0], "no_leaf", hints=[NO_LEAF_HINT],
               quality={"passed": False, "leaf_coverage": 0.01,
                        "failures": [{"check": "no_leaf", "metric": "leaf_coverage", "threshold": 0.12}]}),
        answer(FILES[1], "not_sure", hints=[NOT_SURE_HINT], disease="healthy", confidence=0.61, similarity=0.25),
        answer(FILES[2], "retake", hints=[{"zh": "太暗", "en": "Too dark"}, NO_LEAF_HINT],
               quality={"passed": False, "leaf_coverage": 0.0,
                        "failures": [{"check": "too_dark"}, {"check": "no_leaf"}]}),
        answer(FILES[3], "ok", maturity="ripe", maturity_source="colour", disease="healthy", confidence=0.93,
               similarity=0.52),
    ]) + "\n"


def test_parse_and_summary():
    answers = nlp.parse_lines(canned(), FILES)
    assert list(answers) == FILES
    doc = nlp.summarise(PICS, FILES, answers)
    t = doc["totals"]
    assert t["count"] == 4
    assert t["verdicts"] == {"ok": 1, "retake": 1, "not_sure": 1, "no_leaf": 1}
    assert t["not_ok"] == 3 and t["not_ok_rate"] == 0.75
    assert t["not_sure_or_no_leaf"] == 2 and t["not_sure_or_no_leaf_rate"] == 0.5
    assert t["with_maturity"] == 1
    assert doc["gate_thresholds"] == {"no_leaf": 0.12}
    assert doc["totals_by_set"]["training report"]["not_ok"] == 3
    assert doc["totals_by_set"]["pipeline only"]["verdicts"]["ok"] == 1
    a, b, c, d = doc["pictures"]
    assert a["name"] == "skimage:a" and a["source"] == "scikit-image"
    assert a["hints"] == [NO_LEAF_HINT["en"]] and a["gate_failures"] == ["no_leaf"]
    assert "similarity" not in a and "disease" not in a and "maturity" not in a  # never reached the model
    assert b["disease"] == "healthy" and b["confidence"] == 0.61 and b["similarity"] == 0.25
    assert c["hints"] == ["Too dark", NO_LEAF_HINT["en"]] and c["gate_failures"] == ["too_dark", "no_leaf"]
    assert d["maturity"] == "ripe" and d["maturity_source"] == "colour" and d["similarity"] == 0.52


def test_blank_lines_are_ignored():
    assert len(nlp.parse_lines("\n" + canned().replace("\n", "\n\n"), FILES)) == 4


@pytest.mark.parametrize("bad, msg", [
    ('{"file": "/tmp/x/00-a.png", "verdict": "no_le', "not valid JSON"),  # truncated line
    ("thread 'main' panicked at cli/src/leaf.rs", "not valid JSON"),
    ('["not", "an", "object"]', "not a JSON object"),
])
def test_malformed_line_fails(bad, msg):
    lines = canned().splitlines()
    lines[1] = bad
    with pytest.raises(nlp.PipelineError, match=msg):
        nlp.parse_lines("\n".join(lines), FILES)


def test_wrong_files_or_verdict_fail():
    lines = canned().splitlines()
    with pytest.raises(nlp.PipelineError, match="no answer for 1 of 4"):
        nlp.parse_lines("\n".join(lines[:3]), FILES)
    with pytest.raises(nlp.PipelineError, match="second time"):
        nlp.parse_lines("\n".join(lines + [lines[0]]), FILES)
    with pytest.raises(nlp.PipelineError, match="not given"):
        nlp.parse_lines("\n".join(lines + [answer("/elsewhere.png", "ok")]), FILES)
    err = json.dumps({"file": FILES[2], "verdict": "error", "error": "cannot decode"})
    with pytest.raises(nlp.PipelineError, match="cannot decode"):
        nlp.parse_lines("\n".join(lines[:2] + [err] + lines[3:]), FILES)


def test_extra_images_are_new_and_seeded():
    a, b = nonleaf.extra_images(7), nonleaf.extra_images(7)
    assert [n for n, _, _ in a] == [n for n, _, _ in b]
    assert all(np.array_equal(x[2], y[2]) for x, y in zip(a, b))
    names = {n for n, _, _ in a}
    assert {"render:hand_closeup#1", "render:hand_on_soil#2", "render:yellow_wall#1"} <= names
    assert not names & {n for n, _, _ in nonleaf.images(7)}


# --- the whole script against a fake CLI --------------------------------------------------

FAKE_CLI = r'''#!{python}
import json, sys
args = sys.argv[1:]
assert args[:3] == ["leaf", "check", "--json"] and args[3] == "--model", args
files = args[5:]
mode = {mode!r}
for i, f in enumerate(files):
    if mode == "malformed" and i == 1:
        print('{{"file": ' + json.dumps(f) + ', "verdict": ')
        continue
    print(json.dumps({{"file": f, "verdict": "no_leaf", "hints": [{{"zh": "少", "en": "Too little leaf"}}],
                      "quality": {{"failures": [{{"check": "no_leaf"}}], "leaf_coverage": 0.02}}}}))
if mode == "fail":
    print("1 of 3 photos could not be checked", file=sys.stderr)
    sys.exit(1)
'''


def fake_cli(tmp_path, mode):
    p = tmp_path / f"yannong-{mode}"
    p.write_text(FAKE_CLI.format(python=sys.executable, mode=mode))
    p.chmod(p.stat().st_mode | stat.S_IXUSR)
    return str(p)


@pytest.fixture
def model_dir(tmp_path, monkeypatch):
    out = tmp_path / "leaf"
    out.mkdir()
    blob = b"not really onnx"
    (out / "leaf.onnx").write_bytes(blob)
    (out / "manifest.json").write_text(json.dumps({
        "name": "fake", "version": 1, "model_file": "leaf.onnx", "sha256": hashlib.sha256(blob).hexdigest(),
        "in_scope": {"output": "similarity", "min_similarity": 0.4}}))
    rng = np.random.default_rng(0)
    monkeypatch.setattr(nlp, "pictures", lambda seed: [
        (f"render:p#{i}", "rendered", "training report", rng.integers(0, 255, (40, 60, 3), dtype=np.uint8))
        for i in range(3)])
    return str(out)


def test_main_writes_json(tmp_path, model_dir):
    doc = nlp.main(["--cli", fake_cli(tmp_path, "ok"), "--out", model_dir, "--seed", "5"])
    with open(os.path.join(model_dir, "eval", "nonleaf_pipeline.json"), encoding="utf-8") as f:
        saved = json.load(f)
    assert saved == json.loads(json.dumps(doc))
    assert saved["totals"]["verdicts"]["no_leaf"] == 3 and saved["totals"]["not_ok_rate"] == 1.0
    assert saved["seed"] == 5 and saved["model"]["name"] == "fake"
    assert [r["name"] for r in saved["pictures"]] == ["render:p#0", "render:p#1", "render:p#2"]
    assert saved["command"].endswith("--seed 5") and "<3 PNG files>" in saved["cli_command"]


@pytest.mark.parametrize("mode, msg", [("fail", "exited with 1"), ("malformed", "not valid JSON")])
def test_main_fails_loudly(tmp_path, model_dir, mode, msg):
    with pytest.raises(nlp.PipelineError, match=msg):
        nlp.main(["--cli", fake_cli(tmp_path, mode), "--out", model_dir, "--seed", "5"])
    assert not os.path.exists(os.path.join(model_dir, "eval", "nonleaf_pipeline.json"))


def test_missing_cli_fails(tmp_path, model_dir):
    with pytest.raises(nlp.PipelineError, match="cannot run"):
        nlp.main(["--cli", str(tmp_path / "no-such-binary"), "--out", model_dir, "--seed", "5"])


# --- report.py ----------------------------------------------------------------------------

needs_model = pytest.mark.skipif(not os.path.exists(os.path.join(LEAF, "eval", "metrics.json")),
                                 reason="no shipped model report")


@needs_model
def test_report_section(tmp_path):
    shutil.copy(os.path.join(LEAF, "eval", "metrics.json"), tmp_path / "metrics.json")
    out = tmp_path / "leaf"
    (out / "eval").mkdir(parents=True)
    shutil.copy(tmp_path / "metrics.json", out / "eval" / "metrics.json")
    without = report.report_only(str(out))
    assert "Full pipeline" not in without and "added separately" in without
    with open(out / "eval" / "metrics.json", encoding="utf-8") as f:
        sha = json.load(f)["sha256"]
    doc = nlp.summarise(PICS, FILES, nlp.parse_lines(canned(), FILES))
    doc.update({"command": "python models/train/nonleaf_pipeline.py --cli target/debug/yannong", "seed": 1,
                "model": {"sha256": sha, "min_similarity": 0.4}})
    (out / "eval" / "nonleaf_pipeline.json").write_text(json.dumps(doc))
    text = report.report_only(str(out))
    sec = text[text.index("### Full pipeline (Rust CLI)"):]
    assert text.index("## Non-leaf pictures") < text.index("### Full pipeline") < text.index("## Reproduce")
    assert "3 of 4 non-leaf pictures (75.0 %)" in sec
    assert "| render:d#1 | extra | 0.500 | — | 0.520 | ok (ripe) | — |" in sec
    assert "| skimage:a | above | 0.010 | no_leaf | — | no_leaf | Too little leaf in the picture: move closer |" in sec
    assert "less than 12.0 % of the picture has leaf colour" in sec
    assert "2 of 4 stopped at the gate (1 of the 1 \"retake\" pictures also failed the coverage check); " \
           "2 reached the model, 1 of them below its similarity cut-off (0.4)" in sec
    assert "Answered \"ok\": render:d#1" in sec and "Stale" not in sec
    assert "nonleaf_pipeline.py --cli target/debug/yannong" in sec
    doc["model"]["sha256"] = "0" * 64
    (out / "eval" / "nonleaf_pipeline.json").write_text(json.dumps(doc))
    assert "**Stale:**" in report.report_only(str(out))


@needs_model
def test_committed_report_is_rebuilt_exactly():
    """REPORT.md is what report.py makes of eval/metrics.json (+ nonleaf_pipeline.json): rerun
    `python models/train/report.py --report-only models/leaf` after training or the pipeline check."""
    with open(os.path.join(LEAF, "REPORT.md"), encoding="utf-8") as f:
        assert f.read() == report.rebuild(LEAF)
