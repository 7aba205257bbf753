"""The store the settings choose. Apart from the interface (graph/store.py), so that the interface
and the stores that implement it do not import each other."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kith.graph.settings import Settings
    from kith.graph.store import Store
    from kith.graph.store_location import StoreLocation


def open_store(settings: Settings | StoreLocation) -> Store:
    """The store the settings choose: Neo4j when a URI is configured, otherwise the SQLite file."""
    where = settings.location
    if where.store_kind == "neo4j":
        from kith.graph.neo4j_store import Neo4jStore

        return Neo4jStore.connect(where.neo4j_uri, where.neo4j_user, where.neo4j_password, where.neo4j_database,
                                  retry_seconds=where.neo4j_retry_seconds)
    from kith.graph.sqlite_store import SQLiteStore

    return SQLiteStore.open(where.db)
