"""`kith evaluate`: does relationship strength predict who will be in touch next?

The future-interaction protocol, one function (``protocol``) for `kith evaluate`, `--fit` and
bench/evaluate.py. Interactions dated outside a plausible window (before 1990, after tomorrow, and the
1980-01-01 null date, which falls before 1990 anyway) are ignored and counted (``ignored_dates``).
The rest are split at a time T, by default the 80th percentile of their dates (so a few stray dates
cannot drag it). Every pair with evidence before T is scored from that evidence alone (KNOWS edges
recomputed by ``graph.knows.sum_edges`` from the interactions before T, so nothing after T leaks in); a
pair is positive when it interacts again at or after T. Four scorers, in the same run:

- ``model``: ``graph.strength`` as of T with the weights given (the configured ones in the CLI);
- ``recency``: minus the time since the pair's last contact before T;
- ``frequency``: how many times they were in touch before T (emails either way, meetings, calls, notes);
- ``tenure``: time from the pair's first contact to its last before T.

Figures: ROC AUC (rank-based, Mann-Whitney; tied scores share their average rank, so a constant
scorer gets 0.5) with a 95 % bootstrap interval (pairs resampled ``BOOTSTRAP`` times, fixed seed), and
precision@k (ties at the k-th score count their expected share of positives). Pairs that first meet
after T are counted (``new_pairs``) but not scored. With fewer than ``MIN_CLASS`` positives or
negatives an AUC says nothing: ``evaluate`` refuses rather than print one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from kith.graph.errors import KithError
from kith.graph.knows import deltas, sum_edges
from kith.graph.model import Category, Interaction, Knows
from kith.graph.store import Store
from kith.graph.strength import DAY, DEFAULT_WEIGHTS, Weights, columns, score_columns

DEFAULT_QUANTILE = 0.8
DEFAULT_K = 100
EARLIEST = 631_152_000  # 1990-01-01: earlier dates are nulls (1970, 1980-01-01) or clock errors
MIN_CLASS = 10  # positives and negatives each, at least
BOOTSTRAP = 500
SEED = 14


@dataclass(frozen=True, slots=True)
class Figures:
    auc: float | None  # None when the pairs are all positive or all negative
    auc_low: float | None  # 95 % bootstrap interval
    auc_high: float | None
    precision_at_k: float | None

    def as_dict(self) -> dict:
        return {"auc": _round(self.auc), "auc_ci": [_round(self.auc_low), _round(self.auc_high)],
                "precision_at_k": _round(self.precision_at_k)}


@dataclass(frozen=True, slots=True)
class Protocol:
    """The pairs of one history split at T: their edges as of T and whether they were in touch after."""

    split_at: int
    pairs: list[tuple[str, str]]
    edges: list[Knows]
    labels: np.ndarray
    new_pairs: int  # pairs in touch after T with no evidence before
    ignored_dates: int  # interactions dated outside the plausible window

    @property
    def positives(self) -> int:
        return int(self.labels.sum())

    def check(self) -> None:
        """Refuse when too few positives or negatives to say anything."""
        negatives = len(self.labels) - self.positives
        if min(self.positives, negatives) < MIN_CLASS:
            raise KithError(
                f"Too few pairs to evaluate: {len(self.labels)} pairs in touch before the split, {self.positives} "
                f"of them again after and {negatives} not; at least {MIN_CLASS} of each are needed. Ingest more "
                f"history, or move --split-at or --quantile so both sides of the split hold enough.")


@dataclass(frozen=True, slots=True)
class Backtest:
    split_at: int
    pairs: int  # pairs scored (evidence before T)
    positives: int  # of those, pairs in touch again at or after T
    new_pairs: int
    ignored_dates: int
    k: int
    model: Figures
    baselines: dict[str, Figures]  # recency, frequency, tenure

    def as_dict(self) -> dict:
        return {
            "split_at": self.split_at, "pairs": self.pairs, "positives": self.positives,
            "new_pairs": self.new_pairs, "ignored_dates": self.ignored_dates, "k": self.k, **self.model.as_dict(),
            "baselines": {name: f.as_dict() for name, f in self.baselines.items()},
        }


def evaluate(store: Store, *, split_at: int | None = None, quantile: float = DEFAULT_QUANTILE, k: int = DEFAULT_K,
             weights: Weights = DEFAULT_WEIGHTS, now: int | None = None) -> Backtest:
    """Backtest the strength model on everything the store holds (see the module docstring)."""
    found = protocol(load_interactions(store).values(), split_at=split_at, quantile=quantile, now=now)
    return backtest(found, k=k, weights=weights)


def load_interactions(store: Store, before: int | None = None) -> dict[str, Interaction]:
    """Every interaction the store holds (dated before ``before`` when given), by id. The store
    interface lists interactions per person, so this reads each person's, colleagues first."""
    people = sorted(store.iter_people(), key=lambda p: (not p.is_internal, p.id))
    found: dict[str, Interaction] = {}
    for p in people:
        for item in store.interactions_of(p.id, before=before):
            found.setdefault(item.id, item)
    return found


def edges_as_of(items: Iterable[Interaction], as_of: int) -> dict[tuple[str, str], Knows]:
    """The KNOWS edges of the interactions dated before ``as_of`` (replies only to earlier parents)."""
    before = {i.id: i for i in items if i.occurred_at is not None and i.occurred_at < as_of}
    return sum_edges(before.values(), lambda item: before.get(item.parent_id) if item.parent_id else None)


