"""A file name that is not UTF-8 (any bytes are allowed on POSIX) is read like any other, in every ingest."""

from __future__ import annotations

import os

import pytest

from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.calendar import ingest_calendar
from kith.ingest.contacts import ingest_contacts
from kith.ingest.deals import ingest_deals
from kith.ingest.email.pipeline import ingest_email

MAIL = (b"From: Ana <ana@firm.com>\r\nTo: Bo <bo@client.com>\r\nSubject: terms\r\nMessage-ID: <1@firm.com>\r\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nsee attached\r\n")
ICS = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:u1@firm.com\r\nDTSTART:20240101T100000Z\r\n"
       b"DTEND:20240101T110000Z\r\nSUMMARY:Terms\r\nORGANIZER:mailto:ana@firm.com\r\nATTENDEE:mailto:bo@client.com\r\n"
       b"END:VEVENT\r\nEND:VCALENDAR\r\n")
CSV = b"id,name,stage,amount,owner_email,company\nD1,Deal A,open,100,ana@firm.com,Client Co\n"
VCF = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo B\r\nEMAIL:bo@client.com\r\nEND:VCARD\r\n"

KINDS = {"email": (ingest_email, ".eml", MAIL), "calendar": (ingest_calendar, ".ics", ICS),
         "deals": (ingest_deals, ".csv", CSV), "contacts": (ingest_contacts, ".vcf", VCF)}


@pytest.mark.skipif(os.name != "posix", reason="only POSIX file names may hold any bytes")
@pytest.mark.parametrize("kind", KINDS)
def test_a_file_name_that_is_not_utf8_is_ingested_and_resumed(tmp_path, kind):
    ingest, suffix, content = KINDS[kind]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / os.fsdecode(b"bad\xff" + suffix.encode())).write_bytes(content)
    store = SQLiteStore.open(tmp_path / "kith.db")
    settings = Settings(db=tmp_path / "kith.db", internal_domains=["firm.com"])
    report = ingest(store, settings, [folder])
    assert (report.records, report.ingested, report.error_count) == (1, 1, 0), report.as_dict()
    again = ingest(store, settings, [folder])
    assert (again.ingested, again.resumed) == (0, 1)
