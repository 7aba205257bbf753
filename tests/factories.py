"""Hand-made people, mail and graphs for store and graph tests, written through the store interface.

Model objects (person or named, email, meeting, mails) written as ingest writes them (write), or KNOWS
edges written straight (edge, write_graph); ``Graph`` builds a graph by short ids (people, mail, meetings,
notes, deals, jobs), as the expertise, insights and evaluate tests do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import contextmanager, nullcontext

from kith.graph import ids
from kith.graph.knows import deltas
from kith.graph.model import (
    Attendance,
    Category,
    Deal,
    DealRole,
    DealRoleKind,
    DealStatus,
    Interaction,
    InteractionKind,
    InteractionWrite,
    Knows,
    Organization,
    Participant,
    Person,
    Provenance,
    Role,
    Sharing,
    WorksAt,
)

T0 = NOW = 1_700_000_000  # 2023-11-14
DAY = 86_400
PROV = Provenance("email", "/mail/inbox.mbox", "msg-1", ingested_at=T0)

# KNOWS kinds for edge(), all last in touch at T0 (scored at T0: recency 0). Their bands are pinned by
# test_strength.test_edge_kinds_hand_computed.
STRONG = dict(meetings=10, meeting_weight=10, first_at=T0 - 365 * DAY)  # strong
MEDIUM = dict(emails_ab=1, email_weight=1)  # medium: one email
WEAK = dict(emails_ab=1, email_weight=1 / 30)  # weak: one email to a list of 30


def person(email: str, name: str = "", internal: bool = False) -> Person:
    return Person(ids.person_id(email), name=name, emails=[email], is_internal=internal, provenance=PROV)


def named(name: str, *, internal: bool = False, opted_out: bool = False, blocked: bool = False) -> Person:
    """A person known by a first name: name@firm.com if internal, name@client.com if not."""
    address = f"{name.lower()}@{'firm.com' if internal else 'client.com'}"
    return Person(ids.person_id(address), name=name.title(), emails=[address], given_name=name.title(),
                  is_internal=internal, opted_out=opted_out, blocked=blocked, provenance=PROV)


def email(key: str, sender: Person, to: Iterable[Person], at: int | None = T0, subject: str = "", *,
          cc: Iterable[Person] = (), parent: str = "", category: Category = Category.PERSONAL,
          topics: Iterable[str] = ()) -> Interaction:
    """One email from ``sender`` to ``to`` (and ``cc``); ``key`` stands for its Message-ID."""
    return Interaction(
        id=ids.interaction_id("email", key),
        kind=InteractionKind.EMAIL,
        occurred_at=at,
        participants=[Participant(sender.id, Role.FROM, address=sender.emails[0])]
        + [Participant(p.id, Role.TO, address=p.emails[0]) for p in to]
        + [Participant(p.id, Role.CC, address=p.emails[0]) for p in cc],
        subject=subject,
        topics=list(topics),
        parent_id=parent,
        category=category,
        provenance=Provenance("email", "/mail/inbox.mbox", key, ingested_at=T0),
    )


def meeting(key: str, people: list[Person], at: int | None) -> Interaction:
    """A meeting organised by the first of ``people``, the others attending."""
    return Interaction(
        id=ids.interaction_id("meeting", key), kind=InteractionKind.MEETING, occurred_at=at,
        participants=[Participant(people[0].id, Role.ORGANIZER)] + [Participant(p.id, Role.ATTENDEE) for p in people[1:]],
        provenance=PROV)


def write(store, *items: Interaction, parents: Mapping[str, Interaction] | None = None) -> list[str]:
    """Store interactions with their KNOWS deltas, as the ingest pipelines do; a reply's parent is looked up
    in ``parents`` (interactions already stored), then among ``items``. Returns the ids of the new ones."""
    known = {**{i.id: i for i in items}, **(parents or {})}
    return store.add_interactions([InteractionWrite(i, tuple(deltas(i, known.get(i.parent_id)))) for i in items])


def edge(x: Person, y: Person, kind: dict, last_at: int = T0) -> Knows:
    """A KNOWS edge of one of the kinds above, written straight (no interactions behind it)."""
    a, b = sorted((x.id, y.id))
    return Knows(a, b, last_at=last_at, **{"first_at": last_at, **kind})


def write_graph(store, people: list[Person], edges: list[Knows]) -> None:
    store.upsert_people(people)
    for p in people:
        if p.opted_out or p.blocked:
            store.update_person(p.id, opted_out=p.opted_out, blocked=p.blocked)
    store.replace_knows([p.id for p in people], edges)


def mails(sender: Person, to: Person, n: int, last: int) -> list[Interaction]:
    """``n`` emails from ``sender`` to ``to``, one a day, the last at ``last``."""
    return [email(f"{sender.id}-{to.id}-{k}", sender, [to], last - k * DAY) for k in range(n)]


def at(days_ago: float) -> int:
    return int(NOW - days_ago * DAY)


class Graph:
    """Writes people, interactions, deals and jobs into a store the way ingest would."""

    def __init__(self, store):
        self.store = store
        self.items: dict[str, Interaction] = {}
        self.pending: list[InteractionWrite] | None = None

    @contextmanager
    def batch(self):
        """Write the interactions added inside in one store call, as ingest does (one Neo4j transaction
        instead of hundreds)."""
        self.pending = []
        try:
            yield self
            self.store.add_interactions(self.pending)
        finally:
            self.pending = None

    @staticmethod
    def _person(pid: str, *, internal: bool = False, sharing: Sharing = Sharing.ALL, opted_out: bool = False,
                blocked: bool = False, name: str = "") -> Person:
        domain = "firm.example" if internal else "client.example"
        return Person(pid, name or pid.title(), [f"{pid}@{domain}"], is_internal=internal, sharing=sharing,
                      opted_out=opted_out, blocked=blocked)

    def person(self, pid: str, **fields) -> str:
        self.store.upsert_people([self._person(pid, **fields)])
        return pid

    def people(self, *pids: str, internal: bool = False) -> None:
        """In one store call (one Neo4j transaction)."""
        self.store.upsert_people([self._person(pid, internal=internal) for pid in pids])

    def add(self, item: Interaction) -> Interaction:
        parent = self.items.get(item.parent_id) if item.parent_id else None
        entry = InteractionWrite(item, tuple(deltas(item, parent)))
        if self.pending is None:
            self.store.add_interactions([entry])
        else:
            self.pending.append(entry)
        self.items[item.id] = item
        return item

    def email(self, iid: str, when: int, frm: str, to=(), cc=(), bcc=(), *, subject: str = "", body: str = "",
              topics=(), category: Category = Category.PERSONAL, parent: str = "") -> Interaction:
        parts = [Participant(frm, Role.FROM)] + [Participant(p, Role.TO) for p in to] \
            + [Participant(p, Role.CC) for p in cc] + [Participant(p, Role.BCC) for p in bcc]
        return self.add(Interaction(iid, InteractionKind.EMAIL, when, parts, subject=subject, topics=list(topics),
                                    body=body, category=category, parent_id=parent, thread_id=parent or iid))

    def meeting(self, iid: str, when: int, organizer: str, attendees=(), declined=(), *, subject: str = "",
                kind: InteractionKind = InteractionKind.MEETING) -> Interaction:
        parts = [Participant(organizer, Role.ORGANIZER, Attendance.ACCEPTED)] \
            + [Participant(p, Role.ATTENDEE, Attendance.ACCEPTED) for p in attendees] \
            + [Participant(p, Role.ATTENDEE, Attendance.DECLINED) for p in declined]
        return self.add(Interaction(iid, kind, when, parts, subject=subject))

    def note(self, iid: str, when: int, author: str, about=(), *, subject: str = "", body: str = "") -> Interaction:
        parts = [Participant(author, Role.AUTHOR)] + [Participant(p, Role.SUBJECT) for p in about]
        return self.add(Interaction(iid, InteractionKind.NOTE, when, parts, subject=subject, body=body))

    def org(self, oid: str, name: str = "") -> str:
        name = name or oid.title()
        self.store.upsert_organizations([Organization(oid, name, name.lower(), [f"{oid}.example"])])
        return oid

    def job(self, pid: str, oid: str, title: str = "", since: int | None = None, until: int | None = None) -> None:
        self.store.add_works_at([WorksAt(pid, oid, title, since, until)])

    def deal(self, did: str, name: str, org: str, *, status: DealStatus = DealStatus.OPEN, amount: float | None = None,
             opened: int | None = None, closed: int | None = None, team=(), clients=()) -> None:
        roles = [DealRole(p, DealRoleKind.TEAM_MEMBER) for p in team] \
            + [DealRole(p, DealRoleKind.DECISION_MAKER) for p in clients]
        self.store.upsert_deals([Deal(did, name, org, "", status, amount, "EUR", opened, closed, roles)])

    def exchange(self, prefix: str, a: str, b: str, first_days: float, last_days: float, n: int,
                 subject: str = "matters") -> None:
        """``n`` emails alternating between a and b, each replying to the one before, evenly from
        ``first_days`` ago to ``last_days`` ago; in one store call unless inside a batch already."""
        parent = ""
        with self.batch() if self.pending is None else nullcontext():
            for k in range(n):
                days = first_days - (first_days - last_days) * k / max(n - 1, 1)
                frm, to = (a, b) if k % 2 == 0 else (b, a)
                iid = f"{prefix}{k}"
                self.email(iid, at(days), frm, [to], subject=subject, parent=parent)
                parent = iid


def backtest_world(store, pairs: int = 30) -> Graph:
    """For `kith evaluate`: Alice writes with ``pairs`` clients for a year; the even ones keep writing
    to the end (positive), the odd ones stop within its first quarter (negative at any later split)."""
    g = Graph(store)
    g.people("alice", internal=True)
    g.people(*(f"c{n:02d}" for n in range(pairs)), "newcomer")
    with g.batch():
        for n in range(pairs):
            client = f"c{n:02d}"
            if n % 2 == 0:
                g.exchange(f"on{n}-", "alice", client, 360 - n, 1 + n % 5, 6 + n)
            else:
                g.exchange(f"off{n}-", "alice", client, 360 - n, 300 - n, 3 + n // 3)
        g.email("late", at(5), "alice", ["newcomer"])  # first contact after the split: a new pair, not scored
    return g
