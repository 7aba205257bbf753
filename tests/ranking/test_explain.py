"""explain(a, b): each signal's value and points, summing to the score, and the evidence ids."""

from __future__ import annotations

import pytest

from kith.graph.explain import explain
from kith.graph.network import load_network
from kith.graph.strength import DEFAULT_WEIGHTS, signals
from tests.factories import DAY, T0, email, meeting, named, write


ANA, BEN, CAT, DAN = named("ana", internal=True), named("ben"), named("cat"), named("dan")


@pytest.fixture
def mail(store):
    store.upsert_people([ANA, BEN, CAT, DAN])
    first = email("m1", ANA, [BEN], T0 - 10 * DAY)
    write(store, *[
        first,
        email("m2", BEN, [ANA], T0 - 10 * DAY + 6 * 3600, parent=first.id),  # a reply after 6 hours
        meeting("m3", [ANA, BEN], T0 - 5 * DAY),
        email("m4", ANA, [CAT], T0 - 2 * DAY, cc=[BEN, DAN]),  # a cc of 3 recipients
        email("m5", CAT, [DAN], T0 - DAY),  # not theirs
    ])
    return store


def test_points_sum_to_score_and_evidence_newest_first(mail):
    e = explain(mail, ANA.id, BEN.id, now=T0)
    edge = next(k for k in mail.knows_of([ANA.id]) if BEN.id in (k.a, k.b))
    assert e.score == signals(edge, T0).score > 0
    assert [s.name for s in e.signals] == ["baseline", "recency", "person_recency", "frequency", "reciprocity",
                                           "responsiveness", "tenure", "group_size"]
    assert sum(e.points.values()) == pytest.approx(e.score, abs=1e-3)
    assert e.points["recency"] < 0 < e.points["frequency"]
    ids = [email(k, ANA, [BEN], 0).id if k.startswith("m") and k != "m3" else meeting(k, [ANA], 0).id
           for k in ("m4", "m3", "m2", "m1")]
    assert e.evidence == ids
    assert e.facts["meetings"] == 1 and e.facts["emails_ab"] + e.facts["emails_ba"] == 3


def test_hand_computed_pair(mail):
    # Ana and Ben: emails 1:1 each way, a cc of three, one 1:1 meeting (3): volume 6, ten days.
    e = explain(mail, BEN.id, ANA.id, now=T0 - 2 * DAY)  # scored at the last contact: recency 0
    import math

    w = DEFAULT_WEIGHTS
    sent_by_ana, sent_by_ben = 2, 1
    recip = (sent_by_ben + 1) / (sent_by_ana + 1 + 2)  # the meeting counts for both sides
    resp = (1 / 3) * 24 / (24 + 6)  # one reply in three emails, after 6 h
    z = (w.intercept + w.frequency * math.log(1 + 6) + w.reciprocity * recip + w.responsiveness * resp
         + w.tenure * math.log(1 + 8))
    assert e.score == pytest.approx(100 / (1 + math.exp(-z)), abs=1e-3)
    assert e.points["recency"] == pytest.approx(0, abs=1e-9)
    assert e.points["baseline"] == pytest.approx(100 / (1 + math.exp(-w.intercept)))


def test_cap_and_strangers(mail):
    assert len(explain(mail, ANA.id, BEN.id, now=T0, limit=2).evidence) == 2
    e = explain(mail, ANA.id, DAN.id, now=T0)
    assert e.score > 0 and len(e.evidence) == 1  # the cc only
    nobody = explain(mail, BEN.id, "p_nobody", now=T0)
    assert (nobody.score, nobody.band, nobody.evidence) == (0, "cold", [])


def test_as_of_explains_the_past(mail):
    e = explain(mail, ANA.id, BEN.id, as_of=T0 - 7 * DAY)
    assert e.now == T0 - 7 * DAY
    assert e.facts["meetings"] == 0 and e.facts["replies_ba"] == 1
    assert e.evidence == [email("m2", BEN, [ANA], 0).id, email("m1", ANA, [BEN], 0).id]
    assert explain(mail, ANA.id, BEN.id, as_of=T0 - 20 * DAY).score == 0


def test_person_recency_is_the_quieter_sides_last_contact_with_anyone(store):
    # Ana and Ben last wrote 30 days ago; since then Ana wrote to Cat yesterday and Ben to Dan 7 days ago:
    # the quieter of the two is Ben, 7 days. Hand-computed: -ln(1 + 7).
    import math

    store.upsert_people([ANA, BEN, CAT, DAN])
    write(store, *[email("p1", ANA, [BEN], T0 - 30 * DAY), email("p2", ANA, [CAT], T0 - DAY),
                   email("p3", BEN, [DAN], T0 - 7 * DAY)])
    for e in (explain(store, ANA.id, BEN.id, now=T0), explain(store, ANA.id, BEN.id, as_of=T0)):
        values = {s.name: s.value for s in e.signals}
        assert values["person_recency"] == pytest.approx(-math.log(1 + 7))
        assert values["recency"] == pytest.approx(-math.log(1 + 30))
        w = DEFAULT_WEIGHTS
        z = w.intercept + w.recency * -math.log(31) + w.person_recency * -math.log(8) + w.frequency * math.log(2)
        assert e.score == pytest.approx(100 / (1 + math.exp(-z)), abs=1e-3)
        assert sum(e.points.values()) == pytest.approx(e.score, abs=1e-3)
    # the network that paths and accounts rank on scores the pair the same
    net = load_network(store, now=T0)
    assert net.strength(ANA.id, BEN.id) == pytest.approx(e.score, abs=1e-3)
    assert net.signals(ANA.id, BEN.id).person_recency == pytest.approx(-math.log(8))
    # Cat has written to nobody but Ana: for Ana and Cat it is their own last contact
    assert explain(store, ANA.id, CAT.id, now=T0).signals[2].value == pytest.approx(-math.log(2))
