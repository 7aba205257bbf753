"""Would a candidate signal lift strength's AUC? Each candidate is added to the shipped signals, the
logistic model refitted the way graph.fit fits it, and scored beside the shipped signals in the same run.

    python bench/strength_features.py [--ceiling] [--demo] [words that pick candidates by label]

Sets and protocol as bench/evaluate.py: each SNAP network split at the 80th percentile of its dates,
where every figure is measured, and the weights always fitted before that split (on the pairs before
the 60th percentile, labelled by contact up to the 80th, as `kith evaluate --fit` does). The fit mirrors
graph.fit (one intercept per network, each network and each class within it weighing the same, weights
>= 0 by dropping a negative one and refitting), and the group-size rule goes on top, as in
graph.strength. Prints each candidate's AUC alone, then AUC fitted on all three networks' pasts (the
demo is never fitted on), then held out (fitted on the other two) with the paired 95 % bootstrap
interval of the difference from the shipped signals fitted the same way.

Candidates (issue #14), each 0 without evidence (a "-name" in a candidate drops that shipped signal):
- ``decay_<h>d``: ln(1 + channel-weighted contact volume decayed with half-life h days to the split,
  times the frequency signal's group-size factor): how much contact there was recently.
- ``weeks_<k>``: ln(1 + contact in the last k weeks), same weighting.
- ``exchanges``: ln(1 + messages the quieter direction sent): reciprocity as a count.
- ``share_min``, ``share_max``: the pair's part of each person's decayed (30 d) contact, the smaller
  and the larger of the two.
- ``common``: ln(1 + common neighbours before the split); ``adamic``: Adamic-Adar (sum over common
  neighbours of 1 / ln(degree)).
- ``cc``: ln(1 + messages both received, from a sender writing to at most 50).
- ``sent_7d_min``, ``_max``: ln(1 + messages each of the two sent, decayed with a 7-day half-life).

``--ceiling`` also prints, per set, the AUC of a logistic model on every signal above (shipped and
candidates, group size as a plain signal) fitted on the 80 % split's own labels, 5-fold
cross-validated: about the most these signals give when the weights know the very future they are
scored on, which no shipped weights do.

Measured 2026-11-30 (load average 18 on 2 cores; AUC only, so load does not matter), the shipped
signals fitted so: EU 0.825, DNC 0.820, college 0.790, demo 0.610; held out 0.824 / 0.816 / 0.767.
Ceiling: EU 0.836, DNC 0.829, college 0.789, demo 0.679. A one-off check on EU with a few more
(days since the pair first met, messages each of the two sent and received, all-time and 7-day)
gave 0.838 logistic and 0.835 gradient-boosted, cross-validated the same way: no interaction that
the additive model misses. So EU's 0.85 is out of reach of any weighting of signals derived from who
wrote to whom and when.
No candidate moves held-out AUC by more than +0.003 on EU; decayed counts and last-k-weeks counts
help college (decay_7d +0.007 [+0.006, +0.009]) and cost EU (-0.005 [-0.006, -0.004]); replacing
recency by them costs EU 0.015. Adamic-Adar is the one that never costs outside its interval (held
out EU +0.003 [+0.001, +0.004], DNC +0.002 [-0.000, +0.005], college -0.001 [-0.004, +0.003];
the demo 0.610 -> 0.626), but it needs every edge's common neighbours in the network build.
"""

from __future__ import annotations

import sys
import tempfile
from itertools import combinations
from pathlib import Path

import numpy as np
from evaluate import DEFAULT_QUANTILE, demo_items, snap_histories

from kith.graph.evaluate import Protocol, bootstrap_aucs, interval, protocol, roc_auc
from kith.graph.fit import FIT_SHARE
from kith.graph.knows import deltas
from kith.graph.model import InteractionKind, Role
from kith.graph.strength import DAY, DEFAULT_WEIGHTS as W, FITTED, columns, signal_columns

HALF_LIVES = (7, 30, 180)
WEEKS = (1, 4, 12)
BASE = [n for n in FITTED if n not in ("reciprocity", "responsiveness")]
CANDIDATES = {
    "shipped signals": (),
    **{f"+ decay_{h}d": (f"decay_{h}d",) for h in HALF_LIVES},
    "+ decay 7/30/180": tuple(f"decay_{h}d" for h in HALF_LIVES),
    **{f"+ weeks_{k}": (f"weeks_{k}",) for k in WEEKS},
    "+ exchanges": ("exchanges",),
    "+ share_min, share_max": ("share_min", "share_max"),
    "+ common": ("common",),
    "+ adamic": ("adamic",),
    "+ common, adamic": ("common", "adamic"),
    "+ decay 7/30/180, common": (*(f"decay_{h}d" for h in HALF_LIVES), "common"),
    "+ decay 7/30/180, adamic, share": (*(f"decay_{h}d" for h in HALF_LIVES), "adamic", "share_min", "share_max"),
    "+ weeks_1, adamic": ("weeks_1", "adamic"),
    "+ cc": ("cc",),
    "+ sent_7d": ("sent_7d_min", "sent_7d_max"),
    "decay_7d for recency": ("decay_7d", "-recency"),
    "decay 7/30/180 for recency, frequency": (*(f"decay_{h}d" for h in HALF_LIVES), "-recency", "-frequency"),
    "weeks_1, weeks_4 for recency": ("weeks_1", "weeks_4", "-recency"),
}


