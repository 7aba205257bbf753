"""Every third-party calendar is ingested or rejected with a named reason; nothing crashes."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.calendar import CalendarIngest, iter_calendar_files
from tests.corpora import corpus

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("name", ["ical4j_samples", "icalendar_py_tests", "recurring_ical_events_tests", "icaljs_tests"])
def test_every_calendar_file_is_accounted_for(tmp_path, name):
    folder = corpus(name)
    store = SQLiteStore.open(tmp_path / "kith.db")
    ingest = CalendarIngest(store, Settings(db=tmp_path / "kith.db"), now=NOW)
    report = ingest.run([folder])
    files = list(iter_calendar_files([folder]))
    assert report.files == len(files) > 0
    silent = [f for f in files if not ingest.per_file[f]]
    assert silent == []  # every file ingested something, or was skipped or rejected with a reason
    assert all(e.reason and e.position and Path(e.file).exists() for e in report.errors)
    unreadable = report.skipped.get("unreadable", 0) + report.skipped.get("file without events", 0)
    assert report.records == report.ingested + report.duplicates + sum(report.skipped.values()) - unreadable
    assert report.ingested > 0
    store.close()


def test_ical4j_invalid_calendars_keep_their_good_events_and_name_the_bad(tmp_path):
    folder = corpus("ical4j_samples", "invalid")
    store = SQLiteStore.open(tmp_path / "kith.db")
    ingest = CalendarIngest(store, Settings(db=tmp_path / "kith.db"), now=NOW)
    report = ingest.run([folder])
    errors = {Path(e.file).name: e for e in report.errors}
    assert errors["0.ics"].position == "event 1" and "no DTSTART" in errors["0.ics"].reason
    assert "top-level VEVENT, not VCALENDAR" in errors["overlaps.ics"].reason
    # twinkle.ics's broken date is in a to-do, which Kith does not read: its events still count
    assert ingest.per_file[str(folder / "twinkle.ics")]["error"] == 0
    assert sum(ingest.per_file[str(folder / "twinkle.ics")].values()) == 7
    store.close()
