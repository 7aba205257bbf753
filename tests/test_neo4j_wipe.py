"""Neo4jStore.wipe, the test server's reset between tests: a graph of more than one delete batch is emptied
whole, and the store keeps its schema version and gets a new id."""

from __future__ import annotations

import pytest

from kith.graph import neo4j_store as module
from kith.graph.store import STORE_ID_KEY
from tests.factories import email, person, write
from tests.neo4j_server import neo4j_store

pytestmark = pytest.mark.xdist_group("neo4j")  # it empties the one test Neo4j


def test_a_wipe_empties_a_graph_of_several_batches(monkeypatch):
    store = neo4j_store()
    try:
        people = [person(f"p{n}@acme.com", f"Person {n}") for n in range(5)]
        store.upsert_people(people)
        write(store, *(email(f"m{n}", people[n], people[n + 1:]) for n in range(4)))
        assert all(store.counts()[key] > 3 for key in ("people", "interactions", "knows"))
        old_id = store.get_meta(STORE_ID_KEY)
        monkeypatch.setattr(module, "_WIPE_BATCH", 3)  # every delete stops at 3: several transactions
        store.wipe()
        assert set(store.counts().values()) == {0}
        assert store.get_meta(module.SCHEMA_VERSION_KEY) == str(module.SCHEMA_VERSION)
        assert store.get_meta(STORE_ID_KEY) not in (None, old_id)
    finally:
        store.close()
