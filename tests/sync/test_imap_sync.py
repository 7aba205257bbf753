"""`kith sync imap` against a real Dovecot on loopback, filled by APPEND with the shared mail corpora.

The yardstick is the file ingest of the same messages into another store: a sync must put the same
interactions in the graph, once each, however it was interrupted."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from kith.graph.errors import KithError
from kith.graph.settings import Settings, SyncAccount
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.email.pipeline import ingest_email
from kith.ingest.report import RunReport
from kith.ingest.sync.imap import sync_imap
from kith.ingest.sync.state import sync_statuses
from tests.corpora import corpus
from tests.cli import kith
from tests.sync.servers import Dovecot

PASSWORD = "s3cret-pass"


@pytest.fixture
def dovecot():
    server = Dovecot()
    server.start()
    server.add_user("ana", PASSWORD)
    yield server
    server.close()


@pytest.fixture
def messages() -> list[Path]:
    """Real messages from two corpora (some without Message-ID, some badly formed)."""
    return sorted(corpus("cpython_email_testdata").glob("msg_*.txt")) + sorted(
        corpus("ruby_mail_fixtures", "plain_emails").glob("*"))


def fill(server: Dovecot, folder: str, paths: list[Path]) -> None:
    client = server.client("ana", PASSWORD)
    if not client.folder_exists(folder):
        client.create_folder(folder)
    for path in paths:
        client.append(folder, path.read_bytes())
    client.logout()


def account(server: Dovecot, **fields) -> SyncAccount:
    os.environ["KITH_TEST_IMAP_PASSWORD"] = PASSWORD
    values = {"name": "ana-mail", "kind": "imap", "host": "127.0.0.1", "port": server.port, "security": "none",
              "user": "ana", "password_env": "KITH_TEST_IMAP_PASSWORD", **fields}
    return SyncAccount(**values)


def settings(tmp_path: Path) -> Settings:
    return Settings(db=tmp_path / "kith.db", privacy="topics")


def file_ingest(tmp_path: Path, paths: list[Path]) -> tuple[set[str], RunReport]:
    """The interactions the file ingest makes of the same messages in a store of their own, and its report."""
    db = tmp_path / f"files-{len(paths)}.db"
    with closing(SQLiteStore.open(db)) as store:
        report = ingest_email(store, Settings(db=db, privacy="topics"), paths, workers=1)
        return interaction_ids(store), report


def file_ingest_ids(tmp_path: Path, paths: list[Path]) -> set[str]:
    return file_ingest(tmp_path, paths)[0]


def interaction_ids(store: SQLiteStore) -> set[str]:
    with closing(sqlite3.connect(store.path)) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM interactions")}


def open_store(tmp_path: Path):
    return closing(SQLiteStore.open(tmp_path / "kith.db"))


def test_first_sync_equals_the_file_ingest_and_a_second_fetches_nothing(dovecot, messages, tmp_path):
    inbox, sent = messages[:40], messages[40:]
    fill(dovecot, "INBOX", inbox)
    fill(dovecot, "Sent", sent)
    expected = file_ingest_ids(tmp_path, messages)
    with open_store(tmp_path) as store:
        report = sync_imap(store, settings(tmp_path), account(dovecot), workers=1)
        assert report.files == 2  # INBOX and the folder marked \Sent, found without being named
        assert report.records == len(messages)
        assert interaction_ids(store) == expected and report.ingested == len(expected)
        again = sync_imap(store, settings(tmp_path), account(dovecot), workers=1)
        assert (again.records, again.ingested) == (0, 0)
        [status] = sync_statuses(store)
        assert status["account"] == "ana-mail" and status["ok"] and status["fetched"] == 0


def test_an_incremental_sync_fetches_only_the_new_mail(dovecot, messages, tmp_path):
    fill(dovecot, "INBOX", messages[:30])
    with open_store(tmp_path) as store:
        sync_imap(store, settings(tmp_path), account(dovecot), workers=1)
        fill(dovecot, "INBOX", messages[30:])
        report = sync_imap(store, settings(tmp_path), account(dovecot), workers=1)
        assert report.records == len(messages) - 30
        assert interaction_ids(store) == file_ingest_ids(tmp_path, messages)


def test_a_changed_uidvalidity_rescans_the_folder_without_duplicates(dovecot, messages, tmp_path):
    fill(dovecot, "Archive", messages)
    mine = account(dovecot, folders=["Archive"])
    with open_store(tmp_path) as store:
        first = sync_imap(store, settings(tmp_path), mine, workers=1)
        before = interaction_ids(store)
        client = dovecot.client("ana", PASSWORD)  # the folder is recreated: new UIDVALIDITY, UIDs from 1
        client.delete_folder("Archive")
        client.logout()
        fill(dovecot, "Archive", messages)
        report = sync_imap(store, settings(tmp_path), mine, workers=1)
        assert report.records == len(messages)  # all read again ...
        assert report.ingested == 0 and report.duplicates == first.ingested + first.duplicates  # ... none added twice
        assert interaction_ids(store) == before


def test_mail_deleted_on_the_server_stays_and_the_next_sync_reads_only_new_mail(dovecot, messages, tmp_path):
    fill(dovecot, "INBOX", messages[:20])
    with open_store(tmp_path) as store:
        sync_imap(store, settings(tmp_path), account(dovecot), workers=1)
        before = interaction_ids(store)
        client = dovecot.client("ana", PASSWORD)
        client.select_folder("INBOX")
        client.delete_messages(client.search("ALL")[:5])
        client.expunge()
        client.logout()
        fill(dovecot, "INBOX", messages[-1:])
        report = sync_imap(store, settings(tmp_path), account(dovecot), workers=1)
        assert report.records == 1
        assert before < interaction_ids(store) == file_ingest_ids(tmp_path, messages[:20] + messages[-1:])


def test_a_server_stopped_mid_sync_is_waited_for_and_nothing_is_lost_or_doubled(dovecot, messages, tmp_path):
    fill(dovecot, "INBOX", messages)
    restarted = threading.Event()
    seen = 0

    def progress(_bytes: int) -> None:
        nonlocal seen
        seen += 1
        if seen == 12 and not restarted.is_set():  # the server goes down in the middle of the second batch
            dovecot.stop()
            threading.Timer(1.0, lambda: (dovecot.start(), restarted.set())).start()

    with open_store(tmp_path) as store:
        report = sync_imap(store, settings(tmp_path), account(dovecot), workers=1, fetch_batch=10, batch_size=5,
                           backoff_s=0.3, retries=6, on_progress=progress)
        assert restarted.is_set()
        expected, uninterrupted = file_ingest(tmp_path, messages)
        assert (report.records, report.ingested, report.duplicates) == (
            len(messages), uninterrupted.ingested, uninterrupted.duplicates)
        assert interaction_ids(store) == expected


def test_a_sync_that_gives_up_keeps_what_it_committed_and_the_next_run_resumes(dovecot, messages, tmp_path):
    fill(dovecot, "INBOX", messages)
    seen = 0

    def progress(_bytes: int) -> None:
        nonlocal seen
        seen += 1
        if seen == 23:
            dovecot.stop()

    with open_store(tmp_path) as store:
        with pytest.raises(KithError, match="run the sync again to resume"):
            sync_imap(store, settings(tmp_path), account(dovecot), workers=1, fetch_batch=10, batch_size=5,
                      backoff_s=0.05, retries=1, on_progress=progress)
        committed = interaction_ids(store)
        assert committed and sync_statuses(store)[0]["ok"] is False
        dovecot.start()
        report = sync_imap(store, settings(tmp_path), account(dovecot), workers=1)
        assert report.records < len(messages)  # only what the first run had not committed
        expected, uninterrupted = file_ingest(tmp_path, messages)
        assert len(committed) + report.ingested == uninterrupted.ingested  # nothing written twice
        assert interaction_ids(store) == expected
        assert sync_statuses(store)[0]["ok"] is True


def test_a_wrong_password_is_one_clear_error_and_a_failing_exit(dovecot, tmp_path):
    result = kith("--db", str(tmp_path / "kith.db"), "sync", "imap", "--host", "127.0.0.1", "--port",
                  str(dovecot.port), "--security", "none", "--user", "ana", "--password-env", "WRONG_PASSWORD",
                  env={"WRONG_PASSWORD": "not-it", "KITH_CONFIG": str(tmp_path / "none.toml")})
    assert result.returncode == 1
    assert "refused the login of ana" in result.stderr and "WRONG_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr


def config_file(tmp_path: Path, server: Dovecot, secret: str) -> Path:
    """A kith.toml with one IMAP account on the test server, its secret given by the ``secret`` line."""
    config = tmp_path / "kith.toml"
    config.write_text(f"""
