"""Shared fixtures: the store contract runs on SQLite always and on Neo4j when NEO4J_URI answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


def corpus(*parts: str) -> Path:
    """A folder of ../shared/corpora, or a clean skip where a checkout has none."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpora sit beside the repo only on project machines)")
    return path


def _neo4j_store():
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("NEO4J_URI is not set: the Neo4j run of the store contract is skipped")
    from graph.errors import StoreUnavailable
    from graph.neo4j_store import Neo4jStore

    try:
        store = Neo4jStore.connect(
            uri,
            os.environ.get("NEO4J_USER", "neo4j"),
            os.environ.get("NEO4J_PASSWORD", ""),
            os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
    except StoreUnavailable as exc:
        pytest.skip(f"NEO4J_URI={uri} does not answer: {exc}")
    store.wipe()
    return store


@pytest.fixture(params=["sqlite", "neo4j"])
def store(request, tmp_path):
    if request.param == "sqlite":
        from graph.sqlite_store import SQLiteStore

        s = SQLiteStore.open(tmp_path / "kith.db")
    else:
        s = _neo4j_store()
    yield s
    s.close()
