"""People the reader may see, by id: None for anyone behind the reader's walls, blocked or opted out.

Every person the API returns, at any depth, comes through this loader. It reads through the request's
``people_records`` loader (one batch and one read for both; a second DataLoader of its own cost a person
lookup a task and a future per request) and applies the visibility rule to what that returns."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.dataloader import DataLoader

from kith.graph.model import Person
from kith.graph.scope import Scope
from kith.graph.store import Store


def visible(person: Person | None, scope: Scope) -> bool:
    return person is not None and scope.sees_person(person.id) and not person.blocked and not person.opted_out


class PeopleLoader:
    """``load`` and ``load_many`` as a DataLoader has them, for visible people only."""

    def __init__(self, records: DataLoader[str, Person | None], scope: Scope, store: Store):
        self.records, self.scope, self.store = records, scope, store

    async def load(self, person_id: str) -> Person | None:
        person = await self.records.load(person_id)
        return person if visible(person, self.scope) else None

    async def load_many(self, person_ids: Iterable[str]) -> list[Person | None]:
        return [p if visible(p, self.scope) else None for p in await self.records.load_many(person_ids)]

    def record_now(self, person_id: str) -> Person | None:
        """The stored record of ``person_id``, visible or not, without waiting for a batch: one look-up by id
        on the event loop (as ``read_now`` runs the batches), kept for the request's later loads. For a
        person asked for at the root: a batch of one would cost the lookup a task, a future and a turn of
        the event loop."""
        kept = self.records.cache_map.get(person_id)
        if kept is not None and kept.done() and not kept.cancelled() and kept.exception() is None:
            return kept.result()
        record = self.store.get_people([person_id]).get(person_id)
        self.records.prime(person_id, record, force=True)
        return record
