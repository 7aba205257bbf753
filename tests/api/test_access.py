"""Tokens expire, carry a name, are listed and revoked one at a time; users are removed and change
role; the access database keeps working when it was made by an older Kith; the audit log read after a
flush holds every entry handed over."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from kith.api.access import AccessRole, AccessStore, AuthError, token_id
from kith.api.graphql.context import AuditWriter
from kith.graph.errors import NotFound
from tests.cli import kith as run_kith


def test_a_token_expires(tmp_path):
    access = AccessStore(tmp_path / "access.db")
    access.add_user("ana", AccessRole.MEMBER)
    short = access.create_token("ana", "a minute", expires_in_s=1)
    lasting = access.create_token("ana", "laptop")
    assert access.authenticate(short).name == "ana"
    time.sleep(1.1)
    with pytest.raises(AuthError, match="expired"):
        access.authenticate(short)
    assert access.authenticate(lasting).name == "ana"


def test_tokens_are_listed_and_revoked_one_at_a_time(tmp_path):
    access = AccessStore(tmp_path / "access.db")
    access.add_user("ana", AccessRole.MEMBER)
    laptop, phone = access.create_token("ana", "laptop"), access.create_token("ana", "phone", 86400)
    listed = {t.name: t for t in access.tokens("ana")}
    assert {n: t.id for n, t in listed.items()} == {"laptop": token_id(laptop), "phone": token_id(phone)}
    assert listed["laptop"].expires_at is None and listed["phone"].expires_at == listed["phone"].created_at + 86400
    assert all(laptop not in str(t) and phone not in str(t) for t in listed.values())
    access.revoke_token(token_id(laptop))
    with pytest.raises(AuthError):
        access.authenticate(laptop)
    assert access.authenticate(phone).name == "ana"
    with pytest.raises(NotFound, match="kith tokens list"):
        access.revoke_token("000000000000")


def test_a_change_made_elsewhere_counts_at_the_next_request(tmp_path):
    """The server keeps the users it found while the access database stands still: a role, a wall or a
    revocation made by another connection (the CLI) or by its own counts at the next request."""
    server = AccessStore(tmp_path / "access.db")
    server.add_user("ana", AccessRole.MEMBER)
    token, other = server.create_token("ana"), server.create_token("ana")
    assert server.authenticate(token).role == AccessRole.MEMBER
    cli = AccessStore(tmp_path / "access.db")
    cli.set_role("ana", AccessRole.VIEWER)
    assert server.authenticate(token).role == AccessRole.VIEWER
    cli.add_wall("conflict", users=["ana"], orgs=["o_1"])
    assert server.authenticate(token).walled_orgs == frozenset({"o_1"})
    cli.revoke_token(token_id(token))
    with pytest.raises(AuthError):
        server.authenticate(token)
    assert server.authenticate(other).name == "ana"
    server.revoke_tokens("ana")
    with pytest.raises(AuthError):
        server.authenticate(other)


def test_users_are_removed_and_change_role(tmp_path):
    access = AccessStore(tmp_path / "access.db")
    access.add_user("ana", AccessRole.ADMIN)
    access.add_user("bo", AccessRole.ADMIN)
    token = access.create_token("bo")
    access.add_wall("conflict", users=["bo"], orgs=["o_1"])
    access.set_role("bo", AccessRole.VIEWER)
    assert access.authenticate(token).role == AccessRole.VIEWER
    access.remove_user("bo")
    with pytest.raises(AuthError):
        access.authenticate(token)
    assert [u.name for u in access.users()] == ["ana"]
    with pytest.raises(NotFound):
        access.set_role("bo", AccessRole.MEMBER)


def test_an_older_access_database_gains_token_expiry(tmp_path):
    path = tmp_path / "access.db"
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE users(name TEXT PRIMARY KEY, role TEXT NOT NULL, person_id TEXT NOT NULL "
                       "DEFAULT '', created_at INTEGER NOT NULL); CREATE TABLE tokens(hash TEXT PRIMARY KEY, "
                       "user_name TEXT NOT NULL, label TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL, "
                       "revoked_at INTEGER); INSERT INTO users VALUES ('ana', 'member', '', 0);")
    conn.close()
    access = AccessStore(path)
    assert access.authenticate(access.create_token("ana", expires_in_s=60)).name == "ana"


def test_the_cli_names_expires_lists_and_revokes(tmp_path):
    def kith(*args):
        return run_kith("--db", tmp_path / "kith.db", *args)

    assert kith("users", "add", "ana", "--role", "admin").returncode == 0
    import json

    made = json.loads(kith("tokens", "create", "--user", "ana", "--name", "laptop", "--expires", "30", "--json").stdout)
    assert made["expires_at"] - time.time() == pytest.approx(30 * 86400, abs=60)
    default = json.loads(kith("tokens", "create", "--user", "ana", "--json").stdout)
    assert default["expires_at"] - time.time() == pytest.approx(90 * 86400, abs=60)  # the token_days default
    listed = json.loads(kith("tokens", "list", "--json").stdout)
    assert [(t["id"], t["name"]) for t in listed] == [(made["id"], "laptop"), (default["id"], "")]
    assert kith("tokens", "revoke", made["id"]).returncode == 0
    assert [t["revoked_at"] is not None for t in json.loads(kith("tokens", "list", "--json").stdout)] == [True, False]
    assert kith("users", "role", "ana", "viewer").returncode == 0
    assert json.loads(kith("users", "list", "--json").stdout)[0]["role"] == "viewer"
    assert kith("users", "remove", "ana").returncode == 0 and json.loads(kith("users", "list", "--json").stdout) == []


def test_walls_are_defined_listed_and_lifted_from_the_cli_and_audited(tmp_path):
    def kith(*args):
        return run_kith("--db", tmp_path / "kith.db", *args)

    access = AccessStore(tmp_path / "kith.access.db")
    access.add_user("bo", AccessRole.MEMBER)
    token = access.create_token("bo")
    assert kith("walls", "define", "conflict", "--user", "bo", "--org", "o_acme").returncode == 0
    assert access.authenticate(token).walled_orgs == frozenset({"o_acme"})
    typo = kith("walls", "define", "conflict", "--user", "b0", "--org", "o_other")
    assert typo.returncode == 1 and "No user named 'b0'" in typo.stderr
    import json

    assert json.loads(kith("walls", "list", "--json").stdout)[0] | {"created_at": 0} == {
        "name": "conflict", "created_at": 0, "users": ["bo"], "orgs": ["o_acme"], "deals": []}
    assert kith("walls", "lift", "conflict").returncode == 0
    assert access.authenticate(token).walled_orgs == frozenset() and access.walls() == []
    operations = [(op, subject) for _, user, op, subject in access.audit_log(limit=10) if user.startswith("cli")]
    assert operations == [("wall:lift:conflict", "o_acme"), ("wall:lift:conflict", "bo"),
                          ("wall:define:conflict", "o_acme"), ("wall:define:conflict", "bo")]


def test_a_flush_waits_for_the_write_the_background_thread_has_under_way(tmp_path):
    """The audit log read just after a lookup (auditLog flushes first) holds it, even when the writer's
    background thread had already taken the entry and was still writing it (seen as a flaky API test)."""
    access = AccessStore(tmp_path / "access.db")
    user = access.add_user("ana", AccessRole.VIEWER)
    writing, release = threading.Event(), threading.Event()
    write = access.audit

    def held_write(*args):  # the background thread's write, held until the flush below has begun
        writing.set()
        release.wait(10)
        write(*args)

    access.audit = held_write
    writer = AuditWriter(access, interval=0.01)
    try:
        writer.add(user, "query:person", ["p1"])
        assert writing.wait(10)  # taken by the background thread, not yet written
        threading.Timer(0.5, release.set).start()
        writer.flush()
        assert [row[1:] for row in access.audit_log("p1")] == [("ana", "query:person", "p1")]
    finally:
        release.set()
        writer.close()
