"""Backbone features (and colour-baseline features) per image and augmentation, cached.

Augmentation id 0 is the photo as the app sees it. Ids 1..n are seeded variations of the
centre square: crop/zoom 0.8-1.0, horizontal flip, 90-degree rotations, brightness and
contrast within +-10 %. No hue changes: colour is part of the signal (yellowing, brown spots).
Parameters depend only on (seed, image SHA-256, id), so they do not change when files are
added or reordered, and the cache key (SHA-256 + parameters + backbone) stays valid.
"""
import hashlib
import os

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageEnhance

import colour
import preprocess as pp

CACHE_VERSION = "v1"


def session(model_bytes):
    """One thread, sequential: identical floating-point results run after run."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    if hasattr(so, "use_deterministic_compute"):
        so.use_deterministic_compute = True
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def aug_params(seed, sha, aug_id):
    if aug_id == 0:
        return None
    rng = np.random.default_rng([seed, int(sha[:15], 16), aug_id])
    return {
        "zoom": round(float(rng.uniform(0.8, 1.0)), 4),
        "cx": round(float(rng.uniform(0.0, 1.0)), 4),   # where the crop sits in the free space
        "cy": round(float(rng.uniform(0.0, 1.0)), 4),
        "flip": int(rng.integers(0, 2)),
        "rot90": int(rng.integers(0, 4)),
        "bright": round(float(rng.uniform(0.9, 1.1)), 4),
        "contrast": round(float(rng.uniform(0.9, 1.1)), 4),
    }


def augment(square, p):
    if p is None:
        return square
    s = square.size[0]
    c = max(1, int(round(s * p["zoom"])))
    x0, y0 = int(round((s - c) * p["cx"])), int(round((s - c) * p["cy"]))
    im = square.crop((x0, y0, x0 + c, y0 + c))
    if p["flip"]:
        im = im.transpose(Image.FLIP_LEFT_RIGHT)
    if p["rot90"]:
        im = im.rotate(90 * p["rot90"], expand=True)
    im = ImageEnhance.Brightness(im).enhance(p["bright"])
    return ImageEnhance.Contrast(im).enhance(p["contrast"])


class Extractor:
    def __init__(self, backbone_bytes, cache_dir, seed, side=pp.SIDE):
        self.sess = session(backbone_bytes)
        self.seed = seed
        self.side = side
        self.cache_dir = cache_dir
        self.tag = hashlib.sha256(backbone_bytes).hexdigest()[:16] + CACHE_VERSION
        self.hits = self.misses = 0

    def _key(self, sha, p):
        spec = "none" if p is None else ",".join(f"{k}={p[k]}" for k in sorted(p))
        return hashlib.sha256(f"{self.tag}|{sha}|{spec}".encode()).hexdigest()

    def run(self, x):
        return self.sess.run(None, {"image": x})[0][0].astype(np.float32)

    def image_features(self, path, aug_ids):
        """{aug_id: (backbone feature [1280], colour feature [9])}; raises pp.BadImage."""
        sha = file_sha256(path)
        out, todo = {}, []
        for a in aug_ids:
            p = aug_params(self.seed, sha, a)
            key = self._key(sha, p)
            f = os.path.join(self.cache_dir, key[:2], key + ".npz") if self.cache_dir else None
            if f and os.path.exists(f):
                with np.load(f) as z:
                    out[a] = (z["feat"], z["colour"])
                self.hits += 1
            else:
                todo.append((a, p, f))
        if todo:
            square = pp.centre_square(pp.open_rgb(path))
            for a, p, f in todo:
                feat, col = self.square_features(augment(square, p))
                out[a] = (feat, col)
                self.misses += 1
                if f:
                    os.makedirs(os.path.dirname(f), exist_ok=True)
                    tmp = f + ".tmp.npz"
                    np.savez(tmp, feat=feat, colour=col)
                    os.replace(tmp, f)
        return out

    def square_features(self, square):
        x = pp.to_input(square, self.side)
        return self.run(x), colour.colour_features(pp.model_rgb(square))
