"""Fixtures of the ranking tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def sqlite_store(tmp_path):
    from kith.graph.sqlite_store import SQLiteStore

    s = SQLiteStore.open(tmp_path / "kith.db")
    yield s
    s.close()
