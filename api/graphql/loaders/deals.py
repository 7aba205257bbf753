"""Deals by id: None for a walled deal or one of a walled organisation."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.graph.model import Deal
from kith.graph.scope import Scope
from kith.graph.store import Store


def deals_loader(store: Store, run: Run, scope: Scope) -> DataLoader[str, Deal | None]:
    async def load(ids: list[str]) -> list[Deal | None]:
        wanted = [i for i in ids if scope.sees_deal(i)]
        found = await run(store.get_deals, wanted) if wanted else {}
        return [d if (d := found.get(i)) is not None and scope.sees_deal(d.id, d.org_id) else None for i in ids]

    return DataLoader(load_fn=load)
