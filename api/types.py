"""The GraphQL types. Each wraps a graph record and resolves nested fields through the request's
loaders, which apply the reader's scope; every Person handed out is recorded for the audit log.

Content rule (``graph.evidence``): an interaction shows a reader what its most private colleague
allows (all: subject, topics and a snippet; subjects: the subject alone; hide: only that it happened,
when and of what kind). A reader who took part in it sees it whole. Strengths, bands and paths are
always shown: they carry no content.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from kith.api.pagination import Connection, Paginated, page_window
from kith.graph import accounts, exports, model
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

    @strawberry.field(extensions=[Paginated()], description="People they know, strongest first.")
    async def knows(self, info: Info, first: int, after: str | None = None) -> Connection[Tie]:
        edges = await info.context.loaders.knows.load(self.record.id)
        net = await network(info)
        others = {(e.b if e.a == self.record.id else e.a): e for e in edges}
        people = {p.id: p for p in await person_nodes(info, others)}
        ties = [Tie(person=people[pid], strength=round(s := net.strength(self.record.id, pid), 4), band=band(s),
                    last_at=when(others[pid].last_at)) for pid in others if pid in people]
        ties.sort(key=lambda t: (-t.strength, t.person.id))
        return ties  # type: ignore[return-value]

    @strawberry.field(description="Their ego network as a file: everyone within `hops` ties (strongest first, at most "
                                  "2000 people) with strength, band and last touch on every tie.")
    async def export_network(self, info: Info, format: GraphFormat, hops: int = 2) -> str:
        return await export_graph(info, exports.ego_graph, self.record.id, fmt=format, hops=hops)

    @strawberry.field(extensions=[Paginated()], description="Their interactions, newest first.")
    async def interactions(self, info: Info, first: int, after: str | None = None) -> Connection[Interaction]:
        from kith.api.pagination import page_window

        return await interactions_of(info, self.record.id, page_window(first, after).end)  # type: ignore[return-value]

    @strawberry.field(extensions=[Paginated()], description="Deals they hold a role on, newest first.")
    async def deals(self, info: Info, first: int, after: str | None = None) -> Connection[Deal]:
        return [Deal.of(d) for d in await info.context.loaders.deals_of.load("person:" + self.record.id)]  # type: ignore[return-value]


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


@strawberry.type(description="A relationship from one person to another.")
class Tie:
    person: Person
    strength: float
    band: str
    last_at: datetime | None


@strawberry.type(description="A company or other organisation.")
class Organization:
    record: strawberry.Private[model.Organization]
    id: strawberry.ID
    name: str
    domains: list[str]

    @classmethod
    def of(cls, record: model.Organization) -> Organization:
        return cls(record=record, id=strawberry.ID(record.id), name=record.name, domains=list(record.domains))

    @strawberry.field(extensions=[Paginated()], description="People who work or worked there.")
    async def people(self, info: Info, first: int, after: str | None = None) -> Connection[Person]:
        ids = await info.context.loaders.staff.load(self.record.id)
        return await person_nodes(info, ids)  # type: ignore[return-value]

    @strawberry.field(extensions=[Paginated()], description="Its deals, newest first.")
    async def deals(self, info: Info, first: int, after: str | None = None) -> Connection[Deal]:
        return [Deal.of(d) for d in await info.context.loaders.deals_of.load("org:" + self.record.id)]  # type: ignore[return-value]


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


# -- ranked answers -------------------------------------------------------------------------------------
@strawberry.type
class Signal:
    name: str
    points: float
    value: float | None = None


@strawberry.type(description="One relationship on a path.")
class Hop:
    source: Person
    target: Person
    strength: float
    band: str
    signals: list[Signal]
    last_at: datetime | None
    as_of: strawberry.Private[int | None]

    @strawberry.field(description="Interactions that made this relationship, newest first.")
    async def evidence(self, info: Info) -> list[Interaction]:
        ids = await info.context.loaders.hop_evidence.load((str(self.source.id), str(self.target.id), self.as_of))
        return await interaction_nodes(info, ids)


@strawberry.type(description="A chain of relationships from a colleague to the target, with the introduction to ask for.")
class WarmPath:
    people: list[Person]
    score: float
    hops: list[Hop]
    introduction: str


async def warm_path_node(info: Info, path, as_of: int | None) -> WarmPath | None:
    """A graph WarmPath (found ``as_of``) as a node, or None when anyone on it is not visible to the
    reader. Its hops' evidence is read when a query selects it."""
    people = {p.id: p for p in await person_nodes(info, path.people)}
    if any(pid not in people for pid in path.people):
        return None
    hops = [Hop(source=people[h.source], target=people[h.target], strength=h.strength, band=h.band,
                signals=[Signal(name=n, points=v, value=h.values.get(n)) for n, v in h.signals.items()],
                last_at=when(h.last_at), as_of=as_of) for h in path.hops]
    return WarmPath(people=[people[p] for p in path.people], score=path.score, hops=hops,
                    introduction=path.introduction)


