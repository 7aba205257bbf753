"""Insights: what a partner should know about the firm's relationships this week.

Each function returns plain dataclasses and reads through the store interface only. ``as_of`` answers
as of that moment: KNOWS edges are recomputed from the interactions before it (``graph.knows.sum_edges``),
and deals, jobs and ages are taken as they stood then. Thresholds, and why:

- ``going_cold``: a colleague's relationship with an outside contact that was strong (``min_past``,
  strength's "strong" band, 50) at its last contact and has been silent for ``silent_days`` (90, a
  quarter). The past strength is the edge scored as of its own last contact, which is exact: every
  signal on the edge predates it. Strong, not medium: at the moment of its last contact any pair
  reads at least medium (a single email then scores 48, a chance of hearing again that soon fades).
- ``single_threaded``: an organisation where one colleague holds ``share`` (80 %) or more of the
  firm's summed strength to its current people, and that sum is meaningful (``min_total``, 25: at
  least one medium relationship's worth). Key-person risk: if that colleague leaves, so may the client.
- ``job_changes``: a person whose newest dated employment row is at another organisation than the row
  before it, or has another non-empty title there (a job change adds a row; it never overwrites one).
- ``client_tiers``: organisations the firm is in touch with, tiered by RFM. Recency: days since any
  colleague's last contact with its current people; frequency: their touches (emails either way,
  meetings, calls, notes); monetary: the summed amount of its won deals (currencies are not
  converted). Each dimension scores 1-3 by its mid-rank percentile among the organisations
  (below 1/3, below 2/3, above), no won deal scoring 1; A when the sum is >= 8, B when >= 6, else C.
  Tiers are relative to the firm's own clients.
- ``reconnect``: going-cold relationships ranked by past strength, plus ``OPEN_DEAL_BONUS`` (25) when
  the contact or their organisation has an open deal: the conversations worth restarting first.
People who opted out or whom a colleague blocked never appear.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from kith.graph.evaluate import edges_as_of, load_interactions
from kith.graph.memo import per_generation
from kith.graph.model import Deal, DealStatus, Knows, Person, WorksAt
from kith.graph.scope import EVERYTHING, Scope
from kith.graph.store import Store
from kith.graph.strength import DAY, MEDIUM, STRONG, columns, score

SILENT_DAYS = 90
SINGLE_THREAD_SHARE = 0.8
SINGLE_THREAD_MIN_TOTAL = MEDIUM
JOB_CHANGE_DAYS = 365  # what `insights()` reports by default
OPEN_DEAL_BONUS = 25.0
TIER_A, TIER_B = 8, 6


@dataclass(frozen=True, slots=True)
class PersonRef:
    id: str
    name: str
    emails: list[str]


@dataclass(frozen=True, slots=True)
class ColdRelationship:
    colleague: PersonRef
    contact: PersonRef
    past_score: float  # strength as of the last contact
    score: float  # strength now
    last_at: int
    days_silent: int


@dataclass(frozen=True, slots=True)
class SingleThreaded:
    org_id: str
    org_name: str
    holder: PersonRef  # the colleague holding the relationship
    share: float  # of the firm's summed strength to the organisation
    total: float  # summed strength, colleagues to the organisation's people
    colleagues: int  # colleagues with any tie to it
    contacts: int  # its people any colleague knows


@dataclass(frozen=True, slots=True)
class JobChange:
    person: PersonRef
    from_org_id: str
    from_org: str
    from_title: str
    to_org_id: str
    to_org: str
    to_title: str
    at: int


@dataclass(frozen=True, slots=True)
class ClientTier:
    org_id: str
    org_name: str
    tier: str  # A | B | C
    recency_days: float | None  # since the last contact; None when never
    frequency: float  # touches
    monetary: float  # won deals
    rfm: tuple[int, int, int]  # each 1-3


@dataclass(frozen=True, slots=True)
class Reconnect:
    colleague: PersonRef
    contact: PersonRef
    priority: float
    past_score: float
    days_silent: int
    open_deals: list[str]  # ids
    reason: str


@dataclass(slots=True)
class Snapshot:
    """The graph as of one moment: its edges and the people on them."""

    now: int
    edges: list[Knows]
    people: dict[str, Person]
    as_of: int | None = None
    scope: Scope = EVERYTHING
    active_at: dict[tuple[str, str], float] = field(default_factory=dict)  # per edge: graph.strength.columns
    _jobs: dict[str, list[WorksAt]] | None = field(default=None, repr=False)

    @classmethod
    def load(cls, store: Store, *, as_of: int | None = None, now: int | None = None,
             scope: Scope = EVERYTHING) -> Snapshot:
        """The graph as the reader sees it: nobody and nothing behind their walls."""
        if as_of is not None:
            edges = list(edges_as_of(load_interactions(store, before=as_of).values(), as_of).values())
            now = as_of
        else:
            edges = list(store.iter_knows())
            now = now if now is not None else int(time.time())
        active_at = dict(zip(((k.a, k.b) for k in edges), columns(edges)["active_at"].tolist()))
        people = {p.id: p for p in store.iter_people() if scope.sees_person(p.id)}
        edges = [k for k in edges if k.a in people and k.b in people]
        return cls(now, edges, people, as_of, scope, active_at)

    def score(self, k: Knows) -> float:
        """The edge's strength now."""
        return score(k, self.now, active_at=self.active_at.get((k.a, k.b)))

    def ref(self, pid: str) -> PersonRef:
        p = self.people.get(pid)
        return PersonRef(pid, p.name if p else "", list(p.emails) if p else [])

    def shown(self, pid: str) -> bool:
        p = self.people.get(pid)
        return p is not None and not p.opted_out and not p.blocked

    def client_ties(self) -> Iterable[tuple[str, str, Knows]]:
        """(colleague, outside contact, edge) for every colleague-to-outsider edge."""
        for k in self.edges:
            a, b = self.people.get(k.a), self.people.get(k.b)
            if a is None or b is None or a.is_internal == b.is_internal:
                continue
            colleague, contact = (k.a, k.b) if a.is_internal else (k.b, k.a)
            if self.shown(contact) and self.shown(colleague):
                yield colleague, contact, k

    def jobs(self, store: Store) -> dict[str, list[WorksAt]]:
        """Each person's employment rows that had begun by ``now``."""
        if self._jobs is None:
            rows = store.works_at(person_ids=list(self.people))
            self._jobs = defaultdict(list)
            for w in rows:
                if (w.since is None or w.since <= self.now) and self.scope.sees_org(w.org_id):
                    self._jobs[w.person_id].append(w)
        return self._jobs

    def employer(self, store: Store) -> dict[str, str]:
        """Person -> the organisation they work at now (their newest row not ended by ``now``)."""
        current = {}
        for pid, rows in self.jobs(store).items():
            live = [w for w in rows if w.until is None or w.until > self.now]
            if live:
                current[pid] = max(live, key=lambda w: (w.since or 0, w.org_id)).org_id
        return current


