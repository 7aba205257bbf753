"""The backtest: AUC, its interval and precision@k by hand, the split at a quantile of plausible dates,
nothing after T reaching a score, refusal on too few pairs, and --fit checked on a later window."""

from __future__ import annotations

import pytest

from kith.graph.errors import KithError
from kith.graph.evaluate import (EARLIEST, backtest, bootstrap_aucs, evaluate, interval, load_interactions,
                            precision_at_k, protocol, roc_auc)
from kith.graph.fit import fit_and_check
from kith.graph.strength import DEFAULT_WEIGHTS
from tests.factories import DAY, NOW, at, backtest_world as world

NULL_DATE = 315_532_800  # 1980-01-01, a common null date


def test_auc_by_hand():
    # positives 0.9 and 0.7 against negatives 0.8 and 0.6: 0.9 beats both, 0.7 beats one -> 3 of 4
    assert roc_auc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]) == 0.75
    # a tie counts half: the positive 1 ties the negative 1 and beats 0 -> (0.5 + 1) / 2
    assert roc_auc([1, 1, 0], [1, 0, 0]) == 0.75
    assert roc_auc([5, 5, 5, 5], [1, 0, 1, 0]) == 0.5
    assert roc_auc([1, 2, 3], [0, 0, 1]) == 1.0 and roc_auc([1, 2, 3], [1, 0, 0]) == 0.0
    assert roc_auc([1, 2], [1, 1]) is None


def test_bootstrap_interval_holds_the_auc_and_narrows_with_more_pairs():
    import numpy as np

    rng = np.random.default_rng(1)

    def width(n):
        y = rng.random(n) < 0.3
        s = y + rng.normal(0, 1, n)  # a noisy but real signal
        low, high = interval(bootstrap_aucs(s, y))
        assert low < roc_auc(s, y) < high
        return high - low

    assert width(4000) < width(200) / 3  # about 1 / sqrt(n)
    assert interval(bootstrap_aucs(np.array([1.0, 2.0]), np.array([True, True]))) == (None, None)


def test_precision_at_k_counts_a_boundary_tie_in_expectation():
    # the best (positive) is in; one slot left among three tied at 2, one of them positive -> 1/3 expected
    assert precision_at_k([3, 2, 2, 2, 1], [1, 1, 0, 0, 1], 2) == pytest.approx((1 + 1 / 3) / 2)
    assert precision_at_k([3, 2, 1], [1, 0, 1], 1) == 1.0
    assert precision_at_k([3, 2, 1], [1, 0, 1], 10) == pytest.approx(2 / 3)  # k larger than the list


def test_backtest_reports_every_scorer_with_an_interval(store):
    world(store)
    result = evaluate(store, k=5)
    assert (result.pairs, result.positives, result.new_pairs, result.ignored_dates) == (30, 15, 1, 0)
    assert set(result.baselines) == {"recency", "frequency", "tenure"}
    for f in (result.model, *result.baselines.values()):
        assert f.auc_low <= f.auc <= f.auc_high
    assert result.model.auc > 0.9 and result.model.precision_at_k == 1.0  # the ongoing pairs are the recent ones
    report = result.as_dict()
    assert set(report) >= {"split_at", "pairs", "positives", "ignored_dates", "auc", "auc_ci", "precision_at_k",
                           "baselines"}
    assert set(report["baselines"]["tenure"]) == {"auc", "auc_ci", "precision_at_k"}


def test_split_is_the_quantile_of_plausible_dates_and_1980_is_ignored(store):
    g = world(store)
    items = list(load_interactions(store).values())
    dates = sorted(i.occurred_at for i in items)
    clean = evaluate(store)
    assert dates[int(0.8 * (len(dates) - 1))] <= clean.split_at <= dates[-(len(dates) // 5)]
    # 13 messages at the 1980-01-01 null date, one in 1975 and one next year: ignored and counted
    for n in range(13):
        g.email(f"null{n}", NULL_DATE, "alice", ["c00"])
    g.email("old", EARLIEST - 400 * DAY, "alice", ["c01"])
    g.email("future", NOW + 365 * DAY, "alice", ["c02"])
    dirty = evaluate(store, now=NOW)
    assert dirty.ignored_dates == 15
    assert (dirty.split_at, dirty.pairs, dirty.positives) == (clean.split_at, clean.pairs, clean.positives)


def test_nothing_after_the_split_changes_a_score(store):
    g = world(store)
    split = at(100)
    before = backtest(protocol(load_interactions(store).values(), split_at=split))
    g.exchange("back", "alice", "c01", 20, 1, 20)  # c01 returns after the split
    after = backtest(protocol(load_interactions(store).values(), split_at=split))
    assert (after.pairs, after.new_pairs) == (before.pairs, before.new_pairs)
    assert after.positives == before.positives + 1  # only the labels moved


def test_too_few_pairs_is_refused_with_a_clear_message(store):
    with pytest.raises(KithError, match="Ingest some mail first"):
        evaluate(store)
    world(store, pairs=8)
    with pytest.raises(KithError, match="Too few pairs to evaluate: 8 pairs.*at least 10 of each"):
        evaluate(store)
    with pytest.raises(KithError, match="later --split-at"):
        evaluate(store, split_at=at(500))
    with pytest.raises(KithError, match="between 0 and 1"):
        evaluate(store, quantile=1.5)


def test_fit_learns_on_the_past_and_is_checked_on_the_future(store):
    world(store, pairs=60)
    items = list(load_interactions(store).values())
    found = fit_and_check(items, DEFAULT_WEIGHTS, k=5)
    assert found.fit_split_at < found.after.split_at == found.before.split_at
    assert found.after.pairs == found.before.pairs  # the same pairs, the same labels
    assert found.after.model.auc >= found.before.model.auc - 0.02
    w = found.weights
    assert w.recency > 0 and min(w.frequency, w.reciprocity, w.responsiveness, w.tenure) >= 0
    assert (w.group_size, w.email, w.meeting) == (DEFAULT_WEIGHTS.group_size, 1.0, 3.0)  # rules are not fitted
