"""Multinomial logistic regression in numpy (L-BFGS), with grouped cross-validation for the
L2 weight decay.

Each class gets the same total weight, and within a class each source group gets the same
weight: the data has 4 to 33 augmented copies per original photo, and without this the photos
with many copies would dominate. Features are standardised with the fitting set's mean/std.
"""
from dataclasses import dataclass

import numpy as np

import data as data_mod

LAMBDAS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0, 10.0, 30.0, 100.0)


def balanced_weights(y, groups):
    """Weights summing to 1: equal per class, equal per group within a class."""
    y, groups = np.asarray(y), np.asarray(groups)
    w = np.zeros(len(y))
    classes = np.unique(y)
    for c in classes:
        m = y == c
        gs, counts = np.unique(groups[m], return_counts=True)
        per = dict(zip(gs, counts))
        w[m] = [1.0 / (len(classes) * len(gs) * per[g]) for g in groups[m]]
    return w


def log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def _loss_grad(theta, X, Y, w, lam, d, k):
    W = theta[: d * k].reshape(d, k)
    b = theta[d * k:]
    ls = log_softmax(X @ W + b)
    loss = -(w * (Y * ls).sum(1)).sum() + 0.5 * lam * (W * W).sum()
    R = (np.exp(ls) - Y) * w[:, None]
    gW = X.T @ R + lam * W
    gb = R.sum(0)
    return loss, np.concatenate([gW.ravel(), gb])


def lbfgs(fun, x0, max_iter=500, m=10, gtol=1e-6):
    """Plain L-BFGS with Armijo backtracking; enough for this smooth convex problem."""
    x = x0.copy()
    f, g = fun(x)
    S, Yk = [], []
    for it in range(max_iter):
        if np.abs(g).max() < gtol:
            break
        q = g.copy()
        alphas = []
        for s, yv in reversed(list(zip(S, Yk))):
            a = s @ q / (yv @ s)
            alphas.append(a)
            q -= a * yv
        if S:
            q *= (S[-1] @ Yk[-1]) / (Yk[-1] @ Yk[-1])
        else:
            q /= max(1.0, np.linalg.norm(g))
        for (s, yv), a in zip(zip(S, Yk), reversed(alphas)):
            bta = yv @ q / (yv @ s)
            q += s * (a - bta)
        p = -q
        gp = g @ p
        if gp >= 0:  # not a descent direction: restart from the gradient
            S, Yk = [], []
            p = -g / max(1.0, np.linalg.norm(g))
            gp = g @ p
        t = 1.0
        while True:
            xn = x + t * p
            fn, gn = fun(xn)
            if fn <= f + 1e-4 * t * gp or t < 1e-10:
                break
            t *= 0.5
        s, yv = xn - x, gn - g
        if s @ yv > 1e-12:
            S.append(s)
            Yk.append(yv)
            if len(S) > m:
                S.pop(0)
                Yk.pop(0)
        if f - fn < 1e-12 * max(1.0, abs(f)) and t < 1e-10:
            x, f, g = xn, fn, gn
            break
        x, f, g = xn, fn, gn
    return x


@dataclass
class Head:
    mean: np.ndarray   # [d]
    std: np.ndarray    # [d]
    W: np.ndarray      # [d, k] on standardised features
    b: np.ndarray      # [k]
    lam: float

    def standardise(self, X):
        return (np.asarray(X, np.float64) - self.mean) / self.std

    def logits(self, X):
        return self.standardise(X) @ self.W + self.b


def standardiser(X, w=None):
    X = np.asarray(X, np.float64)
    mean = X.mean(0)
    std = X.std(0)
    # Constant (dead) channels get std 1, near-constant ones a floor, so the folded
    # weights W/std stay well scaled in float32.
    floor = 1e-2 * np.median(std[std > 0]) if np.any(std > 0) else 1.0
    std = np.where(std > 0, np.maximum(std, floor), 1.0)
    return mean, std


def fit(X, y, groups, k, lam, init=None, max_iter=500):
    mean, std = standardiser(X)
    Z = (np.asarray(X, np.float64) - mean) / std
    n, d = Z.shape
    Y = np.eye(k)[np.asarray(y)]
    w = balanced_weights(y, groups)
    x0 = np.zeros(d * k + k) if init is None else init
    theta = lbfgs(lambda t: _loss_grad(t, Z, Y, w, lam, d, k), x0, max_iter=max_iter)
    return Head(mean, std, theta[: d * k].reshape(d, k), theta[d * k:], lam)


def theta_of(h):
    return np.concatenate([h.W.ravel(), h.b])


def weighted_nll(logits, y, groups):
    ls = log_softmax(logits)
    w = balanced_weights(y, groups)
    return float(-(w * ls[np.arange(len(y)), y]).sum())


def choose_lambda(X, y, groups, is_plain, k, seed, lambdas=LAMBDAS, n_folds=5):
    """Grouped, class-stratified CV over the given rows only. Fits on all rows of the other
    folds (augmented copies included), scores the plain (aug 0) rows of the held-out fold by
    balanced NLL. Returns (best lambda, {lambda: mean NLL}, number of folds)."""
    y, groups, is_plain = np.asarray(y), np.asarray(groups), np.asarray(is_plain)
    glab = {}
    for g, l in zip(groups, y):
        glab[g] = l
    ug = sorted(glab)
    per_class = min(sum(1 for g in ug if glab[g] == c) for c in set(glab.values()))
    n_folds = max(2, min(n_folds, per_class))
    fold_of = data_mod.grouped_folds(ug, [glab[g] for g in ug], n_folds, seed)
    fold = np.array([fold_of[g] for g in groups])
    scores = {}
    inits = [None] * n_folds
    for lam in sorted(lambdas, reverse=True):  # warm start from the smoother solution
        tot = 0.0
        for f in range(n_folds):
            tr, te = fold != f, (fold == f) & is_plain
            h = fit(X[tr], y[tr], groups[tr], k, lam, init=inits[f])
            inits[f] = theta_of(h)
            tot += weighted_nll(h.logits(X[te]), y[te], groups[te])
        scores[lam] = tot / n_folds
    best = min(sorted(scores), key=lambda l: (round(scores[l], 6), -l))  # ties: stronger decay
    return best, scores, n_folds


def centroids(X, y, groups, k):
    """Unit-length class centroids of the raw pooled training features (balanced weights).

    Raw, not standardised: centring on the training mean would remove exactly the part all
    leaf photos share, which is what an in-scope score needs (with centred features the
    validation images' cosines were spread around 0.0-0.25 and the 2nd-percentile cut-off fell
    at about 0.02, i.e. no gate at all)."""
    X = np.asarray(X, np.float64)
    w = balanced_weights(y, groups)
    C = np.stack([(w[y == c, None] * X[y == c]).sum(0) / w[y == c].sum() for c in range(k)])
    return C / np.linalg.norm(C, axis=1, keepdims=True)


def similarity(C, X):
    """Cosine between each raw feature and its nearest class centroid."""
    X = np.asarray(X, np.float64)
    X = X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-12)
    return (X @ C.T).max(1)
