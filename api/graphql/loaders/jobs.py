"""Each person's employment rows at organisations the reader may see, newest first."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.graph.model import WorksAt
from kith.graph.scope import Scope
from kith.graph.store import Store


def jobs_loader(store: Store, run: Run, scope: Scope) -> DataLoader[str, list[WorksAt]]:
    async def load(ids: list[str]) -> list[list[WorksAt]]:
        by_person: dict[str, list[WorksAt]] = defaultdict(list)
        for row in await run(store.works_at, person_ids=ids):
            if scope.sees_org(row.org_id):
                by_person[row.person_id].append(row)
        for rows in by_person.values():
            rows.sort(key=lambda w: (w.until is not None, -(w.since or 0)))
        return [by_person.get(i, []) for i in ids]

    return DataLoader(load_fn=load)
