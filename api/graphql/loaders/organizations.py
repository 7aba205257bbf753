"""Organisations by id: None for one behind the reader's walls, exactly as for one that does not exist."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.graph.model import Organization
from kith.graph.scope import Scope
from kith.graph.store import Store


def organizations_loader(store: Store, run: Run, scope: Scope) -> DataLoader[str, Organization | None]:
    async def load(ids: list[str]) -> list[Organization | None]:
        wanted = [i for i in ids if scope.sees_org(i)]
        found = await run(store.get_organizations, wanted) if wanted else {}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)
