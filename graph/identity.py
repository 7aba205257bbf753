"""Identity decisions over any store: merge two people, split addresses off, undo either.

Every decision is an IdentityEvent (what, when, why, by whom) and can be undone. KNOWS edges of the
people involved are recomputed from their interactions, so they never drift from the evidence.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from kith.graph import ids
from kith.graph.errors import KithError, NotFound
from kith.graph.knows import sum_edges
from kith.graph.model import IdentityEvent, IdentityEventKind, Interaction, Person, ReviewStatus
from kith.graph.store import Store


def recompute_knows(store: Store, person_ids: Sequence[str]) -> None:
    """Rebuild every KNOWS edge touching these people from their interactions."""
    wanted = set(person_ids)
    items: dict[str, Interaction] = {}
    for pid in wanted:
        items.update((i.id, i) for i in store.interactions_of(pid))
    parents = store.get_interactions({i.parent_id for i in items.values() if i.parent_id} - items.keys())
    parents.update(items)
    edges = sum_edges(items.values(), lambda i: parents.get(i.parent_id) if i.parent_id else None)
    store.replace_knows(list(wanted), [k for k in edges.values() if k.a in wanted or k.b in wanted])


def merge_people(store: Store, keep_id: str, other_id: str, reason: str, actor: str) -> IdentityEvent:
    """Fold ``other_id`` into ``keep_id``. Undo with ``undo``."""
    if keep_id == other_id:
        raise KithError("Cannot merge a person with themselves.")
    found = store.get_people([keep_id, other_id])
    for pid in (keep_id, other_id):
        if pid not in found:
            raise NotFound(f"No person with id {pid}; `kith review` lists current ids.")
    other = found[other_id]
    event = IdentityEvent(
        kind=IdentityEventKind.MERGE, person_id=keep_id, other_id=other_id, emails=list(other.emails),
        reason=reason, actor=actor, at=int(time.time()), snapshot=_snapshot(other),
    )
    store.reassign_person(other_id, keep_id)
    recompute_knows(store, [keep_id])
    event.id = store.add_identity_event(event)
    return event


def record_attaches(store: Store, attaches: Sequence[tuple[str, str, str]], actor: str = "kith") -> list[IdentityEvent]:
    """Record that each (person id, address, reason)'s address was recognised as that person's, once:
    an attach of the same address to the same person still in force is not recorded again (an ingest
    that died after writing some of its events writes the same ones when it resumes). Returns the new
    events."""
    wanted = {(pid, email): reason for pid, email, reason in attaches}
    if not wanted:
        return []
    for e in store.identity_events(person_ids={pid for pid, _ in wanted}):
        if e.kind == IdentityEventKind.ATTACH and e.undone_at is None:
            for email in e.emails:
                wanted.pop((e.person_id, email), None)
    events = []
    for (pid, email), reason in wanted.items():
        event = IdentityEvent(
            kind=IdentityEventKind.ATTACH, person_id=pid, other_id=ids.person_id(email), emails=[email],
            reason=reason, actor=actor, at=int(time.time()),
        )
        event.id = store.add_identity_event(event)
        events.append(event)
    return events


def split_person(store: Store, person_id: str, emails: Sequence[str], reason: str, actor: str,
                 name: str = "") -> IdentityEvent:
    """Move ``emails`` (and what was done through them) out of ``person_id`` into a new person."""
    person = store.get_people([person_id]).get(person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    unknown = [e for e in emails if e not in person.emails]
    if unknown or not emails:
        raise KithError(f"{', '.join(unknown) or 'no address'} is not an address of {person.name or person_id}; "
                        f"their addresses are {', '.join(person.emails)}.")
    if set(emails) == set(person.emails):
        raise KithError("A split must leave the person at least one address.")
    new = Person(ids.person_id(emails[0]), name=name or person.name, emails=[], is_internal=person.is_internal,
                 given_name=person.given_name if not name else "", family_name=person.family_name if not name else "")
    return _move_out(store, person_id, new, list(emails), IdentityEventKind.SPLIT, reason, actor)


def undo(store: Store, event_id: int, actor: str) -> IdentityEvent:
    """Reverse a merge, attach or split. Returns the event that did the reversing."""
    found = store.identity_events(event_ids=[event_id])
    if not found:
        raise NotFound(f"No identity event {event_id}.")
    event = found[0]
    if event.undone_at is not None:
        raise KithError(f"Identity event {event_id} was already undone by {event.undone_by}.")
    reason = f"undo of {event.kind} #{event_id}"
    if event.kind == IdentityEventKind.SPLIT:
        store.reassign_person(event.other_id, event.person_id)
        recompute_knows(store, [event.person_id])
        result = IdentityEvent(IdentityEventKind.MERGE, event.person_id, event.other_id, event.emails, reason,
                               actor, int(time.time()))
        result.id = store.add_identity_event(result)
    else:
        restored = Person(**{**event.snapshot, "emails": [], "phones": []}) if event.snapshot else Person(
            event.other_id)
        result = _move_out(store, event.person_id, restored, event.emails, IdentityEventKind.SPLIT, reason, actor)
    store.mark_identity_event_undone(event_id, actor, int(time.time()))
    return result


def resolve_review(store: Store, item_id: int, merge: bool, actor: str) -> IdentityEvent | None:
    """Decide a review item: merge the pair (the first keeps its id) or mark them distinct."""
    item = next((i for i in store.review_items(status=None, limit=1_000_000) if i.id == item_id), None)
    if item is None:
        raise NotFound(f"No review item {item_id}; `kith review` lists the open ones.")
    if item.status != ReviewStatus.OPEN:
        raise KithError(f"Review item {item_id} was already decided ({item.status} by {item.resolved_by}).")
    event = merge_people(store, item.person_id, item.other_id, f"review #{item_id}: {item.reason}", actor) if merge else None
    store.set_review_status(item_id, ReviewStatus.MERGED if merge else ReviewStatus.REJECTED, actor, int(time.time()))
    return event


def _move_out(store: Store, from_id: str, new: Person, emails: list[str], kind: IdentityEventKind,
              reason: str, actor: str) -> IdentityEvent:
    store.upsert_people([new])
    store.reassign_person(from_id, new.id, emails)
    recompute_knows(store, [from_id, new.id])
    event = IdentityEvent(kind, from_id, new.id, emails, reason, actor, int(time.time()))
    event.id = store.add_identity_event(event)
    return event


def _snapshot(person: Person) -> dict:
    fields = {f.name: getattr(person, f.name) for f in dataclasses.fields(person)}
    fields.pop("provenance")
    return {k: (str(v) if k == "sharing" else v) for k, v in fields.items()}
