"""Person records by id, as stored, with no visibility rule: for sharing levels and admin look-ups.

Never hand these to a client directly; ``people.py`` is the loader that applies the reader's scope."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.graph.model import Person
from kith.graph.store import Store


def people_records_loader(store: Store, run: Run) -> DataLoader[str, Person | None]:
    async def load(ids: list[str]) -> list[Person | None]:
        found = await run(store.get_people, ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)
