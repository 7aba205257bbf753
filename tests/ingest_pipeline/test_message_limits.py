"""A message past a limit (header block size, recipients) is skipped unparsed, counted with its reason,
and creates nobody; the limits are settings."""

from __future__ import annotations

from kith.graph.settings import Settings
from kith.graph.sqlite_store import SQLiteStore
from kith.ingest.email.pipeline import ingest_email


def message(n: int, to: str, extra: str = "") -> bytes:
    return (f"From: ana@firm.com\r\nTo: {to}\r\nSubject: note {n}\r\nMessage-ID: <{n}@firm.com>\r\n{extra}"
            f"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nhello\r\n").encode()


def test_messages_past_a_limit_are_skipped_with_their_reason(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(message(1, "bo@client.com"))
    (folder / "2.eml").write_bytes(message(2, ", ".join(f"p{i}@client.com" for i in range(2000))))
    (folder / "3.eml").write_bytes(message(3, "bo@client.com", "X-Pad: " + "x" * 2_000_000 + "\r\n"))
    store = SQLiteStore.open(tmp_path / "kith.db")
    report = ingest_email(store, Settings(db=tmp_path / "kith.db"), [folder], workers=1)
    assert (report.ingested, report.skipped) == (1, {"over a limit": 2})
    reasons = sorted(e.reason for e in report.errors)
    assert reasons == ["over a limit: 2,000 recipients, more than 1,000 (KITH_MAX_RECIPIENTS)",
                       "over a limit: a header block of 2,000,122 bytes, more than 1,048,576 (KITH_MAX_HEADER_BYTES)"]
    assert store.counts()["people"] == 2
    roomier = Settings(db=tmp_path / "other.db", max_recipients=5000, max_header_bytes=4_000_000)
    other = SQLiteStore.open(tmp_path / "other.db")
    assert ingest_email(other, roomier, [folder], workers=2).ingested == 3
    assert other.counts()["people"] == 2002
