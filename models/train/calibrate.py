"""Temperature scaling, "not sure" thresholds and calibration metrics."""
import math

import numpy as np

from head import log_softmax


def softmax(z):
    return np.exp(log_softmax(np.asarray(z, np.float64)))


def nll(logits, y, T=1.0):
    ls = log_softmax(np.asarray(logits, np.float64) / T)
    return float(-ls[np.arange(len(y)), y].mean())


def fit_temperature(logits, y, lo=0.05, hi=20.0, iters=100):
    """T > 0 minimising mean NLL of softmax(logits / T): golden-section search on log T
    (NLL is unimodal in T for fixed logits)."""
    a, b = math.log(lo), math.log(hi)
    r = (math.sqrt(5) - 1) / 2
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = nll(logits, y, math.exp(c)), nll(logits, y, math.exp(d))
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - r * (b - a)
            fc = nll(logits, y, math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + r * (b - a)
            fd = nll(logits, y, math.exp(d))
    return math.exp((a + b) / 2)


def top2(probs):
    s = np.sort(probs, 1)
    return s[:, -1], s[:, -1] - s[:, -2]


def choose_thresholds(probs, y, target=0.9, p_floor=0.5, min_answered=0.1):
    """(min_probability, min_margin, target_met): answer as many cases as possible while the
    answered ones are >= target accurate. Ties: higher accuracy, then the looser thresholds.
    If no setting reaches the target, the most accurate setting (ties: more answered).
    Either way the setting must answer at least `min_answered` of the cases: an accuracy
    measured on a handful of validation images says nothing, and a model that almost never
    answers is no use in the field."""
    top, margin = top2(probs)
    correct = probs.argmax(1) == np.asarray(y)
    best, fallback = None, None
    for pm in np.round(np.arange(p_floor, 1.0, 0.01), 2):
        for mm in np.round(np.arange(0.0, 1.0, 0.02), 2):
            ans = (top >= pm) & (margin >= mm)
            n = int(ans.sum())
            if n < max(1, min_answered * len(y)):
                continue
            acc = correct[ans].mean()
            key = (n, acc, -pm, -mm)
            if acc >= target and (best is None or key > best[0]):
                best = (key, float(pm), float(mm))
            fkey = (acc, n, -pm, -mm)
            if fallback is None or fkey > fallback[0]:
                fallback = (fkey, float(pm), float(mm))
    chosen = best or fallback
    return chosen[1], chosen[2], best is not None


def ece(probs, y, bins=15):
    """Expected calibration error of the top-class probability, equal-width bins."""
    conf = probs.max(1)
    correct = (probs.argmax(1) == np.asarray(y)).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for i in range(bins):
        m = (conf > edges[i]) & (conf <= edges[i + 1]) if i else (conf >= 0) & (conf <= edges[1])
        if m.any():
            total += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(total)
