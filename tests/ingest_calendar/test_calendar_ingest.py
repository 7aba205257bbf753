"""Calendars into a real SQLite file: recurrences, attendance, rooms, time zones, privacy, resume."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kith.graph import ids
from kith.graph.model import Attendance, InteractionKind, Role
from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.graph.text import query_phrases
from kith.ingest.calendar import CalendarIngest, ingest_calendar
from tests.cli import kith

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)

OUTLOOK = """BEGIN:VCALENDAR
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
VERSION:2.0
METHOD:PUBLISH
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly-review@firm.com
SUMMARY:Export controls weekly review
DESCRIPTION:Walk through the export controls classification backlog.
DTSTART;TZID=W. Europe Standard Time:20240506T100000
DTEND;TZID=W. Europe Standard Time:20240506T110000
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE;TZID=W. Europe Standard Time:20240520T100000
ORGANIZER;CN="Alves, Ana":mailto:ana@firm.com
ATTENDEE;CN=Ben Baker;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:Ben@Acme.com
ATTENDEE;CN=Carl Cruz;ROLE=OPT-PARTICIPANT;PARTSTAT=DECLINED:mailto:carl@acme.com
ATTENDEE;CUTYPE=ROOM;CN=Board room 4;PARTSTAT=ACCEPTED:mailto:room4@firm.com
END:VEVENT
BEGIN:VEVENT
UID:weekly-review@firm.com
RECURRENCE-ID;TZID=W. Europe Standard Time:20240527T100000
SUMMARY:Export controls weekly review (moved)
DTSTART;TZID=W. Europe Standard Time:20240528T150000
DTEND;TZID=W. Europe Standard Time:20240528T153000
ORGANIZER;CN="Alves, Ana":mailto:ana@firm.com
ATTENDEE;CN=Ben Baker;PARTSTAT=TENTATIVE:mailto:ben@acme.com
END:VEVENT
BEGIN:VEVENT
UID:weekly-review@firm.com
RECURRENCE-ID;TZID=W. Europe Standard Time:20240603T100000
STATUS:CANCELLED
DTSTART;TZID=W. Europe Standard Time:20240603T100000
ORGANIZER;CN="Alves, Ana":mailto:ana@firm.com
END:VEVENT
BEGIN:VEVENT
UID:kickoff@acme.com
SUMMARY:Kick-off
DTSTART:20240410T140000Z
DURATION:PT45M
ORGANIZER;CN=Ben Baker:mailto:ben@acme.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@firm.com
ATTENDEE;PARTSTAT=NEEDS-ACTION;CN=Dora Diaz:mailto:dora@acme.com
END:VEVENT
BEGIN:VEVENT
UID:cancelled@acme.com
STATUS:CANCELLED
SUMMARY:Cancelled lunch
DTSTART:20240411T120000Z
ORGANIZER:mailto:ben@acme.com
ATTENDEE:mailto:ana@firm.com
END:VEVENT
BEGIN:VEVENT
UID:offsite@firm.com
SUMMARY:Team offsite
DTSTART;VALUE=DATE:20240415
DTEND;VALUE=DATE:20240417
ORGANIZER:mailto:ana@firm.com
END:VEVENT
BEGIN:VEVENT
UID:broken@acme.com
SUMMARY:Broken start
DTSTART:2024-13-45
ORGANIZER:mailto:ben@acme.com
END:VEVENT
BEGIN:VEVENT
UID:holiday@example.com
SUMMARY:Bank holiday
DTSTART;VALUE=DATE:20240506
END:VEVENT
END:VCALENDAR
"""


def write(folder: Path, name: str = "outlook.ics", text: str = OUTLOOK) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.replace("\n", "\r\n"), encoding="utf-8", newline="")
    return path


@pytest.fixture
def settings(tmp_path):
    return Settings(db=tmp_path / "kith.db", internal_domains=["firm.com"], privacy="topics")


def pid(store, email):
    return store.people_by_email([email])[email]


def pair(store, x, y):
    a, b = pid(store, x), pid(store, y)
    return next((k for k in store.knows_of([a]) if {k.a, k.b} == {a, b}), None)


def test_a_recurring_series_becomes_one_interaction_per_occurrence(tmp_path, store, settings):
    path = write(tmp_path / "cal")
    report = ingest_calendar(store, settings, [path], now=NOW)
    # weekly x6 = 6 occurrences - 1 EXDATE - 1 cancelled override = 4; kick-off; offsite (alone)
    assert report.ingested == 6
    assert report.skipped["cancelled"] == 2  # the cancelled override and the cancelled lunch
    assert report.skipped["no participants"] == 1  # the bank holiday
    assert report.error_count == 1 and report.errors[0].position == "event 5 (UID broken@acme.com)"
    assert report.records == report.ingested + report.duplicates + sum(report.skipped.values())

    ana = pid(store, "ana@firm.com")
    meetings = [i for i in store.interactions_of(ana) if i.kind == InteractionKind.MEETING]
    weekly = sorted((i for i in meetings if i.subject.startswith("Export controls")), key=lambda i: i.occurred_at)
    assert len(weekly) == 4
    # 10:00 Berlin summer time is 08:00 UTC; the moved occurrence keeps its RECURRENCE-ID as its key
    assert datetime.fromtimestamp(weekly[0].occurred_at, timezone.utc) == datetime(2024, 5, 6, 8, tzinfo=timezone.utc)
    assert weekly[0].duration_s == 3600
    moved = weekly[2]  # 6, 13 May (20 May is an EXDATE), 27 May moved to the 28th, (3 June cancelled), 10 June
    assert moved.subject.endswith("(moved)") and moved.duration_s == 1800
    assert moved.id == ids.interaction_id("meeting", "weekly-review@firm.com|20240527T080000Z")
    assert moved.provenance.source_kind == "calendar" and moved.provenance.source == str(path)

    first = weekly[0]
    roles = {(store.get_people([p.person_id])[p.person_id].emails[0], p.role, p.status) for p in first.participants}
    assert ("ana@firm.com", Role.ORGANIZER, Attendance.ACCEPTED) in roles
    assert ("ben@acme.com", Role.ATTENDEE, Attendance.ACCEPTED) in roles
    assert ("carl@acme.com", Role.ATTENDEE, Attendance.DECLINED) in roles
    assert store.people_by_email(["room4@firm.com"]) == {}  # a room is not a person
    assert store.get_people([ana])[ana].name == "Ana Alves"

    # met: ana-ben in 4 weekly + kick-off; carl declined every time; dora needs-action still counts
    assert pair(store, "ana@firm.com", "ben@acme.com").meetings == 5
    assert pair(store, "ana@firm.com", "carl@acme.com") is None
    assert pair(store, "ben@acme.com", "dora@acme.com").meetings == 1
    offsite = next(i for i in meetings if i.subject == "Team offsite")
    assert offsite.duration_s == 2 * 86400 and len(offsite.participants) == 1
    # topics privacy: summary and key phrases kept, description not
    assert weekly[0].body == "" and "export controls" in " ".join(weekly[0].topics)
    assert any(h.doc_id == weekly[0].id for h in store.search_text(query_phrases("classification backlog")))


def test_reingesting_changes_nothing_and_a_changed_file_comes_back_as_duplicates(tmp_path, store, settings):
    path = write(tmp_path / "cal")
    first = ingest_calendar(store, settings, [path], now=NOW)
    counts, knows = store.counts(), sorted((k.a, k.b, k.meetings) for k in store.iter_knows())
    again = ingest_calendar(store, settings, [path], now=NOW)
    assert again.ingested == 0 and again.resumed == first.ingested  # what was skipped is told as skipped again
    assert again.skipped == first.skipped and again.records == first.records
    os.utime(path, ns=(1, 1))  # the export was rewritten: checkpoints no longer apply
    rewritten = ingest_calendar(store, settings, [path], now=NOW)
    assert rewritten.ingested == 0 and rewritten.duplicates == first.ingested
    assert store.counts() == counts
    assert sorted((k.a, k.b, k.meetings) for k in store.iter_knows()) == knows


def test_the_same_meeting_in_two_peoples_exports_is_one_interaction(tmp_path, store, settings):
    write(tmp_path / "a", "ana.ics")
    write(tmp_path / "b", "ben.ics")
    report = ingest_calendar(store, settings, [tmp_path / "a", tmp_path / "b"], now=NOW)
    assert report.ingested == 6 and report.duplicates == 6


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path, store, settings):
    path = write(tmp_path / "cal")

    class Interrupted(CalendarIngest):
        flushes = 0

        def _flush(self):
            if self._batch and self.flushes == 1:
                raise KeyboardInterrupt
            self.flushes += 1
            super()._flush()

    with pytest.raises(KeyboardInterrupt):
        Interrupted(store, settings, now=NOW, batch_size=1).run([path])
    done = store.counts()["interactions"]
    assert 0 < done < 6
    report = ingest_calendar(store, settings, [path], now=NOW)
    assert report.resumed > 0 and report.ingested == 6 - done
    assert store.counts()["interactions"] == 6


def test_the_recurrence_horizon_bounds_an_endless_series(tmp_path, store, settings):
    text = OUTLOOK.replace("RRULE:FREQ=WEEKLY;COUNT=6", "RRULE:FREQ=DAILY")
    path = write(tmp_path / "cal", text=text)
    short = settings.model_copy(update={"recurrence_horizon_days": 10, "recurrence_lookback_days": 30})
    report = ingest_calendar(store, short, [path], now=NOW)
    weekly = [i for i in store.interactions_of(pid(store, "ana@firm.com")) if i.subject.startswith("Export controls")]
    # daily from 6 May to 10 June (the window ends 11 June 00:00 UTC), less the EXDATE and the cancelled 3 June
    assert len(weekly) == 36 - 2
    assert max(i.occurred_at for i in weekly) < datetime(2024, 6, 11, tzinfo=timezone.utc).timestamp()
    assert report.error_count == 1


def test_privacy_modes_decide_what_text_is_kept(tmp_path):
    for mode, body in (("metadata", ""), ("full", "Walk through the export controls classification backlog.")):
        subject = "Export controls weekly review"  # a meeting's title is a header: kept in every mode
        store = SQLiteStore.open(tmp_path / f"{mode}.db")
        ingest_calendar(store, Settings(db=tmp_path / f"{mode}.db", privacy=mode), [write(tmp_path / mode)], now=NOW)
        item = store.get_interactions([ids.interaction_id("meeting", "weekly-review@firm.com|20240506T080000Z")])
        item = next(iter(item.values()))
        assert (item.subject, item.body) == (subject, body)
        assert (item.topics == []) == (mode == "metadata")
        store.close()


def test_google_x_wr_timezone_and_a_missing_uid(tmp_path, store, settings):
    text = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
X-WR-TIMEZONE:America/New_York
BEGIN:VEVENT
DTSTART:20240301T150000
DTEND:20240301T160000
SUMMARY:Coffee
ORGANIZER;CN=Ben Baker:mailto:ben@acme.com
ATTENDEE;CN=Ana Alves;PARTSTAT=ACCEPTED:mailto:ana@firm.com
ATTENDEE;CN=No Mail;PARTSTAT=ACCEPTED:invalid:nomail
END:VEVENT
END:VCALENDAR
"""
    path = write(tmp_path / "g", "google.ics", text)
    report = ingest_calendar(store, settings, [path], now=NOW)
    assert report.ingested == 1
    item = store.interactions_of(pid(store, "ana@firm.com"))[0]
    # 15:00 floating, read in the calendar's X-WR-TIMEZONE (EST, UTC-5) = 20:00 UTC
    assert item.occurred_at == int(datetime(2024, 3, 1, 20, tzinfo=timezone.utc).timestamp())
    assert len(item.participants) == 2
    assert ingest_calendar(store, settings, [path], now=NOW).ingested == 0


