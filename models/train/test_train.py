"""Fast checks of the training pipeline that need no data folder (pytest, < 60 s)."""
import hashlib
import json
import os
import pickle
import sys
import tarfile

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import backbone  # noqa: E402
import calibrate  # noqa: E402
import data  # noqa: E402
import features  # noqa: E402
import preprocess as pp  # noqa: E402
import to_nnef  # noqa: E402
import train  # noqa: E402
import weights  # noqa: E402


@pytest.fixture(scope="module")
def sd():
    return weights.load_state_dict(weights.default_weights_path())


def test_unpickler_loads_weights(sd):
    assert sd["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert sd["_conv_stem.weight"].dtype == np.float32
    assert sd["_blocks.15._project_conv.weight"].shape == (320, 1152, 1, 1)
    assert sd["_conv_head.weight"].shape == (1280, 320, 1, 1)
    assert sd["_fc.weight"].shape == (1000, 1280) and sd["_fc.bias"].shape == (1000,)
    assert sd["_bn0.num_batches_tracked"].dtype == np.int64
    # Bytes read at the right offsets: finite, non-negative variances (a few channels are dead,
    # variance exactly 0), and the published parameter count of EfficientNet-Lite0.
    assert all(np.isfinite(v).all() and (v >= 0).all() for k, v in sd.items() if k.endswith("running_var"))
    n = sum(v.size for k, v in sd.items() if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
    assert n == 4652008
    assert len(backbone.block_table()) == 16


def test_unpickler_refuses_other_classes(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.getcwd, ())
    f = tmp_path / "evil.pth"
    with open(f, "wb") as fh:
        for obj in (weights.MAGIC, weights.PROTOCOL, {"little_endian": True}, Evil(), []):
            pickle.dump(obj, fh, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="unexpected class"):
        weights.load_state_dict(str(f))


def test_backbone_recognises_imagenet_photos(sd):
    skd = pytest.importorskip("skimage.data")
    sess = features.session(backbone.imagenet_classifier_model(sd).SerializeToString())
    cat = pp.to_input(pp.centre_square(pp.from_array(skd.chelsea())))
    top = np.argsort(-sess.run(None, {"image": cat})[0][0])[:3]
    assert top[0] in (281, 282, 285), top           # tabby / tiger / Egyptian cat
    cup = pp.to_input(pp.centre_square(pp.from_array(skd.coffee())))
    assert sess.run(None, {"image": cup})[0][0].argmax() in (967, 968, 504)  # espresso / cup / mug


def _square(kind, rng, side=96):
    """Rendered leaf stand-ins: plain green, yellow, or green with brown spots."""
    base = {"green": (60, 140, 50), "yellow": (200, 190, 60), "spotted": (60, 140, 50)}[kind]
    a = np.zeros((side, side + 16, 3)) + base + rng.normal(0, 12, (side, side + 16, 3))
    if kind == "spotted":
        yy, xx = np.mgrid[:side, :side + 16]
        for _ in range(6):
            cy, cx, r = rng.integers(8, side - 8), rng.integers(8, side + 8), rng.integers(4, 9)
            a[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = (110, 70, 30)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaves")
    rng = np.random.default_rng(7)
    for kind in ("green", "yellow", "spotted"):
        (root / kind).mkdir()
        for i in range(6):
            _square(kind, rng).save(root / kind / f"{i}.png")
    (root / "green" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a picture")
    out = tmp_path_factory.mktemp("out")
    manifest = train.main(["--data", str(root), "--out", str(out), "--augs", "1",
                           "--cache", str(tmp_path_factory.mktemp("cache"))])
    return root, out, manifest


def test_folder_trains_end_to_end(trained):
    _, out, manifest = trained
    blob = (out / "leaf.onnx").read_bytes()
    shipped = (out / "leaf.nnef.tar").read_bytes()
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk == manifest
    assert manifest["format"] == 2 and manifest["model_file"] == "leaf.nnef.tar"
    assert manifest["sha256"] == hashlib.sha256(shipped).hexdigest()
    assert manifest["size"] == len(shipped)
    assert manifest["training"]["onnx_sha256"] == hashlib.sha256(blob).hexdigest()
    assert set(manifest) == {"format", "name", "version", "created", "model_file", "size", "sha256",
                             "input", "heads", "in_scope", "training"}
    head = manifest["heads"][0]
    assert [l["id"] for l in head["labels"]] == ["green", "spotted", "yellow"]  # unknown: folder names
    assert head["labels"][0] == {"id": "green", "zh": "green", "en": "green"}
    assert head["output"] == "disease_logits" and head["temperature"] > 0
    assert head["not_sure"]["min_probability"] >= 0.5
    sess = features.session(blob)
    assert [i.name for i in sess.get_inputs()] == ["image"]
    side = manifest["input"]["side"]
    assert side == train.DEFAULT_SIDE
    assert sess.get_inputs()[0].shape == [1, 3, side, side]
    x = np.random.default_rng(3).normal(0, 1, (1, 3, side, side)).astype(np.float32)
    logits, sim = sess.run(None, {"image": x})
    assert logits.shape == (1, 3) and sim.shape == (1, 1)
    # The app's file (tract, NNEF) answers as the ONNX file does in onnxruntime.
    n_logits, n_sim = to_nnef.runner(shipped)(x)
    assert np.abs(n_logits - logits).max() < 1e-4 and np.abs(n_sim - sim).max() < 1e-4
    assert to_nnef.convert(str(out / "leaf.onnx")) == shipped  # deterministic conversion
    for f in ("REPORT.md", "eval/metrics.json", "eval/split.csv", "eval/test.csv"):
        assert (out / f).exists(), f


def test_only_operators_the_app_reads_pass_the_conversion():
    shipped = tarfile.open(os.path.join(os.path.dirname(__file__), "..", "leaf", "leaf.nnef.tar"))
    graph = shipped.extractfile("graph.nnef").read().decode("utf-8")
    to_nnef.check_operators(graph)  # the shipped model: properties fragment and a cast
    head = "version 1.0;\nextension tract_registry tract_core;\n"
    for body, named in [("y = tract_core_erf(x);", "tract_core_erf"),
                        ("y = tract_core_fft(x, axis = 1, inverse = false);", "tract_core_fft"),
                        ("y = sigmoid(conv(x, w, b));", "sigmoid"),
                        ('y = box(x, size = [1, 1, 2, 2], border = "ignore");', "box")]:
        with pytest.raises(SystemExit, match=named):
            to_nnef.check_operators(head + body)
    with pytest.raises(SystemExit, match="tract_resource"):
        to_nnef.check_operators("version 1.0;\nextension tract_registry tract_resource;\n")


def test_corrupt_image_is_skipped_with_a_warning(trained, capsys):
    _, out, _ = trained
    metrics = json.loads((out / "eval" / "metrics.json").read_text(encoding="utf-8"))
    assert [s["file"] for s in metrics["skipped"]] == ["green/broken.png"]
    assert "green/broken.png" in (out / "REPORT.md").read_text(encoding="utf-8")


def test_corrupt_image_fails_with_strict(trained, tmp_path):
    root, _, _ = trained
    with pytest.raises(SystemExit, match="broken.png"):
        train.main(["--data", str(root), "--out", str(tmp_path), "--strict", "--no-cache"])


def test_group_split_keeps_groups_together():
    rng = np.random.default_rng(1)
    rows = []
    for label, n_groups in (("a", 13), ("b", 15), ("c", 25)):
        for g in range(n_groups):
            rows += [(f"{label}{g}", label)] * int(rng.integers(1, 6))
    glab = dict(rows)
    for seed in range(20):
        side = data.split_groups(glab, seed)
        assert set(side) == set(glab)
        for label in "abc":
            sides = [side[g] for g in glab if glab[g] == label]
            assert sides.count("test") >= 2 and sides.count("validation") >= 1 and sides.count("train") >= 1
        # Item level: every copy of a group has its group's side, so one side per group.
        per_group = {}
        for g, _ in rows:
            per_group.setdefault(g, set()).add(side[g])
        assert all(len(s) == 1 for s in per_group.values())
    assert data.split_groups(glab, 3) == data.split_groups(glab, 3)
    assert data.split_groups(glab, 3) != data.split_groups(glab, 4)
    folds = data.grouped_folds(sorted(glab), [glab[g] for g in sorted(glab)], 5, 0)
    assert set(folds) == set(glab) and set(folds.values()) == set(range(5))


def test_split_csv_has_each_group_once(trained):
    _, out, _ = trained
    lines = (out / "eval" / "split.csv").read_text().splitlines()
    assert lines[0] == "group,label,side"
    groups = [l.split(",")[0] for l in lines[1:]]
    assert len(groups) == len(set(groups)) == 18  # 6 per class, broken.png skipped


def test_temperature_fit_recovers_known_temperature():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 2.0, (20000, 3))
    p = calibrate.softmax(z)
    y = np.array([rng.choice(3, p=pi) for pi in p])
    for T in (0.5, 2.5):
        assert abs(calibrate.fit_temperature(z * T, y) - T) / T < 0.05


def test_thresholds_reach_target_when_possible():
    probs = np.array([[0.95, 0.03, 0.02]] * 9 + [[0.55, 0.40, 0.05]] * 3)
    y = np.array([0] * 9 + [1] * 3)  # the confident ones are right, the unsure ones wrong
    pmin, mmin, met = calibrate.choose_thresholds(probs, y)
    assert met and pmin >= 0.5
    answered = (probs.max(1) >= pmin) & (np.sort(probs, 1)[:, -1] - np.sort(probs, 1)[:, -2] >= mmin)
    assert answered.sum() == 9


def test_thresholds_never_rest_on_a_handful_of_answers():
    # Two very confident right answers out of 40; the rest are right 70 % of the time. Reaching
    # 90 % "right when answered" would mean answering 2 images: refused, the setting must
    # answer at least 10 %.
    probs = np.array([[0.99, 0.005, 0.005]] * 2 + [[0.6, 0.3, 0.1]] * 38)
    y = np.array([0] * 2 + [0] * 27 + [1] * 11)
    pmin, mmin, met = calibrate.choose_thresholds(probs, y)
    answered = (probs.max(1) >= pmin) & (np.sort(probs, 1)[:, -1] - np.sort(probs, 1)[:, -2] >= mmin)
    assert not met
    assert answered.sum() >= 4


def test_maturity_head_needs_maturity_classes(trained, tmp_path):
    root, _, _ = trained
    with pytest.raises(SystemExit, match="not maturity classes"):
        train.main(["--data", str(root), "--out", str(tmp_path), "--head", "maturity", "--no-cache"])
    assert [t[0] for t in data.KNOWN_LABELS["maturity"]] == ["unripe", "underripe", "ripe", "overripe"]
    assert [t[0] for t in data.label_table("maturity", ["ripe", "unripe", "overripe"])] == \
        ["unripe", "ripe", "overripe"]
