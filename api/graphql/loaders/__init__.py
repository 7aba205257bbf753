"""Per-request DataLoaders, one per file, each named for what it loads. Every loader that can return
graph data applies the reader's ``Scope`` as it reads, so nested fields see what top-level ones see."""

from __future__ import annotations

from functools import cached_property

from strawberry.dataloader import DataLoader

from kith.api.graphql.loaders.base import Run
from kith.api.graphql.loaders.deals import deals_loader
from kith.api.graphql.loaders.deals_of import deals_of_loader
from kith.api.graphql.loaders.hop_evidence import HopKey, hop_evidence_loader
from kith.api.graphql.loaders.interactions import interactions_loader
from kith.api.graphql.loaders.jobs import jobs_loader
from kith.api.graphql.loaders.knows import knows_loader
from kith.api.graphql.loaders.organizations import organizations_loader
from kith.api.graphql.loaders.people import PeopleLoader
from kith.api.graphql.loaders.people_records import people_records_loader
from kith.api.graphql.loaders.staff import staff_loader
from kith.graph.model import Deal, Interaction, Knows, Organization, Person, WorksAt
from kith.graph.scope import Scope
from kith.graph.store import Store


class Loaders:
    """A request's loaders, each made when the request first uses it: a person lookup needs two of ten."""

    def __init__(self, store: Store, run: Run, scope: Scope):
        self.store, self.run, self.scope = store, run, scope

    @cached_property
    def people_records(self) -> DataLoader[str, Person | None]:
        return people_records_loader(self.store, self.run)

    @cached_property
    def people(self) -> PeopleLoader:
        return PeopleLoader(self.people_records, self.scope, self.store)

    @cached_property
    def organizations(self) -> DataLoader[str, Organization | None]:
        return organizations_loader(self.store, self.run, self.scope)

    @cached_property
    def interactions(self) -> DataLoader[str, Interaction | None]:
        return interactions_loader(self.store, self.run, self.scope)

    @cached_property
    def knows(self) -> DataLoader[str, list[Knows]]:
        return knows_loader(self.store, self.run, self.scope)

    @cached_property
    def jobs(self) -> DataLoader[str, list[WorksAt]]:
        return jobs_loader(self.store, self.run, self.scope)

    @cached_property
    def staff(self) -> DataLoader[str, list[str]]:
        return staff_loader(self.store, self.run, self.scope)

    @cached_property
    def deals(self) -> DataLoader[str, Deal | None]:
        return deals_loader(self.store, self.run, self.scope)

    @cached_property
    def deals_of(self) -> DataLoader[str, list[Deal]]:
        return deals_of_loader(self.store, self.run, self.scope)

    @cached_property
    def hop_evidence(self) -> DataLoader[HopKey, list[str]]:
        return hop_evidence_loader(self.store, self.run, self.scope)
