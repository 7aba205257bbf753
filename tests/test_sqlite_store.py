"""What only the embedded store has: a file, its schema versions, and several processes sharing it."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from kith.graph import ids
from kith.graph.errors import SchemaTooNew, StoreError
from kith.graph.model import Person
from kith.graph.sqlite_schema import LATEST, MIGRATIONS
from kith.graph.sqlite_store import SQLiteStore


def test_a_new_file_uses_wal_and_the_latest_schema(tmp_path):
    store = SQLiteStore.open(tmp_path / "sub" / "kith.db")
    assert store.schema_version() == LATEST
    conn = sqlite3.connect(tmp_path / "sub" / "kith.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'documents_fts'").fetchone()[0] == 1


def test_reopening_keeps_data_and_migrates_nothing_twice(tmp_path):
    path = tmp_path / "kith.db"
    SQLiteStore.open(path).upsert_people([Person(ids.person_id("a@x.com"), "A", ["a@x.com"])])
    again = SQLiteStore.open(path)
    assert again.counts()["people"] == 1 and again.schema_version() == LATEST


def test_a_version_3_file_is_searched_by_stemmed_words_once_migrated(tmp_path):
    from kith.graph.model import Interaction, InteractionKind, InteractionWrite, Participant, Role

    path = tmp_path / "kith.db"
    store = SQLiteStore.open(path)
    store.upsert_people([Person("p_a", "A", ["a@x.com"])])
    store.add_interactions([InteractionWrite(Interaction("i_1", InteractionKind.EMAIL, 1, [Participant("p_a", Role.FROM)],
                                                         subject="Partnerships review"))])
    store.close()
    conn = sqlite3.connect(path)  # as version 3 indexed it: words as written
    conn.execute("UPDATE documents_fts SET tokens = 'partnerships review'")
    _back_to_version_4(conn)
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    assert [h.doc_id for h in SQLiteStore.open(path).search_text(['"partnership"'])] == ["i_1"]


def _back_to_version_5(conn: sqlite3.Connection) -> None:
    """Without version 6's topic counts."""
    conn.execute("DROP TABLE topic_counts")


def _back_to_version_4(conn: sqlite3.Connection) -> None:
    """Without version 5's change record of the network file."""
    _back_to_version_5(conn)
    conn.execute("DROP INDEX knows_gen")
    conn.execute("ALTER TABLE knows DROP COLUMN gen")
    conn.execute("ALTER TABLE people DROP COLUMN knows_gen")


def test_a_version_4_file_gets_the_change_record_and_its_network_file_refreshes(tmp_path):
    from kith.graph.edges import read_edges, refresh_edges
    from kith.graph.model import Knows

    path = tmp_path / "kith.db"
    store = SQLiteStore.open(path)
    store.upsert_people([Person(p, p) for p in ("p_a", "p_b", "p_c")])
    store.replace_knows([], [Knows("p_a", "p_b", 1, 5, emails_ab=2), Knows("p_b", "p_c", 2, 6, meetings=1)])
    store.close()
    conn = sqlite3.connect(path)
    _back_to_version_4(conn)
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    store = SQLiteStore.open(path)
    assert store.schema_version() == LATEST
    before, since = read_edges(store), store.generation()
    store.replace_knows(["p_c"], [Knows("p_a", "p_c", 3, 7, calls=1)])  # p_b-p_c goes, p_a-p_c comes
    fresh = refresh_edges(store, before, since)
    whole = read_edges(store)
    assert [(fresh.ids[x], fresh.ids[y]) for x, y in zip(fresh.a, fresh.b)] == [("p_a", "p_b"), ("p_a", "p_c")]
    for name in ("a", "b", "indptr", "nbr", "eid", "row"):
        assert np.array_equal(getattr(fresh, name), getattr(whole, name))


