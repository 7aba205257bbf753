"""`kith sync caldav` against a real Radicale on loopback, filled with events from the iCalendar corpora.

The yardstick is the .ics file ingest of the same events into another store."""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import icalendar
import pytest

from kith.graph.errors import KithError
from kith.graph.settings import Settings, SyncAccount
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.calendar import ingest_calendar
from kith.ingest.sync.calendars import sync_caldav
from kith.ingest.sync.state import sync_statuses
from tests.corpora import corpus
from tests.cli import kith
from tests.sync.servers import Radicale

PASSWORD = "cal-pass"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.fixture
def radicale(tmp_path):
    server = Radicale(tmp_path / "radicale")
    server.add_user("ana", PASSWORD)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def events() -> list[Path]:
    """Single-event calendars with an organizer and attendees, some recurring (CalConnect, RFC 5545 examples)."""
    folder = corpus("ical4j_samples", "valid")
    return sorted(p for p in folder.glob("*.ics")
                  if (text := p.read_text(errors="replace")).count("BEGIN:VEVENT") == 1 and "ATTENDEE" in text
                  and text.count("\nUID") == 1)


def calendar(server: Radicale, name: str = "work"):
    import caldav

    principal = caldav.DAVClient(url=server.url, username="ana", password=PASSWORD).principal()
    found = [c for c in principal.calendars() if c.get_display_name() == name]
    return found[0] if found else principal.make_calendar(name=name)


def fill(server: Radicale, paths: list[Path]) -> list[Path]:
    """PUT each file as one calendar object (one file per UID); the files the server took."""
    cal, taken, uids = calendar(server), [], set()
    for path in paths:
        try:
            uid = str(_event(path).get("UID", ""))
            if uid in uids:
                continue
            cal.save_event(path.read_text(encoding="utf-8", errors="replace"))
        except Exception:  # icalendar or Radicale refuse a few odd files; the yardstick leaves them out too
            continue
        uids.add(uid)
        taken.append(path)
    return taken


