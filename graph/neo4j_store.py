"""The server store: Neo4j 5 through the official driver, behind a tiny executor seam.

``Neo4jStore`` turns records into parameter rows and rows back into records; every statement it sends
is a constant of ``graph.neo4j_queries``. ``CypherExecutor`` is all it needs from a database, so the
emitted Cypher is tested without one (tests/test_neo4j_queries.py) and the store contract runs it
against a real server when KITH_NEO4J_URI is set.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from importlib import resources
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit

from kith.graph import ids as kith_ids
from kith.graph import neo4j_queries as q
from kith.graph import store_rows
from kith.graph.errors import KithError, NotFound, SchemaTooNew, StoreError, StoreUnavailable
from kith.graph.model import (
    KNOWS_COUNTERS,
    Deal,
    IdentityEvent,
    Interaction,
    InteractionWrite,
    Knows,
    Organization,
    Person,
    Provenance,
    ReviewItem,
    ReviewStatus,
    Role,
    Sharing,
    TextHit,
    WorksAt,
)
from kith.graph.store import COUNT_KEYS, KNOWS_COLUMNS, STORE_ID_KEY, Contact, PathFacts
from kith.graph.store_rows import knows_values, provenance_values, row_of, snapshot_json, sum_knows
from kith.graph.text import index_text

if TYPE_CHECKING:
    import numpy as np

SCHEMA_VERSION = 4  # bump with a change to schema.cypher or to the graph model that needs migrating
_STEMMED_TOKENS = 2  # the version whose search tokens are stemmed (graph.text.index_text)
_INDEXES_REMADE = 4  # the version whose indexes are as schema.cypher makes them now (_drop_old_indexes)
DOCUMENTS_INDEX = "kith_documents"  # the FULLTEXT index of schema.cypher
_UNUSED_INDEX = "interaction_occurred_at"  # in schema.cypher before version 4; no statement used it
GENERATION_KEY = "generation"
SCHEMA_VERSION_KEY = "schema_version"
IDENTITY_EVENT_SEQ_KEY = "identity_event_seq"  # (:Meta) counters behind the integer ids
REVIEW_ITEM_SEQ_KEY = "review_item_seq"
URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

_BATCH = 1000  # rows per UNWIND statement
_TX_INTERACTIONS = 5_000  # interactions per write transaction (with their edges: bounded transaction memory)
_INTERACTION_ROWS = 2_500  # interactions per CREATE_INTERACTIONS statement
_SCHEMA_RULE_EXISTS = {"Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists",
                       "Neo.ClientError.Schema.ConstraintAlreadyExists", "Neo.ClientError.Schema.IndexAlreadyExists"}
_NO_LIMIT = 2**62
_WIPE_BATCH = 10_000  # relationships, then nodes, per delete; a transaction holds one delete of each at most
_KNOWS_BATCH = 2_000  # edges per batch of columns of a refresh's read (iter_knows_columns(since))
_KNOWS_PEOPLE_PER_ROW = 50  # people per row of a whole read (ALL_KNOWS): fewer rows, less driver work per row
_KNOWS_ROWS = 100  # rows per batch of columns of a whole read
_FLAGS_BATCH = 50_000  # people per row of columns (iter_person_flags)
_INDEX_WAIT_S = 300
# Statements in write transactions keep their cached plan however the counts change: each finds its rows
# through a uniqueness constraint, so new statistics cannot improve the plan, and on a growing graph (an
# ingest into an empty database) Neo4j otherwise recompiled them every time a count diverged: 14 % of
# the query threads' CPU samples (JFR) in a 10k-message ingest. Reads are replanned as usual.
_WRITE_OPTIONS = "CYPHER replan=skip\n"

T = TypeVar("T")


# -- the executor seam -----------------------------------------------------------------------------
class CypherTransaction(Protocol):
    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...


class CypherExecutor(Protocol):
    """What the store needs from a database: reads, streamed reads and write transactions."""

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One read, in its own transaction."""
        ...

    def stream(self, query: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """One read whose rows arrive as they are produced."""
        ...

    def write(self, work: Callable[[CypherTransaction], T]) -> T:
        """Run ``work`` in one write transaction (it may be retried on transient errors, so it must
        only read the transaction's results, not depend on earlier attempts)."""
        ...

    def close(self) -> None: ...


def schema_script() -> str:
    """schema.cypher as shipped in the package (graph/schema.cypher links to the repo-root file)."""
    return resources.files("kith.graph").joinpath("schema.cypher").read_text(encoding="utf-8")


# -- the real executor -----------------------------------------------------------------------------
class _DriverTransaction:
    def __init__(self, tx: Any, options: str = ""):
        self._tx = tx
        self._options = options  # Cypher query options put before every statement

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [_values(record) for record in self._tx.run(self._options + query, params)]


def _values(record: Any) -> dict[str, Any]:
    """A record as a dict. The statements return plain values, never nodes or temporal values
    (graph.neo4j_queries), so nothing can fail to hydrate and nothing needs ``Record.data()``'s
    element-by-element walk (nearly half the client CPU of a warm-path read) nor ``Record``'s own
    iterator, a Python generator: the values are read with the tuple's iterator, in C."""
    return dict(zip(record.keys(), tuple.__iter__(record)))


class DriverExecutor:
    """``CypherExecutor`` over a ``neo4j.Driver``; driver errors become one-line ``StoreError``s."""

    def __init__(self, driver: Any, uri: str, user: str, database: str):
        import neo4j

        self._driver = driver
        self._uri = uri
        self._user = user
        self._database = database
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()  # read your own writes

    @classmethod
    def open(
        cls,
        uri: str,
        user: str,
        password: str,
        database: str,
        driver_factory: Callable[..., Any] | None = None,
        retry_seconds: float = 30.0,
    ) -> DriverExecutor:
        scheme = urlsplit(uri).scheme
        if scheme not in URI_SCHEMES:
            raise StoreUnavailable(
                f"{uri!r} is not a Neo4j URI: use bolt://host:7687 or neo4j://host:7687 (KITH_NEO4J_URI)."
            )
        if driver_factory is None:
            import neo4j

            driver_factory = neo4j.GraphDatabase.driver
        executor: DriverExecutor | None = None
        try:
            with _translated(uri, user, database):
                driver = driver_factory(uri, auth=(user, password), max_transaction_retry_time=retry_seconds)
                executor = cls(driver, uri, user, database)
                driver.verify_connectivity()
        except BaseException:
            if executor is not None:
                executor.close()
            raise
        return executor

    def _session(self, write: bool, **options: Any) -> Any:
        import neo4j

        # Kith reads no notifications: off, the server neither builds nor sends them (a graph that lacks a
        # relationship type yet drew ten warnings per warm-path read, each parsed by the driver).
        return self._driver.session(
            database=self._database,
            default_access_mode=neo4j.WRITE_ACCESS if write else neo4j.READ_ACCESS,
            bookmark_manager=self._bookmarks,
            notifications_min_severity="OFF",
            **options,
        )

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One read in one round trip: an auto-commit statement (a managed transaction adds a COMMIT
        round trip, ~0.4 ms a read on loopback). A retryable failure is tried again as a managed read,
        which the driver retries."""
        from neo4j.exceptions import DriverError, Neo4jError

        with _translated(self._uri, self._user, self._database), self._session(write=False) as session:
            try:
                return [_values(record) for record in session.run(query, params)]
            except (Neo4jError, DriverError) as exc:
                if not exc.is_retryable():
                    raise
            return session.execute_read(lambda tx: _DriverTransaction(tx).run(query, params))

    def stream(self, query: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        # fetch_size -1: the server sends rows as it makes them (throttled by the socket's buffer) while
        # this process decodes the earlier ones, instead of making 1,000 and idling until asked for more
        with _translated(self._uri, self._user, self._database), self._session(write=False, fetch_size=-1) as session:
            for record in session.run(query, params):
                yield _values(record)

    def write(self, work: Callable[[CypherTransaction], T]) -> T:
        with _translated(self._uri, self._user, self._database), self._session(write=True) as session:
            return session.execute_write(lambda tx: work(_DriverTransaction(tx, _WRITE_OPTIONS)))

    def close(self) -> None:
        self._driver.close()


@contextmanager
def _translated(uri: str, user: str, database: str) -> Iterator[None]:
    """Driver errors a user can fix, as one line saying what to check."""
    from neo4j import exceptions as ne

    try:
        yield
    except ne.AuthError:
        raise StoreUnavailable(
            f"Neo4j at {uri} refused the credentials for user {user!r}: check KITH_NEO4J_USER / KITH_NEO4J_PASSWORD."
        ) from None
    except (ne.ServiceUnavailable, ne.SessionExpired, OSError) as exc:
        raise StoreUnavailable(
            f"Cannot reach Neo4j at {uri}: {_one_line(exc)}. "
            "Is the server running (docker compose up neo4j) and the URI right?"
        ) from None
    except ne.ClientError as exc:
        if exc.code == "Neo.ClientError.Database.DatabaseNotFound":
            raise StoreUnavailable(
                f"Neo4j at {uri} has no database {database!r}: check KITH_NEO4J_DATABASE "
                "(Community Edition has only 'neo4j')."
            ) from None
        raise
    except ne.ConfigurationError as exc:
        raise StoreUnavailable(f"Cannot use Neo4j at {uri}: {_one_line(exc)}. Check KITH_NEO4J_URI.") from None


def _one_line(exc: BaseException, limit: int = 240) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- rows ------------------------------------------------------------------------------------------
def _batches(rows: Sequence[T]) -> Iterator[list[T]]:
    for start in range(0, len(rows), _BATCH):
        yield list(rows[start : start + _BATCH])


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _prov(p: Provenance | None) -> dict[str, Any]:
    return dict(zip(store_rows.PROVENANCE, provenance_values(p))) if p else {}


def _search_props(text: str, tokens: str | None = None) -> dict[str, str | None]:
    """What the full-text index sees (``tokens``: index_text(text) when known); empty text leaves a
    document out of it (nulls remove)."""
    return {"search_tokens": (index_text(text) if tokens is None else tokens) or None, "search_text": text or None}


def _knows_row(k: Knows) -> dict[str, Any]:
    return dict(zip(KNOWS_COLUMNS, knows_values(k)))


# Records from the statements' rows: each shapes its node and relationship properties into store_rows' rows.
def _knows(row: dict[str, Any]) -> Knows:
    return store_rows.knows((row["a"], row["b"], *row_of(row["knows"], KNOWS_COLUMNS[2:])))


def _organization(r: Mapping[str, Any]) -> Organization:
    return store_rows.organization(row_of(r["org"], store_rows.ORGANIZATION), r["domains"])


def _job_row(person_id: str, org_id: str, works: dict[str, Any]) -> tuple:
    return person_id, org_id, *row_of(works, store_rows.WORKS_AT[2:])


def _person(row: dict[str, Any]) -> Person:
    p = row["person"]
    emails = sorted(row["emails"], key=lambda e: store_rows.email_order(e.get("ingested_at"), e["address"]))
    return store_rows.person(row_of(p, store_rows.PERSON), [e["address"] for e in emails],
                             sorted(p.get("phones") or []))


def _interaction(row: dict[str, Any]) -> Interaction:
    return store_rows.interaction(row_of(row["interaction"], store_rows.INTERACTION), row["topics"],
                                  [row_of(r, store_rows.PARTICIPANT) for r in row["participants"]])


def _identity_event(row: dict[str, Any]) -> IdentityEvent:
    p = row["event"]
    return store_rows.identity_event(row_of(p, store_rows.IDENTITY_EVENT), p.get("emails") or [])


def _review_item(row: dict[str, Any]) -> ReviewItem:
    return store_rows.review_item(row_of(row["item"], store_rows.REVIEW_ITEM))


def _deal(row: dict[str, Any]) -> Deal:
    p = {**row["deal"], "org_id": min(row["org_ids"], default="")}
    return store_rows.deal(row_of(p, store_rows.DEAL), [(r["person_id"], r["role"]) for r in row["roles"]])


def _times(values: Any) -> list[int | None]:
    """A column of times (float, NaN when unknown) as ``Knows`` holds them."""
    return [None if t != t else int(t) for t in values.tolist()]


# -- the store -------------------------------------------------------------------------------------
class Neo4jStore:
    kind = "neo4j"

    def __init__(self, executor: CypherExecutor, where: str = "Neo4j", cache_key: str | None = None):
        self._db = executor
        self._where = where  # for messages: which database this is
        self._cache_key = cache_key  # server and database, naming the network file's folder

    # -- lifecycle -------------------------------------------------------------------------------
    @classmethod
    def connect(
        cls,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        *,
        driver_factory: Callable[..., Any] | None = None,
        retry_seconds: float = 30.0,
    ) -> Neo4jStore:
        """Connect, check the schema version and apply schema.cypher. Raises StoreUnavailable with
        what to check when the server cannot be reached or refuses the credentials. A transaction that
        fails for want of the server is retried for ``retry_seconds`` before that error."""
        executor = DriverExecutor.open(uri, user, password, database, driver_factory, retry_seconds)
        store = cls(executor, f"The Neo4j database {database!r} at {uri}", cache_key=f"{uri}\n{database}")
        try:
            store.migrate()
        except BaseException:
            executor.close()
            raise
        return store

    def migrate(self) -> None:
        """Apply schema.cypher (idempotent) and record the schema version; refuse a newer database."""
        found = self.schema_version()
        if found > SCHEMA_VERSION:
            raise SchemaTooNew(self._where, found, SCHEMA_VERSION)
        from neo4j.exceptions import ClientError

        if found < _INDEXES_REMADE:
            self._drop_old_indexes()
        for statement in q.split_statements(schema_script()):
            # Schema and data changes cannot share a transaction: one each.
            try:
                self._db.write(lambda tx, s=statement: tx.run(s, {}))
            except ClientError as exc:
                # Another process connecting to a new database at the same moment created it first
                # (IF NOT EXISTS does not guard against that race): what we wanted is there.
                if exc.code not in _SCHEMA_RULE_EXISTS:
                    raise
        self._db.run(q.AWAIT_INDEXES, {"seconds": _INDEX_WAIT_S})
        if found < _STEMMED_TOKENS:
            self._retokenize()
        fresh = {} if self.get_meta(STORE_ID_KEY) else {STORE_ID_KEY: uuid.uuid4().hex}
        self._db.write(lambda tx: tx.run(q.SET_META, _meta_rows({SCHEMA_VERSION_KEY: str(SCHEMA_VERSION), **fresh})))

    def _drop_old_indexes(self) -> None:
        """Drop the indexes of schema versions before 4: the range index on Interaction.occurred_at, which
        no statement used (each interaction written updated it), and a full-text index made before it was
        eventually consistent: schema.cypher makes that one again (IF NOT EXISTS would keep the old one),
        and AWAIT_INDEXES waits while it fills from the graph."""
        self._db.write(lambda tx: tx.run(q.DROP_INDEX, {"index": _UNUSED_INDEX}))
        rows = self._db.run(q.DOCUMENTS_INDEX_EVENTUAL, {"index": DOCUMENTS_INDEX})
        if rows and not rows[0]["eventual"]:
            self._db.write(lambda tx: tx.run(q.DROP_INDEX, {"index": DOCUMENTS_INDEX}))

    def _retokenize(self) -> None:
        """Index every document's kept text again with today's ``index_text``, a page at a time."""
        after = ""
        while rows := self._db.run(q.SEARCH_TEXTS, {"after": after, "limit": _BATCH}):
            self.set_search_texts({r["id"]: r["text"] for r in rows})
            after = rows[-1]["id"]

    def set_search_texts(self, texts: Mapping[str, str]) -> None:
        """Set documents' searchable text as given (indexed with today's ``index_text``)."""
        rows = [{"id": i, "text": t or None, "tokens": index_text(t) or None} for i, t in texts.items()]
        self._db.write(lambda tx: tx.run(q.SET_SEARCH, {"rows": rows}))

    def _write(self, work: Callable[[CypherTransaction], T]) -> T:
        """One write transaction that also moves the generation on (first: see BUMP_GENERATION); a
        statement in it that reads ``$gen`` is given the generation it makes."""

        def transaction(tx: CypherTransaction) -> T:
            gen = tx.run(q.BUMP_GENERATION, {"key": GENERATION_KEY})[0]["gen"]
            return work(_Generation(tx, gen))

        return self._db.write(transaction)

    def schema_version(self) -> int:
        return int(self.get_meta(SCHEMA_VERSION_KEY) or 0)

    def generation(self) -> int:
        return int(self.get_meta(GENERATION_KEY) or 0)

    def close(self) -> None:
        self._db.close()

    def wipe(self) -> None:
        """Tests only: delete every relationship, then every node (in batches of bounded size), keeping the
        schema and its version; the store gets a new id."""
        meta = {SCHEMA_VERSION_KEY: str(SCHEMA_VERSION), STORE_ID_KEY: uuid.uuid4().hex}  # a new store

        def work(tx: CypherTransaction) -> bool:  # a graph of less than a batch goes in one transaction
            for statement in (q.WIPE_EDGES, q.WIPE_BATCH):
                if tx.run(statement, {"batch": _WIPE_BATCH})[0]["deleted"] == _WIPE_BATCH:
                    return False  # maybe more: the next transaction goes on
            tx.run(q.SET_META, _meta_rows(meta))
            return True

        while not self._db.write(work):
            pass

    # -- writes ----------------------------------------------------------------------------------
    @contextmanager
    def batch(self) -> Iterator[None]:
        """Each Neo4j write is already one transaction; a batch adds nothing."""
        yield

    def upsert_people(self, people: Sequence[Person]) -> None:
        rows = [
            {"id": p.id, "name": p.name, "given_name": p.given_name, "family_name": p.family_name,
             "is_internal": bool(p.is_internal), "opted_out": bool(p.opted_out), "blocked": bool(p.blocked),
             "sharing": str(p.sharing), "phones": _unique(p.phones), "emails": _unique(p.emails),
             "prov": _prov(p.provenance)}
            for p in people
        ]

        def work(tx: CypherTransaction) -> None:
            for batch in _batches(rows):
                tx.run(q.UPSERT_PEOPLE, {"rows": batch})

        self._write(work)

    def update_person(
        self,
        person_id: str,
        *,
        opted_out: bool | None = None,
        blocked: bool | None = None,
        sharing: Sharing | None = None,
        is_internal: bool | None = None,
    ) -> None:
        params = {
            "id": person_id,
            "opted_out": None if opted_out is None else bool(opted_out),
            "blocked": None if blocked is None else bool(blocked),
            "sharing": None if sharing is None else str(sharing),
            "is_internal": None if is_internal is None else bool(is_internal),
        }

        def work(tx: CypherTransaction) -> None:
            if not tx.run(q.UPDATE_PERSON, params):
                raise NotFound(f"No person with id {person_id}.")

        self._write(work)

    def upsert_organizations(self, orgs: Sequence[Organization]) -> None:
        rows = [
            {"id": o.id, "name": o.name, "normalized_name": o.normalized_name, "name_guessed": o.name_guessed,
             "domains": _unique(o.domains), "prov": _prov(o.provenance)}
            for o in orgs
        ]

        def work(tx: CypherTransaction) -> None:
            for batch in _batches(rows):
                tx.run(q.UPSERT_ORGANIZATIONS, {"rows": batch})

        self._write(work)

    def add_works_at(self, rows: Sequence[WorksAt]) -> None:
        params = [
            {"person_id": w.person_id, "org_id": w.org_id, "title": w.title, "since": w.since, "until": w.until,
             "prov": _prov(w.provenance)}
            for w in rows
        ]

        def work(tx: CypherTransaction) -> None:
            for batch in _batches(params):
                tx.run(q.ADD_WORKS_AT, {"rows": batch})

        self._write(work)

    def add_interactions(self, writes: Sequence[InteractionWrite]) -> list[str]:
        unique: dict[str, InteractionWrite] = {}
        for w in writes:
            unique.setdefault(w.interaction.id, w)  # the first occurrence wins, in order of first occurrence
        chunks = list(unique.values())
        return [i for n in range(0, len(chunks), _TX_INTERACTIONS)
                for i in self._write(partial(_add_interactions, chunks[n : n + _TX_INTERACTIONS]))]

    def upsert_deals(self, deals: Sequence[Deal]) -> None:
        rows = [
            {"id": d.id, "org_id": d.org_id or None, "prov": _prov(d.provenance),
             "props": {"name": d.name, "stage": d.stage, "status": str(d.status), "amount": d.amount,
                       "currency": d.currency, "opened_at": d.opened_at, "closed_at": d.closed_at,
                       **_search_props(d.name)}}
            for d in deals
        ]
        roles = [{"deal_id": d.id, "person_id": r.person_id, "role": str(r.role)} for d in deals for r in d.roles]

        def work(tx: CypherTransaction) -> None:
            for batch in _batches(rows):
                tx.run(q.UPSERT_DEALS, {"rows": batch})
            for batch in _batches(roles):
                tx.run(q.ADD_DEAL_ROLES, {"rows": batch})

        self._write(work)

    def remove_interactions(self, ids: Sequence[str]) -> list[str]:
        def work(tx: CypherTransaction) -> list[str]:
            people: set[str] = set()
            for batch in _batches(_unique(ids)):
                people.update(r["person_id"] for r in tx.run(q.PARTICIPANTS_OF, {"ids": batch}))
                tx.run(q.DELETE_INTERACTIONS, {"ids": batch})
            return sorted(people)

        return self._write(work)

    def erase_person(self, person_id: str) -> dict[str, int]:
        def work(tx: CypherTransaction) -> dict[str, int]:
            found = tx.run(q.ERASE_LOOKUP, {"id": person_id, "subject_role": str(Role.SUBJECT)})
            if not found:
                raise NotFound(f"No person with id {person_id}.")
            emails, touched = found[0]["emails"], _unique(found[0]["touched"])
            hashes = _unique(kith_ids.email_hash(e) for e in emails)
            if hashes:
                tx.run(q.RECORD_ERASED, {"hashes": hashes, "now": int(time.time())})
            tx.run(q.DELETE_PERSON, {"id": person_id})
            # Notes about them go entirely; so does anything left with fewer than two people.
            doomed = list(found[0]["subject_of"])
            for batch in _batches(touched):
                doomed += [r["id"] for r in tx.run(q.UNDERPOPULATED_INTERACTIONS, {"ids": batch})]
            doomed = _unique(doomed)
            for batch in _batches(doomed):
                tx.run(q.DELETE_INTERACTIONS, {"ids": batch})
            return {"emails": len(emails), "interactions": len(doomed), "knows": found[0]["knows"]}

        return self._write(work)

    def set_meta(self, items: Mapping[str, str]) -> None:
        rows = _meta_rows(items)["rows"]

        def work(tx: CypherTransaction) -> None:
            for batch in _batches(rows):
                tx.run(q.SET_META, {"rows": batch})

        self._write(work)

    def put_rows(self, statement: str, rows: Sequence[dict[str, Any]]) -> None:
        """Copying a store in (graph.migrate): run one of the PUT_* statements over rows, in batches,
        in one transaction."""

        def work(tx: CypherTransaction) -> None:
            for batch in _batches(rows):
                tx.run(statement, {"rows": batch})

        self._write(work)

    def record_counts(self) -> dict[str, int]:
        """How many identity events, review items and erased addresses the store holds."""
        found = {r["label"]: r["n"] for r in self._db.run(q.COUNT_RECORDS, {})}
        return {"identity_events": found.get("IdentityEvent", 0), "review_items": found.get("ReviewItem", 0),
                "erased": found.get("Erased", 0)}

    # -- identity --------------------------------------------------------------------------------
    def reassign_person(self, from_id: str, to_id: str, emails: Sequence[str] | None = None) -> list[str]:
        if from_id == to_id:
            raise KithError("Cannot move a person's facts onto themselves.")
        ids = {"from_id": from_id, "to_id": to_id}
        moving = None if emails is None else _unique(emails)  # one person's addresses: a single batch

        def work(tx: CypherTransaction) -> list[str]:
            found = tx.run(q.REASSIGN_LOOKUP, {**ids, "emails": moving})
            row = found[0] if found else {}
            for pid, key in ((from_id, "from_id"), (to_id, "to_id")):
                if row.get(key) is None:
                    raise NotFound(f"No person with id {pid}.")
            if moving is None:  # a merge: everything moves and from_id goes
                tx.run(q.MERGE_PERSON_FIELDS, ids)
                tx.run(q.MOVE_EMAILS, {**ids, "emails": None})
                tx.run(q.MOVE_WORKS_AT, ids)
                tx.run(q.MOVE_DEAL_ROLES, ids)
                tx.run(q.MOVE_PARTICIPATIONS, {**ids, "emails": None})
                tx.run(q.DELETE_PERSON, {"id": from_id})  # its addresses moved; its KNOWS edges go with it
            elif moving:  # a split: those addresses and what was done through them
                tx.run(q.MOVE_EMAILS, {**ids, "emails": moving})
                tx.run(q.MOVE_PARTICIPATIONS, {**ids, "emails": moving})
            return sorted(set(row["touched"]))

        return self._write(work)

    def replace_knows(self, person_ids: Sequence[str], edges: Sequence[Knows]) -> None:
        edges = sum_knows(edges)
        targets = _unique(person_ids)

        def work(tx: CypherTransaction) -> None:
            for batch in _batches(targets):
                tx.run(q.DELETE_KNOWS_OF, {"ids": batch})
            for batch in _batches(edges):
                tx.run(q.MERGE_KNOWS, _knows_rows(batch))

        self._write(work)

    def add_identity_event(self, event: IdentityEvent) -> int:
        params = {
            "kind": str(event.kind), "person_id": event.person_id, "other_id": event.other_id,
            "emails": list(event.emails), "snapshot": snapshot_json(event),
            "reason": event.reason, "actor": event.actor, "at": event.at, "undone_by": "",
        }

        def work(tx: CypherTransaction) -> int:
            event_id = int(tx.run(q.RESERVE_IDS, {"key": IDENTITY_EVENT_SEQ_KEY, "count": 1})[0]["last"])
            tx.run(q.ADD_IDENTITY_EVENT, {"id": event_id, **params})
            return event_id

        return self._write(work)

    def mark_identity_event_undone(self, event_id: int, actor: str, at: int) -> None:
        def work(tx: CypherTransaction) -> None:
            if not tx.run(q.MARK_IDENTITY_EVENT_UNDONE, {"id": event_id, "actor": actor, "at": at}):
                raise NotFound(f"No identity event {event_id} that is still in force.")

        self._write(work)

    def add_review_items(self, items: Sequence[ReviewItem]) -> int:
        pairs: dict[tuple[str, str], ReviewItem] = {}
        for item in items:
            a, b = sorted((item.person_id, item.other_id))
            pairs.setdefault((a, b), item)  # either order is one pair; the first wins

        def work(tx: CypherTransaction) -> int:
            existing: set[tuple[str, str]] = set()
            for batch in _batches([{"person_id": a, "other_id": b} for a, b in pairs]):
                rows = tx.run(q.EXISTING_REVIEW_ITEMS, {"rows": batch})
                existing.update((r["person_id"], r["other_id"]) for r in rows)
            new = [(pair, item) for pair, item in pairs.items() if pair not in existing]
            if not new:
                return 0
            last = int(tx.run(q.RESERVE_IDS, {"key": REVIEW_ITEM_SEQ_KEY, "count": len(new)})[0]["last"])
            rows = [
                {"id": last - len(new) + n, "person_id": a, "other_id": b, "score": float(item.score),
                 "reason": item.reason, "created_at": item.created_at, "status": str(item.status), "resolved_by": ""}
                for n, ((a, b), item) in enumerate(new, 1)
            ]
            # A pair queued meanwhile by another writer is left as it is and not counted.
            return sum(r["added"] for batch in _batches(rows) for r in tx.run(q.ADD_REVIEW_ITEMS, {"rows": batch}))

        return self._write(work)

    def set_review_status(self, item_id: int, status: ReviewStatus, actor: str, at: int) -> None:
        params = {"id": item_id, "status": str(status), "actor": actor, "at": at}

        def work(tx: CypherTransaction) -> None:
            if not tx.run(q.SET_REVIEW_STATUS, params):
                raise NotFound(f"No review item {item_id}.")

        self._write(work)

    # -- reads -----------------------------------------------------------------------------------
    def _read(self, query: str, name: str, values: Iterable[str], **extra: Any) -> Iterator[dict[str, Any]]:
        """Run ``query`` over batches of distinct ``values`` passed as ``$name``; nothing for none."""
        for batch in _batches(_unique(values)):
            yield from self._db.run(query, {name: batch, **extra})

    def _of_people_or_orgs(self, query: str, person_ids: Iterable[str], org_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Rows of a ``$person_ids`` UNION ``$org_ids`` statement, batch by batch."""
        return self._union(query, person_ids=person_ids, org_ids=org_ids)

    def _union(self, query: str, **lists: Iterable[Any]) -> list[dict[str, Any]]:
        """Rows of a UNION statement over several list parameters: each list batch by batch, the others
        empty."""
        rows: list[dict[str, Any]] = []
        empty = dict.fromkeys(lists, [])
        for name, values in lists.items():
            for batch in _batches(_unique(values)):
                rows += self._db.run(query, {**empty, name: batch})
        return rows

    def get_meta(self, key: str) -> str | None:
        rows = self._db.run(q.GET_META, {"key": key})
        return rows[0]["value"] if rows else None

    def get_people(self, ids: Iterable[str]) -> dict[str, Person]:
        return {person.id: person for person in map(_person, self._read(q.GET_PEOPLE, "ids", ids))}

    def iter_people(self) -> Iterator[Person]:
        return map(_person, self._db.stream(q.ALL_PEOPLE, {}))

    def people_at_domains(self, domains: Iterable[str]) -> set[str]:
        suffixes = [mark + d for d in domains for mark in "@."]  # the domain itself, or a subdomain of it
        return {r["person_id"] for r in self._read(q.PEOPLE_AT_DOMAINS, "suffixes", suffixes)}

    def people_by_email(self, emails: Iterable[str]) -> dict[str, str]:
        return {r["email"]: r["person_id"] for r in self._read(q.PEOPLE_BY_EMAIL, "emails", emails)}

    def erased_hashes(self, hashes: Iterable[str]) -> set[str]:
        return {r["email_hash"] for r in self._read(q.ERASED_HASHES, "hashes", hashes)}

    def get_organizations(self, ids: Iterable[str]) -> dict[str, Organization]:
        return {r["org"]["id"]: _organization(r) for r in self._read(q.GET_ORGANIZATIONS, "ids", ids)}

    def iter_organizations(self) -> Iterator[Organization]:
        return map(_organization, self._db.stream(q.ALL_ORGANIZATIONS, {}))

    def orgs_by_domain(self, domains: Iterable[str]) -> dict[str, str]:
        return {r["domain"]: r["org_id"] for r in self._read(q.ORGS_BY_DOMAIN, "domains", domains)}

    def orgs_by_normalized_name(self, names: Iterable[str]) -> dict[str, str]:
        return {r["normalized_name"]: r["org_id"] for r in self._read(q.ORGS_BY_NORMALIZED_NAME, "names", names)}

    def works_at(self, person_ids: Iterable[str] = (), org_ids: Iterable[str] = ()) -> list[WorksAt]:
        rows = self._of_people_or_orgs(q.WORKS_AT, person_ids, org_ids)
        return store_rows.jobs(_job_row(r["person_id"], r["org_id"], r["works"]) for r in rows)

    def get_interactions(self, ids: Iterable[str]) -> dict[str, Interaction]:
        return {r["interaction"]["id"]: _interaction(r) for r in self._read(q.GET_INTERACTIONS, "ids", ids)}

    def replies_to(self, parent_ids: Iterable[str]) -> list[Interaction]:
        order = sorted({r["id"] for r in self._read(q.REPLIES_TO, "ids", parent_ids)})
        found = self.get_interactions(order)
        return [found[i] for i in order if i in found]

    def interactions_of(self, person_id: str, before: int | None = None, limit: int | None = None) -> list[Interaction]:
        limit = _NO_LIMIT if limit is None or limit < 0 else limit  # SQLite reads a negative LIMIT as none
        order = [r["id"] for r in self._db.run(
            q.INTERACTIONS_OF, {"person_id": person_id, "before": before, "limit": limit})]
        found = self.get_interactions(order)
        return [found[i] for i in order if i in found]

    def interactions_between(self, a: str, b: str, before: int | None = None,
                             limit: int | None = None) -> list[Interaction]:
        return self.interactions_between_pairs([(a, b)], before, limit)[0]

    def interactions_between_pairs(self, pairs: Sequence[tuple[str, str]], before: int | None = None,
                                   limit: int | None = None) -> list[list[Interaction]]:
        limit = None if limit is None or limit < 0 else limit
        out: list[list[Interaction]] = [[] for _ in pairs]
        found: dict[str, Interaction] = {}  # each interaction once, however many pairs shared it
        rows = self._db.run(q.INTERACTIONS_BETWEEN, {"pairs": [list(p) for p in pairs], "before": before, "limit": limit})
        for r in sorted(rows, key=lambda r: (r["n"], r["pos"])):
            iid = r["interaction"]["id"]
            if iid not in found:
                found[iid] = _interaction(r)
            out[r["n"]].append(found[iid])
        return out

    def path_facts(self, person_ids: Iterable[str], pairs: Sequence[tuple[str, str]], before: int | None = None,
                   limit: int | None = None, titled: Iterable[str] = ()) -> PathFacts:
        limit = None if limit is None or limit < 0 else limit
        [row] = self._db.run(q.PATH_FACTS, {"ids": _unique(person_ids), "titled": _unique(titled),
                                            "pairs": [list(p) for p in pairs],
                                            "before": before, "limit": limit, "key": GENERATION_KEY})
        people = {p.id: p for p in map(_person, row["people"])}
        jobs = store_rows.jobs(_job_row(r["person"]["id"], j["org"]["id"], j["works"])
                               for r in row["people"] for j in r["jobs"])
        orgs = {j["org"]["id"]: _organization(j) for r in row["people"] for j in r["jobs"]}
        shared: list[list[Contact]] = [[] for _ in pairs]
        for r in sorted(row["shared"], key=lambda r: (r["n"], r["r"])):
            shared[r["n"]].append(store_rows.contact(r["id"], r["kind"], r["occurred_at"], r["people"]))
        return PathFacts(people, jobs, orgs, shared, int(row["generation"] or 0))

    def get_deals(self, ids: Iterable[str]) -> dict[str, Deal]:
        return {r["deal"]["id"]: _deal(r) for r in self._read(q.GET_DEALS, "ids", ids)}

    def deals_of(self, person_ids: Iterable[str] = (), org_ids: Iterable[str] = ()) -> list[Deal]:
        deals = self.get_deals(r["id"] for r in self._of_people_or_orgs(q.DEALS_OF, person_ids, org_ids))
        return sorted(deals.values(), key=store_rows.deal_order)

    def knows_of(self, person_ids: Iterable[str]) -> list[Knows]:
        rows = {(r["a"], r["b"]): r for r in self._read(q.KNOWS_OF, "ids", person_ids)}
        return [_knows(r) for _, r in sorted(rows.items())]

    def iter_knows(self) -> Iterator[Knows]:
        for batch in self.iter_knows_columns():
            first_at, last_at = (_times(batch[c]) for c in ("first_at", "last_at"))
            counters = (batch[c].tolist() for c in KNOWS_COUNTERS)
            yield from map(Knows, batch["a"].to_pylist(), batch["b"].to_pylist(), first_at, last_at, *counters)

    def iter_knows_columns(self, since: int | None = None) -> Iterator[dict[str, Sequence]]:
        if since is not None:  # a refresh's few edges: a row each, by the index on KNOWS.gen
            rows = self._db.stream(q.KNOWS_SINCE, {"since": since})
            while batch := list(islice(rows, _KNOWS_BATCH)):
                yield {c: [r[c] for r in batch] for c in KNOWS_COLUMNS}
            return
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        rows = self._db.stream(q.ALL_KNOWS, {"people": _KNOWS_PEOPLE_PER_ROW})
        # each row into arrays as it arrives, so that the driver's lists die young: held for a batch of rows,
        # the garbage collector walked them again and again (a third of this process's CPU for the read)
        batches, ids, elements = [], [], []
        while batch := [_knows_arrays(r) for r in islice(rows, _KNOWS_ROWS)]:
            people, size = pa.concat_arrays([r["a"] for r in batch]), np.concatenate([r["size"] for r in batch])
            ids.append(people)
            elements.extend(r["a_element"] for r in batch)
            batches.append({"a": people.take(np.repeat(np.arange(len(people)), size)),
                            **{c: (pa.concat_arrays if c == "b" else np.concatenate)([r[c] for r in batch])
                               for c in KNOWS_COLUMNS[1:]}})
        # each edge's far end comes as its node's element id (b.id was a sixth of the server's CPU); every
        # person was an ``a`` of the same read, so the element ids of this one statement name them all
        ids, elements = (pa.chunked_array(c, pa.string()).combine_chunks() for c in (ids, elements))
        for batch in batches:
            batch["b"] = ids.take(pc.index_in(batch["b"], value_set=elements))
            yield batch

    def iter_person_flags(self) -> Iterator[tuple[str, bool, bool]]:
        for batch in self._db.stream(q.PERSON_FLAGS, {"batch": _FLAGS_BATCH}):
            yield from zip(batch["id"], batch["internal"], batch["usable"])

    def knows_replaced_since(self, since: int) -> list[str]:
        return [r["id"] for r in self._db.run(q.KNOWS_REPLACED_SINCE, {"since": since})]

    def network_dir(self) -> Path | None:
        """A cache folder per server and database (the store has no folder of its own)."""
        if self._cache_key is None:
            return None
        import platformdirs

        key = hashlib.sha256(self._cache_key.encode()).hexdigest()[:16]
        return Path(platformdirs.user_cache_dir("kith", appauthor=False)) / "networks" / key

    def search_text(self, phrases: Sequence[str], limit: int = 100, before: int | None = None) -> list[TextHit]:
        if not phrases:
            return []
        from neo4j.exceptions import ClientError

        params = {"index": DOCUMENTS_INDEX, "query": " OR ".join(phrases), "before": before, "limit": limit}
        try:
            rows = self._db.run(q.SEARCH_TEXT, params)
        except ClientError as exc:  # a phrase Lucene cannot parse
            raise StoreError(f"Cannot search for {list(phrases)!r}: {_one_line(exc)}.") from None
        return [
            TextHit(r["doc_id"], "deal" if r["is_deal"] else r["kind"], r["occurred_at"], r["text"], r["score"])
            for r in rows
        ]

    def identity_events(self, person_ids: Iterable[str] = (), event_ids: Iterable[int] = ()) -> list[IdentityEvent]:
        rows = self._union(q.IDENTITY_EVENTS, person_ids=person_ids, event_ids=[int(i) for i in event_ids])
        events = {e.id: e for e in map(_identity_event, rows)}
        return [events[i] for i in sorted(events)]  # ids grow with time: oldest first

    def review_items(self, status: ReviewStatus | None = ReviewStatus.OPEN, limit: int = 100) -> list[ReviewItem]:
        limit = _NO_LIMIT if limit is None or limit < 0 else limit  # SQLite reads a negative LIMIT as none
        params = {"status": None if status is None else str(status), "limit": limit}
        return [_review_item(r) for r in self._db.run(q.REVIEW_ITEMS, params)]

    def counts(self) -> dict[str, int]:
        row = self._db.run(q.COUNTS, {})[0]
        return {key: int(row[key]) for key in COUNT_KEYS}


