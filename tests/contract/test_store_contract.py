"""The store contract: what every store must do, run unchanged on SQLite and on Neo4j."""

from __future__ import annotations

import pytest

from kith.graph import ids
from kith.graph.errors import NotFound
from kith.graph.model import (
    Attendance,
    Category,
    Deal,
    DealRole,
    DealRoleKind,
    DealStatus,
    Interaction,
    InteractionKind,
    Knows,
    KNOWS_COUNTERS,
    Organization,
    Participant,
    Person,
    Role,
    Sharing,
    WorksAt,
)
from kith.graph.store import Contact
from kith.graph.text import query_phrases
from tests.factories import DAY, PROV, T0, email, person, write

ANA = person("ana@firm.com", "Ana Alves", internal=True)
BEN = person("ben@acme.com", "Ben Baker")
CHO = person("cho@acme.com", "Cho Chen")
DEV = person("dev@firm.com", "Dev Patel", internal=True)


@pytest.fixture
def people(store):
    store.upsert_people([ANA, BEN, CHO, DEV])
    return store


def test_a_new_store_is_empty_and_versioned(store):
    assert store.schema_version() >= 1
    counts = store.counts()
    assert {"people", "organizations", "interactions", "deals", "knows"} <= counts.keys()
    assert all(v == 0 for v in counts.values())


def test_people_round_trip_with_provenance(people):
    got = people.get_people([ANA.id, BEN.id, "p_missing"])
    assert set(got) == {ANA.id, BEN.id}
    assert got[ANA.id].name == "Ana Alves"
    assert got[ANA.id].emails == ["ana@firm.com"]
    assert got[ANA.id].is_internal and not got[BEN.id].is_internal
    assert got[BEN.id].provenance == PROV


def test_upserting_a_person_again_adds_addresses_but_keeps_the_known_name(people):
    people.upsert_people([Person(BEN.id, name="B. Baker", emails=["ben.baker@acme.com"], phones=["+14155550100"])])
    ben = people.get_people([BEN.id])[BEN.id]
    assert ben.name == "Ben Baker"
    assert sorted(ben.emails) == ["ben.baker@acme.com", "ben@acme.com"]
    assert ben.phones == ["+14155550100"]
    assert people.people_by_email(["ben.baker@acme.com", "nobody@x.com"]) == {"ben.baker@acme.com": BEN.id}
    assert people.counts()["people"] == 4


def test_people_at_a_domain_and_its_subdomains(people):
    people.upsert_people([person("eve@eu.acme.com", "Eve"), person("fay@notacme.com", "Fay"),
                          person("gus_1@a_b.com", "Gus"), person("hal@axb.com", "Hal")])
    eve, gus = ids.person_id("eve@eu.acme.com"), ids.person_id("gus_1@a_b.com")
    assert people.people_at_domains(["acme.com"]) == {BEN.id, CHO.id, eve}
    assert people.people_at_domains(["eu.acme.com", "firm.com"]) == {eve, ANA.id, DEV.id}
    assert people.people_at_domains(["a_b.com"]) == {gus}  # "_" is a character, not a wildcard
    assert people.people_at_domains([]) == set() and people.people_at_domains(["nowhere.example"]) == set()


def test_person_flags(people):
    people.update_person(BEN.id, opted_out=True, blocked=True)
    people.update_person(ANA.id, sharing=Sharing.SUBJECTS)
    got = people.get_people([ANA.id, BEN.id])
    assert got[BEN.id].opted_out and got[BEN.id].blocked
    assert got[ANA.id].sharing == Sharing.SUBJECTS and not got[ANA.id].opted_out
    people.upsert_people([BEN])  # a re-ingest does not undo an opt-out
    assert people.get_people([BEN.id])[BEN.id].opted_out
    with pytest.raises(NotFound):
        people.update_person("p_missing", blocked=True)


