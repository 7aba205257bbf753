"""People the reader may see, by id: None for anyone behind the reader's walls, blocked or opted out.

Every person the API returns, at any depth, comes through this loader."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from kith.graph.model import Person
from kith.graph.scope import Scope


def visible(person: Person | None, scope: Scope) -> bool:
    return person is not None and scope.sees_person(person.id) and not person.blocked and not person.opted_out


def people_loader(records: DataLoader[str, Person | None], scope: Scope) -> DataLoader[str, Person | None]:
    async def load(ids: list[str]) -> list[Person | None]:
        found = await records.load_many(ids)
        return [p if visible(p, scope) else None for p in found]

    return DataLoader(load_fn=load)