def contact_rows(items: list) -> tuple[np.ndarray, list[tuple[str, str]], np.ndarray, list]:
    """Every pair contact: its time, pair and channel-weighted volume (one row per delta); and the items."""
    times, pairs, volumes = [], [], []
    for item in items:
        if item.occurred_at is None:
            continue
        for d in deltas(item):
            times.append(item.occurred_at)
            pairs.append((d.a, d.b))
            volumes.append((d.emails_ab + d.emails_ba) * W.email + d.meetings * W.meeting + d.calls * W.call
                           + d.notes * W.note)
    return np.array(times, dtype=float), pairs, np.array(volumes), items


def features(rows: tuple, found: Protocol) -> dict[str, np.ndarray]:
    """The shipped signals of the protocol's pairs as of its split, and the candidates."""
    t, index = found.split_at, {pair: n for n, pair in enumerate(found.pairs)}
    times, pairs, volumes, items = rows
    before = times < t
    at = np.array([index.get(p, -1) for p in pairs])[before]
    ago, vol = (t - times[before]) / DAY, volumes[before]
    assert (at >= 0).all()
    cols = columns(found.edges)
    x = signal_columns(cols, t, W)
    raw = ((cols["emails_ab"] + cols["emails_ba"]) * W.email + cols["meetings"] * W.meeting
           + cols["calls"] * W.call + cols["notes"] * W.note)
    crowd = np.expm1(x["frequency"]) / np.maximum(raw, 1e-12)
    n = len(found.pairs)
    for h in HALF_LIVES:
        x[f"decay_{h}d"] = np.log1p(np.bincount(at, vol * 2 ** (-ago / h), n) * crowd)
    for k in WEEKS:
        x[f"weeks_{k}"] = np.log1p(np.bincount(at, vol * (ago < 7 * k), n) * crowd)
    x["exchanges"] = np.log1p(np.minimum(cols["emails_ab"], cols["emails_ba"]) + cols["meetings"] + cols["calls"])
    # people: decayed contact per person, neighbours
    people: dict[str, int] = {}
    a = np.array([people.setdefault(p[0], len(people)) for p in found.pairs])
    b = np.array([people.setdefault(p[1], len(people)) for p in found.pairs])
    pair30 = np.bincount(at, vol * 2 ** (-ago / 30), n) * crowd
    person30 = np.bincount(a, pair30, len(people)) + np.bincount(b, pair30, len(people))
    with np.errstate(invalid="ignore", divide="ignore"):
        sa, sb = (np.nan_to_num(pair30 / person30[side]) for side in (a, b))
    x["share_min"], x["share_max"] = np.minimum(sa, sb), np.maximum(sa, sb)
    neighbours = [set() for _ in people]
    for i, j in zip(a, b):
        neighbours[i].add(j)
        neighbours[j].add(i)
    degree = np.array([len(s) for s in neighbours])
    common, adamic = np.zeros(n), np.zeros(n)
    for e, (i, j) in enumerate(zip(a, b)):
        shared = neighbours[i] & neighbours[j]
        common[e] = len(shared)
        adamic[e] = sum(1 / np.log(degree[s]) for s in shared)  # a common neighbour has degree >= 2
    x["common"], x["adamic"] = np.log1p(common), adamic
    cc, sent = np.zeros(n), np.zeros(len(people))
    for item in items:
        if item.occurred_at is None or item.occurred_at >= t:
            continue
        senders, recipients = item.people(Role.FROM)[:1], sorted(set(item.people(Role.TO, Role.CC, Role.BCC)))
        if item.kind != InteractionKind.EMAIL or not senders:
            continue
        if senders[0] in people:
            sent[people[senders[0]]] += 2 ** ((item.occurred_at - t) / DAY / 7)
        if 1 < len(recipients) <= 50:
            for u, v in combinations(recipients, 2):
                if (e := index.get((u, v))) is not None:
                    cc[e] += 1
    x["cc"] = np.log1p(cc)
    x["sent_7d_min"], x["sent_7d_max"] = np.log1p(np.minimum(sent[a], sent[b])), np.log1p(np.maximum(sent[a], sent[b]))
    return x


