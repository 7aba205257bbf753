"""Merges, splits and the review queue: auditable, reversible, and KNOWS follows the evidence."""

from __future__ import annotations

import pytest

from kith.graph import identity, ids
from kith.graph.errors import KithError
from kith.graph.model import IdentityEventKind, Organization, ReviewItem, ReviewStatus, WorksAt
from tests.factories import T0, email, person, write

ANA = person("ana@firm.com", "Ana Alves")
BOB_WORK = person("bob@acme.com", "Bob Baker")
BOB_HOME = person("bobby@gmail.com", "Robert Baker")


@pytest.fixture
def graph(store):
    store.upsert_people([ANA, BOB_WORK, BOB_HOME])
    items = [
        email("w1", ANA, [BOB_WORK], T0),
        email("w2", BOB_WORK, [ANA], T0 + 60),
        email("h1", ANA, [BOB_HOME], T0 + 120),
    ]
    write(store, *items)
    return store


def edge(store, x: str, y: str):
    return next((k for k in store.knows_of([x]) if {k.a, k.b} == {x, y}), None)


def test_merge_moves_everything_and_recomputes_knows(graph):
    event = identity.merge_people(graph, BOB_WORK.id, BOB_HOME.id, "same phone number", actor="ana")
    assert event.id is not None and event.kind == IdentityEventKind.MERGE
    assert graph.get_people([BOB_HOME.id]) == {}
    bob = graph.get_people([BOB_WORK.id])[BOB_WORK.id]
    assert sorted(bob.emails) == ["bob@acme.com", "bobby@gmail.com"]
    k = edge(graph, ANA.id, BOB_WORK.id)
    assert k.emails_ab + k.emails_ba == 3 and (k.first_at, k.last_at) == (T0, T0 + 120)
    assert graph.counts()["knows"] == 1
    logged = graph.identity_events(person_ids=[BOB_HOME.id])
    assert [(e.kind, e.reason, e.actor) for e in logged] == [(IdentityEventKind.MERGE, "same phone number", "ana")]


def test_merge_widens_a_shared_job_and_refuses_a_self_merge(graph):
    acme = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com"])
    graph.upsert_organizations([acme])
    graph.add_works_at([WorksAt(BOB_WORK.id, acme.id, "Counsel", since=T0, until=T0 + 100)])
    graph.add_works_at([WorksAt(BOB_HOME.id, acme.id, "Counsel", since=T0 - 50, until=T0 + 500)])
    identity.merge_people(graph, BOB_WORK.id, BOB_HOME.id, "same person", actor="ana")
    [job] = graph.works_at(person_ids=[BOB_WORK.id])
    assert (job.since, job.until) == (T0 - 50, T0 + 500)
    with pytest.raises(KithError):
        graph.reassign_person(BOB_WORK.id, BOB_WORK.id)
    assert graph.get_people([BOB_WORK.id])


def test_undoing_a_merge_restores_both_people_and_their_edges(graph):
    before = {frozenset((k.a, k.b)): (k.emails_ab + k.emails_ba) for k in graph.iter_knows()}
    event = identity.merge_people(graph, BOB_WORK.id, BOB_HOME.id, "looked alike", actor="ana")
    identity.undo(graph, event.id, actor="dev")
    people = graph.get_people([BOB_WORK.id, BOB_HOME.id])
    assert people[BOB_HOME.id].name == "Robert Baker" and people[BOB_HOME.id].emails == ["bobby@gmail.com"]
    assert people[BOB_WORK.id].emails == ["bob@acme.com"]
    assert {frozenset((k.a, k.b)): (k.emails_ab + k.emails_ba) for k in graph.iter_knows()} == before
    assert graph.identity_events(event_ids=[event.id])[0].undone_by == "dev"
    with pytest.raises(KithError, match="already undone"):
        identity.undo(graph, event.id, actor="dev")


def test_split_moves_one_address_and_what_was_done_through_it(graph):
    identity.merge_people(graph, BOB_WORK.id, BOB_HOME.id, "looked alike", actor="ana")
    event = identity.split_person(graph, BOB_WORK.id, ["bobby@gmail.com"], "a different Bob", actor="ana",
                                  name="Bobby Brown")
    new = graph.get_people([event.other_id])[event.other_id]
    assert (new.name, new.emails) == ("Bobby Brown", ["bobby@gmail.com"])
    assert edge(graph, ANA.id, new.id).emails_ab + edge(graph, ANA.id, new.id).emails_ba == 1
    assert edge(graph, ANA.id, BOB_WORK.id).emails_ab + edge(graph, ANA.id, BOB_WORK.id).emails_ba == 2
    with pytest.raises(KithError, match="at least one address"):
        identity.split_person(graph, BOB_WORK.id, ["bob@acme.com"], "oops", actor="ana")
    with pytest.raises(KithError, match="not an address"):
        identity.split_person(graph, BOB_WORK.id, ["nobody@acme.com"], "oops", actor="ana")


def test_review_queue_keeps_one_item_per_pair_and_records_the_decision(graph):
    item = ReviewItem(BOB_HOME.id, BOB_WORK.id, 0.84, "Robert Baker ~ Bob Baker, different domains", T0)
    assert graph.add_review_items([item, ReviewItem(BOB_WORK.id, BOB_HOME.id, 0.9, "again", T0)]) == 1
    assert graph.add_review_items([item]) == 0
    [queued] = graph.review_items()
    assert queued.score == 0.84 and queued.status == ReviewStatus.OPEN
    identity.resolve_review(graph, queued.id, merge=False, actor="ana")
    assert graph.review_items() == []
    [decided] = graph.review_items(status=None)
    assert (decided.status, decided.resolved_by) == (ReviewStatus.REJECTED, "ana")
    assert len(graph.get_people([BOB_HOME.id, BOB_WORK.id])) == 2
    with pytest.raises(KithError, match="already decided"):
        identity.resolve_review(graph, queued.id, merge=True, actor="ana")


def test_an_attach_recorded_again_is_recorded_once_until_it_is_undone(graph):
    attach = [(BOB_WORK.id, "bobby@gmail.com", "same name at acme.com")]
    [first] = identity.record_attaches(graph, attach)
    assert identity.record_attaches(graph, attach) == []  # an ingest resumed after writing it
    assert [e.id for e in graph.identity_events(person_ids=[BOB_WORK.id])] == [first.id]
    graph.mark_identity_event_undone(first.id, "ana", T0)
    [again] = identity.record_attaches(graph, attach)  # undone, then seen again: a new decision
    assert again.id != first.id
