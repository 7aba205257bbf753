"""The two stores answer alike: one world written into SQLite and into Neo4j, every read compared as data
(value and type: 100 and 100.0, None and "", True and 1 differ), after writes, re-writes, a merge and a split.
A record the stores read back differently would make an answer depend on the store (a loader filled from one
read and checked against another, an export, a cache key)."""

from __future__ import annotations

import dataclasses
from enum import Enum

import pytest

from kith.graph import ids
from kith.graph.model import (
    Attendance,
    Category,
    Deal,
    DealRole,
    DealRoleKind,
    DealStatus,
    IdentityEvent,
    IdentityEventKind,
    Interaction,
    InteractionKind,
    Organization,
    Participant,
    Person,
    Provenance,
    ReviewItem,
    ReviewStatus,
    Role,
    Sharing,
    WorksAt,
)
from tests.factories import DAY, T0, email, write
from tests.neo4j_server import neo4j_store

pytestmark = pytest.mark.xdist_group("neo4j")  # it empties the test Neo4j


def prov(record: str, at: int = T0) -> Provenance:
    return Provenance("contacts", "/cards/all.vcf", record, ingested_at=at)


ANA = Person(ids.person_id("ana@firm.com"), "Ana Alves", ["ana@firm.com"], ["+4420000002", "+4420000001"],
             "Ana", "Alves", is_internal=True, provenance=prov("ana"))
BEN = Person(ids.person_id("ben@acme.com"), "Ben Baker", ["ben@acme.com", "b.baker@acme.com"],
             provenance=prov("ben", T0 + 5))
CHO = Person(ids.person_id("cho@acme.com"), "", ["cho@acme.com"])  # no name, no provenance
DEV = Person(ids.person_id("dev@firm.com"), "Dev Patel", ["dev@firm.com"], is_internal=True, provenance=prov("dev"))
EVE = Person(ids.person_id("eve@globex.com"), "Eve", ["eve@globex.com"], provenance=prov("eve"))
EVE_TOO = Person(ids.person_id("eve.e@globex.com"), "Eve E.", ["eve.e@globex.com", "eve@home.example"],
                 ["+15550000"], "Eve", "Evans", provenance=prov("eve2", T0 + 9))
FAY = Person(ids.person_id("fay@acme.com"), "Fay", ["fay@acme.com"], provenance=prov("fay"))  # erased
EVERYONE = [ANA, BEN, CHO, DEV, EVE, EVE_TOO, FAY]
ACME = Organization(ids.org_id("acme"), "Acme", "acme", ["acme.com", "acme.co.uk", "a.acme.com"], prov("acme"))
GLOBEX = Organization(ids.org_id("globex"), "Globex", "globex", ["globex.com"], name_guessed=True)


def interactions() -> list[Interaction]:
    kickoff = email("k@acme.com", BEN, [ANA, CHO], T0, "Kick-off", cc=[DEV],
                    topics=["pricing", "export controls", "pricing"])
    reply = email("r@firm.com", ANA, [BEN], T0 + 3600, "Re: Kick-off", parent=kickoff.id)
    undated = email("u@acme.com", CHO, [ANA], None, "No date", category=Category.BULK)
    to_eve = email("e@firm.com", ANA, [EVE, EVE_TOO], T0 + DAY, "Globex", topics=["merger"])
    meeting = Interaction(
        ids.interaction_id("meeting", "uid-1"), InteractionKind.MEETING, T0 + 2 * DAY,
        [Participant(DEV.id, Role.ORGANIZER, Attendance.ACCEPTED, "dev@firm.com"),
         Participant(BEN.id, Role.ATTENDEE, Attendance.TENTATIVE, "b.baker@acme.com"),
         Participant(BEN.id, Role.ATTENDEE, Attendance.DECLINED, "ben@acme.com"),  # once per (person, role)
         Participant(ANA.id, Role.ATTENDEE, Attendance.NEEDS_ACTION)],
        subject="Pricing call", body="We discussed the price list.", thread_id="t-1", duration_s=1800,
        provenance=prov("uid-1"))
    note = Interaction(ids.interaction_id("note", "n-1"), InteractionKind.NOTE, T0 + 3 * DAY,
                       [Participant(ANA.id, Role.AUTHOR), Participant(BEN.id, Role.SUBJECT)],
                       body="Prefers calls", provenance=prov("n-1"))
    to_fay = email("f@firm.com", ANA, [FAY], T0 + 4 * DAY, "Only Fay")  # goes with her
    with_fay = email("g@firm.com", ANA, [FAY, BEN], T0 + 5 * DAY, "Fay and Ben")  # stays, without her
    return [kickoff, reply, undated, to_eve, meeting, note, to_fay, with_fay]


DEALS = [
    Deal(ids.deal_id("crm", "1"), "Acme export programme", ACME.id, "Proposal", DealStatus.OPEN, 250_000, "EUR",
         T0, None, [DealRole(BEN.id, DealRoleKind.DECISION_MAKER), DealRole(ANA.id, DealRoleKind.TEAM_MEMBER),
                    DealRole(CHO.id, DealRoleKind.CHAMPION)], prov("deal-1")),
    Deal(ids.deal_id("crm", "2"), "Lost bid", "", status=DealStatus.LOST, amount=1250.5, opened_at=T0 - DAY,
         closed_at=T0),
    Deal(ids.deal_id("crm", "3"), "Unpriced", GLOBEX.id),
]


