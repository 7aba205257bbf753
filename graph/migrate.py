"""Copy an embedded SQLite store into Neo4j: the path from "trying it on a laptop" to "the firm's server".

Everything moves: people (addresses, phones, flags, provenance), organisations, employment,
interactions (participants, topics, notes), deals, KNOWS edges as they stand, identity events and the
review queue (ids kept, so undo still works), erased addresses and the ingest checkpoints. Each step
writes in large batches and is safe to repeat: records are merged by id, interactions already copied
are skipped, and the values of KNOWS edges and events are set, not added to. A step that finished is
recorded in the target until the copy ends, so an interrupted run resumes at the step it was in. At the end the counts of
both stores are compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from kith.graph import neo4j_queries as q
from kith.graph.errors import KithError
from kith.graph.model import KNOWS_COUNTERS, InteractionWrite
from kith.graph.neo4j_store import IDENTITY_EVENT_SEQ_KEY, REVIEW_ITEM_SEQ_KEY, Neo4jStore
from kith.graph.sqlite_store import SQLiteStore

CHUNK = 5_000  # records read and written per step of a copy
DONE_KEY = "migrate.done"  # (:Meta) in the target: the steps finished, comma-separated
_NOT_COPIED = {"generation", "schema_version", DONE_KEY}  # meta keys the target keeps its own of

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MigrationReport:
    copied: dict[str, int]  # step -> records written in this run (0 for a step finished before)
    source: dict[str, int]  # counts at the end, in each store
    target: dict[str, int]

    @property
    def matches(self) -> bool:
        return self.source == self.target


def _chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _column(src: SQLiteStore, sql: str) -> Iterator:
    cur = src._conn().cursor()
    cur.row_factory = None
    cur.execute(sql)
    while batch := cur.fetchmany(CHUNK):
        yield from (row[0] for row in batch)


def _rows(src: SQLiteStore, sql: str) -> list[dict]:
    return [dict(r) for r in src._conn().execute(sql)]


def _copied(items: Iterable[T], write: Callable[[list[T]], object]) -> int:
    n = 0
    for chunk in _chunks(items):
        write(chunk)
        n += len(chunk)
    return n


def _people(src: SQLiteStore, dst: Neo4jStore) -> int:
    return _copied(src.iter_people(), dst.upsert_people)


def _organizations(src: SQLiteStore, dst: Neo4jStore) -> int:
    return _copied(src.iter_organizations(), dst.upsert_organizations)


def _works_at(src: SQLiteStore, dst: Neo4jStore) -> int:
    n = 0
    for ids in _chunks(_column(src, "SELECT DISTINCT person_id FROM works_at ORDER BY person_id")):
        rows = src.works_at(person_ids=ids)
        dst.add_works_at(rows)
        n += len(rows)
    return n


def _interactions(src: SQLiteStore, dst: Neo4jStore) -> int:
    n = 0
    for ids in _chunks(_column(src, "SELECT id FROM interactions ORDER BY id"), 2_000):
        found = src.get_interactions(ids)
        # no KNOWS deltas: the edges are copied as they stand, below
        n += len(dst.add_interactions([InteractionWrite(found[i]) for i in ids if i in found]))
        # the indexed text as it stands: it holds what an interaction read back does not (the topics in
        # their first order, topics privacy's search-only content words)
        dst.set_search_texts(_indexed_texts(src, ids))
    return n


def _indexed_texts(src: SQLiteStore, ids: list[str]) -> dict[str, str]:
    marks = ",".join("?" * len(ids))
    return dict(src._conn().execute(f"SELECT doc_id, text FROM documents WHERE doc_id IN ({marks})", ids))


def _deals(src: SQLiteStore, dst: Neo4jStore) -> int:
    n = 0
    for ids in _chunks(_column(src, "SELECT id FROM deals ORDER BY id")):
        found = src.get_deals(ids)
        dst.upsert_deals([found[i] for i in ids if i in found])
        n += len(found)
    return n


def _knows(src: SQLiteStore, dst: Neo4jStore) -> int:
    n = 0
    for chunk in _chunks(src.iter_knows(), 10_000):
        dst.put_rows(q.PUT_KNOWS, [
            {"a": k.a, "b": k.b, "props": {"first_at": k.first_at, "last_at": k.last_at,
                                           **{c: float(getattr(k, c)) for c in KNOWS_COUNTERS}}}
            for k in chunk])
        n += len(chunk)
    return n


def _records(src: SQLiteStore, dst: Neo4jStore) -> int:
    """Identity events and review items with their ids (and the counters behind new ids), erased
    addresses, and the ingest checkpoints."""
    events = _rows(src, "SELECT * FROM identity_events ORDER BY id")
    for e in events:
        e["emails"] = json.loads(e["emails"])
    reviews = _rows(src, "SELECT * FROM review_queue ORDER BY id")
    erased = _rows(src, "SELECT email_hash, erased_at FROM erased")
    for statement, rows in ((q.PUT_IDENTITY_EVENTS, events), (q.PUT_REVIEW_ITEMS, reviews), (q.PUT_ERASED, erased)):
        for chunk in _chunks(rows):
            dst.put_rows(statement, chunk)
    meta = {r["key"]: r["value"] for r in _rows(src, "SELECT key, value FROM meta") if r["key"] not in _NOT_COPIED}
    meta[IDENTITY_EVENT_SEQ_KEY] = str(max([int(dst.get_meta(IDENTITY_EVENT_SEQ_KEY) or 0)] + [e["id"] for e in events]))
    meta[REVIEW_ITEM_SEQ_KEY] = str(max([int(dst.get_meta(REVIEW_ITEM_SEQ_KEY) or 0)] + [r["id"] for r in reviews]))
    dst.set_meta(meta)
    return len(events) + len(reviews) + len(erased)


# In order: people and organisations before what links them.
STEPS: list[tuple[str, Callable[[SQLiteStore, Neo4jStore], int]]] = [
    ("people", _people), ("organizations", _organizations), ("works_at", _works_at),
    ("interactions", _interactions), ("deals", _deals), ("knows", _knows), ("records", _records),
]


def counts(store: SQLiteStore | Neo4jStore) -> dict[str, int]:
    """What a copy must carry over: the store's counts and its identity events, review items and erased."""
    if isinstance(store, Neo4jStore):
        extra = store.record_counts()
    else:
        conn = store._conn()
        extra = {key: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                 for key, table in (("identity_events", "identity_events"), ("review_items", "review_queue"),
                                    ("erased", "erased"))}
    return {**store.counts(), **extra}


def migrate(src: SQLiteStore, dst: Neo4jStore, on_step: Callable[[str, int], None] | None = None) -> MigrationReport:
    """Copy ``src`` into ``dst`` (see the module's description); ``on_step(name, records)`` after each step."""
    done = set(filter(None, (dst.get_meta(DONE_KEY) or "").split(",")))
    copied = {}
    for name, step in STEPS:
        copied[name] = 0 if name in done else step(src, dst)
        done.add(name)
        dst.set_meta({DONE_KEY: ",".join(n for n, _ in STEPS if n in done)})
        if on_step:
            on_step(name, copied[name])
    dst.set_meta({DONE_KEY: ""})  # finished: a later run copies everything again (and changes nothing)
    report = MigrationReport(copied, counts(src), counts(dst))
    if not report.matches:
        differ = ", ".join(f"{k}: {report.source[k]} here, {report.target.get(k)} there"
                           for k in report.source if report.source[k] != report.target.get(k))
        raise KithError(f"The copy does not match its source ({differ}). The target held other data "
                        "before, or changed during the copy: empty it and run `kith migrate` again.")
    return report
