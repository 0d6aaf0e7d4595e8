"""Test-split metrics, baselines, grouped cross-validation over all photos, non-leaf and
unlabelled checks. Nothing here feeds back into the shipped model."""
import numpy as np

import calibrate
import data
import head as head_mod
import nonleaf
import preprocess as pp
import report


def log(*a):
    print(*a, flush=True)


def stack(rows):
    return np.stack(rows).astype(np.float64)


def evaluate(args, labels, cfg, met, te_logits, te_sim, te_y, te_g, h, train, val, test, items, feats0, cls,
             glab, run_full):
    K = len(labels)
    tr_X, tr_C, tr_y, tr_g, tr_plain = train
    te_pred = te_logits.argmax(1)
    t = report.classification(te_y, te_pred, labels)
    t["images"] = int(len(te_y))
    t["groups"] = int(len(set(te_g)))
    t["group_balanced_accuracy"] = report.group_balanced_accuracy(te_y, te_pred, te_g)
    t["ece_raw"] = calibrate.ece(calibrate.softmax(te_logits), te_y)
    t["ece_calibrated"] = calibrate.ece(calibrate.softmax(te_logits / cfg["temperature"]), te_y)
    t["nll_raw"] = calibrate.nll(te_logits, te_y)
    t["nll_calibrated"] = calibrate.nll(te_logits, te_y, cfg["temperature"])
    v, _ = report.verdicts(te_logits, te_sim, labels, cfg)
    ans = np.array([x in labels for x in v])
    ok = np.array([x == labels[y] for x, y in zip(v, te_y)])
    t["not_sure"] = {"rate": float(1 - ans.mean()), "answered": int(ans.sum()),
                     "answered_accuracy": float(ok[ans].mean()) if ans.any() else None,
                     "out_of_scope": v.count(report.NOT_SURE_SCOPE), "low_confidence": v.count(report.NOT_SURE_LOW)}
    t["per_group"] = []
    for g in sorted(set(te_g), key=lambda g: (cls[glab[g]], g)):
        m = te_g == g
        t["per_group"].append({"group": g, "label": glab[g], "images": int(m.sum()),
                               "correct": int((te_pred[m] == te_y[m]).sum()), "answered": int(ans[m].sum()),
                               "answered_correct": int(ok[m].sum())})

    # Baselines: majority class of the training images; colour-only logistic regression.
    maj = int(np.bincount(tr_y[tr_plain], minlength=K).argmax())
    mp = np.full(len(te_y), maj)
    b_maj = report.classification(te_y, mp, labels)
    b_maj.update({"class": labels[maj], "group_balanced_accuracy": report.group_balanced_accuracy(te_y, mp, te_g)})
    lam_c, _, _ = head_mod.choose_lambda(tr_C, tr_y, tr_g, tr_plain, K, args.seed)
    hc = head_mod.fit(tr_C, tr_y, tr_g, K, lam_c)
    cp = hc.logits(test[0]).argmax(1)
    b_col = report.classification(te_y, cp, labels)
    b_col.update({"lambda": lam_c, "group_balanced_accuracy": report.group_balanced_accuracy(te_y, cp, te_g)})

    # Grouped 5-fold CV over every labelled group, plain features, lambda by inner CV.
    aX = stack([feats0[id(it)][0] for it in items])
    aC = stack([feats0[id(it)][1] for it in items])
    ay = np.array([cls[it.row["label"]] for it in items])
    ag = np.array([it.row["source_group"] for it in items])
    ug = sorted(glab)
    n_cv = max(2, min(5, min(sum(1 for g in ug if glab[g] == l) for l in labels)))
    fold_of = data.grouped_folds(ug, [glab[g] for g in ug], n_cv, args.seed + 1)
    fold = np.array([fold_of[g] for g in ag])
    allp = np.ones(len(ay), bool)
    cv = {}
    for name, X in (("backbone", aX), ("colour", aC)):
        pred = np.zeros(len(ay), int)
        accs = []
        for f in range(n_cv):
            tr, te = fold != f, fold == f
            lam_f, _, _ = head_mod.choose_lambda(X[tr], ay[tr], ag[tr], allp[tr], K, args.seed, n_folds=4)
            hf = head_mod.fit(X[tr], ay[tr], ag[tr], K, lam_f)
            pred[te] = hf.logits(X[te]).argmax(1)
            accs.append(float((pred[te] == ay[te]).mean()))
        cv[name] = {"folds": accs, "mean": float(np.mean(accs)), "sd": float(np.std(accs, ddof=1)),
                    "pooled": float((pred == ay).mean()),
                    "group_balanced": report.group_balanced_accuracy(ay, pred, ag)}
        log(f"  CV {name}: {np.mean(accs):.3f} ± {np.std(accs, ddof=1):.3f}")
    cv.update({"k": n_cv, "groups": len(ug), "images": int(len(ay))})

    # Non-leaf pictures through the shipped model.
    rows = []
    for name, source, arr in nonleaf.images(args.seed):
        lo, si = run_full(pp.centre_square(pp.from_array(arr)))
        verdict, p = report.verdicts(lo[None], [si], labels, cfg)
        top, margin = calibrate.top2(p)
        rows.append({"name": name, "source": source, "similarity": si, "top": labels[int(p[0].argmax())],
                     "probability": float(top[0]), "margin": float(margin[0]), "verdict": verdict[0]})
    ns = [r for r in rows if r["verdict"] not in labels]
    nl = {"count": len(rows), "not_sure": len(ns), "not_sure_rate": len(ns) / max(1, len(rows)),
          "out_of_scope": sum(r["verdict"] == report.NOT_SURE_SCOPE for r in rows),
          "low_confidence": sum(r["verdict"] == report.NOT_SURE_LOW for r in rows), "images": rows}
    return {"test": t, "baselines": {"majority": b_maj, "colour": b_col}, "cross_validation": cv, "non_leaf": nl}


def unlabelled_check(its, labels, cfg, run_full):
    """Fresh single-leaf photos without labels (data subset B): only what the shipped model
    says about them, above all how many the in-scope gate lets through. Never trained on."""
    counts = {}
    n = 0
    for it in its:
        try:
            lo, si = run_full(pp.centre_square(pp.open_rgb(it.path)))
        except pp.BadImage as e:
            log(f"warning: skipping unreadable unlabelled image: {e}")
            continue
        v, _ = report.verdicts(lo[None], [si], labels, cfg)
        counts[v[0]] = counts.get(v[0], 0) + 1
        n += 1
    return {"count": n, "verdicts": dict(sorted(counts.items()))}


def answered(verdicts, y, labels):
    ans = np.array([v in labels for v in verdicts])
    ok = np.array([v == labels[t] for v, t in zip(verdicts, y)])
    return {"answered": int(ans.sum()), "answered_accuracy": float(ok[ans].mean()) if ans.any() else None}
