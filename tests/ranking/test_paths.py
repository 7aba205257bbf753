"""Warm paths: hand-computed order on both stores, brute-force agreement, opt-outs, decision makers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kith.graph import ids
from kith.graph.edges import Edges
from kith.graph.identity import resolve_review
from kith.graph.model import (
    Deal,
    DealRole,
    DealRoleKind,
    Knows,
    Organization,
    Person,
    ReviewItem,
    WorksAt,
)
from kith.graph.network import Network, load_network
from kith.graph.paths import best_paths, decision_makers, seniority, staff, warm_paths
from kith.graph.scope import Scope
from kith.graph.strength import signals
from tests.factories import DAY, MEDIUM, PROV, STRONG, T0, WEAK, edge, email, meeting, named, write, write_graph

FAY, GUS = named("fay", internal=True), named("gus", internal=True)
XU, YAN, ZED, TARA = named("xu"), named("yan"), named("zed"), named("tara")
OLI = named("oli", opted_out=True)
BO = named("bo", blocked=True)
# the strength of each edge kind, scored at T0 (pinned by test_strength): the path figures multiply them
S, M, W = (signals(Knows("a", "b", last_at=T0, **{"first_at": T0, **kind}), T0).score
           for kind in (STRONG, MEDIUM, WEAK))


@pytest.fixture
def firm(store):
    write_graph(store, [FAY, GUS, XU, YAN, ZED, OLI, BO, TARA], [
        edge(FAY, XU, STRONG), edge(XU, TARA, MEDIUM),  # 2 hops: S x M / 100
        edge(FAY, OLI, STRONG), edge(OLI, TARA, STRONG),  # would be S x S / 100, but Oli opted out
        edge(GUS, BO, STRONG), edge(BO, TARA, STRONG),  # Bo is blocked
        edge(GUS, TARA, WEAK),  # direct but weak: W
        edge(FAY, YAN, STRONG), edge(YAN, ZED, STRONG), edge(ZED, TARA, STRONG),  # 3 strong hops: S^3 / 10^4
        edge(FAY, GUS, STRONG),
    ])
    return store


def test_hand_computed_order(firm):
    got = warm_paths(firm, TARA.id, now=T0)
    assert [w.people for w in got] == [[FAY.id, YAN.id, ZED.id, TARA.id], [FAY.id, XU.id, TARA.id], [GUS.id, TARA.id]]
    assert [w.score for w in got] == pytest.approx([S ** 3 / 1e4, S * M / 100, W], abs=1e-4)
    assert S ** 3 / 1e4 > S * M / 100 > W  # the order the hand-made graph is built to test


def test_one_weak_hop_sinks_a_path(firm):
    got = warm_paths(firm, TARA.id, now=T0)
    for w in got:
        assert w.score <= w.weakest
    # two strong hops and a medium one lose to three strong ones, and the weak direct hop comes last
    assert got[-1].hops[0].band == "weak"


def test_hop_limit_and_k(firm):
    assert [w.people for w in warm_paths(firm, TARA.id, now=T0, max_hops=2)] == [[FAY.id, XU.id, TARA.id], [GUS.id, TARA.id]]
    assert len(warm_paths(firm, TARA.id, now=T0, k=1)) == 1


def test_one_colleague_may_go_through_another(firm):
    got = warm_paths(firm, TARA.id, sources=[GUS.id], now=T0)
    assert got[0].people == [GUS.id, FAY.id, YAN.id, ZED.id, TARA.id]
    assert got[0].score == pytest.approx(S ** 4 / 1e6, abs=1e-4)
    # with the whole firm as sources, a colleague is never an intermediary
    assert all(p not in (FAY.id, GUS.id) for w in warm_paths(firm, TARA.id, now=T0) for p in w.people[1:])


def test_opted_out_and_blocked_are_never_used(firm):
    for w in warm_paths(firm, TARA.id, now=T0, k=20):
        assert OLI.id not in w.people and BO.id not in w.people
    assert warm_paths(firm, OLI.id, now=T0) == []  # nor targets
    assert warm_paths(firm, BO.id, now=T0) == []


def test_a_colleagues_address_queued_for_review_is_no_external_contact(store):
    # Fay forwards to a free-mail address with her name, queued for review (not linked): it may be hers
    own = Person(ids.person_id("fay.home@aol.com"), name="Fay", emails=["fay.home@aol.com"], provenance=PROV)
    write_graph(store, [FAY, own, TARA], [edge(FAY, own, STRONG), edge(own, TARA, STRONG), edge(FAY, TARA, WEAK)])
    store.add_review_items([ReviewItem(FAY.id, own.id, 0.95, "same name: 'Fay' and 'Fay' <fay.home@aol.com>", T0)])
    assert warm_paths(store, own.id, now=T0) == []  # no "Fay knows fay.home@aol.com directly: reach out yourself"
    assert [w.people for w in warm_paths(store, TARA.id, now=T0)] == [[FAY.id, TARA.id]]  # nor a broker
    # once someone decides they are two people, the address is an outsider like any other
    [item] = store.review_items()
    resolve_review(store, item.id, merge=False, actor="test")
    assert warm_paths(store, own.id, now=T0)[0].people == [FAY.id, own.id]
    assert warm_paths(store, TARA.id, now=T0)[0].people == [FAY.id, own.id, TARA.id]


def test_hops_are_explained(firm):
    best = warm_paths(firm, TARA.id, now=T0)[0]
    assert [(h.source, h.target) for h in best.hops] == list(zip(best.people, best.people[1:]))
    for h in best.hops:
        assert h.band == "strong" and h.strength == S
        assert sum(h.signals.values()) == pytest.approx(h.strength, abs=1e-3)
    assert best.introduction.startswith('Fay asks Yan: "Hi Yan, I would like to meet Tara.')
    assert "introduce me to Zed" in best.introduction


def test_an_introduction_tells_only_of_interactions_the_reader_may_see(store):
    write_graph(store, [FAY, XU, TARA], [])
    write(store, email("older", FAY, [TARA], T0 - 20 * DAY), email("newer", FAY, [TARA], T0 - 10 * DAY),
          meeting("with-xu", [FAY, TARA, XU], T0 - DAY))
    [whole] = warm_paths(store, TARA.id, now=T0, k=1)
    assert " last met on " in whole.introduction
    assert "2 emails and 1 meeting in the past year" in whole.introduction
    [walled] = warm_paths(store, TARA.id, now=T0, k=1, scope=Scope(hidden_people=frozenset({XU.id})))
    # the meeting with Xu is behind the reader's wall: the last contact they are told of is an email
    assert " last in touch by email on " in walled.introduction
    assert "2 emails in the past year" in walled.introduction


def test_a_broker_no_evidence_names_is_greeted_without_an_address(store):
    nameless = Person(YAN.id, name="", emails=YAN.emails, provenance=PROV)
    write_graph(store, [FAY, nameless, TARA], [edge(FAY, nameless, STRONG), edge(nameless, TARA, STRONG)])
    [best] = warm_paths(store, TARA.id, now=T0, k=1)
    assert best.introduction.startswith('Fay asks yan@client.com: "Hello, I would like to meet Tara.')


def test_several_targets_and_unknown_ones(firm):
    got = warm_paths(firm, [TARA.id, ZED.id, "p_nobody"], now=T0)
    assert got[0].people == [FAY.id, YAN.id, ZED.id]
    assert warm_paths(firm, "p_nobody", now=T0) == []


def test_network_is_rebuilt_when_the_store_changes(firm):
    first = load_network(firm, now=T0)
    assert load_network(firm, now=T0) is first
    firm.update_person(YAN.id, opted_out=True)
    assert [w.people for w in warm_paths(firm, TARA.id, now=T0)][0] == [FAY.id, XU.id, TARA.id]


@pytest.mark.parametrize("memo", [False, True])
@pytest.mark.parametrize("writer", ["this handle", "another process"])
def test_an_answer_sees_a_write_made_since_the_last_one(firm, writer, memo):
    # The network kept from the last answer is checked against the generation the answer's own read
    # brings, and so is an answer the memo keeps: a write made since, here or by another process, shows
    # in the very next answer.
    find = warm_paths if memo else warm_paths.uncached
    assert find(firm, TARA.id, now=T0)[0].people == [FAY.id, YAN.id, ZED.id, TARA.id]
    assert find(firm, TARA.id, now=T0)[0].people == [FAY.id, YAN.id, ZED.id, TARA.id]
    other = firm if writer == "this handle" else _another_handle(firm)
    other.update_person(YAN.id, opted_out=True)
    assert find(firm, TARA.id, now=T0)[0].people == [FAY.id, XU.id, TARA.id]
    other.update_person(TARA.id, blocked=True)  # no path at all: nothing read with the answer
    assert find(firm, TARA.id, now=T0) == []


def _another_handle(store):
    """The same database through a handle with caches of its own, as another process has."""
    if store.kind == "sqlite":
        from kith.graph.sqlite_store import SQLiteStore

        return SQLiteStore.open(store.path)
    from kith.graph.neo4j_store import Neo4jStore

    return Neo4jStore(store._db, store._where, store._cache_key)


# -- the search against brute force ----------------------------------------------------------------
def _network(n, pairs, internal, excluded, strengths) -> Network:
    from kith.graph.model import Person

    people = [Person(f"p{i:02d}", is_internal=i in internal, opted_out=i in excluded) for i in range(n)]
    knows = []
    for (x, y), s in zip(pairs, strengths):
        # meetings only, at T0, first contact a year before: strength rises with the count
        knows.append(Knows(f"p{min(x, y):02d}", f"p{max(x, y):02d}", T0 - 365 * 86400 * (s % 2), T0,
                           meetings=s, meeting_weight=s / 3))
    return Network(Edges.build(people, knows), T0)


def _brute(net: Network, target: str, sources: set[str], k: int, max_hops: int):
    found = []

    def walk(path):
        v = path[-1]
        for u, s in net.neighbours(v):
            if u in path or not net.is_usable(u):
                continue
            if u in sources:
                found.append(path + [u])
            elif len(path) < max_hops and u != target:
                walk(path + [u])

    if net.is_usable(target):
        walk([target])
    scored = []
    for p in found:
        p = p[::-1]
        hops = [net.strength(x, y) for x, y in zip(p, p[1:])]
        scored.append((round(100 * math.prod(h / 100 for h in hops), 4), p))
    return sorted(scored, key=lambda t: -t[0])[:k]


graphs = st.integers(4, 11).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
             min_size=1, max_size=30, unique_by=lambda p: frozenset(p)),
    st.sets(st.integers(0, n - 1), min_size=1, max_size=3),
    st.sets(st.integers(0, n - 1), max_size=3),
    st.lists(st.integers(1, 40), min_size=30, max_size=30),
    st.integers(0, n - 1),
    st.integers(1, 6),
    st.integers(1, 4),
))


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_search_matches_brute_force(g):
    n, pairs, internal, excluded, strengths, target, k, max_hops = g
    net = _network(n, pairs, internal, excluded, strengths)
    t = f"p{target:02d}"
    sources = {net.ids[i] for i in range(len(net.ids)) if net.internal[i] and net.usable[i]} - {t}
    want = _brute(net, t, sources, k, max_hops)
    got = best_paths(net, [t], k=k, max_hops=max_hops)
    assert [s for s, _ in got] == pytest.approx([s for s, _ in want], abs=1e-3)
    for _, p in got:
        assert len(set(p)) == len(p) and len(p) - 1 <= max_hops
        assert p[0] in sources and p[-1] == t
        assert all(net.is_usable(x) for x in p)  # opted-out people never appear
    # explicit sources give the same answers as brute force too
    one = sorted(sources)[:1]
    if one:
        want = _brute(net, t, set(one), k, max_hops)
        got = best_paths(net, [t], one, k=k, max_hops=max_hops)
        assert [s for s, _ in got] == pytest.approx([s for s, _ in want], abs=1e-3)


# -- decision makers -------------------------------------------------------------------------------
ACME = Organization("o_acme", "Acme", "acme", ["acme.com"], provenance=PROV)


def test_decision_makers_from_deal_roles_then_titles(store):
    people = [named(x) for x in ("dee", "ebb", "cfo", "vp", "dir", "eng", "pa", "gone")] + [FAY]
    dee, ebb, cfo, vp, dr, eng, pa, gone, fay = people
    store.upsert_people(people)
    store.upsert_organizations([ACME])
    store.add_works_at([WorksAt(cfo.id, ACME.id, "Chief Financial Officer"), WorksAt(vp.id, ACME.id, "VP Legal"),
                        WorksAt(dr.id, ACME.id, "Director of Procurement"), WorksAt(eng.id, ACME.id, "Engineer"),
                        WorksAt(pa.id, ACME.id, "Executive Assistant to the CEO"),
                        WorksAt(gone.id, ACME.id, "General Counsel", since=T0 - 900 * 86400, until=T0 - 100 * 86400),
                        WorksAt(dee.id, ACME.id, "Senior Counsel")])
    store.upsert_deals([Deal("d1", "Acme panel", ACME.id, opened_at=T0,
                             roles=[DealRole(ebb.id, DealRoleKind.ECONOMIC_BUYER), DealRole(dee.id, DealRoleKind.DECISION_MAKER),
                                    DealRole(fay.id, DealRoleKind.TEAM_MEMBER), DealRole(eng.id, DealRoleKind.CHAMPION)])])
    assert decision_makers(store, ACME.id) == [dee.id, ebb.id, cfo.id, vp.id, dr.id]
    # before the deal opened, and while the general counsel still worked there (one tier: by id)
    assert decision_makers(store, ACME.id, as_of=T0 - 200 * 86400) == sorted([gone.id, cfo.id]) + [vp.id, dr.id]
    assert set(staff(store, ACME.id)) == {cfo.id, vp.id, dr.id, eng.id, pa.id, dee.id}


def test_seniority():
    assert [seniority(t) for t in ("CEO", "General Counsel", "Head of Tax", "Partner", "Director, Sales", "Engineer",
                                   "Assistant to the CFO", "")] == [0, 0, 1, 1, 2, None, None, None]


def test_a_server_may_keep_a_recent_network_while_an_ingest_writes(tmp_path):
    from kith.graph.network import load_network
    from kith.graph.sqlite_store import SQLiteStore

    store = SQLiteStore.open(tmp_path / "kith.db")
    first = load_network(store, now=1_700_000_000)
    store.set_meta({"touch": "1"})  # any write moves the generation on
    assert load_network(store, now=1_700_000_000, stale_ok_s=60) is first
    assert load_network(store, now=1_700_000_000) is not first


def test_a_server_keeps_its_network_for_the_configured_time_unless_told_to_forget(tmp_path):
    from kith.graph.network import forget_network, load_network, serve_stale
    from kith.graph.sqlite_store import SQLiteStore

    store = SQLiteStore.open(tmp_path / "kith.db")
    serve_stale(store, 60)
    first = load_network(store, now=1_700_000_000)
    store.set_meta({"touch": "1"})
    assert load_network(store, now=1_700_000_000) is first  # an ingest batch: the recent network serves
    forget_network(store)
    assert load_network(store, now=1_700_000_000) is not first  # an opt-out through the API: rebuilt
