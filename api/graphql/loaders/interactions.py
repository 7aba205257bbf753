"""Interactions by id: None for one that involves anyone behind the reader's walls."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.graph.model import Interaction
from kith.graph.scope import Scope
from kith.graph.store import Store


def interactions_loader(store: Store, run: Run, scope: Scope) -> DataLoader[str, Interaction | None]:
    async def load(ids: list[str]) -> list[Interaction | None]:
        found = await run(store.get_interactions, ids)
        return [i if (i := found.get(k)) is not None and scope.sees_interaction(i) else None for k in ids]

    return DataLoader(load_fn=load)
