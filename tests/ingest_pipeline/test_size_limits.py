"""Every reader is bounded by its size limit, not by its input: a record past a limit (a message, a CSV
row, a vCard, a file parsed whole) is skipped with a reason naming the file, the record and the setting,
the records around it go in, and reading it holds no more than the limit (measured with tracemalloc on
inputs many times the limit)."""

from __future__ import annotations

import tracemalloc
from collections import Counter
from datetime import datetime, timezone

from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.calendar import Window, ingest_calendar, read_calendar
from kith.ingest.contacts import ingest_contacts, read_cards
from kith.ingest.deals import ingest_deals, load_profile, read_rows
from kith.ingest.email.pipeline import ingest_email
from kith.ingest.email.sources import iter_messages
from kith.ingest.files import ReadLimits
from kith.ingest.synthetic import make_firm, write_calendar

MB = 1 << 20


def peak_bytes(read) -> tuple[list, int]:
    """What ``read()`` yields, and the most memory Python held while it ran."""
    tracemalloc.start()
    try:
        items = [(type(i).__name__, getattr(i, "position", ""), getattr(i, "reason", "") or getattr(i, "over_limit", ""))
                 for i in read()]
        return items, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def mail(n: int, body: bytes = b"hello") -> bytes:
    return (f"From: ana@firm.com\nTo: bo{n}@client.com\nSubject: note {n}\nMessage-ID: <{n}@firm.com>\n"
            f"Date: Mon, 1 Jan 2024 10:00:00 +0000\n\n").encode() + body + b"\n"


def test_a_message_past_the_size_limit_is_skipped_unread_in_every_mail_store(tmp_path):
    big = b"QUJD" * (200_000 // 4)  # 200 kB of body, over a 100 kB limit
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "big.eml").write_bytes(mail(1, big))
    (tmp_path / "mail" / "small.eml").write_bytes(mail(2))
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "mail" / "box" / sub).mkdir(parents=True)
    (tmp_path / "mail" / "box" / "cur" / "1.host:2,S").write_bytes(mail(3, big))
    (tmp_path / "mail" / "all.mbox").write_bytes(b"".join(
        b"From ana@firm.com Mon Jan  1 10:00:00 2024\n" + mail(n, big if n == 5 else b"hi") + b"\n" for n in (4, 5, 6)))
    settings = Settings(db=tmp_path / "kith.db", max_message_bytes=100_000)
    store = SQLiteStore.open(settings.db)
    report = ingest_email(store, settings, [tmp_path / "mail"], workers=1)
    assert (report.ingested, report.skipped) == (3, {"over a limit": 3})
    where = sorted((e.file.rsplit("/", 1)[-1], e.position) for e in report.errors)
    assert where == [("1.host:2,S", "message 1"), ("all.mbox", "message 2 (byte 164)"), ("big.eml", "message 1")]
    assert all(e.reason.startswith("over a limit: a message of 2") and e.reason.endswith(
        "bytes, more than 100,000 (KITH_MAX_MESSAGE_BYTES)") for e in report.errors)
    again = ingest_email(store, settings, [tmp_path / "mail"], workers=1)  # a rerun tells the skips again
    assert (again.ingested, again.skipped) == (0, {"over a limit": 3})
    roomier = Settings(db=tmp_path / "other.db", max_message_bytes=1 << 20)
    assert ingest_email(SQLiteStore.open(roomier.db), roomier, [tmp_path / "mail"], workers=1).ingested == 6


def test_a_huge_one_line_mbox_message_is_read_past_in_bounded_memory(tmp_path):
    path = tmp_path / "line.mbox"
    with path.open("wb") as f:
        f.write(b"From ana@firm.com Mon Jan  1 10:00:00 2024\n" + mail(1)[:-6] + b"x" * (24 * MB) + b"\n")
        f.write(b"From ana@firm.com Mon Jan  1 10:00:00 2024\n" + mail(2))
    items, peak = peak_bytes(lambda: iter_messages([path], max_bytes=2 * MB))
    assert [(kind, position) for kind, position, _ in items] == [
        ("RawMessage", "message 1 (byte 0)"), ("RawMessage", f"message 2 (byte {24 * MB + 161})")]
    assert items[0][2].startswith("over a limit") and not items[1][2]
    assert peak < 6 * MB  # a 24 MB line; the old reader held it whole (and then some)


def test_csv_rows_past_the_row_limit_are_skipped_and_the_file_goes_on(tmp_path):
    path = tmp_path / "deals.csv"
    with path.open("w") as f:
        f.write("id,name,account,stage,amount,notes\n")
        f.write("d1,First deal,Acme,open,100,short\n")
        f.write("d2,Wide deal,Acme,open,100," + "w" * (16 * MB) + "\n")  # one field, one line
        f.write('d3,Tall deal,Acme,open,100,"' + ("t" * 1000 + "\n") * 50 + '"\n')  # 50 kB over many lines
        f.write("d4,Last deal,Globex,won,250,short\n")
    items, peak = peak_bytes(lambda: read_rows(str(path), load_profile("generic"), limits=ReadLimits(row_bytes=20_000)))
    assert [(kind, position) for kind, position, _ in items] == [
        ("Row", ""), ("RowError", "row 2"), ("RowError", "row 3"), ("Row", "")]
    assert items[1][2] == "over a limit: a row of 16,777,244 characters, more than 20,000 (KITH_MAX_ROW_BYTES)"
    assert peak < 4 * MB  # a 16 MB row; the old reader held the file whole, decoded
    settings = Settings(db=tmp_path / "kith.db", max_row_bytes=20_000)
    report = ingest_deals(SQLiteStore.open(settings.db), settings, [path])
    assert (report.ingested, report.deals, report.skipped) == (2, 2, {"over a limit": 2})
    assert {e.position for e in report.errors} == {"row 2", "row 3"}


