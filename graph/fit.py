"""Fit the strength weights to history: a regularised logistic regression on the future-interaction
protocol (graph.evaluate), from scikit-learn, imported here only (it is heavy).

The features are ``graph.strength``'s signals as of each split T; the label is whether the pair was in
touch after T. Weights stay >= 0 (a signal that measures as harmful is dropped and the rest refitted,
so it contributes nothing rather than a penalty). Several histories (bench: several networks) each
get their own intercept, since how many pairs talk again depends on the window, not on the pair; each
history and each class within it weighs the same (the fit serves ranking), and the intercept is put
back on each history's own odds of talking again, then averaged. The group-size rule (applied on
top) and the channel weights are not fitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from kith.graph.evaluate import DEFAULT_QUANTILE, Backtest, Protocol, backtest, protocol
from kith.graph.model import Interaction
from kith.graph.strength import DEFAULT_WEIGHTS, FITTED, Weights, columns, signal_columns

C = 1.0  # inverse L2 strength (scikit-learn's C), on signals of order 1
FIT_SHARE = 0.75  # `--fit` fits at this share of the evaluation split's quantile (0.6 for 0.8)


@dataclass(frozen=True, slots=True)
class Fitted:
    weights: Weights
    fit_split_at: int  # fitted on pairs before this, labelled by contact up to the evaluation split
    before: Backtest  # the weights in use, on the evaluation split
    after: Backtest  # the fitted weights, on the same split: they never saw its labels

    @property
    def better(self) -> bool:
        """Whether the fitted weights rank the held-out window better than the weights in use."""
        return (self.after.model.auc or 0) > (self.before.model.auc or 0)


def fit_and_check(items: Sequence[Interaction], weights: Weights, *, split_at: int | None = None,
                  quantile: float = DEFAULT_QUANTILE, k: int = 100, now: int | None = None) -> Fitted:
    """`kith evaluate --fit`: fit on the past, check on the future. The weights are fitted on an
    earlier split (pairs before it, labelled by contact between it and the evaluation split), then
    both they and the weights in use are scored on the evaluation split, so the after figure is held out."""
    found = protocol(items, split_at=split_at, quantile=quantile, now=now)
    past = protocol(items, quantile=quantile * FIT_SHARE, until=found.split_at, now=now)
    fitted = fit_weights([past], weights)
    return Fitted(fitted, past.split_at, backtest(found, k=k, weights=weights), backtest(found, k=k, weights=fitted))


def fit_weights(histories: Sequence[Protocol], base: Weights = DEFAULT_WEIGHTS) -> Weights:
    """Weights fitted on the histories' pairs, each history weighted equally."""
    from sklearn.linear_model import LogisticRegression

    for h in histories:
        h.check()
    xs = [signal_columns(columns(h.edges), h.split_at, base) for h in histories]
    y = np.concatenate([h.labels for h in histories])
    # each history, and within it positives and negatives, weigh the same: the fit serves ranking (AUC)
    sample = np.concatenate([np.where(h.labels, 1 / h.positives, 1 / (len(h.labels) - h.positives)) for h in histories])
    sample *= len(y) / sample.sum()
    strata = np.zeros((len(y), len(histories)))
    start = 0
    for n, h in enumerate(histories):
        strata[start:start + len(h.labels), n] = 1.0
        start += len(h.labels)
    used = [n for n in FITTED if np.ptp(np.concatenate([x[n] for x in xs])) > 0]
    while True:
        design = np.column_stack([np.concatenate([x[n] for x in xs]) for n in used] + [strata])
        model = LogisticRegression(C=C, fit_intercept=False, max_iter=5000)
        model.fit(design, y, sample_weight=sample)
        coef = model.coef_[0]
        negative = [n for n, c in zip(used, coef) if c < 0]
        if not negative:
            break
        used = [n for n in used if n not in negative]
    weights = dict.fromkeys(FITTED, 0.0) | {n: float(c) for n, c in zip(used, coef)}
    # back from the balanced weighting to each history's own odds of talking again, then their mean
    prior = [np.log(h.positives / (len(h.labels) - h.positives)) for h in histories]
    intercept = float(np.mean(coef[len(used):len(used) + len(histories)] + prior))
    return replace(base, intercept=round(intercept, 4), **{n: round(v, 4) for n, v in weights.items()})
