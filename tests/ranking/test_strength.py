"""The strength score: hand-computed values, the rules (no evidence is no penalty, a single exchange is
not a relationship, a one-to-many sender is weak to each recipient), the array form, exact points,
weights from settings."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from kith.graph.errors import KithError
from kith.graph.knows import deltas, sum_edges
from kith.graph.model import KNOWS_COUNTERS, Category, Knows
from kith.graph.settings import Settings
from kith.graph.strength import (DEFAULT_WEIGHTS, SIGNALS, Weights, band, columns, contributions, score_columns,
                            signals, weights_from)
from tests.factories import DAY, MEDIUM, STRONG, T0, WEAK, email, meeting, named

A, B, C, D, E = (named(n) for n in ("ann", "bob", "cat", "dan", "eve"))
W = DEFAULT_WEIGHTS


def sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_hand_computed_score():
    # 2 emails a->b, 1 b->a (all 1:1), b answered once after 24 h; first contact 10 days before the last.
    k = Knows("a", "b", T0 - 10 * DAY, T0, emails_ab=2, emails_ba=1, email_weight=3, replies_ba=1, reply_hours_ba=24)
    s = signals(k, T0 + 4 * DAY)  # four days after the last contact
    assert s.recency == pytest.approx(-math.log(5))
    assert s.frequency == pytest.approx(math.log(4))  # three emails
    assert s.reciprocity == pytest.approx(1 / (2 + 2))  # smaller side over larger side + 2
    assert s.responsiveness == pytest.approx(1 / 3 * 24 / 48)  # one reply in three, after a day
    assert s.tenure == pytest.approx(math.log(11))
    assert s.group_size == 0
    z = (W.intercept + (W.recency + W.person_recency) * s.recency + W.frequency * s.frequency
         + W.reciprocity * s.reciprocity + W.responsiveness * s.responsiveness + W.tenure * s.tenure)
    assert s.score == pytest.approx(100 * sigmoid(z), abs=1e-4)


def test_edge_kinds_hand_computed():
    def s(kind):
        return signals(Knows("a", "b", last_at=T0, **{"first_at": T0, **kind}), T0)

    strong = s(STRONG)  # ten 1:1 meetings over a year: volume 30, tenure 365 days
    assert strong.score == pytest.approx(
        100 * sigmoid(W.intercept + W.frequency * math.log(31) + W.tenure * math.log(366)
                      + W.reciprocity * 10 / 12), abs=1e-4)
    assert (strong.band, s(MEDIUM).band, s(WEAK).band) == ("strong", "medium", "weak")
    # a month of silence takes one email to cold, and a year takes the strong tie down two bands
    assert signals(Knows("a", "b", T0, T0, **MEDIUM), T0 + 30 * DAY).band == "cold"
    assert signals(Knows("a", "b", last_at=T0, **STRONG), T0 + 365 * DAY).band == "weak"


def test_three_meetings_a_month_ago():
    # the module docstring's cases: three 1:1 meetings (volume 9) a month before, then silence between them
    def three(first_at, active_at=None):
        k = Knows("a", "b", first_at, T0 - 30 * DAY, meetings=3, meeting_weight=3)
        return signals(k, T0, active_at=active_at)

    on_one_day = three(T0 - 30 * DAY)  # and neither has been in touch with anyone since
    z = W.intercept + (W.recency + W.person_recency) * -math.log(31) + W.frequency * math.log(10) \
        + W.reciprocity * 3 / 5
    assert on_one_day.score == pytest.approx(100 * sigmoid(z), abs=1e-4) and on_one_day.band == "weak"
    over_a_month = three(T0 - 60 * DAY)
    assert over_a_month.tenure == pytest.approx(math.log(31)) and over_a_month.band == "medium"
    busy = three(T0 - 60 * DAY, active_at=T0 - DAY)  # both wrote to others yesterday
    assert busy.person_recency == pytest.approx(-math.log(2)) and busy.band == "medium"
    assert busy.score > over_a_month.score > on_one_day.score
    assert three(T0 - 30 * DAY, active_at=T0 - 40 * DAY).person_recency == on_one_day.recency  # never below recency


def test_no_contact_scores_zero():
    s = signals(Knows("a", "b"), T0)
    assert s.score == 0 and s.band == "cold"
    assert all(v == 0 for v in contributions(s).values())


def test_bands():
    assert [band(x) for x in (100, 50, 49.9, 25, 10, 9.9, 0)] == ["strong", "strong", "medium", "medium",
                                                                  "weak", "cold", "cold"]


def _edge(items) -> Knows:
    return sum_edges(items, lambda i: None)[tuple(sorted((A.id, B.id)))]


def _frequency(items) -> float:
    return signals(_edge(items), T0).frequency


def test_channel_order_meeting_over_email_over_a_broadcast():
    met = _frequency([meeting("m", [A, B], T0)])
    one_to_one = _frequency([email("e", A, [B], T0)])
    small_cc = _frequency([email("c", A, [B, C, D, E], T0)])
    crowd = [named(f"r{n}") for n in range(40)]
    broadcast = _frequency([email("b", A, [B, *crowd], T0)])
    assert met > one_to_one == small_cc > broadcast > 0  # a cc of a few is not dampened; 41 people are


def test_a_digest_sender_is_weak_to_each_recipient():
    # Dan sends a daily digest to Ann and 49 others for a year; Ann replied once and Dan answered her.
    crowd = [named(f"r{n}") for n in range(49)]
    days = range(365, 0, -1)
    digest = [email(f"d{n}", D, [A, *crowd], T0 - n * DAY) for n in days]
    replies = [email("reply", A, [D], T0 - 100 * DAY), email("answer", D, [A], T0 - 99 * DAY)]
    edge = sum_edges(digest + replies, lambda i: None)[tuple(sorted((A.id, D.id)))]
    s = signals(edge, T0)
    assert s.band in ("weak", "cold")
    assert contributions(s)["group_size"] < 0
    # the same mail written to Ann alone would be a strong tie; and so is a list both of them write to
    alone = sum_edges([email(f"d{n}", D, [A], T0 - n * DAY) for n in days] + replies, lambda i: None)
    assert signals(alone[tuple(sorted((A.id, D.id)))], T0).band == "strong"
    both = sum_edges([email(f"d{n}", D if n % 2 else A, [A if n % 2 else D, *crowd], T0 - n * DAY) for n in days],
                lambda i: None)
    shared = signals(both[tuple(sorted((A.id, D.id)))], T0)
    assert shared.group_size < 0.01 and shared.band == "strong"


def test_bulk_and_automated_mail_count_for_nothing():
    for category in (Category.BULK, Category.MAILING_LIST, Category.AUTO_REPLY, Category.NO_REPLY, Category.BOUNCE):
        assert deltas(email("b", A, [B], T0, category=category)) == []


def test_reciprocity_needs_more_than_one_exchange():
    def recip(ab, ba):
        return signals(Knows("a", "b", T0, T0, emails_ab=ab, emails_ba=ba, email_weight=ab + ba), T0).reciprocity

    assert recip(4, 0) == 0
    assert recip(1, 1) < 0.5 < recip(6, 6) < 1  # one exchange a third, six each way three quarters
    # two messages, one each way, never outrank fifteen one-way, whatever weight reciprocity is given
    for w in (W, replace(W, reciprocity=W.frequency)):
        two = Knows("a", "b", T0 - 30 * DAY, T0, emails_ab=1, emails_ba=1, email_weight=2)
        fifteen = Knows("a", "b", T0 - 30 * DAY, T0, emails_ab=15, email_weight=15)
        assert signals(fifteen, T0, w).score > signals(two, T0, w).score


def test_a_signal_without_evidence_contributes_nothing():
    w = replace(W, responsiveness=2.0)  # as if fitted on a firm's threads
    no_links = Knows("a", "b", T0, T0, emails_ab=3, emails_ba=3, email_weight=6)
    answered = replace(no_links, replies_ba=3, reply_hours_ba=3)
    assert contributions(signals(no_links, T0, w), w)["responsiveness"] == 0
    assert contributions(signals(answered, T0, w), w)["responsiveness"] > 0
    assert signals(answered, T0, w).score > signals(no_links, T0, w).score


def test_a_vanishing_share_is_no_crowd_of_infinity():
    """A message share that rounds to nothing (5e-324) must give a number, with or without group damping."""
    k = Knows("a", "b", None, None, email_weight=5e-324, meetings=1)
    for w in (W, replace(W, group_size=0.0)):
        assert math.isfinite(signals(k, T0, w).score)
        assert np.isfinite(score_columns(columns([k]), T0, w)).all()


counts = st.floats(0, 50, allow_nan=False)
knows = st.builds(  # a few people, so each one's last contact with anyone comes from several edges
    lambda pair, first, span, c: Knows(*pair, first, None if first is None else first + span, **c),
    st.sampled_from([("a", "b"), ("a", "c"), ("b", "c"), ("c", "d")]),
    st.one_of(st.none(), st.integers(T0 - 1000 * DAY, T0)),
    st.integers(0, 800 * DAY),
    st.fixed_dictionaries({n: counts for n in KNOWS_COUNTERS}),
)
weights = st.builds(Weights, intercept=st.floats(-4, 4), recency=st.floats(0, 2), person_recency=st.floats(0, 2),
                    frequency=st.floats(0, 2),
                    reciprocity=st.floats(0, 2), responsiveness=st.floats(0, 2), tenure=st.floats(0, 2),
                    group_size=st.floats(0, 3))


@settings(max_examples=200, deadline=None)
@given(st.lists(knows, min_size=1, max_size=20), st.integers(T0 - 100 * DAY, T0 + 1000 * DAY), weights)
def test_score_columns_equals_signals_and_points_sum_to_it(edges, now, w):
    cols = columns(edges)
    got = score_columns(cols, now, w)
    for k, g, active_at in zip(edges, got, cols["active_at"]):
        s = signals(k, now, w, active_at=active_at)
        assert g == pytest.approx(s.score, abs=1e-3)
        points = contributions(s, w)
        assert set(points) == {"baseline", *SIGNALS}
        assert sum(points.values()) == pytest.approx(s.score, abs=1e-3)
        assert max(points["recency"], points["person_recency"], points["group_size"]) <= 1e-9
        assert all(points[n] >= -1e-9 for n in ("frequency", "reciprocity", "responsiveness", "tenure"))


interaction = st.tuples(st.sampled_from(["email", "cc", "meeting"]), st.integers(0, 400))


@settings(max_examples=100, deadline=None)
@given(st.lists(interaction, max_size=15), interaction)
def test_extra_interaction_never_lowers_frequency(items, extra):
    def build(spec, n):
        kind, day = spec
        at = T0 - day * DAY
        if kind == "email":
            return email(f"x{n}", A, [B], at)
        if kind == "cc":
            return email(f"x{n}", B, [A], at, cc=[C, D])
        return meeting(f"x{n}", [A, B, C], at)

    before = [build(s, n) for n, s in enumerate(items)]
    after = before + [build(extra, len(items))]
    base = _frequency(before) if before else 0.0
    assert _frequency(after) >= base


def test_weights_from_settings():
    w = weights_from(Settings(strength_weights={"meeting": 5, "tenure": 0, "intercept": -3}))
    assert (w.meeting, w.tenure, w.email, w.intercept) == (5, 0, 1.0, -3)
    assert weights_from(Settings()) == DEFAULT_WEIGHTS


def test_unknown_or_negative_weight_is_a_clear_error():
    with pytest.raises(KithError, match="Unknown strength weight meetings.*known weights are"):
        weights_from(Settings(strength_weights={"meetings": 2}))
    with pytest.raises(KithError, match="only the intercept may be negative"):
        weights_from(Settings(strength_weights={"recency": -1}))
    with pytest.raises(KithError, match="group_free"):
        weights_from(Settings(strength_weights={"group_free": 0.5}))


def test_folding_two_deltas_of_a_pair_adds_every_signal_and_widens_the_period():
    first = Knows("a", "b", T0 - DAY, T0 - DAY, **{c: n + 1 for n, c in enumerate(KNOWS_COUNTERS)})
    second = Knows("a", "b", T0 - 5 * DAY, T0, **{c: 0.5 * (n + 1) for n, c in enumerate(KNOWS_COUNTERS)})
    first.add(second)
    assert {c: getattr(first, c) for c in KNOWS_COUNTERS} == {c: 1.5 * (n + 1) for n, c in enumerate(KNOWS_COUNTERS)}
    assert (first.first_at, first.last_at) == (T0 - 5 * DAY, T0)