@strawberry.type
class ExpertEvidence:
    id: strawberry.ID
    kind: str
    occurred_at: datetime | None
    role: str
    weight: float
    snippet: str | None

    @strawberry.field(description="The interaction itself (null for deals).")
    async def interaction(self, info: Info) -> Interaction | None:
        found = await interaction_nodes(info, [str(self.id)]) if self.kind != "deal" else []
        return found[0] if found else None


@strawberry.type(description="Why an expert scores what they do: the score is proportional to topical × role × recency.")
class ExpertParts:
    topical: float = strawberry.field(description="Summed topical match (BM25) of their n matching documents, over √n.")
    role: float = strawberry.field(description="0-1: how much they wrote rather than read those documents.")
    recency: float = strawberry.field(description="0-1: how recent those documents are (two-year half-life).")


@strawberry.type(description="Someone who knows about a topic, with the documents that show it.")
class Expert:
    person: Person
    score: float
    documents: int
    evidence: list[ExpertEvidence]
    parts: ExpertParts


@strawberry.type
class ExpertPath:
    expert: Expert
    path: WarmPath
    path_score: float
    score: float


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

    @strawberry.field(extensions=[Paginated()], description="The colleagues who know them, strongest first.")
    async def ties(self, info: Info, first: int, after: str | None = None) -> Connection[Tie]:
        shown = self.record.ties[:page_window(first, after).end]
        people = {p.id: p for p in await person_nodes(info, [x.colleague_id for x in shown])}
        return [Tie(person=people[x.colleague_id], strength=x.strength, band=x.band, last_at=when(x.last_at))
                for x in shown if x.colleague_id in people]  # type: ignore[return-value]


GraphFormat = strawberry.enum(exports.GraphFormat, description="A graph file format: GraphML (yEd, Gephi, Neo4j "
                                                               "Bloom via APOC), GEXF (Gephi) or node-link JSON.")


async def export_graph(info: Info, build, *args, fmt: exports.GraphFormat, **kwargs) -> str:
    """A graph built by ``graph.exports`` for this reader, as text; everyone in it is audited."""
    graph = await info.context.read(build, info.context.store, *args, **kwargs)
    info.context.audit(graph.nodes)
    return exports.write(graph, fmt)


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

    @strawberry.field(extensions=[Paginated()], description="Its people we know or could know, best known first.")
    async def contacts(self, info: Info, first: int, after: str | None = None) -> Connection[AccountContact]:
        shown = self.record.contacts[:page_window(first, after).end]  # people are read for the page only
        people = {p.id: p for p in await person_nodes(info, [c.person_id for c in shown])}
        return [AccountContact(person=people[c.person_id], title=c.title, best_strength=c.best_strength,
                               best_band=band(c.best_strength), last_touch=when(c.last_touch), record=c)
                for c in shown if c.person_id in people]  # type: ignore[return-value]


@strawberry.type
class Explanation:
    a: Person
    b: Person
    score: float
    band: str
    signals: list[Signal]
    facts: JSON
    now: datetime
    as_of: datetime | None
    evidence_ids: strawberry.Private[list[str]]

    @strawberry.field(description="Interactions that counted towards the pair, newest first.")
    async def evidence(self, info: Info) -> list[Interaction]:
        return await interaction_nodes(info, self.evidence_ids)


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


