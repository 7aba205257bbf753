"""The embedded store: one SQLite file in WAL mode, one writer and many readers across processes."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from json.encoder import encode_basestring
from operator import itemgetter
from pathlib import Path

from kith.graph import ids as kith_ids
from kith.graph import store_rows
from kith.graph.errors import KithError, NotFound, SchemaTooNew, StoreError
from kith.graph.knows_arrow import read_knows
from kith.graph.model import (
    KNOWS_COUNTERS,
    Deal,
    IdentityEvent,
    Interaction,
    InteractionWrite,
    Knows,
    Organization,
    Person,
    ReviewItem,
    ReviewStatus,
    Role,
    Sharing,
    TextHit,
    WorksAt,
)
from kith.graph.sqlite_schema import LATEST, MIGRATIONS
from kith.graph.store import COUNT_KEYS, KNOWS_COLUMNS, STORE_ID_KEY, Contact, PathFacts
from kith.graph.store_rows import knows_values, provenance_values, snapshot_json
from kith.graph.text import index_text

_CHUNK = 500  # ids per IN (...) list
_PARTICIPANT_KEY = itemgetter(0, 1, 2, 4)  # primary key, then position
SEARCH_WINDOW = 2000  # matches a full-text search reads at most, newest first
# SELECT lists of store_rows' columns
_PERSON = ", ".join(store_rows.PERSON)
_ORGANIZATION = ", ".join(store_rows.ORGANIZATION)
_WORKS_AT = ", ".join(store_rows.WORKS_AT)
_INTERACTION = ", ".join(store_rows.INTERACTION)
_PARTICIPANT = ", ".join(store_rows.PARTICIPANT)
_DEAL = ", ".join(store_rows.DEAL)
_DEAL_ROLE = ", ".join(store_rows.DEAL_ROLE)
_IDENTITY_EVENT = ", ".join((*store_rows.IDENTITY_EVENT, "emails"))
_REVIEW_ITEM = ", ".join(store_rows.REVIEW_ITEM)
_INTERACTION_SELECT = ("id, kind, occurred_at, subject, topics, body, thread_id, parent_id, category, duration_s, "
                       "src_kind, src, src_record, ingested_at")
_KNOWS_SELECT = ", ".join(KNOWS_COLUMNS)
_ARROW_READ_FROM = 100_000  # edges: a smaller network is read in process (the child costs ~0.4 s to start)
_KNOWS_UPSERT = (  # gen: the generation this write makes (_next_generation)
    f"INSERT INTO knows ({_KNOWS_SELECT}, gen) VALUES ({', '.join('?' * (5 + len(KNOWS_COUNTERS)))}) "
    "ON CONFLICT (a, b) DO UPDATE SET gen = excluded.gen, "
    "first_at = CASE WHEN first_at IS NULL OR excluded.first_at < first_at THEN excluded.first_at ELSE first_at END, "
    "last_at = CASE WHEN last_at IS NULL OR excluded.last_at > last_at THEN excluded.last_at ELSE last_at END, "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in KNOWS_COUNTERS)
)


# On a (person, org, title) that exists already: the period widens to cover both.
_WIDEN = (
    "since = CASE WHEN since IS NULL OR excluded.since < since THEN excluded.since ELSE since END, "
    "until = CASE WHEN until IS NULL OR excluded.until > until THEN excluded.until ELSE until END"
)


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for value in dict.fromkeys(values):
        batch.append(value)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _marks(values: Sequence) -> str:
    return ",".join("?" * len(values))


class SQLiteStore:
    kind = "sqlite"

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()

    # -- lifecycle -------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> SQLiteStore:
        """Open (creating and migrating if needed) the database at ``path``."""
        path = Path(path).expanduser()
        found = _existing_version(path)
        if found > LATEST:
            raise SchemaTooNew(str(path), found, LATEST)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"Cannot create the folder for the Kith database {path}: {exc.strerror}. "
                "Choose a writable path with --db or KITH_DB."
            ) from None
        store = cls(path)
        try:
            create_private(path)
            store._migrate()
        except sqlite3.OperationalError as exc:
            raise StoreError(
                f"Cannot write the Kith database {path}: {exc}. Choose a writable path with --db or KITH_DB."
            ) from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path} is not a Kith database ({exc}). Point --db or KITH_DB at another file."
            ) from None
        return store

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("PRAGMA cache_size = -65536")
            self._local.conn = conn
        return conn

    @contextmanager
    def batch(self) -> Iterator[None]:
        with self._write():
            self._local.batched = True
            try:
                yield
            finally:
                self._local.batched = False

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so concurrent
        writers queue (busy_timeout) instead of failing half-way. Inside ``batch`` it joins the
        batch's transaction."""
        conn = self._conn()
        if getattr(self._local, "batched", False):
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate(self) -> None:
        conn = self._conn()
        if conn.execute("PRAGMA user_version").fetchone()[0] == LATEST:
            return  # the usual case takes no write lock, so opening never waits for a writer
        conn.create_function("kith_index_text", 1, index_text, deterministic=True)
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > LATEST:
                raise SchemaTooNew(str(self.path), version, LATEST)
            for number in range(version, LATEST):
                for statement in _statements(MIGRATIONS[number]):
                    conn.execute(statement)
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, lower(hex(randomblob(16))))",
                         (STORE_ID_KEY,))
            conn.execute(f"PRAGMA user_version = {LATEST}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def schema_version(self) -> int:
        return self._conn().execute("PRAGMA user_version").fetchone()[0]

    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writes ----------------------------------------------------------------------------------
    def upsert_people(self, people: Sequence[Person]) -> None:
        with self._write() as conn:
            gen = _next_generation(conn)  # a new person's edges start here (none older are theirs)
            conn.executemany(
                "INSERT INTO people (id, name, given_name, family_name, is_internal, opted_out, blocked, "
                "sharing, src_kind, src, src_record, ingested_at, knows_gen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (id) DO UPDATE SET "
                "name = CASE WHEN name = '' THEN excluded.name ELSE name END, "
                "given_name = CASE WHEN given_name = '' THEN excluded.given_name ELSE given_name END, "
                "family_name = CASE WHEN family_name = '' THEN excluded.family_name ELSE family_name END, "
                "is_internal = max(is_internal, excluded.is_internal)",
                [
                    (p.id, p.name, p.given_name, p.family_name, int(p.is_internal), int(p.opted_out),
                     int(p.blocked), str(p.sharing), *provenance_values(p.provenance), gen)
                    for p in people
                ],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO person_emails (email, person_id, src_kind, src, src_record, ingested_at) "
                "VALUES (?,?,?,?,?,?)",
                [(e, p.id, *provenance_values(p.provenance)) for p in people for e in p.emails],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO person_phones (person_id, phone, src_kind, src, src_record, ingested_at) "
                "VALUES (?,?,?,?,?,?)",
                [(p.id, ph, *provenance_values(p.provenance)) for p in people for ph in p.phones],
            )

    def update_person(
        self,
        person_id: str,
        *,
        opted_out: bool | None = None,
        blocked: bool | None = None,
        sharing: Sharing | None = None,
        is_internal: bool | None = None,
    ) -> None:
        changes = {
            k: (str(v) if isinstance(v, Sharing) else int(v))
            for k, v in dict(opted_out=opted_out, blocked=blocked, sharing=sharing, is_internal=is_internal).items()
            if v is not None
        }
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM people WHERE id = ?", (person_id,)).fetchone():
                raise NotFound(f"No person with id {person_id}.")
            if changes:
                sets = ", ".join(f"{k} = ?" for k in changes)
                conn.execute(f"UPDATE people SET {sets} WHERE id = ?", (*changes.values(), person_id))

    def upsert_organizations(self, orgs: Sequence[Organization]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO organizations (id, name, normalized_name, name_guessed, src_kind, src, src_record, "
                "ingested_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                "name_guessed = 0 WHERE organizations.name_guessed AND NOT excluded.name_guessed",
                [(o.id, o.name, o.normalized_name, o.name_guessed, *provenance_values(o.provenance)) for o in orgs],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO org_domains (domain, org_id, src_kind, src, src_record, ingested_at) "
                "VALUES (?,?,?,?,?,?)",
                [(d, o.id, *provenance_values(o.provenance)) for o in orgs for d in o.domains],
            )

    def add_works_at(self, rows: Sequence[WorksAt]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO works_at (person_id, org_id, title, since, until, src_kind, src, src_record, "
                "ingested_at) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (person_id, org_id, title) DO UPDATE SET "
                + _WIDEN,
                [(w.person_id, w.org_id, w.title, w.since, w.until, *provenance_values(w.provenance)) for w in rows],
            )

    def add_interactions(self, writes: Sequence[InteractionWrite]) -> list[str]:
        unique: dict[str, InteractionWrite] = {}
        for w in writes:
            unique.setdefault(w.interaction.id, w)  # the first occurrence wins
        with self._write() as conn:
            existing: set[str] = set()
            for chunk in _chunks(unique):
                existing.update(
                    r[0] for r in conn.execute(f"SELECT id FROM interactions WHERE id IN ({_marks(chunk)})", chunk)
                )
            new = [w for i, w in unique.items() if i not in existing]
            items = [w.interaction for w in new]
            rows, participants, docs, topics = [], [], [], Counter()  # every table's rows in one pass
            for i in items:
                iid, kind, at = i.id, str(i.kind), i.occurred_at
                rows.append((iid, kind, at, i.subject, _topics_json(i.topics), i.body, i.thread_id, i.parent_id,
                             str(i.category), i.duration_s, *provenance_values(i.provenance)))
                if i.topics:
                    topics.update(set(i.topics))
                participants += [(iid, p.person_id, str(p.role), str(p.status), n, p.address)
                                 for n, p in enumerate(i.participants)]
                text, tokens = i.document()
                if text:
                    docs.append((iid, kind, at, text, tokens))
            conn.executemany(f"INSERT INTO interactions ({_INTERACTION_SELECT}) VALUES ({', '.join('?' * 14)})", rows)
            _count_topics(conn, topics)
            participants.sort(key=_PARTICIPANT_KEY)  # in key order, ~15 % faster (the first (person, role) still wins)
            conn.executemany("INSERT OR IGNORE INTO participants (interaction_id, person_id, role, status, position, "
                             "address) VALUES (?,?,?,?,?,?)", participants)
            _add_documents(conn, docs)
            gen = _next_generation(conn)  # one upsert per pair and batch
            conn.executemany(_KNOWS_UPSERT, [(*knows_values(k), gen)
                                             for k in store_rows.sum_knows(k for w in new for k in w.knows)])
        return [i.id for i in items]

    def _index(self, conn: sqlite3.Connection, docs: list[tuple[str, str, int | None, str]]) -> None:
        """(Re)index searchable documents; empty text removes a document."""
        self._unindex(conn, [d[0] for d in docs])
        _add_documents(conn, [(*d, index_text(d[3])) for d in docs if d[3]])

    def _unindex(self, conn: sqlite3.Connection, doc_ids: list[str]) -> None:
        for chunk in _chunks(doc_ids):
            rows = [r[0] for r in conn.execute(f"SELECT rowid FROM documents WHERE doc_id IN ({_marks(chunk)})", chunk)]
            if rows:
                conn.execute(f"DELETE FROM documents_fts WHERE rowid IN ({_marks(rows)})", rows)
                conn.execute(f"DELETE FROM documents WHERE rowid IN ({_marks(rows)})", rows)

    def _delete_interactions(self, conn: sqlite3.Connection, ids: list[str]) -> None:
        """Delete interactions with their search documents and their share of the topic counts."""
        self._unindex(conn, ids)
        gone: Counter[str] = Counter()
        for chunk in _chunks(ids):
            for (topics,) in conn.execute(f"SELECT topics FROM interactions WHERE id IN ({_marks(chunk)})", chunk):
                gone.update(set(json.loads(topics)))
            conn.execute(f"DELETE FROM interactions WHERE id IN ({_marks(chunk)})", chunk)
        _count_topics(conn, Counter({topic: -n for topic, n in gone.items()}))

    def remove_interactions(self, ids: Sequence[str]) -> list[str]:
        ids = list(dict.fromkeys(ids))
        people: set[str] = set()
        with self._write() as conn:
            for chunk in _chunks(ids):
                people.update(r[0] for r in conn.execute(
                    f"SELECT DISTINCT person_id FROM participants WHERE interaction_id IN ({_marks(chunk)})", chunk))
            self._delete_interactions(conn, ids)
        return sorted(people)

    def upsert_deals(self, deals: Sequence[Deal]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO deals (id, name, org_id, stage, status, amount, currency, opened_at, closed_at, "
                "src_kind, src, src_record, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, org_id = excluded.org_id, "
                "stage = excluded.stage, status = excluded.status, amount = excluded.amount, "
                "currency = excluded.currency, opened_at = excluded.opened_at, closed_at = excluded.closed_at",
                [
                    (d.id, d.name, d.org_id or None, d.stage, str(d.status), d.amount, d.currency, d.opened_at,
                     d.closed_at, *provenance_values(d.provenance))
                    for d in deals
                ],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO deal_roles (deal_id, person_id, role) VALUES (?,?,?)",
                [(d.id, r.person_id, str(r.role)) for d in deals for r in d.roles],
            )
            self._index(conn, [(d.id, "deal", d.opened_at, d.name) for d in deals])

    def erase_person(self, person_id: str) -> dict[str, int]:
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM people WHERE id = ?", (person_id,)).fetchone():
                raise NotFound(f"No person with id {person_id}.")
            emails = [r[0] for r in conn.execute("SELECT email FROM person_emails WHERE person_id = ?", (person_id,))]
            now = int(time.time())
            conn.executemany(
                "INSERT OR IGNORE INTO erased (email_hash, erased_at) VALUES (?, ?)",
                [(kith_ids.email_hash(e), now) for e in emails],
            )
            touched = [r[0] for r in conn.execute(
                "SELECT DISTINCT interaction_id FROM participants WHERE person_id = ?", (person_id,))]
            # Notes about them go entirely; so does anything left with fewer than two people.
            doomed = [r[0] for r in conn.execute(
                "SELECT DISTINCT interaction_id FROM participants WHERE person_id = ? AND role = ?",
                (person_id, str(Role.SUBJECT)))]
            knows = conn.execute("SELECT count(*) FROM knows WHERE a = ? OR b = ?", (person_id, person_id)).fetchone()[0]
            conn.execute("DELETE FROM people WHERE id = ?", (person_id,))  # cascades to facts and edges
            for chunk in _chunks(touched):
                doomed += [r[0] for r in conn.execute(
                    f"SELECT i.id FROM interactions i LEFT JOIN participants p ON p.interaction_id = i.id "
                    f"WHERE i.id IN ({_marks(chunk)}) GROUP BY i.id HAVING count(DISTINCT p.person_id) < 2",
                    chunk)]
            doomed = list(dict.fromkeys(doomed))
            self._delete_interactions(conn, doomed)
        return {"emails": len(emails), "interactions": len(doomed), "knows": knows}

    def set_meta(self, items: Mapping[str, str]) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(items.items()))

    # -- identity --------------------------------------------------------------------------------
    def reassign_person(self, from_id: str, to_id: str, emails: Sequence[str] | None = None) -> list[str]:
        if from_id == to_id:
            raise KithError("Cannot move a person's facts onto themselves.")
        with self._write() as conn:
            for pid in (from_id, to_id):
                if not conn.execute("SELECT 1 FROM people WHERE id = ?", (pid,)).fetchone():
                    raise NotFound(f"No person with id {pid}.")
            if emails is None:
                return _merge_rows(conn, from_id, to_id)
            touched: list[str] = []
            for chunk in _chunks(emails):
                args = (to_id, from_id, *chunk)
                conn.execute(
                    f"UPDATE person_emails SET person_id = ? WHERE person_id = ? AND email IN ({_marks(chunk)})", args)
                touched += [r[0] for r in conn.execute(
                    f"SELECT DISTINCT interaction_id FROM participants WHERE person_id = ? "
                    f"AND address IN ({_marks(chunk)})", args[1:])]
                conn.execute(
                    f"UPDATE OR IGNORE participants SET person_id = ? WHERE person_id = ? "
                    f"AND address IN ({_marks(chunk)})", args)
            return list(dict.fromkeys(touched))

    def replace_knows(self, person_ids: Sequence[str], edges: Sequence[Knows]) -> None:
        with self._write() as conn:
            gen = _next_generation(conn)
            for chunk in _chunks(person_ids):
                conn.execute(f"DELETE FROM knows WHERE a IN ({_marks(chunk)}) OR b IN ({_marks(chunk)})", chunk * 2)
                conn.execute(f"UPDATE people SET knows_gen = ? WHERE id IN ({_marks(chunk)})", (gen, *chunk))
            conn.executemany(_KNOWS_UPSERT, [(*knows_values(k), gen) for k in edges])

    def add_identity_event(self, event: IdentityEvent) -> int:
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO identity_events (kind, person_id, other_id, emails, snapshot, reason, actor, at) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (str(event.kind), event.person_id, event.other_id, json.dumps(event.emails),
                 snapshot_json(event), event.reason, event.actor, event.at),
            )
            return cur.lastrowid

    def mark_identity_event_undone(self, event_id: int, actor: str, at: int) -> None:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE identity_events SET undone_at = ?, undone_by = ? WHERE id = ? AND undone_at IS NULL",
                (at, actor, event_id))
            if cur.rowcount == 0:
                raise NotFound(f"No identity event {event_id} that is still in force.")

    def add_review_items(self, items: Sequence[ReviewItem]) -> int:
        rows = [(*sorted((i.person_id, i.other_id)), i.score, i.reason, i.created_at, str(i.status)) for i in items]
        with self._write() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO review_queue (person_id, other_id, score, reason, created_at, status) "
                "VALUES (?,?,?,?,?,?)", rows)
            return conn.total_changes - before

    def set_review_status(self, item_id: int, status: ReviewStatus, actor: str, at: int) -> None:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE review_queue SET status = ?, resolved_by = ?, resolved_at = ? WHERE id = ?",
                (str(status), actor, at, item_id))
            if cur.rowcount == 0:
                raise NotFound(f"No review item {item_id}.")

    # -- reads -----------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _rows(self, sql: str, values: Iterable[str], *extra: object) -> Iterator[sqlite3.Row]:
        """Run ``sql`` (with one ``{marks}`` placeholder list) over chunks of ``values``."""
        conn = self._conn()
        for chunk in _chunks(values):
            yield from conn.execute(sql.format(marks=_marks(chunk)), (*chunk, *extra)).fetchall()

    def get_people(self, ids: Iterable[str]) -> dict[str, Person]:
        people = {r[0]: store_rows.person(r, [], []) for r in self._tuples(
            f"SELECT {_PERSON} FROM people WHERE id IN ({{marks}})", ids)}
        cur = self._conn().cursor()
        cur.row_factory = None
        for chunk in _chunks(people):  # addresses (in store_rows.email_order) then phones (sorted): one statement
            marks = _marks(chunk)
            for pid, value, phone, _ in cur.execute(
                    f"SELECT person_id, email, 0, ingested_at FROM person_emails WHERE person_id IN ({marks}) UNION ALL "
                    f"SELECT person_id, phone, 1, NULL FROM person_phones WHERE person_id IN ({marks}) ORDER BY 3, 4, 2",
                    chunk * 2).fetchall():
                (people[pid].phones if phone else people[pid].emails).append(value)
        return people

    def people_at_domains(self, domains: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for domain in set(domains):
            like = domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            found.update(r[0] for r in self._conn().execute(
                "SELECT person_id FROM person_emails WHERE email LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\'",
                ("%@" + like, "%." + like)))
        return found

    def people_by_email(self, emails: Iterable[str]) -> dict[str, str]:
        return {r[0]: r[1] for r in self._rows("SELECT email, person_id FROM person_emails WHERE email IN ({marks})", emails)}

    def erased_hashes(self, hashes: Iterable[str]) -> set[str]:
        return {r[0] for r in self._rows("SELECT email_hash FROM erased WHERE email_hash IN ({marks})", hashes)}

    def get_organizations(self, ids: Iterable[str]) -> dict[str, Organization]:
        rows = {r[0]: r for r in self._tuples(f"SELECT {_ORGANIZATION} FROM organizations WHERE id IN ({{marks}})",
                                              ids)}
        domains: dict[str, list[str]] = {}
        for oid, domain in self._tuples("SELECT org_id, domain FROM org_domains WHERE org_id IN ({marks})", rows):
            domains.setdefault(oid, []).append(domain)
        return {oid: store_rows.organization(r, domains.get(oid, ())) for oid, r in rows.items()}

    def iter_organizations(self) -> Iterator[Organization]:
        cur = self._conn().execute("SELECT id FROM organizations ORDER BY id")
        while batch := cur.fetchmany(_CHUNK):
            found = self.get_organizations([r[0] for r in batch])
            yield from (found[r[0]] for r in batch)

    def orgs_by_domain(self, domains: Iterable[str]) -> dict[str, str]:
        return {r[0]: r[1] for r in self._rows("SELECT domain, org_id FROM org_domains WHERE domain IN ({marks})", domains)}

    def orgs_by_normalized_name(self, names: Iterable[str]) -> dict[str, str]:
        return {
            r[0]: r[1]
            for r in self._rows(
                "SELECT normalized_name, min(id) FROM organizations WHERE normalized_name IN ({marks}) "
                "GROUP BY normalized_name", names)
        }

    def works_at(self, person_ids: Iterable[str] = (), org_ids: Iterable[str] = ()) -> list[WorksAt]:
        return store_rows.jobs([
            *self._tuples(f"SELECT {_WORKS_AT} FROM works_at WHERE person_id IN ({{marks}})", person_ids),
            *self._tuples(f"SELECT {_WORKS_AT} FROM works_at WHERE org_id IN ({{marks}})", org_ids),
        ])

    def iter_people(self) -> Iterator[Person]:
        cur = self._conn().execute("SELECT id FROM people ORDER BY id")
        while batch := cur.fetchmany(_CHUNK):
            found = self.get_people([r[0] for r in batch])
            yield from (found[r[0]] for r in batch)

    def replies_to(self, parent_ids: Iterable[str]) -> list[Interaction]:
        # "parent_id != ''" lets SQLite use the partial index interactions_parent (else: a full scan)
        ids = [r[0] for r in self._rows(
            "SELECT id FROM interactions WHERE parent_id != '' AND parent_id IN ({marks}) ORDER BY id", parent_ids)]
        found = self.get_interactions(ids)
        return [found[i] for i in ids]

    def _tuples(self, sql: str, values: Iterable[str]) -> Iterator[tuple]:
        """``_rows`` as plain tuples, for the hot reads (no name look-ups per column)."""
        cur = self._conn().cursor()
        cur.row_factory = None
        for chunk in _chunks(values):
            yield from cur.execute(sql.format(marks=_marks(chunk)), chunk).fetchall()

    def get_interactions(self, ids: Iterable[str]) -> dict[str, Interaction]:
        # participants as one JSON array per interaction: a quarter faster than a second statement grouped here
        return {r[0]: store_rows.interaction(r, json.loads(r[-2]), json.loads(r[-1])) for r in self._tuples(
            f"SELECT {_INTERACTION}, topics, (SELECT json_group_array(json_array({_PARTICIPANT})) FROM participants p "
            "WHERE p.interaction_id = interactions.id) FROM interactions WHERE id IN ({marks})", ids)}

    def interactions_of(self, person_id: str, before: int | None = None, limit: int | None = None) -> list[Interaction]:
        return self._newest_first("FROM participants p JOIN interactions i ON i.id = p.interaction_id "
                                  "WHERE p.person_id = ?", [person_id], before, limit)

    def interactions_between(self, a: str, b: str, before: int | None = None,
                             limit: int | None = None) -> list[Interaction]:
        return self.interactions_between_pairs([(a, b)], before, limit)[0]

    def interactions_between_pairs(self, pairs: Sequence[tuple[str, str]], before: int | None = None,
                                   limit: int | None = None) -> list[list[Interaction]]:
        order: list[list[str]] = [[] for _ in pairs]
        for n, iid in self._shared_rows(pairs, before, limit, "i.id"):
            order[n].append(iid)
        found = self.get_interactions({i for ids in order for i in ids})
        return [[found[i] for i in ids] for ids in order]

    def _shared_rows(self, pairs: Sequence[tuple[str, str]], before: int | None, limit: int | None,
                     columns: str) -> Iterator[tuple]:
        """(pair's position, ``columns`` of interaction ``i``) of the interactions each pair shared, newest
        first (undated last), at most ``limit`` a pair."""
        # Each pair is read from whichever of the two took part in fewer interactions: the join reads all
        # of theirs (a path's first hop starts at a busy colleague; x10 demo firm: 400 -> 350 us an answer).
        counts = dict(self._tuples("SELECT person_id, count(*) FROM participants WHERE person_id IN ({marks}) "
                                   "GROUP BY person_id", {x for pair in pairs for x in pair}))
        pairs = [(a, b) if counts.get(a, 0) <= counts.get(b, 0) else (b, a) for a, b in pairs]
        for start in range(0, len(pairs), _CHUNK):
            chunk = pairs[start : start + _CHUNK]
            args: list[object] = [x for n, (a, b) in enumerate(chunk, start) for x in (n, a, b)]
            # CROSS JOIN fixes the order: an interaction row is read only once both are in it (the
            # planner read every interaction of a first: 6-10 ms for a warm-path answer's ~4 pairs, now 1.5 ms)
            sql = (f"WITH pairs(n, a, b) AS (VALUES {','.join(['(?, ?, ?)'] * len(chunk))}), "
                   "shared AS (SELECT DISTINCT pairs.n, i.id, i.occurred_at FROM pairs "
                   "CROSS JOIN participants pa ON pa.person_id = pairs.a "
                   "CROSS JOIN participants pb ON pb.interaction_id = pa.interaction_id AND pb.person_id = pairs.b "
                   "CROSS JOIN interactions i ON i.id = pa.interaction_id")
            if before is not None:
                sql += " WHERE i.occurred_at < ?"
                args.append(before)
            sql += ("), ranked AS (SELECT n, id, row_number() OVER (PARTITION BY n ORDER BY occurred_at IS NULL, "
                    f"occurred_at DESC, id) AS r FROM shared) SELECT n, {columns} FROM ranked "
                    "CROSS JOIN interactions i ON i.id = ranked.id")
            if limit is not None and limit >= 0:
                sql += " WHERE r <= ?"
                args.append(limit)
            sql += " ORDER BY n, r"
            yield from self._conn().execute(sql, args)

    def path_facts(self, person_ids: Iterable[str], pairs: Sequence[tuple[str, str]], before: int | None = None,
                   limit: int | None = None, titled: Iterable[str] = ()) -> PathFacts:
        generation = self.generation()
        people = self.get_people(person_ids)
        jobs = self.works_at(person_ids=people.keys() & set(titled))
        shared: list[list[Contact]] = [[] for _ in pairs]
        columns = ("i.id, i.kind, i.occurred_at, "
                   "(SELECT json_group_array(person_id) FROM participants p WHERE p.interaction_id = i.id)")
        for n, iid, kind, at, ids in self._shared_rows(pairs, before, limit, columns):
            shared[n].append(store_rows.contact(iid, kind, at, json.loads(ids)))
        return PathFacts(people, jobs, self.get_organizations({w.org_id for w in jobs}), shared, generation)

    def _newest_first(self, source: str, args: list[object], before: int | None, limit: int | None) -> list[Interaction]:
        """The interactions ``i`` of ``source`` (FROM ... WHERE ...), newest first, undated last."""
        sql = "SELECT DISTINCT i.id, i.occurred_at " + source
        if before is not None:
            sql += " AND i.occurred_at < ?"
            args = [*args, before]
        sql += " ORDER BY i.occurred_at IS NULL, i.occurred_at DESC, i.id"
        if limit is not None:
            sql += " LIMIT ?"
            args = [*args, limit]
        order = [r[0] for r in self._conn().execute(sql, args)]
        found = self.get_interactions(order)
        return [found[i] for i in order]

    def get_deals(self, ids: Iterable[str]) -> dict[str, Deal]:
        rows = {r[0]: r for r in self._tuples(f"SELECT {_DEAL} FROM deals WHERE id IN ({{marks}})", ids)}
        roles: dict[str, list[tuple]] = {}
        for deal_id, *role in self._tuples(
                f"SELECT deal_id, {_DEAL_ROLE} FROM deal_roles WHERE deal_id IN ({{marks}})", rows):
            roles.setdefault(deal_id, []).append(role)
        return {did: store_rows.deal(r, roles.get(did, ())) for did, r in rows.items()}

    def deals_of(self, person_ids: Iterable[str] = (), org_ids: Iterable[str] = ()) -> list[Deal]:
        ids = [
            *(r[0] for r in self._rows("SELECT deal_id FROM deal_roles WHERE person_id IN ({marks})", person_ids)),
            *(r[0] for r in self._rows("SELECT id FROM deals WHERE org_id IN ({marks})", org_ids)),
        ]
        return sorted(self.get_deals(ids).values(), key=store_rows.deal_order)

    def knows_of(self, person_ids: Iterable[str]) -> list[Knows]:
        person_ids = list(person_ids)
        rows = {
            (r["a"], r["b"]): r
            for sql in ("SELECT {cols} FROM knows WHERE a IN ({{marks}})", "SELECT {cols} FROM knows WHERE b IN ({{marks}})")
            for r in self._rows(sql.format(cols=_KNOWS_SELECT), person_ids)
        }
        return [store_rows.knows(r) for _, r in sorted(rows.items())]

    def iter_knows(self) -> Iterator[Knows]:
        cur = self._conn().cursor()
        cur.row_factory = None  # plain tuples: a whole network is millions of rows
        cur.execute(f"SELECT {_KNOWS_SELECT} FROM knows ORDER BY a, b")
        while batch := cur.fetchmany(10_000):
            yield from (Knows(*r) for r in batch)  # KNOWS_COLUMNS are in Knows' field order (tested)

    def iter_knows_columns(self, since: int | None = None) -> Iterator[dict[str, Sequence]]:
        import numpy as np

        if since is None and self._conn().in_transaction:  # a large one is read by a child: committed rows only
            raise StoreError("The network cannot be read inside an open write batch: read it after the batch.")
        if since is None and self._conn().execute("SELECT count(*) FROM knows").fetchone()[0] >= _ARROW_READ_FROM:
            yield from read_knows(self.path)  # Arrow columns from a child process (graph.knows_arrow)
            return
        where, args = ("ORDER BY a, b", ()) if since is None else ("WHERE gen > ?", (since,))  # by the index on gen
        row = np.dtype([("a", object), ("b", object), *((c, np.float64) for c in KNOWS_COLUMNS[2:])])
        cur = self._conn().cursor()
        cur.row_factory = None
        cur.execute(f"SELECT {_KNOWS_SELECT} FROM knows {where}", args)
        while batch := cur.fetchmany(100_000):
            rows = np.array(batch, dtype=row)  # in C, NULL -> NaN
            yield {c: rows[c] for c in KNOWS_COLUMNS}

    def iter_person_flags(self) -> Iterator[tuple[str, bool, bool]]:
        cur = self._conn().cursor()
        cur.row_factory = None
        cur.execute("SELECT id, is_internal != 0, NOT (opted_out OR blocked) FROM people ORDER BY id")
        while batch := cur.fetchmany(100_000):
            yield from batch

    def knows_replaced_since(self, since: int) -> list[str]:
        return [r[0] for r in self._conn().execute("SELECT id FROM people WHERE knows_gen > ?", (since,))]

    def network_dir(self) -> Path | None:
        return self.path.with_name(self.path.name + ".network")

    def search_text(self, phrases: Sequence[str], limit: int = 100, before: int | None = None) -> list[TextHit]:
        if not phrases:
            return []
        # FTS5 ranks every match before it can return the best few: a word in 100k documents costs
        # 100+ ms. Walking matches newest-indexed first stops after SEARCH_WINDOW of them, and the
        # best by BM25 among those are returned; rarer queries see every match.
        if before is None:
            sql = "SELECT rowid, -bm25(documents_fts) FROM documents_fts WHERE documents_fts MATCH ?"
        else:
            sql = ("SELECT documents_fts.rowid, -bm25(documents_fts) FROM documents_fts JOIN documents d "
                   "ON d.rowid = documents_fts.rowid WHERE documents_fts MATCH ? AND d.occurred_at < ?")
        sql += " ORDER BY documents_fts.rowid DESC LIMIT ?"
        args = [" OR ".join(phrases), *([] if before is None else [before]), max(SEARCH_WINDOW, limit)]
        conn = self._conn()
        try:
            scored = conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:  # a phrase FTS5 cannot parse
            raise StoreError(f"Cannot search for {phrases!r}: {exc}.") from None
        score = dict(scored)
        best = sorted(score, key=lambda rowid: (-score[rowid], -rowid))[:limit]  # ties: newest first
        found = {r[0]: r[1:] for r in self._tuples(
            "SELECT rowid, doc_id, kind, occurred_at, text FROM documents WHERE rowid IN ({marks})", best)}
        return [TextHit(*found[rowid], score[rowid]) for rowid in best]

    def identity_events(self, person_ids: Iterable[str] = (), event_ids: Iterable[int] = ()) -> list[IdentityEvent]:
        person_ids = list(person_ids)
        rows = {
            r[0]: r
            for r in [
                *self._rows(f"SELECT {_IDENTITY_EVENT} FROM identity_events WHERE person_id IN ({{marks}})", person_ids),
                *self._rows(f"SELECT {_IDENTITY_EVENT} FROM identity_events WHERE other_id IN ({{marks}})", person_ids),
                *self._rows(f"SELECT {_IDENTITY_EVENT} FROM identity_events WHERE id IN ({{marks}})",
                            [str(i) for i in event_ids]),
            ]
        }
        return [store_rows.identity_event(r, json.loads(r[-1])) for _, r in sorted(rows.items())]

    def review_items(self, status: ReviewStatus | None = ReviewStatus.OPEN, limit: int = 100) -> list[ReviewItem]:
        sql = f"SELECT {_REVIEW_ITEM} FROM review_queue"
        args: list[object] = []
        if status is not None:
            sql += " WHERE status = ?"
            args.append(str(status))
        sql += " ORDER BY score DESC, id LIMIT ?"
        args.append(limit)
        return [store_rows.review_item(r) for r in self._conn().execute(sql, args)]

    def counts(self) -> dict[str, int]:
        tables = ("people", "organizations", "interactions", "deals", "knows", "works_at", "topic_counts")
        row = self._conn().execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)).fetchone()
        return dict(zip(COUNT_KEYS, row, strict=True))


