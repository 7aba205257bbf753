"""Account maps: who we know at an organisation, who of us knows them, and how well."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from kith.api.graphql.pagination import Connection, Paginated, page_window
from kith.api.graphql.types.records import (
    GraphFormat,
    Organization,
    Person,
    Tie,
    export_graph,
    person_nodes,
    when,
)
from kith.graph import accounts, exports
from kith.graph.strength import band


@strawberry.type
class Coverage:
    contacts: int
    known: int
    strong: int
    medium: int
    weak: int
    cold: int
    going_cold: int
    single_threaded: bool
    record: strawberry.Private[accounts.Coverage]

    @strawberry.field(description="The colleagues who hold the relationships, largest share first.")
    async def holders(self, info: Info) -> list[Holder]:
        people = {p.id: p for p in await person_nodes(info, [cid for cid, _ in self.record.holders])}
        return [Holder(colleague=people[cid], share=share) for cid, share in self.record.holders if cid in people]


@strawberry.type
class Holder:
    colleague: Person
    share: float


@strawberry.type
class AccountContact:
    person: Person
    title: str
    best_strength: float
    best_band: str
    last_touch: datetime | None
    record: strawberry.Private[accounts.AccountContact]

    @strawberry.field(graphql_type=Connection[Tie], extensions=[Paginated()],
                      description="The colleagues who know them, strongest first.")
    async def ties(self, info: Info, first: int, after: str | None = None) -> list[Tie]:
        shown = self.record.ties[:page_window(first, after).end]
        people = {p.id: p for p in await person_nodes(info, [x.colleague_id for x in shown])}
        return [Tie(person=people[x.colleague_id], strength=x.strength, band=x.band, last_at=when(x.last_at))
                for x in shown if x.colleague_id in people]


@strawberry.type(description="Who we know at an organisation, who of us knows them, and how well.")
class AccountMap:
    organization: Organization
    coverage: Coverage
    record: strawberry.Private[accounts.AccountMap]
    as_of: strawberry.Private[int | None] = None

    @strawberry.field(description="The map as a file: its people and the colleagues who know them, with strength, "
                                  "band, last touch, organisation and colleague/contact on every node and edge.")
    async def export(self, info: Info, format: GraphFormat) -> str:
        return await export_graph(info, exports.account_graph, self.record.org_id, fmt=format, as_of=self.as_of)

    @strawberry.field(graphql_type=Connection[AccountContact], extensions=[Paginated()],
                      description="Its people we know or could know, best known first.")
    async def contacts(self, info: Info, first: int, after: str | None = None) -> list[AccountContact]:
        shown = self.record.contacts[:page_window(first, after).end]  # people are read for the page only
        people = {p.id: p for p in await person_nodes(info, [c.person_id for c in shown])}
        return [AccountContact(person=people[c.person_id], title=c.title, best_strength=c.best_strength,
                               best_band=band(c.best_strength), last_touch=when(c.last_touch), record=c)
                for c in shown if c.person_id in people]
