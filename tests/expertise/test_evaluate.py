"""The backtest: AUC and precision@k by hand, the split, and that nothing after T reaches a score."""

from __future__ import annotations

import pytest
from expertise_graphs import DAY, Graph, at

from graph.errors import KithError
from graph.evaluate import backtest, evaluate, load_interactions, precision_at_k, roc_auc


def test_auc_by_hand():
    # positives 0.9 and 0.7 against negatives 0.8 and 0.6: 0.9 beats both, 0.7 beats one -> 3 of 4
    assert roc_auc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]) == 0.75
    # a tie counts half: the positive 1 ties the negative 1 and beats 0 -> (0.5 + 1) / 2
    assert roc_auc([1, 1, 0], [1, 0, 0]) == 0.75
    assert roc_auc([5, 5, 5, 5], [1, 0, 1, 0]) == 0.5
    assert roc_auc([1, 2, 3], [0, 0, 1]) == 1.0 and roc_auc([1, 2, 3], [1, 0, 0]) == 0.0
    assert roc_auc([1, 2], [1, 1]) is None


def test_precision_at_k_counts_a_boundary_tie_in_expectation():
    # the best (positive) is in; one slot left among three tied at 2, one of them positive -> 1/3 expected
    assert precision_at_k([3, 2, 2, 2, 1], [1, 1, 0, 0, 1], 2) == pytest.approx((1 + 1 / 3) / 2)
    assert precision_at_k([3, 2, 1], [1, 0, 1], 1) == 1.0
    assert precision_at_k([3, 2, 1], [1, 0, 1], 10) == pytest.approx(2 / 3)  # k larger than the list


def world(store):
    g = Graph(store)
    g.people("alice", "bob", internal=True)
    g.people("carol", "dave", "erin", "fay")
    g.exchange("ac", "alice", "carol", 100, 0, 11)  # in touch throughout: positive
    g.exchange("ad", "alice", "dave", 100, 60, 6)  # went quiet: negative
    g.email("bf", at(95), "bob", ["fay"])  # once, long ago: negative
    g.email("be", at(5), "bob", ["erin"])  # first contact after the split: a new pair, not scored
    return g


def test_backtest_on_a_small_timeline(store):
    world(store)
    result = evaluate(store, k=1)
    assert result.split_at == at(100) + int(0.8 * 100 * DAY)  # 80 % of the way from the first to the last
    assert (result.pairs, result.positives, result.new_pairs) == (3, 1, 1)
    assert result.model.auc == result.recency.auc == result.frequency.auc == 1.0
    assert result.model.precision_at_k == 1.0
    report = result.as_dict()
    assert set(report) >= {"split_at", "pairs", "positives", "auc", "precision_at_k", "k", "baselines"}
    assert set(report["baselines"]) == {"recency", "frequency"}
    assert set(report["baselines"]["recency"]) == {"auc", "precision_at_k"}


def test_nothing_after_the_split_changes_a_score(store):
    g = world(store)
    split = at(30)
    before = backtest(load_interactions(store).values(), split_at=split)
    g.exchange("late", "alice", "dave", 20, 1, 20)  # dave returns after the split
    g.email("late-bf", at(10), "fay", ["bob"])
    after = backtest(load_interactions(store).values(), split_at=split)
    assert (after.pairs, after.new_pairs) == (before.pairs, before.new_pairs)
    assert after.positives == before.positives + 2  # only the labels moved


def test_an_empty_store_is_a_clear_error(store):
    with pytest.raises(KithError, match="Ingest some mail first"):
        evaluate(store)
    world(store)
    with pytest.raises(KithError, match="later --split-at"):
        evaluate(store, split_at=at(500))
    with pytest.raises(KithError, match="between 0 and 1"):
        evaluate(store, fraction=1.5)
