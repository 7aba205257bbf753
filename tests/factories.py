"""Hand-made people and mail for store and graph tests, written through the store interface."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kith.graph import ids
from kith.graph.knows import deltas
from kith.graph.model import Category, Interaction, InteractionKind, InteractionWrite, Participant, Person, Provenance, Role

T0 = 1_700_000_000  # 2023-11-14
DAY = 86_400
PROV = Provenance("email", "/mail/inbox.mbox", "msg-1", ingested_at=T0)


def person(email: str, name: str = "", internal: bool = False) -> Person:
    return Person(ids.person_id(email), name=name, emails=[email], is_internal=internal, provenance=PROV)


def email(key: str, sender: Person, to: Iterable[Person], at: int | None = T0, subject: str = "", *,
          cc: Iterable[Person] = (), parent: str = "", category: Category = Category.PERSONAL,
          topics: Iterable[str] = ()) -> Interaction:
    """One email from ``sender`` to ``to`` (and ``cc``); ``key`` stands for its Message-ID."""
    return Interaction(
        id=ids.interaction_id("email", key),
        kind=InteractionKind.EMAIL,
        occurred_at=at,
        participants=[Participant(sender.id, Role.FROM, address=sender.emails[0])]
        + [Participant(p.id, Role.TO, address=p.emails[0]) for p in to]
        + [Participant(p.id, Role.CC, address=p.emails[0]) for p in cc],
        subject=subject,
        topics=list(topics),
        parent_id=parent,
        category=category,
        provenance=Provenance("email", "/mail/inbox.mbox", key, ingested_at=T0),
    )


def write(store, *items: Interaction, parents: Mapping[str, Interaction] | None = None) -> list[str]:
    """Store interactions with their KNOWS deltas, as the ingest pipelines do; ``parents``: the
    interactions some of them reply to, already stored. Returns the ids of the new ones."""
    parents = parents or {}
    return store.add_interactions([InteractionWrite(i, tuple(deltas(i, parents.get(i.parent_id)))) for i in items])
