"""Labelled images and their source groups, from a data-set manifest or a class folder.

Manifest mode: a CSV with columns file,label,source_repo,source_path,source_group,license;
`file` is relative to the CSV's folder; rows labelled `unlabelled` are ignored.
Folder mode: <folder>/<class>/*.jpg|*.jpeg|*.png. Each file is its own group unless
<folder>/groups.csv (columns file,group; file relative to the folder) says which files
are copies or shots of the same original: those always land on the same side of the split.
"""
import csv
import os
from dataclasses import dataclass

import numpy as np

FIELDS = ["file", "label", "source_repo", "source_path", "source_group", "license"]
IMAGE_EXT = (".jpg", ".jpeg", ".png")
UNLABELLED = "unlabelled"

# Canonical label order (= logit order) and names for the heads the app knows.
KNOWN_LABELS = {
    "disease": [
        ("alternaria", "赤星病", "Brown spot (Alternaria)"),
        ("cercospora", "蛙眼病", "Frogeye leaf spot (Cercospora)"),
        ("healthy", "未见病斑", "No spot disease seen"),
    ],
    "maturity": [
        ("unripe", "未熟", "Unripe"),
        ("underripe", "尚熟", "Underripe"),
        ("ripe", "成熟", "Ripe"),
        ("overripe", "过熟", "Overripe"),
    ],
}


@dataclass
class Item:
    path: str      # absolute path, for reading
    row: dict      # the manifest row (file relative to `root`)


@dataclass
class Dataset:
    root: str      # folder that `file` is relative to
    items: list    # labelled, sorted by file
    kind: str      # "manifest" or "folder"
    unlabelled: list = None  # manifest rows labelled `unlabelled`: evaluation only, never trained on


def load(data):
    if os.path.isdir(data):
        return _load_folder(data)
    return _load_manifest(data)


def _load_manifest(path):
    root = os.path.dirname(os.path.abspath(path))
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("file", "label", "source_group") if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{path}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    items = [Item(os.path.join(root, r["file"]), {k: r.get(k, "") for k in FIELDS}) for r in rows]
    items.sort(key=lambda it: it.row["file"])
    return Dataset(root, [it for it in items if it.row["label"] != UNLABELLED], "manifest",
                   [it for it in items if it.row["label"] == UNLABELLED])


def _load_folder(folder):
    root = os.path.abspath(folder)
    groups = {}
    gpath = os.path.join(root, "groups.csv")
    if os.path.exists(gpath):
        with open(gpath, newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                groups[r["file"].replace(os.sep, "/")] = r["group"]
    items = []
    for cls in sorted(os.listdir(root)):
        cdir = os.path.join(root, cls)
        if not os.path.isdir(cdir) or cls.startswith("."):
            continue
        for name in sorted(os.listdir(cdir)):
            if not name.lower().endswith(IMAGE_EXT):
                continue
            rel = f"{cls}/{name}"
            row = {"file": rel, "label": cls, "source_repo": "", "source_path": rel,
                   "source_group": groups.get(rel, rel), "license": ""}
            items.append(Item(os.path.join(cdir, name), row))
    if not items:
        raise SystemExit(f"{folder}: no <class>/*.jpg|*.png images found")
    return Dataset(root, items, "folder")


def label_table(head, present):
    """Label entries (id, zh, en) in logit order for the classes present in the data."""
    known = {t[0]: t for t in KNOWN_LABELS.get(head, [])}
    present = sorted(set(present))
    if known and set(present) <= set(known):
        return [t for t in KNOWN_LABELS[head] if t[0] in present]
    # Unknown class names: folder name for every field, alphabetical order.
    return [known.get(c, (c, c, c)) for c in present]


def split_groups(group_labels, seed, val_frac=0.2, test_frac=0.2):
    """Seeded, class-stratified split of groups into train/validation/test.

    group_labels: {group: label}. Each class gets >= 2 test groups, >= 1 validation group
    and >= 1 training group, otherwise the data set is refused.
    """
    rng = np.random.default_rng(seed)
    side = {}
    for label in sorted(set(group_labels.values())):
        gs = sorted(g for g, l in group_labels.items() if l == label)
        n = len(gs)
        n_test = max(2, int(round(test_frac * n)))
        n_val = max(1, int(round(val_frac * n)))
        if n - n_test - n_val < 1:
            raise SystemExit(f"class {label!r} has {n} source group(s); at least 4 are needed "
                             "(2 test, 1 validation, 1 training)")
        order = [gs[i] for i in rng.permutation(n)]
        for i, g in enumerate(order):
            side[g] = "test" if i < n_test else ("validation" if i < n_test + n_val else "train")
    return side


def group_labels(items):
    """{group: label}; a group whose copies carry different labels is an error."""
    out = {}
    for it in items:
        g, l = it.row["source_group"], it.row["label"]
        if out.setdefault(g, l) != l:
            raise SystemExit(f"source group {g!r} has images labelled {out[g]!r} and {l!r}")
    return out


def grouped_folds(groups, labels, k, seed):
    """Class-stratified grouped k-fold: {group: fold}. groups/labels are parallel lists of
    unique groups and their labels; within each class groups are dealt round-robin."""
    rng = np.random.default_rng(seed)
    fold = {}
    offset = 0
    for label in sorted(set(labels)):
        gs = sorted(g for g, l in zip(groups, labels) if l == label)
        for i, j in enumerate(rng.permutation(len(gs))):
            fold[gs[j]] = (i + offset) % k
        offset += len(gs)  # start the next class where this one stopped, to even fold sizes
    return fold


def write_rows(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)
