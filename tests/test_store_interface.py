"""Both stores implement every method of the Store interface with its exact parameters."""

from __future__ import annotations

import inspect

import pytest

from kith.graph.neo4j_store import Neo4jStore
from kith.graph.sqlite_store import SQLiteStore
from kith.graph.store import Store

METHODS = sorted(n for n, v in vars(Store).items() if callable(v) and not n.startswith("_"))


@pytest.mark.parametrize("cls", [SQLiteStore, Neo4jStore])
@pytest.mark.parametrize("name", METHODS)
def test_store_implements_the_interface(cls, name):
    assert hasattr(cls, name), f"{cls.__name__} lacks {name}"
    expected = list(inspect.signature(getattr(Store, name)).parameters)
    assert list(inspect.signature(getattr(cls, name)).parameters) == expected
