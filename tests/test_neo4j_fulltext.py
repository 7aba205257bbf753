"""The full-text index on a real Neo4j: eventually consistent (a commit does not wait for Lucene), yet a
search reads every committed write, and a store whose index was made before (schema version 3) has it made
again when it is migrated (and loses the range index on occurred_at, which nothing read)."""

from __future__ import annotations

import pytest

from kith.graph import neo4j_store as module
from kith.graph.text import query_phrases
from tests.factories import email, person, write
from tests.neo4j_server import neo4j_store

pytestmark = pytest.mark.xdist_group("neo4j")  # it empties the one test Neo4j

ANA, BEN = person("ana@firm.com", "Ana Alves"), person("ben@acme.com", "Ben Baker")
# schema.cypher's statement before version 4: an index that each commit waits for
OLD_INDEX = ("CREATE FULLTEXT INDEX kith_documents IF NOT EXISTS FOR (n:Interaction|Deal) ON EACH [n.search_tokens] "
             "OPTIONS {indexConfig: {`fulltext.analyzer`: 'whitespace'}}")
OLD_RANGE_INDEX = "CREATE RANGE INDEX interaction_occurred_at IF NOT EXISTS FOR (n:Interaction) ON (n.occurred_at)"


def indexes(store) -> set[str]:
    return {row["name"] for row in store._db.run("SHOW INDEXES YIELD name RETURN name", {})}


def eventual(store) -> bool:
    [row] = store._db.run("SHOW FULLTEXT INDEXES YIELD name, options WHERE name = $name "
                          "RETURN options.indexConfig.`fulltext.eventually_consistent` AS eventual",
                          {"name": module.DOCUMENTS_INDEX})
    return row["eventual"]


def found(store, word: str) -> set[str]:
    return {hit.doc_id for hit in store.search_text(query_phrases(word), limit=10_000)}


def test_a_search_right_after_a_write_finds_it():
    store = neo4j_store()
    try:
        store.upsert_people([ANA, BEN])
        assert eventual(store)
        for n in range(5):  # each batch searched for at once, while Lucene may still be taking it in
            items = [email(f"m{n}.{k}", BEN, [ANA], subject=f"Tariff schedule {n} alpha{n}x{k}") for k in range(400)]
            write(store, *items)
            assert found(store, f"alpha{n}x399") == {items[-1].id}
            assert len(found(store, "tariff")) == 400 * (n + 1)
    finally:
        store.close()


def test_migrating_a_version_3_store_makes_its_index_eventually_consistent_and_keeps_its_documents():
    store = neo4j_store()
    try:
        store.upsert_people([ANA, BEN])
        old = email("m-old", BEN, [ANA], subject="Customs tariff memo")
        write(store, old)
        store._db.write(lambda tx: tx.run("DROP INDEX kith_documents", {}))
        store._db.write(lambda tx: tx.run(OLD_INDEX, {}))
        store._db.write(lambda tx: tx.run(OLD_RANGE_INDEX, {}))
        store.set_meta({module.SCHEMA_VERSION_KEY: "3"})
        store._db.run(module.q.AWAIT_INDEXES, {"seconds": 60})
        assert not eventual(store) and found(store, "customs") == {old.id}
        assert "interaction_occurred_at" in indexes(store)

        store.migrate()
        assert eventual(store) and store.schema_version() == module.SCHEMA_VERSION
        assert "interaction_occurred_at" not in indexes(store)  # no statement used it; every write paid for it
        assert found(store, "customs") == {old.id}  # the new index was filled from the graph
        new = email("m-new", ANA, [BEN], subject="Customs follow-up")
        write(store, new)
        assert found(store, "customs") == {old.id, new.id}
        store.migrate()  # a second time: nothing to drop
        assert eventual(store) and found(store, "customs") == {old.id, new.id}
    finally:
        store.close()