def fill(store) -> None:
    store.upsert_people(EVERYONE)
    # a later source adds an address and a phone, and fills the name left empty
    store.upsert_people([Person(BEN.id, "B.", ["ben.b@acme.com"], ["+15551234"], provenance=prov("ben-2", T0 + 1)),
                         Person(CHO.id, "Cho Chen", ["chen@acme.com"], provenance=prov("cho-2"))])
    store.update_person(DEV.id, sharing=Sharing.SUBJECTS, blocked=True)
    store.update_person(CHO.id, opted_out=True)
    store.upsert_organizations([ACME, GLOBEX])
    store.add_works_at([
        WorksAt(BEN.id, ACME.id, "Counsel", T0, T0 + 10 * DAY, prov("job-1")),
        WorksAt(BEN.id, ACME.id, "Counsel", T0 - 5 * DAY, None),  # widens the same job
        WorksAt(BEN.id, GLOBEX.id, "Analyst", None, T0 - 30 * DAY),
        WorksAt(BEN.id, ACME.id, "", T0),
        WorksAt(EVE.id, GLOBEX.id, "CFO", T0 - 90 * DAY, provenance=prov("job-2")),
        WorksAt(EVE_TOO.id, GLOBEX.id, "CFO", T0 - 120 * DAY, T0 - 60 * DAY, prov("job-3")),
    ])
    items = interactions()
    write(store, *items)
    store.upsert_deals(DEALS)
    store.upsert_deals(DEALS[:1])  # a re-import changes nothing
    event = store.add_identity_event(IdentityEvent(
        IdentityEventKind.MERGE, EVE.id, EVE_TOO.id, ["eve.e@globex.com"], "same name at one firm", "kith", T0,
        {"name": "Eve E.", "phones": ["+15550000"], "score": 0.75}))
    store.reassign_person(EVE_TOO.id, EVE.id)  # a merge
    store.mark_identity_event_undone(event, "ana", T0 + DAY)
    store.reassign_person(BEN.id, CHO.id, ["b.baker@acme.com"])  # a split: an address and what came through it
    store.add_identity_event(IdentityEvent(IdentityEventKind.SPLIT, BEN.id, CHO.id, ["b.baker@acme.com"],
                                           "not Ben", "ana", T0 + 2 * DAY))
    store.add_review_items([ReviewItem(ANA.id, DEV.id, 0.5, "initials", T0),
                            ReviewItem(CHO.id, BEN.id, 0.875, "same firm", T0 + 1),
                            ReviewItem(BEN.id, CHO.id, 0.1, "again", T0 + 2)])  # one pair in either order
    [first] = store.review_items(limit=1)
    store.set_review_status(first.id, ReviewStatus.REJECTED, "ana", T0 + 3)
    store.erase_person(FAY.id)


def as_data(value):
    """A record as nested plain data in which every scalar carries its type."""
    if dataclasses.is_dataclass(value):
        return {f.name: as_data(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare}
    if isinstance(value, dict):
        return {as_data(k): as_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_data(v) for v in value]
    if isinstance(value, Enum):
        return (type(value).__name__, value.value)
    return (type(value).__name__, value)


def reads(store) -> dict[str, object]:
    people = [p.id for p in EVERYONE] + ["p_missing"]
    items = [i.id for i in interactions()]
    pairs = [(ANA.id, BEN.id), (CHO.id, ANA.id), (EVE.id, ANA.id), (DEV.id, EVE.id)]
    return {
        "get_people": store.get_people(people),
        "iter_people": list(store.iter_people()),
        "get_organizations": store.get_organizations([ACME.id, GLOBEX.id]),
        "iter_organizations": list(store.iter_organizations()),
        "works_at of people": store.works_at(person_ids=people),
        "works_at of orgs": store.works_at(org_ids=[ACME.id, GLOBEX.id]),
        "get_interactions": store.get_interactions(items),
        "interactions_of": store.interactions_of(ANA.id),
        "interactions_between": store.interactions_between(ANA.id, BEN.id),
        "interactions_between_pairs": store.interactions_between_pairs(pairs, before=T0 + 3 * DAY, limit=2),
        "path_facts": store.path_facts(people, pairs, titled=people),
        "replies_to": store.replies_to(items),
        "get_deals": store.get_deals([d.id for d in DEALS]),
        "deals_of": store.deals_of(person_ids=people, org_ids=[ACME.id, GLOBEX.id]),
        "knows_of": store.knows_of(people),
        "iter_knows": sorted(store.iter_knows(), key=lambda k: (k.a, k.b)),  # a stream in no set order
        "identity_events": store.identity_events(people),
        "review_items": store.review_items(status=None),
        "people_by_email": store.people_by_email(["ben@acme.com", "b.baker@acme.com", "eve@home.example"]),
        "orgs_by_domain": store.orgs_by_domain(["acme.co.uk", "globex.com"]),
        "people_at_domains": store.people_at_domains(["acme.com", "home.example"]),
        "search_text": sorted((h.doc_id, h.kind, h.occurred_at, h.text)  # each store ranks by its own score
                              for h in store.search_text(["pricing", "export", "globex"])),
        "erased_hashes": store.erased_hashes([ids.email_hash("fay@acme.com"), ids.email_hash("ana@firm.com")]),
        "counts": store.counts(),
    }


@pytest.fixture
def both(tmp_path):
    from kith.graph.sqlite_store import SQLiteStore

    neo4j = neo4j_store()
    sqlite = SQLiteStore.open(tmp_path / "kith.db")
    yield sqlite, neo4j
    sqlite.close()
    neo4j.close()


def test_every_read_gives_the_same_records_on_both_stores(both):
    sqlite, neo4j = both
    for store in both:
        fill(store)
    got = {store.kind: reads(store) for store in both}
    for name in got["sqlite"]:
        assert as_data(got["neo4j"][name]) == as_data(got["sqlite"][name]), name
    assert got["sqlite"]["get_people"][BEN.id].emails  # the world is not empty
    assert got["sqlite"]["interactions_between"] and got["sqlite"]["review_items"]