def _add_documents(conn: sqlite3.Connection, docs: list[tuple[str, str, int | None, str, str]]) -> None:
    """Index documents (doc_id, kind, occurred_at, text, index tokens) that are not indexed yet. Each row id
    is given, the ones SQLite would assign (max + 1 on, within the write transaction), so that the full-text
    row needs no look-up of its document's."""
    if not docs:
        return
    start = conn.execute("SELECT coalesce(max(rowid), 0) FROM documents").fetchone()[0] + 1
    conn.executemany("INSERT INTO documents (rowid, doc_id, kind, occurred_at, text) VALUES (?,?,?,?,?)",
                     [(n, *d[:4]) for n, d in enumerate(docs, start)])
    conn.executemany("INSERT INTO documents_fts (rowid, tokens) VALUES (?, ?)",
                     [(n, d[4]) for n, d in enumerate(docs, start)])


def _count_topics(conn: sqlite3.Connection, change: Counter[str]) -> None:
    """Add ``change`` (interactions per topic; negative when they go) to topic_counts."""
    conn.executemany("INSERT INTO topic_counts (topic, interactions) VALUES (?, ?) ON CONFLICT (topic) "
                     "DO UPDATE SET interactions = interactions + excluded.interactions", change.items())
    if any(n < 0 for n in change.values()):
        conn.execute("DELETE FROM topic_counts WHERE interactions <= 0")