def test_vcards_past_the_card_limit_are_skipped_and_the_file_goes_on(tmp_path):
    path = tmp_path / "contacts.vcf"
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\nEMAIL:{email}\r\n{extra}END:VCARD\r\n"
    with path.open("w") as f:
        f.write(card.format(name="Ana Lima", email="ana@acme.com", extra=""))
        f.write(card.format(name="Photo Man", email="photo@acme.com", extra="PHOTO;ENCODING=b:" + "A" * (12 * MB) + "\r\n"))
        f.write(card.format(name="Bo Chen", email="bo@acme.com", extra=""))
    items, peak = peak_bytes(lambda: read_cards(str(path), ReadLimits(card_bytes=MB)))
    assert [(kind, position) for kind, position, _ in items] == [
        ("Card", "card 1 (Ana Lima)"), ("CardError", "card 2"), ("Card", "card 3 (Bo Chen)")]
    assert items[1][2].startswith("over a limit: a card of 12,5") and items[1][2].endswith(
        "more than 1,048,576 (KITH_MAX_CARD_BYTES)")
    assert peak < 4 * MB
    settings = Settings(db=tmp_path / "kith.db", max_card_bytes=MB)
    report = ingest_contacts(SQLiteStore.open(settings.db), settings, [path])
    assert (report.ingested, report.skipped) == (2, {"over a limit": 1})


def test_a_calendar_too_large_to_parse_whole_is_read_event_by_event_with_the_same_meetings(tmp_path):
    firm = make_firm(seed=3, colleagues=12, organizations=6, contacts_per_org=3)
    path = tmp_path / "cal.ics"
    write_calendar(path, firm, 20, 12, 60, seed=2)  # weekly series (some with an EXDATE) and single meetings
    text = path.read_text()
    first = text.split("BEGIN:VEVENT\n", 2)[1]  # the first series, weekly from 16 January 2023 at 10:00
    assert "UID:series-0-2@synthetic\n" in first and "DTSTART:20230116T100000Z\n" in first
    organizer = next(line for line in first.splitlines() if line.startswith("ORGANIZER"))
    moved = ("BEGIN:VEVENT\nUID:series-0-2@synthetic\nRECURRENCE-ID:20230123T100000Z\nDTSTART:20230123T120000Z\n"
             f"DTEND:20230123T124500Z\nSUMMARY:Moved\n{organizer}\nEND:VEVENT\n")  # its override, last in the file
    huge = ("BEGIN:VEVENT\nUID:huge@x\nDTSTART:20230101T100000Z\nORGANIZER:mailto:ana@firm.com\n"
            "DESCRIPTION:" + "y" * 300_000 + "\nEND:VEVENT\n")  # over the streamed ingest's event limit
    path.write_text(text.replace("END:VCALENDAR\n", huge + moved + "END:VCALENDAR\n"))
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)

    def ingest(name: str, **limits: int):
        settings = Settings(db=tmp_path / f"{name}.db", **limits)
        store = SQLiteStore.open(settings.db)
        return ingest_calendar(store, settings, [path], now=now), store

    whole, whole_store = ingest("whole", max_file_bytes=64 * MB, max_event_bytes=64 * MB)
    streamed, streamed_store = ingest("streamed", max_file_bytes=100_000, max_event_bytes=200_000)
    assert whole.ingested > 200 and streamed.ingested == whole.ingested - 1  # all but the huge event
    assert streamed.skipped == whole.skipped + Counter({"over a limit": 1})
    [error] = streamed.errors
    assert error.position.endswith("(UID huge@x)")
    assert error.reason.startswith("over a limit: an event of 300,0") and error.reason.endswith("(KITH_MAX_EVENT_BYTES)")
    assert streamed_store.counts()["interactions"] == whole_store.counts()["interactions"] - 1

    def occurrences(**limits: int) -> list:
        window = Window(datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2030, 1, 1, tzinfo=timezone.utc))
        return sorted((o.key, o.start, o.duration_s, o.summary, o.attendees) for series in
                      read_calendar(str(path), window, limits=ReadLimits(**limits)) for o in series.occurrences)

    streamed_occurrences = occurrences(file_bytes=100_000, event_bytes=64 * MB)
    assert streamed_occurrences == occurrences(file_bytes=64 * MB, event_bytes=64 * MB)
    assert ("series-0-2@synthetic|20230123T100000Z", 1674475200) in {o[:2] for o in streamed_occurrences}  # moved

    with path.open("a") as f:  # a calendar of one 12 MB line: read past in pieces
        f.write("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:" + "z" * 12 * MB + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    _, peak = peak_bytes(lambda: read_calendar(str(path), Window(now, now), limits=ReadLimits(event_bytes=MB, file_bytes=1)))
    assert peak < 8 * MB


def test_json_deal_files_past_the_file_limit_are_skipped_unread(tmp_path):
    settings = Settings(db=tmp_path / "kith.db", max_file_bytes=200_000)
    deals = tmp_path / "deals.json"
    deals.write_text('[{"id": "d1", "name": "Deal", "notes": "' + "z" * 300_000 + '"}]')
    report = ingest_deals(SQLiteStore.open(settings.db), settings, [deals])
    assert report.skipped == {"over a limit": 1}
    assert report.errors[0].reason.startswith("over a limit: a file of 300,0")
    assert report.errors[0].reason.endswith("more than 200,000 (KITH_MAX_FILE_BYTES); export it as CSV, which is read row by row")
