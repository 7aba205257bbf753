"""The store the settings choose. Apart from the interface (graph/store.py), so that the interface
and the stores that implement it do not import each other."""

from __future__ import annotations

from kith.graph.settings import Settings
from kith.graph.store import Store


def open_store(settings: Settings) -> Store:
    """The store the settings choose: Neo4j when a URI is configured, otherwise the SQLite file."""
    if settings.store_kind == "neo4j":
        from kith.graph.neo4j_store import Neo4jStore

        return Neo4jStore.connect(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password.get_secret_value(),
            settings.neo4j_database,
        )
    from kith.graph.sqlite_store import SQLiteStore

    return SQLiteStore.open(settings.db)