def test_a_zone_known_only_from_its_vtimezone_applies_to_every_series_and_a_later_one_to_later_events(
        tmp_path, store, settings):
    """The time zones are parsed once per calendar, not again for each series: every event still reads its
    own calendar's zone, one defined after some events applies to the events after it, and a zone broken
    in its definition costs the events that come after it, not the file."""
    def zone(tzid: str, offset: str) -> str:
        return (f"BEGIN:VTIMEZONE\nTZID:{tzid}\nBEGIN:STANDARD\nDTSTART:19700101T000000\n"
                f"TZOFFSETFROM:{offset}\nTZOFFSETTO:{offset}\nEND:STANDARD\nEND:VTIMEZONE\n")

    def event(n: int, tzid: str) -> str:
        return (f"BEGIN:VEVENT\nUID:zone-{n}@example.com\nSUMMARY:Review {n}\n"
                f"DTSTART;TZID={tzid}:2024030{n}T100000\nDTEND;TZID={tzid}:2024030{n}T110000\n"
                f"ORGANIZER:mailto:ana@firm.com\nATTENDEE;PARTSTAT=ACCEPTED:mailto:ben@acme.com\nEND:VEVENT\n")

    text = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Example//EN\n" + zone("Kith Zone Five", "+0530")
            + event(1, "Kith Zone Five") + event(2, "Kith Zone Five")
            + zone("Kith Zone Minus", "-0300") + event(3, "Kith Zone Minus") + event(4, "Kith Zone Five")
            + "END:VCALENDAR\n")
    report = ingest_calendar(store, settings, [write(tmp_path / "z", "zones.ics", text)], now=NOW)
    assert (report.ingested, report.errors) == (4, [])
    starts = sorted(i.occurred_at for i in store.interactions_of(pid(store, "ana@firm.com")))
    utc = [datetime(2024, 3, 1, 4, 30), datetime(2024, 3, 2, 4, 30), datetime(2024, 3, 3, 13), datetime(2024, 3, 4, 4, 30)]
    assert starts == [int(d.replace(tzinfo=timezone.utc).timestamp()) for d in utc]

    broken = text.replace("TZOFFSETTO:-0300", "TZOFFSETTO:not an offset")
    report = ingest_calendar(store, settings, [write(tmp_path / "b", "zones.ics", broken)], now=NOW)
    assert report.ingested == 0 and report.duplicates == 2 and len(report.errors) == 2
    assert [(Path(e.file).name, e.position) for e in report.errors] == [
        ("zones.ics", "event 3 (UID zone-3@example.com)"), ("zones.ics", "event 4 (UID zone-4@example.com)")]
    assert all(e.reason.startswith("unreadable event") for e in report.errors), report.errors


