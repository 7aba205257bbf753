"""The strength score: hand-computed values, channel order, the array form, weights from settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ranking_graphs import DAY, MEDIUM, STRONG, T0, WEAK, email_item, meeting_item, person
from graph.errors import KithError
from graph.knows import deltas, fold
from graph.model import KNOWS_COUNTERS, Category, Knows
from graph.settings import Settings
from graph.strength import (DEFAULT_WEIGHTS, Weights, band, contributions, score_columns, signals,
                            weights_from)

A, B, C, D, E = (person(n) for n in ("ann", "bob", "cat", "dan", "eve"))


def test_hand_computed_score():
    # 2 emails a->b, 1 b->a (all 1:1), b answered once after 24 h; first and last contact at T0.
    k = Knows("a", "b", T0, T0, emails_ab=2, emails_ba=1, email_weight=3, replies_ba=1, reply_hours_ba=24)
    s = signals(k, T0)
    freq = 1 - math.exp(-3 / 12)  # 0.2211992
    assert s.frequency == pytest.approx(freq)
    assert s.reciprocity == pytest.approx(0.5)
    assert s.responsiveness == pytest.approx(1 / 3 * 24 / 48)
    assert s.tenure == 0
    base = 0.45 * freq + 0.2 * 0.5 + 0.15 / 6  # 0.2245396
    assert s.score == pytest.approx(100 * base, abs=1e-4)  # 22.454
    assert s.band == "weak"
    # 90 days later (one half-life) the multiplier is 0.25 + 0.75 x 0.5 = 0.625: 14.03, cold.
    later = signals(k, T0 + 90 * DAY)
    assert later.score == pytest.approx(100 * base * 0.625, abs=1e-4)
    assert later.band == "cold"


def test_edge_kinds_hand_computed():
    def score(kind):
        return signals(Knows("a", "b", last_at=T0, **{"first_at": T0, **kind}), T0).score

    assert score(STRONG) == pytest.approx(100 * (0.45 * (1 - math.exp(-30 / 12)) + 0.2 + 0.2), abs=1e-4)
    assert score(STRONG) == 81.3062
    assert score(MEDIUM) == 37.7061
    assert score(WEAK) == 3.598


def test_bands():
    assert [band(x) for x in (100, 60, 59.9, 35, 15, 14.9, 0)] == ["strong", "strong", "medium", "medium",
                                                                   "weak", "cold", "cold"]


def _frequency(items) -> float:
    edge = fold(items, lambda i: None)[tuple(sorted((A.id, B.id)))]
    return signals(edge, T0).frequency


def test_channel_order_meeting_over_email_over_large_cc():
    meeting = _frequency([meeting_item("m", [A, B], T0)])
    one_to_one = _frequency([email_item("e", A, [B], T0)])
    crowd = _frequency([email_item("c", A, [B, C, D, E], T0)])
    assert meeting > one_to_one > crowd > 0


def test_bulk_and_automated_mail_count_for_nothing():
    for category in (Category.BULK, Category.MAILING_LIST, Category.AUTO_REPLY, Category.NO_REPLY, Category.BOUNCE):
        assert deltas(email_item("b", A, [B], T0, category=category)) == []


def test_reciprocity_needs_both_directions():
    one_way = fold([email_item(f"o{n}", A, [B], T0) for n in range(4)], lambda i: None)
    both = fold([email_item(f"o{n}", A if n % 2 else B, [B if n % 2 else A], T0) for n in range(4)], lambda i: None)
    key = tuple(sorted((A.id, B.id)))
    assert signals(one_way[key], T0).reciprocity == 0
    assert signals(both[key], T0).reciprocity == 1


def test_contributions_sum_to_score():
    s = signals(Knows("a", "b", T0 - 400 * DAY, T0 - 30 * DAY, emails_ab=5, emails_ba=3, email_weight=6,
                      meetings=2, meeting_weight=1.5, replies_ab=2, reply_hours_ab=10), T0)
    points = contributions(s)
    assert sum(points.values()) == pytest.approx(s.score, abs=1e-4)
    assert points["recency"] < 0


counts = st.floats(0, 50, allow_nan=False)
knows = st.builds(
    lambda first, span, c: Knows("a", "b", first, None if first is None else first + span, **c),
    st.one_of(st.none(), st.integers(T0 - 1000 * DAY, T0)),
    st.integers(0, 800 * DAY),
    st.fixed_dictionaries({n: counts for n in KNOWS_COUNTERS}),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(knows, min_size=1, max_size=20), st.integers(T0 - 100 * DAY, T0 + 1000 * DAY))
def test_score_columns_equals_signals(edges, now):
    def num(v):
        return math.nan if v is None else float(v)

    cols = {c: np.array([num(getattr(k, c)) for k in edges]) for c in ("first_at", "last_at", *KNOWS_COUNTERS)}
    got = score_columns(cols, now)
    want = [signals(k, now).score for k in edges]
    assert got.tolist() == pytest.approx(want, abs=1e-3)


interaction = st.tuples(st.sampled_from(["email", "cc", "meeting"]), st.integers(0, 400))


@settings(max_examples=100, deadline=None)
@given(st.lists(interaction, max_size=15), interaction)
def test_extra_interaction_never_lowers_frequency(items, extra):
    def build(spec, n):
        kind, day = spec
        at = T0 - day * DAY
        if kind == "email":
            return email_item(f"x{n}", A, [B], at)
        if kind == "cc":
            return email_item(f"x{n}", B, [A], at, cc=[C, D])
        return meeting_item(f"x{n}", [A, B, C], at)

    before = [build(s, n) for n, s in enumerate(items)]
    after = before + [build(extra, len(items))]
    base = _frequency(before) if before else 0.0
    assert _frequency(after) >= base
    # the frequency points explain() reports rise with it
    assert 100 * DEFAULT_WEIGHTS.frequency * _frequency(after) >= 100 * DEFAULT_WEIGHTS.frequency * base


def test_weights_from_settings():
    w = weights_from(Settings(strength_half_life_days=30, strength_weights={"meeting": 5, "tenure": 0}))
    assert (w.half_life_days, w.meeting, w.tenure, w.email) == (30, 5, 0, 1.0)
    assert weights_from(Settings()) == DEFAULT_WEIGHTS


def test_unknown_weight_is_a_clear_error():
    with pytest.raises(KithError, match="Unknown strength weight meetings.*known weights are"):
        weights_from(Settings(strength_weights={"meetings": 2}))
    with pytest.raises(KithError, match="floor"):
        weights_from(Settings(strength_weights={"floor": 2}))


def test_half_life_halves_recency():
    k = Knows("a", "b", T0, T0, meetings=1, meeting_weight=1)
    assert signals(k, T0 + 30 * DAY, Weights(half_life_days=30)).recency == pytest.approx(0.5)
