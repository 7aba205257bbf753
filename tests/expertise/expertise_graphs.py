"""Small hand-made graphs for the expertise, insights and evaluate tests, written through the store interface."""

from __future__ import annotations

from contextlib import contextmanager

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
    Organization,
    Participant,
    Person,
    Role,
    Sharing,
    WorksAt,
)

DAY = 86_400
NOW = 1_700_000_000  # 2023-11-14


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

    def person(self, pid: str, *, internal: bool = False, sharing: Sharing = Sharing.ALL, opted_out: bool = False,
               blocked: bool = False, name: str = "") -> str:
        domain = "firm.example" if internal else "client.example"
        self.store.upsert_people([Person(pid, name or pid.title(), [f"{pid}@{domain}"], is_internal=internal,
                                         sharing=sharing, opted_out=opted_out, blocked=blocked)])
        return pid

    def people(self, *pids: str, internal: bool = False) -> None:
        for pid in pids:
            self.person(pid, internal=internal)

    def add(self, item: Interaction) -> Interaction:
        parent = self.items.get(item.parent_id) if item.parent_id else None
        write = InteractionWrite(item, tuple(deltas(item, parent)))
        if self.pending is None:
            self.store.add_interactions([write])
        else:
            self.pending.append(write)
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
        ``first_days`` ago to ``last_days`` ago."""
        parent = ""
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
    with g.batch():
        for n in range(pairs):
            client = g.person(f"c{n:02d}")
            if n % 2 == 0:
                g.exchange(f"on{n}-", "alice", client, 360 - n, 1 + n % 5, 6 + n)
            else:
                g.exchange(f"off{n}-", "alice", client, 360 - n, 300 - n, 3 + n // 3)
        g.person("newcomer")
        g.email("late", at(5), "alice", ["newcomer"])  # first contact after the split: a new pair, not scored
    return g
