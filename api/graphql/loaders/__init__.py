"""Per-request DataLoaders, one per file, each named for what it loads. Every loader that can return
graph data applies the reader's ``Scope`` as it reads, so nested fields see what top-level ones see."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.api.graphql.loaders.deals import deals_loader
from kith.api.graphql.loaders.deals_of import deals_of_loader
from kith.api.graphql.loaders.interactions import interactions_loader
from kith.api.graphql.loaders.jobs import jobs_loader
from kith.api.graphql.loaders.knows import knows_loader
from kith.api.graphql.loaders.organizations import organizations_loader
from kith.api.graphql.loaders.people import people_loader
from kith.api.graphql.loaders.people_records import people_records_loader
from kith.api.graphql.loaders.staff import staff_loader
from kith.graph.model import Deal, Interaction, Knows, Organization, Person, WorksAt
from kith.graph.scope import Scope
from kith.graph.store import Store


@dataclass(slots=True)
class Loaders:
    people_records: DataLoader[str, Person | None]
    people: DataLoader[str, Person | None]
    organizations: DataLoader[str, Organization | None]
    interactions: DataLoader[str, Interaction | None]
    knows: DataLoader[str, list[Knows]]
    jobs: DataLoader[str, list[WorksAt]]
    staff: DataLoader[str, list[str]]
    deals: DataLoader[str, Deal | None]
    deals_of: DataLoader[str, list[Deal]]

    @classmethod
    def create(cls, store: Store, run: Run, scope: Scope) -> Loaders:
        records = people_records_loader(store, run)
        return cls(
            people_records=records,
            people=people_loader(records, scope),
            organizations=organizations_loader(store, run, scope),
            interactions=interactions_loader(store, run, scope),
            knows=knows_loader(store, run, scope),
            jobs=jobs_loader(store, run, scope),
            staff=staff_loader(store, run, scope),
            deals=deals_loader(store, run, scope),
            deals_of=deals_of_loader(store, run, scope),
        )