def _event(path: Path):
    return next(iter(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")))


def account(server: Radicale) -> SyncAccount:
    os.environ["KITH_TEST_CALDAV_PASSWORD"] = PASSWORD
    return SyncAccount(name="ana-cal", kind="caldav", url=server.url, user="ana",
                       password_env="KITH_TEST_CALDAV_PASSWORD")


def settings(tmp_path: Path, name: str = "kith.db") -> Settings:
    return Settings(db=tmp_path / name, privacy="topics")


def interactions(db: Path) -> dict[str, int | None]:
    with closing(sqlite3.connect(db)) as conn:
        return dict(conn.execute("SELECT id, occurred_at FROM interactions"))


def knows_pairs(db: Path) -> set[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return set(conn.execute("SELECT a, b FROM knows"))


def file_ingest(tmp_path: Path, paths: list[Path]) -> dict[str, int | None]:
    db = tmp_path / f"files-{'-'.join(p.stem for p in paths)[:100]}-{len(paths)}.db"
    with closing(SQLiteStore.open(db)) as store:
        ingest_calendar(store, settings(tmp_path, db.name), paths, now=NOW)
    return interactions(db)


def sync(tmp_path: Path, server: Radicale):
    with closing(SQLiteStore.open(tmp_path / "kith.db")) as store:
        return sync_caldav(store, settings(tmp_path), account(server), now=NOW)


def test_first_sync_equals_the_file_ingest_and_a_second_fetches_nothing(radicale, events, tmp_path):
    taken = fill(radicale, events)
    assert len(taken) >= 5
    expected = file_ingest(tmp_path, taken)
    report = sync(tmp_path, radicale)
    assert expected and interactions(tmp_path / "kith.db") == expected
    assert report.ingested == len(expected)
    again = sync(tmp_path, radicale)
    assert (again.records, again.ingested) == (0, 0)
    with closing(SQLiteStore.open(tmp_path / "kith.db")) as store:
        [status] = sync_statuses(store)
    assert status["account"] == "ana-cal" and status["ok"] and status["kind"] == "caldav"


def _edited(path: Path, **changes) -> str:
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    event = next(iter(cal.walk("VEVENT")))
    if "move" in changes:
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND") if "DTEND" in event else None
        del event["DTSTART"]
        event.add("DTSTART", start + changes["move"])
        if end is not None:
            del event["DTEND"]
            event.add("DTEND", end + changes["move"])
    if changes.get("cancel"):
        event["STATUS"] = "CANCELLED"
    event["SEQUENCE"] = int(event.get("SEQUENCE", 0)) + 1
    return cal.to_ical().decode()


def test_moved_cancelled_and_deleted_events_update_the_graph(radicale, events, tmp_path):
    taken = fill(radicale, events)
    single = [p for p in taken if len(file_ingest(tmp_path, [p])) == 1 and "RRULE" not in _event(p)]
    assert len(single) >= 3
    sync(tmp_path, radicale)
    before = interactions(tmp_path / "kith.db")
    moved, cancelled, deleted = single[:3]

    cal = calendar(radicale)
    cal.save_event(_edited(moved, move=timedelta(days=2)))
    cal.save_event(_edited(cancelled, cancel=True))
    cal.event_by_uid(str(_event(deleted)["UID"])).delete()
    report = sync(tmp_path, radicale)
    assert report.records == 2  # only the two changed objects were fetched again

    after = interactions(tmp_path / "kith.db")
    [moved_id] = file_ingest(tmp_path, [moved]).keys()
    assert after[moved_id] == before[moved_id] + 2 * 86400  # the meeting moved two days
    gone = set(file_ingest(tmp_path, [cancelled])) | set(file_ingest(tmp_path, [deleted]))
    assert gone and gone <= set(before) and not gone & set(after)  # cancelled and deleted meetings are gone
    assert set(after) == set(before) - gone
    # KNOWS is what the remaining meetings make: the same as ingesting only them from files.
    rest = [p for p in taken if p not in (cancelled, deleted)]
    db = tmp_path / "rest.db"
    with closing(SQLiteStore.open(db)) as store:
        ingest_calendar(store, settings(tmp_path, db.name), rest, now=NOW)
    assert knows_pairs(tmp_path / "kith.db") == knows_pairs(db)


def test_a_wrong_password_is_a_clear_error_and_a_failed_status(radicale, tmp_path):
    os.environ["KITH_TEST_CALDAV_WRONG"] = "not-it"
    wrong = account(radicale).model_copy(update={"password_env": "KITH_TEST_CALDAV_WRONG"})
    with closing(SQLiteStore.open(tmp_path / "kith.db")) as store:
        with pytest.raises(KithError, match="refused the login of ana.*KITH_TEST_CALDAV_WRONG"):
            sync_caldav(store, settings(tmp_path), wrong, now=NOW)
        [status] = sync_statuses(store)
        assert status["ok"] is False and "refused" in status["error"]


def test_the_cli_syncs_a_calendar_and_status_reports_it(radicale, events, tmp_path):
    taken = fill(radicale, events)
    db = str(tmp_path / "kith.db")
    env = {"CAL_PASSWORD": PASSWORD, "KITH_CONFIG": str(tmp_path / "none.toml")}
    result = kith("--db", db, "sync", "caldav", "--url", radicale.url, "--user", "ana", "--password-env",
                  "CAL_PASSWORD", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["events"] >= len(taken)
    [status] = json.loads(kith("--db", db, "status", "--json", env=env).stdout)["sync"]
    assert status["account"] == "ana@127.0.0.1" and status["kind"] == "caldav" and status["ok"]


def test_a_server_that_is_down_is_retried_then_reported_and_the_next_run_catches_up(radicale, events, tmp_path):
    taken = fill(radicale, events)
    radicale.stop()
    with closing(SQLiteStore.open(tmp_path / "kith.db")) as store:
        with pytest.raises(KithError, match="cannot be reached.*run the sync again"):
            sync_caldav(store, settings(tmp_path), account(radicale), now=NOW, retries=1, backoff_s=0.05)
        assert sync_statuses(store)[0]["ok"] is False
    radicale.start()
    sync(tmp_path, radicale)
    assert interactions(tmp_path / "kith.db") == file_ingest(tmp_path, taken)