def _knows_arrays(row: dict[str, Any]) -> dict[str, Any]:
    """One row of ALL_KNOWS as arrays: its people (``a``, and their element ids), their edge counts (``size``) and
    the edges' columns (``b`` as element ids)."""
    import numpy as np
    import pyarrow as pa

    size = np.fromiter(map(len, row["b"]), np.int64, len(row["b"]))
    return {"a": pa.array(row["a"], pa.string()), "a_element": pa.array(row["a_element"], pa.string()), "size": size,
            "b": pa.array(list(chain.from_iterable(row["b"])), pa.string()),
            **{c: _edge_column(row[c], size) for c in KNOWS_COLUMNS[2:]}}


def _edge_column(values: list[list[float]], sizes: np.ndarray) -> np.ndarray:
    """One KNOWS column of people with ``sizes`` edges (ALL_KNOWS) as floats; a person's empty list
    (all its values zero: not sent) as zeros."""
    import numpy as np

    sent = np.fromiter(map(len, values), np.int64, len(values)) == sizes
    if sent.all():
        return np.fromiter(chain.from_iterable(values), np.float64, int(sizes.sum()))
    out = np.zeros(int(sizes.sum()))
    mask = np.repeat(sent, sizes)
    out[mask] = np.fromiter(chain.from_iterable(values), np.float64, int(mask.sum()))
    return out


