"""Shared fixtures: store tests run on SQLite always and on Neo4j when KITH_NEO4J_URI answers
(tests/neo4j_server.py)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.neo4j_server import neo4j_store

# Property tests check behaviour, never speed: no per-example deadline (a loaded CI machine missed
# hypothesis's default 200 ms on a name parse that takes microseconds when idle).
settings.register_profile("kith", deadline=None)
settings.load_profile("kith")


@pytest.fixture(scope="session", autouse=True)
def _cache_folder_of_this_run(tmp_path_factory):
    """Network files of the test Neo4j (kept in the user's cache folder, one per server and database) go
    to this run's temporary folder, not into ~/.cache/kith of whoever runs the tests."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))


# Test modules that empty and fill the one test Neo4j from their own bodies (not through a fixture).
NEO4J_MODULES = {"test_demo_parity", "test_migrate"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist's --dist loadgroup (pyproject's addopts): the tests that use the test Neo4j run on
    one worker, one after another, since each empties it; the tests on the session-wide SQLite API world run
    on one worker, which builds it once. A module's own xdist_group marker wins. The crash test (its own
    Neo4j, started twice: the longest test) is collected first, so that it runs beside the rest, not after."""
    items.sort(key=lambda item: item.module.__name__.rpartition(".")[2] != "test_neo4j_crash")
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        params = item.callspec.params if hasattr(item, "callspec") else {}
        if "neo4j" in params.values() or item.module.__name__.rpartition(".")[2] in NEO4J_MODULES:
            item.add_marker(pytest.mark.xdist_group("neo4j"))
        elif params.get("world") == "sqlite":
            item.add_marker(pytest.mark.xdist_group("world-sqlite"))


@pytest.fixture(params=["sqlite", "neo4j"])
def store(request, tmp_path):
    if request.param == "sqlite":
        from kith.graph.sqlite_store import SQLiteStore

        s = SQLiteStore.open(tmp_path / "kith.db")
    else:
        s = neo4j_store()
    yield s
    s.close()
