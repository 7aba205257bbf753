"""Builders for small hand-made graphs (imported by the ranking tests): people and KNOWS edges written straight through the store."""

from __future__ import annotations

from kith.graph import ids
from kith.graph.model import Knows, Person, Provenance

T0 = 1_700_000_000
DAY = 86_400
PROV = Provenance("manual", "tests", "ranking", ingested_at=T0)

# Edge kinds, all last in touch at T0 (scored at T0: recency 0). Their bands are pinned by
# test_strength.test_edge_kinds_hand_computed.
STRONG = dict(meetings=10, meeting_weight=10, first_at=T0 - 365 * DAY)  # strong
MEDIUM = dict(emails_ab=1, email_weight=1)  # medium: one email
WEAK = dict(emails_ab=1, email_weight=1 / 30)  # weak: one email to a list of 30


def pid(name: str) -> str:
    return ids.person_id(f"{name}@{'firm.com' if name[0].isupper() else 'client.com'}")


def person(name: str, *, internal: bool = False, opted_out: bool = False, blocked: bool = False) -> Person:
    email = f"{name.lower()}@{'firm.com' if internal else 'client.com'}"
    return Person(ids.person_id(email), name=name.title(), emails=[email], given_name=name.title(),
                  is_internal=internal, opted_out=opted_out, blocked=blocked, provenance=PROV)


def edge(x: Person, y: Person, kind: dict, last_at: int = T0) -> Knows:
    a, b = sorted((x.id, y.id))
    fields = {"first_at": last_at, **kind}
    fields.setdefault("first_at", last_at)
    return Knows(a, b, last_at=last_at, **fields)


def write_graph(store, people: list[Person], edges: list[Knows]) -> None:
    store.upsert_people(people)
    for p in people:
        if p.opted_out or p.blocked:
            store.update_person(p.id, opted_out=p.opted_out, blocked=p.blocked)
    store.replace_knows([p.id for p in people], edges)


def email_item(key: str, sender: Person, to: list[Person], at: int | None, *, cc: list[Person] = (),
               parent: str = "", category=None):
    from kith.graph.model import Category, Interaction, InteractionKind, Participant, Role

    return Interaction(
        id=ids.interaction_id("email", key), kind=InteractionKind.EMAIL, occurred_at=at,
        participants=[Participant(sender.id, Role.FROM)] + [Participant(p.id, Role.TO) for p in to]
        + [Participant(p.id, Role.CC) for p in cc],
        parent_id=parent, category=category or Category.PERSONAL, provenance=PROV)


def meeting_item(key: str, people: list[Person], at: int | None):
    from kith.graph.model import Interaction, InteractionKind, Participant, Role

    return Interaction(
        id=ids.interaction_id("meeting", key), kind=InteractionKind.MEETING, occurred_at=at,
        participants=[Participant(people[0].id, Role.ORGANIZER)] + [Participant(p.id, Role.ATTENDEE) for p in people[1:]],
        provenance=PROV)


def ingest(store, items) -> None:
    """Store interactions with their KNOWS deltas, as the ingest pipelines do (parents in the batch)."""
    from kith.graph.knows import deltas
    from kith.graph.model import InteractionWrite

    by_id = {i.id: i for i in items}
    store.add_interactions([InteractionWrite(i, tuple(deltas(i, by_id.get(i.parent_id)))) for i in items])
