"""The test Neo4j server: the KITH_NEO4J_* variables, read once and taken out of the environment so
that only the tests that ask for Neo4j (the ``store`` fixture's Neo4j half, ``neo4j_env()``) use it and
everything else stays on SQLite. Import it as ``tests.neo4j_server`` (one module, one state)."""

from __future__ import annotations

import atexit
import os

import pytest

# Kept aside as KITH_TEST_NEO4J_*, which Kith never reads, so that pytest-xdist's workers (started after
# this module is imported) find the server too.
NEO4J = {name: os.environ.pop(name, "") or os.environ.get(name.replace("KITH_", "KITH_TEST_", 1), "") for name in
         ("KITH_NEO4J_URI", "KITH_NEO4J_USER", "KITH_NEO4J_PASSWORD", "KITH_NEO4J_DATABASE")}
os.environ.update({name.replace("KITH_", "KITH_TEST_", 1): value for name, value in NEO4J.items()})


def neo4j_env() -> dict[str, str]:
    """The KITH_NEO4J_* settings of the test server (for a CLI or API process), or a clean skip."""
    if not NEO4J["KITH_NEO4J_URI"]:
        pytest.skip("KITH_NEO4J_URI is not set: the Neo4j half of this test is skipped (.ci/neo4j/neo4j.sh start)")
    return {name: value for name, value in NEO4J.items() if value}


NEO4J_WIPES = [0]  # how often the test database was emptied: a session-wide world built on it checks
_CONNECTED = []  # this process's one connection to the test server, its schema applied once


class _Lent:
    """The process's connection, lent to one test's store: closing that store leaves it open for the next
    test (a connection costs a driver, a handshake and twenty schema statements)."""

    def __init__(self, executor):
        self._executor = executor

    def __getattr__(self, name):
        return getattr(self._executor, name)

    def close(self) -> None:
        pass


def neo4j_store():
    """A store on the test server, emptied (its schema kept), or a clean skip where there is none."""
    env = neo4j_env()
    from kith.graph.errors import StoreUnavailable
    from kith.graph.neo4j_store import Neo4jStore

    if not _CONNECTED:
        try:
            _CONNECTED.append(Neo4jStore.connect(
                env["KITH_NEO4J_URI"],
                env.get("KITH_NEO4J_USER", "neo4j"),
                env.get("KITH_NEO4J_PASSWORD", ""),
                env.get("KITH_NEO4J_DATABASE", "neo4j"),
            ))
        except StoreUnavailable as exc:
            if os.environ.get("CI"):
                raise  # CI starts a server: one that does not answer is a failure, not a skip
            pytest.skip(f"KITH_NEO4J_URI={env['KITH_NEO4J_URI']} does not answer: {exc}")
        atexit.register(_CONNECTED[0].close)
    connected = _CONNECTED[0]
    store = Neo4jStore(_Lent(connected._db), connected._where, connected._cache_key)
    store.wipe()
    NEO4J_WIPES[0] += 1
    return store