def ceiling(found: Protocol, x: dict[str, np.ndarray]) -> float:
    """AUC of a logistic model on every signal, fitted on the split's own labels (5-fold cross-validated)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    design = np.column_stack([v for n, v in x.items() if n != "evidence"])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    return roc_auc(cross_val_predict(model, design, found.labels, cv=5, method="predict_proba")[:, 1], found.labels)


def fit(sets: list[tuple[Protocol, dict]], names: list[str]) -> tuple[float, dict[str, float]]:
    """Intercept and weights, fitted as graph.fit fits them (see the module docstring)."""
    from sklearn.linear_model import LogisticRegression

    y = np.concatenate([f.labels for f, _ in sets])
    sample = np.concatenate([np.where(f.labels, 1 / f.positives, 1 / (len(f.labels) - f.positives)) for f, _ in sets])
    strata = np.zeros((len(y), len(sets)))
    bounds = np.cumsum([0] + [len(f.labels) for f, _ in sets])
    for n in range(len(sets)):
        strata[bounds[n]:bounds[n + 1], n] = 1.0
    used = [n for n in names if np.ptp(np.concatenate([x[n] for _, x in sets])) > 0]
    while True:
        design = np.column_stack([np.concatenate([x[n] for _, x in sets]) for n in used] + [strata])
        coef = LogisticRegression(fit_intercept=False, max_iter=5000).fit(
            design, y, sample_weight=sample * len(y) / sample.sum()).coef_[0]
        if all(c >= 0 for c in coef[:len(used)]):
            break
        used = [n for n, c in zip(used, coef) if c >= 0]
    prior = [np.log(f.positives / (len(f.labels) - f.positives)) for f, _ in sets]
    return float(np.mean(coef[len(used):] + prior)), dict(zip(used, coef[:len(used)]))


def scores(x: dict[str, np.ndarray], intercept: float, weights: dict[str, float]) -> np.ndarray:
    z = intercept + sum(c * x[n] for n, c in weights.items())
    return np.where(x["evidence"], np.exp(-W.group_size * x["group_size"]) / (1 + np.exp(-z)), 0.0)


def main() -> None:
    histories = snap_histories()
    if "--demo" in sys.argv:
        with tempfile.TemporaryDirectory(prefix="kith-bench-features-") as folder:
            histories["kith demo firm"] = demo_items(Path(folder))
    sets, past = {}, {}
    for name, items in histories.items():
        rows = contact_rows(items)
        found = protocol(items)
        sets[name] = (found, features(rows, found))
        if name != "kith demo firm":
            before = protocol(items, quantile=DEFAULT_QUANTILE * FIT_SHARE, until=found.split_at)
            past[name] = (before, features(rows, before))
    nets = list(past)
    alone = ("recency", "person_recency", "frequency", "tenure", *(f"decay_{h}d" for h in HALF_LIVES),
             *(f"weeks_{k}" for k in WEEKS), "exchanges", "share_min", "share_max", "common", "adamic", "cc",
             "sent_7d_min")
    print("AUC of each signal alone:")
    for name, (found, x) in sets.items():
        print(f"  {name:<18}" + ", ".join(f"{n} {roc_auc(x[n], found.labels):.3f}" for n in alone))
    if "--ceiling" in sys.argv:
        print("\nceiling: every signal, weights fitted on the 80 % split's own labels (5-fold cross-validated)")
        for name, (found, x) in sets.items():
            print(f"  {name:<18}{ceiling(found, x):.3f}", flush=True)
    width = 40
    print(f"\n{'signals':<{width}}" + "".join(f"{n[:12]:>13}" for n in sets) + "   (fitted on the networks' pasts)")
    held = {}
    picked = [a for a in sys.argv[1:] if not a.startswith("--")]  # candidates whose label holds one of these
    for label, extra in CANDIDATES.items():
        if picked and label != "shipped signals" and not any(p in label for p in picked):
            continue
        names = [n for n in (*BASE, *extra) if not n.startswith("-") and f"-{n}" not in extra]
        intercept, weights = fit([past[n] for n in nets], names)
        print(f"{label:<{width}}" + "".join(f"{roc_auc(scores(x, intercept, weights), f.labels):>13.3f}"
                                            for f, x in sets.values())
              + "   " + ", ".join(f"{n} {c:.3f}" for n, c in weights.items()), flush=True)
        held[label] = {n: scores(sets[n][1], *fit([past[m] for m in nets if m != n], names)) for n in nets}
    print("\nheld out (fitted on the other two networks' pasts): AUC, and minus the shipped signals [paired 95 %]")
    print(f"{'signals':<{width}}" + "".join(f"{n[:12]:>31}" for n in nets))
    for label, by_net in held.items():
        cells = []
        for n, s in by_net.items():
            y, shipped = sets[n][0].labels, held["shipped signals"][n]
            low, high = interval(bootstrap_aucs(s, y) - bootstrap_aucs(shipped, y))
            cells.append(f"{roc_auc(s, y):.3f} {roc_auc(s, y) - roc_auc(shipped, y):+.3f} [{low:+.3f},{high:+.3f}]")
        print(f"{label:<{width}}" + "".join(f"{c:>31}" for c in cells))


if __name__ == "__main__":
    main()