def test_files_that_are_not_calendars_are_reported_not_dropped(tmp_path, store, settings):
    folder = tmp_path / "mixed"
    write(folder, "notes.ics", "this is not a calendar\n")
    write(folder, "todo.ics", "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTODO\nUID:t1\nSUMMARY:x\nEND:VTODO\nEND:VCALENDAR\n")
    write(folder, "bad-line.ics", "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x\nDTSTART:2024-99\nX\nEND:VEVENT\nEND:VCALENDAR\n")
    report = ingest_calendar(store, settings, [folder], now=NOW)
    assert report.files == 3
    reasons = {Path(e.file).name: e.reason for e in report.errors}
    assert reasons["notes.ics"].startswith("invalid calendar")
    assert "bad-line.ics" in reasons
    assert report.skipped["file without events"] == 1


def test_a_broken_line_costs_its_event_not_the_file(tmp_path, store, settings):
    text = ("BEGIN:VCALENDAR\nVERSION:2.0\n"
            "BEGIN:VEVENT\nUID:good@firm.com\nDTSTART:20240301T100000Z\nSUMMARY:Kick-off\n"
            "ORGANIZER:mailto:ana@firm.com\nATTENDEE:mailto:ben@acme.com\nEND:VEVENT\n"
            "BEGIN:VEVENT\nUID:bad@firm.com\nDTSTART:2024-99\nX\nEND:VEVENT\n"
            "BEGIN:VTODO\nUID:t1\nDUE:-0011130T100000\nEND:VTODO\nEND:VCALENDAR\n")
    report = ingest_calendar(store, settings, [write(tmp_path / "cal", "mixed.ics", text)], now=NOW)
    assert report.ingested == 1 and pair(store, "ana@firm.com", "ben@acme.com") is not None
    assert [(e.position, e.reason.split(":")[0]) for e in report.errors] == [("event 2 (UID bad@firm.com)",
                                                                            "unreadable event")]


def test_kith_ingest_calendar_prints_a_json_report(tmp_path):
    path = write(tmp_path / "cal")
    done = kith("--db", tmp_path / "cli.db", "ingest", "calendar", path, "--json",
                env={"KITH_INTERNAL_DOMAINS": "firm.com", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["kind"] == "calendar" and report["events"] == report["ingested"] + sum(report["skipped"].values())
    assert report["errors"][0]["position"] == "event 5 (UID broken@acme.com)"


def test_a_file_whose_top_level_is_not_a_calendar_is_told_once(tmp_path, store, settings):
    path = tmp_path / "odd.ics"
    path.write_bytes(b"BEGIN:\nEND:")
    report = ingest_calendar(store, settings, [path], now=NOW)
    assert (report.records, dict(report.skipped)) == (0, {"unreadable": 1})
    assert "not VCALENDAR" in report.errors[0].reason