[[accounts]]
name = "ana-mail"
kind = "imap"
host = "127.0.0.1"
port = {server.port}
security = "none"
user = "ana"
{secret}
""")
    return config


def test_the_cli_syncs_configured_accounts_and_status_reports_them(dovecot, messages, tmp_path):
    fill(dovecot, "INBOX", messages[:10])
    (tmp_path / "secret").write_text(PASSWORD + "\n")
    env = {"KITH_CONFIG": str(config_file(tmp_path, dovecot, f'password_file = "{tmp_path / "secret"}"'))}
    db = str(tmp_path / "kith.db")
    result = kith("--db", db, "sync", "--all", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ana-mail"]["messages"] == 10
    status = json.loads(kith("--db", db, "status", "--json", env=env).stdout)
    [account_status] = status["sync"]
    assert account_status["account"] == "ana-mail" and account_status["ok"] and account_status["fetched"] == 10


def test_watch_keeps_syncing_until_stopped(dovecot, messages, tmp_path):
    fill(dovecot, "INBOX", messages[:3])
    config = config_file(tmp_path, dovecot, 'password_env = "KITH_TEST_IMAP_PASSWORD"')
    db = tmp_path / "kith.db"
    env = {**os.environ, "KITH_CONFIG": str(config), "KITH_TEST_IMAP_PASSWORD": PASSWORD}
    # Ctrl-C as at a terminal: SIGINT restored to its default, which Python turns into KeyboardInterrupt. A test
    # run started in the background of a script (`pytest &`) ignores SIGINT, and its children inherited that:
    # the watcher never stopped and the wait below timed out, leaving it running.
    watcher = subprocess.Popen([sys.executable, "-m", "kith.api", "--db", str(db), "sync", "--all", "--watch", "0.5"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        def synced() -> set[str]:
            if not db.exists():
                return set()
            with closing(SQLiteStore.open(db)) as store:
                return interaction_ids(store)

        first, then = file_ingest_ids(tmp_path, messages[:3]), file_ingest_ids(tmp_path, messages[:3] + messages[-1:])
        deadline = time.monotonic() + 60
        while synced() != first:
            assert watcher.poll() is None and time.monotonic() < deadline, watcher.stderr.read()
            time.sleep(0.3)
        fill(dovecot, "INBOX", messages[-1:])  # arrives while it watches
        while synced() != then:
            assert watcher.poll() is None and time.monotonic() < deadline, watcher.stderr.read()
            time.sleep(0.3)
    finally:
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) == 130  # stopped by the user, not failed


@pytest.fixture
def dovecot_tls():
    server = Dovecot(tls=True)
    server.start()
    server.add_user("ana", PASSWORD)
    yield server
    server.close()


def test_tls_with_a_self_signed_certificate_needs_the_ca_file(dovecot_tls, messages, tmp_path):
    fill(dovecot_tls, "INBOX", messages[:5])
    tls = account(dovecot_tls, port=dovecot_tls.tls_port, security="tls")
    with open_store(tmp_path) as store:
        with pytest.raises(KithError, match="not trusted.*--ca-file"):
            sync_imap(store, settings(tmp_path), tls, workers=1)
        trusted = tls.model_copy(update={"ca_file": dovecot_tls.cert})
        assert sync_imap(store, settings(tmp_path), trusted, workers=1).records == 5
        starttls = trusted.model_copy(update={"port": dovecot_tls.port, "security": "starttls"})
        fill(dovecot_tls, "INBOX", messages[5:6])
        assert sync_imap(store, settings(tmp_path), starttls, workers=1).records == 1
