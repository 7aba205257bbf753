"""KNOWS edges of each person, in one store read for a whole selection; edges to anyone behind the
reader's walls are left out here, at the read."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.graph.model import Knows
from kith.graph.scope import Scope
from kith.graph.store import Store


def knows_loader(store: Store, run: Run, scope: Scope) -> DataLoader[str, list[Knows]]:
    async def load(ids: list[str]) -> list[list[Knows]]:
        by_person: dict[str, list[Knows]] = defaultdict(list)
        wanted = set(ids)
        for edge in await run(store.knows_of, ids):
            if not (scope.sees_person(edge.a) and scope.sees_person(edge.b)):
                continue
            for side in {edge.a, edge.b} & wanted:
                by_person[side].append(edge)
        return [by_person.get(i, []) for i in ids]

    return DataLoader(load_fn=load)
