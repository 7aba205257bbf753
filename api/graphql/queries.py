"""The Query type. Resolvers check arguments, call the graph (``graph.*``) with the reader's scope and
turn its records into API types; they hold no ranking logic.

Anything behind the reader's walls is absent at the read: a walled person, organisation or deal gives
the same null (or the same "No person with id ..." error) as one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from kith.api.graphql import types as t
from kith.api.graphql.loaders.people import visible
from kith.api.graphql.pagination import BadInput, Connection, Paginated, connection, page_window
from kith.api.graphql.permissions import IsAdmin
from kith.graph.errors import KithError, NotFound
from kith.ingest.identity.lookup import organization_by, person_by_email

MAX_HOPS = 4
MAX_TEXT = 200  # characters of a search text or topic


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise BadInput(f"`{what}` is empty; give some words to look for.")
    if len(value) > MAX_TEXT:
        raise BadInput(f"`{what}` is longer than {MAX_TEXT} characters; shorten it.")
    return value


def _hops(max_hops: int) -> int:
    if not 1 <= max_hops <= MAX_HOPS:
        raise BadInput(f"`maxHops` must be between 1 and {MAX_HOPS} (got {max_hops}).")
    return max_hops


async def visible_person_id(info: Info, person_id: str, *, argument: str) -> str:
    """``person_id`` if the reader may see that person, else the same NotFound as for a missing id (the
    message names the argument, not the id, so it reads the same whatever the id was)."""
    if await info.context.loaders.people.load(person_id) is None:
        raise NotFound(f"No person has the id given in `{argument}`; find ids with `search`.")
    return person_id


@strawberry.type
class Query:
    @strawberry.field(description="The user this token belongs to.")
    def me(self, info: Info) -> t.Me:
        user = info.context.user
        return t.Me(name=user.name, role=str(user.role))

    @strawberry.field(description="A person by id or email address. Null when there is none you may see.")
    def person(self, info: Info, id: strawberry.ID | None = None, email: str | None = None) -> t.Person | None:
        # Not async: by id (nearly every lookup) the answer is made at once, with no coroutine for graphql-core
        # to await; by email the address is looked up in a thread first, so an awaitable is returned.
        if (id is None) == (email is None):
            raise BadInput("Give exactly one of `id` or `email`.")
        if email is not None:
            return _person_by_email(info, email)  # type: ignore[return-value]
        return _person_by_id(info, str(id))

    @strawberry.field(description="An organisation by id, name or domain. Null when there is none you may see.")
    async def organization(self, info: Info, id: strawberry.ID | None = None, name: str | None = None,
                           domain: str | None = None) -> t.Organization | None:
        ctx = info.context
        if sum(v is not None for v in (id, name, domain)) != 1:
            raise BadInput("Give exactly one of `id`, `name` or `domain`.")
        if id is not None:
            oid = str(id)
        else:
            oid = await ctx.run(organization_by, ctx.store, domain=domain or "", name=name or "") or ""
        return await t.organization_node(info, oid)

    @strawberry.field(graphql_type=Connection[t.SearchMatch], extensions=[Paginated()],
                      description="People and organisations by name, address or domain.")
    async def search(self, info: Info, text: str, first: int, after: str | None = None) -> list[t.SearchMatch]:
        from kith.graph.directory import search

        window = page_window(first, after)
        found = await info.context.read(search, info.context.store, _text(text, "text"), limit=window.end)
        return [t.SearchMatch(kind=m.kind, id=strawberry.ID(m.id), name=m.name, detail=m.detail)
                for m in found]

    @strawberry.field(graphql_type=Connection[t.WarmPath], extensions=[Paginated()],
                      description="The warmest paths from the firm (or the `from` colleagues) to a person, best first.")
    async def warm_paths(self, info: Info, to: strawberry.ID, first: int, after: str | None = None,
                         from_: Annotated[list[strawberry.ID] | None, strawberry.argument(name="from")] = None,
                         max_hops: int = MAX_HOPS, as_of: datetime | None = None) -> list[t.WarmPath]:
        from kith.graph.paths import warm_paths

        ctx = info.context
        window = page_window(first, after)
        # Whether the reader may see the target is asked after the search (which finds no path to anyone
        # they may not see): the records of the people on the paths, the target among them, serve that
        # check and the nodes below without a second read. An error in the other arguments still comes
        # after the target's, as it did when the target was checked first.
        try:
            sources = [await visible_person_id(info, str(s), argument="from") for s in from_] if from_ else None
            hops = _hops(max_hops)
        except KithError:
            await visible_person_id(info, str(to), argument="to")
            raise
        at = t.epoch(as_of)
        found = await ctx.read(warm_paths, ctx.store, str(to), sources=sources, k=window.end, max_hops=hops, as_of=at)
        ctx.loaders.people_records.prime_many({pid: r for p in found for pid, r in p.records.items()})
        await visible_person_id(info, str(to), argument="to")
        people = {p.id: p for p in await t.person_nodes(info, [pid for p in found for pid in p.people])}
        nodes = [t.warm_path_node(p, at, people) for p in found]
        return [n for n in nodes if n is not None]

    @strawberry.field(description="Who knows most about a topic, best first, with evidence.")
    async def experts(self, info: Info, topic: str, first: int, after: str | None = None,
                      internal_only: bool = True, as_of: datetime | None = None) -> t.ExpertConnection:
        from kith.graph.expertise import experts, notice

        ctx = info.context
        window = page_window(first, after)
        found = await ctx.read(experts, ctx.store, _text(topic, "topic"), limit=window.end,
                               internal_only=internal_only, as_of=t.epoch(as_of))
        await ctx.loaders.people.load_many([e.person_id for e in found])  # one read for all
        out = []
        for e in found:
            node = await _expert_node(info, e)
            if node is not None:
                out.append(node)
        return connection(out, window, t.ExpertConnection, notice=notice(ctx.settings.privacy) or None)

    @strawberry.field(description="Experts on a topic who also have a warm path to a person, best combined first.")
    async def experts_with_path(self, info: Info, topic: str, to: strawberry.ID, first: int,
                                after: str | None = None, max_hops: int = MAX_HOPS,
                                as_of: datetime | None = None) -> t.ExpertPathConnection:
        from kith.graph.expertise import experts_with_path, notice

        ctx = info.context
        window = page_window(first, after)
        target = await visible_person_id(info, str(to), argument="to")
        found = await ctx.read(experts_with_path, ctx.store, _text(topic, "topic"), target, limit=window.end,
                               max_hops=_hops(max_hops), as_of=t.epoch(as_of))
        await ctx.loaders.people.load_many(list({pid for j in found for pid in (j.expert.person_id, *j.path.people)}))
        people = {p.id: p for p in await t.person_nodes(info, [pid for j in found for pid in j.path.people])}
        out = []
        for j in found:
            expert, path = await _expert_node(info, j.expert), t.warm_path_node(j.path, t.epoch(as_of), people)
            if expert is not None and path is not None:
                out.append(t.ExpertPath(expert=expert, path=path, path_score=j.path_score, score=j.score))
        return connection(out, window, t.ExpertPathConnection, notice=notice(ctx.settings.privacy) or None)

    @strawberry.field(description="Who we know at an organisation, who of us knows them, how well, and coverage.")
    async def account_map(self, info: Info, organization: strawberry.ID,
                          as_of: datetime | None = None) -> t.AccountMap | None:
        from kith.graph.accounts import account_map

        ctx = info.context
        org = await t.organization_node(info, str(organization))
        if org is None:
            return None
        found = await ctx.read(account_map, ctx.store, str(organization), as_of=t.epoch(as_of))
        if found is None:
            return None
        cov = found.coverage
        coverage = t.Coverage(contacts=cov.contacts, known=cov.known, strong=cov.strong, medium=cov.medium,
                              weak=cov.weak, cold=cov.cold, going_cold=cov.going_cold,
                              single_threaded=cov.single_threaded, record=cov)
        return t.AccountMap(organization=org, coverage=coverage, record=found, as_of=t.epoch(as_of))

    @strawberry.field(description="What to act on this week: going cold, single-threaded accounts, job changes, "
                                  "client tiers, who to reconnect with. Each list holds at most `first` items.")
    async def insights(self, info: Info, first: int, as_of: datetime | None = None) -> t.Insights:
        from kith.graph.insights import insights

        ctx = info.context
        window = page_window(first, None)
        found = await ctx.read(insights, ctx.store, as_of=t.epoch(as_of), limit=window.first)
        return await _insights_node(info, found)

    @strawberry.field(description="Why two people's relationship scores what it does: signals, points, evidence.")
    async def explain_strength(self, info: Info, a: strawberry.ID, b: strawberry.ID,
                               as_of: datetime | None = None) -> t.Explanation:
        from kith.graph.explain import explain

        ctx = info.context
        pa, pb = await visible_person_id(info, str(a), argument="a"), await visible_person_id(info, str(b), argument="b")
        found = await ctx.read(explain, ctx.store, pa, pb, as_of=t.epoch(as_of))
        people = {p.id: p for p in await t.person_nodes(info, [pa, pb])}
        return t.Explanation(a=people[pa], b=people[pb], score=found.score, band=found.band,
                             signals=[t.Signal(name=s.name, points=s.points, value=s.value) for s in found.signals],
                             facts=dict(found.facts), now=t.when(found.now), as_of=t.when(found.as_of),
                             evidence_ids=list(found.evidence))

    @strawberry.field(graphql_type=Connection[t.Interaction], extensions=[Paginated()],
                      description="A person's interactions, newest first.")
    async def interactions(self, info: Info, person: strawberry.ID, first: int,
                           after: str | None = None) -> list[t.Interaction]:
        window = page_window(first, after)
        pid = await visible_person_id(info, str(person), argument="person")
        return await t.interactions_of(info, pid, window.end)

    @strawberry.field(description="The last run of every `kith sync` account: is the graph current?")
    async def sync_status(self, info: Info) -> list[t.SyncStatus]:
        from kith.ingest.sync.state import sync_statuses

        return [t.SyncStatus.of(s) for s in await info.context.run(sync_statuses, info.context.store)]

    @strawberry.field(description="An ingest job you started (admins: any job).")
    def ingest_job(self, info: Info, id: strawberry.ID) -> t.IngestJob | None:
        ctx = info.context
        job = ctx.jobs.get(str(id))
        if job is None or (job.user != ctx.user.name and not ctx.is_admin):
            return None
        return t.IngestJob.of(job)

    @strawberry.field(permission_classes=[IsAdmin], graphql_type=Connection[t.AuditEntry], extensions=[Paginated()],
                      description="Who looked up whom: the newest entries first, optionally for one person.")
    async def audit_log(self, info: Info, first: int, after: str | None = None,
                        subject: strawberry.ID | None = None) -> list[t.AuditEntry]:
        ctx = info.context
        window = page_window(first, after)
        ctx.flush_audit()
        await ctx.run(ctx.audit_writer.flush)  # entries still waiting to be written, this request's too
        rows = await ctx.run(ctx.access.audit_log, str(subject) if subject else None, window.end)
        return [t.AuditEntry(at=t.when(at), user=u, operation=op, subject=strawberry.ID(s))
                for at, u, op, s in rows]


def _person_by_id(info: Info, pid: str) -> t.Person | None:
    ctx = info.context
    record = ctx.loaders.people.record_now(pid) if pid else None
    if record is None:
        return None
    # Admins may look up blocked and opted-out people directly, to unblock or erase them.
    if not visible(record, ctx.scope) and not (ctx.is_admin and ctx.scope.sees_person(pid)):
        return None
    ctx.audit([pid])
    return t.Person.of(record)


async def _person_by_email(info: Info, email: str) -> t.Person | None:
    ctx = info.context
    return _person_by_id(info, await ctx.run(person_by_email, ctx.store, email) or "")


async def _expert_node(info: Info, e) -> t.Expert | None:
    person = await t.person_node(info, e.person_id)
    if person is None:
        return None
    evidence = [t.ExpertEvidence(id=strawberry.ID(x.doc_id), kind=x.kind, occurred_at=t.when(x.occurred_at),
                                 role=str(x.role), weight=x.weight, snippet=x.snippet or None) for x in e.evidence]
    parts = t.ExpertParts(topical=e.parts.topical, role=e.parts.role, recency=e.parts.recency)
    return t.Expert(person=person, score=e.score, documents=e.documents, evidence=evidence, parts=parts)


async def _insights_node(info: Info, found) -> t.Insights:
    ids = {r.colleague.id for r in found.going_cold} | {r.contact.id for r in found.going_cold}
    ids |= {s.holder.id for s in found.single_threaded} | {j.person.id for j in found.job_changes}
    ids |= {r.colleague.id for r in found.reconnect} | {r.contact.id for r in found.reconnect}
    people = {p.id: p for p in await t.person_nodes(info, ids)}
    org_ids = {s.org_id for s in found.single_threaded} | {c.org_id for c in found.client_tiers}
    org_ids |= {j.from_org_id for j in found.job_changes} | {j.to_org_id for j in found.job_changes}
    await info.context.loaders.organizations.load_many(list(org_ids - {""}))  # one read for all
    orgs = {}
    for oid in org_ids - {""}:
        node = await t.organization_node(info, oid)
        if node is not None:
            orgs[oid] = node
    deals = {d.id: d for d in await info.context.loaders.deals.load_many(
        list({d for r in found.reconnect for d in r.open_deals})) if d is not None}
    return t.Insights(
        going_cold=[t.ColdRelationship(colleague=people[r.colleague.id], contact=people[r.contact.id],
                                       past_score=r.past_score, score=r.score, last_at=t.when(r.last_at),
                                       days_silent=r.days_silent)
                    for r in found.going_cold if r.colleague.id in people and r.contact.id in people],
        single_threaded=[t.SingleThreadedAccount(organization=orgs[s.org_id], holder=people[s.holder.id], share=s.share,
                                                 total=s.total, colleagues=s.colleagues, contacts=s.contacts)
                         for s in found.single_threaded if s.org_id in orgs and s.holder.id in people],
        job_changes=[t.JobChange(person=people[j.person.id], from_organization=orgs.get(j.from_org_id),
                                 from_title=j.from_title, to_organization=orgs.get(j.to_org_id), to_title=j.to_title,
                                 at=t.when(j.at))
                     for j in found.job_changes if j.person.id in people],
        client_tiers=[t.ClientTier(organization=orgs[c.org_id], tier=c.tier, recency_days=c.recency_days,
                                   frequency=c.frequency, monetary=c.monetary, rfm=list(c.rfm))
                      for c in found.client_tiers if c.org_id in orgs],
        reconnect=[t.Reconnect(colleague=people[r.colleague.id], contact=people[r.contact.id], priority=r.priority,
                               past_score=r.past_score, days_silent=r.days_silent,
                               open_deals=[t.Deal.of(deals[d]) for d in r.open_deals if d in deals], reason=r.reason)
                   for r in found.reconnect
                   if r.colleague.id in people and r.contact.id in people and all(d in deals for d in r.open_deals)],
    )