# -- insights -------------------------------------------------------------------------------------------
@strawberry.type
class ColdRelationship:
    colleague: Person
    contact: Person
    past_score: float
    score: float
    last_at: datetime | None
    days_silent: int


@strawberry.type
class SingleThreadedAccount:
    organization: Organization
    holder: Person
    share: float
    total: float
    colleagues: int
    contacts: int


@strawberry.type
class JobChange:
    person: Person
    from_organization: Organization | None
    from_title: str
    to_organization: Organization | None
    to_title: str
    at: datetime | None


@strawberry.type
class ClientTier:
    organization: Organization
    tier: str
    recency_days: float | None
    frequency: float
    monetary: float
    rfm: list[int]


@strawberry.type
class Reconnect:
    colleague: Person
    contact: Person
    priority: float
    past_score: float
    days_silent: int
    open_deals: list[Deal]
    reason: str


@strawberry.type
class Insights:
    going_cold: list[ColdRelationship]
    single_threaded: list[SingleThreadedAccount]
    job_changes: list[JobChange]
    client_tiers: list[ClientTier]
    reconnect: list[Reconnect]


# -- jobs, identity, access -----------------------------------------------------------------------------
@strawberry.type(description="A background ingest of uploaded files.")
class IngestJob:
    id: strawberry.ID
    kind: str
    state: str
    user: str
    files: list[str]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: JSON | None = strawberry.field(description="The run report once done (as `kith ingest --json`).")
    error: str | None

    @classmethod
    def of(cls, job) -> IngestJob:
        return cls(id=strawberry.ID(job.id), kind=str(job.kind), state=str(job.state), user=job.user,
                   files=list(job.files), created_at=when(job.created_at), started_at=when(job.started_at),
                   finished_at=when(job.finished_at), report=job.report, error=job.error or None)


@strawberry.type
class IdentityChange:
    event_id: int | None
    kind: str
    person: Person | None
    other: Person | None
    emails: list[str]


@strawberry.type
class NoteAdded:
    interaction: Interaction
    new: bool
    text_kept: bool


@strawberry.type(description="A person's flags after blockContact / optOut. They no longer appear in results.")
class PersonFlags:
    id: strawberry.ID
    blocked: bool
    opted_out: bool


@strawberry.type
class Count:
    name: str
    count: int


@strawberry.type
class Erasure:
    id: strawberry.ID
    removed: list[Count]


@strawberry.type
class Me:
    name: str
    role: str

    @strawberry.field
    async def person(self, info: Info) -> Person | None:
        pid = info.context.person_id
        return await person_node(info, pid) if pid else None


@strawberry.type(description="An ethical wall: its users see nothing of its organisations and deals.")
class Wall:
    name: str
    users: list[str]
    organizations: list[strawberry.ID]
    deals: list[strawberry.ID]

    @classmethod
    def of(cls, wall) -> Wall:
        return cls(name=wall.name, users=list(wall.users), organizations=[strawberry.ID(o) for o in wall.orgs],
                   deals=[strawberry.ID(d) for d in wall.deals])


@strawberry.type(description="The last run of one `kith sync` account.")
class SyncStatus:
    account: str
    kind: str = strawberry.field(description="imap (the protocol synced)")
    ok: bool
    error: str
    at: datetime = strawberry.field(description="When the last run ended.")
    last_success_at: datetime | None
    fetched: int = strawberry.field(description="Messages or events read by the last run.")
    ingested: int

    @classmethod
    def of(cls, status: dict) -> SyncStatus:
        return cls(account=status["account"], kind=status["kind"], ok=status["ok"], error=status["error"],
                   at=when(status["at"]), last_success_at=when(status.get("last_success_at")),
                   fetched=status.get("fetched", 0), ingested=status.get("ingested", 0))


@strawberry.type
class AuditEntry:
    at: datetime
    user: str
    operation: str
    subject: strawberry.ID


@strawberry.enum
class IngestKind(Enum):
    EMAIL = "email"
    CALENDAR = "calendar"
    DEALS = "deals"
    CONTACTS = "contacts"


PersonId = Annotated[strawberry.ID, strawberry.argument(description="A person's id.")]
