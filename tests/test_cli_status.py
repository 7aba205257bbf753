"""`kith init` and `kith status` as a user runs them: arguments, output and exit status, a real file."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.cli import kith


def test_status_json_on_a_machine_that_has_never_seen_kith(tmp_path):
    db = tmp_path / "fresh" / "x.db"
    home = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    assert kith("--db", str(db), "init", env=home).returncode == 0
    result = kith("--db", str(db), "status", "--json", env=home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["store"] == "sqlite" and report["schema_version"] >= 1
    assert {k: report["counts"][k] for k in ("people", "organizations", "interactions", "deals", "knows")} == dict.fromkeys(
        ("people", "organizations", "interactions", "deals", "knows"), 0
    )


@pytest.mark.parametrize("command", [["status"], ["paths", "--to", "bo@client.com"], ["insights"], ["review"],
                                     ["note", "add", "met", "--by", "a@firm.com", "--about", "b@client.com"]])
def test_query_commands_on_a_missing_store_say_so_and_create_nothing(tmp_path, command):
    db = tmp_path / "missing" / "kith.db"
    result = kith("--db", str(db), *command)
    assert result.returncode == 1, result.stdout
    assert f"no store at {db}; run `kith init` or an ingest" in result.stderr.replace("\n", "")
    assert not (tmp_path / "missing").exists()


def test_a_relative_db_path_names_the_same_file_for_every_command(tmp_path):
    assert kith("--db", "rel.db", "init", cwd=tmp_path).returncode == 0
    result = kith("--db", "rel.db", "status", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["location"] == str(tmp_path / "rel.db")
    (tmp_path / "mail.eml").write_bytes(b"From: ana@firm.com\r\nTo: bo@client.com\r\nSubject: hi\r\n"
                                        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nhello\r\n")
    assert kith("--db", "rel.db", "ingest", "email", "mail.eml", cwd=tmp_path).returncode == 0
    again = kith("--db", "rel.db", "status", "--json", cwd=tmp_path)
    assert json.loads(again.stdout)["counts"]["interactions"] == 1
    demo = kith("--db", "demo.db", "demo", "--messages", "200", "--no-serve", "--json", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "demo.db").exists()


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
    result = kith("--db", str(tmp_path / "x.db"), "init", env={"KITH_PRIVACY": "everything"})
    assert result.returncode == 1
    assert "KITH_PRIVACY" in result.stderr and "metadata" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "x.db").exists()


def test_status_reads_only_where_the_store_is(tmp_path):
    """A fast command: a setting that status does not use is judged by the commands that use it."""
    db = tmp_path / "x.db"
    assert kith("--db", str(db), "init").returncode == 0
    result = kith("--db", str(db), "status", "--json", env={"KITH_PRIVACY": "everything"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["location"] == str(db)


def test_the_store_and_the_access_database_are_readable_by_their_owner_only(tmp_path):
    db = tmp_path / "kith.db"
    assert kith("--db", str(db), "init").returncode == 0
    assert kith("--db", str(db), "users", "add", "ana", "--role", "admin").returncode == 0
    assert kith("--db", str(db), "tokens", "create", "--user", "ana").returncode == 0
    files = [p for p in tmp_path.iterdir() if p.name.startswith("kith.")]
    assert {p.name for p in files} >= {"kith.db", "kith.access.db"}
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {p.name: "0o600" for p in files}


@pytest.mark.xdist_group("neo4j")  # the one test Neo4j
def test_status_of_a_neo4j_store_named_by_the_environment(tmp_path):
    from tests.neo4j_server import neo4j_env, neo4j_store

    env = neo4j_env()
    neo = neo4j_store()
    try:
        result = kith("status", "--json", env={**env, "KITH_CONFIG": str(tmp_path / "none.toml")})
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["store"] == "neo4j" and report["location"] == env["KITH_NEO4J_URI"]
        assert report["counts"] == neo.counts() and report["schema_version"] == neo.schema_version()
    finally:
        neo.close()
