"""What one interaction adds to the KNOWS signals of each pair it connects.

The same function feeds the stored edges incrementally at ingest and recomputes them from raw
interactions for "as of" questions, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kith.graph.model import Attendance, Category, Interaction, InteractionKind, Knows, Role

# Above this many people a meeting links its organizer to each attendee, not every pair.
ALL_PAIRS_LIMIT = 30
_RECIPIENTS = frozenset((Role.TO, Role.CC, Role.BCC))
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

    if item.kind == InteractionKind.EMAIL:  # the hot path of the ingest: one pass, one Knows per pair
        sender = None
        recipients: dict[str, None] = {}
        for p in item.participants:
            if p.role in _RECIPIENTS:
                recipients[p.person_id] = None
            elif sender is None and p.role == Role.FROM:
                sender = p.person_id
        if sender is not None:
            recipients.pop(sender, None)
            weight = 1 / len(recipients) if recipients else 0
            for r in recipients:  # positional: a, b, first_at, last_at, emails_ab, emails_ba, email_weight
                k = Knows(sender, r, at, at, 1, 0, weight) if sender < r else Knows(r, sender, at, at, 0, 1, weight)
                out[(k.a, k.b)] = k
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
    for k in reply_deltas(item, parent):
        if (k.a, k.b) in out:
            out[(k.a, k.b)].add(k)
        else:
            out[(k.a, k.b)] = k
    return list(out.values())


def _first(item: Interaction, role: Role) -> str | None:
    """The first participant in ``role`` (an email's sender)."""
    for p in item.participants:
        if p.role == role:
            return p.person_id
    return None


def reply_deltas(item: Interaction, parent: Interaction | None) -> list[Knows]:
    """What ``item`` replying to ``parent`` adds: a reply, and its latency, from its sender to the
    parent's sender. Ingest applies this once, with whichever of the two arrives second."""
    if parent is None or item.kind != InteractionKind.EMAIL or item.category != Category.PERSONAL:
        return []
    if parent.category != Category.PERSONAL:
        return []
    sender, replied_to = _first(item, Role.FROM), _first(parent, Role.FROM)
    if sender is None or replied_to is None or sender == replied_to:
        return []
    at = item.occurred_at
    k, sender_is_a = _edge(sender, replied_to, at)
    hours = (at - parent.occurred_at) / 3600 if at is not None and parent.occurred_at is not None else 0.0
    hours = max(hours, 0.0)
    if sender_is_a:
        k.replies_ab, k.reply_hours_ab = 1, hours
    else:
        k.replies_ba, k.reply_hours_ba = 1, hours
    return [k]


def sum_edges(items: Iterable[Interaction], parent_of: Callable[[Interaction], Interaction | None]) -> dict[tuple[str, str], Knows]:
    """The KNOWS edges a set of interactions adds up to (for "as of" recomputation)."""
    edges: dict[tuple[str, str], Knows] = {}
    for item in items:
        for k in deltas(item, parent_of(item)):
            if (k.a, k.b) in edges:
                edges[(k.a, k.b)].add(k)
            else:
                edges[(k.a, k.b)] = k
    return edges