def test_a_version_1_file_keeps_its_topics_when_migrated(tmp_path):
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.executescript("""
        INSERT INTO interactions (id, kind, category) VALUES ('i1', 'email', 'personal'), ('i2', 'email', 'personal');
        INSERT INTO interaction_topics VALUES ('i1', 'gdpr transfers'), ('i1', 'export controls');
        PRAGMA user_version = 1;
    """)
    conn.close()
    store = SQLiteStore.open(path)
    got = store.get_interactions(["i1", "i2"])
    assert got["i1"].topics == ["export controls", "gdpr transfers"] and got["i2"].topics == []
    assert store.counts()["topics"] == 2 and store.schema_version() == LATEST


def _distinct_topics(path) -> int:
    """The count the long way: every interaction's topics read."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT count(DISTINCT t.value) FROM interactions i, json_each(i.topics) t").fetchone()[0]


def test_the_topic_count_follows_every_write_and_a_version_5_file_gets_it(tmp_path):
    from kith.graph.model import Interaction, InteractionKind, InteractionWrite, Participant, Role

    path = tmp_path / "kith.db"
    store = SQLiteStore.open(path)
    store.upsert_people([Person("p_a", "A", ["a@x.com"]), Person("p_b", "B", ["b@x.com"])])

    def mail(n: int, topics: list[str], to: str = "p_b") -> InteractionWrite:
        return InteractionWrite(Interaction(f"i_{n}", InteractionKind.EMAIL, n, [
            Participant("p_a", Role.FROM), Participant(to, Role.TO)], topics=topics))

    store.add_interactions([mail(1, ["gdpr", "tax", "tax"]), mail(2, ["tax"]), mail(3, []), mail(4, ["m&a"], to="p_a")])
    store.add_interactions([mail(2, ["tax"]), mail(5, ["m&a"])])  # i_2 again: a re-ingest changes nothing
    assert store.counts()["topics"] == _distinct_topics(path) == 3
    store.remove_interactions(["i_1", "i_5"])  # "gdpr" goes with its only interaction; "tax" and "m&a" stay
    assert store.counts()["topics"] == _distinct_topics(path) == 2
    store.erase_person("p_b")  # i_2 goes with the only person besides its sender, and "tax" with it
    assert store.counts()["topics"] == _distinct_topics(path) == 1
    store.add_interactions([mail(6, ["tax"], to="p_a")])
    assert store.counts()["topics"] == _distinct_topics(path) == 2
    store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:  # the same file as version 5 left it
        _back_to_version_5(conn)
        conn.execute("PRAGMA user_version = 5")
        conn.commit()
    assert SQLiteStore.open(path).counts()["topics"] == _distinct_topics(path) == 2


def test_a_file_from_a_newer_kith_is_refused_untouched(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE people(id TEXT)")
    conn.execute(f"PRAGMA user_version = {LATEST + 3}")
    conn.commit()
    conn.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(SchemaTooNew) as err:
        SQLiteStore.open(path)
    assert f"schema version {LATEST + 3}" in str(err.value) and f"schema version {LATEST}" in str(err.value)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "future.db-wal").exists()


def test_a_file_that_is_not_a_database_says_so(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not SQLite" * 100)
    with pytest.raises(StoreError, match="is not a Kith database"):
        SQLiteStore.open(path)


def test_an_unwritable_location_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="Choose a writable path"):
        SQLiteStore.open(blocker / "kith.db")


def test_readers_are_not_blocked_by_a_writer_in_another_process(tmp_path):
    """A CLI ingest holding the write lock must not stop the API from reading."""
    path = tmp_path / "kith.db"
    store = SQLiteStore.open(path)
    store.upsert_people([Person(ids.person_id("a@x.com"), "A", ["a@x.com"])])
    writer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sqlite3, sys, time
            conn = sqlite3.connect({str(path)!r}, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO people (id, name) VALUES ('p_writer', 'W')")
            print("locked", flush=True)
            sys.stdin.readline()
            conn.execute("COMMIT")
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "locked"
        reader = SQLiteStore.open(path)  # opening and reading while the lock is held
        assert reader.counts()["people"] == 1  # the uncommitted row is not visible
        writer.stdin.write("\n")
        writer.stdin.flush()
        assert writer.wait(timeout=30) == 0
        assert reader.counts()["people"] == 2
    finally:
        writer.kill()


def test_a_batch_commits_together_or_not_at_all(tmp_path):
    store = SQLiteStore.open(tmp_path / "kith.db")
    with pytest.raises(RuntimeError):
        with store.batch():
            store.upsert_people([Person(ids.person_id("a@x.com"), "A", ["a@x.com"])])
            store.set_meta({"checkpoint": "1"})
            raise RuntimeError("interrupted")
    assert store.counts()["people"] == 0 and store.get_meta("checkpoint") is None
    g = store.generation()
    with store.batch():
        store.upsert_people([Person(ids.person_id("a@x.com"), "A", ["a@x.com"])])
        store.set_meta({"checkpoint": "1"})
    assert store.counts()["people"] == 1 and store.get_meta("checkpoint") == "1"
    assert store.generation() == g + 1


def test_knows_rows_are_read_in_the_field_order_of_knows():
    import dataclasses

    from kith.graph.model import Knows
    from kith.graph.sqlite_store import _KNOWS_SELECT

    assert _KNOWS_SELECT.split(", ") == [f.name for f in dataclasses.fields(Knows)]


def test_the_network_read_takes_unknown_times_in_any_batch_and_matches_the_edges(tmp_path, monkeypatch):
    # The columnar read types a column by its first batch: edges without times first must not break it.
    from kith.graph import knows_arrow, sqlite_store
    from kith.graph.model import Knows
    from kith.graph.store import KNOWS_COLUMNS

    monkeypatch.setattr(sqlite_store, "_ARROW_READ_FROM", 0)  # the columnar read in its child process
    monkeypatch.setattr(knows_arrow, "_BATCH_ROWS", 1)
    store = SQLiteStore.open(tmp_path / "kith.db")
    people = [Person(f"p_{n}", f"P{n}", [f"p{n}@x.com"]) for n in range(5)]
    store.upsert_people(people)
    store.replace_knows([], [Knows("p_0", "p_1", None, None, emails_ab=2), Knows("p_0", "p_2", 5, 9, meetings=1),
                             Knows("p_1", "p_2", None, 7, email_weight=1.5), Knows("p_3", "p_4", 3, None, calls=4)])
    batches = list(store.iter_knows_columns())
    got = {c: [v for batch in batches for v in np.asarray(batch[c]).tolist()] for c in KNOWS_COLUMNS}
    want = {c: [float("nan") if v is None else v for v in values]
            for c, values in zip(KNOWS_COLUMNS, zip(*(dataclasses.astuple(k) for k in store.iter_knows())))}
    assert got["a"] == want["a"] and got["b"] == want["b"]
    for c in KNOWS_COLUMNS[2:]:
        np.testing.assert_array_equal(got[c], want[c])  # NaN where unknown, equal values elsewhere
    assert sum(not np.isnan(t) for t in got["first_at"]) == 2


def test_the_network_is_not_read_inside_an_open_write_batch(tmp_path):
    # The columnar read sees committed data only: inside a batch it would miss the batch's own writes.
    store = SQLiteStore.open(tmp_path / "kith.db")
    with store.batch():
        store.upsert_people([Person("p_0", "P", ["p@x.com"])])
        with pytest.raises(StoreError, match="after the batch"):
            list(store.iter_knows_columns())


def test_a_network_read_that_fails_says_which_store_and_why(tmp_path):
    from kith.graph.knows_arrow import read_knows

    broken = tmp_path / "kith.db"
    broken.write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError, match=f"Reading the network from {broken} failed: .*"):
        list(read_knows(broken))
