"""People the reader may see, by id: None for anyone behind the reader's walls, blocked or opted out.

Every person the API returns, at any depth, comes through this loader. It reads through the request's
``people_records`` loader (one batch and one read for both; a second DataLoader of its own cost a person
lookup a task and a future per request) and applies the visibility rule to what that returns."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.dataloader import DataLoader

from kith.graph.model import Person
from kith.graph.scope import Scope


def visible(person: Person | None, scope: Scope) -> bool:
    return person is not None and scope.sees_person(person.id) and not person.blocked and not person.opted_out


class PeopleLoader:
    """``load`` and ``load_many`` as a DataLoader has them, for visible people only."""

    def __init__(self, records: DataLoader[str, Person | None], scope: Scope):
        self.records, self.scope = records, scope

    async def load(self, person_id: str) -> Person | None:
        person = await self.records.load(person_id)
        return person if visible(person, self.scope) else None

    async def load_many(self, person_ids: Iterable[str]) -> list[Person | None]:
        return [p if visible(p, self.scope) else None for p in await self.records.load_many(person_ids)]