def test_organizations_by_domain_and_name(store):
    acme = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com", "acme.co.uk"], PROV)
    store.upsert_organizations([acme])
    store.upsert_organizations([acme])
    assert store.counts()["organizations"] == 1
    assert store.orgs_by_domain(["acme.co.uk", "other.com"]) == {"acme.co.uk": acme.id}
    assert store.orgs_by_normalized_name(["acme", "globex"]) == {"acme": acme.id}
    got = store.get_organizations([acme.id])[acme.id]
    assert (got.name, got.domains, got.provenance) == ("Acme", ["acme.co.uk", "acme.com"], PROV)
    globex = Organization(ids.org_id("globex"), "Globex", "globex", [])
    store.upsert_organizations([globex])
    assert [(o.id, o.domains) for o in store.iter_organizations()] == sorted(
        [(acme.id, ["acme.co.uk", "acme.com"]), (globex.id, [])])


def test_a_written_organisation_name_replaces_one_guessed_from_a_domain(store):
    oid = ids.org_id("acmeholdings")

    def upsert(name: str, guessed: bool) -> str:
        store.upsert_organizations([Organization(oid, name, "acmeholdings", ["acmeholdings.com"], PROV, guessed)])
        got = store.get_organizations([oid])[oid]
        return f"{got.name}{' (guessed)' if got.name_guessed else ''}"

    assert upsert("Acmeholdings", guessed=True) == "Acmeholdings (guessed)"
    assert upsert("Acme Holdings", guessed=False) == "Acme Holdings"
    assert upsert("Acmeholdings", guessed=True) == "Acme Holdings"  # a guess never replaces a written name
    assert upsert("ACME HOLDINGS", guessed=False) == "Acme Holdings"  # nor does a later written one
    assert store.counts()["organizations"] == 1


def test_a_job_change_adds_history(people):
    acme = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com"])
    globex = Organization(ids.org_id("globex"), "Globex", "globex", ["globex.com"])
    people.upsert_organizations([acme, globex])
    people.add_works_at([WorksAt(BEN.id, acme.id, "Counsel", since=T0, until=T0 + 10 * DAY, provenance=PROV)])
    people.add_works_at([WorksAt(BEN.id, acme.id, "Counsel", since=T0 - 5 * DAY, until=T0 + 20 * DAY)])
    people.add_works_at([WorksAt(BEN.id, globex.id, "General Counsel", since=T0 + 30 * DAY)])
    history = people.works_at(person_ids=[BEN.id])
    assert [(w.org_id, w.title, w.since, w.until) for w in history] == [
        (acme.id, "Counsel", T0 - 5 * DAY, T0 + 20 * DAY),
        (globex.id, "General Counsel", T0 + 30 * DAY, None),
    ]
    assert history[0].provenance == PROV
    assert [w.person_id for w in people.works_at(org_ids=[globex.id])] == [BEN.id]


def test_interactions_are_idempotent_and_feed_knows(people):
    first = email("m1@acme.com", BEN, [ANA, CHO], T0, "Export controls review", topics=["export controls"])
    reply = email("m2@firm.com", ANA, [BEN], T0 + 3600, "Re: Export controls review", parent=first.id)
    assert write(people, first) == [first.id]
    assert write(people, reply, parents={first.id: first}) == [reply.id]
    before = {(k.a, k.b): k for k in people.iter_knows()}
    assert write(people, first, reply, parents={first.id: first}) == []  # re-ingest changes nothing
    assert {(k.a, k.b): k for k in people.iter_knows()} == before
    assert people.counts()["interactions"] == 2

    edge = next(k for k in people.knows_of([ANA.id]) if {k.a, k.b} == {ANA.id, BEN.id})
    ana_is_a = edge.a == ANA.id
    sent_by_ana = edge.emails_ab if ana_is_a else edge.emails_ba
    sent_by_ben = edge.emails_ba if ana_is_a else edge.emails_ab
    ana_replies = edge.replies_ab if ana_is_a else edge.replies_ba
    ana_reply_hours = edge.reply_hours_ab if ana_is_a else edge.reply_hours_ba
    assert (sent_by_ana, sent_by_ben, ana_replies, ana_reply_hours) == (1, 1, 1, 1.0)
    assert edge.email_weight == pytest.approx(0.5 + 1.0)  # one of two recipients, then 1:1
    assert (edge.first_at, edge.last_at) == (T0, T0 + 3600)

    got = people.get_interactions([first.id])[first.id]
    assert got.participants == first.participants
    assert got.topics == ["export controls"] and got.subject == "Export controls review"
    assert got.provenance == first.provenance


