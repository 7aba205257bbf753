"""`kith init` and `kith status` as a user runs them: a real process, a real file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys


def kith(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_status_json_on_a_machine_that_has_never_seen_kith(tmp_path):
    db = tmp_path / "fresh" / "x.db"
    result = kith("--db", str(db), "status", "--json", env={"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["store"] == "sqlite" and report["schema_version"] >= 1
    assert {k: report["counts"][k] for k in ("people", "organizations", "interactions", "deals", "knows")} == dict.fromkeys(
        ("people", "organizations", "interactions", "deals", "knows"), 0
    )
    assert db.exists()


def test_the_database_path_comes_from_kith_db_when_no_option_is_given(tmp_path):
    db = tmp_path / "env.db"
    result = kith("init", env={"KITH_DB": str(db)})
    assert result.returncode == 0, result.stderr
    assert str(db) in result.stdout.replace("\n", "") and db.exists()


def test_a_newer_database_is_one_clear_line_not_a_traceback(tmp_path):
    db = tmp_path / "future.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    result = kith("--db", str(db), "status")
    assert result.returncode == 1
    assert "schema version 99" in result.stderr and "Upgrade Kith" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_neo4j_is_one_clear_line(tmp_path):
    result = kith("--neo4j", "bolt://127.0.0.1:1", "status")
    assert result.returncode == 1
    assert "Cannot reach Neo4j at bolt://127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_says_which_variable_to_fix(tmp_path):
    result = kith("--db", str(tmp_path / "x.db"), "status", env={"KITH_PRIVACY": "everything"})
    assert result.returncode == 1
    assert "KITH_PRIVACY" in result.stderr and "metadata" in result.stderr
    assert "Traceback" not in result.stderr
