"""Would a candidate signal lift strength's AUC? Each candidate is added to the shipped signals, the
logistic model refitted the way graph.fit fits it, and scored beside the shipped signals in the same run.

    python bench/strength_features.py

Sets and protocol as bench/evaluate.py (the three SNAP networks and the demo firm, split at the 80th
percentile of their dates). The fit mirrors graph.fit (one intercept per network, each network and each
class within it weighing the same, weights >= 0 by dropping a negative one and refitting), and the
group-size rule goes on top, as in graph.strength. Prints AUC fitted on all three networks (the demo
is never fitted on), then held out (fitted on the other two) with the paired 95 % bootstrap interval
of the difference from the shipped signals refitted the same way.

Candidates (issue #14):
- ``recent_<h>d``: ln(1 + channel-weighted contact volume decayed with half-life h days to the split,
  times the frequency signal's group-size factor): how much contact there was recently.
- ``recency_days``, ``recency_sqrt``: recency as -days / 365 or -sqrt(days) instead of -ln(1 + days).
(``person_recency``, once a candidate here, is now a shipped signal: graph.strength.)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from evaluate import demo_items, snap_histories

from kith.graph.evaluate import Protocol, bootstrap_aucs, interval, protocol, roc_auc
from kith.graph.knows import deltas
from kith.graph.strength import DAY, DEFAULT_WEIGHTS as W, FITTED, columns, signal_columns

HALF_LIVES = (14, 30, 90, 365)
CANDIDATES = {
    "shipped signals": (),
    **{f"+ recent_{h}d": (f"recent_{h}d",) for h in HALF_LIVES},
    "+ recent_30d, recent_365d": ("recent_30d", "recent_365d"),
    "+ recency_days, _sqrt": ("recency_days", "recency_sqrt"),
}


def features(items: list, found: Protocol) -> dict[str, np.ndarray]:
    """The shipped signals of the protocol's pairs as of its split, and the candidates."""
    t, index = found.split_at, {pair: n for n, pair in enumerate(found.pairs)}
    cols = columns(found.edges)
    x = signal_columns(cols, t, W)
    mass = {h: np.zeros(len(found.pairs)) for h in HALF_LIVES}
    for item in items:
        if item.occurred_at is None or item.occurred_at >= t:
            continue
        for d in deltas(item):
            if (n := index.get((d.a, d.b))) is not None:
                volume = (d.emails_ab + d.emails_ba) * W.email + d.meetings * W.meeting + d.calls * W.call \
                    + d.notes * W.note
                for h in HALF_LIVES:
                    mass[h][n] += volume * 2 ** ((item.occurred_at - t) / DAY / h)
    crowd = np.expm1(x["frequency"]) / np.maximum(
        (cols["emails_ab"] + cols["emails_ba"]) * W.email + cols["meetings"] * W.meeting
        + cols["calls"] * W.call + cols["notes"] * W.note, 1e-12)
    for h in HALF_LIVES:
        x[f"recent_{h}d"] = np.log1p(mass[h] * crowd)
    days = np.expm1(-x["recency"])
    x["recency_days"], x["recency_sqrt"] = -days / 365, -np.sqrt(days)
    return x


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
    with tempfile.TemporaryDirectory(prefix="kith-bench-features-") as folder:
        histories["kith demo firm"] = demo_items(Path(folder))
    sets = {}
    for name, items in histories.items():
        found = protocol(items)
        sets[name] = (found, features(items, found))
    nets = [n for n in sets if n != "kith demo firm"]
    print("AUC of each candidate alone:")
    for name, (found, x) in sets.items():
        alone = (f"{n} {roc_auc(x[n], found.labels):.3f}" for n in ("recency", "frequency", "tenure",
                 "person_recency", *(f"recent_{h}d" for h in HALF_LIVES)))
        print(f"  {name:<18}" + ", ".join(alone))
    width = 28
    print(f"\n{'signals':<{width}}" + "".join(f"{n[:12]:>13}" for n in sets) + "   (fitted on the networks)")
    held = {}
    for label, extra in CANDIDATES.items():
        names = [*FITTED, *extra]
        intercept, weights = fit([sets[n] for n in nets], names)
        print(f"{label:<{width}}" + "".join(f"{roc_auc(scores(x, intercept, weights), f.labels):>13.3f}"
                                            for f, x in sets.values())
              + "   " + ", ".join(f"{n} {c:.3f}" for n, c in weights.items()))
        held[label] = {n: scores(sets[n][1], *fit([sets[m] for m in nets if m != n], names)) for n in nets}
    print("\nheld out (fitted on the other two networks): AUC, and minus the shipped signals [paired 95 %]")
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
