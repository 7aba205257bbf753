"""Parity: the demo firm ingested into SQLite and into Neo4j gives the same answers to the demo's
queries (warm paths, experts, account maps, insights), compared as data."""

from __future__ import annotations

import dataclasses
import time

import pytest

from kith.api.cli.demo import DemoSizes, build_demo
from tests.neo4j_server import neo4j_store
from kith.graph.accounts import account_map
from kith.graph.expertise import experts
from kith.graph.insights import insights
from kith.graph.paths import warm_paths
from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.identity.organizations import normalize_company
from kith.ingest.synthetic import TOPICS

SIZES = DemoSizes(colleagues=8, organizations=5, contacts_per_org=4, messages=600, meeting_series=4,
                  meeting_weeks=6, single_meetings=20, deals=20, notes=10)


def answers(store, firm, now: int) -> dict:
    """Every demo query, as plain data (dataclasses to dicts), with people and organisations by id."""
    out: dict = {"experts": {t: experts(store, t, now=now) for t in TOPICS}, "insights": insights(store, now=now)}
    for company, contacts in firm.clients.items():
        email = contacts[0].email.lower()
        person = store.people_by_email([email])[email]
        key = normalize_company(company)
        org = store.orgs_by_normalized_name([key])[key]
        out[company] = {"paths": warm_paths(store, person, now=now), "account": account_map(store, org, now=now)}
    return _data(out)


def _data(value):
    if dataclasses.is_dataclass(value):  # the fields its equality compares (a path's records are not its answer)
        return {f.name: _data(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare}
    if isinstance(value, dict):
        return {k: _data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_data(v) for v in value]
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-9, abs=1e-9)
    return value


def test_the_demo_firm_answers_the_same_on_both_stores(tmp_path):
    neo = neo4j_store()
    try:
        now = int(time.time())
        db = tmp_path / "kith.db"
        demo = build_demo(Settings(db=db), db, seed=11, sizes=SIZES)
        build_demo(Settings(db=tmp_path / "neo.db"), tmp_path / "neo.db", seed=11, sizes=SIZES, store=neo)
        sqlite = SQLiteStore.open(db)
        try:
            expected = answers(sqlite, demo.firm, now)
            assert neo.counts() == sqlite.counts()
        finally:
            sqlite.close()
        got = answers(neo, demo.firm, now)
        assert all(expected[company]["paths"] for company in demo.firm.clients)  # the queries find something
        assert any(expected["experts"].values()) and expected["insights"]["client_tiers"]
        for key in expected:
            assert got[key] == expected[key], key
    finally:
        neo.close()