class _Generation:
    """A write transaction that gives ``$gen``, the generation it makes, to the statements that read it."""

    def __init__(self, tx: CypherTransaction, gen: int):
        self._tx, self._gen = tx, gen

    def run(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._tx.run(query, {**params, "gen": self._gen} if "$gen" in query else params)


def _add_interactions(writes: Sequence[InteractionWrite], tx: CypherTransaction) -> list[str]:
    """Lookup, creation and KNOWS deltas in one transaction: a re-ingest changes nothing."""
    existing: set[str] = set()
    for batch in _batches([w.interaction.id for w in writes]):
        existing.update(r["id"] for r in tx.run(q.EXISTING_INTERACTIONS, {"ids": batch}))
    new = [w for w in writes if w.interaction.id not in existing]
    for start in range(0, len(new), _INTERACTION_ROWS):
        chunk = [w.interaction for w in new[start : start + _INTERACTION_ROWS]]
        tx.run(q.CREATE_INTERACTIONS, _interaction_rows(chunk))
    for batch in _batches(sum_knows(k for w in new for k in w.knows)):
        tx.run(q.MERGE_KNOWS, _knows_rows(batch))
    return [w.interaction.id for w in new]


def _interaction_rows(interactions: Sequence[Interaction]) -> dict[str, Any]:
    """CREATE_INTERACTIONS' parameters: new interactions with their edges (the first (person, role) of
    each one's participants wins), naming people and topics by their positions in ``people`` and ``topics``."""
    people: dict[str, int] = {}
    topics: dict[str, int] = {}
    rows = []
    for i in interactions:
        participants: dict[tuple[str, str], dict[str, Any]] = {}
        for n, p in enumerate(i.participants):
            participants.setdefault((p.person_id, str(p.role)), {
                "person": people.setdefault(p.person_id, len(people)), "role": str(p.role), "status": str(p.status),
                "position": n, "address": p.address})
        rows.append({"props": _interaction_props(i), "participants": list(participants.values()),
                     "topics": [topics.setdefault(t, len(topics)) for t in _unique(i.topics)]})
    return {"rows": rows, "people": list(people), "topics": list(topics)}


def _knows_rows(edges: Sequence[Knows]) -> dict[str, Any]:
    """MERGE_KNOWS' parameters: the edges, naming their ends by their positions in ``people``."""
    people: dict[str, int] = {}
    rows = [{**_knows_row(k), "a": people.setdefault(k.a, len(people)), "b": people.setdefault(k.b, len(people))}
            for k in edges]
    return {"rows": rows, "people": list(people)}


def _interaction_props(i: Interaction) -> dict[str, Any]:
    props = {
        "id": i.id, "kind": str(i.kind), "occurred_at": i.occurred_at, "subject": i.subject, "body": i.body,
        "thread_id": i.thread_id, "parent_id": i.parent_id, "category": str(i.category),
        "duration_s": i.duration_s, **_prov(i.provenance), **_search_props(*i.document()),
    }
    # No nulls, and no empty text that is read back as "" anyway: an email without a body or a parent
    # stored one property less, and one entry less in the index on parent_id.
    return {k: v for k, v in props.items() if v is not None and (v != "" or k not in _EMPTY_READ_AS_BLANK)}


_EMPTY_READ_AS_BLANK = frozenset({"subject", "body", "thread_id", "parent_id"})  # store_rows.interaction: None -> ""


def _meta_rows(items: Mapping[str, str]) -> dict[str, list[dict[str, str]]]:
    return {"rows": [{"key": key, "value": value} for key, value in items.items()]}


