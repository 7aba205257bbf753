"""People, organisations, deals and interactions as GraphQL types, and the factories that are the only
way records become API objects: each applies the reader's scope, and every Person handed out is
recorded for the audit log.

Content rule (``graph.evidence``): an interaction shows a reader what its most private colleague
allows (all: subject, topics and a snippet; subjects: the subject alone; hide: only that it happened,
when and of what kind). A reader who took part in it sees it whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.types import Info

from kith.api.graphql.pagination import Connection, Paginated
from kith.graph import exports, model
from kith.graph.evidence import document_sharing, snippet
from kith.graph.network import load_network
from kith.graph.strength import band

INTERACTION_SCAN = 200  # interactions read per page when listing a person's


def when(at: int | None) -> datetime | None:
    return datetime.fromtimestamp(at, timezone.utc) if at is not None else None


def epoch(at: datetime | None) -> int | None:
    if at is None:
        return None
    return int((at if at.tzinfo else at.replace(tzinfo=timezone.utc)).timestamp())


@strawberry.enum(description="What others see of a colleague's interactions.")
class SharingLevel(Enum):
    ALL = "all"
    SUBJECTS = "subjects"
    HIDE = "hide"


# -- factories: the only way records become API objects ----------------------------------------------
async def person_node(info: Info, person_id: str) -> Person | None:
    """The person if the reader may see them (walls, blocked, opted out), audited; else None."""
    record = await info.context.loaders.people.load(person_id)
    if record is None:
        return None
    info.context.audit([person_id])
    return Person.of(record)


async def person_nodes(info: Info, person_ids: Iterable[str]) -> list[Person]:
    ids = list(dict.fromkeys(person_ids))
    records = await info.context.loaders.people.load_many(ids)
    shown = [r for r in records if r is not None]
    info.context.audit(r.id for r in shown)
    return [Person.of(r) for r in shown]


async def organization_node(info: Info, org_id: str) -> Organization | None:
    if not org_id:
        return None
    record = await info.context.loaders.organizations.load(org_id)
    return Organization.of(record) if record is not None else None


async def interaction_node(info: Info, item: model.Interaction) -> Interaction:
    ctx = info.context
    ids = item.people()
    if ctx.person_id and ctx.person_id in ids:
        level = model.Sharing.ALL
    else:
        records = await ctx.loaders.people_records.load_many(ids)
        level = document_sharing(ids, {p.id: p for p in records if p is not None})
    return Interaction.of(item, level)


async def interaction_nodes(info: Info, interaction_ids: Iterable[str]) -> list[Interaction]:
    items = await info.context.loaders.interactions.load_many(list(interaction_ids))
    return [await interaction_node(info, i) for i in items if i is not None]


async def network(info: Info):
    return await info.context.run(load_network, info.context.store)


# -- interactions ---------------------------------------------------------------------------------------
@strawberry.type
class Participation:
    person: Person
    role: str


@strawberry.type(description="An email, meeting, call or note. Its content shows what its colleagues' sharing allows.")
class Interaction:
    item: strawberry.Private[model.Interaction]
    id: strawberry.ID
    kind: str
    category: str
    occurred_at: datetime | None
    visibility: SharingLevel = strawberry.field(description="How much of its content this reader sees.")
    subject: str | None
    topics: list[str]
    snippet: str | None

    @classmethod
    def of(cls, item: model.Interaction, level: model.Sharing) -> Interaction:
        return cls(item=item, id=strawberry.ID(item.id), kind=str(item.kind), category=str(item.category),
                   occurred_at=when(item.occurred_at), visibility=SharingLevel(str(level)),
                   subject=None if level == model.Sharing.HIDE else item.subject,
                   topics=list(item.topics) if level == model.Sharing.ALL else [],
                   snippet=snippet(item.subject, item.body, level) or None)

    @strawberry.field(description="Who took part (people the reader may see).")
    async def participants(self, info: Info) -> list[Participation]:
        shown = {p.id: p for p in await person_nodes(info, self.item.people())}
        seen: set[str] = set()
        out = []
        for p in self.item.participants:
            if p.person_id in shown and p.person_id not in seen:
                seen.add(p.person_id)
                out.append(Participation(person=shown[p.person_id], role=str(p.role)))
        return out


@strawberry.type
class DealRole:
    person: Person
    role: str


@strawberry.type(description="A deal (matter, opportunity) with the people who hold roles on it.")
class Deal:
    record: strawberry.Private[model.Deal]
    id: strawberry.ID
    name: str
    stage: str
    status: str
    amount: float | None
    currency: str
    opened_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, d: model.Deal) -> Deal:
        return cls(record=d, id=strawberry.ID(d.id), name=d.name, stage=d.stage, status=str(d.status),
                   amount=d.amount, currency=d.currency, opened_at=when(d.opened_at), closed_at=when(d.closed_at))

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        return await organization_node(info, self.record.org_id)

    @strawberry.field
    async def people(self, info: Info) -> list[DealRole]:
        shown = {p.id: p for p in await person_nodes(info, [r.person_id for r in self.record.roles])}
        return [DealRole(person=shown[r.person_id], role=str(r.role)) for r in self.record.roles if r.person_id in shown]


@strawberry.type(description="A relationship from one person to another.")
class Tie:
    person: Person
    strength: float
    band: str
    last_at: datetime | None


GraphFormat = strawberry.enum(exports.GraphFormat, description="A graph file format: GraphML (yEd, Gephi, Neo4j "
                                                               "Bloom via APOC), GEXF (Gephi) or node-link JSON.")


async def export_graph(info: Info, build, *args, fmt: exports.GraphFormat, **kwargs) -> str:
    """A graph built by ``graph.exports`` for this reader, as text; everyone in it is audited."""
    graph = await info.context.read(build, info.context.store, *args, **kwargs)
    info.context.audit(graph.nodes)
    return exports.write(graph, fmt)


# -- people and organisations --------------------------------------------------------------------------
@strawberry.type(description="Someone in the graph: a colleague or an outside contact.")
class Person:
    record: strawberry.Private[model.Person]
    id: strawberry.ID
    name: str
    emails: list[str]
    is_internal: bool

    @classmethod
    def of(cls, record: model.Person) -> Person:
        return cls(record=record, id=strawberry.ID(record.id), name=record.name, emails=list(record.emails),
                   is_internal=record.is_internal)

    @strawberry.field(description="A colleague's sharing level; null for outside contacts.")
    def sharing(self) -> SharingLevel | None:
        return SharingLevel(str(self.record.sharing)) if self.record.is_internal else None

    @strawberry.field(description="Current title, at the newest visible employer.")
    async def title(self, info: Info) -> str | None:
        rows = await info.context.loaders.jobs.load(self.record.id)
        return next((w.title for w in rows if w.until is None and w.title), None)

    @strawberry.field(description="Current employer.")
    async def organization(self, info: Info) -> Organization | None:
        rows = await info.context.loaders.jobs.load(self.record.id)
        current = next((w for w in rows if w.until is None), None)
        return await organization_node(info, current.org_id) if current else None

    @strawberry.field(graphql_type=Connection[Tie], extensions=[Paginated()],
                      description="People they know, strongest first.")
    async def knows(self, info: Info, first: int, after: str | None = None) -> list[Tie]:
        edges = await info.context.loaders.knows.load(self.record.id)
        net = await network(info)
        others = {(e.b if e.a == self.record.id else e.a): e for e in edges}
        people = {p.id: p for p in await person_nodes(info, others)}
        ties = [Tie(person=people[pid], strength=round(s := net.strength(self.record.id, pid), 4), band=band(s),
                    last_at=when(others[pid].last_at)) for pid in others if pid in people]
        ties.sort(key=lambda t: (-t.strength, t.person.id))
        return ties

    @strawberry.field(description="Their ego network as a file: everyone within `hops` ties (strongest first, at most "
                                  "2000 people) with strength, band and last touch on every tie.")
    async def export_network(self, info: Info, format: GraphFormat, hops: int = 2) -> str:
        return await export_graph(info, exports.ego_graph, self.record.id, fmt=format, hops=hops)

    @strawberry.field(graphql_type=Connection[Interaction], extensions=[Paginated()],
                      description="Their interactions, newest first.")
    async def interactions(self, info: Info, first: int, after: str | None = None) -> list[Interaction]:
        from kith.api.graphql.pagination import page_window

        return await interactions_of(info, self.record.id, page_window(first, after).end)

    @strawberry.field(graphql_type=Connection[Deal], extensions=[Paginated()],
                      description="Deals they hold a role on, newest first.")
    async def deals(self, info: Info, first: int, after: str | None = None) -> list[Deal]:
        return [Deal.of(d) for d in await info.context.loaders.deals_of.load("person:" + self.record.id)]


async def interactions_of(info: Info, person_id: str, wanted: int) -> list[Interaction]:
    """The person's first ``wanted`` visible interactions, newest first (those that involve anyone
    behind the reader's walls are skipped as they are read)."""
    ctx = info.context
    limit = max(wanted * 2, INTERACTION_SCAN)
    while True:
        batch = await ctx.run(ctx.store.interactions_of, person_id, limit=limit)
        shown = [i for i in batch if ctx.scope.sees_interaction(i)]
        if len(shown) >= wanted or len(batch) < limit:
            break
        limit *= 4
    return [await interaction_node(info, i) for i in shown[:wanted]]


