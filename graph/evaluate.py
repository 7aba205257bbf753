"""`kith evaluate`: does relationship strength predict who will be in touch next?

A backtest. Interactions are split at a time T (by default 80 % of the way from the first dated
interaction to the last). Every pair with evidence before T is scored from that evidence alone (KNOWS
edges recomputed by ``graph.knows.fold`` from the interactions before T, so nothing after T leaks in);
a pair is positive when it interacts again at or after T. Three scorers, in the same run:

- ``model``: ``graph.strength.score`` of the pair's edge as of T;
- ``recency``: 1 / (1 + days since the pair's last contact before T);
- ``frequency``: how many times they were in touch before T (emails either way, meetings, calls, notes).

Figures: ROC AUC (rank-based, Mann-Whitney; tied scores share their average rank, so a constant
scorer gets 0.5) and precision@k (ties at the k-th score count their expected share of positives, so
ordering within a tie cannot flatter a scorer). Pairs that first meet after T are counted
(``new_pairs``) but not scored: nothing before T can rank them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from graph.errors import KithError
from graph.knows import deltas, fold
from graph.model import Category, Interaction, Knows
from graph.store import Store
from graph.strength import DAY, DEFAULT_WEIGHTS, Weights, score

DEFAULT_FRACTION = 0.8
DEFAULT_K = 100


@dataclass(frozen=True, slots=True)
class Figures:
    auc: float | None  # None when the pairs are all positive or all negative
    precision_at_k: float | None

    def as_dict(self) -> dict:
        return {"auc": _round(self.auc), "precision_at_k": _round(self.precision_at_k)}


@dataclass(frozen=True, slots=True)
class Backtest:
    split_at: int
    pairs: int  # pairs scored (evidence before T)
    positives: int  # of those, pairs in touch again at or after T
    new_pairs: int  # pairs in touch after T with no evidence before
    k: int
    model: Figures
    recency: Figures
    frequency: Figures

    def as_dict(self) -> dict:
        return {
            "split_at": self.split_at, "pairs": self.pairs, "positives": self.positives,
            "new_pairs": self.new_pairs, "k": self.k, **self.model.as_dict(),
            "baselines": {"recency": self.recency.as_dict(), "frequency": self.frequency.as_dict()},
        }


def evaluate(store: Store, *, split_at: int | None = None, fraction: float = DEFAULT_FRACTION, k: int = DEFAULT_K,
             weights: Weights = DEFAULT_WEIGHTS) -> Backtest:
    """Backtest the strength model on everything the store holds (see the module docstring)."""
    return backtest(load_interactions(store).values(), split_at=split_at, fraction=fraction, k=k, weights=weights)


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
    return fold(before.values(), lambda item: before.get(item.parent_id) if item.parent_id else None)


def backtest(items: Iterable[Interaction], *, split_at: int | None = None, fraction: float = DEFAULT_FRACTION,
             k: int = DEFAULT_K, weights: Weights = DEFAULT_WEIGHTS) -> Backtest:
    dated = [i for i in items if i.occurred_at is not None and i.category == Category.PERSONAL]
    if not dated:
        raise KithError("Nothing to evaluate: the store holds no dated personal interactions. Ingest some mail first.")
    if k < 1:
        raise KithError(f"--k must be at least 1 (got {k}).")
    if split_at is None:
        if not 0 < fraction < 1:
            raise KithError(f"The split fraction must be between 0 and 1 (got {fraction}).")
        first, last = min(i.occurred_at for i in dated), max(i.occurred_at for i in dated)
        split_at = int(first + fraction * (last - first))
    edges = edges_as_of(dated, split_at)
    after = {(d.a, d.b) for i in dated if i.occurred_at >= split_at for d in deltas(i)}
    if not edges:
        raise KithError("Nothing to evaluate: no pair was in touch before the split. Choose a later --split-at.")
    pairs = sorted(edges)
    labels = np.array([p in after for p in pairs], dtype=bool)
    model = np.array([score(edges[p], split_at, weights) for p in pairs])
    recency = np.array([1.0 / (1.0 + max(0, split_at - edges[p].last_at) / DAY) for p in pairs])
    frequency = np.array([_touches(edges[p]) for p in pairs])
    return Backtest(
        split_at=split_at, pairs=len(pairs), positives=int(labels.sum()), new_pairs=len(after - set(edges)), k=k,
        model=_figures(model, labels, k), recency=_figures(recency, labels, k),
        frequency=_figures(frequency, labels, k),
    )


def _touches(e: Knows) -> float:
    return e.emails_ab + e.emails_ba + e.meetings + e.calls + e.notes


def _figures(scores: np.ndarray, labels: np.ndarray, k: int) -> Figures:
    return Figures(roc_auc(scores, labels), precision_at_k(scores, labels, k))


def roc_auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """The probability that a random positive outscores a random negative (ties count half)."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=bool)
    pos = int(y.sum())
    neg = len(y) - pos
    if not pos or not neg:
        return None
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2  # 1-based rank, averaged over a tie
    ranks = average_rank[inverse]
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


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
