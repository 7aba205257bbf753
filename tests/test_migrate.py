"""`kith migrate --to bolt://…`: a SQLite store copied into Neo4j answers the same, a repeat changes
nothing, and an interrupted copy resumes."""

from __future__ import annotations

import json
import os
import time

import pytest

from kith.api.cli.demo import DemoSizes, build_demo
from kith.graph.migrate import counts, migrate
from kith.graph.model import IdentityEvent, IdentityEventKind, ReviewItem
from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from tests.cli import kith
from tests.neo4j_server import neo4j_env, neo4j_store
from tests.test_demo_parity import answers

SIZES = DemoSizes(colleagues=6, organizations=4, contacts_per_org=4, messages=400, meeting_series=3,
                  meeting_weeks=4, single_meetings=10, deals=10, notes=8)


@pytest.fixture(scope="module")
def laptop(tmp_path_factory):
    """A SQLite store as a user has it after a while: the demo firm, an erasure, an opt-out, an identity
    decision and the review queue."""
    db = tmp_path_factory.mktemp("laptop") / "kith.db"
    demo = build_demo(Settings(db=db), db, seed=3, sizes=SIZES)
    store = SQLiteStore.open(db)
    people = sorted(p.id for p in store.iter_people())
    store.update_person(people[1], opted_out=True)
    store.erase_person(people[2])
    store.add_identity_event(IdentityEvent(IdentityEventKind.ATTACH, people[3], people[3], ["x@acme.com"],
                                           "same name", "kith", 1_700_000_000))
    store.add_review_items([ReviewItem(people[4], people[5], 0.7, "similar names", 1_700_000_000)])
    store.close()
    return db, demo.firm


def test_kith_migrate_copies_everything_and_a_repeat_changes_nothing(laptop):
    db, firm = laptop
    neo = neo4j_store()
    env = neo4j_env()
    uri = env.pop("KITH_NEO4J_URI")
    try:
        first = kith("--db", str(db), "migrate", "--to", uri, "--json", env=env)
        assert first.returncode == 0, first.stderr
        report = json.loads(first.stdout)
        assert report["source"] == report["target"]
        assert report["source"]["identity_events"] == 1 and report["source"]["review_items"] == 1
        assert report["source"]["erased"] >= 1 and report["copied"]["interactions"] == report["source"]["interactions"]

        src = SQLiteStore.open(db)
        now = int(time.time())
        try:
            expected = answers(src, firm, now)
            people = {p.id: p for p in src.iter_people()}
            knows = sorted(src.iter_knows(), key=lambda k: (k.a, k.b))
        finally:
            src.close()
        assert answers(neo, firm, now) == expected
        assert {p.id: p for p in neo.iter_people()} == people  # flags, addresses, provenance
        assert sorted(neo.iter_knows(), key=lambda k: (k.a, k.b)) == knows

        again = kith("--db", str(db), "migrate", "--to", uri, "--json", env=env)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["target"] == report["target"]
        assert json.loads(again.stdout)["copied"]["interactions"] == 0  # every one was there already
        assert sorted(neo.iter_knows(), key=lambda k: (k.a, k.b)) == knows  # set, not added to
        assert answers(neo, firm, now) == expected
    finally:
        neo.close()


def test_an_interrupted_copy_resumes_at_the_step_it_was_in(laptop):
    db, _ = laptop
    neo = neo4j_store()
    src = SQLiteStore.open(db)
    try:
        def stop_after_deals(name: str, n: int) -> None:
            if name == "deals":
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            migrate(src, neo, on_step=stop_after_deals)
        assert neo.counts()["knows"] == 0  # KNOWS comes after deals
        report = migrate(src, neo)
        assert report.copied["people"] == report.copied["interactions"] == 0  # done before, not redone
        assert report.copied["knows"] == counts(src)["knows"] > 0
        assert report.target == counts(src)
    finally:
        src.close()
        neo.close()


def test_migrate_without_a_sqlite_store_says_what_to_do(tmp_path):
    result = kith("--db", str(tmp_path / "none.db"), "migrate", "--to", "bolt://127.0.0.1:1", env={})
    assert result.returncode == 1 and "There is no SQLite store at" in result.stderr and "--db" in result.stderr
