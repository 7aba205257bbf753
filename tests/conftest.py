"""Shared fixtures: store tests run on SQLite always and on Neo4j when KITH_NEO4J_URI answers.

The KITH_NEO4J_* variables are taken out of the environment here, so that only the tests that ask for
Neo4j (the ``store`` fixture's Neo4j half, ``neo4j_env()``) use it; everything else stays on SQLite.
"""

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


NEO4J = {name: os.environ.pop(name, "") for name in
         ("KITH_NEO4J_URI", "KITH_NEO4J_USER", "KITH_NEO4J_PASSWORD", "KITH_NEO4J_DATABASE")}


def neo4j_env() -> dict[str, str]:
    """The KITH_NEO4J_* settings of the test server (for a CLI or API process), or a clean skip."""
    if not NEO4J["KITH_NEO4J_URI"]:
        pytest.skip("KITH_NEO4J_URI is not set: the Neo4j half of this test is skipped (.ci/neo4j/neo4j.sh start)")
    return {name: value for name, value in NEO4J.items() if value}


NEO4J_WIPES = [0]  # how often the test database was emptied: a session-wide world built on it checks


def neo4j_store():
    """A store on the test server, emptied (its schema kept), or a clean skip where there is none."""
    env = neo4j_env()
    from graph.errors import StoreUnavailable
    from graph.neo4j_store import Neo4jStore

    try:
        store = Neo4jStore.connect(
            env["KITH_NEO4J_URI"],
            env.get("KITH_NEO4J_USER", "neo4j"),
            env.get("KITH_NEO4J_PASSWORD", ""),
            env.get("KITH_NEO4J_DATABASE", "neo4j"),
        )
    except StoreUnavailable as exc:
        if os.environ.get("CI"):
            raise  # CI starts a server: one that does not answer is a failure, not a skip
        pytest.skip(f"KITH_NEO4J_URI={env['KITH_NEO4J_URI']} does not answer: {exc}")
    store.wipe()
    NEO4J_WIPES[0] += 1
    return store


@pytest.fixture(params=["sqlite", "neo4j"])
def store(request, tmp_path):
    if request.param == "sqlite":
        from graph.sqlite_store import SQLiteStore

        s = SQLiteStore.open(tmp_path / "kith.db")
    else:
        s = neo4j_store()
    yield s
    s.close()
