"""The deals of each person or organisation (keys ``person:ID`` / ``org:ID``), walled deals left out."""

from __future__ import annotations

from collections import defaultdict

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.graph.model import Deal
from kith.graph.scope import Scope
from kith.graph.store import Store


def deals_of_loader(store: Store, run: Run, scope: Scope) -> DataLoader[str, list[Deal]]:
    async def load(keys: list[str]) -> list[list[Deal]]:
        people = [k[7:] for k in keys if k.startswith("person:")]
        orgs = [k[4:] for k in keys if k.startswith("org:")]
        found: dict[str, list[Deal]] = defaultdict(list)
        if people:
            for deal in await run(store.deals_of, person_ids=people):
                for pid in {r.person_id for r in deal.roles} & set(people):
                    found["person:" + pid].append(deal)
        if orgs:
            for deal in await run(store.deals_of, org_ids=orgs):
                found["org:" + deal.org_id].append(deal)
        return [sorted((d for d in found.get(k, []) if scope.sees_deal(d.id, d.org_id)),
                       key=lambda d: (-(d.opened_at or 0), d.id)) for k in keys]

    return DataLoader(load_fn=load)
