"""Store rows to model records and back: the one rule both stores follow (as graphiti's record_parsers).

A row is the values of a record's columns (``PERSON``, ``INTERACTION``, ...) in that order: SQLite selects
those columns, Neo4j shapes a node's or relationship's properties with ``row_of`` (an absent property
reads as None). Values are positional because the hot reads (``get_people``, ``get_interactions``) build
tens of thousands of records: a tuple unpacks faster than names are looked up. What a store keeps beside
the row comes as a separate list, decoded: a person's addresses in ``email_order`` and phones sorted (the
order SQLite reads them in, on the hot path), domains, topics, participants and deal roles in any order,
which the functions here put in the one order both stores answer with. They read an absent text as ""
and a flag as False, so that a record read from either store is the same data
(tests/contract/test_store_parity.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import Any

from kith.graph import model
from kith.graph.model import KNOWS_COUNTERS
from kith.graph.store import Contact

Row = Sequence[Any]  # the values of a record's columns, in the order of its column names below

PROVENANCE = ("src_kind", "src", "src_record", "ingested_at")
PERSON = ("id", "name", "given_name", "family_name", "is_internal", "opted_out", "blocked", "sharing", *PROVENANCE)
ORGANIZATION = ("id", "name", "normalized_name", "name_guessed", *PROVENANCE)
WORKS_AT = ("person_id", "org_id", "title", "since", "until", *PROVENANCE)
INTERACTION = ("id", "kind", "occurred_at", "subject", "body", "thread_id", "parent_id", "category", "duration_s",
               *PROVENANCE)
PARTICIPANT = ("person_id", "role", "status", "position", "address")
DEAL = ("id", "name", "org_id", "stage", "status", "amount", "currency", "opened_at", "closed_at", *PROVENANCE)
DEAL_ROLE = ("person_id", "role")
IDENTITY_EVENT = ("id", "kind", "person_id", "other_id", "snapshot", "reason", "actor", "at", "undone_at",
                  "undone_by")
REVIEW_ITEM = ("id", "person_id", "other_id", "score", "reason", "created_at", "status", "resolved_by",
               "resolved_at")

# Stored strings back to enum members by dict (calling an Enum per row is ten times slower).
_SHARING = {m.value: m for m in model.Sharing}
_ROLES = {m.value: m for m in model.Role}
_ATTENDANCE = {m.value: m for m in model.Attendance}
_KINDS = {m.value: m for m in model.InteractionKind}
_CATEGORIES = {m.value: m for m in model.Category}


def row_of(properties: Mapping[str, Any], columns: Sequence[str]) -> tuple:
    """A Neo4j node's or relationship's properties as a row of ``columns`` (an absent one: None)."""
    return tuple(map(properties.get, columns))


# -- rows to records -------------------------------------------------------------------------------
def _provenance(kind: str | None, source: str, record: str, at: int | None) -> model.Provenance | None:
    return None if kind is None else model.Provenance(kind, source, record, at)


def person(r: Row, emails: list[str], phones: list[str]) -> model.Person:
    """``emails`` in ``email_order``, ``phones`` sorted (SQLite reads them in that order)."""
    pid, name, given, family, internal, opted_out, blocked, sharing, kind, source, record, at = r
    return model.Person(pid, name or "", emails, phones, given or "", family or "", bool(internal), bool(opted_out),
                        bool(blocked), _SHARING[sharing or model.Sharing.ALL], _provenance(kind, source, record, at))


def email_order(ingested_at: int | None, address: str) -> tuple:
    """A person's addresses come oldest first (unknown times first), then by address."""
    return ingested_at is not None, ingested_at or 0, address


def organization(r: Row, domains: Iterable[str]) -> model.Organization:
    oid, name, normalized, guessed, kind, source, record, at = r
    return model.Organization(oid, name, normalized, sorted(domains), _provenance(kind, source, record, at),
                              bool(guessed))


def works_at(r: Row) -> model.WorksAt:
    pid, oid, title, since, until, kind, source, record, at = r
    return model.WorksAt(pid, oid, title or "", since, until, _provenance(kind, source, record, at))


def job_order(w: model.WorksAt) -> tuple:
    """A person's jobs in time order (undated last)."""
    return w.person_id, w.since is None, w.since or 0, w.org_id, w.title


def jobs(rows: Iterable[Row]) -> list[model.WorksAt]:
    """Distinct (person, organisation, title) jobs, in ``job_order``."""
    return sorted(map(works_at, {tuple(r[:3]): r for r in rows}.values()), key=job_order)


