"""What one interaction adds to the KNOWS signals of each pair it connects.

The same function feeds the stored edges incrementally at ingest and recomputes them from raw
interactions for "as of" questions, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graph.model import Attendance, Category, Interaction, InteractionKind, Knows, Role

# Above this many people a meeting links its organizer to each attendee, not every pair.
ALL_PAIRS_LIMIT = 30
_SENDER = (Role.FROM,)
_RECIPIENTS = (Role.TO, Role.CC, Role.BCC)
_MET = (Role.ORGANIZER, Role.ATTENDEE)


def _edge(x: str, y: str, at: int | None) -> tuple[Knows, bool]:
    """A blank delta for the pair, and whether x is its ``a`` side."""
    return (Knows(x, y, at, at), True) if x < y else (Knows(y, x, at, at), False)


def deltas(item: Interaction, parent: Interaction | None = None) -> list[Knows]:
    """The KNOWS deltas of one interaction; ``parent`` is the interaction it replies to, if known."""
    if item.category != Category.PERSONAL:
        return []
    at = item.occurred_at
    out: dict[tuple[str, str], Knows] = {}

    def edge(x: str, y: str) -> tuple[Knows, bool]:
        k, x_is_a = _edge(x, y, at)
        return out.setdefault((k.a, k.b), k), x_is_a

    if item.kind == InteractionKind.EMAIL:
        senders = item.people(*_SENDER)
        if senders:
            sender = senders[0]
            recipients = [p for p in item.people(*_RECIPIENTS) if p != sender]
            for r in recipients:
                k, sender_is_a = edge(sender, r)
                if sender_is_a:
                    k.emails_ab += 1
                else:
                    k.emails_ba += 1
                k.email_weight += 1 / len(recipients)
            replied_to = parent.people(*_SENDER) if parent is not None else []
            if replied_to and replied_to[0] != sender:
                k, sender_is_a = edge(sender, replied_to[0])
                hours = (at - parent.occurred_at) / 3600 if at is not None and parent.occurred_at is not None else None
                hours = hours if hours is not None and hours >= 0 else 0.0
                if sender_is_a:
                    k.replies_ab += 1
                    k.reply_hours_ab += hours
                else:
                    k.replies_ba += 1
                    k.reply_hours_ba += hours
    elif item.kind in (InteractionKind.MEETING, InteractionKind.CALL):
        met = [
            p.person_id
            for p in item.participants
            if p.role in _MET and p.status != Attendance.DECLINED
        ]
        met = list(dict.fromkeys(met))
        if len(met) >= 2:
            if len(met) <= ALL_PAIRS_LIMIT:
                pairs = [(x, y) for n, x in enumerate(met) for y in met[n + 1 :]]
            else:
                hosts = item.people(Role.ORGANIZER)[:1] or met[:1]
                pairs = [(hosts[0], y) for y in met if y != hosts[0]]
            for x, y in pairs:
                k, _ = edge(x, y)
                if item.kind == InteractionKind.MEETING:
                    k.meetings += 1
                    k.meeting_weight += 1 / (len(met) - 1)
                else:
                    k.calls += 1
    elif item.kind == InteractionKind.NOTE:
        for author in item.people(Role.AUTHOR):
            for subject in item.people(Role.SUBJECT):
                if subject != author:
                    k, _ = edge(author, subject)
                    k.notes += 1
    return list(out.values())


def fold(items: Iterable[Interaction], parent_of: Callable[[Interaction], Interaction | None]) -> dict[tuple[str, str], Knows]:
    """The KNOWS edges a set of interactions adds up to (for "as of" recomputation)."""
    edges: dict[tuple[str, str], Knows] = {}
    for item in items:
        for k in deltas(item, parent_of(item)):
            if (k.a, k.b) in edges:
                edges[(k.a, k.b)].add(k)
            else:
                edges[(k.a, k.b)] = k
    return edges