@strawberry.type(description="A company or other organisation.")
class Organization:
    record: strawberry.Private[model.Organization]
    id: strawberry.ID
    name: str
    domains: list[str]

    @classmethod
    def of(cls, record: model.Organization) -> Organization:
        return cls(record=record, id=strawberry.ID(record.id), name=record.name, domains=list(record.domains))

    @strawberry.field(graphql_type=Connection[Person], extensions=[Paginated()],
                      description="People who work or worked there.")
    async def people(self, info: Info, first: int, after: str | None = None) -> list[Person]:
        ids = await info.context.loaders.staff.load(self.record.id)
        return await person_nodes(info, ids)

    @strawberry.field(graphql_type=Connection[Deal], extensions=[Paginated()], description="Its deals, newest first.")
    async def deals(self, info: Info, first: int, after: str | None = None) -> list[Deal]:
        return [Deal.of(d) for d in await info.context.loaders.deals_of.load("org:" + self.record.id)]


@strawberry.type
class SearchMatch:
    kind: str  # person | organization
    id: strawberry.ID
    name: str
    detail: str

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        return await person_node(info, str(self.id)) if self.kind == "person" else None

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        return await organization_node(info, str(self.id)) if self.kind == "organization" else None


PersonId = Annotated[strawberry.ID, strawberry.argument(description="A person's id.")]