def going_cold(store: Store, *, as_of: int | None = None, now: int | None = None, scope: Scope = EVERYTHING,
               silent_days: int = SILENT_DAYS,
               min_past: float = STRONG, limit: int | None = None,
               snapshot: Snapshot | None = None) -> list[ColdRelationship]:
    """Relationships that were at least ``min_past`` strong and have been silent ``silent_days``,
    strongest first."""
    snap = snapshot or Snapshot.load(store, as_of=as_of, now=now, scope=scope)
    found = []
    for colleague, contact, k in snap.client_ties():
        if k.last_at is None or snap.now - k.last_at < silent_days * DAY:
            continue
        past = score(k, k.last_at)  # at its last contact both were just in touch: person recency 0, exact
        if past >= min_past:
            found.append(ColdRelationship(snap.ref(colleague), snap.ref(contact), past, snap.score(k), k.last_at,
                                          int((snap.now - k.last_at) // DAY)))
    found.sort(key=lambda c: (-c.past_score, -c.days_silent, c.colleague.id, c.contact.id))
    return found[:limit] if limit is not None else found


def single_threaded(store: Store, *, as_of: int | None = None, now: int | None = None, scope: Scope = EVERYTHING,
                    share: float = SINGLE_THREAD_SHARE, min_total: float = SINGLE_THREAD_MIN_TOTAL,
                    snapshot: Snapshot | None = None) -> list[SingleThreaded]:
    """Organisations whose relationship with the firm hangs on one colleague, most at risk first."""
    snap = snapshot or Snapshot.load(store, as_of=as_of, now=now, scope=scope)
    employer = snap.employer(store)
    held: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    contacts: dict[str, set[str]] = defaultdict(set)
    for colleague, contact, k in snap.client_ties():
        org = employer.get(contact)
        if org is None:
            continue
        held[org][colleague] += snap.score(k)
        contacts[org].add(contact)
    orgs = store.get_organizations(list(held))
    found = []
    for org, by_colleague in held.items():
        total = sum(by_colleague.values())
        if total < min_total:
            continue
        holder = min(by_colleague, key=lambda c: (-by_colleague[c], c))
        if by_colleague[holder] / total >= share:
            name = orgs[org].name if org in orgs else ""
            found.append(SingleThreaded(org, name, snap.ref(holder), by_colleague[holder] / total, total,
                                        sum(1 for v in by_colleague.values() if v > 0), len(contacts[org])))
    found.sort(key=lambda s: (-s.total * s.share, s.org_id))
    return found


def job_changes(store: Store, *, as_of: int | None = None, now: int | None = None, scope: Scope = EVERYTHING,
                since: int | None = None,
                snapshot: Snapshot | None = None) -> list[JobChange]:
    """People whose newest job differs from the one before it, changed at or after ``since``; newest first."""
    snap = snapshot or Snapshot.load(store, as_of=as_of, now=now, scope=scope)
    changes: list[tuple[str, WorksAt, WorksAt]] = []
    for pid, rows in snap.jobs(store).items():
        if not snap.shown(pid):
            continue
        dated = [w for w in rows if w.since is not None]
        if len(rows) < 2 or not dated:
            continue
        newest = max(dated, key=lambda w: (w.since, w.org_id, w.title))
        earlier = [w for w in rows if w is not newest and (w.since is None or w.since < newest.since)]
        if not earlier:
            continue
        before = max(earlier, key=lambda w: (w.since if w.since is not None else -1, w.org_id, w.title))
        moved = before.org_id != newest.org_id
        retitled = bool(newest.title and before.title) and newest.title.casefold() != before.title.casefold()
        if (moved or retitled) and (since is None or newest.since >= since):
            changes.append((pid, before, newest))
    orgs = store.get_organizations({w.org_id for _, b, n in changes for w in (b, n)})

    def org_name(oid: str) -> str:
        return orgs[oid].name if oid in orgs else ""

    found = [JobChange(snap.ref(pid), b.org_id, org_name(b.org_id), b.title, n.org_id, org_name(n.org_id), n.title,
                       n.since) for pid, b, n in changes]
    found.sort(key=lambda j: (-j.at, j.person.id))
    return found


def client_tiers(store: Store, *, as_of: int | None = None, now: int | None = None, scope: Scope = EVERYTHING,
                 snapshot: Snapshot | None = None) -> list[ClientTier]:
    """Every organisation the firm is in touch with or has won work from, tiered A/B/C; best first."""
    snap = snapshot or Snapshot.load(store, as_of=as_of, now=now, scope=scope)
    employer = snap.employer(store)
    last: dict[str, int] = {}
    touches: dict[str, float] = defaultdict(float)
    for _, contact, k in snap.client_ties():
        org = employer.get(contact)
        if org is None:
            continue
        touches[org] += k.emails_ab + k.emails_ba + k.meetings + k.calls + k.notes
        if k.last_at is not None:
            last[org] = max(last.get(org, k.last_at), k.last_at)
    won: dict[str, float] = defaultdict(float)
    orgs_known = set(touches)
    for deal in _deals(store, snap, set(employer.values())):
        if deal.status == DealStatus.WON and deal.org_id and (deal.closed_at or 0) <= snap.now:
            won[deal.org_id] += deal.amount or 0.0
            orgs_known.add(deal.org_id)
    if not orgs_known:
        return []
    ids = sorted(orgs_known)
    recency = {o: (snap.now - last[o]) / DAY if o in last else None for o in ids}
    r = _tertiles({o: -recency[o] if recency[o] is not None else float("-inf") for o in ids})
    f = _tertiles({o: touches.get(o, 0.0) for o in ids})
    m = _tertiles({o: won.get(o, 0.0) for o in ids})
    orgs = store.get_organizations(ids)
    found = []
    for o in ids:
        rfm = (r[o], f[o], m[o] if won.get(o, 0.0) > 0 else 1)
        total = sum(rfm)
        tier = "A" if total >= TIER_A else "B" if total >= TIER_B else "C"
        found.append(ClientTier(o, orgs[o].name if o in orgs else "", tier,
                                None if recency[o] is None else round(recency[o], 1), touches.get(o, 0.0),
                                won.get(o, 0.0), rfm))
    found.sort(key=lambda c: (c.tier, -sum(c.rfm), -c.monetary, -c.frequency, c.org_id))
    return found


def _deals(store: Store, snap: Snapshot, org_ids: set[str]) -> list[Deal]:
    return [d for d in store.deals_of(org_ids=sorted(org_ids))
            if (d.opened_at is None or d.opened_at <= snap.now) and snap.scope.sees_deal(d.id, d.org_id)]


def _tertiles(values: dict[str, float]) -> dict[str, int]:
    """1, 2 or 3 by mid-rank percentile (below 1/3, below 2/3, the rest); all equal scores 2."""
    ordered = sorted(values.values())
    n = len(ordered)
    out = {}
    for key, v in values.items():
        less = bisect.bisect_left(ordered, v)
        equal = bisect.bisect_right(ordered, v) - less
        pr = (less + 0.5 * equal) / n
        out[key] = 1 if pr < 1 / 3 else 2 if pr < 2 / 3 else 3
    return out


def reconnect(store: Store, *, as_of: int | None = None, now: int | None = None, scope: Scope = EVERYTHING,
              limit: int = 20,
              snapshot: Snapshot | None = None) -> list[Reconnect]:
    """Going-cold relationships worth restarting, most valuable first (see the module docstring)."""
    snap = snapshot or Snapshot.load(store, as_of=as_of, now=now, scope=scope)
    cold = going_cold(store, snapshot=snap)
    if not cold:
        return []
    contacts = {c.contact.id for c in cold}
    employer = snap.employer(store)
    open_deals = [d for d in store.deals_of(person_ids=sorted(contacts),
                                            org_ids=sorted({employer[c] for c in contacts if c in employer}))
                  if d.status == DealStatus.OPEN and (d.opened_at is None or d.opened_at <= snap.now)
                  and snap.scope.sees_deal(d.id, d.org_id)]
    by_person: dict[str, list[Deal]] = defaultdict(list)
    by_org: dict[str, list[Deal]] = defaultdict(list)
    for d in open_deals:
        for r in d.roles:
            by_person[r.person_id].append(d)
        if d.org_id:
            by_org[d.org_id].append(d)
    found = []
    for c in cold:
        deals = {d.id: d for d in [*by_person.get(c.contact.id, []), *by_org.get(employer.get(c.contact.id, ""), [])]}
        priority = c.past_score + (OPEN_DEAL_BONUS if deals else 0.0)
        reason = f"was {c.past_score:.0f} strong, silent {c.days_silent} days"
        if deals:
            reason += "; open deal " + ", ".join(repr(d.name) for d in sorted(deals.values(), key=lambda d: d.id))
        found.append(Reconnect(c.colleague, c.contact, priority, c.past_score, c.days_silent, sorted(deals), reason))
    found.sort(key=lambda r: (-r.priority, -r.days_silent, r.colleague.id, r.contact.id))
    return found[:limit]


@dataclass(slots=True)
class Insights:
    going_cold: list[ColdRelationship]
    single_threaded: list[SingleThreaded]
    job_changes: list[JobChange]
    client_tiers: list[ClientTier]
    reconnect: list[Reconnect]

    def as_list(self) -> list[dict]:
        """One flat list, each item tagged with its ``kind``."""
        out = []
        for kind, items in (("going-cold", self.going_cold), ("single-threaded", self.single_threaded),
                            ("job-change", self.job_changes), ("client-tier", self.client_tiers),
                            ("reconnect", self.reconnect)):
            out.extend({"kind": kind, **asdict(item)} for item in items)
        return out


@per_generation()
def insights(store: Store, *, as_of: int | None = None, now: int | None = None, limit: int = 20,
             job_change_days: int = JOB_CHANGE_DAYS, scope: Scope = EVERYTHING) -> Insights:
    """All five, from one snapshot; each list cut to ``limit``, job changes to the last ``job_change_days``."""
    snap = Snapshot.load(store, as_of=as_of, now=now, scope=scope)
    return Insights(
        going_cold=going_cold(store, snapshot=snap, limit=limit),
        single_threaded=single_threaded(store, snapshot=snap)[:limit],
        job_changes=job_changes(store, snapshot=snap, since=snap.now - job_change_days * DAY)[:limit],
        client_tiers=client_tiers(store, snapshot=snap)[:limit],
        reconnect=reconnect(store, snapshot=snap, limit=limit),
    )
