"""Hostile bytes through every reader: parse, prepare and the whole calendar, vCard and deal ingests never
raise; every record read is ingested, a duplicate or reported. Bounded runs (a few seconds each)."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.calendar import ingest_calendar
from kith.ingest.contacts import ingest_contacts
from kith.ingest.deals import ingest_deals
from kith.ingest.email.parse import MessageError, parse_message
from kith.ingest.email.prepare import Mail, prepare
from kith.ingest.email.sources import RawMessage

BOUNDED = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)

MAIL = ("From: {a} <ana@firm.com>\r\nTo: {b}\r\nSubject: {c}\r\nDate: {d}\r\nMessage-ID: <{e}@firm.com>\r\n"
        "Content-Type: text/plain; charset=\"{f}\"\r\nContent-Transfer-Encoding: {g}\r\n\r\n{h}\r\n")
ICS = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:{a}\r\nDTSTART:{b}\r\nDTEND:{c}\r\nRRULE:{d}\r\n"
       "SUMMARY:{e}\r\nORGANIZER;CN={f}:mailto:ana@firm.com\r\nATTENDEE:{g}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n{h}")
VCF = ("BEGIN:VCARD\r\nVERSION:{a}\r\nFN:{b}\r\nN:{c}\r\nEMAIL;TYPE={d}:{e}\r\nORG:{f}\r\nTEL:{g}\r\n"
       "END:VCARD\r\n{h}")
CSV = "id,name,stage,amount,close_date,owner_email,company\r\n{a},{b},{c},{d},{e},{f},{g}\r\n{h}\r\n"

# a field: ordinary text, control characters (NUL included), charset-ish names, or long runs
FIELD = st.one_of(st.text(max_size=40), st.sampled_from(["utf-8\x00", "ut\x00f-8", "x-unknown", "base64",
                                                        "quoted-printable", "=?utf-8\x00?q?x?=", "FREQ=DAILY;COUNT=9999999",
                                                        "20240101T100000Z", "99999999T999999Z", "-1e309", "NaN", "\"",
                                                        "\r\n ", "\\", "mailto:", "a@b@c"]),
                  st.text(alphabet="\x00\r\n\t ;:,=\"'\\", max_size=20))


def filled(template: str):
    """The template with hostile fields, or the template's bytes cut and spliced with random bytes."""
    fields = st.fixed_dictionaries({k: FIELD for k in "abcdefgh"})
    as_text = fields.map(lambda f: template.format(**f).encode("utf-8", "surrogatepass"))
    spliced = st.tuples(as_text, st.binary(max_size=64), st.integers(0, 400)).map(
        lambda t: t[0][:t[2]] + t[1] + t[0][t[2]:])
    return st.one_of(as_text, spliced, st.binary(max_size=400))


@BOUNDED
@given(filled(MAIL))
def test_parse_and_prepare_never_raise(data):
    try:
        parse_message(RawMessage("f", "1", data))
    except MessageError:
        pass
    assert isinstance(prepare(data, "full"), Mail | str)
    result = prepare(data, "topics")
    assert not (isinstance(result, str) and result.startswith("unexpected")), result


@pytest.mark.parametrize("kind", ["calendar", "contacts", "deals"])
def test_whole_ingests_never_raise_and_account_for_every_record(kind):
    ingest, suffix, template = {"calendar": (ingest_calendar, ".ics", ICS), "contacts": (ingest_contacts, ".vcf", VCF),
                                "deals": (ingest_deals, ".csv", CSV)}[kind]
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore.open(Path(folder) / "kith.db")
        config = Settings(db=Path(folder) / "kith.db", internal_domains=["firm.com"])
        names = itertools.count()

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(filled(template))
        def one_file(data):
            path = Path(folder) / f"in{next(names)}{suffix}"
            path.write_bytes(data)
            report = ingest(store, config, [path])
            skipped = sum(n for reason, n in report.skipped.items()
                          if reason not in ("unreadable", "file without events"))  # whole files, not records
            assert report.files == 1
            assert report.ingested + report.duplicates + skipped == report.records, report.as_dict()

        one_file()
        store.close()