def create_private(path: Path) -> None:
    """Create a database file readable and writable by its owner only (0600), if it is not there yet;
    SQLite gives its -wal and -shm files the same mode. An existing file keeps the mode it has."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError:  # there already, or not writable: opening it says so
        pass


def _existing_version(path: Path) -> int:
    """The schema version of an existing file, read without modifying it (0 if absent or empty)."""
    if not path.is_file() or path.stat().st_size == 0:
        return 0
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a Kith database ({exc}). Point --db or KITH_DB at another file.") from None


def _topics_json(topics: list[str]) -> str:
    """json.dumps(sorted(set(topics)), ensure_ascii=False), written directly: the encoder builds itself
    anew for every call, which cost more than the list."""
    return "[" + ", ".join(map(encode_basestring, sorted(set(topics)))) + "]" if topics else "[]"


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (sqlite3.complete_statement knows about strings and triggers)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


def _merge_rows(conn: sqlite3.Connection, from_id: str, to_id: str) -> list[str]:
    """Move every fact of ``from_id`` to ``to_id`` and delete ``from_id``; the kept person's
    non-empty names win and an opt-out or block on either side is kept."""
    touched = [r[0] for r in conn.execute(
        "SELECT DISTINCT interaction_id FROM participants WHERE person_id = ?", (from_id,))]
    merged = conn.execute("SELECT * FROM people WHERE id = ?", (from_id,)).fetchone()
    conn.execute(
        "UPDATE people SET name = CASE WHEN name = '' THEN ? ELSE name END, "
        "given_name = CASE WHEN given_name = '' THEN ? ELSE given_name END, "
        "family_name = CASE WHEN family_name = '' THEN ? ELSE family_name END, "
        "opted_out = max(opted_out, ?), blocked = max(blocked, ?), is_internal = max(is_internal, ?) WHERE id = ?",
        (merged["name"], merged["given_name"], merged["family_name"], merged["opted_out"], merged["blocked"],
         merged["is_internal"], to_id),
    )
    conn.execute("UPDATE person_emails SET person_id = ? WHERE person_id = ?", (to_id, from_id))
    conn.execute(
        "INSERT INTO works_at (person_id, org_id, title, since, until, src_kind, src, src_record, ingested_at) "
        "SELECT ?, org_id, title, since, until, src_kind, src, src_record, ingested_at FROM works_at "
        "WHERE person_id = ? ON CONFLICT (person_id, org_id, title) DO UPDATE SET " + _WIDEN,
        (to_id, from_id))
    for table, cols in (
        ("person_phones", "phone, src_kind, src, src_record, ingested_at"),
        ("deal_roles", "deal_id, role"),
        ("participants", "interaction_id, role, status, position, address"),
    ):
        conn.execute(
            f"INSERT OR IGNORE INTO {table} (person_id, {cols}) SELECT ?, {cols} FROM {table} WHERE person_id = ?",
            (to_id, from_id))
    conn.execute("DELETE FROM people WHERE id = ?", (from_id,))  # cascades what was copied
    return touched


def _next_generation(conn: sqlite3.Connection) -> int:
    """The generation the open write transaction makes (``_write`` moves it on when it commits)."""
    return int(conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]) + 1
