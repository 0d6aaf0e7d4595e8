"""Colour-only baseline features, to show what the backbone adds over simple colour.

On the same 224x224 picture the model sees: pixels with excess green ExG = 2g - r - b > 0
(r, g, b chromatic coordinates, i.e. divided by R+G+B) are taken as plant; if fewer than 1 %
qualify, all pixels are used. Features: the plant fraction, and mean and standard deviation of
CIE L*, a*, b* (D65) and of the hue angle atan2(b*, a*) in degrees over those pixels (9 values).
"""
import numpy as np


def srgb_to_lab(rgb):
    c = rgb.astype(np.float64) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124564, 0.3575761, 0.1804375],
                  [0.2126729, 0.7151522, 0.0721750],
                  [0.0193339, 0.1191920, 0.9503041]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], -1)


def colour_features(rgb):
    px = rgb.reshape(-1, 3).astype(np.float64)
    s = px.sum(1)
    chrom = px / np.maximum(s, 1e-9)[:, None]
    exg = 2 * chrom[:, 1] - chrom[:, 0] - chrom[:, 2]
    mask = (exg > 0) & (s > 0)
    frac = mask.mean()
    sel = px[mask] if mask.mean() >= 0.01 else px
    lab = srgb_to_lab(sel)
    hue = np.degrees(np.arctan2(lab[:, 2], lab[:, 1]))
    v = np.column_stack([lab, hue])
    return np.concatenate([[frac], v.mean(0), v.std(0)]).astype(np.float32)


NAMES = ["plant_fraction", "L_mean", "a_mean", "b_mean", "hue_mean", "L_std", "a_std", "b_std", "hue_std"]