def interaction(r: Row, topics: Iterable[str], participants: Iterable[Row]) -> model.Interaction:
    """``r`` may carry more values after the INTERACTION columns (SQLite: topics and participants). ``participants``:
    PARTICIPANT rows, in position order (a merge can leave two at one position: person
    and role settle it)."""
    iid, kind, occurred_at, subject, body, thread, parent, category, duration, src_kind, source, record, at = r[:13]
    return model.Interaction(
        iid, _KINDS[kind], occurred_at,
        [model.Participant(pid, _ROLES[role], _ATTENDANCE[status], address or "")
         for pid, role, status, _, address in sorted(participants, key=_participant_order)],
        subject or "", sorted(topics), body or "", thread or "", parent or "", _CATEGORIES[category], duration,
        _provenance(src_kind, source, record, at),
    )


_participant_order = itemgetter(3, 0, 1)  # position, person, role


def contact(iid: str, kind: str, occurred_at: int | None, people: Iterable[str]) -> Contact:
    return Contact(iid, _KINDS[kind], occurred_at, tuple(sorted(set(people))))


def deal(r: Row, roles: Iterable[Row]) -> model.Deal:
    """``roles``: DEAL_ROLE rows. An amount is a float however it was stored."""
    did, name, org_id, stage, status, amount, currency, opened_at, closed_at, kind, source, record, at = r
    return model.Deal(
        did, name, org_id or "", stage or "", model.DealStatus(status), None if amount is None else float(amount),
        currency or "", opened_at, closed_at,
        [model.DealRole(person_id, model.DealRoleKind(role)) for person_id, role in sorted(roles, key=_role_order)],
        _provenance(kind, source, record, at))


_role_order = itemgetter(1, 0)  # role, person


def deal_order(d: model.Deal) -> tuple:
    """Newest opened first, undated last."""
    return d.opened_at is None, -(d.opened_at or 0), d.id


def knows(r: Row) -> model.Knows:
    """A KNOWS row (``graph.store.KNOWS_COLUMNS``); an absent counter is 0."""
    a, b, first_at, last_at, *counters = r
    return model.Knows(a, b, first_at, last_at, *(float(c or 0.0) for c in counters))


def identity_event(r: Row, emails: Iterable[str]) -> model.IdentityEvent:
    """``r`` may carry more values after the IDENTITY_EVENT columns (SQLite: the emails JSON); ``emails`` as
    stored (in the order they moved); the snapshot is stored as JSON text."""
    eid, kind, person_id, other_id, snapshot, reason, actor, at, undone_at, undone_by = r[:10]
    return model.IdentityEvent(model.IdentityEventKind(kind), person_id, other_id, list(emails), reason, actor, at,
                               json.loads(snapshot or "{}"), eid, undone_at, undone_by or "")


def review_item(r: Row) -> model.ReviewItem:
    iid, person_id, other_id, score, reason, created_at, status, resolved_by, resolved_at = r
    return model.ReviewItem(person_id, other_id, float(score), reason, created_at, model.ReviewStatus(status), iid,
                            resolved_by or "", resolved_at)


# -- records to row values -------------------------------------------------------------------------
def provenance_values(p: model.Provenance | None) -> tuple:
    """The PROVENANCE columns of a record (all None without one)."""
    return (p.source_kind, p.source, p.record, p.ingested_at) if p else (None, None, None, None)


def snapshot_json(event: model.IdentityEvent) -> str:
    return json.dumps(event.snapshot, default=str)


_COUNTERS_OF = attrgetter(*KNOWS_COUNTERS)


def knows_values(k: model.Knows) -> tuple:
    """A KNOWS edge's values in ``graph.store.KNOWS_COLUMNS`` order, counters as floats."""
    return (k.a, k.b, k.first_at, k.last_at, *map(float, _COUNTERS_OF(k)))


def sum_knows(deltas: Iterable[model.Knows]) -> list[model.Knows]:
    """One edge per pair (times widened, counters added in the order given), so that a batch writes each
    edge once. The deltas are left as they were."""
    pairs: dict[tuple[str, str], model.Knows] = {}
    for k in deltas:
        found = pairs.get((k.a, k.b))
        if found is None:
            pairs[(k.a, k.b)] = model.Knows(k.a, k.b, k.first_at, k.last_at, *_COUNTERS_OF(k))
        else:
            found.add(k)
    return list(pairs.values())
