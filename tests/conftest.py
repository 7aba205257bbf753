"""Shared fixtures: store tests run on SQLite always and on Neo4j when KITH_NEO4J_URI answers
(tests/neo4j_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.neo4j_server import neo4j_store

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


def corpus(*parts: str) -> Path:
    """A folder of ../shared/corpora, or a clean skip where a checkout has none."""
    path = CORPORA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpora sit beside the repo only on project machines)")
    return path


@pytest.fixture(params=["sqlite", "neo4j"])
def store(request, tmp_path):
    if request.param == "sqlite":
        from kith.graph.sqlite_store import SQLiteStore

        s = SQLiteStore.open(tmp_path / "kith.db")
    else:
        s = neo4j_store()
    yield s
    s.close()
