"""The people (ids) who work or worked at each organisation, behind-the-wall people left out."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.graph.scope import Scope
from kith.graph.store import Store


def staff_loader(store: Store, run: Run, scope: Scope) -> DataLoader[str, list[str]]:
    async def load(ids: list[str]) -> list[list[str]]:
        wanted = [i for i in ids if scope.sees_org(i)]
        by_org: dict[str, dict[str, None]] = defaultdict(dict)
        for row in await run(store.works_at, org_ids=wanted) if wanted else []:
            if scope.sees_person(row.person_id):
                by_org[row.org_id][row.person_id] = None
        return [sorted(by_org.get(i, {})) for i in ids]

    return DataLoader(load_fn=load)
