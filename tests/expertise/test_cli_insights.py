"""`kith experts`, `kith insights` and `kith evaluate` as a user runs them: a real process, a real file."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from kith.graph.model import DealStatus
from kith.graph.sqlite_store import SQLiteStore
from tests.cli import Run, kith as run_kith
from tests.factories import NOW, Graph, at, backtest_world


THEN = datetime.fromtimestamp(NOW, timezone.utc).isoformat()  # the fixture's "now", for answers that age


def kith(*args: str, env: dict[str, str] | None = None) -> Run:
    return run_kith(*args, env={"KITH_NEO4J_URI": "", **(env or {})})


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "kith.db"
    store = SQLiteStore.open(path)
    g = Graph(store)
    g.people("alice", "bob", internal=True)
    g.people("carol", "dave")
    g.org("acme")
    g.job("carol", "acme", "General Counsel", since=at(900), until=at(30))
    g.job("carol", "acme", "Chief Executive Officer", since=at(30))
    g.job("dave", "acme", since=at(900))
    g.exchange("ac", "alice", "carol", 400, 120, 30, subject="Export controls classification")
    g.exchange("bd", "bob", "dave", 300, 2, 12, subject="出口管制に関する相談")
    g.exchange("ab", "alice", "bob", 300, 2, 12, subject="Lunch")
    g.deal("d1", "Acme export licence", "acme", status=DealStatus.WON, amount=10_000, opened=at(200),
           closed=at(100), team=["alice"])
    store.close()
    return str(path)


def test_experts_json_lists_people_with_names_emails_and_evidence(db):
    result = kith("--db", db, "experts", "export controls", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["Alice"]
    assert rows[0]["emails"] == ["alice@firm.example"] and rows[0]["score"] == 1.0
    assert rows[0]["evidence"] and all({"id", "kind", "snippet"} <= set(e) for e in rows[0]["evidence"])

    cjk = json.loads(kith("--db", db, "experts", "出口管制", "--json", "--limit", "1").stdout)
    assert [r["name"] for r in cjk] == ["Bob"]
    everyone = json.loads(kith("--db", db, "experts", "export", "--json", "--everyone").stdout)
    assert {r["name"] for r in everyone} == {"Alice", "Carol"}
    past = json.loads(kith("--db", db, "experts", "export", "--json", "--as-of", "1990-01-01").stdout)
    assert past == []


def test_experts_as_a_table(db):
    result = kith("--db", db, "experts", "export")
    assert result.returncode == 0, result.stderr
    assert "Alice" in result.stdout and "alice@firm.example" in result.stdout


def test_user_errors_are_one_line(db):
    for args, message in ((["experts", "--", "!!"], "at least one word"),
                          (["experts", "export", "--as-of", "last tuesday"], "YYYY-MM-DD"),
                          (["experts", "export", "--to", "nobody@nowhere.example"], "No person has the address"),
                          (["insights", "--kind", "gossip"], "is not one of"),
                          (["evaluate", "--quantile", "2"], "between 0 and 1"),
                          (["evaluate"], "Too few pairs to evaluate: 3 pairs")):
        result = kith("--db", db, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr


def test_insights_json_is_one_tagged_list_of_people_with_names_and_emails(db):
    result = kith("--db", db, "insights", "--json", "--as-of", THEN)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    kinds = {r["kind"] for r in rows}
    assert {"going-cold", "job-change", "client-tier", "reconnect"} <= kinds
    for r in rows:
        for key in ("colleague", "contact", "holder", "person"):
            if key in r:
                assert r[key]["name"] and r[key]["emails"]
    cold = next(r for r in rows if r["kind"] == "going-cold")
    assert (cold["colleague"]["name"], cold["contact"]["name"]) == ("Alice", "Carol")
    only = json.loads(kith("--db", db, "insights", "--json", "--kind", "job-change", "--as-of", THEN).stdout)
    assert [(r["person"]["name"], r["to_title"]) for r in only] == [("Carol", "Chief Executive Officer")]
    table = kith("--db", db, "insights", "--as-of", THEN)
    assert table.returncode == 0 and "Going cold" in table.stdout


def test_evaluate_reports_the_model_beside_three_baselines_and_fit_writes_the_config(tmp_path):
    store = SQLiteStore.open(tmp_path / "kith.db")
    backtest_world(store, pairs=60)
    store.close()
    db, config = str(tmp_path / "kith.db"), tmp_path / "kith.toml"
    config.write_text('# mine\nprivacy = "metadata"\n', encoding="utf-8")
    result = kith("--db", db, "evaluate", "--json", "--k", "5")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"split_at", "pairs", "positives", "ignored_dates", "auc", "auc_ci", "precision_at_k", "k"} <= set(report)
    assert report["k"] == 5 and report["pairs"] == 60
    assert set(report["baselines"]) == {"recency", "frequency", "tenure"}
    table = kith("--db", db, "evaluate")
    assert table.returncode == 0 and "tenure only" in table.stdout and "95 % interval" in table.stdout

    def fit(weights: str) -> Run:
        return kith("--db", db, "evaluate", "--fit", env={"KITH_CONFIG": str(config), "KITH_STRENGTH_WEIGHTS": weights})

    # the shipped weights already rank this history perfectly: a fit that does no better writes nothing
    kept = fit("{}")
    assert kept.returncode == 0, kept.stderr
    assert "wrote nothing" in kept.stdout and "strength_weights" not in config.read_text(encoding="utf-8")
    # weights that rank nothing (every signal off): the fit, checked on the later window, replaces them
    fitted = fit('{"recency": 0, "person_recency": 0, "frequency": 0, "tenure": 0}')
    assert fitted.returncode == 0, fitted.stderr
    assert "AUC 0.500 with the weights in use" in fitted.stdout and "Wrote strength_weights" in fitted.stdout
    assert "KITH_STRENGTH_WEIGHTS is set" in fitted.stdout
    import tomllib

    written = tomllib.loads(config.read_text(encoding="utf-8"))
    assert written["privacy"] == "metadata" and "# mine" in config.read_text(encoding="utf-8")  # the rest kept
    assert set(written["strength_weights"]) == {"intercept", "recency", "person_recency", "frequency", "reciprocity",
                                                "responsiveness", "tenure"}
    assert written["strength_weights"]["recency"] > 0


def test_experts_with_a_path_to_someone(db):
    result = kith("--db", db, "experts", "export", "--to", "dave@client.example", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == ["Alice"]
    assert [p["name"] for p in rows[0]["path"]["people"]] == ["Alice", "Bob", "Dave"]
    assert all(p["emails"] for p in rows[0]["path"]["people"]) and rows[0]["path"]["hops"] == 2
    table = kith("--db", db, "experts", "export", "--to", "dave@client.example")
    assert table.returncode == 0 and "Alice → Bob → Dave" in table.stdout