def protocol(items: Iterable[Interaction], *, split_at: int | None = None, quantile: float = DEFAULT_QUANTILE,
             until: int | None = None, now: int | None = None) -> Protocol:
    """Split the dated personal interactions and label the pairs (see the module docstring); with
    ``until``, only interactions before it are looked at (the split's quantile is of those too)."""
    latest = (int(time.time()) if now is None else now) + DAY  # tomorrow
    dated = [i for i in items if i.occurred_at is not None and i.category == Category.PERSONAL]
    kept = [i for i in dated if EARLIEST <= i.occurred_at <= latest and (until is None or i.occurred_at < until)]
    if not kept:
        raise KithError("Nothing to evaluate: the store holds no dated personal interactions"
                        + (f" between 1990 and tomorrow ({len(dated)} dated outside)" if dated else "")
                        + ". Ingest some mail first.")
    if split_at is None:
        if not 0 < quantile < 1:
            raise KithError(f"The split quantile must be between 0 and 1 (got {quantile}).")
        split_at = int(np.quantile(np.array([i.occurred_at for i in kept], dtype=float), quantile))
    edges = edges_as_of(kept, split_at)
    if not edges:
        raise KithError("Nothing to evaluate: no pair was in touch before the split. Choose a later --split-at.")
    after = {(d.a, d.b) for i in kept if i.occurred_at >= split_at for d in deltas(i)}
    pairs = sorted(edges)
    labels = np.array([p in after for p in pairs], dtype=bool)
    return Protocol(split_at, pairs, [edges[p] for p in pairs], labels, len(after - edges.keys()),
                    len(dated) - len(kept))


def backtest(found: Protocol, *, k: int = DEFAULT_K, weights: Weights = DEFAULT_WEIGHTS) -> Backtest:
    """The model and the three single-signal baselines on one split, each with its interval."""
    if k < 1:
        raise KithError(f"--k must be at least 1 (got {k}).")
    found.check()
    cols = columns(found.edges)
    scorers = {"model": score_columns(cols, found.split_at, weights), **baselines(cols, found.split_at)}
    figures = figures_of(scorers, found.labels, k)
    return Backtest(found.split_at, len(found.pairs), found.positives, found.new_pairs, found.ignored_dates, k,
                    figures.pop("model"), figures)


def baselines(cols: dict[str, np.ndarray], split_at: int) -> dict[str, np.ndarray]:
    """The single-signal scorers, from ``graph.strength.columns`` of the edges as of the split."""
    return {
        "recency": -(split_at - cols["last_at"]) / DAY,
        "frequency": cols["emails_ab"] + cols["emails_ba"] + cols["meetings"] + cols["calls"] + cols["notes"],
        "tenure": (cols["last_at"] - cols["first_at"]) / DAY,
    }


def figures_of(scorers: dict[str, np.ndarray], labels: np.ndarray, k: int) -> dict[str, Figures]:
    """AUC with its bootstrap interval and P@k for each scorer; every scorer sees the same resamples."""
    out = {}
    for name, s in scorers.items():
        s = np.nan_to_num(np.asarray(s, dtype=float))
        low, high = interval(bootstrap_aucs(s, labels))
        out[name] = Figures(roc_auc(s, labels), low, high, precision_at_k(s, labels, k))
    return out


def bootstrap_aucs(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The AUC over ``BOOTSTRAP`` resamples of the pairs (NaN where one lacks a class), seeded: every
    scorer sees the same resamples, so two scorers' arrays can be subtracted for a paired interval.
    One sort, then each resample is counts per distinct score: O(n)."""
    y = np.asarray(labels, dtype=bool)
    _, inverse = np.unique(np.nan_to_num(np.asarray(scores, dtype=float)), return_inverse=True)
    rng = np.random.default_rng(SEED)
    found = np.full(BOOTSTRAP, np.nan)
    for n in range(BOOTSTRAP):
        times = np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y))
        pos = np.bincount(inverse, weights=times * y)
        neg = np.bincount(inverse, weights=times * ~y)
        p, q = pos.sum(), neg.sum()
        if p and q:
            below = np.cumsum(neg) - neg
            found[n] = (pos * (below + neg / 2)).sum() / (p * q)
    return found


def interval(samples: np.ndarray) -> tuple[float | None, float | None]:
    """The 95 % interval of bootstrap samples (None when there are none)."""
    kept = samples[~np.isnan(samples)]
    if not len(kept):
        return None, None
    low, high = np.percentile(kept, [2.5, 97.5])
    return float(low), float(high)


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """The probability that a random positive outscores a random negative (ties count half)."""
    from sklearn.metrics import roc_auc_score  # heavy: only `kith evaluate` needs it

    y = np.asarray(labels, dtype=bool)
    if y.all() or not y.any():
        return None
    return float(roc_auc_score(y, np.asarray(scores, dtype=float)))


def precision_at_k(scores: Sequence[float], labels: Sequence[bool], k: int) -> float | None:
    """The share of positives among the k best scored, a tie at the k-th score counted in expectation."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    k = min(k, len(s))
    if k < 1:
        return None
    kth = np.sort(s)[::-1][k - 1]
    above, tied = s > kth, s == kth
    slots = k - int(above.sum())
    hits = float(y[above].sum()) + float(y[tied].sum()) * slots / int(tied.sum())
    return hits / k


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
