"""Insights on small hand-made graphs, on SQLite and (when KITH_NEO4J_URI is set) on Neo4j."""

from __future__ import annotations


from kith.graph.insights import (
    OPEN_DEAL_BONUS,
    Snapshot,
    client_tiers,
    going_cold,
    insights,
    job_changes,
    reconnect,
    single_threaded,
)
from kith.graph.model import DealStatus
from kith.graph.strength import score
from tests.factories import NOW, Graph, at


def edge(store, x, y):
    return next(k for k in store.knows_of([x]) if {k.a, k.b} == {x, y})


def test_going_cold_finds_strong_relationships_gone_silent(store):
    g = Graph(store)
    g.people("alice", "bob", internal=True)
    g.people("carol", "dave", "erin")
    g.exchange("ac", "alice", "carol", 400, 120, 30)  # strong, silent 120 days
    g.exchange("ad", "alice", "dave", 400, 10, 30)  # strong, still in touch
    g.email("be", at(200), "bob", ["erin"])  # one email: never strong
    g.exchange("ab", "alice", "bob", 400, 200, 30)  # two colleagues: not a client relationship

    cold = going_cold(store, now=NOW)
    assert [(c.colleague.id, c.contact.id, c.days_silent) for c in cold] == [("alice", "carol", 120)]
    k = edge(store, "alice", "carol")
    assert cold[0].past_score == score(k, at(120)) >= 50
    assert cold[0].score == score(k, NOW) < cold[0].past_score
    assert cold[0].contact.name == "Carol" and cold[0].contact.emails == ["carol@client.example"]
    assert going_cold(store, now=NOW, silent_days=121) == []
    assert going_cold(store, as_of=at(100)) == []  # as of 100 days ago carol was silent only 20 days


def test_as_of_sees_only_the_past(store):
    g = Graph(store)
    g.person("alice", internal=True)
    g.people("carol")
    g.exchange("ac", "alice", "carol", 400, 200, 30)
    g.exchange("later", "alice", "carol", 50, 5, 6)  # the relationship revived after the as_of moment
    then = going_cold(store, as_of=at(60))
    assert [(c.contact.id, c.days_silent) for c in then] == [("carol", 140)]
    assert going_cold(store, now=NOW) == []


def test_blocked_and_opted_out_contacts_never_appear(store):
    g = Graph(store)
    g.person("alice", internal=True)
    g.person("carol", blocked=True)
    g.person("olga", opted_out=True)
    g.exchange("ac", "alice", "carol", 400, 120, 30)
    g.exchange("ao", "alice", "olga", 400, 120, 30)
    assert going_cold(store, now=NOW) == []


def test_single_threaded_organisations(store):
    g = Graph(store)
    g.people("alice", "bob", internal=True)
    g.people("c1", "c2", "g1", "w1")
    for oid in ("acme", "globex", "weak"):
        g.org(oid)
    g.job("c1", "acme", since=at(900))
    g.job("c2", "acme", since=at(900))
    g.job("g1", "globex", since=at(900))
    g.job("w1", "weak", since=at(900))
    g.exchange("a1", "alice", "c1", 300, 1, 30)
    g.exchange("a2", "alice", "c2", 300, 1, 30)
    g.email("b2", at(200), "bob", ["c2"])  # bob barely knows acme
    g.exchange("g-a", "alice", "g1", 300, 1, 30)
    g.exchange("g-b", "bob", "g1", 300, 1, 30)  # globex is double-threaded
    g.email("w", at(7), "bob", ["w1"])  # one weak tie (an email a week ago): not a meaningful total

    found = single_threaded(store, now=NOW)
    assert [(s.org_id, s.holder.id) for s in found] == [("acme", "alice")]
    s = found[0]
    snap = Snapshot.load(store, now=NOW)  # scores with each person's last contact with anyone
    held = snap.score(edge(store, "alice", "c1")) + snap.score(edge(store, "alice", "c2"))
    assert s.total == held + snap.score(edge(store, "bob", "c2"))
    assert s.share == held / s.total >= 0.8
    assert (s.colleagues, s.contacts, s.org_name) == (2, 2, "Acme")


def test_a_contact_who_left_no_longer_threads_the_organisation(store):
    g = Graph(store)
    g.people("alice", "bob", internal=True)
    g.people("c1", "c2")
    g.org("acme")
    g.org("next")
    g.job("c1", "acme", since=at(900))
    g.job("c2", "acme", since=at(900), until=at(30))
    g.job("c2", "next", since=at(30))
    g.exchange("a1", "alice", "c1", 300, 1, 30)
    g.exchange("b2", "bob", "c2", 300, 1, 30)
    found = {s.org_id: s.holder.id for s in single_threaded(store, now=NOW)}
    assert found == {"acme": "alice", "next": "bob"}


