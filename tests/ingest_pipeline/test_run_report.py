"""The run report and exit status of `kith ingest`, the same for every kind: a missing path is an error, a
rerun tells what it skipped before as skipped again, and a position reads the same way everywhere."""

from __future__ import annotations

import json
import re

import pytest

from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.calendar import ingest_calendar
from kith.ingest.contacts import ingest_contacts
from kith.ingest.deals import ingest_deals
from kith.ingest.email.pipeline import ingest_email
from tests.cli import kith

GOOD_MAIL = (b"From: ana@firm.com\r\nTo: bo@client.com\r\nSubject: terms\r\nMessage-ID: <1@firm.com>\r\n"
             b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nhello\r\n")
MBOX = b"From ana@firm.com Mon Jan  1 10:00:00 2024\n" + GOOD_MAIL.replace(b"\r\n", b"\n") + \
       b"\nFrom x Mon Jan  1 10:00:00 2024\nnot a header block at all\n"
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:ok@firm.com\r\nDTSTART:20240101T100000Z\r\n"
       b"ORGANIZER:mailto:ana@firm.com\r\nATTENDEE:mailto:bo@client.com\r\nEND:VEVENT\r\n"
       b"BEGIN:VEVENT\r\nUID:bad@firm.com\r\nDTSTART:not a date\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
VCF = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo\r\nEMAIL:bo@client.com\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n"
JSON = json.dumps([{"id": "1", "name": "Retainer"}, "not an object"]).encode()

KINDS = {"email": (ingest_email, "mail.mbox", MBOX), "calendar": (ingest_calendar, "cal.ics", ICS),
         "contacts": (ingest_contacts, "cards.vcf", VCF), "deals": (ingest_deals, "deals.json", JSON)}
POSITION = re.compile(r"^(file|(message|event|card|row|calendar) \d+( \(.+\))?)$")


@pytest.mark.parametrize("kind", KINDS)
def test_a_rerun_tells_what_it_skipped_as_skipped_again(tmp_path, kind):
    ingest, name, content = KINDS[kind]
    (tmp_path / name).write_bytes(content)
    store = SQLiteStore.open(tmp_path / "kith.db")
    settings = Settings(db=tmp_path / "kith.db", internal_domains=["firm.com"])
    first = ingest(store, settings, [tmp_path / name])
    assert first.ingested == 1 and first.error_count == 1 and first.records == 2
    assert POSITION.match(first.errors[0].position), first.errors[0].position
    again = ingest(store, settings, [tmp_path / name])
    assert (again.records, again.ingested, again.resumed, again.skipped) == (2, 0, 1, first.skipped)


@pytest.mark.parametrize("kind", KINDS)
def test_a_path_that_does_not_exist_is_an_error_before_anything_is_created(tmp_path, kind):
    db = tmp_path / "kith.db"
    result = kith("--db", str(db), "ingest", kind, str(tmp_path / "nope"))
    assert result.returncode == 1
    assert f"no such file or folder: {tmp_path / 'nope'}" in result.stderr and "Traceback" not in result.stderr
    assert not db.exists()