def test_a_pair_in_several_interactions_of_one_batch_sums_like_one_at_a_time(people):
    """A store writes each pair's deltas summed per batch: the edge is what writing them one by one makes."""
    mails = [email(f"p{n}@acme.com", BEN if n % 2 else ANA, [ANA if n % 2 else BEN, CHO][: 1 + n % 3 // 2],
                   T0 + (5 - n) * DAY, f"Note {n}") for n in range(6)]
    write(people, mails[0])
    assert write(people, *mails[1:]) == [m.id for m in mails[1:]]
    edge = next(k for k in people.knows_of([ANA.id]) if {k.a, k.b} == {ANA.id, BEN.id})
    by_ben = [m for m in mails if m.participants[0].person_id == BEN.id]
    by_ana = [m for m in mails if m.participants[0].person_id == ANA.id]
    ana_is_a = edge.a == ANA.id
    assert (edge.emails_ab, edge.emails_ba) == ((len(by_ana), len(by_ben)) if ana_is_a else (len(by_ben), len(by_ana)))
    assert edge.email_weight == pytest.approx(sum(1 / (len(m.participants) - 1) for m in mails))
    assert (edge.first_at, edge.last_at) == (T0, T0 + 5 * DAY)


def test_removed_interactions_are_gone_and_their_people_named_for_recomputing_knows(people):
    from kith.graph.identity import recompute_knows

    kept = email("m1@acme.com", BEN, [ANA], T0, "Export controls review", topics=["export controls"])
    cancelled = email("m2@acme.com", CHO, [ANA, DEV], T0 + DAY, "Merger kickoff", topics=["merger kickoff"])
    write(people, kept, cancelled)
    assert people.remove_interactions([cancelled.id, "i_unknown"]) == sorted([ANA.id, CHO.id, DEV.id])
    recompute_knows(people, [ANA.id, CHO.id, DEV.id])
    assert people.get_interactions([kept.id, cancelled.id]).keys() == {kept.id}
    assert [i.id for i in people.interactions_of(CHO.id)] == []
    assert {frozenset((k.a, k.b)) for k in people.iter_knows()} == {frozenset((ANA.id, BEN.id))}
    assert people.search_text(query_phrases("merger kickoff")) == []
    assert people.remove_interactions([cancelled.id]) == []


def test_duplicates_within_one_batch_count_once(people):
    m = email("dup@acme.com", BEN, [ANA], T0)
    other = email("other@acme.com", CHO, [ANA], T0)
    assert write(people, m, other, m) == [m.id, other.id]  # in order of first occurrence
    assert sum(k.emails_ab + k.emails_ba for k in people.iter_knows()) == 2


def test_bulk_mail_is_stored_but_adds_no_strength(people):
    newsletter = email("news@acme.com", BEN, [ANA], T0, "Acme newsletter", category=Category.BULK)
    assert write(people, newsletter) == [newsletter.id]
    assert people.counts()["knows"] == 0
    assert people.get_interactions([newsletter.id])[newsletter.id].category == Category.BULK


def test_meetings_link_every_attendee_who_did_not_decline(people):
    meeting = Interaction(
        id=ids.interaction_id("meeting", "uid-1"),
        kind=InteractionKind.MEETING,
        occurred_at=T0,
        participants=[
            Participant(ANA.id, Role.ORGANIZER, Attendance.ACCEPTED),
            Participant(BEN.id, Role.ATTENDEE, Attendance.ACCEPTED),
            Participant(CHO.id, Role.ATTENDEE, Attendance.DECLINED),
        ],
        duration_s=1800,
    )
    write(people, meeting)
    pairs = {frozenset((k.a, k.b)): k for k in people.iter_knows()}
    assert set(pairs) == {frozenset((ANA.id, BEN.id))}
    assert pairs[frozenset((ANA.id, BEN.id))].meetings == 1
    got = people.get_interactions([meeting.id])[meeting.id]
    assert got.participants[2].status == Attendance.DECLINED and got.duration_s == 1800


def test_interactions_of_a_person_newest_first_and_as_of(people):
    old = email("old@acme.com", BEN, [ANA], T0)
    new = email("new@acme.com", BEN, [ANA], T0 + DAY)
    undated = email("undated@acme.com", BEN, [ANA], None)
    other = email("other@acme.com", CHO, [DEV], T0)
    write(people, old, new, undated, other)
    assert [i.id for i in people.interactions_of(ANA.id)] == [new.id, old.id, undated.id]
    assert [i.id for i in people.interactions_of(ANA.id, before=T0 + 1)] == [old.id]
    assert [i.id for i in people.interactions_of(ANA.id, limit=1)] == [new.id]


def test_interactions_between_two_people_newest_first(people):
    old = email("old@acme.com", BEN, [ANA], T0)
    new = email("new@acme.com", ANA, [CHO, BEN], T0 + DAY)
    undated = email("undated@acme.com", BEN, [ANA], None)
    elsewhere = email("elsewhere@acme.com", BEN, [CHO], T0 + 2 * DAY)
    write(people, old, new, undated, elsewhere)
    assert [i.id for i in people.interactions_between(ANA.id, BEN.id)] == [new.id, old.id, undated.id]
    assert [i.id for i in people.interactions_between(BEN.id, ANA.id, before=T0 + 1)] == [old.id]
    assert [i.id for i in people.interactions_between(ANA.id, BEN.id, limit=1)] == [new.id]
    assert people.interactions_between(ANA.id, BEN.id)[0].participants  # whole interactions, not just ids
    assert people.interactions_between(ANA.id, DEV.id) == []


def test_path_facts_answer_as_the_reads_they_replace(people):
    acme = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com"], PROV)
    globex = Organization(ids.org_id("globex"), "Globex", "globex", ["globex.com"])
    people.upsert_organizations([acme, globex])
    people.add_works_at([WorksAt(BEN.id, acme.id, "Counsel", since=T0, provenance=PROV),
                         WorksAt(BEN.id, globex.id, "Analyst", since=T0 - 90 * DAY, until=T0 - DAY),
                         WorksAt(CHO.id, globex.id, "CFO")])
    old = email("old@acme.com", BEN, [ANA], T0)
    new = email("new@acme.com", ANA, [CHO, BEN], T0 + DAY)
    undated = email("undated@acme.com", BEN, [ANA], None)
    later = email("later@acme.com", CHO, [ANA], T0 + 2 * DAY)
    write(people, old, new, undated, later)
    pairs = [(ANA.id, BEN.id), (CHO.id, ANA.id), (ANA.id, DEV.id)]

    facts = people.path_facts([ANA.id, BEN.id, "p_missing"], pairs, before=T0 + 2 * DAY, limit=2,
                              titled=[ANA.id, BEN.id, "p_missing"])
    assert facts.people == people.get_people([ANA.id, BEN.id])
    assert facts.jobs == people.works_at(person_ids=[ANA.id, BEN.id])
    assert {(w.org_id, w.title) for w in facts.jobs} == {(acme.id, "Counsel"), (globex.id, "Analyst")}
    assert facts.orgs == people.get_organizations([acme.id, globex.id])
    # each shared interaction as a Contact: what it was, when, and who took part (for the reader's walls)
    assert facts.shared == [[Contact(i.id, i.kind, i.occurred_at, tuple(sorted(i.people()))) for i in items]
                            for items in people.interactions_between_pairs(pairs, before=T0 + 2 * DAY, limit=2)]
    assert [[i.id for i in items] for items in facts.shared] == [[new.id, old.id], [new.id], []]
    assert facts.shared[0][0] == Contact(new.id, InteractionKind.EMAIL, T0 + DAY, tuple(sorted([ANA.id, BEN.id,
                                                                                                CHO.id])))
    everything = people.path_facts([CHO.id], pairs[:1], titled=[CHO.id])
    assert [i.id for i in everything.shared[0]] == [new.id, old.id, undated.id]
    assert [w.title for w in everything.jobs] == ["CFO"] and set(everything.orgs) == {globex.id}
    # jobs only of the people titled (a path names its target's): Ben's are not read, Cho's are
    untitled = people.path_facts([BEN.id, CHO.id], [], titled=[CHO.id])
    assert set(untitled.people) == {BEN.id, CHO.id}
    assert [w.title for w in untitled.jobs] == ["CFO"] and set(untitled.orgs) == {globex.id}
    nothing = people.path_facts([], [])
    assert (nothing.people, nothing.jobs, nothing.orgs, nothing.shared) == ({}, [], {}, [])
    # the store's generation comes with the facts (what warm paths check their network against)
    assert facts.generation == nothing.generation == people.generation() > 0
    people.set_meta({"touch": "1"})
    assert people.path_facts([], []).generation == people.generation() > facts.generation


def test_full_text_search_latin_accents_and_cjk(people):
    write(
        people,
        email("a@acme.com", BEN, [ANA], T0, "GDPR transfers to the US"),
        email("b@acme.com", BEN, [ANA], T0 + DAY, "出口管制に関する相談"),
        email("c@acme.com", CHO, [ANA], T0 + 2 * DAY, "Übernahme der Müller GmbH"),
    )
    hit = people.search_text(query_phrases("gdpr"))
    assert [h.text for h in hit] == ["GDPR transfers to the US"]
    assert hit[0].kind == "email" and hit[0].occurred_at == T0
    assert [h.text for h in people.search_text(query_phrases("出口管制"))] == ["出口管制に関する相談"]
    assert [h.text for h in people.search_text(query_phrases("muller"))] == ["Übernahme der Müller GmbH"]
    assert people.search_text(query_phrases("gdpr"), before=T0) == []
    assert people.search_text(query_phrases("merger")) == []
    assert len(people.search_text(query_phrases("gdpr müller"))) == 2


def test_deals_with_roles_are_stored_and_searchable(people):
    acme = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com"])
    people.upsert_organizations([acme])
    deal = Deal(
        id=ids.deal_id("crm", "OPP-1"), name="Acme export compliance programme", org_id=acme.id, stage="Proposal",
        status=DealStatus.OPEN, amount=250_000.0, currency="EUR", opened_at=T0,
        roles=[DealRole(BEN.id, DealRoleKind.DECISION_MAKER), DealRole(ANA.id, DealRoleKind.TEAM_MEMBER)],
        provenance=PROV,
    )
    people.upsert_deals([deal])
    people.upsert_deals([deal])
    assert people.counts()["deals"] == 1
    got = people.get_deals([deal.id])[deal.id]
    assert (got.amount, got.currency, got.status, got.org_id) == (250_000.0, "EUR", DealStatus.OPEN, acme.id)
    assert sorted(got.roles, key=lambda r: r.role) == sorted(deal.roles, key=lambda r: r.role)
    assert [d.id for d in people.deals_of(person_ids=[BEN.id])] == [deal.id]
    assert [d.id for d in people.deals_of(org_ids=[acme.id])] == [deal.id]
    assert [h.doc_id for h in people.search_text(query_phrases("compliance"))] == [deal.id]


def test_erasing_a_person_removes_them_and_what_derives_from_them(people):
    only_ben = email("e1@acme.com", BEN, [ANA], T0, "Private matter for Ben")
    group = email("e2@firm.com", ANA, [BEN, DEV], T0, "Team sync")
    write(people, only_ben, group)
    removed = people.erase_person(BEN.id)
    assert removed["emails"] == 1 and removed["interactions"] == 1
    assert people.get_people([BEN.id]) == {}
    assert people.people_by_email(["ben@acme.com"]) == {}
    assert all(BEN.id not in (k.a, k.b) for k in people.iter_knows())
    assert people.get_interactions([only_ben.id]) == {}
    assert people.search_text(query_phrases("private")) == []
    remaining = people.get_interactions([group.id])[group.id]
    assert [p.person_id for p in remaining.participants] == [ANA.id, DEV.id]
    assert people.erased_hashes([ids.email_hash("ben@acme.com"), ids.email_hash("ana@firm.com")]) == {
        ids.email_hash("ben@acme.com")
    }
    with pytest.raises(NotFound):
        people.erase_person(BEN.id)


def test_generation_moves_on_every_write_and_meta_round_trips(store):
    g0 = store.generation()
    store.set_meta({"checkpoint:/mail": "42", "checkpoint:/other": "7"})
    store.set_meta({"checkpoint:/mail": "43"})
    assert (store.get_meta("checkpoint:/mail"), store.get_meta("checkpoint:/other")) == ("43", "7")
    assert store.get_meta("missing") is None
    assert store.generation() > g0


def test_iter_people_streams_everyone_with_addresses(people):
    streamed = list(people.iter_people())
    assert sorted(p.id for p in streamed) == sorted(p.id for p in (ANA, BEN, CHO, DEV))
    assert {p.id: p.emails for p in streamed}[CHO.id] == ["cho@acme.com"]


def test_replies_to_finds_stored_children(people):
    root = email("root@acme.com", BEN, [ANA], T0)
    child = email("child@firm.com", ANA, [BEN], T0 + 60, parent=root.id)
    write(people, child)
    assert [i.id for i in people.replies_to([root.id, "i_other"])] == [child.id]
    assert people.replies_to([child.id]) == []


def test_iter_knows_streams_every_edge(people):
    write(people, *(email(f"k{n}@x", ANA, [p], T0 + n) for n, p in enumerate([BEN, CHO, DEV])))
    edges = list(people.iter_knows())
    assert len(edges) == 3 == people.counts()["knows"]
    assert all(k.a < k.b for k in edges)


def test_the_network_read_gives_every_edge_its_own_values(people, monkeypatch):
    """A counter that is zero on all of a person's edges, or on some, or unknown times: each edge its value.
    Neo4j's read here comes in rows of one person and batches of two rows, the last batch without edges."""
    import numpy as np

    from kith.graph import neo4j_store
    from kith.graph.edges import read_edges

    monkeypatch.setattr(neo4j_store, "_KNOWS_PEOPLE_PER_ROW", 1)
    monkeypatch.setattr(neo4j_store, "_KNOWS_ROWS", 2)

    x, y, z, w = sorted(p.id for p in (ANA, BEN, CHO, DEV))
    knows = [Knows(x, y, T0, T0 + DAY, emails_ab=3, meetings=2, meeting_weight=1.5),
             Knows(x, z, None, None, emails_ab=1, notes=0.25),
             Knows(x, w, T0, T0, emails_ba=1),
             Knows(y, z, T0 + 1, T0 + 2, calls=4)]
    people.replace_knows([x, y, z, w], knows)
    edges = read_edges(people)
    ids = edges.ids.tolist()
    assert [(ids[a], ids[b]) for a, b in zip(edges.a, edges.b)] == [(k.a, k.b) for k in knows]
    for column in ("first_at", "last_at", *KNOWS_COUNTERS):
        want = [np.nan if getattr(k, column) is None else getattr(k, column) for k in knows]
        np.testing.assert_array_equal(edges.cols[column], want, err_msg=column)