def test_job_changes(store):
    g = Graph(store)
    g.people("mover", "promoted", "titled", "stayer", "undated")
    g.org("acme")
    g.org("globex")
    g.job("mover", "acme", "General Counsel", since=at(500), until=at(40))
    g.job("mover", "globex", "General Counsel", since=at(40))
    g.job("promoted", "acme", "Associate", since=at(400))
    g.job("promoted", "acme", "Partner", since=at(20))
    g.job("titled", "acme", "", since=at(300))
    g.job("titled", "acme", "CFO", since=at(10))  # a title learned, not a change
    g.job("stayer", "acme", "CEO", since=at(300))
    g.job("undated", "acme", "CEO")
    g.job("undated", "globex", "CEO")  # no dates: no order, no change

    found = job_changes(store, now=NOW)
    assert [(j.person.id, j.from_org_id, j.to_org_id, j.from_title, j.to_title, j.at) for j in found] == [
        ("promoted", "acme", "acme", "Associate", "Partner", at(20)),
        ("mover", "acme", "globex", "General Counsel", "General Counsel", at(40)),
    ]
    assert found[1].from_org == "Acme" and found[1].to_org == "Globex"
    assert [j.person.id for j in job_changes(store, now=NOW, since=at(30))] == ["promoted"]
    assert job_changes(store, as_of=at(30)) and [j.person.id for j in job_changes(store, as_of=at(30))] == ["mover"]


def test_client_tiers_by_recency_frequency_and_money(store):
    g = Graph(store)
    g.person("alice", internal=True)
    g.people("a1", "b1", "c1")
    for oid, person in (("top", "a1"), ("mid", "b1"), ("low", "c1")):
        g.org(oid)
        g.job(person, oid, since=at(900))
    g.exchange("t", "alice", "a1", 300, 2, 30)
    g.exchange("m", "alice", "b1", 300, 50, 10)
    g.exchange("l", "alice", "c1", 300, 200, 2)
    g.deal("d-top", "Top refinancing", "top", status=DealStatus.WON, amount=500_000, opened=at(300), closed=at(100))
    g.deal("d-mid", "Mid lease", "mid", status=DealStatus.WON, amount=50_000, opened=at(300), closed=at(100))
    g.deal("d-lost", "Low pitch", "low", status=DealStatus.LOST, amount=900_000, opened=at(300), closed=at(100))

    tiers = client_tiers(store, now=NOW)
    assert [(t.org_id, t.tier, t.rfm) for t in tiers] == [
        ("top", "A", (3, 3, 3)), ("mid", "B", (2, 2, 2)), ("low", "C", (1, 1, 1))]
    top = tiers[0]
    assert (top.recency_days, top.frequency, top.monetary, top.org_name) == (2.0, 30, 500_000, "Top")
    # before the deals closed nothing was won: money scores 1 for all, mid drops to C
    before = {t.org_id: (t.tier, t.rfm) for t in client_tiers(store, now=at(150))}
    assert before == {"top": ("B", (3, 3, 1)), "mid": ("C", (2, 2, 1)), "low": ("C", (1, 1, 1))}


def test_reconnect_puts_open_deals_first(store):
    g = Graph(store)
    g.person("alice", internal=True)
    g.people("carol", "dave")
    g.org("acme")
    g.job("dave", "acme", since=at(900))
    g.exchange("ac", "alice", "carol", 400, 120, 40)  # the stronger past
    g.exchange("ad", "alice", "dave", 400, 120, 20)
    g.deal("open", "Acme export controls", "acme", opened=at(5))
    g.deal("won", "Acme old matter", "acme", status=DealStatus.WON, amount=1, opened=at(400), closed=at(300))

    cold = {c.contact.id: c.past_score for c in going_cold(store, now=NOW)}
    assert cold["carol"] > cold["dave"] > cold["carol"] - OPEN_DEAL_BONUS
    found = reconnect(store, now=NOW)
    assert [(r.contact.id, r.open_deals) for r in found] == [("dave", ["open"]), ("carol", [])]
    assert found[0].priority == cold["dave"] + OPEN_DEAL_BONUS
    assert "open deal 'Acme export controls'" in found[0].reason


def test_insights_gathers_all_five_as_one_tagged_list(store):
    g = Graph(store)
    g.person("alice", internal=True)
    g.people("carol")
    g.org("acme")
    g.job("carol", "acme", "GC", since=at(900), until=at(100))
    g.job("carol", "acme", "CEO", since=at(100))
    g.exchange("ac", "alice", "carol", 400, 120, 100)  # close enough to stay medium four months on
    found = insights(store, now=NOW)
    rows = found.as_list()
    assert {r["kind"] for r in rows} == {"going-cold", "single-threaded", "job-change", "client-tier", "reconnect"}
    for r in rows:
        for key in ("colleague", "contact", "holder", "person"):
            if key in r:
                assert set(r[key]) == {"id", "name", "emails"}


def test_a_snapshot_as_of_a_moment_equals_the_stored_edges_when_nothing_came_after(store):
    g = Graph(store)
    g.person("alice", internal=True)
    g.people("carol", "dave")
    g.exchange("ac", "alice", "carol", 400, 120, 30)
    g.exchange("ad", "alice", "dave", 300, 100, 9)
    stored = Snapshot.load(store, now=NOW)
    refolded = Snapshot.load(store, as_of=NOW)
    assert sorted((k.a, k.b, k.emails_ab, k.replies_ba, k.last_at) for k in stored.edges) == sorted(
        (k.a, k.b, k.emails_ab, k.replies_ba, k.last_at) for k in refolded.edges)
    assert going_cold(store, now=NOW) == going_cold(store, as_of=NOW)
